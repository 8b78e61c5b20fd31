"""``make run`` (``python -m localrun demo``): the whole product on this machine, end to end.

Starts the local media stack and seeds it (two encoders keep a MediaPackage v1 channel and a v2
channel live), starts ``airflow standalone`` with the project's DAGs, triggers
``live_event_harvest`` through the REST API for the same few minutes: from the v1 endpoint (with
a MediaConvert MP4 master and thumbnails beside the VOD asset), from the v2 CMAF endpoint (HLS
and DASH), and a highlight of the event whose ends fall between frames (a frame-accurate MP4
clip and its poster frame). It follows the runs and prints their outcomes and S3 URIs.
Everything stays up for exploring; ``make stop`` stops it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pendulum

from devstack.config import Settings
from localrun.seed import seeded
from localrun.standalone import ROOT, AirflowStandalone, airflow_env, stop_pid_file

DAG_ID = "live_event_harvest"
TERMINAL = {"success", "failed"}
MEDIACONVERT = {"mediaconvert": ["mp4", "thumbnails"], "thumbnail_interval_seconds": 30}


def airflow_home() -> Path:
    return Path(os.environ.get("LIVE_TO_VOD_AIRFLOW_HOME", ROOT / "var" / "airflow"))


def airflow_port() -> int:
    return int(os.environ.get("LIVE_TO_VOD_AIRFLOW_PORT", "8080"))


def event_conf(event_id: str, endpoint_id: str, start: pendulum.DateTime, end: pendulum.DateTime) -> dict[str, Any]:
    """The conf of a ``live_event_harvest`` run for one event window (what the demo and the benches trigger)."""
    return {
        "event_id": event_id,
        "origin_endpoint_id": endpoint_id,
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
    }


def v2_event_conf(
    event_id: str, v2: dict[str, Any], endpoint: str, start: pendulum.DateTime, end: pendulum.DateTime
) -> dict[str, str]:
    """The conf of a run harvesting a MediaPackage v2 endpoint of the seeded channel group and channel."""
    return {
        "event_id": event_id,
        "channel_group": v2["channel_group"],
        "channel": v2["channel"],
        "origin_endpoint": endpoint,
        "start_time": start.to_iso8601_string(),
        "end_time": end.to_iso8601_string(),
    }


def follow(airflow: AirflowStandalone, run_id: str, timeout: float = 900) -> str:
    """Print each task's state changes until the run ends; return its state."""
    seen: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    state = "queued"
    while time.monotonic() < deadline:
        for ti in airflow.api.task_instances(DAG_ID, run_id):
            task_state = ti.get("state") or "scheduled"
            name = ti["task_id"] + (f"[{ti['map_index']}]" if ti.get("map_index", -1) >= 0 else "")
            if seen.get(name) != task_state:
                seen[name] = task_state
                print(f"  {pendulum.now('UTC').format('HH:mm:ss')}  {name:<30} {task_state}", flush=True)
        state = airflow.api.run_state(DAG_ID, run_id)
        if state in TERMINAL:
            return state
        time.sleep(2)
    return state


def main() -> int:
    settings = Settings.from_env()
    demo = seeded(settings)
    print(
        f"local media stack at {settings.public_url}; demo channel live (encoder log {settings.home / 'encoder.log'})"
    )

    env = airflow_env(airflow_home(), api_port=airflow_port(), stack_url=settings.public_url, seed=demo)
    airflow = AirflowStandalone(env)
    if not airflow.api.healthy():
        print(f"starting airflow standalone (log {airflow.log_path}) ...", flush=True)
        airflow.start()
    airflow.wait_for_dag(DAG_ID)

    end = pendulum.now("UTC").subtract(minutes=1).start_of("minute")
    start_time = end.subtract(minutes=3)
    name = f"demo-{start_time.format('YYYYMMDD-HHmm')}"
    # The highlight's ends fall between frames and segments: MediaConvert cuts it to the frame.
    clip_start, clip_end = start_time.add(seconds=37, microseconds=420_000), start_time.add(minutes=1, seconds=52.61)
    confs = {
        "MediaPackage v1": {**event_conf(name, demo["endpoint_id"], start_time, end), **MEDIACONVERT},
        # MediaConvert asked for here too: the run says why a CMAF harvest is not transcoded.
        "MediaPackage v2": {
            **v2_event_conf(f"{name}-v2", demo["v2"], demo["v2"]["cmaf_endpoint"], start_time, end),
            **MEDIACONVERT,
        },
        "Highlight clip": {
            **event_conf(f"{name}-clip", demo["endpoint_id"], clip_start, clip_end),
            **MEDIACONVERT,
            "packaging_group_id": "",  # the clip is for social: an MP4, no VOD asset
        },
    }
    runs = {}
    for label, conf in confs.items():
        status, body = airflow.api.start_harvest(conf)  # the board's action: the run id names the event
        if status != 201:
            print(f"the REST API refused the {label} run ({status}): {body}")
            return 1
        runs[label] = body["dag_run_id"]
        print(f"triggered {DAG_ID} run {runs[label]} ({label}) for {conf['start_time']} -> {conf['end_time']}")
    states = {}
    for label, run_id in runs.items():
        print(f"\n{label}:")
        states[label] = follow(airflow, run_id)
    for label, run_id in runs.items():
        print(f"\n== {label} ==")
        report(airflow, run_id, states[label])
    ui = airflow.api.base_url
    print_board(airflow)
    print(f"\nAirflow UI: {ui}/dags/{DAG_ID}  (login: admin / {airflow.api.password})")
    print(f"Live-to-VOD board: {ui}/plugin/live-to-vod-board  (the page alone: {ui}/live-to-vod/board)")
    print(f"logs: {airflow.log_path}; stop everything with: make stop")
    return 0 if all(state == "success" for state in states.values()) else 1


def print_board(airflow: AirflowStandalone) -> None:
    """Today's rows of the board, as its page shows them."""
    status, body = airflow.api.board("GET", "/api/board")
    if status != 200:
        print(f"\nthe board answered {status}: {body}")
        return
    print(f"\n== Live-to-VOD board, {body['day']} ==")
    for row in body["rows"]:
        latency = f"{row['latency_seconds']:.0f} s end to playable" if row["latency_seconds"] is not None else ""
        print(f"  {row['event_id']:<28} {row['output']:<8} {row['stage']:<10} {latency}  {row['reason'] or ''}")


def report(airflow: AirflowStandalone, run_id: str, state: str) -> None:
    print(f"run {run_id}: {state.upper()}")
    summary: dict[str, Any] | None = airflow.api.xcom(DAG_ID, run_id, "harvest.publish", map_index=0)
    verification = airflow.api.xcom(DAG_ID, run_id, "harvest.verify_asset", map_index=0)
    if summary:
        from live_to_vod.pipeline.publish import render_summary

        print(render_summary(summary))
    if verification:
        reads = verification.get("reads") or {}
        how = f" ({reads['mode']}: {reads['probed']} probed, {reads['decoded']} decoded)" if reads else ""
        print(f"  verify        {verification['s3_requests']} S3 requests, {verification['seconds']} s{how}")
    print(f"  run           {airflow.api.base_url}/dags/{DAG_ID}/runs/{run_id}")


def stop() -> None:
    """``python -m localrun stop``: stop the demo's Airflow standalone (``python -m devstack stop`` stops the stack)."""
    if stop_pid_file(airflow_home() / "standalone.pid"):
        print("stopped airflow standalone")
