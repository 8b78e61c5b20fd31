"""The production topology (docker-compose.yaml) as processes: a fresh PostgreSQL database, the Redis
broker, scheduler, dag-processor, triggerer, API server (FAB auth manager) and two Celery workers
(``localrun.topology.CeleryTopology``), against the local media stack.

Two events harvested at once end to end through it; every task instance ran on one of the two
workers, from the topology's own queue. Without PostgreSQL or Redis the end-to-end test is
skipped with the reason, and fails under ``CI=true``. Nothing outlives the module: no process,
no database, no broker key (checked when the topology stops).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from localrun.topology import CeleryTopology
from tests.support.harvest_pipeline import TRANSCODE_TASKS
from tests.support.topology import celery_topology

#: Started in the triggerer, and a success ends it there.
TRIGGERER_TASKS = ("harvest.wait_for_harvest",)

DAG_ID = "live_event_harvest"
WORKERS = 2


@pytest.fixture(scope="module")
def celery_deployment(topology_infrastructure, media_stack) -> Iterator:
    with celery_topology(media_stack, workers=WORKERS) as topology:
        yield media_stack.deployment(topology)  # conftest's Deployment: trigger, follow, jobs, assets
    # Nothing leaks: every process of the topology ended, its database and broker keys are gone.
    assert topology.leftover_pids() == []
    assert all(process.poll() is not None for process in topology.processes.values())
    assert not topology.database_exists()
    assert topology.broker_keys() == []


@pytest.mark.slow
def test_two_events_harvest_on_the_celery_workers(celery_deployment):
    deployment = celery_deployment
    topology: CeleryTopology = deployment.airflow
    events = {"celery-game-1": 2, "celery-game-2": 3}  # event id -> ended this many minutes ago
    run_ids = {}
    for event_id, minutes_ago in events.items():
        status, body = topology.api.trigger(DAG_ID, deployment.window_conf(event_id, minutes_ago=minutes_ago))
        assert status == 200, body
        run_ids[event_id] = body["dag_run_id"]
    with ThreadPoolExecutor(len(run_ids)) as pool:  # follow both at once: each run's states as they happen
        outcomes = dict(zip(run_ids, pool.map(deployment.follow, run_ids.values()), strict=True))

    hostnames = set()
    executions = 0
    for event_id, (state, seen) in outcomes.items():
        assert state == "success", (event_id, sorted(seen))
        assert ("harvest.wait_for_harvest", "deferred") in seen  # waited in the triggerer
        assert len(deployment.jobs(event_id)) == 1
        assert len(deployment.assets(event_id)) == 1
        task_instances = topology.api.task_instances(DAG_ID, run_ids[event_id])
        assert {ti["task_id"] for ti in task_instances} >= {"validate", "harvest.publish", "summarize"}
        for ti in task_instances:
            where = (event_id, ti["task_id"], ti["map_index"])
            if ti["task_id"] in TRANSCODE_TASKS:  # no MediaConvert asked: skipped, never sent to a worker
                assert ti["state"] == "skipped" and not ti["hostname"], (where, ti)
                continue
            if ti["task_id"] in TRIGGERER_TASKS:  # started and ended in the triggerer: never sent to a worker
                assert ti["state"] == "success" and not ti["hostname"], (where, ti)
                continue
            assert ti["state"] == "success", where
            assert ti["hostname"] in topology.worker_hostnames, (where, ti["hostname"])
            assert ti["queue"] == topology.queue, (where, ti["queue"])
            hostnames.add(ti["hostname"])
            executions += ti["try_number"]
    # Which worker takes a task is the broker's choice: both usually do, one may take everything.
    assert hostnames and hostnames <= set(topology.worker_hostnames)
    print(f"task instances ran on {sorted(hostnames)} of {topology.worker_hostnames}")
    # Each one went through Celery: the workers stored every result in the topology's database.
    # A worker stores a task's result after the task has reported its state: wait for the last ones.
    connection = topology.connect()
    try:
        stored = 0
        deadline = time.monotonic() + 60
        while stored < executions and time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM celery_taskmeta WHERE status = 'SUCCESS'")
                stored = cursor.fetchone()[0]
            if stored < executions:
                time.sleep(1)
        assert stored >= executions
    finally:
        connection.close()
    # The admin password never reaches a log of the topology.
    for log in topology.base.glob("*.log"):
        assert topology.password not in log.read_text(errors="replace"), log
