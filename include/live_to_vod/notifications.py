"""MediaPackage harvest job notifications (EventBridge -> SQS) and what to do with each.

Pure domain module. The ``harvest_notifications`` DAG reads the SQS
messages its asset watcher received, turns each into a :class:`HarvestNotification` and then,
with what AWS says about the job and its VOD asset, decides per job: hand it off, report it as
failed, or skip it (already handled, or the per-event DAG's own job).

Messages are untrusted input: anything that is not a MediaPackage harvest job notification
with the fields we need is reported (:class:`NotificationProblem`) and never acted on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from live_to_vod.field_rules import RESOURCE_ID, bucket_name_problems, manifest_key_problems, role_arn_problem
from live_to_vod.harvest_jobs import (
    TERMINAL_FAILURE,
    TERMINAL_SUCCESS,
    failure_reason_from_event,
    job_window,
    normalize_status,
)
from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.text import clip

__all__ = [
    "DETAIL_TYPE",
    "NOTIFICATIONS_ASSET_NAME",
    "OUTCOMES_KEY",
    "SOURCE",
    "HarvestNotification",
    "NotificationProblem",
    "failure_reason_for_job",
    "handoff_request",
    "notifications_from_asset_events",
    "outcome_reason",
    "parse_notification",
]

SOURCE = "aws.mediapackage"
# The Airflow asset the queue's watcher feeds: harvest_notifications runs on it, and the per-event
# DAG's harvest wait reads it (an inlet) for a FAILED job's reason.
NOTIFICATIONS_ASSET_NAME = "mediapackage-harvest-notifications"
DETAIL_TYPE = "MediaPackage HarvestJob Notification"
#: XCom key of the read task's account of every job a run saw (one outcome dict per job).
OUTCOMES_KEY = "notifications"
_MAX_BODY = 256 * 1024  # SQS's own message size limit: anything larger is not from SQS


class NotificationProblem(ValueError):
    """A message that is not a usable harvest job notification; the message says which field."""


@dataclass(frozen=True)
class HarvestNotification:
    """One harvest job notification: the job as the event describes it, and the failure reason."""

    job_id: str
    status: str  # SUCCEEDED or FAILED (COMPLETED is read as SUCCEEDED)
    origin_endpoint_id: str
    start_time: str
    end_time: str
    bucket: str
    manifest_key: str
    role_arn: str
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == TERMINAL_FAILURE


def parse_notification(body: str | Mapping[str, Any]) -> HarvestNotification:
    """Read one EventBridge event (the SQS message body, as EventBridge delivers it).

    Raises :class:`NotificationProblem` naming the first field that is missing or wrong.
    """
    if isinstance(body, str):
        if len(body) > _MAX_BODY:
            raise NotificationProblem(f"message body is {len(body)} characters; SQS carries at most {_MAX_BODY}")
        try:
            event = json.loads(body)
        except ValueError:
            raise NotificationProblem("message body is not JSON") from None
    else:
        event = body
    if not isinstance(event, Mapping):
        raise NotificationProblem("message body is not a JSON object")
    if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE:
        raise NotificationProblem(
            f"source/detail-type are {clip(event.get('source'))}/{clip(event.get('detail-type'))}, "
            f"not {SOURCE}/{DETAIL_TYPE}"
        )
    detail = event.get("detail")
    job = detail.get("harvest_job") if isinstance(detail, Mapping) else None
    if not isinstance(job, Mapping):
        raise NotificationProblem("detail.harvest_job is missing")
    destination = job.get("s3_destination")
    if not isinstance(destination, Mapping):
        raise NotificationProblem("detail.harvest_job.s3_destination is missing")
    fields = {
        "id": job.get("id"),
        "status": job.get("status"),
        "origin_endpoint_id": job.get("origin_endpoint_id"),
        "start_time": job.get("start_time"),
        "end_time": job.get("end_time"),
        "s3_destination.bucket_name": destination.get("bucket_name"),
        "s3_destination.manifest_key": destination.get("manifest_key"),
        "s3_destination.role_arn": destination.get("role_arn"),
    }
    for name, value in fields.items():
        if not isinstance(value, str) or not value or len(value) > 1024:
            raise NotificationProblem(f"detail.harvest_job.{name} is {clip(value)}, not a non-empty string")
    if RESOURCE_ID.problem(fields["id"]):
        raise NotificationProblem(f"detail.harvest_job.id {clip(fields['id'])} is not a harvest job id")
    status = normalize_status(fields["status"])
    if status not in (TERMINAL_SUCCESS, TERMINAL_FAILURE):
        raise NotificationProblem(f"detail.harvest_job.status {clip(fields['status'])} is not a final status")
    reason = failure_reason_from_event(detail)
    return HarvestNotification(
        job_id=fields["id"],
        status=status,
        origin_endpoint_id=fields["origin_endpoint_id"],
        start_time=fields["start_time"],
        end_time=fields["end_time"],
        bucket=fields["s3_destination.bucket_name"],
        manifest_key=fields["s3_destination.manifest_key"],
        role_arn=fields["s3_destination.role_arn"],
        message=reason[:2000] if reason else None,
    )


def notifications_from_asset_events(
    asset_events: Iterable[Mapping[str, Any]],
) -> tuple[list[HarvestNotification], list[str]]:
    """The notifications in the asset events an ``AssetWatcher`` on the queue produced.

    Each event's ``extra`` is ``{"payload": {"message_batch": [SQS messages]}}`` (the SQS
    trigger's event). Returns the notifications, one per job (the last one of a job wins: SQS
    may deliver a message twice and out of order, and a job ends only once), and a problem
    line for every message that is not one.
    """
    by_job: dict[str, HarvestNotification] = {}
    problems: list[str] = []
    for asset_event in asset_events:
        payload = (asset_event.get("extra") or {}).get("payload") or {}
        batch = payload.get("message_batch") if isinstance(payload, Mapping) else None
        if not isinstance(batch, list):
            problems.append(f"asset event without an SQS message batch: {clip(payload)}")
            continue
        for message in batch:
            message_id = message.get("MessageId", "?") if isinstance(message, Mapping) else "?"
            try:
                body = message.get("Body") if isinstance(message, Mapping) else None
                if body is None:
                    raise NotificationProblem("message has no Body")
                notification = parse_notification(body)
            except NotificationProblem as exc:
                problems.append(f"SQS message {clip(message_id)}: {exc}")
                continue
            by_job[notification.job_id] = notification
    return list(by_job.values()), problems


def failure_reason_for_job(asset_events: Iterable[Mapping[str, Any]], job_id: str) -> str | None:
    """The reason a FAILED notification in ``asset_events`` gives for ``job_id``, if there is one.

    MediaPackage's API carries no failure reason; only the notification does.
    """
    notifications, _ = notifications_from_asset_events(asset_events)
    for notification in notifications:
        if notification.job_id == job_id and notification.failed and notification.message:
            return notification.message
    return None


def handoff_request(
    job: Mapping[str, Any],
    *,
    partition: str,
    packaging_group_id: str | None,
    vod_source_role_arn: str | None,
) -> HarvestRequest:
    """The request that verifies and hands off an external job (DescribeHarvestJob's response).

    The job was made outside Airflow, so its destination is checked like a run's parameters;
    :class:`NotificationProblem` names the field. The job id stands for the event id.
    """
    destination = job.get("S3Destination") or {}
    bucket, key, role = destination.get("BucketName"), destination.get("ManifestKey"), destination.get("RoleArn")
    for field, value in (("BucketName", bucket), ("ManifestKey", key), ("RoleArn", role)):
        if not isinstance(value, str) or not value:
            raise NotificationProblem(f"harvest job {job.get('Id')}: S3Destination.{field} is missing")
    problems = (
        [f"S3Destination.BucketName {p}" for p in bucket_name_problems(bucket)]
        + [f"S3Destination.ManifestKey {p}" for p in manifest_key_problems(key)]
        + ([f"S3Destination.RoleArn {p}"] if (p := role_arn_problem(role, partition)) else [])
    )
    window = job_window(job)
    if window is None:
        problems.append(f"StartTime/EndTime {clip(job.get('StartTime'))}/{clip(job.get('EndTime'))} are not a window")
    if problems:
        raise NotificationProblem(f"harvest job {job.get('Id')}: " + "; ".join(problems))
    return HarvestRequest(
        event_id=job["Id"],
        origin_endpoint_id=job.get("OriginEndpointId", ""),
        window=window,
        s3_bucket=bucket,
        manifest_key=key,
        role_arn=role,
        packaging_group_id=packaging_group_id or None,
        vod_source_role_arn=vod_source_role_arn or None,
    )


def outcome_reason(outcome: Mapping[str, Any]) -> str:
    """``": <reason>"`` of one job's outcome for a report line, or nothing when it has none."""
    return f": {outcome['reason']}" if outcome.get("reason") else ""
