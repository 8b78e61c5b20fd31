"""What a loaded schedule is made of: :class:`ScheduledEvent` (and its :class:`Clip`\\ s and
:class:`DestinationOverrides`), :class:`ScheduleError`, and the :class:`Schedule` holding both.

Pure domain module. Every time is a pendulum DateTime in UTC; events are immutable, hashable,
picklable, and travel as JSON through :meth:`ScheduledEvent.to_dict` / :meth:`~ScheduledEvent.from_dict`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import pendulum

from live_to_vod.field_rules import DEFAULT_VERIFY_SEGMENTS
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.times import utc_datetime

__all__ = ["NO_DESTINATION", "Clip", "DestinationOverrides", "Schedule", "ScheduleError", "ScheduledEvent"]

_UTC = pendulum.UTC


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


#: No overrides: every destination setting takes the deployment default.
NO_DESTINATION = DestinationOverrides()


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
    mediaconvert: tuple[str, ...] | None = None  # None: the event's

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _as_utc(self.start, "Clip.start"))
        object.__setattr__(self, "end", _as_utc(self.end, "Clip.end"))
        if self.mediaconvert is not None and type(self.mediaconvert) is not tuple:
            object.__setattr__(self, "mediaconvert", tuple(self.mediaconvert))

    @property
    def window(self) -> HarvestWindow:
        return HarvestWindow(self.start, self.end)


@dataclass(frozen=True)
class ScheduledEvent:
    """One event to harvest, validated; every time in UTC.

    ``start``/``end`` are the harvest window *with padding applied*;
    ``scheduled_start``/``scheduled_end`` are the times as written, before padding. Where the entry
    revises its times on game day (``revised_start``/``revised_end``: overtime, a delayed start),
    these are the revised ones, and ``slot_start``/``slot_end`` keep the padded window first
    scheduled: the timetable places the event's run by them, so a revision never moves (or
    duplicates) a run that exists. Without a revision the slot is the window.
    ``destination`` holds the entry's destination overrides merged over the file's
    defaults (templates unrendered). ``source`` is the schedule file's name and
    ``timezone`` the IANA zone in effect for the entry (its own, else the file's; None when
    neither sets one, so every time carried an offset), for display. ``verify_segments`` is how
    the verification reads each output's media segments (the entry's, else the file's default,
    else ``auto``). ``manifests`` are the MediaPackage v2 manifests to harvest from its v2
    endpoints (``group/channel/endpoint`` among ``endpoints``); empty: every HLS and DASH manifest.
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
    destination: DestinationOverrides = NO_DESTINATION
    source: str = ""
    timezone: str | None = None
    verify_segments: str = DEFAULT_VERIFY_SEGMENTS
    manifests: tuple[str, ...] = ()
    #: The MediaConvert fields the entry (or the file's defaults) gives, as sorted (name, value) pairs
    #: (hashable): ``mediaconvert``, ``thumbnail_interval_seconds``, ``mediaconvert_template``; absent
    #: ones take the deployment's.
    transcode: tuple[tuple[str, Any], ...] = ()
    #: Minutes after its end by which the event's VOD is due playable (its deadline alert); None:
    #: the deployment's ``LIVE_TO_VOD_PLAYABLE_WITHIN_MINUTES``.
    playable_within_minutes: int | None = None
    slot_start: pendulum.DateTime | None = None  # None: ``start``
    slot_end: pendulum.DateTime | None = None  # None: ``end``

    def __post_init__(self) -> None:
        if self.slot_start is None:
            object.__setattr__(self, "slot_start", self.start)
        if self.slot_end is None:
            object.__setattr__(self, "slot_end", self.end)
        times = (self.start, self.end, self.scheduled_start, self.scheduled_end, self.slot_start, self.slot_end)
        if not all(t.__class__ is pendulum.DateTime and t.tzinfo is _UTC for t in times):
            for name in ("start", "end", "scheduled_start", "scheduled_end", "slot_start", "slot_end"):
                object.__setattr__(self, name, _as_utc(getattr(self, name), f"ScheduledEvent.{name}"))
        if type(self.endpoints) is not tuple:
            object.__setattr__(self, "endpoints", tuple(self.endpoints))
        if type(self.clips) is not tuple:
            object.__setattr__(self, "clips", tuple(self.clips))
        if type(self.manifests) is not tuple:
            object.__setattr__(self, "manifests", tuple(self.manifests))
        if not isinstance(self.destination, DestinationOverrides):
            object.__setattr__(self, "destination", DestinationOverrides(self.destination))
        pairs = self.transcode.items() if isinstance(self.transcode, Mapping) else self.transcode
        object.__setattr__(
            self, "transcode", tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in pairs))
        )

    @property
    def window(self) -> HarvestWindow:
        """The padded harvest window (revised, where the entry revises it)."""
        return HarvestWindow(self.start, self.end)

    @property
    def revised(self) -> bool:
        """Whether game-day revisions moved the window off the slot its run was scheduled by."""
        return (self.start, self.end) != (self.slot_start, self.slot_end)

    @property
    def clip_windows(self) -> tuple[tuple[str, HarvestWindow], ...]:
        """``(name, window)`` per clip, as :func:`live_to_vod.outputs.plan_outputs` takes them."""
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
            "slot_start": self.slot_start.isoformat(),
            "slot_end": self.slot_end.isoformat(),
            "clips": [
                {"name": c.name, "start": c.start.isoformat(), "end": c.end.isoformat(), "mediaconvert": _listed(c)}
                for c in self.clips
            ],
            "destination": dict(self.destination),
            "source": self.source,
            "timezone": self.timezone,
            "verify_segments": self.verify_segments,
            "manifests": list(self.manifests),
            "transcode": {k: list(v) if isinstance(v, tuple) else v for k, v in self.transcode},
            "playable_within_minutes": self.playable_within_minutes,
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
            slot_start=_from_iso(d["slot_start"]) if d.get("slot_start") else None,
            slot_end=_from_iso(d["slot_end"]) if d.get("slot_end") else None,
            clips=tuple(
                Clip(c["name"], _from_iso(c["start"]), _from_iso(c["end"]), _tupled(c.get("mediaconvert")))
                for c in d.get("clips", ())
            ),
            destination=DestinationOverrides(d.get("destination") or {}),
            source=d.get("source", ""),
            timezone=d.get("timezone"),
            verify_segments=d.get("verify_segments") or DEFAULT_VERIFY_SEGMENTS,
            manifests=tuple(d.get("manifests") or ()),
            transcode=dict(d.get("transcode") or {}),
            playable_within_minutes=d.get("playable_within_minutes"),
        )


def _listed(clip: Clip) -> list[str] | None:
    return None if clip.mediaconvert is None else list(clip.mediaconvert)


def _tupled(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _from_iso(text: str) -> pendulum.DateTime:
    value = datetime.fromisoformat(text)
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return utc_datetime(value.replace(tzinfo=None) - offset)


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
