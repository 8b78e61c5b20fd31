"""Soak under AWS faults: many events with throttled and failing AWS calls, against a fault-free run.

    .venv/bin/python bench/soak_faults.py [--events 100] [--harvest-seconds 20]

1. Starts the local media stack as its own process with ``DEVSTACK_HARVEST_MIN_SECONDS`` (each
   harvest job stays IN_PROGRESS that long) and pushes 5 minutes of back-dated content through the
   ingest URL (3 video renditions + audio, 2 s segments), as ``bench/celery_events_in_flight.py``.
2. Two passes over the same ``--events`` events and the same back-dated 60 s window, each on a
   fresh production topology (``localrun.topology.CeleryTopology``: a new Postgres database, a
   Redis broker namespace, scheduler, dag-processor, triggerer, api-server and two Celery workers),
   deferrable operators and the notification queue on (its asset watcher polls SQS in the
   triggerer), every run of ``live_event_harvest`` triggered at once through the REST API, each
   its own event (``soak-free-0001``..., ``soak-fault-0001``...):
   - ``fault-free``: no fault rules;
   - ``faults``: before the first trigger, two rules on every signed AWS call the stack serves
     (``service`` and ``operation`` ``*``: MediaPackage, MediaPackage VOD, S3, IAM, and the SQS
     calls of the asset watcher), seeded so a run is repeatable: ``throttle`` on ``--throttle-rate``
     of all calls and ``error`` (5xx) on ``--error-rate`` of all calls. A call gets at most one of
     them and the throttle rule is asked first, so the error rule's own rate is
     ``error_rate / (1 - throttle_rate)`` of the calls it sees. Every retried attempt is a call.
   The pipeline's own retries do the rest: botocore standard mode, 10 attempts per call
   (``aws_default``, ``localrun.standalone.AWS_RETRIES``), and 3 task retries per task.
3. Measures per pass: wall time from the first trigger until every run has finished, events per
   minute, runs succeeded/failed, task retries used (sum of ``try_number - 1`` over every task
   instance, from the REST API, and which tasks retried, with the error of each failed try), the
   rules' ``matched`` (calls seen) and ``fired`` counts when the last run finished, and afterwards
   harvest jobs and VOD assets per event: one each; more is a duplicate, none is missing.

Prints a table and the slowdown (faults wall / fault-free wall). Targets: every run succeeds and
no event has a duplicate or missing job or asset, in both passes; exits 1 otherwise, 2 when the
topology cannot run here. Needs PostgreSQL and Redis on 127.0.0.1 (as CI has). The stack's
faults answer before serving the call (nothing happened), so a retried create is never a
duplicate from the service's side: the pipeline's idempotency is tested on its retries only.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pendulum

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stack import events_parser, seeded_stack, topology_unavailable  # noqa: E402
from celery_events_in_flight import (  # noqa: E402
    COMMON,
    DAG_ID,
    MODES,
    PREROLL_SECONDS,
    WINDOW_SECONDS,
    _all_assets,
    _all_jobs,
    count,
)

NOTIFICATIONS_DAG_ID = "harvest_notifications"
PASSES = {"fault-free": "soak-free-", "faults": "soak-fault-"}
SAMPLE_SECONDS = 2
DRAIN_SECONDS = 120  # after the runs: the notification DAG's last runs and the queue, before stopping
# The celery bench's settings (production parse intervals, 64 tasks per DAG, no end margin) and its
# default mode (deferrable, pipeline preloaded in the workers), but with the notification queue of the
# seed: its asset watcher is an AWS client too, and takes the faults like the rest.
ENV = {k: v for k, v in {**COMMON, **MODES["deferrable"]}.items() if k != "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL"}


def fault_rules(throttle_rate: float, error_rate: float, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """The faults pass's rules, throttle first: the error rule only sees calls the throttle let through."""
    if throttle_rate + error_rate > 1:
        raise ValueError("throttle and error rates add up to more than every call")
    conditional = error_rate / (1 - throttle_rate) if throttle_rate < 1 else 0.0
    return [
        ("throttle", {"service": "*", "operation": "*", "rate": throttle_rate, "seed": seed}),
        ("error", {"service": "*", "operation": "*", "rate": round(conditional, 6), "seed": seed + 1}),
    ]


