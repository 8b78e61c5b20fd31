"""Decoding whole segments (rules HLS-18, HLS-20): content types and PyAV.

The segments :mod:`.sampling` plans to decode (every one in the full mode) are fetched whole, at
most ``max_segment_bytes`` each, by :mod:`.structure`, and decoded here with PyAV: errors,
decoding-timestamp order and the decoded span against #EXTINF. WebVTT segments are only checked
for their header. Checks of MediaConvert MP4 outputs will live in ``mp4.py``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition, SegmentRef
from live_to_vod.verification.media_types import (
    FMP4_EXTENSIONS,
    MP4_TYPES,
    PACKED_AUDIO_TYPES,
    TS_TYPES,
    VTT_EXTENSIONS,
    VTT_TYPES,
    content_type,
)
from live_to_vod.verification.playlists import BOM
from live_to_vod.verification.store import FetchedObject
from live_to_vod.verification.uris import basename, extension

__all__ = [
    "check_content_type",
    "check_webvtt",
    "decode_media",
    "decode_segment",
    "fetch_whole",
    "init_segment",
]


def fetch_whole(ctx: Context, key: str, where: str) -> FetchedObject | None:
    """The whole object, unless it is bigger than the decode limit or gone."""
    size = ctx.objects.get(key, 0)
    if size > ctx.max_segment_bytes:
        ctx.defects.add(
            catalog.SEGMENT_TOO_LARGE,
            where,
            f"{basename(key)} is {size} bytes, more than the {ctx.max_segment_bytes}-byte decode limit; not decoded",
        )
        return None
    fetched = ctx.reader.get(key)
    if fetched is None:
        ctx.defects.add(catalog.MISSING_SEGMENT, where, f"{basename(key)} was listed but could not be read")
    return fetched


def _container(ref: SegmentRef, ext: str) -> tuple[str, frozenset[str], str | None]:
    """``(kind in words, allowed content types, PyAV format)`` by the init segment and the extension."""
    if ref.init_key is not None or ext in FMP4_EXTENSIONS:
        return "fragmented MP4", MP4_TYPES, "mp4"
    if ext in PACKED_AUDIO_TYPES:
        return "packed audio", PACKED_AUDIO_TYPES[ext], None
    return "MPEG-TS", TS_TYPES, "mpegts"


def check_content_type(ctx: Context, fetched: FetchedObject, where: str, ref: SegmentRef) -> None:
    """HLS-18: the stored Content-Type fits the segment's kind (one read of any length tells)."""
    ext = extension(ref.uri)
    if ext in VTT_EXTENSIONS:
        allowed, kind = VTT_TYPES, "WebVTT"
    else:
        kind, allowed, _ = _container(ref, ext)
    _check_segment_type(ctx, fetched, where, allowed, kind)


def decode_segment(ctx: Context, where: str, ref: SegmentRef, body: bytes, init: bytes) -> None:
    """HLS-20: decode a whole segment (``init`` prepended for fMP4) and judge what came out."""
    ext = extension(ref.uri)
    _, _, container = _container(ref, ext)
    _check_decoded(ctx, where, ref, decode_media(init + body, container, wraps=container == "mpegts"))


def check_webvtt(ctx: Context, where: str, fetched: FetchedObject) -> None:
    """A WebVTT segment starts with WEBVTT (after an optional byte order mark)."""
    if not fetched.body.lstrip(BOM).startswith(b"WEBVTT"):
        name = basename(fetched.key)
        ctx.defects.add(catalog.DECODE_FAILED, where, f"{name} is not a WebVTT file (it does not start with WEBVTT)")


def init_segment(ctx: Context, rendition: Rendition, init_key: str, cache: dict[str, bytes | None]) -> bytes | None:
    """The init segment's bytes (fetched and type-checked once); ``None`` when unusable."""
    if init_key not in cache:
        init = fetch_whole(ctx, init_key, f"{init_key} (init segment of {basename(rendition.label())})")
        if init is not None:
            _check_segment_type(ctx, init, init_key, MP4_TYPES, "fragmented MP4 init segment")
        cache[init_key] = None if init is None else init.body
    return cache[init_key]


def _check_decoded(ctx: Context, where: str, ref: SegmentRef, result: DecodeResult) -> None:
    """HLS-20: it decodes, its timestamps increase, and its span is about its #EXTINF."""
    add, name, duration = ctx.defects.add, basename(ref.key), ref.duration
    if result.error:
        add(catalog.DECODE_FAILED, where, f"{name} cannot be decoded: {result.error}")
        return
    for problem in result.timestamp_problems:
        add(catalog.TIMESTAMPS, where, f"{name}: {problem}")
    if result.span is not None and duration > 0:
        slack = max(0.25, 0.1 * duration)
        if abs(result.span - duration) > slack:
            add(
                catalog.SEGMENT_DURATION,
                where,
                f"{name} decodes to {result.span:.3f} s of media but its #EXTINF says "
                f"{duration:g} s (truncated or mislabelled segment?)",
            )


