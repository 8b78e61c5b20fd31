"""One schedule file read into validated entries, each checked on its own.

Pure domain module. :func:`read_file` reads the YAML (:mod:`live_to_vod.schedule.yaml_reader`),
checks the file's settings (``timezone``, ``defaults``: an error there refuses the whole file,
since they apply to every entry), then every entry and its clips, collecting
:class:`~live_to_vod.schedule.models.ScheduleError`\\ s. One bad entry never stops the others.
The result, a :class:`ParsedFile`, holds the valid, not-cancelled entries as
:class:`Candidate`\\ s and the ids the entries claim, for the rules across entries and files
(:mod:`live_to_vod.schedule.rules`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Any, NamedTuple

import pendulum

from live_to_vod.field_rules import (
    CLIP_NAME,
    DEFAULT_VERIFY_SEGMENTS,
    EVENT_ID,
    RESOURCE_ID,
    IdRule,
    endpoint_ref_problem,
    playable_within_problem,
    verify_segments_problem,
)
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.limits import MAX_HARVEST_DURATION, MAX_STARTOVER
from live_to_vod.outputs import split_window
from live_to_vod.schedule.destinations import DESTINATION_FIELDS, destination_problem, rendered_key_problems
from live_to_vod.schedule.durations import padding
from live_to_vod.schedule.models import NO_DESTINATION, Clip, DestinationOverrides, ScheduledEvent, ScheduleError
from live_to_vod.schedule.times import EXAMPLE_LOCAL, EXAMPLE_OFFSET, utc_naive, zone
from live_to_vod.schedule.yaml_reader import YamlDocument, YamlError, quote_hint, read_yaml
from live_to_vod.text import clip, show, type_name
from live_to_vod.times import duration_text, utc_datetime, z_time
from live_to_vod.transcode_jobs import PRODUCTS

__all__ = [
    "CLIP_FIELDS",
    "DEFAULTS_FIELDS",
    "EVENT_FIELDS",
    "TOP_FIELDS",
    "Candidate",
    "ParsedFile",
    "read_file",
]

TOP_FIELDS = ("timezone", "defaults", "events")
TRANSCODE_FIELDS = ("mediaconvert", "thumbnail_interval_seconds", "mediaconvert_template")
DEFAULTS_FIELDS = (
    "padding_before",
    "padding_after",
    "destination",
    "verify_segments",
    "playable_within_minutes",
    *TRANSCODE_FIELDS,
)
EVENT_FIELDS = (
    "id",
    "endpoint",
    "endpoints",
    "start",
    "end",
    "revised_start",
    "revised_end",
    "timezone",
    "padding_before",
    "padding_after",
    "destination",
    "cancelled",
    "clips",
    "verify_segments",
    "manifests",
    "playable_within_minutes",
    *TRANSCODE_FIELDS,
)
CLIP_FIELDS = ("name", "start", "end", "mediaconvert")
_EVENT_FIELD_SET = frozenset(EVENT_FIELDS)
_FILE_SHAPE = "a mapping with an `events:` list (and optional `timezone:` and `defaults:`)"

Window = tuple[datetime, datetime]  # naive UTC


@dataclass(frozen=True)
class Candidate:
    """A valid, not-cancelled entry before the cross-entry rules; ``index`` is its number (from 1)."""

    event: ScheduledEvent
    index: int
    endpoint_field: str


@dataclass(frozen=True)
class ParsedFile:
    """One file's entries, each validated on its own."""

    name: str
    candidates: tuple[Candidate, ...]
    errors: tuple[ScheduleError, ...]
    ids: tuple[tuple[str, int], ...] = ()  # (id, entry number) of every not-cancelled entry with a usable id


