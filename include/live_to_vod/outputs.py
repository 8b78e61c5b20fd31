"""What one event harvests: one :class:`EventOutput` (a harvest job) per endpoint and output.

Pure domain module. An event may have several origin endpoints (a clean feed and a world feed,
per-language endpoints), may be longer than the 24-hour harvest limit, and may have named
highlight clips. :func:`plan_outputs` turns it into independent harvest jobs, each with its own
window and S3 manifest key (the layout: :mod:`live_to_vod.manifest_keys`).

* The output names are ``full``, ``part-01``, ``part-02``... (numbered from 1 in time order, at
  least two digits) and ``clip-<name>`` (:mod:`live_to_vod.naming`). An event longer than 24 h
  has only parts, no ``full``; clips are never split (a clip is at most 24 h).
* Parts are consecutive and cover the padded window exactly: part N ends where part N+1 starts,
  and every part but the last is as long as the 24-hour limit allows. Inner boundaries fall on
  whole minutes UTC (multiples of ``align_seconds`` since the Unix epoch), which are segment
  boundaries for an endpoint whose segments are epoch-aligned and last a divisor of 60 s (1, 2,
  4, 6, 10 s...). Where segments are not aligned that way, MediaPackage's segment-accurate
  extraction widens each part to whole segments, so the segment holding a boundary ends one part
  and starts the next: a few seconds of overlap, never a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pendulum

from live_to_vod.field_rules import manifest_key_problems
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.limits import MAX_HARVEST_DURATION
from live_to_vod.manifest_keys import output_manifest_key
from live_to_vod.naming import FULL_OUTPUT, clip_output, part_output

__all__ = ["EventOutput", "OutputPlanError", "plan_outputs", "split_window"]

_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


class OutputPlanError(ValueError):
    """An event whose outputs cannot be planned; ``field`` is the request field to blame."""

    def __init__(self, message: str, field: str = "event") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EventOutput:
    """One harvest job of an event: which output, from which endpoint, what window, where it lands."""

    output: str
    origin_endpoint_id: str
    window: HarvestWindow
    manifest_key: str


def split_window(
    window: HarvestWindow, *, max_part: timedelta = MAX_HARVEST_DURATION, align_seconds: int = 60
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


def plan_outputs(
    event_id: str,
    endpoints: Sequence[str],
    window: HarvestWindow,
    clips: Sequence[tuple[str, HarvestWindow]],
    manifest_key: str,
) -> list[EventOutput]:
    """Every harvest job of one event, in order: per endpoint (in the order given), the
    whole window (output ``full``, or ``part-01``, ``part-02``... when it is longer than
    24 h), then each clip (``clip-<name>``).

    ``window`` is the padded event window, ``manifest_key`` the event's rendered key.
    Endpoint folders are used only when there is more than one endpoint. Raises
    :class:`OutputPlanError` (naming ``event_id``) for no or repeated endpoints, repeated clip names,
    a clip longer than 24 h or outside ``window``, two outputs of one endpoint with the
    same window (their harvest job ids would collide) or a resulting key S3 or
    MediaPackage would refuse; a validated schedule entry never does.
    """

    def fail(message: str, field: str = "event") -> OutputPlanError:
        return OutputPlanError(f"event {event_id[:80]!r}: {message}", field)

    if not endpoints:
        raise fail("has no origin endpoint")
    if len(set(endpoints)) != len(endpoints):
        raise fail(f"lists an endpoint more than once: {list(endpoints)!r}")
    names = [name for name, _ in clips]
    if len(set(names)) != len(names):
        raise fail(f"has clips with the same name: {names!r}")
    for name, clip in clips:
        if clip.end - clip.start > MAX_HARVEST_DURATION:
            raise fail(f"clip {name!r} is longer than the 24-hour harvest limit")
        if clip.start < window.start or clip.end > window.end:
            raise fail(f"clip {name!r} is not inside the event window {window.start} to {window.end}")

    parts = split_window(window)
    if len(parts) == 1:
        outputs: list[tuple[str, HarvestWindow]] = [(FULL_OUTPUT, window)]
    else:
        outputs = [(part_output(number), part) for number, part in enumerate(parts, start=1)]
    outputs.extend((clip_output(name), clip) for name, clip in clips)
    seen_windows: dict[tuple[pendulum.DateTime, pendulum.DateTime], str] = {}
    for output, w in outputs:
        span = w.whole_seconds()  # what a harvest job asks for, and its id is derived from
        other = seen_windows.setdefault((span.start, span.end), output)
        if other != output:
            raise fail(f"outputs {other!r} and {output!r} have the same window; their harvest jobs would collide")

    multi = len(endpoints) > 1
    units: list[EventOutput] = []
    for endpoint in endpoints:
        for output, w in outputs:
            try:
                key = output_manifest_key(manifest_key, endpoint=endpoint if multi else None, output=output)
            except ValueError as exc:
                raise fail(str(exc), "manifest_key") from None
            problems = manifest_key_problems(key)
            if problems:
                raise fail(f"the manifest key {key[:120]!r} {'; '.join(problems)}", "manifest_key")
            units.append(EventOutput(output, endpoint, w, key))
    return units
