"""What a v2 origin endpoint serves, and what a v2 harvest writes: one layout for both.

An endpoint presents its channel's renditions (as ingested, HLS over MPEG-TS) in its container:
``TS`` serves the ingested segments as they are; ``CMAF`` repackages each into a fragmented MP4
media segment over one init segment per rendition (:mod:`devstack.cmaf`). Each named manifest is
rendered over the same files, so manifests of one endpoint (and of one harvest job) share them:

| file | name |
|---|---|
| HLS / LL-HLS multivariant | ``{manifest}.m3u8`` |
| HLS / LL-HLS media playlist of rendition ``i`` | ``{manifest}_{i}.m3u8`` |
| DASH manifest | ``{manifest}.mpd`` |
| segment | ``{SegmentName}_{i}_{n}.ts`` or ``.mp4`` (``n``: the rendition's media sequence number) |
| CMAF init segment | ``{SegmentName}_{i}_init.mp4`` |

CMAF timestamps are the wall clock (epoch-locked): a segment's decode time is its first PTS placed
on the wall clock (:func:`media_times`), in the track's timescale, so every rendition, the live
DASH timeline and the harvested one agree, without gaps between fragments. Playlists are
written with m3u8, MPDs with mpegdash (both maintained libraries).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pendulum
from mpegdash.nodes import (
    MPEGDASH,
    AdaptationSet,
    Period,
    Representation,
    S,
    SegmentTemplate,
    SegmentTimeline,
)
from mpegdash.parser import MPEGDASHParser

from devstack import cmaf
from devstack.ingest import Rendition, Segment, Variant
from devstack.playlists import media_playlist, multivariant

CHILD = re.compile(r"^(?P<manifest>.+)_(?P<index>\d+)\.m3u8$")


@dataclass(frozen=True)
class Layout:
    """File names of one endpoint's presentation (the table above)."""

    container: str  # "TS" | "CMAF"
    segment_name: str

    @property
    def is_cmaf(self) -> bool:
        return self.container == "CMAF"

    def segment(self, index: int, segment: Segment) -> str:
        return f"{self.segment_name}_{index}_{segment.seq}.{'mp4' if self.is_cmaf else 'ts'}"

    def init(self, index: int) -> str:
        return f"{self.segment_name}_{index}_init.mp4"

    def parse_segment(self, name: str) -> tuple[int, int | None] | None:
        """(rendition index, sequence number or None for the init segment) of a segment file name."""
        pattern = rf"^{re.escape(self.segment_name)}_(\d+)_(\d+|init)\.({'mp4' if self.is_cmaf else 'ts'})$"
        match = re.match(pattern, name)
        if match is None or (match[2] == "init" and not self.is_cmaf):
            return None
        return int(match[1]), None if match[2] == "init" else int(match[2])


def layout_of(endpoint: dict[str, Any]) -> Layout:
    return Layout(endpoint["ContainerType"], (endpoint.get("Segment") or {}).get("SegmentName") or "segment")


def manifest_kind(endpoint: dict[str, Any], name: str) -> str | None:
    """``HlsManifests``, ``LowLatencyHlsManifests`` or ``DashManifests``: where ``name`` is defined."""
    for kind in ("HlsManifests", "LowLatencyHlsManifests", "DashManifests"):
        if any(m["ManifestName"] == name for m in endpoint.get(kind) or []):
            return kind
    return None


