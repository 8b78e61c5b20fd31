"""Decoding sample segments (rules HLS-18, HLS-20): content types, TS sync byte and PAT/PMT, PyAV.

The first and last usable segment of every audio, video and subtitle rendition (chosen by the
segment walk) are fetched, at most ``max_segment_bytes`` each, and decoded with PyAV: errors,
decoding-timestamp order and the decoded span against #EXTINF. WebVTT segments are only
checked for their header. Deeper fMP4/CMAF box checks will live in ``fmp4.py``, checks of
MediaConvert MP4 outputs in ``mp4.py``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition, SampleSegment
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

__all__ = ["decode_media", "decode_rendition", "ts_pat_pmt_problem"]

TS_PACKET = 188


def decode_rendition(ctx: Context, rendition: Rendition) -> None:
    """Fetch and decode the rendition's sample segments (init segments fetched once each)."""
    if not rendition.timed:
        return
    init_cache: dict[str, bytes | None] = {}
    for sample in rendition.sample_segments:
        where = f"{sample.key} (segment #{sample.index} of {basename(rendition.label())})"
        _decode_segment(ctx, rendition, where, sample, init_cache)


def _fetch(ctx: Context, key: str, where: str) -> FetchedObject | None:
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


def _container(sample: SampleSegment, ext: str) -> tuple[str, frozenset[str], str | None]:
    """``(kind in words, allowed content types, PyAV format)`` by the init segment and the extension."""
    if sample.init_key is not None or ext in FMP4_EXTENSIONS:
        return "fragmented MP4", MP4_TYPES, "mp4"
    if ext in PACKED_AUDIO_TYPES:
        return "packed audio", PACKED_AUDIO_TYPES[ext], None
    return "MPEG-TS", TS_TYPES, "mpegts"


def _decode_segment(
    ctx: Context, rendition: Rendition, where: str, sample: SampleSegment, init_cache: dict[str, bytes | None]
) -> None:
    ext = extension(sample.uri)
    if rendition.kind == "subtitles" or ext in VTT_EXTENSIONS:
        _check_webvtt(ctx, where, sample.key)
        return
    kind, allowed, container = _container(sample, ext)
    fetched = _fetch(ctx, sample.key, where)
    if fetched is None:
        return
    _check_segment_type(ctx, fetched, where, allowed, kind)
    init = b""
    if sample.init_key is not None:
        cached = _init_segment(ctx, rendition, sample.init_key, init_cache)
        if cached is None:
            return
        init = cached
    body = fetched.body
    if container == "mpegts":
        _check_ts_packets(ctx, where, sample.key, body)
    _check_decoded(ctx, where, sample, decode_media(init + body, container, wraps=container == "mpegts"))


def _check_webvtt(ctx: Context, where: str, skey: str) -> None:
    fetched = _fetch(ctx, skey, where)
    if fetched is None:
        return
    _check_segment_type(ctx, fetched, where, VTT_TYPES, "WebVTT")
    if not fetched.body.lstrip(BOM).startswith(b"WEBVTT"):
        ctx.defects.add(
            catalog.DECODE_FAILED, where, f"{basename(skey)} is not a WebVTT file (it does not start with WEBVTT)"
        )


def _init_segment(ctx: Context, rendition: Rendition, init_key: str, cache: dict[str, bytes | None]) -> bytes | None:
    """The init segment's bytes (fetched and type-checked once); ``None`` when unusable."""
    if init_key not in cache:
        init = _fetch(ctx, init_key, f"{init_key} (init segment of {basename(rendition.label())})")
        if init is not None:
            _check_segment_type(ctx, init, init_key, MP4_TYPES, "fragmented MP4 init segment")
        cache[init_key] = None if init is None else init.body
    return cache[init_key]


def _check_ts_packets(ctx: Context, where: str, skey: str, body: bytes) -> None:
    """HLS-20: the sync byte, a PAT and its PMT up front, whole 188-byte packets."""
    add, name = ctx.defects.add, basename(skey)
    if not body.startswith(b"\x47"):
        add(
            catalog.SYNC_BYTE,
            where,
            f"{name} should be MPEG-TS but does not start with the sync byte 0x47 "
            f"({f'first byte 0x{body[0]:02x}' if body else 'it is empty'})",
        )
        return
    problem = ts_pat_pmt_problem(body)
    if problem:
        add(catalog.PAT_PMT, where, f"{name}: {problem}")
    if len(body) % TS_PACKET:
        add(
            catalog.TS_PACKET_SIZE,
            where,
            f"{name} is {len(body)} bytes, not a whole number of 188-byte TS packets (truncated upload?)",
        )


def _check_decoded(ctx: Context, where: str, sample: SampleSegment, result: DecodeResult) -> None:
    """HLS-20: it decodes, its timestamps increase, and its span is about its #EXTINF."""
    add, name, duration = ctx.defects.add, basename(sample.key), sample.duration
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


# --------------------------------------------------------------------------- MPEG-TS tables


def ts_pat_pmt_problem(data: bytes) -> str | None:
    """``None`` when a PAT and the PMT it names appear in the first packets, else why not."""
    packets = min(len(data) // TS_PACKET, 64)
    if packets == 0:
        return "shorter than one 188-byte TS packet"
    pmt_pids: set[int] | None = None
    for i in range(packets):
        pkt = data[i * TS_PACKET : (i + 1) * TS_PACKET]
        if pkt[0] != 0x47:
            return f"TS packet {i} does not start with the sync byte 0x47"
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        if pid == 0 and pmt_pids is None and pkt[1] & 0x40:
            pmt_pids = _pat_program_map_pids(pkt)
        elif pmt_pids and pid in pmt_pids:
            return None
    if pmt_pids is None:
        return f"no Program Association Table (PAT) in the first {packets} TS packets"
    return f"no Program Map Table (PMT) in the first {packets} TS packets"


def _pat_program_map_pids(pkt: bytes) -> set[int] | None:
    """The PMT PIDs a PAT packet (payload unit start) lists; ``None`` when it carries no readable section."""
    control = (pkt[3] >> 4) & 0x3
    if control in (0, 2):
        return None
    offset = 4 + (1 + pkt[4] if control == 3 else 0)
    if offset >= TS_PACKET:
        return None
    offset += 1 + pkt[offset]  # pointer field
    if offset + 8 > TS_PACKET:
        return None
    section_length = ((pkt[offset + 1] & 0x0F) << 8) | pkt[offset + 2]
    end = min(offset + 3 + section_length - 4, TS_PACKET)
    pids = set()
    for j in range(offset + 8, end - 3, 4):
        program = (pkt[j] << 8) | pkt[j + 1]
        if program != 0:
            pids.add(((pkt[j + 2] & 0x1F) << 8) | pkt[j + 3])
    return pids


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
