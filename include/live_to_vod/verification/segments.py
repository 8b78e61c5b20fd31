"""Segment lines of a media playlist against the listing (rules HLS-2, 3, 7, 9, 13, 17, 18).

:func:`check_segments` walks a playlist's segments once, in three named steps per segment:
its duration (:meth:`_SegmentWalk.duration`), its place on the wall clock
(:meth:`_SegmentWalk.timeline`: program date times, gaps and overlaps) and its object
(:meth:`_SegmentWalk.segment_object`: URI confinement, existence and size from the one listing,
init segment, byte range). Nothing is fetched here; every usable segment is kept (with its size
and place on the timeline) for the :mod:`.sizes` and :mod:`.structure` stages.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import pendulum

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition, SegmentRef, segment_where
from live_to_vod.verification.media_types import FMP4_EXTENSIONS
from live_to_vod.verification.report import fmt_ts
from live_to_vod.verification.uris import basename, dirname, extension, resolve

__all__ = ["check_segments"]

_BYTERANGE = re.compile(r"(?P<length>[0-9]{1,20})(?:@(?P<offset>[0-9]{1,20}))?", re.ASCII)


def check_segments(ctx: Context, rendition: Rendition, segments: list, *, what: str) -> None:
    """Check every segment line of ``rendition``'s playlist and record its totals and times."""
    walk = _SegmentWalk(ctx, rendition, what)
    walk.run(segments)
    walk.finish()


