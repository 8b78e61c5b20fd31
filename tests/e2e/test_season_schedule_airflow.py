"""The season schedule under a real Airflow: an event in the schedule becomes a DAG run on its own
after it ends (its whole window and a highlight clip each harvested, handed off to MediaPackage VOD
and to MediaConvert: an MP4 master, a frame-accurate MP4 clip, thumbnails), each output of another
(two endpoints, two highlight clips each) is harvested, verified and handed off, and a backfill of
the same range creates nothing twice.
"""

from __future__ import annotations

import io
import subprocess
import time

import av
import pendulum
import pytest

from devstack.encoder.pattern import FPS, read_frame_mark
from devstack.encoder.segments import frame_mark_at

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


def backfill(deployment, start: pendulum.DateTime, end: pendulum.DateTime, reprocess: str) -> None:
    for _ in range(10):
        status, body = deployment.airflow.api.call(
            "POST",
            "/backfills",
            {"dag_id": DAG_ID, "from_date": start.to_iso8601_string(), "to_date": end.to_iso8601_string(),
             "reprocess_behavior": reprocess, "max_active_runs": 2, "run_backwards": False, "dag_run_conf": {}},
        )  # fmt: skip
        # airflow standalone's SQLite refuses a backfill while the scheduler writes: the API says so and
        # nothing is created, so asking again (as a person would) is the documented way through.
        if status == 200 or "Database is locked" not in str(body):
            break
        time.sleep(3)
    assert status == 200, body


def dry_run(deployment, start: pendulum.DateTime, end: pendulum.DateTime) -> str:
    return airflow_cli(
        deployment, "backfill", "create", "--dag-id", DAG_ID, "--from-date", start.to_iso8601_string(),
        "--to-date", end.to_iso8601_string(), "--reprocess-behavior", "none", "--dry-run",
    )  # fmt: skip


def listed(output: str, moment: pendulum.DateTime) -> bool:
    return moment.format("YYYY-MM-DD HH:mm:ss") in output or moment.format("YYYY-MM-DDTHH:mm:ss") in output


def single_event_yaml(event_id: str, endpoint: str, start: pendulum.DateTime, end: pendulum.DateTime) -> str:
    return f"""  - id: {event_id}
    endpoint: {endpoint}
    start: {start.to_iso8601_string()}
    end: {end.to_iso8601_string()}
"""


