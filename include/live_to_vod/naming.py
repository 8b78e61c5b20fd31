"""Deterministic names of everything one harvest creates or reads: harvest job ids, VOD asset
ids, output names, S3 ARNs.

Pure domain module. Ids are derived from the request, not random, so a retried or re-run task
finds the job it already created instead of creating a second one: MediaPackage keeps a harvest
job's ``Id`` reserved for 90 days, which makes a deterministic id a natural idempotency key. A
*deliberate* new attempt (the previous job FAILED and its id cannot be reused) gets a ``-rN``
suffix. The same module reads those ids back (:func:`pipeline_event_id`), so the format is
written once.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from live_to_vod.field_rules import CLIP_NAME, RESOURCE_ID
from live_to_vod.limits import RESOURCE_ID_MAX

if TYPE_CHECKING:
    from live_to_vod.harvest_request import HarvestWindow

__all__ = [
    "FULL_OUTPUT",
    "clip_output",
    "harvest_job_id",
    "output_folders",
    "part_output",
    "pipeline_event_id",
    "s3_object_arn",
    "vod_asset_id",
]

_HASH_CHARS = 12
_JOB_ID_RE = re.compile(rf"(?P<event_id>.+)-(?P<digest>[0-9a-f]{{{_HASH_CHARS}}})(?:-r(?P<attempt>[1-9][0-9]{{0,5}}))?")
_PART_RE = re.compile(r"part-(?:0[1-9]|[1-9][0-9]+)", re.ASCII)

#: The output name of an event's whole window (an event no longer than the 24-hour harvest limit).
FULL_OUTPUT = "full"


def harvest_job_id(event_id: str, origin_endpoint_id: str, window: HarvestWindow, attempt: int = 1) -> str:
    """``{event_id}-{h}``, ``h`` = first 12 hex digits of sha256 over ``endpoint|start|end``.

    Start and end are the UTC strings sent to CreateHarvestJob, so the same window
    written with different offsets gets the same id, and a different endpoint or
    window (even for the same event) gets a different one. ``attempt`` 2 and up
    append ``-r{attempt}``. The result always is a MediaPackage id; an ``event_id`` or
    ``attempt`` that would break that raises ``ValueError`` (validated requests never do).
    """
    if RESOURCE_ID.problem(event_id) is not None:
        raise ValueError(f"event_id {event_id[:80]!r} cannot start a harvest job id")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"attempt must be an int >= 1, got {attempt!r}")
    job_id = f"{event_id}-{_digest(origin_endpoint_id, window)}" + (f"-r{attempt}" if attempt >= 2 else "")
    if len(job_id) > RESOURCE_ID_MAX:
        raise ValueError(f"harvest job id would be {len(job_id)} characters; MediaPackage allows {RESOURCE_ID_MAX}")
    return job_id


def _digest(origin_endpoint_id: str, window: HarvestWindow) -> str:
    start, end = window.harvest_times()
    return hashlib.sha256(f"{origin_endpoint_id}|{start}|{end}".encode()).hexdigest()[:_HASH_CHARS]


def pipeline_event_id(job_id: str, origin_endpoint_id: str, window: HarvestWindow) -> str | None:
    """The event id when ``job_id`` is one :func:`harvest_job_id` made for this endpoint and window.

    Recomputing the digest from the job's own endpoint and times tells the pipeline's jobs from
    anyone else's without any shared state.
    """
    match = _JOB_ID_RE.fullmatch(job_id)
    if match is None:
        return None
    event_id = match.group("event_id")
    if RESOURCE_ID.problem(event_id) is not None:
        return None
    return event_id if match.group("digest") == _digest(origin_endpoint_id, window) else None


def vod_asset_id(harvest_job_id: str) -> str:
    """The MediaPackage VOD asset id for a harvest: the harvest job id itself.

    One asset per harvest job, so the id needs no state to find: a retried hand-off
    hits the existing asset (CreateAsset conflicts, DescribeAsset finds it) instead
    of ingesting a duplicate, and the asset is traceable to its job at a glance.
    """
    return harvest_job_id


def s3_object_arn(partition: str, bucket: str, key: str) -> str:
    """``arn:{partition}:s3:::{bucket}/{key}`` (MediaPackage VOD's ``SourceArn``)."""
    return f"arn:{partition}:s3:::{bucket}/{key}"


def part_output(number: int) -> str:
    """The output name of part ``number`` (from 1) of an event longer than 24 h: ``part-01``..."""
    return f"part-{number:02d}"


def clip_output(name: str) -> str:
    """The output name of the highlight clip ``name``: ``clip-<name>``."""
    return f"clip-{name}"


def output_folders(output: str) -> tuple[str, ...]:
    """The folders an output adds under its event's prefix: none for ``full``, ``part-NN/``,
    ``clips/<name>/``. Raises ``ValueError`` for a name that is none of these."""
    if output == FULL_OUTPUT:
        return ()
    if _PART_RE.fullmatch(output):
        return (output,)
    if output.startswith("clip-") and CLIP_NAME.problem(output[5:]) is None:
        return ("clips", output[5:])
    raise ValueError(f"unknown output {output[:80]!r}; outputs are full, part-NN and clip-<name>")
