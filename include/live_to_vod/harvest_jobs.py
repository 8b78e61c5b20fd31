"""Reading MediaPackage harvest jobs: DescribeHarvestJob (v1) and GetHarvestJob (v2) responses, and
the job in a notification.

Pure domain module. Used when a harvest job with the pipeline's deterministic id already
exists (is it *this run's* job, or a clash?), when a status arrives, and when a job made
anywhere must be told from the pipeline's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pendulum

from live_to_vod.harvest_request import HarvestRequest, HarvestWindow, V2Endpoint
from live_to_vod.naming import pipeline_event_id
from live_to_vod.text import clip

__all__ = [
    "CANCELLED",
    "FAILURES",
    "IN_PROGRESS",
    "TERMINAL_FAILURE",
    "TERMINAL_SUCCESS",
    "failure_reason_from_event",
    "matches_request",
    "job_window",
    "normalize_status",
    "parse_job_time",
    "pipeline_event_id_of",
    "v2_endpoint_of",
]

TERMINAL_SUCCESS = "SUCCEEDED"
TERMINAL_FAILURE = "FAILED"
IN_PROGRESS = "IN_PROGRESS"
#: A v2 job stopped by CancelHarvestJob: it never harvests, so it is a failure (v1 has no cancel).
CANCELLED = "CANCELLED"
#: The final statuses that are not a harvest.
FAILURES = (TERMINAL_FAILURE, CANCELLED)

# AWS's own event documentation shows COMPLETED where the API says SUCCEEDED.
_STATUS_ALIASES = {"COMPLETED": TERMINAL_SUCCESS}
_EPOCH_RE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?", re.ASCII)


def matches_request(job: Mapping, request: HarvestRequest) -> list[str]:
    """Differences between an existing job (DescribeHarvestJob response) and the one we would create.

    An empty list means the job is this request's job. Times are compared as instants:
    the job may carry them as ISO 8601 in any offset or as epoch seconds, as sent.
    """
    start, end = request.window.harvest_times()
    span = request.window.whole_seconds()
    destination = job.get("S3Destination")
    destination = destination if isinstance(destination, Mapping) else {}
    differences: list[str] = []

    def compare(name: str, actual: object, wanted: str) -> None:
        if actual != wanted:
            differences.append(f"{name} is {clip(actual, 80)}, this run wants {wanted}")

    compare("OriginEndpointId", job.get("OriginEndpointId"), request.origin_endpoint_id)
    for name, wanted_text, wanted in (("StartTime", start, span.start), ("EndTime", end, span.end)):
        actual = job.get(name)
        instant = parse_job_time(actual)
        if instant is None:
            differences.append(f"{name} is {clip(actual, 80)}, which is not a time; this run wants {wanted_text}")
        elif instant != wanted:
            differences.append(f"{name} is {clip(actual, 80)}, this run wants {wanted_text}")
    compare("BucketName", destination.get("BucketName"), request.s3_bucket)
    compare("ManifestKey", destination.get("ManifestKey"), request.manifest_key)
    compare("RoleArn", destination.get("RoleArn"), request.role_arn)
    return differences


def failure_reason_from_event(detail: Mapping) -> str | None:
    """The failure reason in a harvest job notification's ``detail``, if any.

    MediaPackage v1 puts it in ``detail.message`` beside ``harvest_job``; some
    events (and v2's ``harvestJob``) carry it inside the job object.
    """
    if not isinstance(detail, Mapping):
        return None
    candidates = [detail.get("message")]
    for key in ("harvest_job", "harvestJob"):
        job = detail.get(key)
        if isinstance(job, Mapping):
            candidates.append(job.get("message"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def normalize_status(status: str) -> str:
    """An upper-case status with aliases resolved: ``"COMPLETED"`` (v2's success, and v1's in AWS's event
    examples) -> ``"SUCCEEDED"``. ``CANCELLED`` stays itself (a failure: :data:`FAILURES`), so callers can say so."""
    text = str(status).strip().upper()
    return _STATUS_ALIASES.get(text, text)


def parse_job_time(value: object) -> pendulum.DateTime | None:
    """A job time as sent: ISO 8601 (naive read as UTC, as AWS returns it), epoch seconds or a datetime."""
    try:
        if isinstance(value, pendulum.DateTime):
            return value
        if hasattr(value, "utcoffset"):  # a stdlib datetime, if a client parsed it
            return pendulum.instance(value)  # type: ignore[arg-type]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return pendulum.from_timestamp(value)
        if isinstance(value, str) and len(value) <= 64:
            text = value.strip()
            if _EPOCH_RE.fullmatch(text):
                return pendulum.from_timestamp(float(text))
            parsed = pendulum.parse(text, exact=True, tz="UTC")
            return parsed if isinstance(parsed, pendulum.DateTime) else None
    except Exception:  # unreadable: reported as a difference by the caller
        return None
    return None


def job_window(job: Mapping) -> HarvestWindow | None:
    """The job's window (v1's ``StartTime``/``EndTime``, v2's ``ScheduleConfiguration``); None when
    they are not one."""
    times = job.get("ScheduleConfiguration") if "HarvestJobName" in job else job
    if not isinstance(times, Mapping):
        return None
    start, end = parse_job_time(times.get("StartTime")), parse_job_time(times.get("EndTime"))
    if start is None or end is None or end <= start:
        return None
    return HarvestWindow(start, end)


def v2_endpoint_of(job: Mapping) -> V2Endpoint | None:
    """The origin endpoint of a v2 job (GetHarvestJob's response); None when it is not one."""
    names = [job.get(k) for k in ("ChannelGroupName", "ChannelName", "OriginEndpointName")]
    if not all(isinstance(n, str) and n and "/" not in n for n in names):
        return None
    return V2Endpoint(*names)


def pipeline_event_id_of(job: Mapping) -> str | None:
    """The event id when ``job`` (DescribeHarvestJob's or v2 GetHarvestJob's response) is one
    ``live_event_harvest`` made: v2 names its jobs as v1 ids them, over the endpoint's ref."""
    if "HarvestJobName" in job:
        v2 = v2_endpoint_of(job)
        job_id, endpoint = job.get("HarvestJobName"), v2.ref if v2 else None
    else:
        job_id, endpoint = job.get("Id"), job.get("OriginEndpointId")
    window = job_window(job)
    if not isinstance(job_id, str) or not isinstance(endpoint, str) or window is None:
        return None
    return pipeline_event_id(job_id, endpoint, window)
