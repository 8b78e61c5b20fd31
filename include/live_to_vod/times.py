"""The one time grammar of every field a person writes (trigger conf, REST conf, schedule YAML),
and the ways the pipeline writes times and durations back.

Pure domain module. Accepted: extended ISO 8601 / RFC 3339 date and time, ``T`` or a space
between date and time, seconds optional, up to 9 fractional digits (kept to the microsecond),
and a UTC offset (``Z``, ``-05:00``, ``+0530``, ``-05``) which the schedule may leave out when
its entry names a time zone. Week and ordinal dates, durations, intervals and epoch numbers
(all of which ``pendulum.parse`` would take) are refused.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import NamedTuple

import pendulum

from live_to_vod.text import show

__all__ = [
    "EXAMPLE_TIME",
    "WallTime",
    "aws_time",
    "duration_text",
    "parse_utc_time",
    "read_wall_time",
    "utc_datetime",
    "z_time",
]

EXAMPLE_TIME = "2026-11-26T19:00:00-05:00"
# Longer than any accepted form: such a value is refused without even upper-casing it.
_MAX_LENGTH = 40
_TIME_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d(?::?\d\d)?)?",
    re.ASCII,
)


class WallTime(NamedTuple):
    """A time as written: the wall clock (naive) and its UTC offset, None when none was written."""

    wall: datetime
    offset: timedelta | None

    def utc(self) -> datetime:
        """The naive UTC instant (``offset`` must be known). Raises ``OverflowError`` past year 9999."""
        assert self.offset is not None
        return self.wall - self.offset


def read_wall_time(value: object, hint: str) -> WallTime | str:
    """``value`` read by the grammar, or a message saying why it is not a time (ending in ``hint``,
    which says how to write one)."""
    if not isinstance(value, str):
        return f"must be a string like {EXAMPLE_TIME}, got {show(value)}"
    match = _TIME_RE.fullmatch(value) if len(value) <= _MAX_LENGTH else None
    if match is None and len(value) <= _MAX_LENGTH and ("t" in value or "z" in value):
        match = _TIME_RE.fullmatch(value.upper())  # RFC 3339 allows a lowercase t and z
    if match is None:
        return f"{show(value)} is not an ISO 8601 date and time; {hint}"
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        wall = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second) if second else 0,
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
        )
    except ValueError:
        return f"{show(value)} is not a valid date and time (check the day, hour and minutes); {hint}"
    if offset is None:
        return WallTime(wall, None)
    if offset == "Z":
        return WallTime(wall, timedelta(0))
    hours, minutes = int(offset[1:3]), int(offset[-2:]) if len(offset) > 3 else 0
    if hours > 18 or minutes > 59:
        return f"{show(value)} has an impossible UTC offset {offset}; {hint}"
    delta = timedelta(hours=hours, minutes=minutes)
    return WallTime(wall, -delta if offset[0] == "-" else delta)


def parse_utc_time(value: object) -> pendulum.DateTime | str:
    """A time that must carry its offset (trigger and REST confs), in UTC; or why it is not one.

    A time without an offset is refused: guessing its zone would silently harvest the wrong hour.
    """
    hint = f"write it like {EXAMPLE_TIME}"
    read = read_wall_time(value, hint)
    if isinstance(read, str):
        return read
    if read.offset is None:
        return f"{show(value)} has no UTC offset; {hint}"
    try:
        return utc_datetime(read.utc())
    except OverflowError:
        return f"{show(value)} is outside the years a date can hold; {hint}"


def utc_datetime(naive_utc: datetime) -> pendulum.DateTime:
    """A naive UTC datetime (or an aware one already in UTC) as a pendulum DateTime in UTC."""
    n = naive_utc
    return pendulum.DateTime(n.year, n.month, n.day, n.hour, n.minute, n.second, n.microsecond, tzinfo=pendulum.UTC)


def aws_time(t: datetime) -> str:
    """UTC with ``Z``, seconds precision; milliseconds or microseconds kept only when present
    (what CreateHarvestJob is sent, and how messages show instants)."""
    t = pendulum.instance(t).in_timezone("UTC")
    text = z_time(t)[:-1]
    if t.microsecond % 1000 == 0 and t.microsecond:
        text += f".{t.microsecond // 1000:03d}"
    elif t.microsecond:
        text += f".{t.microsecond:06d}"
    return text + "Z"


def z_time(t: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` of a UTC datetime (aware or naive), fractions dropped."""
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def duration_text(delta: timedelta) -> str:
    """``1 d 2 h 5 min``, ``24 h 0.5 s``: whole units, zero units left out, fractions of a second kept."""
    total = delta.total_seconds()
    whole = int(total)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = round(total - whole, 6)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    if fraction:
        parts.append(f"{seconds + fraction:.6f}".rstrip("0") + " s")
    elif seconds or not any(parts):
        parts.append(f"{seconds} s")
    return " ".join(p for p in parts if p)
