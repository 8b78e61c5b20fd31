"""Operators of the live-event harvest that talk to MediaPackage: validate the event against its
origin endpoints, create the harvest job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pendulum
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.base import DataInterval
from airflow.utils.types import DagRunType

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, ResourceConflict
from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink
from live_to_vod.config import DeploymentConfig
from live_to_vod.endpoint_checks import assess_endpoint
from live_to_vod.event_requests import plan_from_params, plan_from_schedule
from live_to_vod.harvest_jobs import IN_PROGRESS, TERMINAL_SUCCESS, normalize_status
from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.schedule import ScheduledEvent, load_schedule
from live_to_vod.timetables.season import SeasonScheduleTimetable
from live_to_vod.validation import InvalidParams

# The key under which the job id survives retries in task_state_store (renaming it strands in-flight runs).
HARVEST_JOB_ID_KEY = "harvest_job_id"


class ValidateLiveEventOperator(AwsBaseOperator[MediaPackageHook]):
    """Resolve the run's event, plan its outputs, and validate each against its origin endpoint.

    The event comes from the run's params for manual runs (the trigger form or the REST
    ``conf``), and from the season schedule for scheduled and backfill runs (found by the run's
    data interval through the DAG's :class:`SeasonScheduleTimetable`). The event is planned
    into outputs (:mod:`live_to_vod.event_requests`): per endpoint the whole window, split into
    parts past 24 h, and each highlight clip. Every endpoint is checked against the live-to-VOD
    rules: it exists, startover is on, each output's window lies inside the startover window
    when the harvest will run, PDT is on (a warning when off), and it is not encrypted when a
    VOD hand-off is asked for. Bad input fails the task at once (no retries) with a message
    naming each field; nothing is created.

    Returns the outputs' requests (one dict per harvest job, with ``output``, the endpoint's
    ``time_delay_seconds`` and ``ready_at``), which the harvest group is mapped over.

    :param deployment: the deployment configuration; read from the environment when not given.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook
    template_fields: Sequence[str] = aws_template_fields()

    def __init__(self, *, deployment: DeploymentConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployment = deployment

    def execute(self, context: Any) -> list[dict[str, Any]]:
        deployment = self.deployment or DeploymentConfig.from_env()
        now = pendulum.now("UTC")
        event_id, units = self._plan(context, deployment, now)
        endpoints: dict[str, dict[str, Any]] = {}
        conn = self.hook.conn
        problems: list[str] = []
        for unit in units:
            endpoint_id = unit["origin_endpoint_id"]
            if endpoint_id not in endpoints:
                try:
                    endpoints[endpoint_id] = conn.describe_origin_endpoint(Id=endpoint_id)
                except conn.exceptions.NotFoundException:
                    raise AirflowFailException(
                        f"origin_endpoint_id: MediaPackage has no origin endpoint {endpoint_id!r} "
                        f"in {self.hook.conn_region_name}; nothing was created"
                    ) from None
            endpoint = endpoints[endpoint_id]
            request = HarvestRequest.from_dict(unit)
            delay = int(endpoint.get("TimeDelaySeconds") or 0)
            ready_at = request.window.ready_at(delay, deployment.end_margin_seconds)
            assessment = assess_endpoint(
                endpoint, request.window, now, vod_handoff=request.packaging_group_id is not None, ready_at=ready_at
            )
            for warning in assessment.warnings:
                self.log.warning("Endpoint %s: %s", endpoint_id, warning)
            problems += [f"- {unit['output']} from {endpoint_id}: {p}" for p in assessment.problems]
            unit.update(time_delay_seconds=delay, ready_at=ready_at.to_iso8601_string())
            self.log.info(
                "Output %-16s %s -> %s from %s into s3://%s/%s",
                unit["output"], request.window.start.to_iso8601_string(), request.window.end.to_iso8601_string(),
                endpoint_id, request.s3_bucket, request.manifest_key,
            )  # fmt: skip
        if problems:
            raise AirflowFailException(
                f"Event {event_id} cannot be harvested as asked; nothing was created.\n"
                + "\n".join(dict.fromkeys(problems))
            )
        last = max(unit["ready_at"] for unit in units)
        self.log.info("Event %s: %d output(s); the last can be harvested at %s", event_id, len(units), last)
        return units

    def _plan(self, context: Any, deployment: DeploymentConfig, now: pendulum.DateTime) -> tuple[str, list[dict]]:
        dag_run = context["dag_run"]
        try:
            if DagRunType(dag_run.run_type) == DagRunType.MANUAL:
                units = plan_from_params(dict(context["params"]), deployment, now)
                return units[0]["event_id"], units
            event = self._scheduled_event(context, deployment)
            self.log.info(
                "Scheduled event %s (%s): %s to %s with padding, endpoints %s, %d clip(s)",
                event.event_id, event.source, event.start, event.end, ", ".join(event.endpoints), len(event.clips),
            )  # fmt: skip
            return event.event_id, plan_from_schedule(event, deployment, now)
        except InvalidParams as exc:
            raise AirflowFailException(f"The event's parameters are invalid; nothing was created.\n{exc}") from None

    def _scheduled_event(self, context: Any, deployment: DeploymentConfig) -> ScheduledEvent:
        timetable = context["dag"].timetable
        interval_start, interval_end = context.get("data_interval_start"), context.get("data_interval_end")
        event_id = None
        if isinstance(timetable, SeasonScheduleTimetable) and interval_start is not None:
            event_id = timetable.event_for(DataInterval(interval_start, interval_end))
        if event_id is None:
            raise AirflowFailException(
                f"Run {context['dag_run'].run_id} is for no scheduled event (data interval {interval_start} to "
                f"{interval_end}); trigger ad-hoc harvests manually with event_id, origin_endpoint_id, "
                "start_time and end_time"
            )
        event = load_schedule(deployment.schedule_dir).get(event_id)
        if event is None:
            raise AirflowFailException(
                f"Event {event_id} is no longer in the season schedule ({deployment.schedule_dir}); nothing to harvest"
            )
        return event


class CreateHarvestJobOperator(AwsBaseOperator[MediaPackageHook]):
    """Create the event's MediaPackage harvest job, exactly once.

    Find-or-create is the hook's (:meth:`MediaPackageHook.get_or_create_harvest_job`): the job
    ``Id`` is derived from the event, the endpoint and the window, so a retry or a re-triggered
    run finds its own job instead of creating another; a job of that ``Id`` with different
    parameters fails the task with the differences; after a FAILED job the next attempt gets
    ``-r2``, ``-r3``... The job id is stored in ``task_state_store`` before returning, so even a
    retry on another worker reconnects to it.

    MediaPackage v1 has no API to cancel a harvest job: ``on_kill`` can only log that.

    Returns ``{"harvest_job_id": ..., "status": ..., "created": bool}``.

    :param request: the validated request (``ValidateLiveEventOperator``'s XCom).
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook
    template_fields: Sequence[str] = aws_template_fields("request")
    operator_extra_links = (MediaPackageHarvestJobLink(),)

    def __init__(self, *, request: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request = request
        self._job_id: str | None = None

    def execute(self, context: Any) -> dict[str, Any]:
        request = HarvestRequest.from_dict(self.request)
        store = context.get("task_state_store")
        remembered = store.get(HARVEST_JOB_ID_KEY) if store is not None else None
        job, created = None, False
        if remembered:
            job = self.hook.describe_harvest_job(str(remembered))
            if job is not None and normalize_status(job["Status"]) in (IN_PROGRESS, TERMINAL_SUCCESS):
                self.log.info("Reconnecting to harvest job %s from an earlier try (%s)", remembered, job["Status"])
            else:
                job = None
        if job is None:
            try:
                job, created = self.hook.get_or_create_harvest_job(request)
            except ResourceConflict as exc:
                raise AirflowFailException(str(exc)) from None
        self._job_id = job["Id"]
        if store is not None:
            store.set(HARVEST_JOB_ID_KEY, job["Id"])
        MediaPackageHarvestJobLink.persist(
            context=context,
            operator=self,
            region_name=self.hook.conn_region_name,
            aws_partition=self.hook.conn_partition,
            harvest_job_id=job["Id"],
        )
        # Its own key too, so downstream tasks can take ``create.output["harvest_job_id"]``.
        context["ti"].xcom_push(key=HARVEST_JOB_ID_KEY, value=job["Id"])
        return {"harvest_job_id": job["Id"], "status": job["Status"], "created": created}

    def on_kill(self) -> None:
        if self._job_id:
            self.log.warning(
                "Task killed. MediaPackage v1 cannot cancel harvest job %s; it runs to completion "
                "and a rerun of this task finds it instead of creating another.",
                self._job_id,
            )


__all__ = ["HARVEST_JOB_ID_KEY", "CreateHarvestJobOperator", "ValidateLiveEventOperator"]