def run_pass(
    name: str,
    events: int,
    base: Path,
    settings: Any,
    demo: dict,
    window: tuple,
    c: dict,
    rules: list[tuple[str, dict[str, Any]]],
    timeout: float,
) -> dict:
    from devstack.faults import FaultControl
    from localrun.demo import event_conf
    from localrun.topology import CeleryTopology

    faults = FaultControl(settings.public_url)
    topology = CeleryTopology(base / name, stack_url=settings.public_url, seed=demo, workers=2, **ENV)
    t0 = time.perf_counter()
    topology.start()
    print(f"[{name}] topology up in {time.perf_counter() - t0:.0f} s", flush=True)
    try:
        topology.wait_for_dag(DAG_ID)
        topology.wait_for_dag(NOTIFICATIONS_DAG_ID)  # its asset watcher polls the queue from now on
        api = topology.api
        faults.clear()
        added = [faults.add(kind, **fields) for kind, fields in rules]
        start, end = window
        prefix = PASSES[name]
        event_of_run: dict[str, str] = {}
        started = time.perf_counter()
        for i in range(1, events + 1):
            event_id = f"{prefix}{i:04d}"
            status, body = api.trigger(DAG_ID, event_conf(event_id, demo["endpoint_id"], start, end))
            if status != 200:
                raise RuntimeError(f"trigger refused: {status} {body}")
            event_of_run[body["dag_run_id"]] = event_id
        triggered = time.perf_counter() - started
        runs = f"/dags/{DAG_ID}/dagRuns"
        finished = 0
        while True:
            succeeded = count(api, f"{runs}?state=success&limit=1")
            failed = count(api, f"{runs}?state=failed&limit=1")
            if succeeded + failed != finished:
                finished = succeeded + failed
                print(
                    f"[{name}] {time.perf_counter() - started:6.0f} s  {finished}/{events} finished ({failed} failed)",
                    flush=True,
                )
            if finished >= events or time.perf_counter() - started > timeout:
                break
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - started
        stats = [faults.get(rule["id"]) for rule in added]
        faults.clear()  # the bench's own boto3 calls below are not part of the soak
        states, retries, retried, errors = task_retries(api, event_of_run)
        drained = drain_notifications(api, c["sqs"], demo["queue_url"])
        notification_runs = {
            state: n
            for state in ("success", "failed", "running", "queued")
            if (n := count(api, f"/dags/{NOTIFICATIONS_DAG_ID}/dagRuns?state={state}&limit=1"))
        }
        event_ids = list(event_of_run.values())
        jobs = per_event([j["Id"] for j in _all_jobs(c["mediapackage"])], prefix, event_ids)
        assets = per_event([a["Id"] for a in _all_assets(c["mediapackage-vod"])], prefix, event_ids)
        result: dict[str, Any] = {
            "pass": name,
            "events": events,
            "succeeded": succeeded,
            "failed": failed,
            "unfinished": events - succeeded - failed,
            "trigger_seconds": round(triggered, 1),
            "wall_seconds": round(wall, 1),
            "events_per_minute": round(events / (wall / 60), 2),
            "task_instances": sum(states.values()),
            "task_retries": retries,
            "harvest_jobs": sum(jobs.values()),
            "duplicate_jobs": sum(max(n - 1, 0) for n in jobs.values()),
            "events_without_job": sum(1 for n in jobs.values() if n == 0),
            "vod_assets": sum(assets.values()),
            "duplicate_assets": sum(max(n - 1, 0) for n in assets.values()),
            "events_without_asset": sum(1 for n in assets.values() if n == 0),
            "notification_runs": " ".join(f"{k}:{v}" for k, v in sorted(notification_runs.items())) or "none",
            "queue_drained": drained,
        }
        total_calls = stats[0]["matched"] if stats else 0
        for rule in stats:
            share = f" ({100 * rule['fired'] / total_calls:.1f}% of calls)" if total_calls else ""
            result[f"{rule['kind']}_rule_matched"] = rule["matched"]
            result[f"{rule['kind']}_rule_fired"] = f"{rule['fired']}{share}"
        result["_retried"] = retried
        result["_errors"] = errors
        result["_bad_states"] = {s: n for s, n in states.items() if s != "success"}
        return result
    finally:
        try:
            faults.clear()
        except (OSError, ValueError):
            pass
        topology.stop()


