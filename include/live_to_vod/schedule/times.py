"""Times in a schedule entry: its time zone, and a written time as an instant in UTC.

Pure domain module. The grammar of a written time is :func:`live_to_vod.times.read_wall_time`'s
(shared with trigger and REST confs); this module adds what only the schedule has:

* a time without a UTC offset is a wall time in the entry's ``timezone`` (else the file's), and
  is refused when neither names one;
* a wall time that does not exist (the spring-forward gap) is refused; one that happens twice
  (the fall-back hour) is refused unless written with its offset, and the message spells out
  both choices;
* times are between the years 2000 and 2199;
* zones are IANA names of places: ``localtime``, ``posixrules``, ``Factory`` and ``right/...``
  are refused (they mean other UTC times on other machines, or count leap seconds).
"""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta, tzinfo

import pendulum

from live_to_vod.text import show
from live_to_vod.times import duration_text, read_wall_time

__all__ = ["EXAMPLE_LOCAL", "EXAMPLE_OFFSET", "MAX_YEAR", "MIN_YEAR", "utc_naive", "zone"]

EXAMPLE_LOCAL = "2026-11-26 20:15"
EXAMPLE_OFFSET = "2026-11-26 20:15-05:00"
MIN_YEAR, MAX_YEAR = 2000, 2199
_HINT = f"write it like {EXAMPLE_LOCAL} (local time) or {EXAMPLE_OFFSET}"

_ZONES: dict[str, tzinfo] = {}
_ALL_ZONES: list[str] = []
# Names the tz database installs that are no place's zone: the host's own setting (``localtime``
# is /etc/localtime, ``posixrules`` is configurable), "no zone set" (``Factory``) and the
# leap-second-counting ``right/`` copies. A schedule using them would mean different UTC times
# on different machines (or be 27 s off), so they are refused.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


def zone(name: object) -> tzinfo | str:
    """The zone called ``name``, or a message saying why there is none."""
    if isinstance(name, str):
        found = _ZONES.get(name)
        if found is not None:
            return found
    if not isinstance(name, str) or not name:
        return f"must be an IANA time zone name like America/New_York, got {show(name)}"
    if name in _NOT_PLACES or name.startswith("right/"):
        return (
            f"{show(name)} is not a place's time zone (the host's own setting or a tz database artefact); "
            "name the zone, like America/New_York"
        )
    if len(name) <= 64 and name.isprintable():
        try:
            found = pendulum.timezone(name)
        except Exception:  # pendulum raises InvalidTimezone, zoneinfo ValueError for odd keys
            found = None
        if isinstance(found, tzinfo):
            _ZONES[name] = found
            return found
    return f"{show(name)} is not a known IANA time zone (like America/New_York or Europe/London){_zone_hint(name)}"


def _zone_hint(name: str) -> str:
    if len(name) > 64:
        return ""
    if not _ALL_ZONES:
        import zoneinfo

        _ALL_ZONES.extend(sorted(zoneinfo.available_timezones() - _NOT_PLACES))
    close = difflib.get_close_matches(name, _ALL_ZONES, n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


def utc_naive(value: object, in_zone: tzinfo | None, zone_name: str | None) -> datetime | str:
    """``value`` (a time with an offset, or a wall time in ``in_zone``) as a naive UTC datetime,
    or a message saying why it is not one."""
    if not isinstance(value, str):
        # YAML reads an unquoted epoch or bare number as one; say what a time looks like here.
        return f"must be a date and time like {EXAMPLE_LOCAL} or {EXAMPLE_OFFSET}, got {show(value)}"
    read = read_wall_time(value, _HINT)
    if isinstance(read, str):
        return read
    if not MIN_YEAR <= read.wall.year <= MAX_YEAR:
        return f"{show(value)} is not between the years {MIN_YEAR} and {MAX_YEAR}"
    if read.offset is not None:
        return read.utc()
    if in_zone is None:
        return (
            f"{show(value)} has no UTC offset and no time zone is set; add `timezone:` to the file or the entry, "
            f"or write the offset like {EXAMPLE_OFFSET}"
        )
    wall = read.wall
    first = wall.replace(tzinfo=in_zone).utcoffset()
    second = wall.replace(tzinfo=in_zone, fold=1).utcoffset()
    assert first is not None and second is not None
    if first == second:
        return wall - first
    return _not_one_instant(str(value), first, second, zone_name)


def _not_one_instant(written: str, first: timedelta, second: timedelta, zone_name: str | None) -> str:
    """Why a wall time whose two readings (``fold`` 0 and 1) have other offsets is no single instant."""
    if first > second:  # clocks went back: the wall time happens twice
        text = written.strip()
        return (
            f"{show(written)} happens twice in {zone_name} (clocks go back {duration_text(first - second)} that "
            f"night); add the offset to say which: {text}{_offset_text(first)} (the first) or "
            f"{text}{_offset_text(second)} (the second)"
        )
    return (
        f"{show(written)} does not exist in {zone_name}: clocks skip forward {duration_text(second - first)} "
        "that night (daylight saving time); pick a time outside the skipped hour or write an explicit offset"
    )


def _offset_text(offset: timedelta) -> str:
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"
