"""The rules across entries and files: an event id is used once, and an endpoint carries one
event at a time.

Pure domain module. :func:`combine` applies them to files already read one by one
(:func:`live_to_vod.schedule.entries.read_file`), in file order:

* an event id used twice keeps its first entry (file order, then entry order; even when that
  entry is refused for another reason, so fixing it never silently swaps which one runs) and
  refuses the others;
* two events whose *padded* windows overlap on an endpoint keep the earlier-starting one (the
  one written first when they start together) and refuse the other. Events on different
  endpoints may overlap or end at the same moment freely; an event refused for an overlap
  blocks nothing.

Cancelled entries take part in neither rule: they schedule nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from live_to_vod.schedule.entries import Candidate, ParsedFile
from live_to_vod.schedule.models import Schedule, ScheduledEvent, ScheduleError
from live_to_vod.times import z_time

__all__ = ["combine"]

# (file order, entry number, error): cross-entry errors are reported in file and entry order.
_Placed = tuple[int, int, ScheduleError]


def combine(files: Sequence[ParsedFile]) -> Schedule:
    """The schedule of ``files`` (in order): their own errors, then the cross-entry ones."""
    errors: list[ScheduleError] = [error for parsed in files for error in parsed.errors]
    cross: list[_Placed] = []
    unique = _first_of_each_id(files, cross)
    accepted = _one_event_per_endpoint(unique, cross)
    cross.sort(key=lambda placed: (placed[0], placed[1]))
    errors.extend(placed[2] for placed in cross)
    accepted.sort(key=lambda e: (e.end, e.event_id))
    return Schedule(tuple(accepted), tuple(errors), tuple(p.name for p in files))


def _first_of_each_id(files: Sequence[ParsedFile], cross: list[_Placed]) -> list[tuple[int, Candidate]]:
    """The candidates whose entry is the first to claim its id; the later claims are refused.

    Every not-cancelled entry with a well-formed id counts, valid or not: the first keeps the id.
    """
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
    return [
        (order, cand)
        for order, parsed in enumerate(files)
        for cand in parsed.candidates
        if first_by_id[cand.event.event_id] == (order, cand.index)
    ]


def _one_event_per_endpoint(unique: list[tuple[int, Candidate]], cross: list[_Placed]) -> list[ScheduledEvent]:
    """The events no earlier-starting event overlaps on any of their endpoints; the others are refused.

    A sweep in start order, keeping per endpoint the accepted event that reaches furthest.
    """
    unique.sort(key=lambda oc: (oc[1].event.start, oc[0], oc[1].index))
    reach: dict[str, ScheduledEvent] = {}
    accepted: list[ScheduledEvent] = []
    for order, cand in unique:
        event = cand.event
        clash = None
        for endpoint in event.endpoints:
            other = reach.get(endpoint)
            if other is not None and event.start < other.end:  # it starts no later: this one starts too soon
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
    return accepted