def test_scheduled_events_run_by_themselves_and_backfills_harvest_exactly_their_range(deployment):
    api = deployment.airflow.api
    schedule_file = deployment.airflow.home / "schedules" / "season.yaml"
    # Whole seconds: the stack's segments are 2 s, epoch-aligned.
    now = pendulum.now("UTC").replace(microsecond=0)
    now = now.subtract(seconds=now.second % 2)
    world = deployment.demo["world_endpoint_id"]
    endpoints = [deployment.demo["endpoint_id"], world]

    # 1. An event that has ended becomes a run by itself: its window and a highlight whose ends fall
    # between frames, each with a VOD asset, an MP4 (the master; the clip cut to the frame) and thumbnails.
    game_s, s_start, s_end = "e2e-season-solo", now.subtract(seconds=300), now.subtract(seconds=240)
    g_start, g_end = s_start.add(microseconds=12_370_000), s_start.add(microseconds=31_610_000)
    solo = single_event_yaml(game_s, world, s_start, s_end) + (
        "    mediaconvert: [mp4, thumbnails]\n    thumbnail_interval_seconds: 20\n    clips:\n"
        f"      - {{name: goal, start: '{g_start.isoformat()}', end: '{g_end.isoformat()}'}}\n"
    )
    header = f"timezone: America/New_York\nevents:\n{solo}"
    schedule_file.write_text(header)
    solo_run, state, seen = wait_for_run(deployment, "scheduled", s_start)
    assert state == "success", sorted(seen)
    assert [j["Status"] for j in deployment.jobs(game_s)] == ["SUCCEEDED", "SUCCEEDED"]
    assert len(deployment.assets(game_s)) == 2
    master, goal = (api.xcom(DAG_ID, solo_run, "harvest.publish", map_index=i) for i in (0, 1))
    assert master["mp4"][0]["frames"] == 60 * FPS and len(master["thumbnails"]) == 3
    assert goal["clip"]["frames"] == goal["mp4"][0]["frames"] and goal["poster"] == goal["thumbnails"][0]
    first_ms = round(pendulum.parse(goal["clip"]["asset_start"]).timestamp() * 1000)
    first_ms += goal["clip"]["first_frame"] * 1000 // FPS
    last_ms = first_ms + (goal["clip"]["frames"] - 1) * 1000 // FPS
    assert round(g_start.timestamp() * 1000) <= first_ms < round(g_start.timestamp() * 1000) + 1000 // FPS
    assert last_ms < round(g_end.timestamp() * 1000) <= last_ms + 1000 // FPS
    key = goal["mp4"][0]["uri"].split("/", 3)[3]
    with av.open(io.BytesIO(deployment.s3.get_object(Bucket=deployment.demo["bucket"], Key=key)["Body"].read())) as c:
        marks = [read_frame_mark(frame) for frame in c.decode(video=0)]
    assert (marks[0], marks[-1]) == (frame_mark_at(first_ms), frame_mark_at(last_ms))
    assert len(deployment.mediaconvert_jobs(game_s)) == 2

    # 2. With the DAG paused (no scheduled runs), two more games: A (ended; two endpoints, two clips)
    # and C (not over yet). A dry run over both starts lists exactly A; the backfill harvests it.
    assert api.call("PATCH", f"/dags/{DAG_ID}", {"is_paused": True})[0] == 200
    game_a, a_end = "e2e-season-game", now.subtract(seconds=110)
    a_start = a_end.subtract(seconds=90)
    game_c, c_start = "e2e-season-tonight", pendulum.now("UTC").add(minutes=1).replace(microsecond=0)
    lines = schedule_yaml(game_a, endpoints, a_start, a_end).split("events:\n", 1)[1]
    schedule_file.write_text(header + lines + single_event_yaml(game_c, world, c_start, c_start.add(minutes=2)))
    window = (a_start.subtract(seconds=30), c_start.add(seconds=30))
    deadline = time.monotonic() + 120
    while not listed(dry := dry_run(deployment, *window), a_start):
        assert time.monotonic() < deadline, dry
        time.sleep(3)
    assert not listed(dry, c_start) and not listed(dry, s_start), dry

    backfill(deployment, *window, reprocess="none")
    assert api.call("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})[0] == 200
    _, state, seen = wait_for_run(deployment, "backfill", a_start)
    assert state == "success", sorted(seen)
    outputs = 2 * (1 + 2)  # per endpoint: the full game and two clips
    jobs = deployment.jobs(game_a)
    assert len(jobs) == outputs and {j["Status"] for j in jobs} == {"SUCCEEDED"}
    assert len(deployment.assets(game_a)) == outputs
    keys = sorted(j["S3Destination"]["ManifestKey"] for j in jobs)
    assert keys == sorted(
        f"{game_a}/{endpoint}/{folder}index.m3u8"
        for endpoint in endpoints
        for folder in ("", "clips/opening-drive/", "clips/final-play/")
    )

    # 3. Re-processing the range runs A again and finds every job and asset: nothing twice.
    deadline = time.monotonic() + 120
    while any(b.get("completed_at") is None for b in api.call("GET", f"/backfills?dag_id={DAG_ID}")[1]["backfills"]):
        assert time.monotonic() < deadline, "the first backfill never completed"
        time.sleep(2)  # one backfill per DAG at a time
    backfill(deployment, *window, reprocess="completed")  # clears and re-runs A's existing run
    deadline = time.monotonic() + 300
    while any(b.get("completed_at") is None for b in api.call("GET", f"/backfills?dag_id={DAG_ID}")[1]["backfills"]):
        assert time.monotonic() < deadline, "the second backfill never completed"
        time.sleep(2)
    _, body = api.call("GET", f"/dags/{DAG_ID}/dagRuns?run_type=backfill")
    assert [r["state"] for r in body["dag_runs"]] == ["success"]
    assert len(deployment.jobs(game_a)) == outputs and len(deployment.assets(game_a)) == outputs
    assert len(deployment.jobs(game_s)) == 2
