"""Many events in flight at once on the Celery topology: deferred harvest waits vs a poke-mode sensor.

    .venv/bin/python bench/celery_events_in_flight.py [--events 200] [--harvest-seconds 60]

1. Starts the local media stack as its own process with ``DEVSTACK_HARVEST_MIN_SECONDS`` (each
   harvest job stays IN_PROGRESS that long: a realistic minute) and pushes 5 minutes of back-dated
   content through the ingest URL (3 video renditions + audio, 2 s segments).
2. For each mode, a fresh production topology (``localrun.topology.CeleryTopology``: a new Postgres
   database, a Redis broker namespace, scheduler, dag-processor, triggerer, api-server and two
   Celery workers at the default 16 slots each) runs ``--events`` runs of ``live_event_harvest``,
   all triggered at once through the REST API, each its own event (own harvest job and VOD asset)
   over the same 60 s window:
   - ``deferrable``: the project's default (``[operators] default_deferrable``): the harvest and
     VOD waits are deferred to the triggerer;
   - ``poke``: the same DAG with ``default_deferrable`` off and ``LIVE_TO_VOD_SENSOR_MODE=poke``:
     every waiting harvest holds a worker slot, as a classic poke sensor does.
3. Measures: wall time from the first trigger until every run has finished, events per minute,
   the peak of worker slots busy (task instances ``running``) and of those busy on
   ``harvest.wait_for_harvest`` (sampled every 2 s), the peak of deferred task instances, and the
   CPU seconds of every Airflow process (all services, workers and their task processes) per event.
   Also counts harvest jobs and VOD assets afterwards: one each per event, no duplicates.
   Both modes run with the seeded notification queue, as deployed (``harvest_notifications`` runs
   on its batches; in deferrable mode the waits wake on the completion events).
4. ``--verify-segments`` (default ``sampled``) is each run's ``verify_segments``: what ``auto``
   picks for a real game (hours of content, above ``LIVE_TO_VOD_VERIFY_FULL_MAX_MIB``). Under
   ``auto`` these 60 s windows would be decoded in full, a verification cost (measured on its own
   by ``bench/verify_asset.py``) that would swamp the orchestration cost this bench measures.
5. ``--slots N`` sets each worker's slots (``[celery] worker_concurrency``, default 16): with long
   harvests and few slots, slots rather than CPU bind the poke baseline.
6. ``--arrival-seconds S`` triggers the events S seconds apart instead of all at once, as events
   end over a game day. All at once, the scheduler runs every ``create_harvest_job`` before any wait
   (upstream tasks weigh more), so every job runs side by side and a poke sensor finds its job done
   whatever the slots; staggered, a later event's tasks queue behind the sensors holding the slots.
   Also reported: each run's time from its trigger to its end (mean and worst).
7. ``--modes deferrable,floor`` adds Airflow's own cost of the pipeline's shape: the same topology
   and settings running ``floor_dags/orchestration_floor.py``, the DAG's tasks, mapping, trigger
   rules, XCom wiring and deferrals with every task a no-op and a ``--harvest-seconds`` wait in the
   triggerer. What the pipeline costs above it is the project's own; the floor is Airflow's.
8. ``--scheduler-idle-sleep S`` overrides ``[scheduler] scheduler_idle_sleep_time`` (the deployment's
   0.1 s, chosen for the time from a task's end to the next task's start) in every mode.

Prints a table and the ratio deferrable/poke of events per minute (target >= 2x; CPU <= 2.5 s per event; no slot held
by a waiting harvest in deferrable mode). Needs PostgreSQL and Redis on 127.0.0.1 (as CI has).
``max_active_tasks_per_dag`` is raised to 64 in both modes so that the two workers' 32 slots, not
Airflow's per-DAG default of 16, bound the poke baseline.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pendulum
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stack import events_parser, seeded_stack, topology_unavailable  # noqa: E402

DAG_ID = "live_event_harvest"
PREROLL_SECONDS = 300
WINDOW_SECONDS = 60
PRELOAD = {"AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "live_to_vod.pipeline.celery_config.CELERY_CONFIG"}
NO_PRELOAD = {
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "airflow.providers.celery.executors.default_celery.DEFAULT_CELERY_CONFIG"
}
DEFERRABLE = {"AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True", **PRELOAD}
MODES = {
    "deferrable": DEFERRABLE,
    "poke": {"AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "False", "LIVE_TO_VOD_SENSOR_MODE": "poke", **PRELOAD},
    # Not run by default: what importing the pipeline once per worker (live_to_vod.pipeline.celery_config) saves.
    "deferrable-no-preload": {"AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True", **NO_PRELOAD},
    # Not run by default: Airflow's own cost of the pipeline's shape, every task a no-op (floor_dags/).
    "floor": {**DEFERRABLE, "AIRFLOW__CORE__DAGS_FOLDER": str(Path(__file__).resolve().parent / "floor_dags")},
}
#: The DAG each mode runs (the others run live_event_harvest).
MODE_DAGS = {"floor": "orchestration_floor"}
SAMPLE_SECONDS = 2
TRIGGER_ATTEMPTS = 5
COMMON = {
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "64",
    # Production parse intervals (the compose file's), not the quick ones of local development.
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "300",
    "LIVE_TO_VOD_END_MARGIN_SECONDS": "0",
    # The seeded notification queue stays on, as deployed: completions are pushed to the waits, and
    # the harvest_notifications runs the completions cause are part of the cost.
}


def cpu_seconds(processes: dict[str, int]) -> dict[str, float]:
    """CPU time per service: the process and every descendant, including descendants already reaped."""
    totals: dict[str, float] = {}
    for name, pid in processes.items():
        total = 0.0
        try:
            root = psutil.Process(pid)
            family = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        for proc in family:
            try:
                t = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        service = name.rsplit("-", 1)[0] if name.startswith("airflow-worker-") else name
        totals[service] = totals.get(service, 0.0) + total
    return totals


def task_states(cursor: Any, dag_id: str) -> dict[str, dict[str, int]]:
    """{state: {task_id: task instances}} of the DAG's running and deferred task instances."""
    cursor.execute(
        "SELECT state, task_id, count(*) FROM task_instance WHERE dag_id = %s AND state IN ('running', 'deferred')"
        " GROUP BY state, task_id",
        (dag_id,),
    )
    states: dict[str, dict[str, int]] = {}
    for state, task_id, n in cursor.fetchall():
        states.setdefault(state, {})[task_id] = n
    return states


