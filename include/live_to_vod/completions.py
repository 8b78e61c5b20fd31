"""Job completions pushed by EventBridge, shared by every wait that wants them.

One SQS queue receives the completion events of harvest jobs (MediaPackage v1 and v2) and of
MediaConvert jobs. Only one consumer reads it: the notification queue's asset watcher. It records
each completion here, in one index kept in the notification asset's state store, keyed by the job
(:func:`job_key`). Every waiting trigger reads that index (two reads a second per triggerer, not
per waiter) and, when its own job shows up, asks AWS for the job's status at once instead of at
its next poll. So no waiter consumes another's message, a duplicated event only rewrites the same
entry, and a restarted triggerer loses nothing: the index is in the metadata database. Events are
best effort, so every waiter still polls AWS, at a long interval, as the safety net.

Pure domain module (no Airflow imports): parsing messages, keys and the bounded index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pendulum

from live_to_vod.harvest_jobs import TERMINAL_SUCCESS, pipeline_event_id_of
from live_to_vod.harvest_request import V2Endpoint
from live_to_vod.notifications import HarvestNotification, NotificationProblem, parse_notification

__all__ = [
    "INDEX_KEY",
    "MEDIACONVERT_DETAIL_TYPE",
    "MEDIACONVERT_SOURCE",
    "Completion",
    "completion_from_message",
    "is_harvest_notification",
    "is_pipeline_success",
    "job_key",
    "merge_completions",
    "split_batch",
]

#: The state-store key of the index (one JSON object: job key -> [status, epoch seconds]).
INDEX_KEY = "completed_jobs"
MEDIACONVERT_SOURCE = "aws.mediaconvert"
MEDIACONVERT_DETAIL_TYPE = "MediaConvert Job State Change"
#: MediaConvert statuses after which a job never changes.
MEDIACONVERT_FINAL = ("COMPLETE", "ERROR", "CANCELED")
#: How long a completion stays in the index: longer than any wait's fallback poll interval, so a
#: waiter that missed its wake-up still finds it at its next poll (which asks AWS anyway).
KEEP_SECONDS = 6 * 3600
#: At most this many entries (the newest win): the index is read every second, so it stays small.
MAX_ENTRIES = 2000


def job_key(service: str, job_id: str, v2_endpoint: V2Endpoint | str | None = None) -> str:
    """How the index names a job: ``mediapackage/<id>``, ``mediapackagev2/<group/channel/endpoint>/<name>``
    (a v2 name is unique only on its endpoint) or ``mediaconvert/<id>``."""
    if v2_endpoint is not None:
        ref = v2_endpoint.ref if isinstance(v2_endpoint, V2Endpoint) else v2_endpoint
        return f"mediapackagev2/{ref}/{job_id}"
    return f"{service}/{job_id}"


@dataclass(frozen=True)
class Completion:
    """One job's final state as its event tells it (AWS stays the truth: waiters confirm it)."""

    key: str
    status: str
    at: float  # the event's time, epoch seconds


def _event(body: Any) -> Mapping[str, Any] | None:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    return body if isinstance(body, Mapping) else None


def _epoch(value: Any, default: float) -> float:
    try:
        return float(pendulum.parse(str(value)).timestamp())
    except Exception:
        return default


def is_harvest_notification(body: Any) -> bool:
    """Whether a message goes to the ``harvest_notifications`` DAG: all but MediaConvert's events, so a
    message that is no notification at all is reported there, not dropped in silence."""
    event = _event(body)
    return event is None or event.get("source") != MEDIACONVERT_SOURCE


def completion_from_message(body: Any, received_at: float) -> Completion | None:
    """The completion a queue message announces; None for anything else (a running MediaConvert job's
    progress, a message that is not an event). Never raises: the queue is untrusted input."""
    event = _event(body)
    if event is None:
        return None
    if event.get("source") == MEDIACONVERT_SOURCE:
        return _mediaconvert_completion(event, received_at)
    notification = _notification(event)
    return None if notification is None else _harvest_completion(notification, event, received_at)


