"""Orchestration overhead of one live_event_harvest run, against a plain boto3 script, in the same run.

    .venv/bin/python bench/orchestration_overhead.py [--events 3] [--harvest-seconds 20] [--no-script]

1. Starts the stack as its own process (``python -m devstack serve``) on a free port with a temp
   data dir and ``DEVSTACK_HARVEST_MIN_SECONDS=20`` (``--harvest-seconds``), so every harvest
   job's own time is ~20 s.
2. Seeds it (no encoder process) and pushes 5 minutes of back-dated content through the ingest
   URL with the synthetic encoder (3 video renditions + AAC audio, 2 s segments).
3. Starts ``airflow standalone`` (``localrun.standalone``) in a temp AIRFLOW_HOME on free ports
   with ``LIVE_TO_VOD_END_MARGIN_SECONDS=0`` and the seeded notification queue, as deployed: job
   completions are pushed to the waits. The bench times jobs from a queue of its own on the same
   EventBridge rules (:func:`bench_stack.observer_queue`), never taking the deployment's messages.
4. For each of ``--events`` events, sequentially: triggers ``live_event_harvest`` through the REST
   API for a 2-minute window of the pushed content and follows it to the end; then does the same
   harvest with a plain boto3 script (create the job, DescribeHarvestJob every 1 s, verify with
   ``verify_vod_asset``, CreateAsset, DescribeAsset every 1 s until PLAYABLE).

Per run: wall time (Airflow: the DagRun's start_date -> end_date from the REST API; script: its
own clock), the harvest job's own time (its CreatedAt -> the ``time`` of its completion event in
the ``harvest-notifications`` SQS queue; both have 1 s resolution), overhead = wall - job time,
and the split by task (task instance start/end/duration from the REST API). Prints the medians and
the overhead ratio = Airflow run wall time / plain script wall time, and how late Airflow saw each
harvest's completion: the completion event's time -> the harvest wait's end and -> the next task's
start (verify_asset). ``--no-script`` skips the plain script (for long harvests, where only the
completion delay is asked). Stops everything at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pendulum

from devstack.net import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stack import observer_queue, seeded_stack  # noqa: E402

DAG_ID = "live_event_harvest"
HARVEST_SECONDS = 20
PREROLL_SECONDS = 300
WINDOW_SECONDS = 120
TERMINAL = {"success", "failed"}


def seconds_between(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    return (pendulum.parse(b) - pendulum.parse(a)).total_seconds()


class Notifications:
    """Completion events of harvest jobs, read from the seeded SQS queue."""

    def __init__(self, sqs: Any, queue_url: str):
        self.sqs = sqs
        self.queue_url = queue_url
        self.seen: dict[str, dict[str, Any]] = {}

    def completion(self, job_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while job_id not in self.seen:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no completion event for harvest job {job_id} in {timeout:.0f} s")
            for message in self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                event = json.loads(message["Body"])
                self.seen[event["detail"]["harvest_job"]["id"]] = event
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.seen[job_id]

    def job_seconds(self, mp: Any, job_id: str) -> float:
        """CreatedAt -> the completion event's time (both whole seconds, UTC)."""
        created = mp.describe_harvest_job(Id=job_id)["CreatedAt"]
        event = self.completion(job_id)
        if event["detail"]["harvest_job"]["status"] != "SUCCEEDED":
            raise RuntimeError(f"harvest job {job_id}: {event['detail']}")
        return seconds_between(created, event["time"])


