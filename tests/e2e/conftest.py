"""A real Airflow (``airflow standalone``: scheduler, dag-processor, triggerer, API server)
against the local media stack in its own process, one per test module.

``media_stack`` is the stack alone (started, seeded with the demo and its encoder, stopped), for
modules that bring their own Airflow (the Celery topology); ``deployment`` adds ``airflow standalone``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
import pendulum
import pytest

from devstack.cli import healthy
from devstack.config import Settings
from devstack.net import free_port
from localrun.seed import seed
from localrun.standalone import AirflowApi, AirflowStandalone, airflow_env
from localrun.topology import unavailable_reason

DAG_ID = "live_event_harvest"
HARVEST_SECONDS = 8  # the stack keeps each job IN_PROGRESS this long: long enough to see the deferral


class HasApi(Protocol):
    """What a Deployment drives: ``airflow standalone``, or the Celery topology."""

    api: AirflowApi


class Deployment:
    def __init__(self, settings: Settings, demo: dict[str, Any], airflow: AirflowStandalone | HasApi):
        self.settings = settings
        self.demo = demo
        self.airflow = airflow
        # What must never show in a task log, an XCom or a run summary (the no-secrets test).
        self.secrets: list[str] = []
        session = boto3.session.Session(
            aws_access_key_id="local-stack", aws_secret_access_key="local-stack", region_name=demo["region"]
        )
        self.mp = session.client("mediapackage", endpoint_url=settings.public_url)
        self.vod = session.client("mediapackage-vod", endpoint_url=settings.public_url)
        self.mp2 = session.client("mediapackagev2", endpoint_url=settings.public_url)
        self.mc = session.client("mediaconvert", endpoint_url=settings.public_url)
        self.s3 = session.client("s3", endpoint_url=settings.public_url)

    def jobs(self, event_id: str) -> list[dict[str, Any]]:
        jobs = self.mp.list_harvest_jobs()["HarvestJobs"]
        return [j for j in jobs if j["Id"].startswith(f"{event_id}-")]

    def v2_jobs(self, event_id: str) -> list[dict[str, Any]]:
        jobs = self.mp2.list_harvest_jobs(ChannelGroupName=self.demo["v2"]["channel_group"])["Items"]
        return [j for j in jobs if j["HarvestJobName"].startswith(f"{event_id}-")]

    def mediaconvert_jobs(self, event_id: str) -> list[dict[str, Any]]:
        jobs = self.mc.list_jobs(MaxResults=20)["Jobs"]
        return [j for j in jobs if (j.get("UserMetadata") or {}).get("event_id") == event_id]

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

    def v2_conf(self, event_id: str, start: pendulum.DateTime, end: pendulum.DateTime) -> dict[str, str]:
        """An event on the demo's v2 TS endpoint (handed off to MediaPackage VOD, like a v1 one)."""
        v2 = self.demo["v2"]
        return {
            "event_id": event_id,
            "channel_group": v2["channel_group"],
            "channel": v2["channel"],
            "origin_endpoint": v2["ts_endpoint"],
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
        }

    def run(
        self, conf: dict[str, Any], timeout: float = 240, dag_id: str = DAG_ID
    ) -> tuple[str, str, set[tuple[str, str]]]:
        """Trigger, follow; return (run id, final state, every (task, state) seen)."""
        status, body = self.airflow.api.trigger(dag_id, conf)
        assert status == 200, body
        run_id = body["dag_run_id"]
        return run_id, *self.follow(run_id, timeout, dag_id)

    def follow(self, run_id: str, timeout: float = 240, dag_id: str = DAG_ID) -> tuple[str, set[tuple[str, str]]]:
        seen: set[tuple[str, str]] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ti in self.airflow.api.task_instances(dag_id, run_id):
                seen.add((ti["task_id"], ti.get("state") or "none"))  # mapped tasks: any map index
            state = self.airflow.api.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state, seen
            time.sleep(0.5)
        raise AssertionError(f"run {run_id} not finished after {timeout} s; seen {sorted(seen)}")

    def task_log(
        self,
        run_id: str,
        task_id: str,
        try_number: int = 1,
        map_index: int = -1,
        dag_id: str = DAG_ID,
        missing_ok: bool = False,
    ) -> str:
        """The task's log; with ``missing_ok``, "" while the task instance does not exist yet."""
        status, body = self.airflow.api.call(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
            f"?full_content=true&map_index={map_index}",
        )
        if status == 404 and missing_ok:
            return ""
        assert status == 200, body
        content = body.get("content") if isinstance(body, dict) else body
        if isinstance(content, list):  # structured log lines: the exception sits in error_detail
            return "\n".join(json.dumps(c) if isinstance(c, dict) else str(c) for c in content)
        return str(content)