def split_batch(messages: Iterable[Any], received_at: float) -> tuple[list[Completion], list[Any]]:
    """One pass over a batch of SQS messages, each body parsed once: the completions they announce,
    and the messages for the ``harvest_notifications`` DAG: every message but MediaConvert's
    (:func:`is_harvest_notification`) and the success of a job ``live_event_harvest`` made
    (:func:`is_pipeline_success`: that run's wait ends on the completion, the DAG would only skip it)."""
    completions, harvest = [], []
    for message in messages:
        event = _event(message.get("Body") if isinstance(message, Mapping) else None)
        if event is None:
            harvest.append(message)  # junk goes on, to be reported there
        elif event.get("source") == MEDIACONVERT_SOURCE:
            if (completion := _mediaconvert_completion(event, received_at)) is not None:
                completions.append(completion)
        else:
            notification = _notification(event)
            if notification is not None:
                completions.append(_harvest_completion(notification, event, received_at))
            if notification is None or not _pipeline_success(notification):
                harvest.append(message)
    return completions, harvest


def is_pipeline_success(body: Any) -> bool:
    """Whether a message announces the success of a harvest job ``live_event_harvest`` made (its id,
    or v2 name, is the digest of its endpoint and window). A failure is not one: its reason reaches
    the run's wait through the notification asset's events (MediaPackage's API has none)."""
    event = _event(body)
    notification = _notification(event) if event is not None else None
    return notification is not None and _pipeline_success(notification)


def _notification(event: Mapping[str, Any]) -> HarvestNotification | None:
    try:
        return parse_notification(event)
    except NotificationProblem:
        return None


def _harvest_completion(notification: HarvestNotification, event: Mapping[str, Any], received_at: float) -> Completion:
    key = job_key("mediapackage", notification.job_id, notification.v2_endpoint)
    return Completion(key, notification.status, _epoch(event.get("time"), received_at))


def _mediaconvert_completion(event: Mapping[str, Any], received_at: float) -> Completion | None:
    if event.get("detail-type") != MEDIACONVERT_DETAIL_TYPE:
        return None
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return None
    job_id, status = detail.get("jobId"), detail.get("status")
    if not isinstance(job_id, str) or not job_id or len(job_id) > 256 or status not in MEDIACONVERT_FINAL:
        return None
    return Completion(job_key("mediaconvert", job_id), status, _epoch(event.get("time"), received_at))


def _pipeline_success(notification: HarvestNotification) -> bool:
    if notification.status != TERMINAL_SUCCESS:
        return False
    job = {  # as DescribeHarvestJob names them; for v2 the endpoint's ref, over which v2 names are digested
        "Id": notification.job_id,
        "OriginEndpointId": notification.origin_endpoint_id,
        "StartTime": notification.start_time,
        "EndTime": notification.end_time,
    }
    return pipeline_event_id_of(job) is not None


def merge_completions(index: Any, completions: Iterable[Completion], now: float) -> dict[str, list[Any]]:
    """The index with ``completions`` added, entries older than :data:`KEEP_SECONDS` dropped and at most
    :data:`MAX_ENTRIES` kept. A malformed stored index is started afresh (waiters still poll AWS)."""
    entries: dict[str, list[Any]] = {}
    if isinstance(index, Mapping):
        for key, value in index.items():
            if isinstance(key, str) and isinstance(value, list) and len(value) == 2:
                if isinstance(value[1], (int, float)):
                    entries[key] = [str(value[0]), float(value[1])]
    for completion in completions:
        entries[completion.key] = [completion.status, completion.at]
    fresh = [(k, v) for k, v in entries.items() if v[1] >= now - KEEP_SECONDS]
    fresh.sort(key=lambda item: item[1][1])
    return dict(fresh[-MAX_ENTRIES:])
