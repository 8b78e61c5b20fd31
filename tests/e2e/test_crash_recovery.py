"""Crashes on the production topology (``localrun.topology.CeleryTopology``: Postgres, Redis,
scheduler, dag-processor, triggerer, API server, two Celery workers), then recovery: each event
still ends with exactly one harvest job and one VOD asset and a successful run.

- a Celery worker SIGKILLed (with its task processes, as a container kill) while ``CreateHarvestJob``
  is in flight: the stack creates the job after the worker died; Airflow finds the task without a
  heartbeat, retries it, and the retry adopts that job instead of making a second;
- the same with a MediaPackage v2 source: the retry's ``CreateHarvestJob`` carries the same
  ``HarvestJobName`` and ``ClientToken`` and is answered with the job made after the kill;
- the triggerer SIGKILLed while the harvest wait waits on completion events: the restarted
  triggerer takes the wait and the notification queue's watcher over once the dead one's heartbeat
  is stale, and the job's event (the job held until then) ends the wait;
- the scheduler SIGKILLed mid-run, the harvest finishing while it is down: the restarted scheduler
  carries the run on;
- the local stack frozen (SIGSTOP, 30 s) during the harvest: calls hang, then go on. The stack keeps
  AWS's state in memory, so a real kill would lose what AWS never loses; a freeze is the nearest
  real outage it can take (see docs/reliability.md).

The heartbeat timeouts are lowered (``TIMEOUTS``) so recovery takes seconds, not Airflow's
production minutes. Every run is bounded (``follow``'s timeout): never a run stuck forever.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pendulum
import pytest

from devstack.faults import FaultControl
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id
from localrun.seed import push_content_v2
from localrun.topology import CeleryTopology
from tests.support.completion_events import ENDED_IN_TRIGGERER, PUSHED, checks_of, wait_log, wait_until_checked
from tests.support.reliability import record_reliability, retries_used
from tests.support.topology import celery_topology

pytestmark = pytest.mark.slow

DAG_ID = "live_event_harvest"
TIMEOUTS = {
    # a task whose worker died is failed (then retried) after 30 s without a heartbeat
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    # a dead scheduler's or triggerer's work is taken over after 15 s
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "15",
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "10",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "15",
}


@pytest.fixture(scope="module")
def crash_deployment(topology_infrastructure, media_stack) -> Iterator:
    with celery_topology(media_stack, **TIMEOUTS) as topology:
        yield media_stack.deployment(topology), media_stack
    assert topology.leftover_pids() == []


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def task_instance(deployment, run_id: str, task_id: str) -> dict[str, Any]:
    for ti in deployment.airflow.api.task_instances(DAG_ID, run_id):
        if ti["task_id"] == task_id and ti.get("map_index", -1) in (-1, 0):
            return ti
    return {}


def plan_event(deployment, event_id: str, minutes_ago: int) -> tuple[dict[str, str], str]:
    """The event's conf and the harvest job id its run will make (to aim a fault at it first)."""
    conf = deployment.window_conf(event_id, minutes_ago=minutes_ago)
    window = HarvestWindow(pendulum.parse(conf["start_time"]), pendulum.parse(conf["end_time"]))
    return conf, harvest_job_id(event_id, conf["origin_endpoint_id"], window)


def trigger(deployment, conf: dict[str, str]) -> str:
    status, body = deployment.airflow.api.trigger(DAG_ID, conf)
    assert status == 200, body
    return body["dag_run_id"]


def assert_one_job_one_asset_and_success(deployment, event_id: str, run_id: str, timeout: float = 420) -> dict:
    state, seen = deployment.follow(run_id, timeout=timeout)
    assert state == "success", sorted(seen)
    jobs, assets = deployment.jobs(event_id), deployment.assets(event_id)
    assert len(jobs) == 1 and jobs[0]["Status"] == "SUCCEEDED", jobs
    assert [a["Id"] for a in assets] == [jobs[0]["Id"]], assets
    tries = {ti["task_id"]: ti["try_number"] for ti in deployment.airflow.api.task_instances(DAG_ID, run_id)}
    return tries


def record_crash(deployment, event_id: str, fault: str, outcome: str, try_numbers, jobs=None) -> None:
    """The crash's reliability row; ``jobs`` lists the event's harvest jobs (v1's by default)."""
    record_reliability(
        group="crash",
        fault=fault,
        outcome=outcome,
        retries=retries_used(try_numbers),
        harvest_jobs=len((jobs or deployment.jobs)(event_id)),
        vod_assets=len(deployment.assets(event_id)),
    )


def wait_deferred(deployment, run_id: str) -> None:
    wait_until(
        lambda: task_instance(deployment, run_id, "harvest.wait_for_harvest").get("state") == "deferred",
        120,
        "the harvest wait deferred",
    )


