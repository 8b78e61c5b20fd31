"""The season schedule: live events kept as YAML files in the repo, validated into :class:`ScheduledEvent`\\ s.

Pure domain package: no Airflow, no boto3. Broadcast ops edit the schedule, not code:
one or more ``*.yaml`` / ``*.yml`` files in a directory (default ``include/schedules/``),
read in file-name order (names starting with ``.`` are skipped: editor lock files).

File format::

    # Season 2026, week 12 (all times local unless they carry an offset)
    timezone: America/New_York          # file default; entries may override
    defaults:                           # optional, applied to every entry
      padding_before: 5m                # "90s", "5m", "1h30m", or whole seconds
      padding_after: 15m
      destination: {s3_bucket: live-archive}   # s3_bucket, manifest_key, role_arn, packaging_group_id
    events:
      - id: nfl-2026-wk12-buf-kc                # letters, digits, _ and -, at most 64
        endpoints: [buf-kc-clean-hls, buf-kc-world-hls]   # or `endpoint: one-id`
        start: 2026-11-26 20:15                 # local wall time, or ISO with an offset
        end: 2026-11-26 23:30
        timezone: America/Chicago               # optional, overrides the file's
        padding_before: 10m                     # optional, overrides the defaults (0 to 6 h)
        padding_after: 20m
        destination: {manifest_key: "nfl/{event_id}/index.m3u8"}   # optional, per-key overrides
        cancelled: false                        # true: kept for the record, schedules nothing
        clips:                                  # optional highlight clips
          - name: opening-drive                 # [a-z0-9-]{1,40}, unique in the event
            start: 2026-11-26 20:17
            end: 2026-11-26 20:24

Rules, all reported as :class:`ScheduleError` naming file, entry and field (never raised):

* Unknown fields at any level (with the closest known name suggested), fields given
  twice, missing ``id`` / ``endpoint(s)`` / ``start`` / ``end``, malformed ids and
  endpoint ids, bad times, unknown time zones (and ``localtime``, ``posixrules``,
  ``Factory``, ``right/...``, which name no place), ``end`` not after ``start``, paddings
  below 0 or above 6 h, padded windows longer than 14 days (the longest startover
  window MediaPackage keeps), bad destination values (a ``manifest_key`` template is
  checked as rendered for every endpoint and every output's key: endpoint folder,
  ``part-NN/``, ``clips/<name>/``), and clips with bad or repeated
  names, ``end`` not after ``start``, outside the event's padded window, longer than
  24 h, or with the same window as another output of the event (harvest job ids are
  derived from endpoint and window, so it would not be harvested on its own).
* Times: a wall time without an offset is read in the entry's ``timezone`` (else the
  file's). A wall time that does not exist (the spring-forward gap) is an error; one
  that happens twice (the fall-back hour) is an error unless written with an offset,
  e.g. ``2026-11-01 01:30-04:00`` (the first) or ``-05:00`` (the second). Everything
  is stored and computed in UTC.
* One bad entry never stops the others: it is refused alone. A file that is not valid
  YAML, or whose top level (``timezone``, ``defaults``, ``events``) has errors, is
  refused whole, since its settings apply to every entry in it.
* Across the directory: an event id used twice keeps the first occurrence (file order,
  then entry order; even when that entry is refused for another reason, so fixing it
  never silently swaps which one runs) and refuses the others; two events whose *padded* windows overlap
  on the same endpoint keep the earlier-starting one and refuse the other. Events on
  different endpoints may overlap or end at the same moment freely. Cancelled entries
  are validated but take part in neither check: they schedule nothing.
* Entries and list items are numbered from 1, as an editor shows them: an entry whose
  id is unusable is named ``#3``, a clip ``clips[#2]`` (or ``clips[<name>]``).

YAML is read by libyaml (PyYAML's C parser): anchors, aliases, merge keys, block scalars and
flow collections all work, typed as ``yaml.safe_load`` types them except that timestamps and
``1:30``-style numbers stay text (:mod:`~live_to_vod.schedule.yaml_reader` says why and how).
A 10,000-event directory loads in a fraction of a second; times are parsed with one
pre-compiled pattern. Results are cached per file by ``(path, mtime_ns, size, inode)`` and
per directory, so a repeated :func:`load_schedule` in one process only stats the files.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pendulum

from live_to_vod.field_rules import (
    CLIP_NAME,
    EVENT_ID,
    RESOURCE_ID,
    IdRule,
    bucket_name_problems,
    manifest_key_problems,
    role_arn_problem,
)
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.limits import MAX_HARVEST_DURATION, MAX_STARTOVER
from live_to_vod.manifest_keys import TemplateError, output_manifest_key, render_manifest_key
from live_to_vod.naming import FULL_OUTPUT, clip_output, part_output
from live_to_vod.outputs import split_window
from live_to_vod.schedule.yaml_reader import YamlDocument, YamlError, quote_hint, read_yaml
from live_to_vod.text import clip, show, type_name
from live_to_vod.times import duration_text, read_wall_time, utc_datetime, z_time

__all__ = [
    "DEFAULT_DIRECTORY",
    "MAX_PADDING",
    "Clip",
    "DestinationOverrides",
    "Schedule",
    "ScheduleError",
    "ScheduledEvent",
    "clear_schedule_cache",
    "load_schedule",
    "parse_duration",
    "parse_schedule_text",
]

#: ``include/schedules/`` next to the package (the project is installed editable).
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "schedules"
#: Padding before or after an event is at most this long.
MAX_PADDING = pendulum.duration(hours=6)

TOP_FIELDS = ("timezone", "defaults", "events")
DEFAULTS_FIELDS = ("padding_before", "padding_after", "destination")
EVENT_FIELDS = (
    "id",
    "endpoint",
    "endpoints",
    "start",
    "end",
    "timezone",
    "padding_before",
    "padding_after",
    "destination",
    "cancelled",
    "clips",
)
CLIP_FIELDS = ("name", "start", "end")
DESTINATION_FIELDS = ("s3_bucket", "manifest_key", "role_arn", "packaging_group_id")

_EVENT_FIELD_SET = frozenset(EVENT_FIELDS)
_DURATION_RE = re.compile(r"(-)?(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?", re.ASCII)
_SECONDS_RE = re.compile(r"-?\d{1,10}", re.ASCII)
_EXAMPLE_LOCAL = "2026-11-26 20:15"
_EXAMPLE_OFFSET = "2026-11-26 20:15-05:00"
_DURATION_HINT = "write it like 90s, 5m or 1h30m, or as a whole number of seconds"
_TIME_HINT = f"write it like {_EXAMPLE_LOCAL} (local time) or {_EXAMPLE_OFFSET}"
_MIN_YEAR, _MAX_YEAR = 2000, 2199
_UTC = pendulum.UTC


# --------------------------------------------------------------------------- value objects


class DestinationOverrides(Mapping[str, str]):
    """An immutable, hashable, picklable mapping of destination overrides.

    Keys are among ``s3_bucket``, ``manifest_key`` (a template: ``{event_id}``, ``{date}``,
    ``{origin_endpoint_id}``), ``role_arn`` and ``packaging_group_id`` (``""`` = no VOD
    hand-off); a key that is absent takes the deployment default.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, str] | Sequence[tuple[str, str]] = ()) -> None:
        self._data = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"DestinationOverrides({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (DestinationOverrides, (self._data,))


