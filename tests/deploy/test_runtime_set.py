"""The runtime set alone runs the project's Airflow code, and holds no test tooling and no emulator.

A fresh venv from requirements/runtime.lock only (``--no-deps``, then ``pip check``: the lock is
complete by itself), with live_to_vod installed the way the Dockerfile's production target installs
it (pyproject.toml and include/live_to_vod, nothing else of the repository). In that venv, from
outside the repository and with a clean environment: every live_to_vod module imports, the DAG
folder parses with no import error and both DAGs defined, the plugin loads and registers the
timetable, and neither the test tooling, moto, nor devstack/localrun is importable or installed.

The venv is cached under var/runtime-venv/<hash of the lock and the interpreter>, so only the first
run installs the lock (from pip's cache or the index); live_to_vod is reinstalled on every run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.locks import DEV_ONLY_DISTRIBUTIONS, DEV_ONLY_PACKAGES, ROOT, RUNTIME_LOCK, normalize

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a cold venv installs ~200 wheels

VENVS = ROOT / "var" / "runtime-venv"
# The notifications DAG is defined only with a queue; nothing is called at parse time.
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/harvest-notifications"
DAG_IDS = ["harvest_notifications", "live_event_harvest", "reverify_vod_asset"]
# Import names of the development set's tools and of the repository's non-pipeline code.
DEV_ONLY_MODULES = ["pytest", "xdist", "pytest_timeout", "hypothesis", "moto", "ruff", "cfnlint", *DEV_ONLY_PACKAGES]

CHECK = textwrap.dedent(
    """
    import importlib, importlib.metadata, importlib.util, json, pkgutil, sys

    report = {}
    import live_to_vod  # before Airflow puts the DAG and plugin folders on sys.path

    report["live_to_vod"] = live_to_vod.__file__
    report["module_errors"] = {}
    for module in pkgutil.walk_packages(live_to_vod.__path__, "live_to_vod."):
        try:
            importlib.import_module(module.name)
        except Exception as exc:
            report["module_errors"][module.name] = repr(exc)

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1])
    report["dags"] = sorted(bag.dag_ids)
    report["import_errors"] = {str(path): error for path, error in bag.import_errors.items()}

    from airflow import plugins_manager

    plugins_manager.ensure_plugins_loaded()
    report["plugins"] = [plugin["name"] for plugin in plugins_manager.get_plugin_info()]
    report["plugin_errors"] = plugins_manager.get_import_errors()
    report["timetables"] = sorted(plugins_manager.get_timetables_plugins())

    report["importable"] = sorted(name for name in json.loads(sys.argv[2]) if importlib.util.find_spec(name))
    report["project_top_level"] = sorted({file.parts[0] for file in importlib.metadata.files("live-to-vod")})
    print(json.dumps(report))
    """
)


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path, timeout: float) -> str:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def pip_env() -> dict[str, str]:
    """This machine's environment for pip (its index settings), without anything that leaks a path in."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}


@pytest.fixture(scope="module")
def runtime_python(tmp_path_factory) -> Iterator[Path]:
    """The python of a venv holding requirements/runtime.lock and the live_to_vod package, nothing else."""
    interpreter = f"{sys.version_info.major}.{sys.version_info.minor}"
    key = hashlib.sha256(RUNTIME_LOCK.read_bytes() + interpreter.encode()).hexdigest()[:16]
    venv = VENVS / key
    python = venv / "bin" / "python"
    VENVS.mkdir(parents=True, exist_ok=True)
    with open(VENVS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time, across sessions too
        if not (venv / ".complete").exists():
            for old in VENVS.iterdir():  # a changed lock's venv is never used again
                if old.is_dir():
                    shutil.rmtree(old)
            run(sys.executable, "-m", "venv", venv, cwd=VENVS, timeout=300)
            pip = (python, "-m", "pip", "--disable-pip-version-check")
            run(*pip, "install", "--quiet", "--no-deps", "-r", RUNTIME_LOCK, env=pip_env(), cwd=VENVS, timeout=1500)
            run(*pip, "check", cwd=VENVS, timeout=300)
            (venv / ".complete").write_text(RUNTIME_LOCK.read_text())
        # As the production target does: pyproject.toml and include/live_to_vod alone.
        project = tmp_path_factory.mktemp("project")
        shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
        shutil.copytree(
            ROOT / "include" / "live_to_vod",
            project / "include" / "live_to_vod",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        run(
            *(python, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"),
            *("--no-deps", "--force-reinstall", project),
            env=pip_env(),
            cwd=project,
            timeout=600,
        )
        yield python


@pytest.fixture(scope="module")
def report(runtime_python, tmp_path_factory) -> dict:
    """What the check script finds in the runtime venv, run as the image runs a component."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        "PATH": f"{runtime_python.parent}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL": QUEUE_URL,
        "LIVE_TO_VOD_SCHEDULE_DIR": str(ROOT / "include" / "schedules"),  # the image's ENV
    }
    out = run(runtime_python, "-c", CHECK, ROOT / "dags", json.dumps(DEV_ONLY_MODULES), env=env, cwd=home, timeout=600)
    return json.loads(out.strip().splitlines()[-1])


def test_live_to_vod_is_the_installed_package_and_every_module_imports(report, runtime_python):
    venv = runtime_python.parent.parent
    assert Path(report["live_to_vod"]).is_relative_to(venv), report["live_to_vod"]  # not include/ of the checkout
    assert report["module_errors"] == {}
    # The installed distribution holds live_to_vod only (and its metadata).
    assert [top for top in report["project_top_level"] if not top.endswith(".dist-info")] == ["live_to_vod"]


def test_every_dag_parses_with_the_runtime_set_alone(report):
    assert report["import_errors"] == {}
    assert report["dags"] == DAG_IDS


def test_the_plugin_loads_and_registers_the_timetable(report):
    assert report["plugin_errors"] == {}
    assert "live_to_vod" in report["plugins"]
    assert "live_to_vod.timetables.season.SeasonScheduleTimetable" in report["timetables"]


def test_no_test_tooling_no_emulator_and_no_local_stack_code_is_importable(report):
    assert report["importable"] == []


def test_no_development_distribution_is_installed(runtime_python):
    listed = run(runtime_python, "-m", "pip", "list", "--format=json", env=pip_env(), cwd=VENVS, timeout=120)
    installed = {normalize(dist["name"]) for dist in json.loads(listed)}
    assert sorted(installed & DEV_ONLY_DISTRIBUTIONS) == []
    assert {"apache-airflow", "apache-airflow-providers-amazon", "av", "live-to-vod"} <= installed
