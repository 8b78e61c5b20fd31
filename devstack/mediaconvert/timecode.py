"""SMPTE timecodes as MediaConvert reads them in ``InputClippings`` and ``TimecodeStart``.

``HH:MM:SS:FF`` (or ``HH:MM:SS;FF``) at the input's nominal integer frame rate; the stack's
sources run at whole frame rates (25 fps), so drop-frame counting never applies.
"""

from __future__ import annotations

import re

TIMECODE = re.compile(r"^(?P<h>\d{2}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)[:;](?P<f>\d{2})$")


class TimecodeError(ValueError):
    pass


def parse(text: str, fps: int, field: str) -> int:
    """The frame count of timecode ``text`` at ``fps`` frames per second."""
    match = TIMECODE.match(text)
    if match is None:
        raise TimecodeError(f"{field} {text!r} is not a timecode: use HH:MM:SS:FF")
    frames = int(match["f"])
    if frames >= fps:
        raise TimecodeError(f"{field} {text!r} names frame {frames}, but the input has {fps} frames per second")
    return ((int(match["h"]) * 60 + int(match["m"])) * 60 + int(match["s"])) * fps + frames


def syntax_problem(text: str) -> str | None:
    """Why ``text`` is not a timecode, before the input's frame rate is known."""
    return None if TIMECODE.match(text) else f"{text!r} is not a timecode: use HH:MM:SS:FF"


def format_frames(frames: int, fps: int) -> str:
    seconds, ff = divmod(frames, fps)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"
