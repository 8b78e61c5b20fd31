"""A harvested DASH manifest (rules DASH-1 to DASH-5), expanded into renditions and segments.

The MPD is read with mpegdash (a maintained MPD library), never by hand. Each Representation
becomes a :class:`~.context.Rendition` whose media segments are every object its
SegmentTimeline expands to, with its init segment; from there the stages HLS assets go through
check it unchanged: the segments against the listing, the renditions against each other and the
window, sizes, structure and decoding. Timeline times are wall-clock: MediaPackage v2 stamps its
output epoch-locked (seconds since 1970 times the timescale), and ``presentationTimeOffset`` maps
the first segment to the presentation's start, so the window is checked on ``t / timescale``.
"""

from __future__ import annotations

import math
import re
import xml.parsers.expat
from dataclasses import dataclass
from typing import Any

import pendulum
from mpegdash.parser import MPEGDASHParser
from pendulum.parsing.exceptions import ParserError

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition, SegmentRef
from live_to_vod.verification.limits import MAX_PLAYLIST_LINES
from live_to_vod.verification.playlists import fetch_text
from live_to_vod.verification.uris import basename, resolve

__all__ = ["check_dash_manifest"]

_IDENTIFIER = re.compile(r"\$(\$|RepresentationID|Number|Time|Bandwidth)(?:%0(\d{1,2})d)?\$|\$[^$]*\$?")
#: Before 2001-09-09 in seconds since 1970: not an epoch-locked (wall-clock) timeline.
_WALL_CLOCK_FROM = 1_000_000_000


@dataclass(frozen=True)
class _Entry:
    number: int
    time: int
    duration: int


def check_dash_manifest(ctx: Context) -> None:
    key = ctx.manifest_key
    text = fetch_text(ctx, key, "the DASH manifest", catalog.MISSING_MANIFEST)
    if text is None:
        return
    if text.count("\n") > MAX_PLAYLIST_LINES:
        ctx.defects.add(catalog.PLAYLIST_TOO_LARGE, key, f"the DASH manifest has more than {MAX_PLAYLIST_LINES} lines")
        return
    try:
        mpd = MPEGDASHParser.parse(text)
    except (xml.parsers.expat.ExpatError, ValueError, TypeError, AttributeError) as exc:
        ctx.defects.add(catalog.DASH_UNREADABLE, key, f"the DASH manifest cannot be read: {clip(exc, 200)}")
        return
    periods = mpd.periods or []
    presentation = _seconds(mpd.media_presentation_duration)
    problems = []
    if mpd.type != "static":
        problems.append(f"its type is {mpd.type or 'not set (dynamic by default)'}, not static")
    if presentation is None:
        problems.append("it has no (readable) mediaPresentationDuration")
    if len(periods) != 1:
        problems.append(f"it has {len(periods)} Periods, not one")
    if problems:
        ctx.defects.add(
            catalog.DASH_NOT_STATIC, key, f"the DASH manifest is not a VOD presentation: {'; '.join(problems)}"
        )
    if not periods:
        return
    period = periods[0]
    for adaptation in period.adaptation_sets or []:
        for representation in adaptation.representations or []:
            rendition = _rendition(ctx, period, adaptation, representation, presentation)
            if rendition is not None:
                ctx.renditions.append(rendition)


def _seconds(duration: str | None) -> float | None:
    """An ISO 8601 duration (``PT1H2M3.5S``) in seconds."""
    if not duration:
        return None
    try:
        parsed = pendulum.parse(duration)
    except (ValueError, TypeError, ParserError):
        return None
    return parsed.total_seconds() if isinstance(parsed, pendulum.Duration) else None


def _first(*lists: Any) -> Any:
    for items in lists:
        if items:
            return items[0]
    return None


