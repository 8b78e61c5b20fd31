"""Synthetic live HLS encoder for the local MediaPackage emulator.

It produces real media with PyAV -- H.264 (libx264) video renditions and one AAC-LC audio rendition, each
in its own MPEG-TS segments -- and pushes them to a MediaPackage channel's ingest URL the way AWS Elemental
MediaLive (or ``ffmpeg -f hls -method PUT``) does: WebDAV-style HTTP PUTs with basic auth, every segment
uploaded before the playlist that names it, and an ``EXT-X-PROGRAM-DATE-TIME`` on every segment.

Encoding is done once: :class:`SegmentFactory` encodes a short cycle of content per rendition (closed GOP,
an IDR at every segment start), keeps the encoded packets and re-muxes them into a fresh MPEG-TS for any
segment number with the timestamps shifted, so timestamps run on continuously across every segment while a
segment costs only a remux. A pre-roll of ten minutes back-dated content is therefore pushed in seconds.

Upload layout for an ingest URL ``<base>`` (for example ``http://127.0.0.1:4566/in/v2/ch/1/channel``)::

    <base>.m3u8               multivariant playlist
    <base>_<i>.m3u8           media playlist of rendition i (1-based, in rendition order)
    <base>_<i>_<seq>.ts       segment with media sequence number seq (zero padded to 5 digits)

Command line::

    python -m devstack.encoder --ingest-url URL --username U --password P [--preroll S] [--duration S]

(the credentials may come from $DEVSTACK_INGEST_USERNAME and $DEVSTACK_INGEST_PASSWORD instead).
"""

from __future__ import annotations

import argparse
import io
import logging
import math
import os
import random
import re
import signal
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from urllib.parse import urlsplit, urlunsplit

import av
import m3u8
import pendulum
import requests

from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_RENDITIONS",
    "SEGMENT_SECONDS",
    "IngestError",
    "LiveHlsEncoder",
    "Rendition",
    "SegmentFactory",
    "main",
]


@dataclass(frozen=True)
class Rendition:
    """One output rendition. ``bitrate`` is the encoder's target in bits/s."""

    name: str  # "video_180p", "audio_aac"
    kind: str  # "video" | "audio"
    width: int = 0
    height: int = 0
    bitrate: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("video", "audio"):
            raise ValueError(f"rendition {self.name!r}: kind must be 'video' or 'audio', not {self.kind!r}")
        if self.bitrate <= 0:
            raise ValueError(f"rendition {self.name!r}: bitrate must be positive")
        if self.kind == "video" and (self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2):
            raise ValueError(f"rendition {self.name!r}: width and height must be positive and even")


DEFAULT_RENDITIONS: tuple[Rendition, ...] = (
    Rendition("video_180p", "video", 320, 180, 300_000),
    Rendition("video_270p", "video", 480, 270, 600_000),
    Rendition("video_360p", "video", 640, 360, 1_000_000),
    Rendition("audio_aac", "audio", bitrate=96_000),
)
SEGMENT_SECONDS = 2

FPS = 25
SAMPLE_RATE = 48_000
AUDIO_CHANNELS = 2
AAC_FRAME_SAMPLES = 1024
TS_CLOCK = 90_000
# Timestamp of segment 0's first sample. Non-zero so that the PCR, which the muxer sends MUX_DELAY_US ahead
# of the DTS, never goes negative. (Like any MPEG-TS stream, timestamps wrap modulo 2**33, i.e. ~26.5 h.)
PTS_OFFSET = 10 * TS_CLOCK
MUX_DELAY_US = 700_000
# mpegts_copyts: write our timestamps as they are (no muxer offset); max_delay: PCR leads DTS by 0.7 s.
_MUX_OPTIONS = {"mpegts_copyts": "1", "max_delay": str(MUX_DELAY_US)}

# Where the CLI takes the credentials from when --username/--password are not given.
USERNAME_ENV = "DEVSTACK_INGEST_USERNAME"
PASSWORD_ENV = "DEVSTACK_INGEST_PASSWORD"


class IngestError(RuntimeError):
    """A PUT to the ingest endpoint failed (non-2xx answer, or the network kept failing)."""


# --------------------------------------------------------------------------------------------------
# Content generation
# --------------------------------------------------------------------------------------------------

_WHITE = 235
# Seven-segment glyphs: a top, b top right, c bottom right, d bottom, e bottom left, f top left, g middle.
_GLYPHS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abged",
    "3": "abgcd",
    "4": "fgbc",
    "5": "afgcd",
    "6": "afgedc",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}
