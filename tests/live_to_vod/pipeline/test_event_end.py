"""wait_for_event_end started in the triggerer: the moment rendered from validate's plan, and the
trigger that ends the task there when the content is already at the origin."""

from __future__ import annotations

import asyncio
import types
from datetime import datetime

import pendulum
import pytest
from airflow.sdk import DAG, BaseOperator
from airflow.sdk.module_loading import import_string
from airflow.serialization.serialized_objects import DagSerialization
from airflow.triggers.base import TaskSuccessEvent, TriggerEvent

from live_to_vod.pipeline.event_end import WaitForLiveEventEndOperator
from live_to_vod.pipeline.event_end_trigger import LiveEventEndTrigger


def events(trigger: LiveEventEndTrigger, timeout: float = 10) -> list[TriggerEvent]:
    async def collect() -> list[TriggerEvent]:
        return [event async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(collect(), timeout))


def test_content_already_at_the_origin_ends_the_task_in_the_triggerer():
    ready = pendulum.now("UTC").subtract(minutes=5).to_iso8601_string()
    (event,) = events(LiveEventEndTrigger(ready_at=ready))
    assert isinstance(event, TaskSuccessEvent)


def test_a_moment_to_come_fires_with_that_moment_for_the_task_to_plan_again():
    moment = pendulum.now("UTC").add(seconds=1)
    (event,) = events(LiveEventEndTrigger(ready_at=moment.to_iso8601_string()))
    assert not isinstance(event, TaskSuccessEvent)
    assert isinstance(event.payload, datetime) and event.payload == moment
    assert pendulum.now("UTC") >= moment
    # The task accepts it as the moment it waited for (and fails anything else, below).


@pytest.mark.parametrize("ready_at", ["", "None", "soon", "P1D"])
def test_a_ready_at_that_is_no_moment_is_an_error_the_task_refuses(ready_at):
    (event,) = events(LiveEventEndTrigger(ready_at=ready_at))
    assert event.payload["status"] == "error" and repr(ready_at) in event.payload["message"]
    with pytest.raises(Exception, match="unexpected trigger event"):
        WaitForLiveEventEndOperator(task_id="wait_for_event_end", outputs=[]).execute_complete({}, event.payload)


def test_the_task_starts_in_the_triggerer_with_the_latest_ready_at_of_validates_plan():
    with DAG("event_end", start_date=pendulum.datetime(2026, 1, 1), schedule=None) as dag:
        validate = BaseOperator(task_id="validate")
        wait = WaitForLiveEventEndOperator(task_id="wait_for_event_end", outputs=validate.output)
    assert wait.start_from_trigger is True
    args = wait.start_trigger_args
    assert import_string(args.trigger_cls) is LiveEventEndTrigger and args.next_method == "execute_complete"
    serialized = DagSerialization.from_dict(DagSerialization.to_dict(dag)).get_task("wait_for_event_end")
    assert serialized.start_from_trigger is True
    assert serialized.start_trigger_args.trigger_cls == args.trigger_cls

    plan = [
        {"output": "a", "ready_at": "2026-12-06T21:00:05Z"},
        {"output": "b", "ready_at": "2026-12-06T21:30:05Z"},
        {"output": "clip", "ready_at": "2026-12-06T20:10:05Z"},
    ]

    def xcom_pull(task_ids, key, map_indexes):
        return plan if (task_ids, key, map_indexes) == ("validate", "return_value", -1) else None

    ti = types.SimpleNamespace(task=wait, task_id=wait.task_id, map_index=-1, xcom_pull=xcom_pull)
    trigger = LiveEventEndTrigger(**args.trigger_kwargs)
    trigger.task_instance = ti  # as the triggerer does before rendering
    assert trigger.template_fields == ("ready_at",)
    trigger.render_template_fields(context={"ti": ti})
    assert trigger.ready_at == "2026-12-06T21:30:05Z"


def test_given_a_plan_itself_the_task_runs_on_a_worker():
    wait = WaitForLiveEventEndOperator(task_id="wait_for_event_end", outputs=[{"ready_at": "2026-12-06T21:00:05Z"}])
    assert wait.start_from_trigger is False