def per_event(ids: list[str], prefix: str, event_ids: list[str]) -> dict[str, int]:
    """How many of the pass's ``ids`` (``{event_id}-{digest}[-rN]``) each event has; none counts 0."""
    found = Counter({event_id: 0 for event_id in event_ids})
    for resource_id in (i for i in ids if i.startswith(prefix)):
        match = re.fullmatch(r"(.+)-[0-9a-f]{12}(?:-r[0-9]+)?", resource_id)
        found[match.group(1) if match else resource_id] += 1
    return dict(found)


def task_retries(api: Any, event_of_run: dict[str, str]) -> tuple[Counter, int, Counter, list[str]]:
    """(task instance states, sum of try_number - 1, retried tries per task, an error per failed try)."""
    states: Counter = Counter()
    retried: Counter = Counter()
    errors: list[str] = []
    total = 0
    for run_id, event_id in event_of_run.items():
        status, body = api.call("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=100")
        if status != 200:
            raise RuntimeError(f"task instances of {run_id}: {status} {body}")
        for ti in body["task_instances"]:
            states[ti["state"]] += 1
            tries = int(ti.get("try_number") or 0)
            extra = max(tries - 1, 0)
            total += extra
            if extra:
                retried[ti["task_id"]] += extra
            failed_tries = list(range(1, tries)) + ([tries] if ti["state"] in ("failed", "upstream_failed") else [])
            for attempt in failed_tries:
                where = f"{event_id} {ti['task_id']}" + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else "")
                errors.append(f"{where} try {attempt}: {try_error(api, run_id, ti, attempt)}")
    return states, total, retried, errors


def try_error(api: Any, run_id: str, ti: dict, attempt: int) -> str:
    """The error lines of one try's log (best effort: the log as the REST API serves it)."""
    path = (
        f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{attempt}"
        f"?map_index={ti['map_index']}&full_content=true"
    )
    status, body = api.call("GET", path)
    if status != 200 or not isinstance(body, dict):
        return f"(log unavailable: {status})"
    found = []
    for entry in body.get("content") or []:
        if not isinstance(entry, dict) or str(entry.get("level", "")).lower() not in ("error", "critical"):
            continue
        text = str(entry.get("event", ""))
        for detail in entry.get("error_detail") or []:
            text += f" | {detail.get('exc_type')}: {detail.get('exc_value')}"
        found.append(" ".join(text.split())[:300])
    return " // ".join(found[-2:]) or "(no error line in the log)"