# Noise luma values squeezed into 96..159: gives the encoder real work (realistic segment sizes) without
# dominating the picture.
_NOISE_TABLE = bytes(96 + v // 4 for v in range(256))


def _fill_rect(buf: bytearray, stride: int, x0: int, y0: int, x1: int, y1: int, value: int) -> None:
    line = bytes([value]) * (x1 - x0)
    for y in range(y0, y1):
        start = y * stride + x0
        buf[start : start + len(line)] = line


def _draw_text(buf: bytearray, stride: int, text: str, x: int, y: int, w: int) -> None:
    """Draws digits as seven-segment glyphs ``w`` wide and ``2w`` high."""
    t = max(2, w // 4)
    h = 2 * w
    for char in text:
        for seg in _GLYPHS.get(char, ""):
            x0, y0, x1, y1 = {
                "a": (0, 0, w, t),
                "b": (w - t, 0, w, h // 2),
                "c": (w - t, h // 2, w, h),
                "d": (0, h - t, w, h),
                "e": (0, h // 2, t, h),
                "f": (0, 0, t, h // 2),
                "g": (0, h // 2 - t // 2, w, h // 2 - t // 2 + t),
            }[seg]
            _fill_rect(buf, stride, x + x0, y + y0, x + x1, y + y1, _WHITE)
        x += w + max(2, w // 2)


def _video_frame(rendition: Rendition, index: int, total: int, segment_frames: int) -> av.VideoFrame:
    """Frame ``index`` of the ``total``-frame cycle: a luma gradient with a bar sweeping across once per
    cycle, a frame counter, a box flashing on the first frame of every segment, a noise strip at the bottom
    and a background colour whose hue turns once per cycle."""
    width, height = rendition.width, rendition.height
    frame = av.VideoFrame(width, height, "yuv420p")
    y_plane = frame.planes[0]
    stride = y_plane.line_size

    row = bytearray(16 + (x * 80) // width for x in range(width))
    bar = max(4, width // 20)
    x0 = (index * (width - bar)) // max(1, total - 1)
    row[x0 : x0 + bar] = bytes([_WHITE]) * bar
    row += bytes(stride - width)
    buf = bytearray(bytes(row) * height)

    strip = max(2, height // 8)
    noise = random.Random(index).randbytes(strip * stride).translate(_NOISE_TABLE)
    buf[(height - strip) * stride :] = noise

    glyph = max(6, height // 12)
    _draw_text(buf, stride, f"{index:03d}", glyph, glyph, glyph)
    if index % segment_frames == 0:
        _fill_rect(buf, stride, width - 4 * glyph, glyph, width - glyph, 4 * glyph, _WHITE)
    y_plane.update(bytes(buf))

    theta = 2 * math.pi * index / total
    u = 128 + round(48 * math.cos(theta))
    v = 128 + round(48 * math.sin(theta))
    frame.planes[1].update(bytes([u]) * frame.planes[1].buffer_size)
    frame.planes[2].update(bytes([v]) * frame.planes[2].buffer_size)
    frame.pts = index
    frame.time_base = Fraction(1, FPS)
    return frame


def _tone(period_samples: int) -> bytes:
    """One period of the audio as native float32: a 440 Hz tone with an 880 Hz pip during the first 100 ms
    (the period is one segment, so the pip marks every segment start, like the flashing box)."""
    pip = SAMPLE_RATE // 10
    samples = array("f", bytes(4 * period_samples))
    for i in range(period_samples):
        freq = 880 if i < pip else 440
        samples[i] = 0.25 * math.sin(2 * math.pi * freq * i / SAMPLE_RATE)
    return samples.tobytes()


# --------------------------------------------------------------------------------------------------
# Segment factory
# --------------------------------------------------------------------------------------------------


@dataclass
class _Track:
    rendition: Rendition
    # The container holding the encoder stream is kept open: its stream is the template of every segment's
    # output stream (codec parameters, AAC extradata).
    template_container: av.container.OutputContainer
    template: av.stream.Stream
    # segments[k]: (packet, pts, dts, duration) in 90 kHz relative to the cycle start, in decode order.
    segments: list[list[tuple[av.Packet, int, int, int]]]
    codecs: str
    # Filled by SegmentFactory._measure():
    bitrates: tuple[int, int] = (0, 0)  # (peak, average) bits/s of the MPEG-TS segments
    cycle_counts: dict[int, int] = field(default_factory=dict)  # PID -> CC-counted packets per cycle
    position_offsets: list[dict[int, int]] = field(default_factory=list)  # PID -> count before position k


class SegmentFactory:
    """Encodes a short cycle of content once per rendition (e.g. 8 s = 4 segments of 2 s; 8 s is a whole
    number of AAC frames at 48 kHz: 375 x 1024 samples) with a closed GOP starting every segment, keeps the
    encoded packets, and produces segment n by re-muxing the cycle's packets into a fresh MPEG-TS with
    pts/dts shifted by n * segment duration, so timestamps are continuous and strictly increasing across ALL
    segments (modulo the 33-bit MPEG-TS wrap), with no per-segment encode cost.

    Segment n's first video pts is ``PTS_OFFSET + n * segment_seconds * 90000``. Audio segments hold the AAC
    frames whose pts falls into the segment's time span, so they start up to one AAC frame late and their
    length varies by one frame (93 or 94 frames for 2 s).

    Thread-safe (segments are produced under a lock).
    """

    def __init__(self, renditions: Sequence[Rendition] = DEFAULT_RENDITIONS, segment_seconds: int = SEGMENT_SECONDS):
        if isinstance(segment_seconds, bool) or not isinstance(segment_seconds, int) or segment_seconds < 1:
            raise ValueError(f"segment_seconds must be a positive whole number, not {segment_seconds!r}")
        renditions = tuple(renditions)
        if not renditions:
            raise ValueError("at least one rendition is needed")
        if len({r.name for r in renditions}) != len(renditions):
            raise ValueError("rendition names must be unique")
        self.renditions: tuple[Rendition, ...] = renditions
        self.segment_seconds = segment_seconds
        # A whole number of segments that is also a whole number of AAC frames: 8 s * 48000 = 375 * 1024.
        self.cycle_seconds = math.lcm(segment_seconds, 8)
        self.cycle_segments = self.cycle_seconds // segment_seconds
        self.segment_ticks = segment_seconds * TS_CLOCK
        self._lock = threading.Lock()
        started = time.perf_counter()
        self._tracks: dict[str, _Track] = {}
        for rendition in renditions:
            encode = self._encode_video if rendition.kind == "video" else self._encode_audio
            track = encode(rendition)
            self._measure(track)
            self._tracks[rendition.name] = track
        log.debug(
            "encoded a %d s cycle of %d renditions in %.2f s",
            self.cycle_seconds,
            len(renditions),
            time.perf_counter() - started,
        )

    # -- public --------------------------------------------------------------------------------------

    def segment(self, rendition: Rendition | str, index: int) -> bytes:
        """Segment ``index`` (0-based) of ``rendition`` as a complete MPEG-TS file (PAT/PMT first)."""
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"segment index must be a non-negative int, not {index!r}")
        track = self._track(rendition)
        cycle, position = divmod(index, self.cycle_segments)
        data = self._mux(track, position, PTS_OFFSET + cycle * self.cycle_seconds * TS_CLOCK)
        # Continuity counters carry on from the previous segment, as if one muxer wrote the whole stream
        # (a client that feeds consecutive segments to one demuxer, as FFmpeg's HLS reader does, would
        # otherwise see a CC error -- and drop or flag packets -- at every segment start).
        offsets = {
            pid: (cycle * track.cycle_counts[pid] + track.position_offsets[position][pid]) % 16
            for pid in track.cycle_counts
        }
        return _shift_continuity(data, offsets)

    def codecs(self, rendition: Rendition | str) -> str:
        """RFC 6381 codec string: ``avc1.PPCCLL`` from the stream's SPS, ``mp4a.40.<AOT>`` for AAC."""
        return self._track(rendition).codecs

    def bitrates(self, rendition: Rendition | str) -> tuple[int, int]:
        """(peak, average) bit rate in bits/s of the rendition's MPEG-TS segments, measured on a whole
        cycle (content repeats, so this holds for every segment): BANDWIDTH and AVERAGE-BANDWIDTH."""
        return self._track(rendition).bitrates

    # -- muxing --------------------------------------------------------------------------------------

    def _mux(self, track: _Track, position: int, shift: int) -> bytes:
        """The cycle's segment ``position`` as MPEG-TS, timestamps shifted by ``shift`` (90 kHz),
        continuity counters starting from 0."""
        out = io.BytesIO()
        with self._lock:  # the packets are shared by every segment of this position
            container = av.open(out, "w", format="mpegts", options=_MUX_OPTIONS)
            try:
                stream = container.add_stream_from_template(track.template)
                for packet, pts, dts, duration in track.segments[position]:
                    packet.stream = stream
                    packet.time_base = Fraction(1, TS_CLOCK)
                    packet.pts = pts + shift
                    packet.dts = dts + shift
                    packet.duration = duration
                    container.mux_one(packet)
            finally:
                container.close()
        return _drop_sdt(out.getvalue())

    def _measure(self, track: _Track) -> None:
        """Muxes one cycle to learn, per PID, how many continuity-counted packets each segment holds (the
        same for every cycle: only timestamps change), and the segments' bit rates."""
        counts = []
        sizes = []
        for position in range(self.cycle_segments):
            data = self._mux(track, position, PTS_OFFSET)
            counts.append(_payload_packets(data))
            sizes.append(len(data) * 8)
        pids = sorted({pid for count in counts for pid in count})
        running = dict.fromkeys(pids, 0)
        track.position_offsets = []
        for count in counts:
            track.position_offsets.append(dict(running))
            for pid in pids:
                running[pid] += count.get(pid, 0)
        track.cycle_counts = running
        track.bitrates = (
            math.ceil(max(sizes) / self.segment_seconds),
            math.ceil(sum(sizes) / len(sizes) / self.segment_seconds),
        )

    # -- encoding ------------------------------------------------------------------------------------

    def _track(self, rendition: Rendition | str) -> _Track:
        name = rendition if isinstance(rendition, str) else rendition.name
        try:
            track = self._tracks[name]
        except KeyError:
            raise KeyError(f"unknown rendition {name!r}") from None
        if isinstance(rendition, Rendition) and rendition != track.rendition:
            raise KeyError(f"rendition {name!r} differs from the factory's {track.rendition!r}")
        return track

    def _encode_video(self, rendition: Rendition) -> _Track:
        gop = FPS * self.segment_seconds
        total = FPS * self.cycle_seconds
        kbps = max(1, rendition.bitrate // 1000)
        x264_params = ":".join(
            [
                f"keyint={gop}",
                f"min-keyint={gop}",
                "scenecut=0",
                "open-gop=0",
                "repeat-headers=1",  # SPS/PPS in front of every IDR, so each segment decodes on its own
                f"vbv-maxrate={kbps}",
                f"vbv-bufsize={kbps * self.segment_seconds}",
            ]
        )
        container = av.open(io.BytesIO(), "w", format="mpegts")
        stream = container.add_stream(
            "libx264",
            rate=FPS,
            options={"preset": "ultrafast", "forced-idr": "1", "x264-params": x264_params},
        )
        stream.width = rendition.width
        stream.height = rendition.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = rendition.bitrate
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.codec_context.gop_size = gop
        container.start_encoding()

        packets: list[av.Packet] = []
        for i in range(total):
            frame = _video_frame(rendition, i, total, gop)
            if i % gop == 0:
                frame.pict_type = av.video.frame.PictureType.I
            packets.extend(stream.encode(frame))
        packets.extend(stream.encode(None))
        if len(packets) != total:
            raise RuntimeError(f"{rendition.name}: encoder returned {len(packets)} packets for {total} frames")

        segments: list[list[tuple[av.Packet, int, int, int]]] = [[] for _ in range(self.cycle_segments)]
        to_ticks = Fraction(TS_CLOCK, 1) * packets[0].time_base  # ticks per packet time unit
        frame_ticks = TS_CLOCK // FPS
        for packet in packets:
            pts = int(packet.pts * to_ticks)
            dts = int(packet.dts * to_ticks)
            position = pts // self.segment_ticks
            segments[position].append((packet, pts, dts, frame_ticks))
        for position, seg in enumerate(segments):
            first = min(seg, key=lambda entry: entry[1])
            if not (seg[0][0].is_keyframe and first is seg[0] and first[1] == position * self.segment_ticks):
                raise RuntimeError(f"{rendition.name}: segment {position} does not start with a keyframe")
        return _Track(rendition, container, stream, segments, _avc1_codecs(bytes(packets[0])))

    def _encode_audio(self, rendition: Rendition) -> _Track:
        container = av.open(io.BytesIO(), "w", format="mpegts")
        stream = container.add_stream("aac", rate=SAMPLE_RATE)
        stream.layout = "stereo"
        stream.format = "fltp"
        stream.bit_rate = rendition.bitrate
        container.start_encoding()
        frame_samples = stream.codec_context.frame_size or AAC_FRAME_SAMPLES
        if frame_samples != AAC_FRAME_SAMPLES:
            raise RuntimeError(f"unexpected AAC frame size {frame_samples}")

        # Encode two cycles (plus the encoder's look-ahead) and keep the second: its first frames overlap
        # the end of the first cycle -- identical content -- so the kept cycle loops seamlessly, and the
        # encoder's priming delay (negative first pts) is left behind.
        cycle = self.cycle_seconds * SAMPLE_RATE
        period = self.segment_seconds * SAMPLE_RATE
        tone = _tone(period)
        tone = tone + tone[: 4 * frame_samples]  # wrap-around room for the last frame of a period
        packets: list[av.Packet] = []
        for start in range(0, 2 * cycle + 4 * frame_samples, frame_samples):
            offset = 4 * (start % period)
            chunk = tone[offset : offset + 4 * frame_samples]
            frame = av.AudioFrame(format="fltp", layout="stereo", samples=frame_samples)
            for plane in frame.planes:
                plane.update(chunk)
            frame.sample_rate = SAMPLE_RATE
            frame.pts = start
            frame.time_base = Fraction(1, SAMPLE_RATE)
            packets.extend(stream.encode(frame))
        packets.extend(stream.encode(None))

        segments: list[list[tuple[av.Packet, int, int, int]]] = [[] for _ in range(self.cycle_segments)]
        to_samples = Fraction(SAMPLE_RATE, 1) * packets[0].time_base
        frame_ticks = AAC_FRAME_SAMPLES * TS_CLOCK // SAMPLE_RATE
        kept = 0
        for packet in packets:
            sample = int(packet.pts * to_samples) - cycle
            if not 0 <= sample < cycle:
                continue
            ticks = sample * TS_CLOCK // SAMPLE_RATE  # exact: samples are multiples of 1024
            position = sample // period
            segments[position].append((packet, ticks, ticks, frame_ticks))
            kept += 1
        if kept != cycle // AAC_FRAME_SAMPLES:
            raise RuntimeError(f"{rendition.name}: kept {kept} AAC frames, expected {cycle // AAC_FRAME_SAMPLES}")
        extradata = stream.codec_context.extradata or b""
        aot = extradata[0] >> 3 if extradata else 2
        return _Track(rendition, container, stream, segments, f"mp4a.40.{aot}")


_TS_PACKET = 188
# Sync byte, then PID 0x0011 (with or without payload_unit_start_indicator, never error/priority flags).
_SDT_HEADER = re.compile(rb"\x47[\x00\x40]\x11")


def _drop_sdt(ts: bytes) -> bytes:
    """Removes the DVB Service Description Table packets FFmpeg's muxer writes ahead of the PAT: HLS wants
    every segment to start with the PAT and the PMT (as Apple's segmenter and MediaLive write them), and an
    HLS client has no use for DVB SI."""
    view = memoryview(ts)
    kept = []
    position = 0
    for match in _SDT_HEADER.finditer(ts):
        start = match.start()
        if start % _TS_PACKET == 0:
            kept.append(view[position:start])
            position = start + _TS_PACKET
    kept.append(view[position:])
    return b"".join(kept)


def _pids(ts: bytes) -> list[int]:
    return [(high & 0x1F) << 8 | low for high, low in zip(ts[1::_TS_PACKET], ts[2::_TS_PACKET], strict=True)]


def _payload_packets(ts: bytes) -> dict[int, int]:
    """PID -> number of packets carrying a payload (the ones that advance the continuity counter)."""
    counts: dict[int, int] = {}
    for pid, flags in zip(_pids(ts), ts[3::_TS_PACKET], strict=True):
        if flags & 0x10:
            counts[pid] = counts.get(pid, 0) + 1
    return counts


def _shift_continuity(ts: bytes, offsets: dict[int, int]) -> bytes:
    """Adds ``offsets[pid]`` (mod 16) to the continuity counter of every packet of each PID."""
    if not any(offsets.values()):
        return ts
    out = bytearray(ts)
    out[3::_TS_PACKET] = bytes(
        (flags & 0xF0) | ((flags + offsets.get(pid, 0)) & 0x0F)
        for pid, flags in zip(_pids(ts), ts[3::_TS_PACKET], strict=True)
    )
    return bytes(out)


def _avc1_codecs(annexb: bytes) -> str:
    """``avc1.PPCCLL`` (profile_idc, constraint flags, level_idc) from the first SPS in an Annex B packet."""
    for match in re.finditer(b"\x00\x00\x01", annexb):
        start = match.end()
        if start < len(annexb) and annexb[start] & 0x1F == 7 and len(annexb) >= start + 4:
            profile, constraints, level = annexb[start + 1 : start + 4]
            return f"avc1.{profile:02x}{constraints:02x}{level:02x}"
    raise RuntimeError("no SPS in the first H.264 packet")


# --------------------------------------------------------------------------------------------------
# Live encoder / uploader
# --------------------------------------------------------------------------------------------------

_OFFSET_COLON = re.compile(r"^(#EXT-X-PROGRAM-DATE-TIME:.*[+-]\d\d):(\d\d)$", re.MULTILINE)
_FRAME_RATE = re.compile(r"FRAME-RATE=([0-9.]+)")


def _epoch_us(moment: pendulum.DateTime) -> int:
    return moment.int_timestamp * 1_000_000 + moment.microsecond


def _safe_url(url: str) -> str:
    """The URL without any user:password@ part, for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class LiveHlsEncoder:
    """Pushes a live HLS presentation to an ingest URL (MediaLive-style HLS output over WebDAV PUT).

    ``ingest_url`` is the channel's ingest base (a trailing ``.m3u8`` is tolerated and dropped; any
    ``user:password@`` in it is dropped too -- credentials are sent only as basic auth from ``username``
    and ``password``). ``playlist_window`` is the number of segments in the live media playlists.
    ``clock`` returns the current time (default ``pendulum.now("UTC")``). ``factory`` lets several encoders
    share one :class:`SegmentFactory` (its renditions and segment length then apply; ``renditions`` and
    ``segment_seconds`` must be left at their defaults or match it).
    """

    RETRIES = 2  # extra attempts for a failed PUT (network error, 5xx or 429)
    RETRY_BACKOFF = 0.25  # seconds, doubled every attempt
    TIMEOUT = 30  # seconds per request
    POLL = 0.25  # longest sleep between clock checks in real time

    def __init__(
        self,
        ingest_url: str,
        username: str,
        password: str,
        *,
        renditions: Sequence[Rendition] = DEFAULT_RENDITIONS,
        segment_seconds: int = SEGMENT_SECONDS,
        playlist_window: int = 6,
        session: requests.Session | None = None,
        clock: Callable[[], pendulum.DateTime] | None = None,
        factory: SegmentFactory | None = None,
    ):
        if playlist_window < 1:
            raise ValueError("playlist_window must be at least 1")
        if factory is None:
            factory = SegmentFactory(renditions, segment_seconds)
        elif tuple(renditions) != factory.renditions and renditions is not DEFAULT_RENDITIONS:
            raise ValueError("renditions differ from the factory's")
        elif segment_seconds != factory.segment_seconds and segment_seconds != SEGMENT_SECONDS:
            raise ValueError("segment_seconds differs from the factory's")
        self.factory = factory
        self.renditions = factory.renditions
        self.segment_seconds = factory.segment_seconds
        self.playlist_window = playlist_window
        url = _safe_url(ingest_url)  # credentials travel in the Authorization header only
        self.base_url = url[: -len(".m3u8")] if url.endswith(".m3u8") else url
        self.basename = self.base_url.rsplit("/", 1)[-1]
        if not self.basename or not urlsplit(self.base_url).netloc:
            raise ValueError(f"ingest URL {self.base_url!r} must end with a name, e.g. .../channel")
        self._auth = (username, password)
        self._session = session or requests.Session()
        self._clock = clock or (lambda: pendulum.now("UTC"))
        self._start: pendulum.DateTime | None = None
        self._next = 0  # first segment index not pushed yet
        self._run_start = 0  # first index of the current contiguous run of pushed segments
        self._pushed = False
        self._multivariant_pushed = False
        self._finished = False
        self._logged_minutes = 0

    # -- public --------------------------------------------------------------------------------------

    @property
    def start(self) -> pendulum.DateTime:
        """PDT of segment 0 (set by :meth:`run`, or on the first push: now, rounded down)."""
        if self._start is None:
            self._start = self._aligned(self._now())
        return self._start

    @start.setter
    def start(self, value: pendulum.DateTime) -> None:
        if self._pushed:
            raise RuntimeError("the start cannot change once segments were pushed")
        self._start = pendulum.instance(value).in_timezone("UTC")

    @property
    def next_segment(self) -> int:
        """Index of the next segment :meth:`run` would push."""
        return self._next

    def program_date_time(self, index: int) -> pendulum.DateTime:
        return self.start.add(seconds=index * self.segment_seconds)

    def run(
        self,
        preroll_seconds: float = 0,
        duration_seconds: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        """Pre-roll: back-fill ``preroll_seconds`` of back-dated content as fast as possible; the stream's
        start (PDT of segment 0) is now - preroll_seconds rounded down to a whole segment of the epoch clock.
        Then continue in real time: segment n is pushed as soon as its end (PDT + duration) is <= now.
        Stops after ``duration_seconds`` of content past the pre-roll point (the segments that end by
        then), when ``stop_event`` is set, or never (None). On stop, pushes final playlists with
        #EXT-X-ENDLIST."""
        if preroll_seconds < 0:
            raise ValueError("preroll_seconds must not be negative")
        now = self._now()
        if not self._pushed:
            self._start = self._aligned(now.subtract(microseconds=round(preroll_seconds * 1e6)))
        elif preroll_seconds:
            log.warning("run(): segments were already pushed, ignoring preroll_seconds=%s", preroll_seconds)
        limit = None
        if duration_seconds is not None:
            limit = self._ended_by(now.add(microseconds=round(duration_seconds * 1e6)))

        def stopped() -> bool:
            return stop_event is not None and stop_event.is_set()

        ready = self._ended_by(now)
        if limit is not None:
            ready = min(ready, limit)
        if ready > self._next:
            log.info(
                "pre-roll: pushing %d segments (%s s) from %s",
                ready - self._next,
                (ready - self._next) * self.segment_seconds,
                self.program_date_time(self._next),
            )
        while self._next < ready and not stopped():
            self.push_segments(self._next, min(self.playlist_window, ready - self._next))

        while not stopped() and (limit is None or self._next < limit):
            now = self._now()
            ready = self._ended_by(now)
            if limit is not None:
                ready = min(ready, limit)
            if ready > self._next:
                self.push_segments(self._next, min(self.playlist_window, ready - self._next))
                continue
            due = self.program_date_time(self._next + 1)
            wait = min(self.POLL, max(0.0, (due - now).total_seconds()))
            if stop_event is not None:
                stop_event.wait(wait)
            else:
                time.sleep(wait)
        self.finish()

    def push_segments(self, first: int, count: int) -> None:
        """Pushes segments [first, first+count) of every rendition, then the media playlists naming them
        (a sliding window of at least ``playlist_window`` segments ending with the last one pushed), then,
        the first time, the multivariant playlist."""
        if first < 0 or count < 1:
            raise ValueError("need first >= 0 and count >= 1")
        if self._finished:
            raise RuntimeError("the presentation was finished")
        self.start  # noqa: B018 -- fixes the start if nobody did
        if not self._pushed or first != self._next:
            self._run_start = first
        self._pushed = True
        end = first + count
        for number, rendition in enumerate(self.renditions, 1):
            for index in range(first, end):
                self._put(self._segment_url(number, index), self.factory.segment(rendition, index), TS_CONTENT_TYPE)
        low = max(self._run_start, min(first, end - self.playlist_window))
        for number, _ in enumerate(self.renditions, 1):
            self._put(
                self._playlist_url(number),
                self.media_playlist(number, low, end).encode(),
                HLS_CONTENT_TYPE,
            )
        self._next = end
        if not self._multivariant_pushed:
            self._put(f"{self.base_url}.m3u8", self.multivariant_playlist().encode(), HLS_CONTENT_TYPE)
            self._multivariant_pushed = True
        minutes = int(end * self.segment_seconds // 60)
        if minutes > self._logged_minutes:
            self._logged_minutes = minutes
            lag = (self._now() - self.program_date_time(end)).total_seconds()
            log.info(
                "pushed %d min of content: segments up to %d, PDT up to %s (%.1f s behind now)",
                minutes,
                end - 1,
                self.program_date_time(end).isoformat(),
                lag,
            )

    def finish(self) -> None:
        """Pushes the final media playlists (the last window, with #EXT-X-ENDLIST). Idempotent."""
        if self._finished:
            return
        self._finished = True
        if not self._pushed:
            log.warning("finish(): no segment was pushed, nothing to end")
            return
        low = max(self._run_start, self._next - self.playlist_window)
        for number, _ in enumerate(self.renditions, 1):
            self._put(
                self._playlist_url(number),
                self.media_playlist(number, low, self._next, final=True).encode(),
                HLS_CONTENT_TYPE,
            )
        log.info(
            "finished after segment %d (PDT %s)",
            self._next - 1,
            self.program_date_time(self._next).isoformat(),
        )

    # -- playlists -----------------------------------------------------------------------------------

    def segment_name(self, number: int, index: int) -> str:
        return f"{self.basename}_{number}_{index:05d}.ts"

    def playlist_name(self, number: int | None = None) -> str:
        return f"{self.basename}.m3u8" if number is None else f"{self.basename}_{number}.m3u8"

    def media_playlist(self, number: int, first: int, end: int, *, final: bool = False) -> str:
        """Media playlist of rendition ``number`` (1-based) listing segments [first, end)."""
        playlist = m3u8.M3U8()
        playlist.version = 3
        playlist.target_duration = self.segment_seconds
        playlist.media_sequence = first
        for index in range(first, end):
            playlist.add_segment(
                m3u8.Segment(
                    uri=self.segment_name(number, index),
                    duration=float(self.segment_seconds),
                    program_date_time=self.program_date_time(index),
                )
            )
        playlist.is_endlist = final
        text = playlist.dumps(timespec="milliseconds", infspec="milliseconds")
        # m3u8 leaves out EXT-X-MEDIA-SEQUENCE when it is 0, and writes the UTC offset as +00:00; encoders
        # always write the sequence and MediaLive writes the offset in the basic form (+0000).
        if first == 0:
            text = text.replace("#EXTM3U\n", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n", 1)
        return _OFFSET_COLON.sub(r"\1\2", text)

    def multivariant_playlist(self) -> str:
        videos = [(i, r) for i, r in enumerate(self.renditions, 1) if r.kind == "video"]
        audios = [(i, r) for i, r in enumerate(self.renditions, 1) if r.kind == "audio"]
        playlist = m3u8.M3U8()
        playlist.version = 3
        playlist.is_independent_segments = True
        media = []
        for position, (number, rendition) in enumerate(audios):
            media.append(
                m3u8.Media(
                    uri=self.playlist_name(number),
                    type="AUDIO",
                    group_id="aac",
                    name="English" if position == 0 else rendition.name,
                    language="en",
                    default="YES" if position == 0 else "NO",
                    autoselect="YES",
                    channels=str(AUDIO_CHANNELS),
                )
            )
        for item in media:
            playlist.add_media(item)
        audio_codecs = self.factory.codecs(audios[0][1]) if audios else None
        audio_peak, audio_average = self.factory.bitrates(audios[0][1]) if audios else (0, 0)
        for number, rendition in videos:
            peak, average = self.factory.bitrates(rendition)
            codecs = self.factory.codecs(rendition)
            info = {
                "bandwidth": peak + audio_peak,
                "average_bandwidth": average + audio_average,
                "codecs": f"{codecs},{audio_codecs}" if audio_codecs else codecs,
                "resolution": f"{rendition.width}x{rendition.height}",
                "frame_rate": float(FPS),
            }
            if audios:
                info["audio"] = "aac"
            playlist.add_playlist(m3u8.Playlist(self.playlist_name(number), info, media, None))
        if not videos:  # audio-only presentation: the audio renditions are the variants
            for number, rendition in audios:
                peak, average = self.factory.bitrates(rendition)
                info = {
                    "bandwidth": peak,
                    "average_bandwidth": average,
                    "codecs": self.factory.codecs(rendition),
                }
                playlist.add_playlist(m3u8.Playlist(self.playlist_name(number), info, [], None))
        # m3u8 writes FRAME-RATE with %g ("25"); encoders write three decimals.
        return _FRAME_RATE.sub(lambda m: f"FRAME-RATE={float(m.group(1)):.3f}", playlist.dumps())

    # -- internals -----------------------------------------------------------------------------------

    def _now(self) -> pendulum.DateTime:
        return pendulum.instance(self._clock()).in_timezone("UTC")

    def _aligned(self, moment: pendulum.DateTime) -> pendulum.DateTime:
        seconds = math.floor(moment.timestamp())
        return pendulum.from_timestamp(seconds - seconds % self.segment_seconds, tz="UTC")

    def _ended_by(self, moment: pendulum.DateTime) -> int:
        """Number of segments (from 0) whose end is <= moment."""
        elapsed = _epoch_us(moment) - _epoch_us(self.start)
        return max(0, elapsed // (self.segment_seconds * 1_000_000))

    def _segment_url(self, number: int, index: int) -> str:
        return f"{self.base_url}_{number}_{index:05d}.ts"

    def _playlist_url(self, number: int) -> str:
        return f"{self.base_url}_{number}.m3u8"

    def _put(self, url: str, body: bytes, content_type: str) -> None:
        error: Exception | None = None
        for attempt in range(self.RETRIES + 1):
            if attempt:
                time.sleep(self.RETRY_BACKOFF * 2 ** (attempt - 1))
            try:
                response = self._session.put(
                    url,
                    data=body,
                    auth=self._auth,
                    headers={"Content-Type": content_type},
                    timeout=self.TIMEOUT,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = exc
                log.warning(
                    "PUT %s failed (%s), attempt %d of %d",
                    url,
                    type(exc).__name__,
                    attempt + 1,
                    self.RETRIES + 1,
                )
                continue
            status = response.status_code
            if 200 <= status < 300:
                return
            detail = response.text[:200].strip()
            error = IngestError(
                f"PUT {url} failed: HTTP {status} {response.reason or ''}".rstrip() + (f": {detail}" if detail else "")
            )
            if status < 500 and status != 429:
                raise error
            log.warning("PUT %s answered HTTP %d, attempt %d of %d", url, status, attempt + 1, self.RETRIES + 1)
        if isinstance(error, IngestError):
            raise error
        raise IngestError(f"PUT {url} failed after {self.RETRIES + 1} attempts: {error}") from error


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.encoder",
        description="Synthetic live HLS encoder: pushes H.264/AAC MPEG-TS segments to an ingest URL.",
    )
    parser.add_argument("--ingest-url", required=True, help="channel ingest URL (base, without .m3u8)")
    parser.add_argument(
        "--username",
        default=os.environ.get(USERNAME_ENV),
        help=f"ingest user name (default: ${USERNAME_ENV})",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get(PASSWORD_ENV),
        help=f"ingest password (default: ${PASSWORD_ENV}, better: arguments are visible to ps)",
    )
    parser.add_argument(
        "--preroll",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="back-dated content to push first, as fast as possible (default 0)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="content to push after the pre-roll, in real time (default: until interrupted)",
    )
    parser.add_argument("--segment-seconds", type=int, default=SEGMENT_SECONDS)
    parser.add_argument("--playlist-window", type=int, default=6, metavar="SEGMENTS")
    args = parser.parse_args(argv)
    if not args.username or not args.password:
        parser.error(f"--username and --password (or ${USERNAME_ENV} and ${PASSWORD_ENV}) are required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    encoder = LiveHlsEncoder(
        args.ingest_url,
        args.username,
        args.password,
        segment_seconds=args.segment_seconds,
        playlist_window=args.playlist_window,
    )
    log.info(
        "pushing to %s (%d renditions, %d s segments)",
        encoder.base_url,
        len(encoder.renditions),
        encoder.segment_seconds,
    )
    # `python -m devstack stop` sends SIGTERM: end the stream cleanly (ENDLIST), like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        encoder.run(preroll_seconds=args.preroll, duration_seconds=args.duration)
    except KeyboardInterrupt:
        log.info("interrupted")
        encoder.finish()


if __name__ == "__main__":
    main()
