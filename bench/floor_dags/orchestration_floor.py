"""
# Orchestration floor (benchmark only)

`live_event_harvest`'s shape with none of its work, so that a bench can measure what Airflow itself
costs an event on a topology: the same tasks and task ids, the same mapped group over the planned
outputs, the same trigger rules, XCom wiring and deferrals. Every task does nothing but pass small
XComs; the harvest wait (`FLOOR_HARVEST_SECONDS`, 60 s by default) starts and ends in the
triggerer, its moment read from create's XCom of the same map index and rendered there, as the
real wait's job id is; the VOD hand-off runs on a worker, then defers and ends in the triggerer;
verify skips the MediaConvert pair without running it. Not in the shape: the run's deadline alert,
the params and the notification queue's DAG.

Run by `bench/celery_events_in_flight.py --modes deferrable,floor`; never deployed.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import DAG, BaseOperator, BaseSensorOperator, get_current_context, task, task_group
from airflow.sdk.exceptions import DownstreamTasksSkipped
from airflow.triggers.base import StartTriggerArgs

#: The harvest wait: the bench passes its --harvest-seconds.
HARVEST_SECONDS = float(os.environ.get("FLOOR_HARVEST_SECONDS", "60"))


class FloorWaitSensor(BaseSensorOperator):
    """Waits until ``target_time`` without a worker: starts and ends in the triggerer."""

    template_fields = ("target_time",)

    def __init__(self, *, target_time: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_time = target_time
        self.start_from_trigger = True
        self.start_trigger_args = StartTriggerArgs(
            trigger_cls="airflow.providers.standard.triggers.temporal.DateTimeTrigger",
            trigger_kwargs={"target_time": target_time, "end_from_trigger": True},
            next_method="execute_complete",
            next_kwargs=None,
            timeout=timedelta(minutes=30),
        )

    def poke(self, context: Any) -> bool:  # only if the trigger resumes it on a worker
        return True

    def execute_complete(self, context: Any, event: Any = None) -> None:
        return None


class FloorHandOffOperator(BaseOperator):
    """Runs on a worker, then defers a second and ends in the triggerer (as the VOD hand-off does)."""

    template_fields = ("request", "harvest_job_id")

    def __init__(self, *, request: Any, harvest_job_id: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.harvest_job_id = harvest_job_id

    def execute(self, context: Any) -> None:
        self.defer(
            trigger=DateTimeTrigger(moment=pendulum.now("UTC").add(seconds=1), end_from_trigger=True),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: Any = None) -> None:
        return None


with DAG(
    dag_id="orchestration_floor",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    max_active_runs=256,
    tags=["benchmark"],
) as dag:

    @task
    def validate() -> list[dict[str, str]]:
        return [{"output": "hls", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:01:00Z"}]

    @task
    def wait_for_event_end(outputs: list[dict[str, str]]) -> None:
        return None

    planned = validate()

    @task_group(group_id="harvest")
    def harvest(request: dict[str, str]) -> None:
        @task(multiple_outputs=True)
        def create_harvest_job(request: dict[str, str]) -> dict[str, Any]:
            done_at = pendulum.now("UTC").add(seconds=HARVEST_SECONDS).to_iso8601_string()
            return {"harvest_job_id": "floor", "request": request, "done_at": done_at}

        create = create_harvest_job(request)
        wait = FloorWaitSensor(
            task_id="wait_for_harvest",
            target_time=(
                "{{ ti.xcom_pull(task_ids='harvest.create_harvest_job', key='done_at', map_indexes=ti.map_index) }}"
            ),
        )

        @task
        def verify_asset(request: dict[str, str]) -> None:
            ti = get_current_context()["ti"]
            ti.xcom_push(key="return_value", value={"ok": True})
            raise DownstreamTasksSkipped(tasks=[("harvest.transcode", ti.map_index)])

        @task
        def transcode(request: dict[str, str]) -> None:
            return None

        @task
        def verify_transcode(transcode: Any) -> None:
            return None

        @task(trigger_rule="none_failed")
        def publish(
            request: Any, harvest_job_id: Any, verification: Any, vod: Any, transcode: Any, outputs: Any
        ) -> dict:
            return {"published": True}

        verified = verify_asset(create["request"])
        hand_off = FloorHandOffOperator(
            task_id="hand_off_to_vod", request=create["request"], harvest_job_id=create["harvest_job_id"]
        )
        transcoded = transcode(create["request"])
        checked = verify_transcode(transcoded)
        published = publish(create["request"], create["harvest_job_id"], verified, hand_off.output, transcoded, checked)
        create >> wait >> verified >> [hand_off, transcoded]
        [hand_off, checked] >> published

    @task(trigger_rule="all_done")
    def summarize(outputs: list[dict[str, str]]) -> None:
        return None

    wait_for_event_end(planned) >> harvest.expand(request=planned) >> summarize(planned)
