"""MediaPackage harvest job notifications (EventBridge -> SQS) and what to do with each.

Both MediaPackage v1 (``aws.mediapackage``, a job by id) and v2 (``aws.mediapackagev2``, a job
by name on its channel group/channel/origin endpoint). Pure domain module. The
``harvest_notifications`` DAG reads the SQS messages its asset watcher received, turns each into
a :class:`HarvestNotification` and then, with what AWS says about the job and its VOD asset,
decides per job: hand it off, report it as failed, or skip it (already handled, or the per-event DAG's own job).

Messages are untrusted input: anything that is not a MediaPackage harvest job notification
with the fields we need is reported (:class:`NotificationProblem`) and never acted on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from live_to_vod.field_rules import (
    RESOURCE_ID,
    bucket_name_problems,
    endpoint_ref_problem,
    manifest_key_problems,
    role_arn_problem,
)
from live_to_vod.harvest_jobs import (
    FAILURES,
    TERMINAL_SUCCESS,
    failure_reason_from_event,
    job_window,
    normalize_status,
    v2_endpoint_of,
)
from live_to_vod.harvest_request import MANIFEST_SUFFIXES, HarvestRequest, V2Endpoint, primary_manifest_file
from live_to_vod.text import clip

__all__ = [
    "DETAIL_TYPE",
    "DETAIL_TYPE_V2",
    "NOTIFICATIONS_ASSET_NAME",
    "OUTCOMES_KEY",
    "SOURCE",
    "SOURCE_V2",
    "HarvestNotification",
    "NotificationProblem",
    "failure_reason_for_job",
    "handoff_request",
    "handoff_request_v2",
    "notifications_from_asset_events",
    "outcome_reason",
    "parse_notification",
]

SOURCE = "aws.mediapackage"
# The Airflow asset the queue's watcher feeds: harvest_notifications runs on it, and the per-event
# DAG's harvest wait reads it (an inlet) for a FAILED job's reason.
NOTIFICATIONS_ASSET_NAME = "mediapackage-harvest-notifications"
DETAIL_TYPE = "MediaPackage HarvestJob Notification"
SOURCE_V2 = "aws.mediapackagev2"
DETAIL_TYPE_V2 = "MediaPackageV2 HarvestJob Notification"
#: XCom key of the read task's account of every job a run saw (one outcome dict per job).
OUTCOMES_KEY = "notifications"
_MAX_BODY = 256 * 1024  # SQS's own message size limit: anything larger is not from SQS


class NotificationProblem(ValueError):
    """A message that is not a usable harvest job notification; the message says which field."""


@dataclass(frozen=True)
class HarvestNotification:
    """One harvest job notification: the job as the event describes it, and the failure reason.

    A v2 job (``v2_endpoint`` set) is named ``job_id`` on that endpoint; ``origin_endpoint_id``
    is then the endpoint's ref, ``manifest_key`` the job's ``DestinationPath`` (its manifests are
    read from GetHarvestJob) and ``role_arn`` empty (v2 writes with the bucket policy).
    """

    job_id: str
    status: str  # SUCCEEDED, FAILED or (v2) CANCELLED; COMPLETED is read as SUCCEEDED
    origin_endpoint_id: str
    start_time: str
    end_time: str
    bucket: str
    manifest_key: str
    role_arn: str
    message: str | None = None
    v2_endpoint: V2Endpoint | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILURES

    @property
    def key(self) -> tuple[str, str]:
        """What names the job: a v1 id is unique in the account, a v2 name only on its endpoint."""
        return (self.v2_endpoint.ref if self.v2_endpoint else "", self.job_id)


def _json_event(body: str | Mapping[str, Any]) -> Mapping[str, Any]:
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
    return event


def _strings(prefix: str, fields: Mapping[str, object]) -> dict[str, str]:
    for name, value in fields.items():
        if not isinstance(value, str) or not value or len(value) > 1024:
            raise NotificationProblem(f"{prefix}.{name} is {clip(value)}, not a non-empty string")
    return dict(fields)  # type: ignore[arg-type]


def _member(parent: Mapping[str, Any], name: str, path: str) -> Mapping[str, Any]:
    value = parent.get(name)
    if not isinstance(value, Mapping):
        raise NotificationProblem(f"{path} is missing")
    return value


def parse_notification(body: str | Mapping[str, Any]) -> HarvestNotification:
    """Read one EventBridge event (the SQS message body, as EventBridge delivers it), v1 or v2.

    Raises :class:`NotificationProblem` naming the first field that is missing or wrong.
    """
    event = _json_event(body)
    kind = (event.get("source"), event.get("detail-type"))
    if kind not in ((SOURCE, DETAIL_TYPE), (SOURCE_V2, DETAIL_TYPE_V2)):
        raise NotificationProblem(
            f"source/detail-type are {clip(event.get('source'))}/{clip(event.get('detail-type'))}, "
            f"not {SOURCE}/{DETAIL_TYPE} or {SOURCE_V2}/{DETAIL_TYPE_V2}"
        )
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        detail = {}
    notification = _parse_v1(detail) if kind[0] == SOURCE else _parse_v2(detail)
    reason = failure_reason_from_event(detail)
    return replace(notification, message=reason[:2000] if reason else None)


def _parse_v1(detail: Mapping[str, Any]) -> HarvestNotification:
    job = _member(detail, "harvest_job", "detail.harvest_job")
    destination = _member(job, "s3_destination", "detail.harvest_job.s3_destination")
    fields = _strings(
        "detail.harvest_job",
        {
            "id": job.get("id"),
            "status": job.get("status"),
            "origin_endpoint_id": job.get("origin_endpoint_id"),
            "start_time": job.get("start_time"),
            "end_time": job.get("end_time"),
            "s3_destination.bucket_name": destination.get("bucket_name"),
            "s3_destination.manifest_key": destination.get("manifest_key"),
            "s3_destination.role_arn": destination.get("role_arn"),
        },
    )
    if RESOURCE_ID.problem(fields["id"]):
        raise NotificationProblem(f"detail.harvest_job.id {clip(fields['id'])} is not a harvest job id")
    status = normalize_status(fields["status"])
    if status not in (TERMINAL_SUCCESS, "FAILED"):  # v1 jobs are never cancelled
        raise NotificationProblem(f"detail.harvest_job.status {clip(fields['status'])} is not a final status")
    return HarvestNotification(
        job_id=fields["id"],
        status=status,
        origin_endpoint_id=fields["origin_endpoint_id"],
        start_time=fields["start_time"],
        end_time=fields["end_time"],
        bucket=fields["s3_destination.bucket_name"],
        manifest_key=fields["s3_destination.manifest_key"],
        role_arn=fields["s3_destination.role_arn"],
    )


def _parse_v2(detail: Mapping[str, Any]) -> HarvestNotification:
    job = _member(detail, "harvestJob", "detail.harvestJob")
    schedule = _member(job, "scheduleConfiguration", "detail.harvestJob.scheduleConfiguration")
    destination = _member(job, "destination", "detail.harvestJob.destination")
    s3 = _member(destination, "s3Destination", "detail.harvestJob.destination.s3Destination")
    fields = _strings(
        "detail.harvestJob",
        {
            "harvestJobName": job.get("harvestJobName"),
            "status": job.get("status"),
            "channelGroupName": job.get("channelGroupName"),
            "channelName": job.get("channelName"),
            "originEndpointName": job.get("originEndpointName"),
            "scheduleConfiguration.startTime": schedule.get("startTime"),
            "scheduleConfiguration.endTime": schedule.get("endTime"),
            "destination.s3Destination.bucketName": s3.get("bucketName"),
            "destination.s3Destination.destinationPath": s3.get("destinationPath"),
        },
    )
    name = fields["harvestJobName"]
    if RESOURCE_ID.problem(name):
        raise NotificationProblem(f"detail.harvestJob.harvestJobName {clip(name)} is not a harvest job name")
    ref = "/".join(fields[k] for k in ("channelGroupName", "channelName", "originEndpointName"))
    if problem := endpoint_ref_problem(ref):
        raise NotificationProblem(f"detail.harvestJob origin endpoint {clip(ref)}: {problem}")
    status = normalize_status(fields["status"])
    if status not in (TERMINAL_SUCCESS, *FAILURES):
        raise NotificationProblem(f"detail.harvestJob.status {clip(fields['status'])} is not a final status")
    endpoint = V2Endpoint.from_ref(ref)
    assert endpoint is not None  # checked above
    return HarvestNotification(
        job_id=name,
        status=status,
        origin_endpoint_id=endpoint.ref,
        start_time=fields["scheduleConfiguration.startTime"],
        end_time=fields["scheduleConfiguration.endTime"],
        bucket=fields["destination.s3Destination.bucketName"],
        manifest_key=fields["destination.s3Destination.destinationPath"],
        role_arn="",
        v2_endpoint=endpoint,
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
    by_job: dict[tuple[str, str], HarvestNotification] = {}
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
            by_job[notification.key] = notification
    return list(by_job.values()), problems


def failure_reason_for_job(asset_events: Iterable[Mapping[str, Any]], job_id: str) -> str | None:
    """The reason a FAILED notification in ``asset_events`` gives for ``job_id``, if there is one.

    MediaPackage v1's API carries no failure reason; only the notification does. (A v2 job's name
    holds the digest of its endpoint, so the name alone finds it.)
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


