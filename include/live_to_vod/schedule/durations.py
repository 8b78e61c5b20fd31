"""How a schedule writes durations (``90s``, ``5m``, ``1h30m``, or whole seconds), and the
padding rule (0 to 6 hours).

Pure domain module.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

import pendulum

from live_to_vod.text import show
from live_to_vod.times import duration_text

__all__ = ["MAX_PADDING", "padding", "parse_duration"]

#: Padding before or after an event is at most this long.
MAX_PADDING = pendulum.duration(hours=6)

_DURATION_RE = re.compile(r"(-)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?", re.ASCII)
_SECONDS_RE = re.compile(r"-?\d{1,10}", re.ASCII)
_HINT = "write it like 90s, 5m or 1h30m, or as a whole number of seconds"


def parse_duration(value: object) -> pendulum.Duration:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"2h"`` or whole seconds (``90``, ``"90"``) as a Duration.

    A leading ``-`` gives a negative duration (callers decide whether that is allowed).
    Anything else raises ``ValueError`` with a plain-words message.
    """
    return pendulum.duration(seconds=_seconds(value))


def padding(value: object) -> timedelta | str:
    """A padding (before or after an event) as written, or why it is not one."""
    try:
        seconds = _seconds(value)
    except ValueError as err:
        return str(err)
    if seconds < 0:
        return f"{show(value)} is negative; padding is 0 or more"
    if seconds > MAX_PADDING.total_seconds():
        return f"{show(value)} is {duration_text(timedelta(seconds=seconds))}; padding is at most 6 h"
    return timedelta(seconds=seconds)


def _seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"must be a duration; {_HINT}; got {show(value)}")
    if isinstance(value, int):
        if abs(value) > 10**9:
            raise ValueError(f"{show(value)} seconds is far too long")
        return value
    return _text_seconds(value)


@lru_cache(maxsize=512)
def _text_seconds(text: str) -> int:
    if len(text) <= 24:
        if _SECONDS_RE.fullmatch(text):
            return _seconds(int(text))
        match = _DURATION_RE.fullmatch(text)
        if match is not None and any(match.group(i) for i in (2, 3, 4)):
            sign, hours, minutes, seconds = match.groups()
            total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
            return -total if sign else total
    raise ValueError(f"{show(text)} is not a duration; {_HINT}")
