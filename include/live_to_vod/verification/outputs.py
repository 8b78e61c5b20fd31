"""Checks of what MediaConvert made of a harvest: MP4 files and JPEG thumbnails.

An MP4 is read through ranged reads (:class:`RangeFile`): PyAV seeks to the ``moov`` box and the
first and last frames, so a multi-gigabyte master costs a few requests, not a download. It must
hold H.264 video and AAC audio, last the requested span to the frame (its frame count is the
clip's), and its first and last frames must decode. A thumbnail must decode as a JPEG.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av

__all__ = ["Mp4Check", "OutputDefect", "RangeFile", "check_jpeg", "check_mp4"]

ReadRange = Callable[[int, int], bytes]  # (first byte, last byte) inclusive -> bytes


class OutputDefect(ValueError):
    """An output that is not what was asked for; the message says what and where."""


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over ``read_range`` (S3 GetObject with ``Range``), with a small
    block cache so a demuxer's short reads do not each become a request."""

    BLOCK = 256 * 1024

    def __init__(self, read_range: ReadRange, size: int) -> None:
        self._read_range = read_range
        self._size = size
        self._position = 0
        self._blocks: dict[int, bytes] = {}
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._size:
            return 0
        index = self._position // self.BLOCK
        block = self._blocks.get(index)
        if block is None:
            start = index * self.BLOCK
            block = self._read_range(start, min(self._size, start + self.BLOCK) - 1)
            self.requests += 1
            if len(self._blocks) > 64:
                self._blocks.clear()
            self._blocks[index] = block
        offset = self._position - index * self.BLOCK
        chunk = block[offset : offset + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


@dataclass(frozen=True)
class Mp4Check:
    frames: int
    duration_ms: int
    width: int
    height: int
    requests: int


def check_mp4(uri: str, read_range: ReadRange, size: int, frames: int, rate: Fraction) -> Mp4Check:
    """Checks one MP4 against the clip it should be (``frames`` at ``rate``); OutputDefect says why not."""
    source = RangeFile(read_range, size)
    try:
        with av.open(source, format="mp4") as container:
            videos, audios = container.streams.video, container.streams.audio
            if not videos or not audios:
                raise OutputDefect(f"{uri} has {len(videos)} video and {len(audios)} audio streams; it needs both")
            video, audio = videos[0], audios[0]
            if video.codec_context.name != "h264" or audio.codec_context.name != "aac":
                raise OutputDefect(f"{uri} is {video.codec_context.name} + {audio.codec_context.name}, not H.264 + AAC")
            if video.frames != frames:
                raise OutputDefect(
                    f"{uri} has {video.frames} video frames; the requested span is {frames} frames at {rate} fps"
                )
            seconds = Fraction(video.duration or 0) * video.time_base
            if abs(seconds - Fraction(frames) / rate) > 1 / rate:
                raise OutputDefect(
                    f"{uri} lasts {float(seconds):.3f} s; the requested span is {float(frames / rate):.3f} s"
                )
            first = next(container.decode(video), None)
            if first is None:
                raise OutputDefect(f"{uri}: its first frame does not decode")
            width, height = first.width, first.height
            container.seek(int((video.duration or 0) + (video.start_time or 0)) - 1, stream=video, backward=True)
            if not list(container.decode(video)):
                raise OutputDefect(f"{uri}: its last frames do not decode")
    except av.FFmpegError as exc:
        raise OutputDefect(f"{uri} is not a readable MP4: {exc}") from None
    return Mp4Check(frames, round(frames * 1000 / rate), width, height, source.requests)


def check_jpeg(uri: str, data: bytes) -> tuple[int, int]:
    """(width, height) of a JPEG thumbnail; OutputDefect when it does not decode."""
    try:
        with av.open(io.BytesIO(data), format="jpeg_pipe") as container:
            frame = next(container.decode(video=0))
    except (av.FFmpegError, StopIteration) as exc:
        raise OutputDefect(f"{uri} is not a readable JPEG: {exc}") from None
    return frame.width, frame.height