def read_file(text: str, source: str) -> ParsedFile:
    """Every entry of one file (``source`` names it), validated on its own (no cross-entry rules)."""

    def file_error(message: str) -> ParsedFile:
        return ParsedFile(source, (), (ScheduleError(source, None, None, message),))

    if not isinstance(text, str):
        return file_error(f"must be text, got {show(text)}")
    try:
        document = read_yaml(text)
    except YamlError as err:
        return file_error(f"is not valid YAML: {err}")
    except Exception as err:  # a safety net: the YAML library must never stop the load
        return file_error(f"is not valid YAML: {clip(str(err), 300)}")
    data = document.value
    problem = _file_shape_problem(data)
    if problem is not None:
        return file_error(problem)
    reader = _FileReader(source, document)
    header = reader.header(data)
    if header is None:
        return reader.refused(len(data["events"]))
    for index, raw in enumerate(data["events"], start=1):
        reader.entry(index, raw, header)
    return reader.parsed()


def _file_shape_problem(data: object) -> str | None:
    if data is None:
        return f"is empty; a schedule file is {_FILE_SHAPE}"
    if not isinstance(data, dict):
        return f"must be {_FILE_SHAPE}, got {type_name(data)}"
    if "events" not in data:
        return f"has no `events:` list; a schedule file is {_FILE_SHAPE} (write `events: []` for none)"
    if not isinstance(data["events"], list):
        return f"`events:` must be a list of entries (write `events: []` for none), got {show(data['events'])}"
    return None


@dataclass(frozen=True)
class _Header:
    """The file's settings, which apply to every entry."""

    zone: tzinfo | None
    zone_name: str | None
    padding_before: timedelta
    padding_after: timedelta
    destination: DestinationOverrides
    verify_segments: str = DEFAULT_VERIFY_SEGMENTS
    transcode: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    playable_within_minutes: int | None = None


class _Times(NamedTuple):
    """An entry's zone and window as read: ``start``/``end`` naive UTC (the revised times where the
    entry gives them), ``planned_start``/``planned_end`` as first scheduled; None when refused."""

    zone_ok: bool
    zone: tzinfo | None
    zone_name: str | None
    start: datetime | None
    end: datetime | None
    planned_start: datetime | None = None
    planned_end: datetime | None = None