class _SegmentWalk:
    """One pass over a playlist's segments: the running timeline and totals."""

    def __init__(self, ctx: Context, rendition: Rendition, what: str) -> None:
        key = rendition.key
        assert key is not None
        self.ctx = ctx
        self.rendition = rendition
        self.key = key
        self.what = what
        self.add = ctx.defects.add
        self.base_dir = dirname(key)
        self.timed = rendition.timed
        self.target = rendition.target_duration
        self.tolerance = rendition.tolerance(ctx.tolerance)
        self.playlist_keys = {ctx.manifest_key, *(r.key for r in ctx.renditions)}
        self.prefix = ctx.prefix
        self.objects = ctx.objects
        self.referenced = ctx.referenced
        self.init_keys: dict[str, str | None] = {}
        self.byterange_ends: dict[str, int] = {}
        self.byterange_objects: set[str] = set()
        self.naive_pdt = False
        self.fmp4_without_map = False
        self.total_duration = 0.0
        self.count = 0
        self.total_bytes = 0
        # the timeline: the previous segment's start and duration, and what precedes the first PDT
        self.prev_time: float | None = None
        self.prev_duration = 0.0
        self.durations_before_first_pdt = 0.0
        self.backfill_ok = True
        self.first_time: float | None = None
        self.first_duration = 0.0
        self.epoch = 0
        self.usable: list[SegmentRef] = []

    def run(self, segments: list) -> None:
        """Each segment line: its duration, its place on the timeline, then its object."""
        add, key = self.add, self.key
        duration_of, timeline, segment_object = self.duration, self.timeline, self.segment_object
        for index, seg in enumerate(segments):
            uri = seg.get("uri")
            if uri is None:
                add(
                    catalog.TRUNCATED_PLAYLIST,
                    key,
                    f"{self.what} ends with a segment that has no URI (the last #EXTINF is not followed by a "
                    "segment line)",
                )
                continue
            uri = str(uri)
            if seg.get("discontinuity") and index > 0:
                self.epoch += 1
            self.count += 1
            where = segment_where(key, index, uri)
            duration = duration_of(seg, uri, where)
            timeline(index, seg, uri, where, duration)
            if seg.get("gap_tag"):
                add(
                    catalog.GAP_TAG,
                    where,
                    f"segment {clip(uri)} is marked #EXT-X-GAP: the asset has no media for {duration:g} s",
                    group=key,
                )
                continue
            segment_object(index, seg, uri, where, duration)

    def duration(self, seg: dict, uri: str, where: str) -> float:
        """HLS-2/3: the #EXTINF duration (0 when unusable), at most the target duration rounded half-up."""
        duration = seg.get("duration")
        if duration is None:
            self.add(catalog.EXTINF, where, f"segment {clip(uri)} has no #EXTINF duration", group=self.key)
            duration = 0.0
        elif not isinstance(duration, float) or not math.isfinite(duration) or duration < 0:
            self.add(
                catalog.EXTINF, where, f"segment {clip(uri)} has an invalid #EXTINF duration {duration}", group=self.key
            )
            duration = 0.0
        elif self.target is not None and math.floor(duration + 0.5) > self.target:
            self.add(
                catalog.TARGET_DURATION,
                where,
                f"segment {clip(uri)} lasts {duration:g} s, which rounds to "
                f"{math.floor(duration + 0.5)} s, more than #EXT-X-TARGETDURATION:{self.target}",
                group=self.key,
            )
        self.total_duration += duration
        return duration

    def timeline(self, index: int, seg: dict, uri: str, where: str, duration: float) -> None:
        """HLS-7/17: the segment's program date time (stated or carried on), gaps and overlaps."""
        discontinuity = bool(seg.get("discontinuity"))
        explicit = seg.get("program_date_time")
        current: float | None = None
        if isinstance(explicit, datetime):
            if explicit.tzinfo is None:
                self.naive_pdt = True
                explicit = explicit.replace(tzinfo=UTC)
            current = explicit.timestamp()
        prev_time = self.prev_time
        if self.timed:
            if current is None and (index == 0 or discontinuity):
                self._missing_pdt(index, uri, where)
            if current is not None and prev_time is not None and not discontinuity:
                expected = prev_time + self.prev_duration
                if abs(current - expected) > self.tolerance:
                    self._discontinuous(current, expected, uri, where)
        if current is None and prev_time is not None:
            current = prev_time + self.prev_duration
        if self.first_time is None:
            self._find_first_time(index, discontinuity, current, explicit, duration)
        if index == 0:
            self.first_duration = duration
        self.prev_time, self.prev_duration = current, duration

    def _missing_pdt(self, index: int, uri: str, where: str) -> None:
        reason = "the first segment" if index == 0 else "a segment after #EXT-X-DISCONTINUITY"
        self.add(
            catalog.MISSING_PDT,
            where,
            f"{reason} ({clip(uri)}) has no #EXT-X-PROGRAM-DATE-TIME, so the asset loses its wall-clock position",
            group=self.key,
        )

    def _discontinuous(self, current: float, expected: float, uri: str, where: str) -> None:
        """HLS-17: the segment does not start where the previous one ends: a gap or an overlap."""
        delta = current - expected
        if delta > self.tolerance:
            self.add(
                catalog.GAP,
                where,
                f"gap of {delta:.3f} s before segment {clip(uri)}: it starts at {fmt_ts(current)} "
                f"but the previous segment ends at {fmt_ts(expected)}",
                group=self.key,
            )
        elif delta < -self.tolerance:
            self.add(
                catalog.OVERLAP,
                where,
                f"segment {clip(uri)} starts at {fmt_ts(current)}, {-delta:.3f} s before the "
                f"previous segment ends ({fmt_ts(expected)})",
                group=self.key,
            )

    def _find_first_time(
        self, index: int, discontinuity: bool, current: float | None, explicit: object, duration: float
    ) -> None:
        """The rendition's start: the first PDT, carried back over the segments before it (not across a
        discontinuity)."""
        if discontinuity and index > 0:
            self.backfill_ok = False  # no extrapolating back across a discontinuity
        if current is None:
            self.durations_before_first_pdt += duration
        elif index == 0:
            self.first_time = current
            if isinstance(explicit, datetime):
                self.rendition.first_pdt = pendulum.instance(explicit).in_timezone("UTC")
        elif self.backfill_ok:
            self.first_time = current - self.durations_before_first_pdt

    def segment_object(self, index: int, seg: dict, uri: str, where: str, duration: float) -> None:
        """HLS-13/18/9: the object the URI names, from the listing; a usable one is a decode sample."""
        skey = self._segment_key(uri, where)
        if skey is None:
            return
        init = seg.get("init_section")
        init_key: str | None = None
        if isinstance(init, dict) and init.get("uri") is not None:
            init_key = self._init_key(str(init["uri"]))
        elif extension(uri) in FMP4_EXTENSIONS:
            self.fmp4_without_map = True
        size = self.objects[skey]
        byterange = seg.get("byterange")
        if byterange is not None:
            if self._check_byterange(str(byterange), skey, size, where, uri) and skey not in self.byterange_objects:
                self.byterange_objects.add(skey)
                self.total_bytes += size
            return  # a sub-range of an object: never fetched whole for decoding
        self.total_bytes += size
        if init is not None and init_key is None:
            return  # its init segment is unusable (already reported)
        start = self.total_duration - duration
        self.usable.append(SegmentRef(index, uri, skey, duration, size, init_key, self.epoch, start))

    def _segment_key(self, uri: str, where: str) -> str | None:
        """The segment's key when it is inside the prefix, not a playlist, listed and not empty."""
        add, key = self.add, self.key
        skey, check, reason = resolve(self.base_dir, uri, self.prefix)
        if skey is None:
            add(check, where, f"segment URI '{clip(uri)}' {reason}; it was not fetched", group=key)
            return None
        if skey in self.playlist_keys:
            add(
                catalog.RECURSIVE_PLAYLIST,
                where,
                f"segment URI '{clip(uri)}' names the playlist {basename(skey)}, not a media segment; "
                "it was not fetched",
                group=key,
            )
            return None
        return skey if self._listed_not_empty(skey, where, uri, init=False) else None

    def _listed_not_empty(self, okey: str, location: str, uri: str, *, init: bool) -> bool:
        """HLS-18 (HLS-9 for an init segment): the object is in the listing and is not empty."""
        self.referenced.add(okey)
        size = self.objects.get(okey)
        if size:
            return True
        name = f"{'init segment' if init else 'segment'} {clip(uri)}"
        if size == 0:
            self.add(catalog.ZERO_BYTE_SEGMENT, location, f"{name} (key {okey}) is empty (0 bytes)", group=self.key)
        elif init:
            self.add(
                catalog.MISSING_INIT_SEGMENT,
                location,
                f"{name} named by {self.what} does not exist in s3 (key {okey})",
                group=self.key,
            )
        else:
            self.add(
                catalog.MISSING_SEGMENT,
                location,
                f"{name} is named by {basename(self.key)} but does not exist in s3 (key {okey})",
                group=self.key,
            )
        return False

    def _init_key(self, init_uri: str) -> str | None:
        """The init segment's key, checked once per URI (its bytes count once)."""
        if init_uri not in self.init_keys:
            ikey = self.init_keys[init_uri] = self._check_init(init_uri)
            if ikey is not None:
                self.total_bytes += self.objects[ikey]
        return self.init_keys[init_uri]

    def _check_init(self, init_uri: str) -> str | None:
        """HLS-9: the #EXT-X-MAP init segment is inside the prefix, listed and not empty."""
        add, key = self.add, self.key
        ikey, check, reason = resolve(self.base_dir, init_uri, self.prefix)
        if ikey is None:
            add(check, key, f"#EXT-X-MAP URI '{clip(init_uri)}' in {self.what} {reason}; it was not fetched", group=key)
            return None
        return ikey if self._listed_not_empty(ikey, key, init_uri, init=True) else None

    def _check_byterange(self, value: str, skey: str, size: int, where: str, uri: str) -> bool:
        """HLS-18: ``<length>[@<offset>]`` inside its object (no offset: right after the previous range)."""
        match = _BYTERANGE.fullmatch(value.strip())
        if match is None:
            self.add(
                catalog.BYTERANGE,
                where,
                f"#EXT-X-BYTERANGE:{clip(value, 40)} is malformed (expected <length>[@<offset>] in decimal digits)",
                group=self.key,
            )
            return False
        ends = self.byterange_ends
        length = int(match["length"])
        offset = int(match["offset"]) if match["offset"] is not None else ends.get(skey, 0)
        ends[skey] = offset + length
        if length < 0 or offset < 0 or offset + length > size:
            self.add(
                catalog.BYTERANGE,
                where,
                f"#EXT-X-BYTERANGE {length}@{offset} of {clip(uri)} reaches past the end of the {size}-byte object",
                group=self.key,
            )
            return False
        return True

    def finish(self) -> None:
        """Playlist-wide findings, then the rendition's totals, times and decode samples."""
        if self.naive_pdt:
            self.add(
                catalog.PDT_TIMEZONE,
                self.key,
                f"{self.what} has #EXT-X-PROGRAM-DATE-TIME values without a time zone; read as UTC",
            )
        if self.fmp4_without_map:
            self.add(
                catalog.MISSING_MAP,
                self.key,
                f"{self.what} names fragmented MP4 segments but has no #EXT-X-MAP init segment",
            )
        r = self.rendition
        r.segments = self.count
        r.bytes = self.total_bytes
        r.duration = self.total_duration
        r.first_time = self.first_time
        r.first_duration = self.first_duration
        r.last_time, r.last_duration = self.prev_time, self.prev_duration
        r.media_segments = self.usable