_NO_DESTINATION = DestinationOverrides()


def _as_utc(value: object, what: str) -> pendulum.DateTime:
    """``value`` as a UTC pendulum DateTime (cheap when it already is one)."""
    if isinstance(value, pendulum.DateTime) and value.tzinfo is _UTC:
        return value
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return pendulum.instance(value).in_timezone("UTC")


@dataclass(frozen=True)
class Clip:
    """A named highlight clip of an event; ``start``/``end`` in UTC (no padding applies)."""

    name: str
    start: pendulum.DateTime
    end: pendulum.DateTime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start, "Clip.start"))
        object.__setattr__(self, "end", _as_utc(self.end, "Clip.end"))

    @property
    def window(self) -> HarvestWindow:
        return HarvestWindow(self.start, self.end)


@dataclass(frozen=True)
class ScheduledEvent:
    """One event to harvest, validated; every time in UTC.

    ``start``/``end`` are the harvest window *with padding applied*;
    ``scheduled_start``/``scheduled_end`` are the times as written, before padding.
    ``destination`` holds the entry's destination overrides merged over the file's
    defaults (templates unrendered). ``source`` is the schedule file's name and
    ``timezone`` the IANA zone in effect for the entry (its own, else the file's; None when
    neither sets one, so every time carried an offset), for display.
    Lists and dicts given to the constructor are converted to tuples and a
    :class:`DestinationOverrides`, so events are hashable.
    """

    event_id: str
    endpoints: tuple[str, ...]
    start: pendulum.DateTime
    end: pendulum.DateTime
    scheduled_start: pendulum.DateTime
    scheduled_end: pendulum.DateTime
    clips: tuple[Clip, ...] = ()
    destination: DestinationOverrides = _NO_DESTINATION
    source: str = ""
    timezone: str | None = None

    def __post_init__(self) -> None:
        times = (self.start, self.end, self.scheduled_start, self.scheduled_end)
        if not all(t.__class__ is pendulum.DateTime and t.tzinfo is _UTC for t in times):
            for name in ("start", "end", "scheduled_start", "scheduled_end"):
                object.__setattr__(self, name, _as_utc(getattr(self, name), f"ScheduledEvent.{name}"))
        if type(self.endpoints) is not tuple:
            object.__setattr__(self, "endpoints", tuple(self.endpoints))
        if type(self.clips) is not tuple:
            object.__setattr__(self, "clips", tuple(self.clips))
        if not isinstance(self.destination, DestinationOverrides):
            object.__setattr__(self, "destination", DestinationOverrides(self.destination))

    @property
    def window(self) -> HarvestWindow:
        """The padded harvest window."""
        return HarvestWindow(self.start, self.end)

    @property
    def clip_windows(self) -> tuple[tuple[str, HarvestWindow], ...]:
        """``(name, window)`` per clip, as :func:`live_to_vod.harvest_plan.plan_event` takes them."""
        return tuple((c.name, HarvestWindow(c.start, c.end)) for c in self.clips)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (times as ISO 8601 strings in UTC); :meth:`from_dict` reverses it."""
        return {
            "event_id": self.event_id,
            "endpoints": list(self.endpoints),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "scheduled_start": self.scheduled_start.isoformat(),
            "scheduled_end": self.scheduled_end.isoformat(),
            "clips": [{"name": c.name, "start": c.start.isoformat(), "end": c.end.isoformat()} for c in self.clips],
            "destination": dict(self.destination),
            "source": self.source,
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScheduledEvent:
        """Rebuild an event from :meth:`to_dict` output (trusted: it was validated before)."""
        return cls(
            event_id=d["event_id"],
            endpoints=tuple(d["endpoints"]),
            start=_from_iso(d["start"]),
            end=_from_iso(d["end"]),
            scheduled_start=_from_iso(d["scheduled_start"]),
            scheduled_end=_from_iso(d["scheduled_end"]),
            clips=tuple(Clip(c["name"], _from_iso(c["start"]), _from_iso(c["end"])) for c in d.get("clips", ())),
            destination=DestinationOverrides(d.get("destination") or {}),
            source=d.get("source", ""),
            timezone=d.get("timezone"),
        )


def _from_iso(text: str) -> pendulum.DateTime:
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return utc_datetime(value.replace(tzinfo=None) - value.utcoffset())


@dataclass(frozen=True)
class ScheduleError:
    """One problem in a schedule: ``file``, the ``entry`` (event id, or ``#N`` when the id is
    unusable; None for the file as a whole), the ``field`` (None when it is not one field) and
    a plain-words ``message``."""

    file: str
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.entry is not None:
            parts.append(self.entry)
        if self.field is not None:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


@dataclass(frozen=True)
class Schedule:
    """Every valid, not-cancelled event, sorted by ``(end, event_id)``, and every problem found."""

    events: tuple[ScheduledEvent, ...]
    errors: tuple[ScheduleError, ...]
    files: tuple[str, ...] = ()

    @cached_property
    def _by_id(self) -> dict[str, ScheduledEvent]:
        return {e.event_id: e for e in self.events}

    def get(self, event_id: str) -> ScheduledEvent | None:
        """The event with this id, or None."""
        return self._by_id.get(event_id)


# --------------------------------------------------------------------------- durations


def parse_duration(value: object) -> pendulum.Duration:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"2h"`` or whole seconds (``90``, ``"90"``) as a Duration.

    A leading ``-`` gives a negative duration (callers decide whether that is allowed).
    Anything else raises ``ValueError`` with a plain-words message.
    """
    return pendulum.duration(seconds=_duration_seconds(value))


