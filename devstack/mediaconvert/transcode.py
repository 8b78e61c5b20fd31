"""The transcoder behind a MediaConvert job: PyAV (FFmpeg) decoding the input, clipping it to the
frame, and encoding MP4 (H.264 + AAC) files and JPEG frame captures.

One pass over the input's video feeds every output; audio is cut to the same spans (sample
accurate, silence where the input has none) and encoded first, then interleaved with the video.
An output's frames are numbered from 0 at the input's frame rate, so its duration is its frame
count over the rate, whatever gaps the input's timestamps have.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from devstack.mediaconvert.inputs import InputMedia, JobError

AAC_FRAME = 1024


@dataclass(frozen=True)
class Span:
    """Input frames ``first`` to ``last`` (both included), counted from the input's first frame."""

    first: int
    last: int | None  # None: to the end of the input


@dataclass(frozen=True)
class AudioSpec:
    bitrate: int
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class Mp4Spec:
    path: str  # file name under the job's work dir
    width: int | None
    height: int | None
    bitrate: int
    max_bitrate: int | None
    crf: int | None  # quality-defined rate control (QVBR), else bit rate control
    gop_frames: int | None
    preset: str
    audio: AudioSpec | None


@dataclass(frozen=True)
class CaptureSpec:
    stem: str  # file name stem: captures are ``{stem}.0000000.jpg``...
    width: int | None
    height: int | None
    every: Fraction  # seconds between captures
    max_captures: int | None
    quality: int  # 1..100


@dataclass
class OutputResult:
    files: list[str] = field(default_factory=list)
    frames: int = 0
    width: int = 0
    height: int = 0
    duration_ms: int = 0


@dataclass(frozen=True)
class Probe:
    fps: int
    first_time: Fraction  # the first video frame's time on the input's clock, in seconds
    frames: int  # an estimate, for progress
    width: int
    height: int


Progress = Callable[[float], None]  # fraction of the work done, 0..1; raises to stop the job


def probe(media: InputMedia) -> Probe:
    """What the input's video is: its frame rate, first frame time, length and picture size."""
    try:
        with av.open(str(media.video)) as container:
            if not container.streams.video:
                raise JobError(1010, "Unable to open input file: [Failed probe/open: [the input has no video]]")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            for frame in container.decode(stream):
                first = Fraction(frame.pts) * frame.time_base
                width, height = frame.width, frame.height
                break
            else:
                raise JobError(1030, "Failed to decode the input: [no video frame decoded]")
            duration = Fraction(container.duration or 0, av.time_base)
    except av.FFmpegError as exc:
        raise JobError(1010, f"Unable to open input file: [Failed probe/open: [{exc}]]") from None
    fps = round(rate) if rate else 25
    return Probe(fps, first, max(1, round(duration * fps)), width, height)


