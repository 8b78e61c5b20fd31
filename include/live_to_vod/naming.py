"""Deterministic names of the AWS resources one harvest creates.

Pure domain module: no Airflow, no boto3. Ids are derived from the request, not
random, so a retried or re-run task finds the job it already created instead of
creating a second one: MediaPackage keeps a harvest job's ``Id`` reserved for 90
days, which makes a deterministic id a natural idempotency key. A *deliberate*
new attempt (the previous job FAILED and its id cannot be reused) gets a
``-rN`` suffix.
"""

from __future__ import annotations

import hashlib
import re

from live_to_vod.validation import HarvestWindow

__all__ = ["harvest_job_id", "parse_attempt", "vod_asset_id"]

_JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,256}", re.ASCII)
_ATTEMPT_RE = re.compile(r"-r([1-9][0-9]*)", re.ASCII)
_HASH_CHARS = 12


def harvest_job_id(event_id: str, origin_endpoint_id: str, window: HarvestWindow, attempt: int = 1) -> str:
    """``{event_id}-{h}``, ``h`` = first 12 hex digits of sha256 over ``endpoint|start|end``.

    Start and end are the UTC strings sent to CreateHarvestJob, so the same window
    written with different offsets gets the same id, and a different endpoint or
    window (even for the same event) gets a different one. ``attempt`` 2 and up
    append ``-r{attempt}``. The result always matches ``^[A-Za-z0-9_-]{1,256}$``;
    an ``event_id`` or ``attempt`` that would break that raises ``ValueError``
    (validated requests never do).
    """
    if not _JOB_ID_RE.fullmatch(event_id):
        raise ValueError(f"event_id {event_id[:80]!r} cannot start a harvest job id")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"attempt must be an int >= 1, got {attempt!r}")
    start, end = window.harvest_times()
    digest = hashlib.sha256(f"{origin_endpoint_id}|{start}|{end}".encode()).hexdigest()[:_HASH_CHARS]
    job_id = f"{event_id}-{digest}" + (f"-r{attempt}" if attempt >= 2 else "")
    if len(job_id) > 256:
        raise ValueError(f"harvest job id would be {len(job_id)} characters; MediaPackage allows 256")
    return job_id


def vod_asset_id(harvest_job_id: str) -> str:
    """The MediaPackage VOD asset id for a harvest: the harvest job id itself.

    One asset per harvest job, so the id needs no state to find: a retried hand-off
    hits the existing asset (CreateAsset conflicts, DescribeAsset finds it) instead
    of ingesting a duplicate, and the asset is traceable to its job at a glance.
    """
    return harvest_job_id


def parse_attempt(job_id: str, base_id: str) -> int | None:
    """Which attempt of ``base_id`` (attempt 1's id) ``job_id`` is; None if it is not one.

    ``base_id`` -> 1, ``base_id-r2`` -> 2, ...; ``base_id-r1`` or ``base_id-r02`` are
    never produced by :func:`harvest_job_id`, so they are not attempts (None).
    """
    if job_id == base_id:
        return 1
    if not job_id.startswith(base_id):
        return None
    match = _ATTEMPT_RE.fullmatch(job_id[len(base_id) :])
    if match is None:
        return None
    attempt = int(match.group(1))  # at most ~250 digits: a job id has 256 characters
    return attempt if attempt >= 2 else None
