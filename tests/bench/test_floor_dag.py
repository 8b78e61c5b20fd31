"""The floor DAG (bench/floor_dags) keeps ``live_event_harvest``'s shape: the bench's floor is only a
floor of the pipeline while the two have the same tasks, edges, trigger rules, mapping and waits."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag

ROOT = Path(__file__).resolve().parents[2]


def shape(dag: Any) -> dict[str, tuple]:
    """Each task: its direct upstream, trigger rule, and whether it sits in the mapped group."""
    return {
        task_id: (
            frozenset(task.upstream_task_ids),
            str(task.trigger_rule),
            task.get_closest_mapped_task_group() is not None,
        )
        for task_id, task in dag.task_dict.items()
    }


@pytest.fixture(scope="module")
def dags() -> tuple[Any, Any]:
    with warnings.catch_warnings(record=True):
        pipeline = DagBag(dag_folder=str(ROOT / "dags" / "live_event_harvest.py")).dags["live_event_harvest"]
        bag = DagBag(dag_folder=str(ROOT / "bench" / "floor_dags"))
    assert not bag.import_errors
    return pipeline, bag.dags["orchestration_floor"]


def test_the_floor_has_the_pipelines_tasks_edges_trigger_rules_and_mapping(dags):
    pipeline, floor = dags
    assert shape(floor) == shape(pipeline)


def test_the_floors_waits_run_where_the_pipelines_do(dags):
    _, floor = dags
    wait = floor.get_task("harvest.wait_for_harvest")
    assert wait.start_from_trigger  # no worker execution, as the deferrable harvest wait
    assert wait.start_trigger_args.trigger_kwargs["end_from_trigger"]
    assert not floor.get_task("harvest.hand_off_to_vod").start_from_trigger  # a worker, then the triggerer