@dataclass
class MediaStack:
    """The local media stack in its own process, seeded with the demo (the encoder keeps it live)."""

    base: Path  # the module's temporary directory: the stack's data in base / "devstack"
    settings: Settings
    demo: dict[str, Any]
    process: subprocess.Popen[bytes]  # the stack's own process (the crash tests freeze it)
    # An access key of its own besides the default, so that the no-secrets test can look for it.
    credentials: tuple[str, str] = ("local-stack", "local-stack")

    def deployment(self, airflow: AirflowStandalone | HasApi) -> Deployment:
        """A Deployment of any Airflow (anything with an ``api``) running against this stack."""
        return Deployment(self.settings, self.demo, airflow)


@pytest.fixture(scope="module")
def media_stack(tmp_path_factory) -> Iterator[MediaStack]:
    base = tmp_path_factory.mktemp("e2e")
    port = free_port()
    credentials = (f"AKIA{secrets.token_hex(8).upper()}", secrets.token_urlsafe(30))
    env = {
        **os.environ,
        "DEVSTACK_CREDENTIALS": f"local-stack:local-stack,{credentials[0]}:{credentials[1]}",
        "DEVSTACK_PORT": str(port),
        "DEVSTACK_HOME": str(base / "devstack"),
        "DEVSTACK_HARVEST_MIN_SECONDS": str(HARVEST_SECONDS),
        "DEVSTACK_VOD_MIN_SECONDS": "1",
    }
    log = open(base / "devstack.log", "wb")
    stack = subprocess.Popen([sys.executable, "-m", "devstack", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    settings = Settings.from_env(port=port, home=str(base / "devstack"))
    try:
        deadline = time.monotonic() + 60
        while not healthy(settings):
            assert time.monotonic() < deadline and stack.poll() is None, "the local stack did not start"
            time.sleep(0.2)
        # The synthetic encoder keeps the v1 channel live; the v2 tests need no content (a second
        # encoder would only take CPU from every module's Airflow on a 2-core machine).
        demo = seed(settings, preroll_seconds=600, with_v2_encoder=False)
        yield MediaStack(base, settings, demo, stack, credentials)
    finally:
        from devstack.cli import stop

        stop(settings)  # the encoder
        stack.terminate()
        stack.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def topology_infrastructure() -> None:
    """PostgreSQL and Redis answer; otherwise skip (fail under CI=true) before anything starts."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: .ci/run's machine must run both)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def deployment(media_stack: MediaStack) -> Iterator[Deployment]:
    airflow = None
    credentials = media_stack.credentials
    try:
        airflow = AirflowStandalone(
            airflow_env(
                Path(media_stack.base / "airflow"),
                api_port=free_port(),
                stack_url=media_stack.settings.public_url,
                seed=media_stack.demo,
                aws_credentials=credentials,
                LIVE_TO_VOD_END_MARGIN_SECONDS="2",
            )
        )
        airflow.start()
        airflow.wait_for_dag(DAG_ID)
        deployment = media_stack.deployment(airflow)
        ingest = deployment.mp.describe_channel(Id=media_stack.demo["channel_id"])["HlsIngest"]["IngestEndpoints"]
        deployment.secrets = [*credentials, airflow.api.password, *(e["Password"] for e in ingest)]
        yield deployment
    finally:
        if airflow is not None:
            airflow.stop()