def airflow_run(airflow: Any, mp: Any, notes: Notifications, conf: dict[str, Any], timeout: float = 900) -> dict:
    status, body = airflow.api.trigger(DAG_ID, conf)
    if status != 200:
        raise RuntimeError(f"the REST API refused the run ({status}): {body}")
    run_id = body["dag_run_id"]
    deadline = time.monotonic() + timeout
    while (state := airflow.api.run_state(DAG_ID, run_id)) not in TERMINAL:
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} still {state} after {timeout:.0f} s; see {airflow.log_path}")
        time.sleep(1)
    run = airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")[1]
    tasks = sorted(airflow.api.task_instances(DAG_ID, run_id), key=lambda ti: ti.get("start_date") or "~")
    if state != "success":
        failed = [ti["task_id"] for ti in tasks if ti.get("state") != "success"]
        raise RuntimeError(f"run {run_id} {state} (tasks {failed}); see {airflow.home}/logs")
    # The event's one output: map index 0 of the mapped harvest group.
    job_id = airflow.api.xcom(DAG_ID, run_id, "harvest.create_harvest_job", map_index=0)["harvest_job_id"]
    verification = airflow.api.xcom(DAG_ID, run_id, "harvest.verify_asset", map_index=0) or {}
    wall = seconds_between(run["start_date"], run["end_date"])
    job = notes.job_seconds(mp, job_id)
    completed_at = notes.completion(job_id)["time"]
    by_id = {ti["task_id"]: ti for ti in tasks}
    wait, verify = by_id["harvest.wait_for_harvest"], by_id["harvest.verify_asset"]
    split = []
    previous_end = run["start_date"]
    for ti in tasks:
        split.append(
            {
                "task_id": ti["task_id"],
                "wait_before": round(seconds_between(previous_end, ti.get("start_date")) or 0.0, 2),
                "duration": round(ti.get("duration") or 0.0, 2),
                "start": ti.get("start_date"),
                "end": ti.get("end_date"),
                "try_number": ti.get("try_number"),
            }
        )
        previous_end = ti.get("end_date") or previous_end
    return {
        "run_id": run_id,
        "harvest_job_id": job_id,
        "queued_to_start": round(seconds_between(run.get("queued_at"), run["start_date"]) or 0.0, 2),
        "wall": round(wall, 2),
        "job": round(job, 2),
        "overhead": round(wall - job, 2),
        # The event's time has whole seconds: these are late by up to 1 s more than measured.
        "completion_to_wait_end": round(seconds_between(completed_at, wait.get("end_date")), 2),
        "completion_to_next_task": round(seconds_between(completed_at, verify.get("start_date")), 2),
        "task_seconds": round(sum(t["duration"] for t in split), 2),
        "between_tasks": round(
            sum(t["wait_before"] for t in split) + seconds_between(previous_end, run["end_date"]), 2
        ),
        "verify_seconds": verification.get("seconds"),
        "verify_requests": verification.get("s3_requests"),
        "tasks": split,
    }


