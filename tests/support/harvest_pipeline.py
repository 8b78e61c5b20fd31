"""Running ``live_event_harvest`` with ``dag.test()`` against a seeded local stack: the harness of
``test_operators_against_stack.py`` and ``test_operator_recovery_against_stack.py``.

A :class:`Pipeline` seeds the test's stack with a live channel and two minutes of real content,
and runs the DAG in a separate Python process (``dag_run_scenario.py``) with its own
``AIRFLOW_HOME`` and SQLite database (a copy of one migrated per test module), deferrable
operators on, and the ``aws_default`` connection and ``LIVE_TO_VOD_*`` settings pointing at the
stack. Airflow reads its configuration at import, and a database per scenario keeps parallel
test workers apart. The outcome is read back from the stack with plain boto3 and from XComs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id
from localrun.seed import push_content, seed
from localrun.standalone import AWS_RETRIES

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("dag_run_scenario.py")
# The DAG's tasks in order: the event's, the mapped harvest group's (one instance per planned
# output), and the run summary.
EVENT_TASKS = ("validate", "wait_for_event_end")
GROUP_TASKS = (
    "harvest.create_harvest_job",
    "harvest.wait_for_harvest",
    "harvest.verify_asset",
    "harvest.hand_off_to_vod",
    "harvest.transcode",
    "harvest.verify_transcode",
    "harvest.publish",
)
TASKS = (*EVENT_TASKS, *GROUP_TASKS, "summarize")
TRANSCODE_TASKS = ("harvest.transcode", "harvest.verify_transcode")


def ti(task_id: str, map_index: int = 0) -> str:
    """How ``dag_run_scenario.py`` names a task instance: ``task_id[map_index]`` in the harvest group."""
    return f"{task_id}[{map_index}]" if task_id in GROUP_TASKS else task_id


def task_states(outputs: int = 1, *, transcoded: bool = False, **states: str) -> dict[str, str]:
    """The task instances of a run with ``outputs`` planned outputs, all ``success`` except those in
    ``states`` (keyed by :func:`ti` names; a task id of the group sets every one of its instances).
    Without ``transcoded`` (MediaConvert outputs asked for), verify skips the MediaConvert pair."""
    expected = {t: "success" for t in EVENT_TASKS}
    expected |= {ti(t, i): "success" for i in range(outputs) for t in GROUP_TASKS}
    if not transcoded:
        expected |= {ti(t, i): "skipped" for i in range(outputs) for t in TRANSCODE_TASKS}
    expected["summarize"] = "success"
    for name, state in states.items():
        if name in GROUP_TASKS:
            expected |= {ti(name, i): state for i in range(outputs)}
        else:
            assert name in expected, name
            expected[name] = state
    return expected


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LIVE_TO_VOD_")) and k != "PYTHONPATH"}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE="True",
        **extra,
    )
    return env


def migrated_airflow_db(home: Path) -> Path:
    """A migrated Airflow database in ``home``; scenarios run on copies of it."""
    subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        env=airflow_env(home),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return home / "airflow.db"


class Pipeline:
    """One scenario: the seeded stack, a live stream, and an Airflow home to run the DAG in."""

    def __init__(self, stack: Any, aws: dict[str, Any], airflow_db: Path, home: Path):
        self.aws = aws
        self.mp = aws["mediapackage"]
        self.vod = aws["mediapackage-vod"]
        self.demo = seed(stack.stack.settings, with_encoder=False)
        encoder = self.encoder = push_content(self.mp, self.demo, preroll_seconds=120)
        # A minute of the stream, ended a while ago: nothing to wait for.
        self.start = encoder.start.add(seconds=30)
        self.end = encoder.start.add(seconds=90)
        home.mkdir()
        shutil.copy(airflow_db, home / "airflow.db")
        self.home = home
        self.runs = 0
        self.env = airflow_env(
            home,
            AIRFLOW_CONN_AWS_DEFAULT=json.dumps(
                {
                    "conn_type": "aws",
                    "login": "local-stack",
                    "password": "local-stack",
                    "extra": {
                        "endpoint_url": stack.url,
                        "region_name": self.demo["region"],
                        "config_kwargs": AWS_RETRIES,
                    },
                }
            ),
            LIVE_TO_VOD_S3_BUCKET=self.demo["bucket"],
            LIVE_TO_VOD_HARVEST_ROLE_ARN=self.demo["harvest_role_arn"],
            LIVE_TO_VOD_PACKAGING_GROUP_ID=self.demo["packaging_group_id"],
            LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN=self.demo["vod_role_arn"],
            LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN=self.demo["mediaconvert_role_arn"],
            LIVE_TO_VOD_END_MARGIN_SECONDS="0",
        )

    def conf(self, event_id: str, tz: str = "UTC", **changes: Any) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "origin_endpoint_id": self.demo["endpoint_id"],
            "start_time": self.start.in_timezone(tz).isoformat(),
            "end_time": self.end.in_timezone(tz).isoformat(),
            **changes,
        }

    def job_id(self, event_id: str, attempt: int = 1, window: HarvestWindow | None = None) -> str:
        window = window or HarvestWindow(self.start, self.end)
        return harvest_job_id(event_id, self.demo["endpoint_id"], window, attempt)

    def run(self, *confs: dict[str, Any], dag_id: str = "live_event_harvest") -> list[dict[str, Any]]:
        """``dag.test()`` of ``dag_id`` for each conf in turn, in one new process; what each run did."""
        self.runs += 1
        spec, result, log = (self.home / f"{name}-{self.runs}" for name in ("spec.json", "result.json", "run.log"))
        spec.write_text(json.dumps({"runs": list(confs), "poll_interval": 0.2, "dag_id": dag_id}))
        with log.open("w") as out:
            process = subprocess.run(
                [sys.executable, str(RUNNER), str(spec), str(result)],
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=240,
            )
        self.log = log.read_text()
        assert process.returncode == 0 and result.exists(), self.log[-6000:]
        runs = json.loads(result.read_text())
        assert len(runs) == len(confs)
        return runs

    def jobs(self) -> dict[str, str]:
        return {j["Id"]: j["Status"] for j in self.mp.list_harvest_jobs()["HarvestJobs"]}

    def assets(self) -> list[dict[str, Any]]:
        return self.vod.list_assets()["Assets"]

    def harvest_failure(self, job_id: str) -> str:
        with urllib.request.urlopen(f"{self.demo['endpoint_url']}/_devstack/harvest_jobs/{job_id}") as response:
            return response.read().decode()


def one_output(tasks: dict[str, str]) -> dict[str, str]:
    """The task states of a one-output run, each group task by its instance ``[0]``.

    A group task whose upstream failed in the same instance may never be expanded (Airflow marks
    its unexpanded instance ``upstream_failed``, depending on its trigger rule); in a run with one
    output that instance stands for output 0's."""
    return {(f"{name}[0]" if name in GROUP_TASKS else name): state for name, state in tasks.items()}


def assert_succeeded(run: dict[str, Any], outputs: int = 1, *, transcoded: bool = False) -> None:
    """The run succeeded with ``outputs`` harvests, every task of every output succeeded (the
    MediaConvert pair skipped unless ``transcoded``), and its summary reports every output harvested."""
    expected = task_states(outputs, transcoded=transcoded)
    assert (run.get("state"), run.get("tasks")) == ("success", expected), run.get("errors") or run
    summary = run["xcom"]["summarize"]
    assert [o["ok"] for o in summary["outputs"]] == [True] * outputs, summary["report"]
    assert [o["summary"] for o in summary["outputs"]] == [run["xcom"][ti("harvest.publish", i)] for i in range(outputs)]


def assert_playable(url: str) -> None:
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
        assert response.read().startswith(b"#EXTM3U")
