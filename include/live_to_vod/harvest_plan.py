"""What one scheduled event harvests: one :class:`HarvestUnit` per endpoint and output.

Pure domain module: no Airflow, no boto3. An event may have several origin endpoints
(a clean feed and a world feed, per-language endpoints), may be longer than the
24-hour harvest limit, and may have named highlight clips. :func:`plan_event` turns
it into independent harvest jobs, each with its own window and S3 manifest key.

Manifest naming convention
--------------------------
The event's manifest key (its ``manifest_key`` template rendered for the event, e.g.
``nfl-wk12/index.m3u8``) is the *template key*: its folder is the event's prefix, its
file name the name every parent manifest gets. Outputs go in folders under the prefix:

===========================  ====================================  ==================================================
output                       one endpoint                          several endpoints (a folder per endpoint id)
===========================  ====================================  ==================================================
whole event (<= 24 h)        ``nfl-wk12/index.m3u8`` (unchanged)   ``nfl-wk12/<endpoint>/index.m3u8``
part N of a longer event     ``nfl-wk12/part-0N/index.m3u8``       ``nfl-wk12/<endpoint>/part-0N/index.m3u8``
clip ``<name>``              ``nfl-wk12/clips/<name>/index.m3u8``  ``nfl-wk12/<endpoint>/clips/<name>/index.m3u8``
===========================  ====================================  ==================================================

* The output names are ``full``, ``part-01``, ``part-02``... (numbered from 1 in time
  order, at least two digits) and ``clip-<name>``. An event longer than 24 h has
  only parts, no ``full``; clips are never split (a clip is at most 24 h).
* Parts are consecutive and cover the padded window exactly: part N ends where part
  N+1 starts, and every part but the last is as long as the 24-hour limit allows.
  Inner boundaries fall on whole minutes UTC (multiples of ``align_seconds`` since
  the Unix epoch), which are segment boundaries for an endpoint whose segments are
  epoch-aligned and last a divisor of 60 s (1, 2, 4, 6, 10 s...). Where segments are
  not aligned that way, MediaPackage's segment-accurate extraction widens each part
  to whole segments, so the segment holding a boundary ends one part and starts the
  next: a few seconds of overlap, never a gap.
* With one endpoint there is no endpoint folder, so a single-endpoint event without
  clips or parts lands exactly at its manifest key, as a manual run does.
* Every output sits under the event's prefix; a whole-event asset's prefix therefore
  also holds its ``clips/`` folders (the asset verifier lists the prefix, so it may
  count clip objects as not named by the asset's playlists).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pendulum

from live_to_vod.validation import CLIP_NAME_RE, RESOURCE_ID_RE, HarvestWindow, manifest_key_problems, parse_time

__all__ = ["MAX_PART", "HarvestUnit", "output_manifest_key", "plan_event", "split_window"]

#: MediaPackage v1 harvests at most 24 hours per job: longer windows are split into parts.
MAX_PART = pendulum.duration(hours=24)

_PART_RE = re.compile(r"part-(?:0[1-9]|[1-9][0-9]+)", re.ASCII)
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class HarvestUnit:
    """One harvest job of an event: which output, from which endpoint, what window, where it lands."""

    output: str
    origin_endpoint_id: str
    window: HarvestWindow
    manifest_key: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (times as ISO 8601 strings) for XCom; :meth:`from_dict` reverses it."""
        return {
            "output": self.output,
            "origin_endpoint_id": self.origin_endpoint_id,
            "start_time": self.window.start.isoformat(),
            "end_time": self.window.end.isoformat(),
            "manifest_key": self.manifest_key,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HarvestUnit:
        """Rebuild a unit from :meth:`to_dict` output (trusted)."""
        window = HarvestWindow(parse_time("start_time", d["start_time"]), parse_time("end_time", d["end_time"]))
        return cls(d["output"], d["origin_endpoint_id"], window, d["manifest_key"])


def split_window(
    window: HarvestWindow, *, max_part: timedelta = MAX_PART, align_seconds: int = 60
) -> list[HarvestWindow]:
    """Consecutive parts covering ``window`` exactly, each at most ``max_part`` long.

    A window no longer than ``max_part`` is one part (itself). Otherwise every part but
    the last ends on the latest multiple of ``align_seconds`` since the epoch (UTC) that
    keeps it within ``max_part``; the last part takes the rest. Part *i*'s end is part
    *i+1*'s start. Raises ``ValueError`` for an empty window, an ``align_seconds`` below 1
    or a ``max_part`` shorter than ``align_seconds``.
    """
    if isinstance(align_seconds, bool) or not isinstance(align_seconds, int) or align_seconds < 1:
        raise ValueError(f"align_seconds must be a whole number of seconds >= 1, got {align_seconds!r}")
    max_us = timedelta.__floordiv__(max_part, _MICROSECOND)
    align_us = align_seconds * 1_000_000
    if max_us < align_us:
        raise ValueError(f"max_part ({max_part}) must be at least align_seconds ({align_seconds} s)")
    start_us, end_us = _epoch_us(window.start), _epoch_us(window.end)
    if end_us <= start_us:
        raise ValueError(f"the window {window.start} to {window.end} is empty")
    if end_us - start_us <= max_us:
        return [window]
    parts: list[HarvestWindow] = []
    start = window.start
    while end_us - start_us > max_us:
        boundary_us = (start_us + max_us) // align_us * align_us  # > start_us because max_us >= align_us
        boundary = pendulum.from_timestamp(boundary_us // 1_000_000, tz="UTC")
        parts.append(HarvestWindow(start, boundary))
        start, start_us = boundary, boundary_us
    parts.append(HarvestWindow(start, window.end))
    return parts


def _epoch_us(t: datetime) -> int:
    t = t.astimezone(pendulum.UTC)
    naive = datetime(t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond)
    return (naive - _EPOCH) // _MICROSECOND


def output_manifest_key(template_key: str, *, endpoint: str | None, output: str) -> str:
    """Where ``output`` of an event lands: the template key's folder, then ``endpoint/`` (when
    given: events with several endpoints), then the output's folder, then the template key's
    file name. See the module docstring for the convention.

    ``output_manifest_key("nfl-wk12/index.m3u8", endpoint=None, output="part-02")``
    -> ``"nfl-wk12/part-02/index.m3u8"``. Raises ``ValueError`` for an unknown output, an
    endpoint id that is not one, or a template key without a file name.
    """
    folder, _, basename = template_key.rpartition("/")
    if not basename:
        raise ValueError(f"the manifest key {template_key[:80]!r} names no manifest file")
    pieces = [folder] if folder else []
    if endpoint is not None:
        if not RESOURCE_ID_RE.fullmatch(endpoint):
            raise ValueError(f"{endpoint[:80]!r} is not an origin endpoint id")
        pieces.append(endpoint)
    if output == "full":
        pass
    elif _PART_RE.fullmatch(output):
        pieces.append(output)
    elif output.startswith("clip-") and CLIP_NAME_RE.fullmatch(output[5:]):
        pieces.extend(("clips", output[5:]))
    else:
        raise ValueError(f"unknown output {output[:80]!r}; outputs are full, part-NN and clip-<name>")
    pieces.append(basename)
    return "/".join(pieces)


def plan_event(
    event_id: str,
    endpoints: Sequence[str],
    window: HarvestWindow,
    clips: Sequence[tuple[str, HarvestWindow]],
    manifest_key: str,
) -> list[HarvestUnit]:
    """Every harvest job of one event, in order: per endpoint (in the order given), the
    whole window (output ``full``, or ``part-01``, ``part-02``... when it is longer than
    24 h), then each clip (``clip-<name>``).

    ``window`` is the padded event window, ``manifest_key`` the event's rendered key.
    Endpoint folders are used only when there is more than one endpoint. Raises
    ``ValueError`` (naming ``event_id``) for no or repeated endpoints, repeated clip names,
    a clip longer than 24 h or outside ``window``, two outputs of one endpoint with the
    same window (their harvest job ids would collide) or a resulting key S3 or
    MediaPackage would refuse; a validated schedule entry never does.
    """

    def fail(message: str) -> ValueError:
        return ValueError(f"event {event_id[:80]!r}: {message}")

    if not endpoints:
        raise fail("has no origin endpoint")
    if len(set(endpoints)) != len(endpoints):
        raise fail(f"lists an endpoint more than once: {list(endpoints)!r}")
    names = [name for name, _ in clips]
    if len(set(names)) != len(names):
        raise fail(f"has clips with the same name: {names!r}")
    for name, clip in clips:
        if clip.end - clip.start > MAX_PART:
            raise fail(f"clip {name!r} is longer than the 24-hour harvest limit")
        if clip.start < window.start or clip.end > window.end:
            raise fail(f"clip {name!r} is not inside the event window {window.start} to {window.end}")

    parts = split_window(window)
    outputs: list[tuple[str, HarvestWindow]] = (
        [("full", window)] if len(parts) == 1 else [(f"part-{i:02d}", part) for i, part in enumerate(parts, start=1)]
    )
    outputs.extend((f"clip-{name}", clip) for name, clip in clips)
    seen_windows: dict[tuple[pendulum.DateTime, pendulum.DateTime], str] = {}
    for output, w in outputs:
        other = seen_windows.setdefault((w.start, w.end), output)
        if other != output:
            raise fail(f"outputs {other!r} and {output!r} have the same window; their harvest jobs would collide")

    multi = len(endpoints) > 1
    units: list[HarvestUnit] = []
    for endpoint in endpoints:
        for output, w in outputs:
            key = output_manifest_key(manifest_key, endpoint=endpoint if multi else None, output=output)
            problems = manifest_key_problems(key)
            if problems:
                raise fail(f"the manifest key {key[:120]!r} {'; '.join(problems)}")
            units.append(HarvestUnit(output, endpoint, w, key))
    return units