def run_mode(
    mode: str,
    events: int,
    base: Path,
    settings: Any,
    demo: dict,
    window: tuple,
    c: dict,
    slots: int,
    verify_segments: str,
    arrival_seconds: float = 0.0,
    harvest_seconds: float = 60.0,
    scheduler_idle_sleep: float | None = None,
) -> dict:
    from localrun.demo import event_conf
    from localrun.topology import CeleryTopology

    topology = CeleryTopology(
        base / mode,
        stack_url=settings.public_url,
        seed=demo,
        workers=2,
        **COMMON,
        **MODES[mode],
        AIRFLOW__CELERY__WORKER_CONCURRENCY=str(slots),
        FLOOR_HARVEST_SECONDS=str(harvest_seconds),  # read only by the floor's DAG
        **(
            {"AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": str(scheduler_idle_sleep)}
            if scheduler_idle_sleep is not None
            else {}
        ),
    )
    dag_id = MODE_DAGS.get(mode, DAG_ID)
    t0 = time.perf_counter()
    topology.start()
    print(f"[{mode}] topology up in {time.perf_counter() - t0:.0f} s", flush=True)
    try:
        topology.wait_for_dag(dag_id)
        api = topology.api
        pids = {name: p.pid for name, p in topology.processes.items()}
        cpu_before = cpu_seconds(pids)
        start, end = window
        prefix = f"bench-{mode}"
        started = time.perf_counter()
        pending = list(range(events))

        def trigger_due() -> None:
            """Trigger every event whose arrival has come (all of them at once without arrival_seconds)."""
            while pending and time.perf_counter() - started >= pending[0] * arrival_seconds:
                i = pending.pop(0)
                conf = event_conf(f"{prefix}-{i:03d}", demo["endpoint_id"], start, end)
                conf["verify_segments"] = verify_segments
                trigger_once(dag_id, conf, run_id=f"manual__{prefix}-{i:03d}")

        def trigger_once(dag_id: str, conf: dict, run_id: str) -> None:
            """One run, by its own run id: a retry after a 5xx (the api-server's database pool can time
            out while 2 cores are saturated) finds the run if the first try made it (409), never two."""
            for attempt in range(TRIGGER_ATTEMPTS):
                status, body = api.trigger(dag_id, conf, run_id=run_id)
                if status == 200 or (status == 409 and attempt):
                    return
                if status < 500:
                    break
                print(f"[{mode}] trigger of {run_id}: {status}, retrying", flush=True)
                time.sleep(2)
            raise RuntimeError(f"trigger refused: {status} {body}")

        trigger_due()
        triggered = time.perf_counter() - started
        peak_busy = peak_wait_busy = peak_deferred = 0
        wait_slot_seconds = 0.0  # sampled: worker slots busy on harvest.wait_for_harvest x time
        finished = 0
        last_sample = time.perf_counter()
        # Sampled from the metadata database, not the REST API: the observer's own requests would be
        # billed to the api-server's CPU (four list calls every 2 s, for the whole run).
        with topology.connect() as connection, connection.cursor() as cursor:
            while True:
                trigger_due()
                states = task_states(cursor, dag_id)
                running = sum(states.get("running", {}).values())
                waiting = states.get("running", {}).get("harvest.wait_for_harvest", 0)
                peak_busy = max(peak_busy, running)
                now = time.perf_counter()
                wait_slot_seconds += waiting * (now - last_sample)
                last_sample = now
                peak_wait_busy = max(peak_wait_busy, waiting)
                peak_deferred = max(peak_deferred, sum(states.get("deferred", {}).values()))
                cursor.execute("SELECT state, count(*) FROM dag_run WHERE dag_id = %s GROUP BY state", (dag_id,))
                run_states = dict(cursor.fetchall())
                succeeded, failed = run_states.get("success", 0), run_states.get("failed", 0)
                if succeeded + failed != finished:
                    finished = succeeded + failed
                    print(
                        f"[{mode}] {time.perf_counter() - started:6.0f} s  {finished}/{events} finished"
                        f"  busy slots {running}  deferred peak {peak_deferred}",
                        flush=True,
                    )
                if finished >= events:
                    break
                time.sleep(SAMPLE_SECONDS)
            wall = time.perf_counter() - started
            # Each run from its trigger (queued) to its end: what an event waits for its asset.
            cursor.execute(
                "SELECT avg(extract(epoch FROM end_date - queued_at)), max(extract(epoch FROM end_date - queued_at))"
                " FROM dag_run WHERE dag_id = %s",
                (dag_id,),
            )
            mean_run, worst_run = (float(v) for v in cursor.fetchone())
        cpu_after = cpu_seconds(pids)
        cpu_by_service = {k: round(cpu_after[k] - cpu_before.get(k, 0.0), 1) for k in cpu_after}
        cpu = sum(cpu_by_service.values())
        jobs = [j for j in _all_jobs(c["mediapackage"]) if j["Id"].startswith(prefix)]
        assets = [a for a in _all_assets(c["mediapackage-vod"]) if a["Id"].startswith(prefix)]
        return {
            "mode": mode,
            "events": events,
            "succeeded": succeeded,
            "failed": failed,
            "trigger_seconds": round(triggered, 1),
            "wall_seconds": round(wall, 1),
            "events_per_minute": round(events / (wall / 60), 2),
            "run_seconds_mean": round(mean_run, 1),
            "run_seconds_worst": round(worst_run, 1),
            "peak_busy_slots": peak_busy,
            "peak_slots_on_harvest_wait": peak_wait_busy,
            "slot_seconds_on_harvest_wait_per_event": round(wait_slot_seconds / events, 1),
            "peak_deferred": peak_deferred,
            "cpu_seconds_per_event": round(cpu / events, 2),
            **{f"cpu_seconds_{k}": v for k, v in sorted(cpu_by_service.items())},
            "harvest_jobs": len(jobs),
            "vod_assets": len(assets),
        }
    finally:
        topology.stop()