def manifest(endpoint: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next(m for m in endpoint.get(kind) or [] if m["ManifestName"] == name)


# -- segment bytes ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _init_for(path: str, size: int) -> bytes:  # keyed by the first segment file read (renditions don't change)
    with open(path, "rb") as f:
        return cmaf.init_segment(f.read())


def init_bytes(segment: Segment) -> bytes:
    return _init_for(str(segment.path), segment.size)


def segment_bytes(layout: Layout, segment: Segment, decode_time: int | None = None) -> bytes:
    """The segment as the endpoint's container carries it: TS as ingested, or a CMAF fragment at
    ``decode_time`` (:func:`media_times`). Raises FileNotFoundError once it was evicted."""
    body = segment.path.read_bytes()
    if not layout.is_cmaf:
        return body
    assert decode_time is not None
    return cmaf.media_segment(body, segment.seq, decode_time)


def track_of(segment: Segment) -> cmaf.Track:
    return _track_for(str(segment.path), segment.size)


@functools.lru_cache(maxsize=256)
def _track_for(path: str, size: int) -> cmaf.Track:
    with open(path, "rb") as f:
        return cmaf.describe(f.read())


@functools.lru_cache(maxsize=8192)
def _span_for(path: str, size: int) -> cmaf.Span:
    with open(path, "rb") as f:
        return cmaf.span(f.read())


_PTS_WRAP = 1 << 33  # MPEG-TS timestamps are 33 bits at 90 kHz: they wrap every ~26.5 h
_TS_CLOCK = 90_000


def media_times(rendition: Rendition, segments: Sequence[Segment], timescale: int) -> tuple[list[int], list[int]]:
    """Each segment's decode time and duration in ``timescale``, on the wall clock.

    The media clock, not the playlist's: a segment's time is its first PTS, placed on the wall
    clock by one anchor per rendition (the PDT and PTS of the first segment this stack packaged,
    kept for the rendition's life so live and harvested timelines agree). Audio segments do not
    start on exact 2-second marks (AAC frames are 1,024 samples), so PDT alone would leave
    millisecond gaps and overlaps between fragments; PTS leaves none. A PTS that disagrees with
    the PDT by more than a second (an encoder restart) falls back to the PDT.
    """
    times, durations = [], []
    for segment in segments:
        span = _span_for(str(segment.path), segment.size)
        if rendition.media_anchor is None:
            rendition.media_anchor = (segment.start_ms, span.pts)
        anchor_ms, anchor_pts = rendition.media_anchor
        expected = (segment.start_ms - anchor_ms) * (_TS_CLOCK // 1000)
        ticks = (span.pts - anchor_pts) % _PTS_WRAP
        ticks += round((expected - ticks) / _PTS_WRAP) * _PTS_WRAP
        if abs(ticks - expected) > _TS_CLOCK:
            times.append(segment.start_ms * timescale // 1000)
        else:
            times.append((anchor_ms * (_TS_CLOCK // 1000) + ticks) * timescale // _TS_CLOCK)
        durations.append(span.duration)
    return times, durations


# -- HLS ----------------------------------------------------------------------------------------


def hls_multivariant(renditions: Sequence[tuple[Rendition, Variant]], manifest_name: str) -> str:
    return multivariant(renditions, lambda i: f"{manifest_name}_{i}.m3u8")


def hls_media(
    layout: Layout,
    index: int,
    rendition: Rendition,
    segments: Sequence[Segment],
    *,
    vod: bool,
    pdt_interval_seconds: float | None,
    ended: bool = False,
) -> str:
    return media_playlist(
        segments,
        lambda s: layout.segment(index, s),
        version=7 if layout.is_cmaf else rendition.version,
        vod=vod,
        pdt_interval_seconds=pdt_interval_seconds,
        ended=ended,
        init_uri=layout.init(index) if layout.is_cmaf else None,
    )


# -- DASH ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashTrack:
    """One Representation: its segments with their decode times and durations in the track's timescale."""

    index: int
    variant: Variant
    track: cmaf.Track
    segments: Sequence[Segment]
    times: Sequence[int]
    durations: Sequence[int]


def _seconds(value: float) -> str:
    return f"PT{value:.3f}S"


def _timeline(times: Sequence[int], durations: Sequence[int]) -> SegmentTimeline:
    """S elements with ``r`` runs; a new ``t`` only where the timeline jumps (a gap in the content)."""
    entries: list[S] = []
    expected: int | None = None
    for t, d in zip(times, durations, strict=True):
        last = entries[-1] if entries else None
        if last is not None and t == expected and d == last.d:
            last.r = (last.r or 0) + 1
        else:
            entry = S()
            entry.t = t if t != expected else None
            entry.d = d
            entries.append(entry)
        expected = t + d
    timeline = SegmentTimeline()
    timeline.Ss = entries
    return timeline


def dash_mpd(
    layout: Layout,
    tracks: Sequence[DashTrack],
    *,
    static: bool,
    window_seconds: float | None = None,
    min_update_seconds: float = 2.0,
) -> str:
    """A DASH MPD over CMAF segments: ``static`` for a harvested asset (starts at 0), else live."""
    mpd = MPEGDASH()
    mpd.xmlns = "urn:mpeg:dash:schema:mpd:2011"
    mpd.profiles = "urn:mpeg:dash:profile:isoff-live:2011"
    mpd.min_buffer_time = _seconds(4)
    longest = max((s.duration for t in tracks for s in t.segments), default=2.0)
    mpd.max_segment_duration = _seconds(longest)
    period = Period()
    period.id = "0"
    period.start = "PT0S"
    if static:
        mpd.type = "static"
        starts = [t.segments[0].start_ms for t in tracks if t.segments]
        ends = [t.segments[-1].end_ms for t in tracks if t.segments]
        mpd.media_presentation_duration = _seconds((min(ends) - max(starts)) / 1000 if starts else 0)
    else:
        mpd.type = "dynamic"
        mpd.availability_start_time = "1970-01-01T00:00:00Z"
        mpd.publish_time = pendulum.now("UTC").format("YYYY-MM-DDTHH:mm:ss[Z]")
        mpd.minimum_update_period = _seconds(min_update_seconds)
        mpd.time_shift_buffer_depth = _seconds(window_seconds or 60)
        mpd.suggested_presentation_delay = _seconds(3 * longest)
    sets: dict[str, AdaptationSet] = {}
    for item in tracks:
        if not item.segments:
            continue
        kind = item.track.kind
        adaptation = sets.get(kind)
        if adaptation is None:
            adaptation = sets[kind] = AdaptationSet()
            adaptation.id = len(sets)
            adaptation.content_type = kind
            adaptation.mime_type = f"{kind}/mp4"
            adaptation.segment_alignment = "true"
            adaptation.start_with_sap = 1
            adaptation.representations = []
            lang = item.variant.attributes.get("language")
            if lang:
                adaptation.lang = lang
        representation = Representation()
        representation.id = str(item.index)
        representation.bandwidth = int(item.variant.attributes.get("bandwidth") or _bandwidth(item.segments))
        representation.codecs = item.track.codecs
        if kind == "video":
            representation.width, representation.height = item.track.width, item.track.height
        else:
            representation.audio_sampling_rate = str(item.track.sample_rate)
        template = SegmentTemplate()
        template.timescale = item.track.timescale
        template.initialization = layout.init(item.index).replace(f"_{item.index}_", "_$RepresentationID$_")
        template.media = f"{layout.segment_name}_$RepresentationID$_$Number$.mp4"
        template.start_number = item.segments[0].seq
        if static:
            template.presentation_time_offset = item.times[0]
        template.segment_timelines = [_timeline(item.times, item.durations)]
        representation.segment_templates = [template]
        adaptation.representations.append(representation)
    period.adaptation_sets = list(sets.values())
    mpd.periods = [period]
    return MPEGDASHParser.get_as_doc(mpd).toprettyxml(indent="  ")


def _bandwidth(segments: Sequence[Segment]) -> int:
    return max((math.ceil(s.size * 8 / max(s.duration, 0.001)) for s in segments), default=1)