def plain_run(c: dict[str, Any], notes: Notifications, demo: dict[str, Any], event_id: str, start, end) -> dict:
    """The same harvest without an orchestrator: what the DAG does, in a straight line."""
    from live_to_vod.config import DeploymentConfig
    from live_to_vod.harvest_request import HarvestWindow
    from live_to_vod.naming import harvest_job_id
    from live_to_vod.verification import MiB, S3AssetStore, verify_vod_asset

    mp, vod, s3 = c["mediapackage"], c["mediapackage-vod"], c["s3"]
    window = HarvestWindow(start, end)
    start_time, end_time = window.harvest_times()
    manifest_key = f"{event_id}/index.m3u8"
    # Named as the DAG names its jobs, so harvest_notifications leaves it alone (as it leaves the DAG's
    # own) instead of verifying and handing it off beside the measurement.
    job_id = harvest_job_id(event_id, demo["endpoint_id"], window)
    t0 = time.perf_counter()
    mp.create_harvest_job(
        Id=job_id,
        OriginEndpointId=demo["endpoint_id"],
        StartTime=start_time,
        EndTime=end_time,
        S3Destination={"BucketName": demo["bucket"], "ManifestKey": manifest_key, "RoleArn": demo["harvest_role_arn"]},
    )
    while (status := mp.describe_harvest_job(Id=job_id)["Status"]) == "IN_PROGRESS":
        time.sleep(1)
    harvested = time.perf_counter()
    if status != "SUCCEEDED":
        raise RuntimeError(f"plain harvest {event_id} {status}")
    store = S3AssetStore(s3, demo["bucket"])
    # As the DAG's verify_asset does it by default: every segment decoded up to the deployment's limit.
    full_max_bytes = DeploymentConfig.from_env().verify_full_max_mib * MiB
    report = verify_vod_asset(store, manifest_key, window.start, window.end, full_max_bytes=full_max_bytes)
    if not report.ok:
        raise RuntimeError(report.summary())
    verified = time.perf_counter()
    vod.create_asset(
        Id=job_id,
        PackagingGroupId=demo["packaging_group_id"],
        SourceArn=f"arn:aws:s3:::{demo['bucket']}/{manifest_key}",
        SourceRoleArn=demo["vod_role_arn"],
        ResourceId=event_id,
    )
    while True:
        endpoints = vod.describe_asset(Id=job_id).get("EgressEndpoints", [])
        if endpoints and all(e.get("Status") == "PLAYABLE" for e in endpoints):
            break
        if any(e.get("Status") == "FAILED" for e in endpoints):
            raise RuntimeError(f"plain VOD asset {event_id} FAILED: {endpoints}")
        time.sleep(1)
    done = time.perf_counter()
    wall = done - t0
    job = notes.job_seconds(mp, job_id)
    return {
        "harvest_job_id": job_id,
        "wall": round(wall, 2),
        "job": round(job, 2),
        "overhead": round(wall - job, 2),
        "harvest_wait": round(harvested - t0, 2),
        "verify": round(verified - harvested, 2),
        "vod": round(done - verified, 2),
        "verify_requests": store.requests,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3, help="events (Airflow runs, and as many plain runs)")
    parser.add_argument("--harvest-seconds", type=int, default=HARVEST_SECONDS, help="each harvest job's own time")
    parser.add_argument("--no-script", action="store_true", help="no plain-script runs: the completion delay only")
    args = parser.parse_args()

    from localrun.demo import event_conf
    from localrun.standalone import AirflowStandalone, airflow_env

    airflow = None
    with seeded_stack(
        "bench-orchestration-",
        harvest_seconds=args.harvest_seconds,
        preroll_seconds=PREROLL_SECONDS,
        vod_min_seconds=None,
    ) as stack:
        try:
            home, settings, demo, c = stack.home, stack.settings, stack.demo, stack.clients
            print(f"pushed {PREROLL_SECONDS} s of content through ingest in {stack.push_seconds:.1f} s", flush=True)
            # Every run harvests the same 2 minutes (different event ids, so different jobs and assets).
            start = stack.content_start.add(seconds=31)
            end = start.add(seconds=WINDOW_SECONDS)
            notes = Notifications(c["sqs"], observer_queue(c, demo))

            api_port = free_port(span=3)
            airflow_env_vars = airflow_env(
                home / "airflow",
                api_port=api_port,
                stack_url=settings.public_url,
                seed=demo,
                LIVE_TO_VOD_END_MARGIN_SECONDS="0",
            )
            airflow = AirflowStandalone(airflow_env_vars)
            t0 = time.perf_counter()
            airflow.start()
            airflow.wait_for_dag(DAG_ID)
            print(f"airflow standalone up in {time.perf_counter() - t0:.1f} s (log {airflow.log_path})", flush=True)

            tag = pendulum.now("UTC").format("HHmmss")
            airflow_runs, plain_runs = [], []
            for k in range(1, args.events + 1):
                conf = event_conf(f"bench-{tag}-{k}", demo["endpoint_id"], start, end)
                result = airflow_run(airflow, c["mediapackage"], notes, conf)
                airflow_runs.append(result)
                print(
                    f"event {k} airflow: wall {result['wall']:.1f} s, job {result['job']:.0f} s, "
                    f"overhead {result['overhead']:.1f} s (tasks {result['task_seconds']:.1f} s, "
                    f"between tasks {result['between_tasks']:.1f} s)",
                    flush=True,
                )
                for t in result["tasks"]:
                    print(f"    {t['task_id']:<20} waited {t['wait_before']:6.2f} s, ran {t['duration']:6.2f} s")
                print(
                    f"    completion -> wait end {result['completion_to_wait_end']:.1f} s, "
                    f"-> next task {result['completion_to_next_task']:.1f} s",
                    flush=True,
                )
                if args.no_script:
                    continue
                plain = plain_run(c, notes, demo, f"plain-{tag}-{k}", start, end)
                plain_runs.append(plain)
                print(
                    f"event {k} plain script: wall {plain['wall']:.1f} s, job {plain['job']:.0f} s, "
                    f"overhead {plain['overhead']:.1f} s (verify {plain['verify']:.2f} s, VOD {plain['vod']:.1f} s)",
                    flush=True,
                )

            def median(runs: list[dict], key: str) -> float:
                return round(statistics.median(r[key] for r in runs), 2)

            task_ids = [t["task_id"] for t in airflow_runs[0]["tasks"]]
            by_task = {
                task_id: {
                    "median_wait_before": round(
                        statistics.median(
                            t["wait_before"] for r in airflow_runs for t in r["tasks"] if t["task_id"] == task_id
                        ),
                        2,
                    ),
                    "median_duration": round(
                        statistics.median(
                            t["duration"] for r in airflow_runs for t in r["tasks"] if t["task_id"] == task_id
                        ),
                        2,
                    ),
                }
                for task_id in task_ids
            }
            result: dict[str, Any] = {
                "date": pendulum.now("UTC").to_date_string(),
                "events": args.events,
                "window_seconds": WINDOW_SECONDS,
                "harvest_min_seconds": args.harvest_seconds,
                "airflow": {
                    "median_wall": median(airflow_runs, "wall"),
                    "median_job": median(airflow_runs, "job"),
                    "median_overhead": median(airflow_runs, "overhead"),
                    "median_between_tasks": median(airflow_runs, "between_tasks"),
                    "max_completion_to_wait_end": max(r["completion_to_wait_end"] for r in airflow_runs),
                    "max_completion_to_next_task": max(r["completion_to_next_task"] for r in airflow_runs),
                    "by_task": by_task,
                    "runs": [{k: v for k, v in r.items() if k != "tasks"} for r in airflow_runs],
                },
            }
            for t in airflow_runs[0]["tasks"]:  # the first run's tasks start cold
                by_task[t["task_id"]]["first_run_duration"] = t["duration"]
            from recording import record  # bench/ is on sys.path (above)

            summary = (
                f"airflow run: median wall {result['airflow']['median_wall']:.1f} s, overhead "
                f"{result['airflow']['median_overhead']:.1f} s over a "
                f"{result['airflow']['median_job']:.0f} s harvest job; completion -> next task at most "
                f"{result['airflow']['max_completion_to_next_task']:.1f} s"
            )
            if plain_runs:
                result["plain_script"] = {
                    "median_wall": median(plain_runs, "wall"),
                    "median_job": median(plain_runs, "job"),
                    "median_overhead": median(plain_runs, "overhead"),
                    "median_vod": median(plain_runs, "vod"),  # the script's VOD hand-off
                    "runs": plain_runs,
                }
                result["overhead_ratio_airflow_over_plain"] = round(
                    result["airflow"]["median_wall"] / result["plain_script"]["median_wall"], 2
                )
                summary += (
                    f"; plain script: median wall {result['plain_script']['median_wall']:.1f} s, overhead "
                    f"{result['plain_script']['median_overhead']:.1f} s; "
                    f"ratio {result['overhead_ratio_airflow_over_plain']}x"
                )
            print(json.dumps(result, indent=2))
            # A --no-script run answers one question (how late a completion is seen): its own table.
            record("orchestration_overhead", result, sys.argv)
            print(summary)
            return 0
        finally:
            if airflow is not None:
                airflow.stop()


if __name__ == "__main__":
    sys.exit(main())