def handoff_request_v2(
    job: Mapping[str, Any],
    *,
    container_type: str | None,
    packaging_group_id: str | None,
    vod_source_role_arn: str | None,
) -> HarvestRequest:
    """The request that verifies and hands off an external v2 job (GetHarvestJob's response).

    ``container_type`` is the origin endpoint's (TS or CMAF): a CMAF harvest is verified but not
    handed off (:meth:`HarvestRequest.not_handed_off`). The destination is checked like a run's
    parameters; :class:`NotificationProblem` names the field. The job name stands for the event id.
    """
    name = job.get("HarvestJobName")
    if not isinstance(name, str) or RESOURCE_ID.problem(name):
        raise NotificationProblem(f"HarvestJobName {clip(name)} is not a harvest job name")
    endpoint = v2_endpoint_of(job)
    if endpoint is None or (problem := endpoint_ref_problem(endpoint.ref)):
        where = clip(endpoint.ref) if endpoint else "is not named"
        raise NotificationProblem(f"harvest job {name}: origin endpoint {where}{f': {problem}' if endpoint else ''}")
    destination = job.get("Destination")
    s3 = destination.get("S3Destination") if isinstance(destination, Mapping) else None
    s3 = s3 if isinstance(s3, Mapping) else {}
    bucket, path = s3.get("BucketName"), s3.get("DestinationPath")
    for field, value in (("BucketName", bucket), ("DestinationPath", path)):
        if not isinstance(value, str) or not value:
            raise NotificationProblem(f"harvest job {name}: Destination.S3Destination.{field} is missing")
    listed = job.get("HarvestedManifests")
    listed = listed if isinstance(listed, Mapping) else {}
    harvested = {
        kind: tuple(m.get("ManifestName") if isinstance(m, Mapping) else None for m in listed.get(kind) or ())
        for kind in MANIFEST_SUFFIXES
    }
    harvested = {kind: names for kind, names in harvested.items() if names}
    folder = path.rstrip("/")
    problems = [f"Destination.S3Destination.BucketName {p}" for p in bucket_name_problems(bucket)]
    # The folder's rules are a manifest key's: checked on a key inside it.
    problems += [f"Destination.S3Destination.DestinationPath {p}" for p in manifest_key_problems(f"{folder}/x.m3u8")]
    bad = [n for names in harvested.values() for n in names if not isinstance(n, str) or RESOURCE_ID.problem(n)]
    if bad:
        problems.append(f"HarvestedManifests names {clip(bad)}, not manifest names")
    primary = primary_manifest_file(harvested)
    if primary is None:
        problems.append("HarvestedManifests lists no HLS, Low-Latency HLS or DASH manifest")
    window = job_window(job)
    if window is None:
        schedule = job.get("ScheduleConfiguration")
        problems.append(f"ScheduleConfiguration {clip(schedule)} is not a window")
    if problems:
        raise NotificationProblem(f"harvest job {name} on {endpoint.ref}: " + "; ".join(problems))
    return HarvestRequest(
        event_id=name,
        origin_endpoint_id=None,
        window=window,  # type: ignore[arg-type]  # None was reported above
        s3_bucket=bucket,
        manifest_key=f"{folder}/{primary}",
        role_arn="",
        packaging_group_id=packaging_group_id or None,
        vod_source_role_arn=vod_source_role_arn or None,
        v2_endpoint=endpoint,
        harvested_manifests=harvested,
        container_type=container_type,
    )


def outcome_reason(outcome: Mapping[str, Any]) -> str:
    """``": <reason>"`` of one job's outcome for a report line, or nothing when it has none."""
    return f": {outcome['reason']}" if outcome.get("reason") else ""