class _FileReader:
    """Validates one file's header and entries, collecting :class:`ScheduleError`\\ s."""

    def __init__(self, source: str, document: YamlDocument) -> None:
        self.source = source
        self.document = document
        self.errors: list[ScheduleError] = []
        self.ids: list[tuple[str, int]] = []
        self.candidates: list[Candidate] = []
        self.times_read: dict[tuple[str, str | None], datetime | str] = {}
        self.instants: dict[datetime, pendulum.DateTime] = {}

    def instant(self, naive_utc: datetime) -> pendulum.DateTime:
        """``naive_utc`` as a pendulum DateTime in UTC, one object per instant of the file (they are immutable)."""
        found = self.instants[naive_utc] = utc_datetime(naive_utc)
        return found

    def error(self, entry: str | None, field: str | None, message: str) -> None:
        self.errors.append(ScheduleError(self.source, entry, field, message))

    def parsed(self) -> ParsedFile:
        return ParsedFile(self.source, tuple(self.candidates), tuple(self.errors), tuple(self.ids))

    def refused(self, entries: int) -> ParsedFile:
        """The file refused whole, its settings having errors."""
        self.error(
            None,
            None,
            f"the file's settings have errors, so none of its {entries} entr{'y' if entries == 1 else 'ies'} "
            "is scheduled until they are fixed",
        )
        return ParsedFile(self.source, (), tuple(self.errors))

    def fields(self, mapping: dict[Any, Any], known: Sequence[str], entry: str | None, prefix: str) -> None:
        """Report unknown keys of ``mapping``, and keys given more than once (with their lines)."""
        known_set = _EVENT_FIELD_SET if known is EVENT_FIELDS else known
        for key in mapping:
            if key not in known_set:
                self.error(entry, prefix + _field_name(key), _unknown_field(key, known))
        repeats = self.document.repeated_keys(mapping)
        if not repeats:
            return
        lines: dict[Any, list[int]] = {}
        for key, line in repeats:
            lines.setdefault(key, []).append(line)
        for key, again in lines.items():
            self.error(
                entry,
                prefix + _field_name(key),
                f"is given more than once (again at {_lines(again)}); YAML would silently keep the last one, "
                "so remove the others",
            )

    # ----------------------------------------------------------------- the file's settings

    def header(self, data: dict[Any, Any]) -> _Header | None:
        """The file's settings; None (errors reported) when any is wrong."""
        self.fields(data, TOP_FIELDS, None, "")
        file_zone, zone_name = None, None
        if "timezone" in data:
            file_zone, zone_name = self.zone(data["timezone"], None, "timezone")
        before = after = timedelta(0)
        destination = NO_DESTINATION
        verify_segments = DEFAULT_VERIFY_SEGMENTS
        transcode: dict[str, Any] = {}
        playable_within: int | None = None
        if "defaults" in data:
            defaults = data["defaults"]
            if not isinstance(defaults, dict):
                self.error(None, "defaults", f"must be a mapping of default settings, got {show(defaults)}")
            else:
                self.fields(defaults, DEFAULTS_FIELDS, None, "defaults.")
                if "padding_before" in defaults:
                    before = self.padding(defaults["padding_before"], None, "defaults.padding_before")
                if "padding_after" in defaults:
                    after = self.padding(defaults["padding_after"], None, "defaults.padding_after")
                if "destination" in defaults:
                    checked = self.destination(defaults["destination"], None, "defaults.destination")
                    destination = DestinationOverrides(checked) if checked is not None else NO_DESTINATION
                if "verify_segments" in defaults:
                    verify_segments = self.verify_segments(
                        defaults["verify_segments"], None, "defaults.verify_segments"
                    )
                transcode = self.transcode(defaults, None, "defaults.")
                if "playable_within_minutes" in defaults:
                    playable_within = self.playable_within(
                        defaults["playable_within_minutes"], None, "defaults.playable_within_minutes"
                    )
        if self.errors:
            return None
        return _Header(
            file_zone,
            zone_name,
            before or timedelta(0),
            after or timedelta(0),
            destination,
            verify_segments,
            MappingProxyType(transcode),
            playable_within,
        )

    # ----------------------------------------------------------------- one entry

    def entry(self, index: int, raw: object, header: _Header) -> None:
        """Validate entry number ``index``; a valid, not-cancelled one becomes a candidate."""
        try:
            candidate = self._entry(index, raw, header)
        except Exception as err:  # a safety net: one entry must never stop the others
            self.error(f"#{index}", None, f"could not be validated ({type(err).__name__}: {err})")
            return
        if candidate is not None:
            self.candidates.append(candidate)

    def _entry(self, index: int, raw: object, header: _Header) -> Candidate | None:
        errors_before = len(self.errors)
        if not isinstance(raw, dict):
            self.error(f"#{index}", None, f"must be a mapping with id, endpoint(s), start and end; got {show(raw)}")
            return None
        event_id = raw.get("id")
        label = event_id if isinstance(event_id, str) and EVENT_ID.pattern.fullmatch(event_id) else f"#{index}"
        self.fields(raw, EVENT_FIELDS, label, "")
        if label != event_id:  # the label is the id whenever the id is usable
            problem = _id_problem(event_id, EVENT_ID, required="a unique id of letters, digits, _ and -")
            self.error(label, "id", problem or "is not an id")
        endpoints, endpoint_field = self.endpoints(raw, label)
        times = self.times(raw, header, label)
        before = self.entry_padding(raw, "padding_before", header.padding_before, label)
        after = self.entry_padding(raw, "padding_after", header.padding_after, label)
        destination = self.entry_destination(raw, header, label)
        verify_segments = header.verify_segments
        if "verify_segments" in raw:
            verify_segments = self.verify_segments(raw["verify_segments"], label, "verify_segments")
        manifests = self.manifests(raw.get("manifests"), endpoints, label) if "manifests" in raw else ()
        transcode = {**header.transcode, **self.transcode(raw, label, "")}
        playable_within = header.playable_within_minutes
        if "playable_within_minutes" in raw:
            playable_within = self.playable_within(raw["playable_within_minutes"], label, "playable_within_minutes")
        cancelled = self.cancelled(raw, label, index)
        padded = slot = None
        if times.start is not None and times.end is not None and before is not None and after is not None:
            padded = self.padded_window(times.start - before, times.end + after, label)
            assert times.planned_start is not None and times.planned_end is not None
            slot = (times.planned_start - before, times.planned_end + after)
        clips: tuple[Clip, ...] = ()
        if "clips" in raw and times.zone_ok:  # a bad `timezone:` is the error; clips' wall times would only echo it
            clips = self.clips(raw["clips"], label, times, padded)
        if len(self.errors) == errors_before and "manifest_key" in destination:
            assert padded is not None and endpoints
            for problem in rendered_key_problems(
                destination["manifest_key"], event_id, endpoints, padded, [c.name for c in clips]
            ):
                self.error(label, "destination.manifest_key", problem)
        if len(self.errors) > errors_before or cancelled is not False:
            return None
        assert padded is not None and slot is not None and times.start is not None and times.end is not None
        assert endpoints
        instants, instant = self.instants, self.instant
        start, end = instants.get(padded[0]) or instant(padded[0]), instants.get(padded[1]) or instant(padded[1])
        event = ScheduledEvent(
            event_id=event_id,
            endpoints=endpoints,
            start=start,
            end=end,
            slot_start=start if slot[0] == padded[0] else instants.get(slot[0]) or instant(slot[0]),
            slot_end=end if slot[1] == padded[1] else instants.get(slot[1]) or instant(slot[1]),
            scheduled_start=instants.get(times.start) or instant(times.start),
            scheduled_end=instants.get(times.end) or instant(times.end),
            clips=clips,
            destination=destination,
            source=self.source,
            timezone=times.zone_name,
            verify_segments=verify_segments,
            manifests=manifests,
            transcode=transcode,
            playable_within_minutes=playable_within,
        )
        return Candidate(event, index, endpoint_field)

    def manifests(self, value: object, endpoints: Sequence[str], label: str) -> tuple[str, ...]:
        """The v2 manifest names the entry harvests (empty: every HLS and DASH manifest)."""
        if endpoints and not any("/" in e for e in endpoints):
            self.error(label, "manifests", "names MediaPackage v2 manifests, but the entry's endpoints are all v1")
            return ()
        if not isinstance(value, list) or not value:
            self.error(
                label, "manifests", f"must be a non-empty list of manifest names like [hls, dash], got {show(value)}"
            )
            return ()
        names: list[str] = []
        for i, name in enumerate(value, start=1):
            problem = _id_problem(name, RESOURCE_ID)
            if problem is None and name in names:
                problem = f"{name!r} is listed more than once"
            if problem:
                self.error(label, f"manifests[#{i}]", problem)
            else:
                names.append(name)
        return tuple(names)

    def endpoints(self, raw: dict[Any, Any], label: str) -> tuple[tuple[str, ...], str]:
        """The entry's endpoint ids and the field that names them; no ids when refused."""
        has_one, has_many = "endpoint" in raw, "endpoints" in raw
        if has_one and has_many:
            self.error(label, "endpoints", "give either `endpoint: <id>` or `endpoints: [<id>, ...]`, not both")
            return (), "endpoints"
        if not has_one and not has_many:
            self.error(label, "endpoints", "is required: give `endpoint: <id>` or `endpoints: [<id>, ...]`")
            return (), "endpoints"
        if has_one:
            problem = _endpoint_problem(raw["endpoint"])
            if problem:
                self.error(label, "endpoint", problem)
                return (), "endpoint"
            return (raw["endpoint"],), "endpoint"
        values = raw["endpoints"]
        if not isinstance(values, list) or not values:
            self.error(
                label,
                "endpoints",
                f"must be a non-empty list of origin endpoint ids like [clean-hls, world-hls], got {show(values)}",
            )
            return (), "endpoints"
        ok = True
        seen: set[str] = set()
        for i, value in enumerate(values, start=1):
            problem = _endpoint_problem(value)
            if problem is None and value in seen:
                problem = f"{value!r} is listed more than once"
            if problem:
                self.error(label, f"endpoints[#{i}]", problem)
                ok = False
            else:
                seen.add(value)
        return (tuple(values) if ok else ()), "endpoints"

    def times(self, raw: dict[Any, Any], header: _Header, label: str) -> _Times:
        """The entry's zone (its own, else the file's), and its start and end in UTC."""
        entry_zone, zone_name = header.zone, header.zone_name
        if "timezone" in raw:
            entry_zone, zone_name = self.zone(raw["timezone"], label, "timezone")
            if entry_zone is None:
                return _Times(False, None, None, None, None)
        start = self.time(raw, "start", entry_zone, zone_name, label)
        end = self.time(raw, "end", entry_zone, zone_name, label)
        if start is not None and end is not None and end <= start:
            self.error(
                label,
                "end",
                f"{show(raw['end'])} is not after the start {show(raw['start'])} ({z_time(end)} vs {z_time(start)})",
            )
            start = end = None
        if start is None or end is None or ("revised_start" not in raw and "revised_end" not in raw):
            return _Times(True, entry_zone, zone_name, start, end, start, end)
        # Game-day changes (overtime, a delayed start): the harvest takes them, the run keeps its slot.
        revised_start, revised_end = start, end
        if "revised_start" in raw:
            revised_start = self.time(raw, "revised_start", entry_zone, zone_name, label)
        if "revised_end" in raw:
            revised_end = self.time(raw, "revised_end", entry_zone, zone_name, label)
        if revised_start is None or revised_end is None:
            return _Times(True, entry_zone, zone_name, None, None, start, end)
        if revised_end <= revised_start:
            field = "revised_end" if "revised_end" in raw else "revised_start"
            self.error(
                label,
                field,
                f"the revised window {z_time(revised_start)} to {z_time(revised_end)} ends before it starts",
            )
            return _Times(True, entry_zone, zone_name, None, None, start, end)
        return _Times(True, entry_zone, zone_name, revised_start, revised_end, start, end)

    def entry_padding(self, raw: dict[Any, Any], field: str, default: timedelta, label: str) -> timedelta | None:
        """The entry's own padding ``field``, else the file's ``default``; None when refused."""
        return self.padding(raw[field], label, field) if field in raw else default

    def entry_destination(self, raw: dict[Any, Any], header: _Header, label: str) -> DestinationOverrides:
        """The entry's destination overrides merged over the file's defaults."""
        if "destination" not in raw:
            return header.destination
        checked = self.destination(raw["destination"], label, "destination")
        if not checked:
            return header.destination
        return DestinationOverrides({**header.destination, **checked})

    def cancelled(self, raw: dict[Any, Any], label: str, index: int) -> object:
        """``cancelled:`` as written (False when absent); a not-cancelled entry claims its id."""
        cancelled = raw.get("cancelled", False)
        if not isinstance(cancelled, bool):
            self.error(label, "cancelled", f"must be true or false, got {show(cancelled)}")
        elif not cancelled and label == raw.get("id"):
            self.ids.append((label, index))
        return cancelled

    def padded_window(self, start: datetime, end: datetime, label: str) -> Window | None:
        if end - start > MAX_STARTOVER:
            self.error(
                label,
                "end",
                f"the padded window is {duration_text(end - start)} long; MediaPackage keeps at most "
                "14 days of startover, so it could never be harvested",
            )
            return None
        return (start, end)

    # ----------------------------------------------------------------- clips

    def clips(self, value: object, label: str, times: _Times, padded: Window | None) -> tuple[Clip, ...]:
        """The entry's valid clips (every problem reported)."""
        if not isinstance(value, list):
            self.error(label, "clips", f"must be a list of clips (name, start, end), got {show(value)}")
            return ()
        clips: list[Clip] = []
        names: set[str] = set()
        windows: dict[Window, str] = {}
        for i, raw in enumerate(value, start=1):
            if not isinstance(raw, dict):
                self.error(label, f"clips[#{i}]", f"must be a mapping with name, start and end; got {show(raw)}")
                continue
            errors_before = len(self.errors)
            name, where = self.clip_name(raw, i, label, names)
            start = self.time(raw, "start", times.zone, times.zone_name, label, where + ".")
            end = self.time(raw, "end", times.zone, times.zone_name, label, where + ".")
            if start is None or end is None:
                continue
            problem = _clip_window_problem(raw, start, end, padded, windows)
            if problem is not None:
                self.error(label, where + problem[0], problem[1])
            else:
                windows[(start, end)] = f"clip {name!r}" if name is not None else f"clip #{i}"
            products = (
                self.products(raw["mediaconvert"], label, where + ".mediaconvert") if "mediaconvert" in raw else None
            )
            if len(self.errors) == errors_before:
                clips.append(Clip(name, utc_datetime(start), utc_datetime(end), products))  # type: ignore[arg-type]
        if clips and padded is not None and padded[1] - padded[0] > MAX_HARVEST_DURATION:
            self.clips_vs_parts(clips, label, padded)
        return tuple(clips)

    def clip_name(self, raw: dict[Any, Any], i: int, label: str, names: set[str]) -> tuple[str | None, str]:
        """The clip's name (None when unusable) and how errors name the clip; checks its fields."""
        name = raw.get("name")
        name_ok = isinstance(name, str) and CLIP_NAME.pattern.fullmatch(name) is not None
        where = f"clips[{name}]" if name_ok else f"clips[#{i}]"
        self.fields(raw, CLIP_FIELDS, label, where + ".")
        if not name_ok:
            problem = _id_problem(name, CLIP_NAME, required="lowercase letters, digits and -")
            self.error(label, where + ".name", problem or "is not a clip name")
            return None, where
        if name in names:
            self.error(label, where + ".name", f"another clip of this event is already named {name!r}")
        names.add(name)
        return name, where

    def clips_vs_parts(self, clips: list[Clip], label: str, padded: Window) -> None:
        """A clip with the window of one of the event's 24-hour parts would be the same harvest."""
        window = HarvestWindow(utc_datetime(padded[0]), utc_datetime(padded[1]))
        parts = {(w.start, w.end) for w in split_window(window)}
        for c in clips:
            if (c.start, c.end) in parts:
                self.error(
                    label,
                    f"clips[{c.name}]",
                    "has the same window as one of the event's 24-hour parts; harvests are identified by "
                    "endpoint and window, so it would not be harvested on its own",
                )

    # ----------------------------------------------------------------- single values

    def zone(self, value: object, entry: str | None, field: str) -> tuple[tzinfo | None, str | None]:
        found = zone(value)
        if isinstance(found, str):
            self.error(entry, field, found)
            return None, None
        return found, value  # type: ignore[return-value]  # a valid zone name is a str

    def time(
        self,
        raw: dict[Any, Any],
        field: str,
        in_zone: tzinfo | None,
        zone_name: str | None,
        entry: str,
        prefix: str = "",
    ) -> datetime | None:
        value = raw.get(field)
        if value is None or value == "":
            self.error(entry, prefix + field, f"is required; write it like {EXAMPLE_LOCAL} or {EXAMPLE_OFFSET}")
            return None
        if value.__class__ is str:  # a season repeats its times (kick-offs, endpoints): read each once
            key = (value, zone_name)  # a zone name names one zone
            parsed = self.times_read.get(key)
            if parsed is None:
                parsed = self.times_read[key] = utc_naive(value, in_zone, zone_name)
        else:
            parsed = utc_naive(value, in_zone, zone_name)
        if isinstance(parsed, str):
            self.error(entry, prefix + field, parsed)
            return None
        return parsed

    def padding(self, value: object, entry: str | None, field: str) -> timedelta | None:
        read = padding(value)
        if isinstance(read, str):
            self.error(entry, field, read)
            return None
        return read

    def verify_segments(self, value: object, entry: str | None, field: str) -> str:
        """How the entry's (or, under ``defaults:``, every entry's) segments are verified; the
        default (reported) when ``value`` is not one of the modes."""
        problem = verify_segments_problem(value)
        if problem:
            self.error(entry, field, problem)
            return DEFAULT_VERIFY_SEGMENTS
        return value  # type: ignore[return-value]  # a valid mode is a str

    def playable_within(self, value: object, entry: str | None, field: str) -> int | None:
        """The event's deadline, minutes after its end; None (reported) when not whole minutes in range."""
        problem = playable_within_problem(value)
        if problem:
            self.error(entry, field, problem)
            return None
        return value  # type: ignore[return-value]  # checked: an int

    def transcode(self, raw: Mapping[Any, Any], entry: str | None, prefix: str) -> dict[str, Any]:
        """The MediaConvert fields ``raw`` gives, checked for shape (``validate`` checks the template
        file and the role when the run starts, naming the same fields)."""
        found: dict[str, Any] = {}
        if "mediaconvert" in raw:
            products = self.products(raw["mediaconvert"], entry, prefix + "mediaconvert")
            if products is not None:
                found["mediaconvert"] = products
        if "thumbnail_interval_seconds" in raw:
            value = raw["thumbnail_interval_seconds"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3600:
                self.error(
                    entry,
                    prefix + "thumbnail_interval_seconds",
                    f"must be a whole number of seconds from 1 to 3600, got {show(value)}",
                )
            else:
                found["thumbnail_interval_seconds"] = value
        if "mediaconvert_template" in raw:
            value = raw["mediaconvert_template"]
            if not isinstance(value, str) or not value.strip():
                self.error(
                    entry,
                    prefix + "mediaconvert_template",
                    f"must be a template file name (.json) or a MediaConvert job template name, got {show(value)}",
                )
            else:
                found["mediaconvert_template"] = value
        return found

    def products(self, value: object, entry: str | None, field: str) -> tuple[str, ...] | None:
        """What MediaConvert makes (``[mp4, thumbnails]``; ``[]``: nothing); None (reported) when wrong."""
        if not isinstance(value, list) or any(v not in PRODUCTS for v in value) or len(set(value)) != len(value):
            self.error(entry, field, f"must be a list of {', '.join(PRODUCTS)} (or [] for none), got {show(value)}")
            return None
        return tuple(p for p in PRODUCTS if p in value)

    def destination(self, value: object, entry: str | None, field: str) -> dict[str, str] | None:
        """The destination overrides in ``value``; None (reported) when any is wrong."""
        if not isinstance(value, dict):
            self.error(
                entry,
                field,
                f"must be a mapping like {{s3_bucket: my-bucket}} (keys {', '.join(DESTINATION_FIELDS)}), "
                f"got {show(value)}",
            )
            return None
        self.fields(value, DESTINATION_FIELDS, entry, field + ".")
        result: dict[str, str] = {}
        ok = True
        for key in DESTINATION_FIELDS:
            if key not in value:
                continue
            problem = destination_problem(key, value[key])
            if problem:
                self.error(entry, f"{field}.{key}", problem)
                ok = False
            else:
                result[key] = value[key]
        return result if ok else None


def _clip_window_problem(
    raw: dict[Any, Any], start: datetime, end: datetime, padded: Window | None, windows: dict[Window, str]
) -> tuple[str, str] | None:
    """(field suffix, message) of what is wrong with a clip's window, None when nothing is."""
    if end <= start:
        return ".end", f"{show(raw['end'])} is not after the clip's start {show(raw['start'])}"
    if end - start > MAX_HARVEST_DURATION:
        return ".end", f"the clip is {duration_text(end - start)} long; the harvest limit is 24 h"
    if padded is not None and (start < padded[0] or end > padded[1]):
        return "", (
            f"{z_time(start)} to {z_time(end)} is not inside the event's padded window "
            f"{z_time(padded[0])} to {z_time(padded[1])}"
        )
    if (start, end) in windows or (start, end) == padded:
        other = windows.get((start, end), "the full event")
        return "", (
            f"has the same window as {other}; harvests are identified by endpoint and window, "
            "so it would not be harvested on its own"
        )
    return None


def _endpoint_problem(value: object) -> str | None:
    """Why ``value`` (read from YAML) names no origin endpoint (a v1 id or a v2 group/channel/endpoint)."""
    if value is None or value == "":
        return "is required"
    if not isinstance(value, str):
        return f"must be text, got {show(value)}{quote_hint(value)}"
    return endpoint_ref_problem(value)


def _id_problem(value: object, rule: IdRule, required: str = "") -> str | None:
    """Why ``value`` (read from YAML) is not an id of ``rule``; ``required`` says what to write when absent."""
    if value is None or value == "":
        return f"is required: {required}, at most {rule.max_len} characters" if required else "is required"
    if not isinstance(value, str):
        return f"must be text, got {show(value)}{quote_hint(value)}"
    return rule.problem(value)


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