def deferred_run(deployment, event_id: str, minutes_ago: int, stuck_seconds: float) -> tuple[str, str]:
    """The event's run, triggered with its harvest job held IN_PROGRESS ``stuck_seconds`` longer, once the
    harvest wait has deferred: (run id, harvest job id)."""
    conf, job_id = plan_event(deployment, event_id, minutes_ago=minutes_ago)
    FaultControl(deployment.settings.public_url).add("harvest_stuck", job=job_id, seconds=stuck_seconds)
    run_id = trigger(deployment, conf)
    wait_deferred(deployment, run_id)
    return run_id, job_id


def kill_the_worker_during_create(
    deployment,
    api: str,
    conf: dict[str, Any],
    job_made: Callable[[], Any],
    operation: str = "CreateHarvestJob",
    task_id: str = "harvest.create_harvest_job",
) -> str:
    """Trigger the event with its ``operation`` (of service ``api``) held 15 s before the stack serves
    it, SIGKILL the worker running ``task_id`` meanwhile, and restart it once the stack has made the
    job (``job_made``): the run's id."""
    topology: CeleryTopology = deployment.airflow
    faults = FaultControl(deployment.settings.public_url)
    rule = faults.add("latency", service=api, operation=operation, count=1, seconds=15)
    run_id = trigger(deployment, conf)
    wait_until(lambda: faults.get(rule["id"])["fired"] == 1, 180, f"{operation} reached the stack")
    ti = task_instance(deployment, run_id, task_id)
    assert ti["state"] == "running", ti
    service = topology.worker_service(ti["hostname"])
    topology.kill(service)
    wait_until(job_made, 60, "the stack made the job")
    topology.restart(service)
    return run_id


def test_worker_killed_during_create_retries_into_the_same_job(crash_deployment):
    deployment, _ = crash_deployment
    conf, job_id = plan_event(deployment, "crash-worker", minutes_ago=6)
    run_id = kill_the_worker_during_create(
        deployment, "mediapackage", conf, lambda: job_id in {j["Id"] for j in deployment.jobs("crash-worker")}
    )
    tries = assert_one_job_one_asset_and_success(deployment, "crash-worker", run_id)
    assert tries["harvest.create_harvest_job"] >= 2  # the killed try, then the one that adopted the job
    record_crash(
        deployment,
        "crash-worker",
        "worker SIGKILL during create",
        "create_harvest_job failed without a heartbeat, retried, adopted the job made after the kill; run succeeded",
        [tries["harvest.create_harvest_job"]],
    )


def test_worker_killed_during_a_mediaconvert_create_retries_into_the_same_job(crash_deployment):
    """CreateJob's token holds for a minute only: the retry finds the job by its UserMetadata."""
    deployment, _ = crash_deployment
    conf, job_id = plan_event(deployment, "crash-mc", minutes_ago=5)
    conf = {**conf, "mediaconvert": ["mp4"]}
    run_id = kill_the_worker_during_create(
        deployment,
        "mediaconvert",
        conf,
        lambda: deployment.mediaconvert_jobs("crash-mc"),
        operation="CreateJob",
        task_id="harvest.transcode",
    )
    tries = assert_one_job_one_asset_and_success(deployment, "crash-mc", run_id)
    assert tries["harvest.transcode"] >= 2  # the killed try, then the one that found the job
    (job,) = deployment.mediaconvert_jobs("crash-mc")
    assert job["Status"] == "COMPLETE" and job["UserMetadata"]["live_to_vod_job"] == job_id


def test_worker_killed_during_a_v2_create_retries_into_the_same_job(crash_deployment):
    deployment, media_stack = crash_deployment
    # Four back-dated minutes on the v2 channel (the e2e stack runs no v2 encoder); the TS endpoint's
    # harvest is handed off to MediaPackage VOD like a v1 one.
    encoder = push_content_v2(media_stack.settings, media_stack.demo, preroll_seconds=240)
    conf = deployment.v2_conf("crash-worker-v2", encoder.start.add(seconds=60), encoder.start.add(seconds=120))
    run_id = kill_the_worker_during_create(
        deployment, "mediapackagev2", conf, lambda: deployment.v2_jobs("crash-worker-v2")
    )
    state, seen = deployment.follow(run_id, timeout=420)
    assert state == "success", sorted(seen)
    # The retry's CreateHarvestJob carried the same HarvestJobName and ClientToken: the same job.
    (job,) = deployment.v2_jobs("crash-worker-v2")
    assert job["Status"] == "COMPLETED", job
    assert [a["Id"] for a in deployment.assets("crash-worker-v2")] == [job["HarvestJobName"]]
    tries = {ti["task_id"]: ti["try_number"] for ti in deployment.airflow.api.task_instances(DAG_ID, run_id)}
    assert tries["harvest.create_harvest_job"] >= 2
    record_crash(
        deployment,
        "crash-worker-v2",
        "worker SIGKILL during a MediaPackage v2 create",
        "create_harvest_job failed without a heartbeat, retried with the same HarvestJobName and "
        "ClientToken, got the job made after the kill; run succeeded",
        [tries["harvest.create_harvest_job"]],
        jobs=deployment.v2_jobs,
    )