def _rendition(
    ctx: Context, period: Any, adaptation: Any, representation: Any, presentation: float | None
) -> Rendition | None:
    key = ctx.manifest_key
    rep_id = str(representation.id or "")
    where = f"{key} Representation {clip(rep_id, 40) or '(no id)'}"
    template = _first(representation.segment_templates, adaptation.segment_templates, period.segment_templates)
    timeline = _first(template.segment_timelines) if template is not None else None
    timescale = getattr(template, "timescale", None) or 0
    if template is None or timeline is None or not timescale or not template.media:
        ctx.defects.add(
            catalog.DASH_ADDRESSING_UNSUPPORTED,
            where,
            "has no SegmentTemplate with a timescale, a media template and a SegmentTimeline; "
            "its segments were not checked",
        )
        return None
    entries = _expand(ctx, where, timeline, int(template.start_number or 1))
    if entries is None:
        return None
    kind = _kind(adaptation, representation)
    mime = representation.mime_type or adaptation.mime_type or ""
    width, height = representation.width or adaptation.max_width, representation.height or adaptation.max_height
    rendition = Rendition(
        uri=f"{basename(key)}#{rep_id}",
        kind=kind,
        key=f"{key}#{rep_id}",  # where its defects are; never fetched (checked and parsed here)
        bandwidth=int(representation.bandwidth) if representation.bandwidth else None,
        resolution=f"{width}x{height}" if kind == "video" and width and height else None,
        codecs=representation.codecs or getattr(adaptation, "codecs", None),
        frame_rate=_frame_rate(representation.frame_rate or getattr(adaptation, "frame_rate", None)),
    )
    rendition.checked = rendition.parsed = True
    variables = {"RepresentationID": rep_id, "Bandwidth": str(representation.bandwidth or "")}
    init_key = None
    if template.initialization:
        init_key = _object(ctx, where, template.initialization, variables, init=True)
    elif mime.endswith("mp4"):
        ctx.defects.add(
            catalog.DASH_ADDRESSING_UNSUPPORTED, where, "names no initialization segment for its fMP4 media"
        )
    first = entries[0]
    pto = int(template.presentation_time_offset or 0)
    if first.time < _WALL_CLOCK_FROM * timescale:
        ctx.defects.add(
            catalog.DASH_NOT_WALL_CLOCK,
            where,
            f"its timeline starts at {first.time / timescale:.3f} s, not a wall-clock time; the window was not checked",
        )
    elif pto and abs(pto - first.time) > first.duration:
        ctx.defects.add(
            catalog.DASH_TIMELINE_GAP,
            where,
            f"presentationTimeOffset {pto} is {abs(pto - first.time) / timescale:.3f} s from the first segment "
            f"(t={first.time}): the presentation does not start with its media",
        )
    span = (entries[-1].time + entries[-1].duration - first.time) / timescale
    if presentation is not None and abs(span - presentation) > max(e.duration for e in entries) / timescale:
        ctx.defects.add(
            catalog.DASH_DURATION_MISMATCH,
            where,
            f"its timeline spans {span:.3f} s but the mediaPresentationDuration says {presentation:.3f} s",
        )
    _fill(ctx, rendition, where, template.media, variables, entries, timescale, init_key)
    return rendition


def _kind(adaptation: Any, representation: Any) -> str:
    declared = (adaptation.content_type or representation.mime_type or adaptation.mime_type or "").split("/")[0]
    return {"video": "video", "audio": "audio", "text": "subtitles"}.get(declared, "video")


