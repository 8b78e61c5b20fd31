"""The season schedule under a real Airflow: an event in the schedule becomes a DAG run on its own
after it ends, each of its outputs (two endpoints, two highlight clips each) is harvested, verified
and handed off, and a backfill of the same range creates nothing twice.
"""

from __future__ import annotations

import subprocess
import time

import pendulum
import pytest

pytestmark = pytest.mark.slow

DAG_ID = "live_event_harvest"


def schedule_yaml(event_id: str, endpoints: list[str], start: pendulum.DateTime, end: pendulum.DateTime) -> str:
    local = "America/New_York"

    def wall(t: pendulum.DateTime) -> str:
        return t.in_timezone(local).format("YYYY-MM-DD HH:mm:ss")

    return f"""# written by the test: one game that ended a minute ago
timezone: {local}
events:
  - id: {event_id}
    endpoints: [{", ".join(endpoints)}]
    start: {wall(start)}
    end: {wall(end)}
    clips:
      - name: opening-drive
        start: {wall(start.add(seconds=10))}
        end: {wall(start.add(seconds=30))}
      - name: final-play
        start: {wall(end.subtract(seconds=30))}
        end: {wall(end.subtract(seconds=10))}
"""


def wait_for_run(deployment, run_type: str, logical_date: pendulum.DateTime, timeout: float = 300):
    """The run of ``run_type`` for the event starting at ``logical_date``: (run id, state, tasks seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, body = deployment.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns?run_type={run_type}")
        for run in body.get("dag_runs", []):
            if pendulum.parse(run["logical_date"]) == logical_date:
                state, seen = deployment.follow(run["dag_run_id"], timeout=max(deadline - time.monotonic(), 1))
                return run["dag_run_id"], state, seen
        time.sleep(1)
    raise AssertionError(f"no {run_type} run for {logical_date} after {timeout} s")


def airflow_cli(deployment, *args: str) -> str:
    result = subprocess.run(["airflow", *args], env=deployment.airflow.env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_scheduled_event_runs_by_itself_and_a_backfill_adds_nothing(deployment):
    event_id = "e2e-season-game"
    # Whole seconds: the stack's segments are 2 s, epoch-aligned.
    end = pendulum.now("UTC").subtract(minutes=1).replace(microsecond=0)
    end = end.subtract(seconds=end.second % 2)
    start = end.subtract(seconds=90)
    endpoints = [deployment.demo["endpoint_id"], deployment.demo["world_endpoint_id"]]
    schedule_dir = deployment.airflow.home / "schedules"
    (schedule_dir / "season.yaml").write_text(schedule_yaml(event_id, endpoints, start, end))

    # The dag-processor picks the schedule up; the event ended, so its run is created at once.
    run_id, state, seen = wait_for_run(deployment, "scheduled", start)
    assert state == "success", sorted(seen)
    outputs = 2 * (1 + 2)  # per endpoint: the full game and two clips
    jobs = deployment.jobs(event_id)
    assert len(jobs) == outputs and {j["Status"] for j in jobs} == {"SUCCEEDED"}
    assert len(deployment.assets(event_id)) == outputs
    keys = sorted(j["S3Destination"]["ManifestKey"] for j in jobs)
    assert keys == sorted(
        f"{event_id}/{endpoint}/{folder}index.m3u8"
        for endpoint in endpoints
        for folder in ("", "clips/opening-drive/", "clips/final-play/")
    )
    summary = deployment.airflow.api.xcom(DAG_ID, run_id, "summarize")
    assert len(summary["outputs"]) == outputs and all(o["ok"] for o in summary["outputs"])

    # A dry run of the range lists exactly this event; a real backfill re-runs it and finds everything.
    day_from = start.subtract(minutes=5).to_iso8601_string()
    day_to = start.add(minutes=5).to_iso8601_string()
    dry = airflow_cli(
        deployment, "backfill", "create", "--dag-id", DAG_ID, "--from-date", day_from, "--to-date", day_to,
        "--reprocess-behavior", "completed", "--dry-run",
    )  # fmt: skip
    assert start.to_iso8601_string()[:19] in dry.replace(" ", "T"), dry
    assert dry.count("logical_date") <= 1 or "1" in dry
    status, body = deployment.airflow.api.call(
        "POST",
        "/backfills",
        {"dag_id": DAG_ID, "from_date": day_from, "to_date": day_to, "reprocess_behavior": "completed",
         "max_active_runs": 1, "run_backwards": False, "dag_run_conf": {}},
    )  # fmt: skip
    assert status == 200, body
    assert body["id"]
    _, state, seen = wait_for_run(deployment, "backfill", start)
    assert state == "success", sorted(seen)
    assert len(deployment.jobs(event_id)) == outputs  # found, not created again
    assert len(deployment.assets(event_id)) == outputs