def drain_notifications(api: Any, sqs: Any, queue_url: str) -> bool:
    """Wait until the notification queue is empty and the notification DAG idle (bounded)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    base = f"/dags/{NOTIFICATIONS_DAG_ID}/dagRuns"
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        queued = sum(int(v) for v in attributes.values())
        active = sum(count(api, f"{base}?state={s}&limit=1") for s in ("queued", "running"))
        if queued == 0 and active == 0:
            return True
        time.sleep(SAMPLE_SECONDS)
    return False


def main() -> int:
    parser = events_parser(__doc__, events=100, harvest_seconds=20, per="pass")
    parser.add_argument("--throttle-rate", type=float, default=0.10, help="share of all AWS calls throttled")
    parser.add_argument("--error-rate", type=float, default=0.02, help="share of all AWS calls answered 5xx")
    parser.add_argument("--seed", type=int, default=6, help="seed of the fault rules")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per pass before giving up")
    parser.add_argument("--passes", default="fault-free,faults", help="comma-separated: fault-free, faults")
    args = parser.parse_args()

    if topology_unavailable():
        return 2
    passes = [name.strip() for name in args.passes.split(",")]
    unknown = sorted(set(passes) - PASSES.keys())
    if unknown:
        parser.error(f"unknown pass {unknown[0]!r} (known: {', '.join(PASSES)})")
    rules = fault_rules(args.throttle_rate, args.error_rate, args.seed)
    results = []
    with seeded_stack("bench-soak-", harvest_seconds=args.harvest_seconds, preroll_seconds=PREROLL_SECONDS) as stack:
        start = stack.content_start.add(seconds=31)
        window = (start, start.add(seconds=WINDOW_SECONDS))
        print(
            f"{args.events} events per pass, harvest jobs {args.harvest_seconds:.0f} s each; faults: "
            + ", ".join(f"{kind} rate {fields['rate']} seed {fields['seed']}" for kind, fields in rules)
            + f"; data in {stack.home}",
            flush=True,
        )
        for name in passes:
            pass_rules = rules if name == "faults" else []
            results.append(
                run_pass(
                    name, args.events, stack.home, stack.settings, stack.demo, window, stack.clients, pass_rules,
                    args.timeout,
                )
            )  # fmt: skip

    keys = list(dict.fromkeys(k for r in results for k in r if k != "pass" and not k.startswith("_")))
    print(f"\n{'':26}" + "".join(f"{r['pass']:>30}" for r in results))
    for key in keys:
        print(f"{key:26}" + "".join(f"{r.get(key, '-')!s:>30}" for r in results))
    for r in results:
        if r["_retried"]:
            print(f"\n[{r['pass']}] retried tries by task: " + ", ".join(f"{k} {v}" for k, v in r["_retried"].items()))
        if r["_bad_states"]:
            print(f"[{r['pass']}] task instances not successful: {r['_bad_states']}")
        for line in r["_errors"]:
            print(f"[{r['pass']}]   {line}")
    by_pass = {r["pass"]: r for r in results}
    ratio = None
    if {"fault-free", "faults"} <= by_pass.keys():
        ratio = by_pass["faults"]["wall_seconds"] / by_pass["fault-free"]["wall_seconds"]
        print(f"\nslowdown faults / fault-free (wall): {ratio:.2f}x")
    ok = all(
        r["succeeded"] == r["events"]
        and not any(r[k] for k in ("duplicate_jobs", "events_without_job", "duplicate_assets", "events_without_asset"))
        for r in results
    )
    print("targets (every run succeeds, no duplicate or missing job or asset): " + ("met" if ok else "MISSED"))
    result = {
        "date": pendulum.now("UTC").to_date_string(),
        "events": args.events,
        "harvest_seconds": args.harvest_seconds,
        "throttle_rate": args.throttle_rate,
        "error_rate": args.error_rate,
        "seed": args.seed,
        "passes": {
            name: {k: v for k, v in r.items() if not k.startswith("_")} | {"retried_by_task": dict(r["_retried"])}
            for name, r in by_pass.items()
        },
        "slowdown_faults_over_fault_free": None if ratio is None else round(ratio, 2),
        "targets_met": ok,
    }
    import json

    from recording import record  # bench/ is on sys.path (above)

    print(json.dumps(result, indent=2))
    record("soak_faults", result, sys.argv)
    print(f"measured {pendulum.now('UTC').to_iso8601_string()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
