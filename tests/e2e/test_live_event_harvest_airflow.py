"""The DAG under a real Airflow: scheduler, dag-processor, triggerer and API server
(``airflow standalone``), against the local media stack in its own process.

Proves what ``dag.test()`` cannot: the harvest wait is deferred to the triggerer (the trigger
imports there, without the DAG folder on ``sys.path``), re-running tasks creates nothing twice,
and bad input through the REST API is refused or fails in ``validate`` with the field named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pendulum
import pytest

from devstack.airflow_local import AirflowStandalone, airflow_env
from devstack.cli import healthy, seed
from devstack.config import Settings
from tests_support import free_port

pytestmark = pytest.mark.slow

DAG_ID = "live_event_harvest"
HARVEST_SECONDS = 8  # the stack keeps each job IN_PROGRESS this long: long enough to see the deferral


class Deployment:
    def __init__(self, settings: Settings, demo: dict[str, Any], airflow: AirflowStandalone):
        self.settings = settings
        self.demo = demo
        self.airflow = airflow
        session = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=demo["region"])
        self.mp = session.client("mediapackage", endpoint_url=settings.public_url)
        self.vod = session.client("mediapackage-vod", endpoint_url=settings.public_url)

    def jobs(self, event_id: str) -> list[dict[str, Any]]:
        jobs = self.mp.list_harvest_jobs()["HarvestJobs"]
        return [j for j in jobs if j["Id"].startswith(f"{event_id}-")]

    def assets(self, event_id: str) -> list[dict[str, Any]]:
        return [a for a in self.vod.list_assets()["Assets"] if a["Id"].startswith(f"{event_id}-")]

    def window_conf(self, event_id: str, minutes_ago: int, length_seconds: int = 60) -> dict[str, str]:
        end = pendulum.now("UTC").subtract(minutes=minutes_ago).start_of("minute")
        return {
            "event_id": event_id,
            "origin_endpoint_id": self.demo["endpoint_id"],
            "start_time": end.subtract(seconds=length_seconds).in_timezone("America/New_York").isoformat(),
            "end_time": end.in_timezone("America/New_York").isoformat(),
        }

    def run(self, conf: dict[str, Any], timeout: float = 240) -> tuple[str, str, set[tuple[str, str]]]:
        """Trigger, follow; return (run id, final state, every (task, state) seen)."""
        status, body = self.airflow.api.trigger(DAG_ID, conf)
        assert status == 200, body
        run_id = body["dag_run_id"]
        return run_id, *self.follow(run_id, timeout)

    def follow(self, run_id: str, timeout: float = 240) -> tuple[str, set[tuple[str, str]]]:
        seen: set[tuple[str, str]] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ti in self.airflow.api.task_instances(DAG_ID, run_id):
                seen.add((ti["task_id"], ti.get("state") or "none"))
            state = self.airflow.api.run_state(DAG_ID, run_id)
            if state in ("success", "failed"):
                return state, seen
            time.sleep(0.5)
        raise AssertionError(f"run {run_id} not finished after {timeout} s; seen {sorted(seen)}")

    def task_log(self, run_id: str, task_id: str, try_number: int = 1) -> str:
        status, body = self.airflow.api.call(
            "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}?full_content=true"
        )
        assert status == 200, body
        content = body.get("content") if isinstance(body, dict) else body
        if isinstance(content, list):  # structured log lines: the exception sits in error_detail
            return "\n".join(json.dumps(c) if isinstance(c, dict) else str(c) for c in content)
        return str(content)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {
        **os.environ,
        "DEVSTACK_PORT": str(port),
        "DEVSTACK_HOME": str(base / "devstack"),
        "DEVSTACK_HARVEST_MIN_SECONDS": str(HARVEST_SECONDS),
        "DEVSTACK_VOD_MIN_SECONDS": "1",
    }
    log = open(base / "devstack.log", "wb")
    stack = subprocess.Popen([sys.executable, "-m", "devstack", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    settings = Settings.from_env(port=port, home=str(base / "devstack"))
    airflow = None
    try:
        deadline = time.monotonic() + 60
        while not healthy(settings):
            assert time.monotonic() < deadline and stack.poll() is None, "the local stack did not start"
            time.sleep(0.2)
        demo = seed(settings, preroll_seconds=600)  # the synthetic encoder keeps the channel live
        airflow = AirflowStandalone(
            airflow_env(
                Path(base / "airflow"),
                api_port=free_port(),
                stack_url=settings.public_url,
                seed=demo,
                LIVE_TO_VOD_END_MARGIN_SECONDS="2",
            )
        )
        airflow.start()
        airflow.wait_for_dag(DAG_ID)
        yield Deployment(settings, demo, airflow)
    finally:
        if airflow is not None:
            airflow.stop()
        from devstack.cli import stop

        stop(settings)  # the encoder
        stack.terminate()
        stack.wait(timeout=30)
        log.close()


def test_event_run_defers_the_harvest_wait_and_succeeds(deployment):
    run_id, state, seen = deployment.run(deployment.window_conf("e2e-game", minutes_ago=2))
    assert state == "success", sorted(seen)
    assert ("wait_for_harvest", "deferred") in seen  # waited in the triggerer, no worker slot held
    assert len(deployment.jobs("e2e-game")) == 1
    assert len(deployment.assets("e2e-game")) == 1
    summary = deployment.airflow.api.xcom(DAG_ID, run_id, "publish")
    assert summary["segment_count"] > 0 and summary["vod_playback_urls"]
    log = deployment.task_log(run_id, "wait_for_harvest")
    assert "in the triggerer" in log
    # Downstream DAGs see the harvested asset: an asset event for its s3:// URI, with the summary.
    status, body = deployment.airflow.api.call("GET", "/assets/events?limit=100")
    assert status == 200, body
    events = [e for e in body["asset_events"] if (e.get("extra") or {}).get("event_id") == "e2e-game"]
    assert len(events) == 1
    assert events[0]["uri"] == summary["asset_uri"]
    assert events[0]["extra"]["segment_count"] == summary["segment_count"]


def test_clearing_create_and_handoff_creates_nothing_twice(deployment):
    conf = deployment.window_conf("e2e-rerun", minutes_ago=3)  # once: the re-trigger asks for the same window
    run_id, state, _ = deployment.run(conf)
    assert state == "success"
    status, body = deployment.airflow.api.call(
        "POST",
        f"/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": ["create_harvest_job", "hand_off_to_vod"],
            "include_downstream": True,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    assert status == 200, body
    state, _ = deployment.follow(run_id)
    assert state == "success"
    # A second run for the same event and window: found, not created.
    second_id, state, _ = deployment.run(conf)
    assert state == "success"
    assert deployment.airflow.api.xcom(DAG_ID, second_id, "create_harvest_job")["created"] is False
    assert len(deployment.jobs("e2e-rerun")) == 1
    assert len(deployment.assets("e2e-rerun")) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": None}, "event_id"),
        ({"start_time": "2026-11-26T19:00:00"}, "start_time"),
        ({"origin_endpoint_id": "bad endpoint!"}, "origin_endpoint_id"),
    ],
)
def test_conf_breaking_the_param_schema_is_refused_by_the_api(deployment, change, field):
    conf = {**deployment.window_conf("e2e-refused", minutes_ago=2), **change}
    conf = {k: v for k, v in conf.items() if v is not None}
    status, body = deployment.airflow.api.trigger(DAG_ID, conf)
    assert status == 400, body
    assert field in str(body)
    assert deployment.jobs("e2e-refused") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_time": "2026-01-01T00:00:00Z", "start_time": "2026-01-01T01:00:00Z"}, "end_time"),
        ({"manifest_key": "../outside/index.m3u8"}, "manifest_key"),
        ({"manifest_key": "{event_id}/{season}/index.m3u8"}, "manifest_key"),
        ({"role_arn": "arn:aws-cn:iam::123456789012:role/x"}, "role_arn"),
        ({"origin_endpoint_id": "no-such-endpoint"}, "origin_endpoint_id"),
    ],
)
def test_semantically_bad_conf_fails_in_validate_naming_the_field(deployment, change, field):
    event_id = f"e2e-bad-{field.replace('_', '-')}"
    conf = {**deployment.window_conf(event_id, minutes_ago=2), **change}
    run_id, state, seen = deployment.run(conf, timeout=120)
    assert state == "failed"
    assert ("validate", "failed") in seen
    assert not any(task != "validate" and s in ("success", "running", "deferred") for task, s in seen)
    assert field in deployment.task_log(run_id, "validate")
    assert deployment.jobs(event_id) == []
