"""Encoded media, once: the renditions and :class:`SegmentFactory`, which encodes a short cycle per
rendition and re-muxes it into any segment number with continuous timestamps."""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import av

from devstack.encoder.pattern import FPS, MARK_BITS, SAMPLE_RATE, tone, video_frame
from devstack.encoder.ts import avc1_codecs, drop_sdt, payload_packets, shift_continuity

log = logging.getLogger(__name__)


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

AAC_FRAME_SAMPLES = 1024
TS_CLOCK = 90_000
# Timestamp of segment 0's first sample. Non-zero so that the PCR, which the muxer sends MUX_DELAY_US ahead
# of the DTS, never goes negative. (Like any MPEG-TS stream, timestamps wrap modulo 2**33, i.e. ~26.5 h.)
PTS_OFFSET = 10 * TS_CLOCK
MUX_DELAY_US = 700_000
# mpegts_copyts: write our timestamps as they are (no muxer offset); max_delay: PCR leads DTS by 0.7 s.
_MUX_OPTIONS = {"mpegts_copyts": "1", "max_delay": str(MUX_DELAY_US)}


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


def frame_mark_at(epoch_ms: int, segment_seconds: int = SEGMENT_SECONDS) -> int:
    """:meth:`SegmentFactory.mark_at` without a factory (the cycle depends only on the segment length)."""
    cycle_frames = FPS * math.lcm(segment_seconds, 8)
    return (epoch_ms * FPS // 1000) % cycle_frames


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
        self.cycle_frames = FPS * self.cycle_seconds
        if self.cycle_frames > 1 << MARK_BITS:
            raise ValueError(f"segment_seconds={segment_seconds}: a {self.cycle_seconds} s cycle outgrows the mark")
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
        return shift_continuity(data, offsets)

    def mark_at(self, epoch_ms: int) -> int:
        """The frame mark of the frame captured at ``epoch_ms`` (ms since the Unix epoch) in a stream
        pushed by :class:`~devstack.encoder.pusher.LiveHlsEncoder` (it aligns the cycle to the epoch clock):
        the frame's number since the epoch, modulo the cycle."""
        return frame_mark_at(epoch_ms, self.segment_seconds)

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
        return drop_sdt(out.getvalue())

    def _measure(self, track: _Track) -> None:
        """Muxes one cycle to learn, per PID, how many continuity-counted packets each segment holds (the
        same for every cycle: only timestamps change), and the segments' bit rates."""
        counts = []
        sizes = []
        for position in range(self.cycle_segments):
            data = self._mux(track, position, PTS_OFFSET)
            counts.append(payload_packets(data))
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
            frame = video_frame(rendition.width, rendition.height, i, total, gop)
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
        return _Track(rendition, container, stream, segments, avc1_codecs(bytes(packets[0])))

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
        samples = tone(period)
        samples = samples + samples[: 4 * frame_samples]  # wrap-around room for the last frame of a period
        packets: list[av.Packet] = []
        for start in range(0, 2 * cycle + 4 * frame_samples, frame_samples):
            offset = 4 * (start % period)
            chunk = samples[offset : offset + 4 * frame_samples]
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