def _duration_seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"must be a duration; {_DURATION_HINT}; got {show(value)}")
    if isinstance(value, int):
        if abs(value) > 10**9:
            raise ValueError(f"{show(value)} seconds is far too long")
        return value
    return _text_duration_seconds(value)


@lru_cache(maxsize=512)
def _text_duration_seconds(text: str) -> int:
    if len(text) <= 24:
        if _SECONDS_RE.fullmatch(text):
            return _duration_seconds(int(text))
        match = _DURATION_RE.fullmatch(text)
        if match is not None and any(match.group(i) for i in (2, 3, 4)):
            sign, hours, minutes, seconds = match.groups()
            total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
            return -total if sign else total
    raise ValueError(f"{show(text)} is not a duration; {_DURATION_HINT}")


# --------------------------------------------------------------------------- loading


_CACHE_FILES: dict[str, tuple[tuple[int, int, int], _ParsedFile]] = {}
_CACHE_DIRS: dict[str, tuple[tuple[tuple[str, int, int, int], ...], Schedule]] = {}


def clear_schedule_cache() -> None:
    """Forget every cached file and directory (tests; a process normally never needs it)."""
    _CACHE_FILES.clear()
    _CACHE_DIRS.clear()


def load_schedule(directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> Schedule:
    """Read and validate every ``*.yaml`` / ``*.yml`` file in ``directory`` (file-name order).

    Never raises for bad data: problems are in :attr:`Schedule.errors` (a missing or
    unreadable directory is one error). Parsed files are cached by path, mtime, size
    and inode, the whole result by the directory's file list, so repeated loads in one
    process cost a directory scan.
    """
    dir_path = os.path.abspath(os.fspath(directory))
    try:
        with os.scandir(dir_path) as scan:
            found = [
                (entry.name, entry.path, entry.stat())
                for entry in scan
                if entry.name.endswith((".yaml", ".yml")) and not entry.name.startswith(".") and entry.is_file()
            ]
    except FileNotFoundError:
        return Schedule((), (ScheduleError(dir_path, None, None, "the schedule directory does not exist"),))
    except OSError as err:
        return Schedule((), (ScheduleError(dir_path, None, None, f"the schedule directory cannot be read: {err}"),))
    found.sort()
    dir_key = tuple((name, st.st_mtime_ns, st.st_size, st.st_ino) for name, _, st in found)
    cached = _CACHE_DIRS.get(dir_path)
    if cached is not None and cached[0] == dir_key:
        return cached[1]

    parsed_files = []
    for name, path, st in found:
        file_key = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = _CACHE_FILES.get(path)
        if hit is not None and hit[0] == file_key:
            parsed_files.append(hit[1])
            continue
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            parsed = _ParsedFile(name, (), (ScheduleError(name, None, None, f"is not UTF-8 text ({err.reason})"),))
        except OSError as err:
            parsed = _ParsedFile(name, (), (ScheduleError(name, None, None, f"cannot be read: {err}"),))
        else:
            parsed = _parse_file(text, name)
        _CACHE_FILES[path] = (file_key, parsed)
        parsed_files.append(parsed)
    current = {path for _, path, _ in found}
    for stale in [p for p in _CACHE_FILES if os.path.dirname(p) == dir_path and p not in current]:
        del _CACHE_FILES[stale]

    schedule = _combine(parsed_files)
    _CACHE_DIRS[dir_path] = (dir_key, schedule)
    return schedule


def parse_schedule_text(text: str, source: str) -> tuple[list[ScheduledEvent], list[ScheduleError]]:
    """Validate one schedule file's text (``source`` names it in errors and events).

    Applies every rule, the duplicate-id and overlap checks included (within this file);
    :func:`load_schedule` applies those across all files. Never raises for bad data.
    """
    schedule = _combine([_parse_file(text, source)])
    return list(schedule.events), list(schedule.errors)


@dataclass(frozen=True)
class _Candidate:
    """A valid, not-cancelled entry before the cross-entry checks."""

    event: ScheduledEvent
    index: int
    endpoint_field: str


@dataclass(frozen=True)
class _ParsedFile:
    name: str
    candidates: tuple[_Candidate, ...]
    errors: tuple[ScheduleError, ...]
    ids: tuple[tuple[str, int], ...] = ()  # (id, entry number) of every not-cancelled entry with a usable id


def _combine(files: Sequence[_ParsedFile]) -> Schedule:
    """The cross-entry checks over ``files`` (in order): duplicate ids, then same-endpoint overlaps."""
    errors: list[ScheduleError] = []
    for parsed in files:
        errors.extend(parsed.errors)
    cross: list[tuple[int, int, ScheduleError]] = []

    # Every not-cancelled entry with a well-formed id counts, valid or not: the first keeps the id.
    first_by_id: dict[str, tuple[int, int]] = {}  # id -> (file order, entry number)
    for order, parsed in enumerate(files):
        for event_id, index in parsed.ids:
            first = first_by_id.setdefault(event_id, (order, index))
            if first == (order, index):
                continue
            where = "earlier in this file" if first[0] == order else f"in {files[first[0]].name}"
            message = (
                f"the id {event_id!r} is already used by entry #{first[1]} {where}; "
                "ids must be unique across all schedule files, so this entry is refused"
            )
            cross.append((order, index, ScheduleError(parsed.name, event_id, "id", message)))
    unique: list[tuple[int, _Candidate]] = [
        (order, cand)
        for order, parsed in enumerate(files)
        for cand in parsed.candidates
        if first_by_id[cand.event.event_id] == (order, cand.index)
    ]

    # Sweep in start order; per endpoint, the accepted event reaching furthest.
    unique.sort(key=lambda oc: (oc[1].event.start, oc[0], oc[1].index))
    reach: dict[str, ScheduledEvent] = {}
    accepted: list[ScheduledEvent] = []
    for order, cand in unique:
        event = cand.event
        clash = None
        for endpoint in event.endpoints:
            other = reach.get(endpoint)
            if other is not None and event.start < other.end:
                clash = (endpoint, other)
                break
        if clash is not None:
            endpoint, other = clash
            where = "in this file" if other.source == event.source else f"in {other.source}"
            message = (
                f"overlaps event {other.event_id!r} ({where}) on endpoint {endpoint!r}: its padded window "
                f"{z_time(event.start)} to {z_time(event.end)} starts before the other's ends at {z_time(other.end)}; "
                "an endpoint carries one event at a time, so the later-starting event is refused"
            )
            cross.append((order, cand.index, ScheduleError(event.source, event.event_id, cand.endpoint_field, message)))
            continue
        accepted.append(event)
        for endpoint in event.endpoints:
            other = reach.get(endpoint)
            if other is None or other.end < event.end:
                reach[endpoint] = event

    cross.sort(key=lambda c: (c[0], c[1]))
    errors.extend(c[2] for c in cross)
    accepted.sort(key=lambda e: (e.end, e.event_id))
    return Schedule(tuple(accepted), tuple(errors), tuple(p.name for p in files))


# --------------------------------------------------------------------------- one file


def _parse_file(text: str, source: str) -> _ParsedFile:
    """Every entry of one file, validated on its own (no cross-entry checks)."""

    def file_error(message: str) -> _ParsedFile:
        return _ParsedFile(source, (), (ScheduleError(source, None, None, message),))

    if not isinstance(text, str):
        return file_error(f"must be text, got {show(text)}")
    try:
        document = read_yaml(text)
    except YamlError as err:
        return file_error(f"is not valid YAML: {err}")
    except Exception as err:  # a safety net: the YAML library must never stop the load
        return file_error(f"is not valid YAML: {clip(str(err), 300)}")
    data = document.value
    expected = "a mapping with an `events:` list (and optional `timezone:` and `defaults:`)"
    if data is None:
        return file_error(f"is empty; a schedule file is {expected}")
    if not isinstance(data, dict):
        return file_error(f"must be {expected}, got {type_name(data)}")
    if "events" not in data:
        return file_error(f"has no `events:` list; a schedule file is {expected} (write `events: []` for none)")
    raw_events = data["events"]
    if not isinstance(raw_events, list):
        return file_error(f"`events:` must be a list of entries (write `events: []` for none), got {show(raw_events)}")

    reader = _FileReader(source, document)
    header = reader.header(data)
    if reader.errors:
        n = len(raw_events)
        reader.errors.append(
            ScheduleError(
                source,
                None,
                None,
                f"the file's settings have errors, so none of its {n} entr{'y' if n == 1 else 'ies'} "
                "is scheduled until they are fixed",
            )
        )
        return _ParsedFile(source, (), tuple(reader.errors))
    assert header is not None
    candidates = []
    for index, raw in enumerate(raw_events, start=1):
        try:
            cand = reader.entry(index, raw, header)
        except Exception as err:  # a safety net: one entry must never stop the others
            reader.errors.append(
                ScheduleError(source, f"#{index}", None, f"could not be validated ({type(err).__name__}: {err})")
            )
            continue
        if cand is not None:
            candidates.append(cand)
    return _ParsedFile(source, tuple(candidates), tuple(reader.errors), tuple(reader.ids))


@dataclass(frozen=True)
class _Header:
    zone: tzinfo | None
    zone_name: str | None
    padding_before: timedelta
    padding_after: timedelta
    destination: DestinationOverrides


class _FileReader:
    """Validates one file's header and entries, collecting :class:`ScheduleError`\\ s."""

    def __init__(self, source: str, document: YamlDocument) -> None:
        self.source = source
        self.document = document
        self.errors: list[ScheduleError] = []
        self.ids: list[tuple[str, int]] = []

    def _error(self, entry: str | None, field: str | None, message: str) -> None:
        self.errors.append(ScheduleError(self.source, entry, field, message))

    def _fields(self, mapping: dict[Any, Any], known: Sequence[str], entry: str | None, prefix: str) -> None:
        """Report unknown keys of ``mapping``, and keys given more than once (with their lines)."""
        known_set = _EVENT_FIELD_SET if known is EVENT_FIELDS else known
        for key in mapping:
            if key not in known_set:
                self._error(entry, prefix + _field_name(key), _unknown_field(key, known))
        repeats = self.document.repeated_keys(mapping)
        if not repeats:
            return
        lines: dict[Any, list[int]] = {}
        for key, line in repeats:
            lines.setdefault(key, []).append(line)
        for key, again in lines.items():
            self._error(
                entry,
                prefix + _field_name(key),
                f"is given more than once (again at {_lines(again)}); YAML would silently keep the last one, "
                "so remove the others",
            )

    # ----------------------------------------------------------------- header

    def header(self, data: dict[Any, Any]) -> _Header | None:
        self._fields(data, TOP_FIELDS, None, "")
        zone, zone_name = None, None
        if "timezone" in data:
            zone, zone_name = self._zone(data["timezone"], None, "timezone")
        before = after = timedelta(0)
        destination = _NO_DESTINATION
        defaults = data.get("defaults")
        if defaults is not None or "defaults" in data:
            if not isinstance(defaults, dict):
                self._error(None, "defaults", f"must be a mapping of default settings, got {show(defaults)}")
            else:
                self._fields(defaults, DEFAULTS_FIELDS, None, "defaults.")
                if "padding_before" in defaults:
                    before = self._padding(defaults["padding_before"], None, "defaults.padding_before")
                if "padding_after" in defaults:
                    after = self._padding(defaults["padding_after"], None, "defaults.padding_after")
                if "destination" in defaults:
                    checked = self._destination(defaults["destination"], None, "defaults.destination")
                    destination = DestinationOverrides(checked) if checked is not None else _NO_DESTINATION
        if self.errors:
            return None
        return _Header(zone, zone_name, before or timedelta(0), after or timedelta(0), destination)

    # ----------------------------------------------------------------- entries

    def entry(self, index: int, raw: object, header: _Header) -> _Candidate | None:
        errors_before = len(self.errors)
        if not isinstance(raw, dict):
            self._error(
                f"#{index}",
                None,
                f"must be a mapping with id, endpoint(s), start and end; got {show(raw)}",
            )
            return None
        event_id = raw.get("id")
        label = event_id if isinstance(event_id, str) and EVENT_ID.pattern.fullmatch(event_id) else f"#{index}"
        self._fields(raw, EVENT_FIELDS, label, "")
        if label != event_id:
            self._check_id(event_id, label)

        endpoints, endpoint_field = self._endpoints(raw, label)

        zone, zone_name = header.zone, header.zone_name
        if "timezone" in raw:
            zone, zone_name = self._zone(raw["timezone"], label, "timezone")
            zone_ok = zone is not None
        else:
            zone_ok = True

        start = end = None
        if zone_ok:
            start = self._time(raw, "start", zone, zone_name, label)
            end = self._time(raw, "end", zone, zone_name, label)
        if start is not None and end is not None and end <= start:
            self._error(
                label,
                "end",
                f"{show(raw['end'])} is not after the start {show(raw['start'])} ({z_time(end)} vs {z_time(start)})",
            )
            start = end = None

        before = self._padding(raw["padding_before"], label, "padding_before") if "padding_before" in raw else None
        after = self._padding(raw["padding_after"], label, "padding_after") if "padding_after" in raw else None
        if before is None:
            before = header.padding_before if "padding_before" not in raw else None
        if after is None:
            after = header.padding_after if "padding_after" not in raw else None

        destination = header.destination
        if "destination" in raw:
            checked = self._destination(raw["destination"], label, "destination")
            if checked is not None and checked:
                merged = dict(header.destination)
                merged.update(checked)
                destination = DestinationOverrides(merged)

        cancelled = raw.get("cancelled", False)
        if not isinstance(cancelled, bool):
            self._error(label, "cancelled", f"must be true or false, got {show(cancelled)}")
        elif not cancelled and label == event_id:
            self.ids.append((event_id, index))

        padded = None
        if start is not None and end is not None and before is not None and after is not None:
            p_start, p_end = start - before, end + after
            if p_end - p_start > MAX_STARTOVER:
                self._error(
                    label,
                    "end",
                    f"the padded window is {duration_text(p_end - p_start)} long; MediaPackage keeps at most "
                    "14 days of startover, so it could never be harvested",
                )
            else:
                padded = (p_start, p_end)

        clips: tuple[Clip, ...] = ()
        if "clips" in raw and zone_ok:  # a bad `timezone:` is the error; clips' wall times would only echo it
            clips = self._clips(raw["clips"], label, zone, zone_name, padded)

        if len(self.errors) == errors_before and "manifest_key" in destination:
            assert padded is not None and endpoints
            self._render_check(destination["manifest_key"], label, event_id, endpoints, padded, clips)
        if len(self.errors) > errors_before or cancelled is not False:
            return None
        assert padded is not None and start is not None and end is not None and endpoints
        event = ScheduledEvent(
            event_id=event_id,
            endpoints=endpoints,
            start=utc_datetime(padded[0]),
            end=utc_datetime(padded[1]),
            scheduled_start=utc_datetime(start),
            scheduled_end=utc_datetime(end),
            clips=clips,
            destination=destination,
            source=self.source,
            timezone=zone_name,
        )
        return _Candidate(event, index, endpoint_field)

    def _check_id(self, value: object, label: str) -> None:
        problem = _id_problem(value, EVENT_ID, required="a unique id of letters, digits, _ and -")
        if problem:
            self._error(label, "id", problem)

    def _endpoints(self, raw: dict[Any, Any], label: str) -> tuple[tuple[str, ...], str]:
        has_one, has_many = "endpoint" in raw, "endpoints" in raw
        if has_one and has_many:
            self._error(label, "endpoints", "give either `endpoint: <id>` or `endpoints: [<id>, ...]`, not both")
            return (), "endpoints"
        if not has_one and not has_many:
            self._error(label, "endpoints", "is required: give `endpoint: <id>` or `endpoints: [<id>, ...]`")
            return (), "endpoints"
        if has_one:
            value = raw["endpoint"]
            problem = _id_problem(value, RESOURCE_ID)
            if problem:
                self._error(label, "endpoint", problem)
                return (), "endpoint"
            return (value,), "endpoint"
        values = raw["endpoints"]
        if not isinstance(values, list) or not values:
            self._error(
                label,
                "endpoints",
                f"must be a non-empty list of origin endpoint ids like [clean-hls, world-hls], got {show(values)}",
            )
            return (), "endpoints"
        ok = True
        seen: set[str] = set()
        for i, value in enumerate(values, start=1):
            problem = _id_problem(value, RESOURCE_ID)
            if problem:
                self._error(label, f"endpoints[#{i}]", problem)
                ok = False
            elif value in seen:
                self._error(label, f"endpoints[#{i}]", f"{value!r} is listed more than once")
                ok = False
            else:
                seen.add(value)
        return (tuple(values) if ok else ()), "endpoints"

    def _zone(self, value: object, entry: str | None, field: str) -> tuple[tzinfo | None, str | None]:
        zone = _zone(value)
        if isinstance(zone, str):
            self._error(entry, field, zone)
            return None, None
        return zone, value  # type: ignore[return-value]  # a valid zone name is a str

    def _time(
        self, raw: dict[Any, Any], field: str, zone: tzinfo | None, zone_name: str | None, entry: str, prefix: str = ""
    ) -> datetime | None:
        if field not in raw or raw[field] is None or raw[field] == "":
            self._error(entry, prefix + field, f"is required; write it like {_EXAMPLE_LOCAL} or {_EXAMPLE_OFFSET}")
            return None
        parsed = _utc_naive(raw[field], zone, zone_name)
        if isinstance(parsed, str):
            self._error(entry, prefix + field, parsed)
            return None
        return parsed

    def _padding(self, value: object, entry: str | None, field: str) -> timedelta | None:
        try:
            seconds = _duration_seconds(value)
        except ValueError as err:
            self._error(entry, field, str(err))
            return None
        if seconds < 0:
            self._error(entry, field, f"{show(value)} is negative; padding is 0 or more")
            return None
        if seconds > MAX_PADDING.total_seconds():
            self._error(
                entry, field, f"{show(value)} is {duration_text(timedelta(seconds=seconds))}; padding is at most 6 h"
            )
            return None
        return timedelta(seconds=seconds)

    def _destination(self, value: object, entry: str | None, field: str) -> dict[str, str] | None:
        if not isinstance(value, dict):
            self._error(
                entry,
                field,
                f"must be a mapping like {{s3_bucket: my-bucket}} (keys {', '.join(DESTINATION_FIELDS)}), "
                f"got {show(value)}",
            )
            return None
        self._fields(value, DESTINATION_FIELDS, entry, field + ".")
        result: dict[str, str] = {}
        ok = True
        for key in DESTINATION_FIELDS:
            if key not in value:
                continue
            problem = _destination_problem(key, value[key])
            if problem:
                self._error(entry, f"{field}.{key}", problem)
                ok = False
            else:
                result[key] = value[key]
        return result if ok else None

    def _render_check(
        self,
        template: str,
        entry: str,
        event_id: str,
        endpoints: tuple[str, ...],
        padded: tuple[datetime, datetime],
        clips: tuple[Clip, ...],
    ) -> None:
        """The manifest key template rendered for each endpoint, and every output key the harvest
        plan derives from it (endpoint folder, ``part-NN/``, ``clips/<name>/``), must be usable S3
        keys: the validate task renders them the same way, with ``{date}`` of the padded start."""
        window = HarvestWindow(utc_datetime(padded[0]), utc_datetime(padded[1]))
        parts = len(split_window(window))
        outputs = [FULL_OUTPUT] if parts == 1 else [part_output(i) for i in range(1, parts + 1)]
        outputs += [clip_output(c.name) for c in clips]
        multi = len(endpoints) > 1
        for endpoint in endpoints:
            rendered = render_manifest_key(template, event_id=event_id, origin_endpoint_id=endpoint, start=padded[0])
            assert rendered is not None  # every placeholder has a value
            reasons = manifest_key_problems(rendered)
            for reason in reasons:
                self._error(entry, "destination.manifest_key", f"{show(rendered)} (rendered) {reason}")
            if reasons:
                return
            # The outputs' keys only add safe folders to a usable key: only their length can break.
            for output in outputs:
                key = output_manifest_key(rendered, endpoint=endpoint if multi else None, output=output)
                for reason in manifest_key_problems(key):
                    self._error(
                        entry,
                        "destination.manifest_key",
                        f"{show(key)} (output {output} from {endpoint}, rendered from {show(template)}) {reason}",
                    )
                    return

    def _clips(
        self,
        value: object,
        label: str,
        zone: tzinfo | None,
        zone_name: str | None,
        padded: tuple[datetime, datetime] | None,
    ) -> tuple[Clip, ...]:
        if not isinstance(value, list):
            self._error(label, "clips", f"must be a list of clips (name, start, end), got {show(value)}")
            return ()
        clips: list[Clip] = []
        names: set[str] = set()
        windows: dict[tuple[datetime, datetime], str] = {}
        for i, raw in enumerate(value, start=1):
            where = f"clips[#{i}]"
            if not isinstance(raw, dict):
                self._error(label, where, f"must be a mapping with name, start and end; got {show(raw)}")
                continue
            name = raw.get("name")
            name_ok = isinstance(name, str) and CLIP_NAME.pattern.fullmatch(name) is not None
            if name_ok:
                where = f"clips[{name}]"
            errors_before = len(self.errors)
            self._fields(raw, CLIP_FIELDS, label, where + ".")
            if not name_ok:
                problem = _id_problem(name, CLIP_NAME, required="lowercase letters, digits and -")
                self._error(label, where + ".name", problem or "is not a clip name")
            elif name in names:
                self._error(label, where + ".name", f"another clip of this event is already named {name!r}")
            else:
                names.add(name)
            start = self._time(raw, "start", zone, zone_name, label, where + ".")
            end = self._time(raw, "end", zone, zone_name, label, where + ".")
            if start is not None and end is not None:
                if end <= start:
                    self._error(
                        label,
                        where + ".end",
                        f"{show(raw['end'])} is not after the clip's start {show(raw['start'])}",
                    )
                elif end - start > MAX_HARVEST_DURATION:
                    self._error(
                        label,
                        where + ".end",
                        f"the clip is {duration_text(end - start)} long; the harvest limit is 24 h",
                    )
                elif padded is not None and (start < padded[0] or end > padded[1]):
                    self._error(
                        label,
                        where,
                        f"{z_time(start)} to {z_time(end)} is not inside the event's padded window "
                        f"{z_time(padded[0])} to {z_time(padded[1])}",
                    )
                elif (start, end) in windows or (start, end) == padded:
                    other = windows.get((start, end), "the full event")
                    self._error(
                        label,
                        where,
                        f"has the same window as {other}; harvests are identified by endpoint and window, "
                        "so it would not be harvested on its own",
                    )
                else:
                    windows[(start, end)] = f"clip {name!r}" if name_ok else f"clip #{i}"
            if len(self.errors) == errors_before and start is not None and end is not None:
                clips.append(Clip(name, utc_datetime(start), utc_datetime(end)))  # type: ignore[arg-type]
        if clips and padded is not None and padded[1] - padded[0] > MAX_HARVEST_DURATION:
            self._clips_vs_parts(clips, label, padded)
        return tuple(clips)

    def _clips_vs_parts(self, clips: list[Clip], label: str, padded: tuple[datetime, datetime]) -> None:
        window = HarvestWindow(utc_datetime(padded[0]), utc_datetime(padded[1]))
        parts = {(w.start, w.end) for w in split_window(window)}
        for c in clips:
            if (c.start, c.end) in parts:
                self._error(
                    label,
                    f"clips[{c.name}]",
                    "has the same window as one of the event's 24-hour parts; harvests are identified by "
                    "endpoint and window, so it would not be harvested on its own",
                )


# --------------------------------------------------------------------------- field checks


def _id_problem(value: object, rule: IdRule, required: str = "") -> str | None:
    """Why ``value`` (read from YAML) is not an id of ``rule``; ``required`` says what to write when absent."""
    if value is None or value == "":
        return f"is required: {required}, at most {rule.max_len} characters" if required else "is required"
    if not isinstance(value, str):
        return f"must be text, got {show(value)}{quote_hint(value)}"
    return rule.problem(value)


@lru_cache(maxsize=256)
def _destination_problem_cached(key: str, value: str) -> str | None:
    if key == "s3_bucket":
        reasons = bucket_name_problems(value)
        return f"{show(value)} " + "; ".join(reasons) if reasons else None
    if key == "role_arn":  # the form only: the run checks the deployment's partition
        reason = role_arn_problem(value, None)
        return f"{show(value)} {reason}" if reason else None
    if key == "packaging_group_id":
        reason = RESOURCE_ID.problem(value) if value else None
        return f'{reason} (or "" for no VOD hand-off)' if reason else None
    # manifest_key: a template, rendered per event later; here its placeholders and literal text
    try:
        sample = render_manifest_key(value, event_id="event", origin_endpoint_id="endpoint", start=_SAMPLE_START)
    except TemplateError as err:
        return f"template {show(value)} {err}"
    assert sample is not None  # every placeholder has a value
    reasons = manifest_key_problems(sample)
    return f"template {show(value)} " + "; ".join(reasons) if reasons else None


_SAMPLE_START = datetime(2026, 1, 1)


def _destination_problem(key: str, value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be text, got {show(value)}{quote_hint(value)}"
    if value == "" and key != "packaging_group_id":
        return "must not be empty; remove the line to use the deployment default"
    if len(value) > 2048:
        return f"{show(value)} is far too long"
    return _destination_problem_cached(key, value)


def _unknown_field(key: object, known: Sequence[str]) -> str:
    if isinstance(key, str):
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            return f"is not a known field; did you mean {close[0]!r}?"
    return f"is not a known field; the known fields here are {', '.join(known)}"


def _field_name(key: object) -> str:
    if isinstance(key, str) and 0 < len(key) <= 64 and key.isprintable():
        return key
    return show(key)


def _lines(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    return f"lines {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


# --------------------------------------------------------------------------- time zones and times


_ZONES: dict[str, tzinfo] = {}
_ALL_ZONES: list[str] = []
# Names the tz database installs that are no place's zone: the host's own setting (``localtime``
# is /etc/localtime, ``posixrules`` is configurable), "no zone set" (``Factory``) and the
# leap-second-counting ``right/`` copies. A schedule using them would mean different UTC times
# on different machines (or be 27 s off), so they are refused.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


def _zone(name: object) -> tzinfo | str:
    """The zone called ``name``, or a message saying why there is none."""
    if isinstance(name, str):
        zone = _ZONES.get(name)
        if zone is not None:
            return zone
    if not isinstance(name, str) or not name:
        return f"must be an IANA time zone name like America/New_York, got {show(name)}"
    if name in _NOT_PLACES or name.startswith("right/"):
        return (
            f"{show(name)} is not a place's time zone (the host's own setting or a tz database artefact); "
            "name the zone, like America/New_York"
        )
    if len(name) <= 64 and name.isprintable():
        try:
            zone = pendulum.timezone(name)
        except Exception:  # pendulum raises InvalidTimezone, zoneinfo ValueError for odd keys
            zone = None
        if isinstance(zone, tzinfo):
            _ZONES[name] = zone
            return zone
    hint = ""
    if len(name) <= 64:
        if not _ALL_ZONES:
            import zoneinfo

            _ALL_ZONES.extend(sorted(zoneinfo.available_timezones() - _NOT_PLACES))
        close = difflib.get_close_matches(name, _ALL_ZONES, n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{show(name)} is not a known IANA time zone (like America/New_York or Europe/London){hint}"


def _utc_naive(value: object, zone: tzinfo | None, zone_name: str | None) -> datetime | str:
    """``value`` (a time with an offset, or a wall time in ``zone``) as a naive UTC datetime,
    or a message saying why it is not one."""
    read = read_wall_time(value, _TIME_HINT)
    if isinstance(read, str):
        return read
    if not _MIN_YEAR <= read.wall.year <= _MAX_YEAR:
        return f"{show(value)} is not between the years {_MIN_YEAR} and {_MAX_YEAR}"
    if read.offset is not None:
        return read.utc()
    if zone is None:
        return (
            f"{show(value)} has no UTC offset and no time zone is set; add `timezone:` to the file or the entry, "
            f"or write the offset like {_EXAMPLE_OFFSET}"
        )
    wall = read.wall
    first = wall.replace(tzinfo=zone).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
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
