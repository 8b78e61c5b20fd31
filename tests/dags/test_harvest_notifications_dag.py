"""Integrity of the ``harvest_notifications`` DAG: defined only with a queue, scheduled by an asset
whose watcher (``NotificationQueueTrigger``) is the queue's only consumer, and wired like the per-event
DAG's hand-off (verify -> VOD -> publish, mapped per job) with a report that always runs."""

from __future__ import annotations

from pathlib import Path

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.module_loading import import_string

from live_to_vod.aws.triggers.notifications import NotificationQueueTrigger
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME

ROOT = Path(__file__).resolve().parents[2]

QUEUE_URL = "http://127.0.0.1:4566/123456789012/harvest-notifications"


def parse(monkeypatch, queue_url: str | None) -> DagBag:
    if queue_url is None:
        monkeypatch.delenv("LIVE_TO_VOD_NOTIFICATION_QUEUE_URL", raising=False)
    else:
        monkeypatch.setenv("LIVE_TO_VOD_NOTIFICATION_QUEUE_URL", queue_url)
    bag = DagBag(dag_folder=str(ROOT / "dags" / "harvest_notifications.py"))
    assert bag.import_errors == {}
    return bag


def test_without_a_queue_the_dag_is_not_defined(monkeypatch):
    bag = parse(monkeypatch, None)
    assert "harvest_notifications" not in bag.dags
    assert bag.captured_warnings == {}  # a deliberate opt-out, not a fault to flag on every parse


def test_the_queue_asset_watcher_is_the_queue_s_only_consumer_and_feeds_the_completion_index(monkeypatch):
    dag = parse(monkeypatch, QUEUE_URL).dags["harvest_notifications"]
    (asset,) = dag.timetable.asset_condition.objects
    (watcher,) = asset.watchers
    classpath, kwargs = watcher.trigger.serialize()  # what the triggerer imports and runs
    assert import_string(classpath) is NotificationQueueTrigger
    assert kwargs["sqs_queue"] == QUEUE_URL
    assert kwargs["asset_name"] == asset.name == NOTIFICATIONS_ASSET_NAME  # the index waiting tasks read
    assert kwargs["wait_time_seconds"] > 0  # long polling


def test_tasks_are_wired_like_the_per_event_hand_off(monkeypatch):
    dag = parse(monkeypatch, QUEUE_URL).dags["harvest_notifications"]
    assert dag.doc_md and "asset watcher" in dag.doc_md
    assert set(dag.task_ids) == {
        "read_notifications",
        "handoff.verify_asset",
        "handoff.hand_off_to_vod",
        "handoff.transcode",
        "handoff.verify_transcode",
        "handoff.publish",
        "report",
    }
    assert dag.get_task("handoff.verify_asset").upstream_task_ids == {"read_notifications"}
    assert dag.get_task("handoff.hand_off_to_vod").upstream_task_ids == {"handoff.verify_asset", "read_notifications"}
    assert dag.get_task("report").upstream_task_ids == {"handoff.publish"}
    assert dag.get_task("report").trigger_rule == "all_done"
    for task in dag.tasks:
        assert task.retries >= 1, task.task_id
