"""Operators of the live-event harvest that talk to MediaPackage: validate the event against its
origin endpoints, create the harvest job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.base import DataInterval
from airflow.utils.types import DagRunType
from botocore.exceptions import ClientError

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, ResourceConflict
from live_to_vod.aws.hooks.mediapackagev2 import MediaPackageV2HookMixin, V2HarvestJob
from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink
from live_to_vod.config import DeploymentConfig
from live_to_vod.endpoint_checks import assess_endpoint
from live_to_vod.event_requests import plan_from_params, plan_from_schedule
from live_to_vod.harvest_jobs import IN_PROGRESS, TERMINAL_SUCCESS, normalize_status
from live_to_vod.harvest_request import HarvestRequest, V2Endpoint, primary_manifest_file
from live_to_vod.late_changes import LateChangeError, latest_params, retarget, variable_key
from live_to_vod.schedule import ScheduledEvent, load_schedule
from live_to_vod.timetables.season import SeasonScheduleTimetable
from live_to_vod.v2_endpoint_checks import (
    assess_v2_endpoint,
    bucket_policy_problems,
    resolve_manifests,
    v2_create_at,
)
from live_to_vod.validation import InvalidParams

# The key under which the job id survives retries in task_state_store (renaming it strands in-flight runs).
HARVEST_JOB_ID_KEY = "harvest_job_id"
#: The XCom key of a v2 job's ``group/channel/endpoint`` ("" for a v1 job): the wait reads it.
V2_ENDPOINT_KEY = "v2_endpoint"
#: When the output's content leaves the startover window (the harvest wait's last-chance alert reads it).
CONTENT_EXPIRES_KEY = "content_expires_at"
#: The XCom key of the request the job was created for (its window is the latest when it was made);
#: the output's later tasks read it. Kept in task_state_store too: the window is fixed from the
#: first attempt on, so a retry never makes a job for another window.
REQUEST_KEY = "request"


def plan_event(
    context: Any, deployment: DeploymentConfig, now: pendulum.DateTime
) -> tuple[str, list[dict], ScheduledEvent | None]:
    """The run's event and its outputs, planned from its latest times: an ad-hoc run's params with
    the change an operator made since (the run's Variable, :mod:`live_to_vod.late_changes`), a
    scheduled run's entry as the schedule says now (``revised_start``/``revised_end`` included).
    Bad input fails the task at once, naming each field. Returns the event id, its outputs, and the
    schedule entry (None for an ad-hoc run)."""
    dag_run = context["dag_run"]
    try:
        if DagRunType(dag_run.run_type) == DagRunType.MANUAL:
            change = Variable.get(variable_key(dag_run.dag_id, dag_run.run_id), default=None, deserialize_json=True)
            units = plan_from_params(latest_params(dict(context["params"]), change), deployment, now)
            return units[0]["event_id"], units, None
        event = scheduled_event(context, deployment)
        return event.event_id, plan_from_schedule(event, deployment, now), event
    except InvalidParams as exc:
        raise AirflowFailException(f"The event's parameters are invalid; nothing was created.\n{exc}") from None


def scheduled_event(context: Any, deployment: DeploymentConfig) -> ScheduledEvent:
    """A scheduled or backfill run's event, as the season schedule has it now (found by the run's
    data interval, which is the event's slot, through the DAG's :class:`SeasonScheduleTimetable`)."""
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


def latest_outputs(
    context: Any, outputs: list[dict[str, Any]], deployment: DeploymentConfig, now: pendulum.DateTime
) -> list[dict[str, Any]]:
    """``outputs`` (validated) moved to the event's latest times: each whole-event output's window,
    ``ready_at`` and ``content_expires_at`` follow a change made since validate; clips keep theirs."""
    _, latest, _ = plan_event(context, deployment, now)
    try:
        return [retarget(u, latest, end_margin_seconds=deployment.end_margin_seconds, now=now) for u in outputs]
    except LateChangeError as exc:
        raise AirflowFailException(f"The event's times changed in a way this run cannot take: {exc}") from None


class OutputChecksMixin(MediaPackageV2HookMixin):
    """Checks one planned output against its origin endpoint and completes its unit: used by
    validate for every output, and by create for an output whose times changed since."""

    def _check_v1(
        self,
        unit: dict[str, Any],
        deployment: DeploymentConfig,
        now: pendulum.DateTime,
        endpoints: dict[str, dict[str, Any]],
    ) -> list[str]:
        """Check one output from a v1 endpoint (``endpoints`` caches what was described), and complete
        its unit (``time_delay_seconds``, ``ready_at``, ``startover_seconds``, ``content_expires_at``)."""
        conn = self.hook.conn
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
        unit.update(
            time_delay_seconds=delay,
            ready_at=ready_at.to_iso8601_string(),
            startover_seconds=assessment.startover_seconds,
            content_expires_at=_expires_at(request.window.start, assessment.startover_seconds),
        )
        self.log.info(
            "Output %-16s %s -> %s from %s into s3://%s/%s",
            unit["output"], request.window.start.to_iso8601_string(), request.window.end.to_iso8601_string(),
            endpoint_id, request.s3_bucket, request.manifest_key,
        )  # fmt: skip
        return [f"- {unit['output']} from {endpoint_id}: {p}" for p in assessment.problems]

    def _check_v2(self, unit: dict[str, Any], now: pendulum.DateTime) -> list[str]:
        """Check one output from a v2 endpoint, and complete its unit (manifests, container, keys)."""
        request = HarvestRequest.from_dict(unit)
        endpoint = request.v2_endpoint
        assert endpoint is not None
        conn = self.v2_hook.conn
        try:
            found = conn.get_origin_endpoint(**endpoint.names())
        except conn.exceptions.ResourceNotFoundException:
            raise AirflowFailException(
                f"channel_group/channel/origin_endpoint: MediaPackage v2 has no origin endpoint {endpoint.ref} "
                f"in {self.v2_hook.conn_region_name}; nothing was created"
            ) from None
        try:
            policy = conn.get_origin_endpoint_policy(**endpoint.names()).get("Policy")
        except conn.exceptions.ResourceNotFoundException:
            policy = None
        harvested, problems = resolve_manifests(found, request.manifests)
        create_at = v2_create_at(request.window, now)
        arn = found.get("Arn") or ""
        assessment = assess_v2_endpoint(
            found,
            policy,
            {kind: [{"ManifestName": n} for n in names] for kind, names in harvested.items()},
            request.window,
            account_id=arn.split(":")[4] if arn.count(":") >= 5 else "",
            harvest_at=create_at,
        )
        problems += assessment.problems
        try:
            bucket_policy = S3Hook(**self._hook_parameters).conn.get_bucket_policy(Bucket=request.s3_bucket)["Policy"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchBucket":
                problems.append(f"s3_bucket: bucket {request.s3_bucket} does not exist")
                bucket_policy = ""
            elif exc.response["Error"]["Code"] == "NoSuchBucketPolicy":
                bucket_policy = None
            else:
                raise
        destination = request.manifest_key.rsplit("/", 1)[0] if "/" in request.manifest_key else ""
        if not destination:
            problems.append(
                f"manifest_key: {request.manifest_key!r} has no folder; a v2 harvest writes its manifests into the "
                "key's folder (its DestinationPath): give the key a folder, e.g. {event_id}/index.m3u8"
            )
        elif bucket_policy != "":
            problems += bucket_policy_problems(bucket_policy, request.s3_bucket, destination, arn)
        container = found.get("ContainerType")
        primary = primary_manifest_file(harvested)
        if primary and destination:
            unit["manifest_key"] = f"{destination}/{primary}"
        unit.update(
            harvested_manifests={k: list(v) for k, v in harvested.items()},
            container_type=container,
            time_delay_seconds=0,
            ready_at=create_at.to_iso8601_string(),
            startover_seconds=assessment.startover_seconds,
            content_expires_at=_expires_at(request.window.start, assessment.startover_seconds),
        )
        self.log.info(
            "Output %-16s %s -> %s from v2 %s (%s; %s) into s3://%s/%s/, job created at %s",
            unit["output"], request.window.start.to_iso8601_string(), request.window.end.to_iso8601_string(),
            endpoint.ref, container, ", ".join(n for names in harvested.values() for n in names) or "no manifests",
            request.s3_bucket, destination, create_at.to_iso8601_string(),
        )  # fmt: skip
        return [f"- {unit['output']} from {endpoint.ref}: {p}" for p in problems]


class ValidateLiveEventOperator(OutputChecksMixin, AwsBaseOperator[MediaPackageHook]):
    """Resolve the run's event, plan its outputs, and validate each against its origin endpoint.

    The event comes from the run's params for manual runs (the trigger form or the REST
    ``conf``), and from the season schedule for scheduled and backfill runs (found by the run's
    data interval through the DAG's :class:`SeasonScheduleTimetable`). The event is planned
    into outputs (:mod:`live_to_vod.event_requests`): per endpoint the whole window, split into
    parts past 24 h, and each highlight clip. Every endpoint is checked against the live-to-VOD
    rules: it exists, startover is on, each output's window lies inside the startover window
    when the harvest will run, PDT is on (a warning when off), and it is not encrypted when a
    VOD hand-off is asked for. A MediaPackage v2 endpoint is checked as thoroughly: it exists, its
    startover window covers the window when the job will be created, the manifests asked for are
    on it without window filters (none asked: every HLS and DASH manifest), its endpoint policy
    lets MediaPackage read it and the bucket policy lets MediaPackage write the destination. Bad
    input fails the task at once (no retries) with a message naming each field; nothing is created.

    A v2 job is created before the event ends (a real-time harvest, finished minutes after the
    end): its ``ready_at`` is :func:`live_to_vod.v2_endpoint_checks.v2_create_at`.

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
        problems: list[str] = []
        for unit in units:
            if unit.get("v2_endpoint"):
                problems += self._check_v2(unit, now)
            else:
                problems += self._check_v1(unit, deployment, now, endpoints)
        if problems:
            raise AirflowFailException(
                f"Event {event_id} cannot be harvested as asked; nothing was created.\n"
                + "\n".join(dict.fromkeys(problems))
            )
        last = max(unit["ready_at"] for unit in units)
        self.log.info("Event %s: %d output(s); the last can be harvested at %s", event_id, len(units), last)
        return units

    def _plan(self, context: Any, deployment: DeploymentConfig, now: pendulum.DateTime) -> tuple[str, list[dict]]:
        event_id, units, event = plan_event(context, deployment, now)
        if event is not None:
            self.log.info(
                "Scheduled event %s (%s): %s to %s with padding%s, endpoints %s, %d clip(s)",
                event.event_id, event.source, event.start, event.end,
                " (revised on game day)" if event.revised else "", ", ".join(event.endpoints), len(event.clips),
            )  # fmt: skip
        return event_id, units


class CreateHarvestJobOperator(OutputChecksMixin, AwsBaseOperator[MediaPackageHook]):
    """Create the event's MediaPackage harvest job, exactly once.

    Find-or-create is the hook's (:meth:`MediaPackageHook.get_or_create_harvest_job`): the job
    ``Id`` is derived from the event, the endpoint and the window, so a retry or a re-triggered
    run finds its own job instead of creating another; a job of that ``Id`` with different
    parameters fails the task with the differences; after a FAILED job the next attempt gets
    ``-r2``, ``-r3``... The job id is stored in ``task_state_store`` before returning, so even a
    retry on another worker reconnects to it.

    A MediaPackage v2 request creates its job through :class:`MediaPackageV2Hook` the same way:
    ``HarvestJobName`` and ``ClientToken`` are both derived from the event, endpoint and window, and
    a refusal (``ValidationException``) fails the task at once with MediaPackage's reason. The job
    may be created before the event ends (it then finishes after the end).

    Late changes (``follow_event_times``): the job is made for the event's times as they are when
    the job is made, not as validate saw them. A whole-event output whose times changed since (an
    operator extended the end, the schedule revised it) is checked against its endpoint again and,
    when its content is not at the origin yet, the task defers until it is (no worker slot held),
    then looks again. From the first attempt to make the job on, the window is fixed (kept in
    ``task_state_store``): a retry makes no job for another window. The request the job was made for
    is the ``request`` XCom, which the output's later tasks read.

    MediaPackage v1 has no API to cancel a harvest job: ``on_kill`` can only log that. A v2 job
    this task created is cancelled by ``on_kill`` (a person marked the task or run failed).

    Returns ``{"harvest_job_id": ..., "status": ..., "created": bool, "v2_endpoint": ...}`` (the
    v2 ``group/channel/endpoint``, None for v1; a v2 job's id is its ``HarvestJobName``).

    :param request: the validated request (``ValidateLiveEventOperator``'s XCom).
    :param follow_event_times: make the job for the run's latest event times (the run's params or
        schedule entry, as :func:`plan_event` reads them); False: exactly ``request``'s window.
    :param deployment: the deployment configuration; read from the environment when not given.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook
    template_fields: Sequence[str] = aws_template_fields("request")
    operator_extra_links = (MediaPackageHarvestJobLink(),)

    def __init__(
        self,
        *,
        request: Any,
        follow_event_times: bool = True,
        deployment: DeploymentConfig | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.follow_event_times = follow_event_times
        self.deployment = deployment
        self._job_id: str | None = None
        self._v2_job: tuple[V2Endpoint, str] | None = None

    def execute(self, context: Any) -> dict[str, Any]:
        store = context.get("task_state_store")
        unit = store.get(REQUEST_KEY) if store is not None else None
        if unit:
            self.log.info("Window fixed by an earlier try: %s to %s", unit["start_time"], unit["end_time"])
        else:
            unit = self._latest_unit(context)
            ready_at = pendulum.parse(unit["ready_at"])
            if ready_at > pendulum.now("UTC"):
                self.log.info(
                    "Output %s's content is at the origin from %s (its times changed): waiting until then",
                    unit["output"], ready_at.to_iso8601_string(),
                )  # fmt: skip
                self.defer(trigger=DateTimeTrigger(moment=ready_at), method_name="execute_after_change")
            if store is not None:
                store.set(REQUEST_KEY, unit)
        context["ti"].xcom_push(key=REQUEST_KEY, value=unit)
        context["ti"].xcom_push(key=CONTENT_EXPIRES_KEY, value=unit.get(CONTENT_EXPIRES_KEY) or "")
        request = HarvestRequest.from_dict(unit)
        if request.v2_endpoint is not None:
            return self._create_v2(context, request)
        return self._create_v1(context, request)

    def execute_after_change(self, context: Any, event: Any = None) -> dict[str, Any]:
        """Resumed at the changed ``ready_at``: look at the latest times again, then make the job."""
        if not isinstance(event, datetime) or event.utcoffset() is None:
            raise AirflowFailException(f"unexpected trigger event {event!r}: expected the moment waited for")
        return self.execute(context)

    def _latest_unit(self, context: Any) -> dict[str, Any]:
        """The mapped request, moved to the event's latest times and checked again if they changed."""
        unit = dict(self.request)
        if not self.follow_event_times:
            return unit
        deployment = self.deployment or DeploymentConfig.from_env()
        now = pendulum.now("UTC")
        latest = latest_outputs(context, [unit], deployment, now)[0]
        if (latest["start_time"], latest["end_time"]) == (unit["start_time"], unit["end_time"]):
            return unit
        self.log.info(
            "The event's times changed since validate: output %s is harvested from %s to %s (was %s to %s)",
            unit["output"], latest["start_time"], latest["end_time"], unit["start_time"], unit["end_time"],
        )  # fmt: skip
        if latest.get("v2_endpoint"):
            problems = self._check_v2(latest, now)
        else:
            problems = self._check_v1(latest, deployment, now, {})
        if problems:
            raise AirflowFailException(
                "The changed times cannot be harvested; nothing was created.\n" + "\n".join(problems)
            )
        return latest

    def _create_v1(self, context: Any, request: HarvestRequest) -> dict[str, Any]:
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
        # Own keys too, so downstream tasks can take ``create.output["harvest_job_id"]`` (and "v2_endpoint").
        context["ti"].xcom_push(key=HARVEST_JOB_ID_KEY, value=job["Id"])
        context["ti"].xcom_push(key=V2_ENDPOINT_KEY, value="")
        return {"harvest_job_id": job["Id"], "status": job["Status"], "created": created, "v2_endpoint": None}

    def _create_v2(self, context: Any, request: HarvestRequest) -> dict[str, Any]:
        hook = self.v2_hook
        wanted = V2HarvestJob.from_request(request)
        try:
            job, created = hook.get_or_create_harvest_job(wanted)
        except ResourceConflict as exc:
            raise AirflowFailException(str(exc)) from None
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ValidationException":
                raise  # throttling, a 5xx: the retry finds or makes the same job
            kind = exc.response.get("ValidationExceptionType", "")
            raise AirflowFailException(
                f"MediaPackage v2 refused the harvest job on {wanted.endpoint.ref} ({kind}): "
                f"{exc.response['Error'].get('Message')}; nothing was created"
            ) from None
        name = self._job_id = job["HarvestJobName"]
        self._v2_job = (wanted.endpoint, name)
        store = context.get("task_state_store")
        if store is not None:
            store.set(HARVEST_JOB_ID_KEY, name)
        context["ti"].xcom_push(key=HARVEST_JOB_ID_KEY, value=name)
        context["ti"].xcom_push(key=V2_ENDPOINT_KEY, value=wanted.endpoint.ref)
        if pendulum.instance(job["ScheduleConfiguration"]["EndTime"]) > pendulum.now("UTC"):
            self.log.info(
                "Harvest job %s is real-time: it completes after the window ends at %s",
                name, request.window.end.to_iso8601_string(),
            )  # fmt: skip
        return {"harvest_job_id": name, "status": job["Status"], "created": created, "v2_endpoint": wanted.endpoint.ref}

    def on_kill(self) -> None:
        if self._v2_job is not None:
            endpoint, name = self._v2_job
            try:
                self.v2_hook.cancel_harvest_job(endpoint, name)
            except Exception as exc:  # best effort while being killed
                self.log.warning("Task killed: could not cancel harvest job %s: %s", name, exc)
            return
        if self._job_id:
            self.log.warning(
                "Task killed. MediaPackage v1 cannot cancel harvest job %s; it runs to completion "
                "and a rerun of this task finds it instead of creating another.",
                self._job_id,
            )


__all__ = [
    "CONTENT_EXPIRES_KEY",
    "HARVEST_JOB_ID_KEY",
    "REQUEST_KEY",
    "V2_ENDPOINT_KEY",
    "CreateHarvestJobOperator",
    "OutputChecksMixin",
    "ValidateLiveEventOperator",
    "latest_outputs",
    "plan_event",
    "scheduled_event",
]


def _expires_at(window_start: pendulum.DateTime, startover_seconds: int | None) -> str | None:
    """When the window's first segment leaves the endpoint's startover window: the last moment a
    harvest of the whole window can be created (alerts and the board name it)."""
    return window_start.add(seconds=startover_seconds).to_iso8601_string() if startover_seconds else None