def _all_jobs(mp: Any) -> list[dict]:
    return [j for page in mp.get_paginator("list_harvest_jobs").paginate() for j in page["HarvestJobs"]]


def _all_assets(vod: Any) -> list[dict]:
    return [a for page in vod.get_paginator("list_assets").paginate() for a in page["Assets"]]


def main() -> int:
    parser = events_parser(__doc__, events=200, harvest_seconds=60, per="mode")
    parser.add_argument("--modes", default="deferrable,poke", help="comma-separated: deferrable, poke, floor")
    parser.add_argument("--slots", type=int, default=16, help="worker slots per Celery worker (2 workers)")
    parser.add_argument("--verify-segments", default="sampled", help="each run's verify_segments (auto, sampled, full)")
    parser.add_argument(
        "--arrival-seconds", type=float, default=0.0, help="seconds between the events' triggers (0: all at once)"
    )
    parser.add_argument(
        "--scheduler-idle-sleep",
        type=float,
        default=None,
        help="[scheduler] scheduler_idle_sleep_time in seconds (default: the deployment's setting)",
    )
    args = parser.parse_args()

    if topology_unavailable():
        return 2
    results = []
    with seeded_stack("bench-celery-", harvest_seconds=args.harvest_seconds, preroll_seconds=PREROLL_SECONDS) as stack:
        start = stack.content_start.add(seconds=31)
        window = (start, start.add(seconds=WINDOW_SECONDS))
        print(f"{args.events} events per mode, harvest jobs {args.harvest_seconds:.0f} s each; data in {stack.home}")
        for mode in args.modes.split(","):
            results.append(
                run_mode(
                    mode.strip(),
                    args.events,
                    stack.home,
                    stack.settings,
                    stack.demo,
                    window,
                    stack.clients,
                    args.slots,
                    args.verify_segments,
                    args.arrival_seconds,
                    args.harvest_seconds,
                    args.scheduler_idle_sleep,
                )
            )

    keys = list(dict.fromkeys(k for r in results for k in r if k != "mode"))
    print(f"\n{'':40}" + "".join(f"{r['mode']:>22}" for r in results))
    for key in keys:
        print(f"{key:40}" + "".join(f"{r.get(key, '-')!s:>22}" for r in results))
    by_mode = {r["mode"]: r for r in results}
    result = {
        "date": pendulum.now("UTC").to_date_string(),
        "events": args.events,
        "harvest_seconds": args.harvest_seconds,
        "worker_slots": 2 * args.slots,  # run_mode's two Celery workers
        "verify_segments": args.verify_segments,
        "arrival_seconds": args.arrival_seconds,
        **({"scheduler_idle_sleep_time": args.scheduler_idle_sleep} if args.scheduler_idle_sleep is not None else {}),
        "modes": by_mode,
        "ratio_deferrable_over_poke": None,
        "target_ratio_min": 2.0,
        "target_cpu_seconds_per_event_max": 2.5,
    }
    if {"deferrable", "poke"} <= by_mode.keys():
        ratio = by_mode["deferrable"]["events_per_minute"] / by_mode["poke"]["events_per_minute"]
        result["ratio_deferrable_over_poke"] = round(ratio, 2)
        print(f"\nevents/min deferrable / poke: {ratio:.2f}x (target >= {result['target_ratio_min']:g}x)")
        print(f"CPU seconds per event, deferrable: {by_mode['deferrable']['cpu_seconds_per_event']} (target <= 2.5)")
        held = by_mode["deferrable"]["slot_seconds_on_harvest_wait_per_event"]
        poked = by_mode["poke"]["slot_seconds_on_harvest_wait_per_event"]
        print(
            f"worker slot-seconds per event on the harvest wait: deferrable {held}, poke {poked} "
            "(deferrable: only the moments of deferring and resuming; target: none while the job runs)"
        )
    import json

    from recording import record  # bench/ is on sys.path (above)

    print(json.dumps(result, indent=2))
    record("celery_events_in_flight", result, sys.argv)
    print(f"measured {pendulum.now('UTC').to_iso8601_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