def trigger_owners(topology: CeleryTopology, run_id: str) -> tuple[int, int] | None:
    """The triggerer jobs running the run's harvest wait and the notification queue's watcher; None
    until both run."""
    with topology.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.triggerer_id FROM task_instance ti JOIN trigger t ON t.id = ti.trigger_id"
            " WHERE ti.dag_id = %s AND ti.run_id = %s AND ti.task_id = 'harvest.wait_for_harvest'",
            (DAG_ID, run_id),
        )
        wait = cursor.fetchone()
        cursor.execute("SELECT triggerer_id FROM trigger WHERE classpath LIKE %s", ("%.NotificationQueueTrigger",))
        watcher = cursor.fetchone()
    owners = (wait[0] if wait else None), (watcher[0] if watcher else None)
    return None if None in owners else owners  # type: ignore[return-value]


def test_triggerer_killed_while_the_wait_waits_on_events_is_taken_over(crash_deployment):
    """The triggerer SIGKILLed while the harvest wait waits on the completion event: the restarted one
    takes over the wait and the queue's watcher; the job, held until the new triggerer has asked AWS
    about it, then ends the wait by its event (not by the next safety-net poll, a minute later)."""
    deployment, _ = crash_deployment
    topology: CeleryTopology = deployment.airflow
    faults = FaultControl(deployment.settings.public_url)
    conf, job_id = plan_event(deployment, "crash-triggerer", minutes_ago=5)
    held = faults.add("harvest_stuck", job=job_id, seconds=600)  # released below
    run_id = trigger(deployment, conf)
    wait_deferred(deployment, run_id)
    old, _ = wait_until(lambda: trigger_owners(topology, run_id), 60, "the wait and the watcher in the triggerer")
    topology.kill("airflow-triggerer")
    time.sleep(3)
    topology.restart("airflow-triggerer")
    wait_until(
        lambda: old not in (trigger_owners(topology, run_id) or (old,)),
        120,
        "the restarted triggerer took the wait and the watcher over",
    )
    # The new triggerer asks AWS once more (at once, or at its next poll if it already had).
    wait_until_checked(deployment, run_id, job_id, times=checks_of(deployment, run_id, job_id) + 1, timeout=90)
    assert deployment.mp.describe_harvest_job(Id=job_id)["Status"] == "IN_PROGRESS"
    faults.remove(held["id"])  # the job ends now; its event goes to the queue
    tries = assert_one_job_one_asset_and_success(deployment, "crash-triggerer", run_id)
    log = wait_log(deployment, run_id)
    assert PUSHED in log and ENDED_IN_TRIGGERER in log, log[-3000:]
    record_crash(
        deployment,
        "crash-triggerer",
        "triggerer SIGKILL while the harvest wait waits on completion events",
        "the restarted triggerer took the wait and the queue's watcher over; the job's event ended the wait; "
        "run succeeded",
        tries.values(),
    )


def test_scheduler_killed_mid_run_carries_on_after_restart(crash_deployment):
    deployment, _ = crash_deployment
    topology: CeleryTopology = deployment.airflow
    run_id, job_id = deferred_run(deployment, "crash-scheduler", minutes_ago=4, stuck_seconds=10)
    topology.kill("airflow-scheduler")
    # The harvest finishes and the trigger fires while no scheduler runs.
    wait_until(
        lambda: deployment.mp.describe_harvest_job(Id=job_id)["Status"] == "SUCCEEDED", 120, "the harvest finished"
    )
    time.sleep(10)
    topology.restart("airflow-scheduler")
    tries = assert_one_job_one_asset_and_success(deployment, "crash-scheduler", run_id)
    record_crash(
        deployment,
        "crash-scheduler",
        "scheduler SIGKILL mid-run",
        "the harvest ended while no scheduler ran; the restarted scheduler carried the run on; run succeeded",
        tries.values(),
    )


def test_stack_frozen_during_the_harvest_then_resumed(crash_deployment):
    deployment, media_stack = crash_deployment
    run_id, _ = deferred_run(deployment, "crash-stack", minutes_ago=3, stuck_seconds=5)
    os.kill(media_stack.process.pid, signal.SIGSTOP)
    try:
        time.sleep(30)  # every AWS call hangs meanwhile: the triggerer's polls, the queue's long poll
    finally:
        os.kill(media_stack.process.pid, signal.SIGCONT)
    tries = assert_one_job_one_asset_and_success(deployment, "crash-stack", run_id)
    record_crash(
        deployment,
        "crash-stack",
        "local stack frozen (SIGSTOP) during the harvest",
        "calls hung 30 s, then went on; run succeeded",
        tries.values(),
    )
