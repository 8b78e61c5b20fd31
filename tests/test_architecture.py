"""The import rules of docs/architecture.md, checked on the source (every import statement,
including those inside functions).

- The domain core (``live_to_vod`` outside its Airflow subpackages) imports neither Airflow nor
  the AWS SDKs: it is pure and fast to test, and the same rules serve every entry point.
- Nothing shipped (``live_to_vod``, ``dags/``, ``plugins/``) imports the emulator, the local
  runner or the tests.
- The emulator (``devstack``) imports neither the project nor the local runner nor Airflow: it
  emulates AWS, whatever calls it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "include" / "live_to_vod"
#: The Airflow subpackages of live_to_vod; everything else in it is the domain core.
AIRFLOW_SUBPACKAGES = ("aws", "pipeline", "timetables")
AWS_SDKS = ("boto3", "botocore", "aiobotocore")
NOT_SHIPPED = ("devstack", "localrun", "tests", "moto", "pytest", "hypothesis")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved to the package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: relative import; the project imports absolutely")
            names.add(node.module or "")
    return names


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def python_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def domain_core() -> list[Path]:
    return [p for p in python_files(LIBRARY) if p.relative_to(LIBRARY).parts[0] not in AIRFLOW_SUBPACKAGES]


@pytest.mark.parametrize("path", domain_core(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_domain_core_imports_neither_airflow_nor_the_aws_sdks(path):
    bad = {m for m in imported_modules(path) if top_level(m) in ("airflow", *AWS_SDKS)}
    bad |= {m for m in imported_modules(path) if m.startswith(tuple(f"live_to_vod.{s}" for s in AIRFLOW_SUBPACKAGES))}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    python_files(LIBRARY, ROOT / "dags", ROOT / "plugins"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_nothing_shipped_imports_the_emulator_the_local_runner_or_test_tooling(path):
    bad = {m for m in imported_modules(path) if top_level(m) in NOT_SHIPPED}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", python_files(ROOT / "devstack"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_emulator_imports_neither_the_project_nor_airflow(path):
    bad = {m for m in imported_modules(path) if top_level(m) in ("live_to_vod", "localrun", "airflow", "tests")}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_rules_cover_the_tree():
    # A new top-level package must be placed in the map (docs/architecture.md) and in these rules.
    packages = {p.parent.name for p in [*ROOT.glob("*/__init__.py"), *LIBRARY.parent.glob("*/__init__.py")]}
    assert packages == {"devstack", "localrun", "tests", "live_to_vod"}
    subpackages = {p.parent.name for p in LIBRARY.glob("*/__init__.py")}
    assert set(AIRFLOW_SUBPACKAGES) <= subpackages
    page = (ROOT / "docs" / "architecture.md").read_text()
    for name in [*subpackages, "devstack", "localrun", "dags", "plugins"]:
        assert re.search(rf"[`/]{name}[/`.]", page), f"docs/architecture.md does not place {name}"