def _frame_rate(value: str | None) -> float | None:
    if not value:
        return None
    try:
        numerator, _, denominator = str(value).partition("/")
        rate = float(numerator) / float(denominator or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return rate if math.isfinite(rate) and rate > 0 else None


def _expand(ctx: Context, where: str, timeline: Any, start_number: int) -> list[_Entry] | None:
    """Every segment of the timeline: number, start and duration (``None`` when it cannot be expanded)."""
    entries: list[_Entry] = []
    number, clock = start_number, None
    for s in timeline.Ss or []:
        repeat = int(s.r or 0)
        if repeat < 0 or not s.d or int(s.d) <= 0:
            ctx.defects.add(
                catalog.DASH_ADDRESSING_UNSUPPORTED,
                where,
                f"an S element has r={s.r} d={s.d}: a harvested timeline must list every segment with a duration",
            )
            return None
        time = int(s.t) if s.t is not None else (clock if clock is not None else 0)
        if clock is not None and s.t is not None and time != clock:
            ctx.defects.add(
                catalog.DASH_TIMELINE_GAP,
                where,
                f"segment {number} starts at t={time}, {'after' if time > clock else 'before'} the previous one ends "
                f"(t={clock})",
                group=where,
            )
        for _ in range(repeat + 1):
            entries.append(_Entry(number, time, int(s.d)))
            number, time = number + 1, time + int(s.d)
            if len(entries) > MAX_PLAYLIST_LINES:
                ctx.defects.add(
                    catalog.PLAYLIST_TOO_LARGE, where, f"its timeline has more than {MAX_PLAYLIST_LINES} segments"
                )
                return None
        clock = time
    if not entries:
        ctx.defects.add(catalog.DASH_ADDRESSING_UNSUPPORTED, where, "its SegmentTimeline is empty")
        return None
    return entries


def _substitute(template: str, variables: dict[str, str]) -> str | None:
    """The template with its identifiers filled in; ``None`` for an identifier DASH does not define."""
    unknown = False

    def fill(match: re.Match[str]) -> str:
        nonlocal unknown
        name, width = match.group(1), match.group(2)
        if name is None:
            unknown = True
            return ""
        if name == "$":
            return "$"
        value = variables.get(name, "")
        return value.zfill(int(width)) if width else value

    text = _IDENTIFIER.sub(fill, template)
    return None if unknown else text


def _object(ctx: Context, where: str, template: str, variables: dict[str, str], *, init: bool = False) -> str | None:
    uri = _substitute(template, variables)
    what = "initialization" if init else "media"
    if uri is None:
        ctx.defects.add(
            catalog.DASH_ADDRESSING_UNSUPPORTED,
            where,
            f"its {what} template '{clip(template)}' uses an unknown identifier",
        )
        return None
    key, check, reason = resolve(ctx.prefix, uri, ctx.prefix)
    if key is None:
        ctx.defects.add(check, where, f"its {what} URI '{clip(uri)}' {reason}; it was not fetched", group=where)
        return None
    ctx.referenced.add(key)
    size = ctx.objects.get(key)
    if size is None:
        missing = catalog.MISSING_INIT_SEGMENT if init else catalog.MISSING_SEGMENT
        ctx.defects.add(missing, where, f"{what} segment {basename(key)} is not in the listing", group=where)
        return None
    if size == 0:
        ctx.defects.add(catalog.ZERO_BYTE_SEGMENT, where, f"{what} segment {basename(key)} is empty", group=where)
        return None
    return key


def _fill(
    ctx: Context,
    rendition: Rendition,
    where: str,
    media: str,
    variables: dict[str, str],
    entries: list[_Entry],
    timescale: int,
    init_key: str | None,
) -> None:
    first = entries[0].time
    rendition.segments = len(entries)
    # As HLS rounds it (RFC 8216 4.3.3.1): audio segments of whole AAC frames run a few ms over 2 s.
    rendition.target_duration = max(1, math.floor(max(e.duration for e in entries) / timescale + 0.5))
    epoch = 0
    previous_end: int | None = None
    for index, entry in enumerate(entries):
        if previous_end is not None and entry.time != previous_end:
            epoch += 1  # media time is compared within one run, as across an HLS discontinuity
        previous_end = entry.time + entry.duration
        duration = entry.duration / timescale
        rendition.duration += duration
        key = _object(ctx, where, media, {**variables, "Number": str(entry.number), "Time": str(entry.time)})
        if key is None:
            continue
        size = ctx.objects[key]
        rendition.bytes += size
        start = (entry.time - first) / timescale
        uri = basename(key)
        rendition.media_segments.append(SegmentRef(index, uri, key, duration, size, init_key, epoch, start))
    if first >= _WALL_CLOCK_FROM * timescale:
        rendition.first_time = first / timescale
        rendition.first_duration = entries[0].duration / timescale
        rendition.last_time = entries[-1].time / timescale
        rendition.last_duration = entries[-1].duration / timescale
        rendition.first_pdt = pendulum.from_timestamp(rendition.first_time, tz="UTC")
