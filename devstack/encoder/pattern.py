"""The synthetic encoder's test pattern: what it shows and what it sounds like.

Video: a luma gradient with a bar sweeping across once per cycle, a frame counter in seven-segment
digits, a box flashing on every segment's first frame, a noise strip, a turning background hue, and a
frame mark: the frame's index in the cycle as a row of black and white cells above the noise strip,
which :func:`read_frame_mark` reads back from any decoded frame (scaled or re-encoded), so a test can
say which source frame an output frame shows.
Audio: a 440 Hz tone with an 880 Hz pip at every segment start.
"""

from __future__ import annotations

import math
import random
from array import array
from fractions import Fraction

import av

FPS = 25
SAMPLE_RATE = 48_000
AUDIO_CHANNELS = 2

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
_BLACK = 16
# The frame mark: a white start cell, MARK_BITS data cells (most significant first), a black stop cell.
MARK_BITS = 12
_MARK_CELLS = MARK_BITS + 2


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


def _mark_cells(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Where the mark's cells are in a ``width`` x ``height`` picture: the same fractions of the picture
    at any size, so a scaled copy is read as the original."""
    cell = height / 18
    top = height - height / 8 - 1.5 * cell  # just above the noise strip
    left = width / 40
    y0, y1 = round(top), round(top + cell)
    return [(round(left + i * cell), y0, round(left + (i + 1) * cell), y1) for i in range(_MARK_CELLS)]


def _draw_mark(buf: bytearray, stride: int, width: int, height: int, value: int) -> None:
    if not 0 <= value < 1 << MARK_BITS:
        raise ValueError(f"a frame mark holds 0..{(1 << MARK_BITS) - 1}, not {value}")
    bits = [1] + [(value >> (MARK_BITS - 1 - i)) & 1 for i in range(MARK_BITS)] + [0]
    for bit, (x0, y0, x1, y1) in zip(bits, _mark_cells(width, height), strict=True):
        _fill_rect(buf, stride, x0, y0, x1, y1, _WHITE if bit else _BLACK)


class UnreadableMark(ValueError):
    """The frame carries no readable frame mark (not the test pattern, or damaged beyond reading)."""


def read_frame_mark(frame: av.VideoFrame) -> int:
    """The frame mark of a decoded frame: the index in the encoder's cycle of the source frame it
    shows. Each cell is read as the mean luma of its central half, against mid-grey."""
    gray = frame.reformat(format="gray")
    plane = gray.planes[0]
    stride, width, height = plane.line_size, gray.width, gray.height
    data = bytes(plane)
    bits = []
    for x0, y0, x1, y1 in _mark_cells(width, height):
        qx, qy = (x1 - x0) // 4, (y1 - y0) // 4
        values = [data[y * stride + x] for y in range(y0 + qy, y1 - qy) for x in range(x0 + qx, x1 - qx)]
        if not values:
            raise UnreadableMark(f"a {width}x{height} frame is too small to carry a frame mark")
        mean = sum(values) / len(values)
        if 80 < mean < 170:
            raise UnreadableMark(f"a frame mark cell at ({x0},{y0}) is neither black nor white (mean luma {mean:.0f})")
        bits.append(1 if mean >= 125 else 0)
    if bits[0] != 1 or bits[-1] != 0:
        raise UnreadableMark("no frame mark: the start cell is not white or the stop cell is not black")
    value = 0
    for bit in bits[1:-1]:
        value = value << 1 | bit
    return value


def video_frame(width: int, height: int, index: int, total: int, segment_frames: int) -> av.VideoFrame:
    """Frame ``index`` of the ``total``-frame cycle: a luma gradient with a bar sweeping across once per
    cycle, a frame counter, a box flashing on the first frame of every segment, a noise strip at the bottom
    and a background colour whose hue turns once per cycle."""
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

    _draw_mark(buf, stride, width, height, index)
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


def tone(period_samples: int) -> bytes:
    """One period of the audio as native float32: a 440 Hz tone with an 880 Hz pip during the first 100 ms
    (the period is one segment, so the pip marks every segment start, like the flashing box)."""
    pip = SAMPLE_RATE // 10
    samples = array("f", bytes(4 * period_samples))
    for i in range(period_samples):
        freq = 880 if i < pip else 440
        samples[i] = 0.25 * math.sin(2 * math.pi * freq * i / SAMPLE_RATE)
    return samples.tobytes()