def _check_segment_type(ctx: Context, fetched: FetchedObject, where: str, allowed: frozenset, kind: str) -> None:
    """HLS-18: the stored Content-Type fits the segment's kind."""
    if content_type(fetched.content_type) not in allowed:
        ctx.defects.add(
            catalog.CONTENT_TYPE,
            where,
            f"{basename(fetched.key)} is stored with Content-Type {fetched.content_type or '(none)'}; a "
            f"{kind} segment needs {' or '.join(sorted(allowed))}",
        )


# --------------------------------------------------------------------------- PyAV


@dataclass
class DecodeResult:
    error: str | None = None
    frames: int = 0
    span: float | None = None
    timestamp_problems: list[str] = field(default_factory=list)


@dataclass
class _StreamTimes:
    """Per stream index: the last DTS, PTS bounds, packet and frame counts."""

    last_dts: dict[int, int] = field(default_factory=dict)
    first_pts: dict[int, int] = field(default_factory=dict)
    end_pts: dict[int, int] = field(default_factory=dict)
    last_pts: dict[int, int] = field(default_factory=dict)
    packets: dict[int, int] = field(default_factory=dict)
    frames: dict[int, int] = field(default_factory=dict)
    wrapped: bool = False

    def observe(self, packet, result: DecodeResult, *, wraps: bool) -> None:
        index = packet.stream.index
        dts, pts = packet.dts, packet.pts
        if dts is not None:
            prev = self.last_dts.get(index)
            if prev is not None and dts <= prev:
                if wraps and prev - dts > 2**32:
                    self.wrapped = True
                elif len(result.timestamp_problems) < 5:
                    tb = packet.time_base or packet.stream.time_base
                    result.timestamp_problems.append(
                        f"{packet.stream.type} timestamps do not increase: "
                        f"DTS {float(dts * tb):.3f} s follows {float(prev * tb):.3f} s"
                    )
            self.last_dts[index] = dts
        if pts is not None:
            self.first_pts[index] = min(self.first_pts.get(index, pts), pts)
            self.last_pts[index] = max(self.last_pts.get(index, pts), pts)
            end = pts + (packet.duration or 0)
            self.end_pts[index] = max(self.end_pts.get(index, end), end)
            self.packets[index] = self.packets.get(index, 0) + 1

    def span(self, streams) -> float | None:
        """The longest stream's media span in seconds (``None`` after a timestamp wrap)."""
        if self.wrapped:
            return None
        spans = []
        for s in streams:
            i = s.index
            if i not in self.first_pts or s.time_base is None:
                continue
            ticks = self.end_pts[i] - self.first_pts[i]
            if self.end_pts[i] == self.last_pts[i] and self.packets[i] > 1:
                # no packet durations: add one average frame for the last one
                ticks = ticks * self.packets[i] / (self.packets[i] - 1)
            spans.append(float(ticks * s.time_base))
        return max(spans) if spans else None


def decode_media(data: bytes, container_format: str | None, *, wraps: bool) -> DecodeResult:
    """Demux and decode every frame; report errors, DTS order and the media span."""
    import av  # imported lazily: only the decode step needs FFmpeg

    result = DecodeResult()
    try:
        with av.open(io.BytesIO(data), mode="r", format=container_format) as container:
            streams = [s for s in container.streams if s.type in ("video", "audio")]
            if not streams:
                result.error = "no audio or video stream found (no PAT/PMT or unknown format)"
                return result
            times = _StreamTimes()
            frames = times.frames
            for packet in container.demux(*streams):
                times.observe(packet, result, wraps=wraps)
                index = packet.stream.index
                for _frame in packet.decode():
                    frames[index] = frames.get(index, 0) + 1
            result.frames = sum(frames.values())
            silent = [s for s in streams if not frames.get(s.index)]
            if silent:
                kinds = ", ".join(f"{s.type} stream {s.index}" for s in silent)
                result.error = f"no frames could be decoded from {kinds}"
                return result
            result.span = times.span(streams)
    except Exception as exc:  # noqa: BLE001 - FFmpeg errors of every kind are defects of the segment
        result.error = f"{type(exc).__name__}: {clip(exc, 200)}"
    return result