def transcode(
    media: InputMedia,
    workdir: Path,
    source: Probe,
    spans: Sequence[Span],
    mp4s: Sequence[Mp4Spec],
    captures: Sequence[CaptureSpec],
    progress: Progress,
) -> tuple[list[OutputResult], list[OutputResult]]:
    """Writes every output under ``workdir``; returns their results (MP4s, then capture groups)."""
    fps = source.fps
    wanted = max(1, sum(((s.last if s.last is not None else source.frames - 1) - s.first + 1) for s in spans))
    writers = [_Mp4Writer(workdir / spec.path, spec, source) for spec in mp4s]
    for writer in writers:
        writer.encode_audio(media, spans)
    grabbers = [_Capturer(workdir, spec, fps) for spec in captures]
    out_index = 0
    try:
        with av.open(str(media.video)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                index = round((Fraction(frame.pts) * frame.time_base - source.first_time) * fps)
                if not any(index >= s.first and (s.last is None or index <= s.last) for s in spans):
                    if all(s.last is not None and index > s.last for s in spans):
                        break
                    continue
                for writer in writers:
                    writer.add(frame, out_index)
                for grabber in grabbers:
                    grabber.add(frame, out_index)
                out_index += 1
                if out_index % 25 == 0:
                    progress(min(0.99, out_index / wanted))
    except av.FFmpegError as exc:
        raise JobError(1030, f"Failed to decode the input: [{exc}]") from None
    if out_index == 0:
        for writer in writers:
            writer.abandon()
        raise JobError(1010, "The input clipping selects no frame of the input: check its timecodes")
    return [w.finish() for w in writers], [g.finish() for g in grabbers]


# -- audio --------------------------------------------------------------------------------------


def pcm(source: Path, start: Fraction, end: Fraction | None, rate: int, layout: str) -> bytes:
    """Interleaved s16 samples of ``source`` from ``start`` to ``end`` (seconds on the input's clock;
    None: its end), silence where the input has no audio."""
    per = 2 * (2 if layout == "stereo" else 1)
    want = None if end is None else round((end - start) * rate)
    out = bytearray()
    with av.open(str(source)) as container:
        if not container.streams.audio:
            return bytes((want or 0) * per)
        resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
        for decoded in container.decode(container.streams.audio[0]):
            for frame in resampler.resample(decoded):
                if frame.pts is None:
                    continue
                begin = round((Fraction(frame.pts) * frame.time_base - start) * rate)  # offset in the cut
                if want is not None and begin >= want:
                    break
                have = len(out) // per
                if begin > have:  # a gap in the input's audio: silence
                    out += bytes((begin - have) * per)
                    have = begin
                skip = have - begin
                if skip < frame.samples:
                    out += bytes(frame.planes[0])[skip * per : frame.samples * per]
            else:
                continue
            break
    if want is not None:
        out = out[: want * per] + bytes(max(0, want * per - len(out)))
    return bytes(out)


# -- outputs ------------------------------------------------------------------------------------


class _Mp4Writer:
    """One MP4 file: its audio encoded first (into packets), then interleaved with the video as it comes."""

    def __init__(self, path: Path, spec: Mp4Spec, source: Probe):
        self.path = path
        self.fps = source.fps
        self.frames = 0
        self.container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        width, height = _even(spec.width or source.width), _even(spec.height or source.height)
        gop = spec.gop_frames or 2 * self.fps
        options = {"preset": spec.preset, "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:threads=2"}
        if spec.crf is not None:
            options["crf"] = str(spec.crf)
        if spec.max_bitrate:
            options.update(maxrate=str(spec.max_bitrate), bufsize=str(2 * spec.max_bitrate))
        self.video = self.container.add_stream("libx264", rate=self.fps, options=options)
        self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
        if spec.crf is None:
            self.video.bit_rate = spec.bitrate
        self.video.codec_context.time_base = Fraction(1, self.fps)
        self.audio_spec = spec.audio
        self.audio_stream = None
        self.audio: list[av.Packet] = []
        if spec.audio:
            self.audio_stream = self.container.add_stream("aac", rate=spec.audio.sample_rate)
            self.audio_stream.layout = _layout(spec.audio.channels)
            self.audio_stream.bit_rate = spec.audio.bitrate
            self.audio_stream.codec_context.time_base = Fraction(1, spec.audio.sample_rate)
        self.first_time = source.first_time
        self.container.start_encoding()

    def encode_audio(self, media: InputMedia, spans: Sequence[Span]) -> None:
        spec, stream = self.audio_spec, self.audio_stream
        if spec is None or stream is None:
            return
        layout = _layout(spec.channels)
        per = 2 * spec.channels
        written = 0
        pending = bytearray()
        for span in spans:
            start = self.first_time + Fraction(span.first, self.fps)
            end = None if span.last is None else self.first_time + Fraction(span.last + 1, self.fps)
            pending += pcm(media.audio or media.video, start, end, spec.sample_rate, layout)
        for offset in range(0, len(pending), AAC_FRAME * per):
            chunk = bytes(pending[offset : offset + AAC_FRAME * per])
            samples = len(chunk) // per
            frame = av.AudioFrame(format="s16", layout=layout, samples=samples)
            frame.planes[0].update(chunk + bytes(frame.planes[0].buffer_size - len(chunk)))
            frame.sample_rate = spec.sample_rate
            frame.pts = written
            frame.time_base = Fraction(1, spec.sample_rate)
            written += samples
            self.audio.extend(stream.encode(frame))
        self.audio.extend(stream.encode(None))

    def add(self, frame: av.VideoFrame, index: int) -> None:
        picture = frame.reformat(width=self.video.width, height=self.video.height, format="yuv420p")
        picture.pts = index
        picture.time_base = Fraction(1, self.fps)
        picture.pict_type = av.video.frame.PictureType.NONE
        for packet in self.video.encode(picture):
            self._mux(packet)
        self.frames = index + 1

    def _mux(self, packet: av.Packet) -> None:
        if packet.dts is not None:
            until = Fraction(packet.dts) * packet.time_base
            while self.audio and Fraction(self.audio[0].pts) * self.audio[0].time_base <= until:
                self.container.mux(self.audio.pop(0))
        self.container.mux(packet)

    def finish(self) -> OutputResult:
        for packet in self.video.encode(None):
            self._mux(packet)
        for packet in self.audio:
            self.container.mux(packet)
        self.audio = []
        self.container.close()
        return OutputResult(
            [self.path.name], self.frames, self.video.width, self.video.height, round(self.frames * 1000 / self.fps)
        )

    def abandon(self) -> None:
        try:
            self.container.close()
        except av.FFmpegError:
            pass
        self.path.unlink(missing_ok=True)


class _Capturer:
    """JPEG frame captures: the first frame, then one every ``spec.every`` seconds of the output."""

    def __init__(self, workdir: Path, spec: CaptureSpec, fps: int):
        self.workdir = workdir
        self.spec = spec
        self.fps = fps
        self.files: list[str] = []
        self.size = (0, 0)
        self.frames = 0

    def add(self, frame: av.VideoFrame, index: int) -> None:
        self.frames = index + 1
        spec = self.spec
        if spec.max_captures is not None and len(self.files) >= spec.max_captures:
            return
        if Fraction(index, self.fps) < len(self.files) * spec.every:
            return
        width, height = _even(spec.width or frame.width), _even(spec.height or frame.height)
        codec = av.CodecContext.create("mjpeg", "w")
        codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
        codec.time_base = Fraction(1, self.fps)
        q = str(2 + (100 - spec.quality) * 29 // 99)  # Quality 100 -> qscale 2 (best) .. 1 -> 31
        codec.options = {"qmin": q, "qmax": q}
        picture = frame.reformat(width=width, height=height, format="yuvj420p")
        data = b"".join(bytes(p) for p in [*codec.encode(picture), *codec.encode(None)])
        name = f"{spec.stem}.{len(self.files):07d}.jpg"
        (self.workdir / name).write_bytes(data)
        self.files.append(name)
        self.size = (width, height)

    def finish(self) -> OutputResult:
        return OutputResult(list(self.files), self.frames, *self.size, round(self.frames * 1000 / self.fps))


def _even(value: int) -> int:
    return max(2, value - value % 2)


def _layout(channels: int) -> str:
    return "stereo" if channels == 2 else "mono"


def jpeg_frame(data: bytes) -> av.VideoFrame:
    """A JPEG file decoded (for tests and verification)."""
    with av.open(io.BytesIO(data), format="jpeg_pipe") as container:
        return next(container.decode(video=0))
