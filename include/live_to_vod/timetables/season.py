"""A timetable that makes one DAG run per scheduled live event.

The season schedule is data (YAML under ``include/schedules/``, see
:mod:`live_to_vod.schedule`), read when the DAG file is parsed; the timetable keeps only what
scheduling needs (event id, window) and is serialized with the DAG, so the scheduler never reads
the files. Each event's run:

- has the data interval ``[padded start, padded end)`` and so the logical date of its start;
  events sharing both start and end (same game, different endpoints listed as separate
  entries) are kept apart by a microsecond per event in the logical date;
- is created at ``end + margin`` (``run_after``); the DAG's ``wait_for_event_end`` task then
  waits for the endpoint's own ``TimeDelaySeconds`` too;
- is ordered by end, then start: a short game ending first is harvested first even if a longer
  one started earlier;
- gets the run id ``scheduled__<event_id>`` (``backfill__<event_id>`` in backfills), which the
  UI shows and which the DAG uses to find the event's parameters.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from pendulum import DateTime

RUN_ID_SEPARATOR = "__"


@dataclass(frozen=True, order=True)
class EventSlot:
    """One event's place in time, in scheduling order."""

    end: DateTime
    start: DateTime  # the logical date: padded start, plus the collision offset
    event_id: str

    def run_after(self, margin_seconds: int) -> DateTime:
        return self.end.add(seconds=margin_seconds)


def event_slots(events: Iterable[tuple[str, DateTime, DateTime]]) -> list[EventSlot]:
    """Slots for (event_id, start, end) triples, with unique logical dates."""
    slots: list[EventSlot] = []
    sharing: dict[DateTime, int] = {}  # start -> events already there
    for event_id, start, end in sorted(events, key=lambda e: (e[1], e[2], e[0])):
        start, end = _utc(start), _utc(end)
        shift = sharing.get(start, 0)  # logical dates are unique per DAG: a microsecond per event sharing a start
        sharing[start] = shift + 1
        slots.append(EventSlot(end, start.add(microseconds=shift) if shift else start, event_id))
    slots.sort()
    return slots


def _utc(moment: DateTime) -> DateTime:
    if isinstance(moment, DateTime) and moment.tzinfo is pendulum.UTC:
        return moment  # the schedule hands out UTC already; conversions cost at 10,000 events
    return pendulum.instance(moment).in_timezone("UTC")


class SeasonScheduleTimetable(Timetable):
    """One run per event of the season schedule, created after the event ends.

    :param events: (event_id, padded start, padded end) of every scheduled event.
    :param margin_seconds: how long after an event's end its run is created.
    :param errors: how many schedule entries were refused (shown in the description).
    :param source: where the schedule came from, for the UI.
    """

    def __init__(
        self,
        events: Iterable[tuple[str, DateTime, DateTime]] = (),
        *,
        margin_seconds: int = 60,
        errors: int = 0,
        source: str = "include/schedules",
        _slots: Sequence[EventSlot] | None = None,
    ):
        self.slots = list(_slots) if _slots is not None else event_slots(events)
        self._keys = [(s.end, s.start) for s in self.slots]
        self.by_start = {s.start: s for s in self.slots}
        self.margin_seconds = margin_seconds
        self.errors = errors
        self.source = source
        if self.slots:
            first, last = min(s.start for s in self.slots), self.slots[-1].end
            self.description = (
                f"{len(self.slots)} scheduled events from {first.format('YYYY-MM-DD')} to "
                f"{last.format('YYYY-MM-DD')}, each run {margin_seconds} s after the event ends ({source})"
            )
        else:
            self.description = f"No scheduled events ({source}); manual runs only"
        if errors:
            self.description += f"; {errors} schedule entries refused, see the DAG's import warnings"

    @classmethod
    def from_schedule(cls, schedule: Any, *, margin_seconds: int, source: str) -> SeasonScheduleTimetable:
        """The timetable of a loaded :class:`live_to_vod.schedule.Schedule`."""
        return cls(
            [(e.event_id, e.slot_start, e.slot_end) for e in schedule.events],
            margin_seconds=margin_seconds,
            errors=len(schedule.errors),
            source=source,
        )

    @property
    def summary(self) -> str:
        return f"Season schedule ({len(self.slots)} events)"

    # -- scheduling -------------------------------------------------------------------------------

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        index = 0
        if last_automated_data_interval is not None:
            last = (last_automated_data_interval.end, last_automated_data_interval.start)
            index = bisect.bisect_right(self._keys, last)
        earliest = restriction.earliest
        now = pendulum.now("UTC")
        for slot in self.slots[index:]:
            if earliest is not None and slot.start < earliest:
                continue
            if not restriction.catchup and slot.run_after(self.margin_seconds) < now:
                continue  # without catch-up, events that ended while the scheduler was away are skipped
            if restriction.latest is not None and slot.start > restriction.latest:
                continue  # ordered by end: a later slot may still start inside the range
            return DagRunInfo(
                run_after=slot.run_after(self.margin_seconds),
                data_interval=DataInterval(slot.start, slot.end),
            )
        return None

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval.exact(run_after)  # ad-hoc harvests carry their window in the conf

    def generate_run_id(
        self, *, run_type: Any, run_after: DateTime, data_interval: DataInterval | None, **extra: Any
    ) -> str:
        slot = self.by_start.get(data_interval.start) if data_interval is not None else None
        if slot is not None and slot.end == data_interval.end:
            return f"{run_type.value}{RUN_ID_SEPARATOR}{slot.event_id}"
        return super().generate_run_id(run_type=run_type, run_after=run_after, data_interval=data_interval, **extra)

    def event_for(self, data_interval: DataInterval) -> str | None:
        """The event a scheduled or backfilled run is for."""
        slot = self.by_start.get(pendulum.instance(data_interval.start).in_timezone("UTC"))
        return slot.event_id if slot is not None else None

    # -- serialization ----------------------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        return {
            "events": [[s.event_id, s.start.isoformat(), s.end.isoformat()] for s in self.slots],
            "margin_seconds": self.margin_seconds,
            "errors": self.errors,
            "source": self.source,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> SeasonScheduleTimetable:
        def parse(text: str) -> DateTime:
            # Serialized in UTC. The scheduler deserializes often: no pendulum.parse per event, and
            # pendulum's own UTC zone (arithmetic on a stdlib-zoned pendulum DateTime drops the zone).
            return DateTime.fromisoformat(text).replace(tzinfo=pendulum.UTC)

        slots = [EventSlot(parse(end), parse(start), event_id) for event_id, start, end in data["events"]]
        return cls(_slots=slots, margin_seconds=data["margin_seconds"], errors=data["errors"], source=data["source"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeasonScheduleTimetable) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((len(self.slots), self.margin_seconds))
