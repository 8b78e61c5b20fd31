"""``SeasonScheduleTimetable``: one DAG run per scheduled event, created after the event ends.

Most tests drive the timetable the way Airflow does, without a database: the scheduler asks
``next_dagrun_info_v2`` for the run after the last one, and backfills and catch-up walk it like
``SerializedDAG.iter_dagrun_infos_between`` (``next_dagrun_info_v2`` until None, with
``TimeRestriction(earliest, latest, catchup=True)``). Serialization through Airflow's own
encoders, with the plugin that registers the timetable, runs in a new interpreter (Airflow reads
``[core] plugins_folder`` when it first loads plugins).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction
from airflow.utils.types import DagRunType
from hypothesis import given, settings
from hypothesis import strategies as st

from live_to_vod.schedule import Schedule, parse_schedule_text
from live_to_vod.timetables.season import SeasonScheduleTimetable
from tests.support.fresh_python import fresh_python

ROOT = Path(__file__).resolve().parents[3]
SEASON_START = pendulum.datetime(2026, 1, 1, tz="UTC")  # the DAG's start_date
EVERYTHING = TimeRestriction(earliest=SEASON_START, latest=None, catchup=True)


def at(text: str) -> pendulum.DateTime:
    """A moment written ISO 8601 with an offset, in UTC."""
    value = pendulum.parse(text)
    assert value.utcoffset() is not None, text
    return value.in_timezone("UTC")


def timetable(*events: tuple[str, str, str], margin: int = 60) -> SeasonScheduleTimetable:
    return SeasonScheduleTimetable([(e, at(s), at(x)) for e, s, x in events], margin_seconds=margin)


def walk(tt: SeasonScheduleTimetable, restriction: TimeRestriction = EVERYTHING) -> list[DagRunInfo]:
    """Every run the timetable gives in turn, as ``SerializedDAG.iter_dagrun_infos_between`` asks."""
    infos: list[DagRunInfo] = []
    info = None
    while True:
        info = tt.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction)
        if info is None:
            return infos
        infos.append(info)
        assert len(infos) <= len(tt.slots), "the timetable gave more runs than it has events"


def events_of(tt: SeasonScheduleTimetable, infos: list[DagRunInfo]) -> list[str | None]:
    return [tt.event_for(info.data_interval) for info in infos]


def from_text(text: str, margin: int = 60) -> tuple[SeasonScheduleTimetable, Schedule]:
    events, errors = parse_schedule_text(textwrap.dedent(text), "season.yaml")
    assert errors == [], [str(e) for e in errors]
    schedule = Schedule(tuple(events), ())
    return SeasonScheduleTimetable.from_schedule(schedule, margin_seconds=margin, source="season.yaml"), schedule


# A long race starting first and ending last, two games ending at the same moment (one started
# earlier), and a short game in between.
SEASON = timetable(
    ("race", "2026-10-10T09:00Z", "2026-10-11T15:00Z"),
    ("early-game", "2026-10-10T12:00Z", "2026-10-10T15:00Z"),
    ("late-game", "2026-10-10T13:00Z", "2026-10-10T15:00Z"),
    ("short-game", "2026-10-10T16:00Z", "2026-10-10T17:00Z"),
)
SEASON_ORDER = ["early-game", "late-game", "short-game", "race"]


# --------------------------------------------------------------------------- scheduling


def test_the_first_run_is_for_the_first_event_to_end():
    info = SEASON.next_dagrun_info(last_automated_data_interval=None, restriction=EVERYTHING)

    assert info == DagRunInfo(
        run_after=at("2026-10-10T15:01Z"),
        data_interval=DataInterval(at("2026-10-10T12:00Z"), at("2026-10-10T15:00Z")),
    )
    assert info.logical_date == at("2026-10-10T12:00Z")  # the event's (padded) start
    assert SEASON.event_for(info.data_interval) == "early-game"


def test_runs_follow_in_order_of_end_then_start():
    infos = walk(SEASON)

    assert events_of(SEASON, infos) == SEASON_ORDER
    assert [i.run_after for i in infos] == sorted(i.run_after for i in infos)
    # The scheduler's own call (the last automated run's data interval) gives the same sequence.
    last, order = None, []
    while (info := SEASON.next_dagrun_info(last_automated_data_interval=last, restriction=EVERYTHING)) is not None:
        order.append(SEASON.event_for(info.data_interval))
        last = info.data_interval
    assert order == SEASON_ORDER


def test_a_run_is_created_a_margin_after_its_event_ends_over_the_padded_window():
    tt, schedule = from_text(
        """
        timezone: UTC
        defaults: {padding_before: 5m, padding_after: 15m}
        events:
          - id: game
            endpoint: east-hls
            start: 2026-11-26 20:15
            end: 2026-11-26 23:30
            padding_after: 30m
        """,
        margin=90,
    )
    (event,) = schedule.events
    (info,) = walk(tt)

    assert info.data_interval == DataInterval(at("2026-11-26T20:10Z"), at("2026-11-27T00:00Z"))
    assert info.data_interval == (event.start, event.end)
    assert info.run_after == at("2026-11-27T00:01:30Z")
    for margin in (0, 3600):
        (info,) = walk(SeasonScheduleTimetable([("game", event.start, event.end)], margin_seconds=margin))
        assert info.run_after == event.end.add(seconds=margin)


def test_run_ids_name_the_event():
    infos = walk(SEASON)
    for run_type, prefix in ((DagRunType.SCHEDULED, "scheduled"), (DagRunType.BACKFILL_JOB, "backfill")):
        run_ids = [
            SEASON.generate_run_id(run_type=run_type, run_after=i.run_after, data_interval=i.data_interval)
            for i in infos
        ]
        assert run_ids == [f"{prefix}__{event_id}" for event_id in SEASON_ORDER]


def test_a_run_that_is_no_event_s_gets_airflow_s_usual_run_id():
    run_after = at("2026-10-10T15:01Z")
    half_known = DataInterval(at("2026-10-10T12:00Z"), at("2026-10-10T16:00Z"))  # early-game's start, not its end
    for interval in (half_known, DataInterval.exact(run_after), None):
        run_id = SEASON.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=run_after, data_interval=interval)
        assert run_id == f"scheduled__{run_after.isoformat()}", interval


def test_manual_runs_carry_their_window_in_the_conf_and_belong_to_no_event():
    run_after = at("2026-10-10T15:30:12Z")

    interval = SEASON.infer_manual_data_interval(run_after=run_after)

    assert interval == DataInterval(run_after, run_after)
    assert SEASON.event_for(interval) is None
    assert SEASON.generate_run_id(run_type=DagRunType.MANUAL, run_after=run_after, data_interval=interval) == (
        f"manual__{run_after.isoformat()}"
    )
    # Even at an event's very start (the logical date of its scheduled run) a manual run is manual.
    start = at("2026-10-10T12:00Z")
    interval = SEASON.infer_manual_data_interval(run_after=start)
    assert SEASON.generate_run_id(run_type=DagRunType.MANUAL, run_after=start, data_interval=interval) == (
        f"manual__{start.isoformat()}"
    )


def test_with_catch_up_events_missed_while_the_scheduler_was_down_still_run_in_order():
    now = pendulum.now("UTC").replace(microsecond=0)
    tt = SeasonScheduleTimetable(
        [
            ("ended-two-days-ago", now.subtract(days=2, hours=3), now.subtract(days=2)),
            ("ended-yesterday", now.subtract(days=1, hours=3), now.subtract(days=1)),
            ("ends-tomorrow", now.add(days=1), now.add(days=1, hours=3)),
        ],
        margin_seconds=60,
    )
    catch_up = TimeRestriction(earliest=now.subtract(days=30), latest=None, catchup=True)

    assert events_of(tt, walk(tt, catch_up)) == ["ended-two-days-ago", "ended-yesterday", "ends-tomorrow"]


def test_without_catch_up_events_whose_run_is_past_are_skipped():
    now = pendulum.now("UTC").replace(microsecond=0)
    tt = SeasonScheduleTimetable(
        [
            ("ended-yesterday", now.subtract(days=1, hours=3), now.subtract(days=1)),
            # Ended, but its run is due only after the margin: not missed yet.
            ("ended-a-moment-ago", now.subtract(hours=3), now.subtract(seconds=5)),
            ("ends-tomorrow", now.add(days=1), now.add(days=1, hours=3)),
        ],
        margin_seconds=600,
    )
    no_catch_up = TimeRestriction(earliest=now.subtract(days=30), latest=None, catchup=False)

    first = tt.next_dagrun_info(last_automated_data_interval=None, restriction=no_catch_up)
    assert tt.event_for(first.data_interval) == "ended-a-moment-ago"
    assert first.run_after == now.add(seconds=595)
    assert events_of(tt, walk(tt, no_catch_up)) == ["ended-a-moment-ago", "ends-tomorrow"]
    # After the scheduler was down past every run, only what is still to come runs.
    later = tt.next_dagrun_info(
        last_automated_data_interval=DataInterval(now.subtract(days=10), now.subtract(days=9)),
        restriction=no_catch_up,
    )
    assert tt.event_for(later.data_interval) == "ended-a-moment-ago"


def test_a_backfill_range_selects_events_by_their_start_the_logical_date():
    # Ordered by end, the race comes last although it starts first.
    inside = TimeRestriction(earliest=at("2026-10-10T09:00Z"), latest=at("2026-10-10T13:00Z"), catchup=True)
    assert events_of(SEASON, walk(SEASON, inside)) == ["early-game", "late-game", "race"]  # both bounds inclusive

    after_race = TimeRestriction(earliest=at("2026-10-10T09:00:01Z"), latest=at("2026-10-10T12:59:59Z"), catchup=True)
    assert events_of(SEASON, walk(SEASON, after_race)) == ["early-game"]

    # An event that ends inside the range but started before it is not in the range.
    ends_inside = TimeRestriction(earliest=at("2026-10-10T14:00Z"), latest=at("2026-10-11T16:00Z"), catchup=True)
    assert events_of(SEASON, walk(SEASON, ends_inside)) == ["short-game"]

    assert walk(SEASON, TimeRestriction(at("2026-12-01T00:00Z"), None, catchup=True)) == []
    assert walk(SEASON, TimeRestriction(SEASON_START, at("2026-10-10T08:59:59Z"), catchup=True)) == []


def test_events_before_the_dag_s_start_date_never_run():
    tt = timetable(
        ("last-season", "2025-12-31T20:00Z", "2026-01-01T01:00Z"),
        ("this-season", "2026-01-02T20:00Z", "2026-01-02T23:00Z"),
    )
    assert events_of(tt, walk(tt)) == ["this-season"]


def test_two_events_ending_at_the_same_moment_on_different_endpoints_both_run():
    tt, schedule = from_text(
        """
        timezone: America/New_York
        events:
          - id: osu-mich
            endpoint: ncaa-east-hls
            start: 2026-10-03 15:30
            end: 2026-10-03 19:00
          - id: usc-ucla
            endpoint: ncaa-west-hls
            timezone: America/Los_Angeles
            start: 2026-10-03 12:30
            end: 2026-10-03 16:00
        """
    )
    infos = walk(tt)

    assert events_of(tt, infos) == ["osu-mich", "usc-ucla"]
    assert {i.run_after for i in infos} == {at("2026-10-03T23:01Z")}
    assert {i.data_interval.end for i in infos} == {at("2026-10-03T23:00Z")}
    # They start at the same moment too: the logical dates (the runs' key) still differ.
    assert sorted(i.logical_date for i in infos) == [at("2026-10-03T19:30Z"), at("2026-10-03T19:30:00.000001Z")]
    run_ids = [
        tt.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=i.run_after, data_interval=i.data_interval)
        for i in infos
    ]
    assert run_ids == ["scheduled__osu-mich", "scheduled__usc-ucla"]


def test_events_with_the_same_start_and_end_get_distinct_logical_dates():
    tt = timetable(
        ("game-clean", "2026-11-26T20:10Z", "2026-11-27T00:00Z"),
        ("game-world", "2026-11-26T20:10Z", "2026-11-27T00:00Z"),
        ("game-spanish", "2026-11-26T20:10Z", "2026-11-27T00:00Z"),
    )
    infos = walk(tt)

    assert len(infos) == 3
    logical = [i.logical_date for i in infos]
    assert len(set(logical)) == 3  # Airflow keys runs by (dag_id, logical_date)
    assert sorted(logical) == [at("2026-11-26T20:10Z").add(microseconds=n) for n in range(3)]
    assert {i.data_interval.end for i in infos} == {at("2026-11-27T00:00Z")}
    assert {i.run_after for i in infos} == {at("2026-11-27T00:01Z")}
    assert sorted(events_of(tt, infos)) == ["game-clean", "game-spanish", "game-world"]
    run_ids = {
        tt.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=i.run_after, data_interval=i.data_interval)
        for i in infos
    }
    assert run_ids == {"scheduled__game-clean", "scheduled__game-spanish", "scheduled__game-world"}
    # A backfill of the exact start still finds all three (they differ by microseconds).
    exact = TimeRestriction(at("2026-11-26T20:10Z"), at("2026-11-26T20:10:00.000002Z"), catchup=True)
    assert len(walk(tt, exact)) == 3


@pytest.mark.parametrize(
    ("start", "end", "utc_start", "run_after"),
    [
        # Spring forward, 8 March 2026: 02:00 EST -> 03:00 EDT. Five hours, not six.
        ("2026-03-07 22:00", "2026-03-08 04:00", "2026-03-08T03:00Z", "2026-03-08T08:01Z"),
        ("2026-03-08 00:30", "2026-03-08 01:59", "2026-03-08T05:30Z", "2026-03-08T07:00Z"),  # before the jump
        ("2026-03-08 03:00", "2026-03-08 05:00", "2026-03-08T07:00Z", "2026-03-08T09:01Z"),  # right after it
        ("2026-03-08 19:00", "2026-03-08 22:00", "2026-03-08T23:00Z", "2026-03-09T02:01Z"),  # a game that evening
        # Fall back, 1 November 2026: 02:00 EDT -> 01:00 EST. Five hours, not four.
        ("2026-10-31 23:00", "2026-11-01 03:00", "2026-11-01T03:00Z", "2026-11-01T08:01Z"),
        ("2026-11-01 00:00", "2026-11-01 01:30-04:00", "2026-11-01T04:00Z", "2026-11-01T05:31Z"),  # first 01:30
        ("2026-11-01 00:00", "2026-11-01 01:30-05:00", "2026-11-01T04:00Z", "2026-11-01T06:31Z"),  # second 01:30
        ("2026-11-01 19:00", "2026-11-01 22:00", "2026-11-02T00:00Z", "2026-11-02T03:01Z"),  # a game that evening
    ],
)
def test_local_times_across_daylight_saving_changes_give_the_right_utc_runs(start, end, utc_start, run_after):
    tt, _ = from_text(
        f"""
        timezone: America/New_York
        events:
          - id: game
            endpoint: east-hls
            start: {start}
            end: {end}
        """
    )
    (info,) = walk(tt)

    assert info.data_interval.start == at(utc_start)
    assert info.run_after == at(run_after)
    assert info.data_interval.end == info.run_after.subtract(minutes=1)


def test_a_season_across_both_daylight_saving_changes_runs_in_utc_order():
    tt, _ = from_text(
        """
        timezone: America/New_York
        events:
          - {id: before-spring, endpoint: east-hls, start: 2026-03-07 19:00, end: 2026-03-07 22:00}
          - {id: across-spring, endpoint: east-hls, start: 2026-03-08 00:00, end: 2026-03-08 04:00}
          - {id: after-spring, endpoint: east-hls, start: 2026-03-08 19:00, end: 2026-03-08 22:00}
          - {id: across-fall, endpoint: east-hls, start: 2026-11-01 00:00, end: 2026-11-01 03:00}
          - {id: after-fall, endpoint: east-hls, start: 2026-11-01 19:00, end: 2026-11-01 22:00}
        """
    )
    infos = walk(tt)

    assert events_of(tt, infos) == ["before-spring", "across-spring", "after-spring", "across-fall", "after-fall"]
    assert [i.run_after for i in infos] == [
        at("2026-03-08T03:01Z"),  # EST, UTC-5
        at("2026-03-08T08:01Z"),  # 04:00 EDT, UTC-4: three hours of wall clock, three of real time
        at("2026-03-09T02:01Z"),  # EDT
        at("2026-11-01T08:01Z"),  # 03:00 EST, UTC-5: four hours of real time
        at("2026-11-02T03:01Z"),  # EST
    ]
    durations = [(i.data_interval.end - i.data_interval.start).in_hours() for i in infos]
    assert durations == [3, 3, 3, 4, 3]


# --------------------------------------------------------------------------- event_for


def test_event_for_maps_every_run_back_to_its_event():
    for info, event_id in zip(walk(SEASON), SEASON_ORDER, strict=True):
        assert SEASON.event_for(info.data_interval) == event_id
        # As Airflow may hand it back: another zone, or plain datetimes from the database.
        in_new_york = DataInterval(
            info.data_interval.start.in_timezone("America/New_York"),
            info.data_interval.end.in_timezone("America/New_York"),
        )
        assert SEASON.event_for(in_new_york) == event_id
        plain = DataInterval(
            dt.datetime.fromisoformat(info.data_interval.start.isoformat()),
            dt.datetime.fromisoformat(info.data_interval.end.isoformat()),
        )
        assert SEASON.event_for(plain) == event_id


def test_event_for_an_interval_of_no_event_is_none():
    assert SEASON.event_for(DataInterval(at("2026-10-10T12:00:01Z"), at("2026-10-10T15:00Z"))) is None
    assert SeasonScheduleTimetable().event_for(DataInterval(at("2026-10-10T12:00Z"), at("2026-10-10T15:00Z"))) is None


# --------------------------------------------------------------------------- iter_dagrun_infos_between

MOMENTS = st.integers(min_value=0, max_value=48).map(lambda h: SEASON_START.add(days=280, hours=h))


@st.composite
def seasons(draw: Any) -> list[tuple[str, pendulum.DateTime, pendulum.DateTime]]:
    events = []
    for n in range(draw(st.integers(min_value=0, max_value=12))):
        start = draw(MOMENTS)
        hours = draw(st.integers(min_value=1, max_value=30))
        events.append((f"event-{n}", start, start.add(hours=hours)))
    return events


@settings(max_examples=200, deadline=None)
@given(events=seasons(), earliest=MOMENTS, length=st.integers(min_value=0, max_value=48))
def test_a_range_walk_lists_exactly_the_events_starting_in_it_in_order_of_end(events, earliest, length):
    tt = SeasonScheduleTimetable(events, margin_seconds=60)
    latest = earliest.add(hours=length)

    infos = walk(tt, TimeRestriction(earliest, latest, catchup=True))

    expected = [s for s in tt.slots if earliest <= s.start <= latest]
    assert [(i.data_interval.start, i.data_interval.end) for i in infos] == [(s.start, s.end) for s in expected]
    assert [(i.data_interval.end, i.data_interval.start) for i in infos] == sorted(
        (i.data_interval.end, i.data_interval.start) for i in infos
    )
    assert len(set(events_of(tt, infos))) == len(infos)
    for info in infos:
        assert info.run_after == info.data_interval.end.add(seconds=60)
    # Every event of the season, exactly once, when nothing restricts the walk.
    assert sorted(events_of(tt, walk(tt))) == sorted(e for e, _, _ in events)


# --------------------------------------------------------------------------- serialization


def test_serialize_and_deserialize_round_trip():
    tt, _ = from_text(
        """
        timezone: America/New_York
        defaults: {padding_before: 5m, padding_after: 15m}
        events:
          - {id: game-a, endpoint: east-hls, start: 2026-11-01 00:00, end: 2026-11-01 03:00}
          - {id: game-b, endpoint: west-hls, start: 2026-11-01 00:00, end: 2026-11-01 03:00}
          - {id: game-c, endpoint: east-hls, start: 2026-11-26 20:15, end: 2026-11-26 23:30}
        """,
        margin=120,
    )
    data = tt.serialize()

    back = SeasonScheduleTimetable.deserialize(json.loads(json.dumps(data)))

    assert back == tt and back.serialize() == data
    assert (back.margin_seconds, back.errors, back.source) == (120, 0, "season.yaml")
    assert back.description == tt.description and back.summary == tt.summary == "Season schedule (3 events)"
    assert [(s.event_id, s.start, s.end) for s in back.slots] == [(s.event_id, s.start, s.end) for s in tt.slots]
    assert len({s.start for s in back.slots}) == 3  # the collision offset survives
    assert [back.event_for(i.data_interval) for i in walk(tt)] == ["game-a", "game-b", "game-c"]
    empty = SeasonScheduleTimetable(margin_seconds=60, errors=2, source="/nowhere")
    assert SeasonScheduleTimetable.deserialize(json.loads(json.dumps(empty.serialize()))) == empty
    assert "No scheduled events" in empty.description and "2 schedule entries refused" in empty.description


def test_a_deserialized_timetable_schedules_exactly_like_the_original():
    # What the scheduler and the DAG processor use. Airflow refuses to store a naive run_after
    # ("naive datetime is disallowed"): pendulum arithmetic on a stdlib-zoned DateTime drops the zone.
    back = SeasonScheduleTimetable.deserialize(json.loads(json.dumps(SEASON.serialize())))

    infos = walk(back)

    assert infos == walk(SEASON)
    for info in infos:
        assert info.run_after.utcoffset() == dt.timedelta(0), info
        assert info.data_interval.start.utcoffset() == info.data_interval.end.utcoffset() == dt.timedelta(0)
    now_only = TimeRestriction(earliest=SEASON_START, latest=None, catchup=False)  # compares with now
    assert walk(back, now_only) == walk(SEASON, now_only)


def test_a_10000_event_season_serializes_and_walks_quickly():

    start = SEASON_START.add(days=1)
    events = [(f"event-{n:05d}", start.add(hours=3 * n), start.add(hours=3 * n + 2)) for n in range(10_000)]
    tt = SeasonScheduleTimetable(events, margin_seconds=60)
    back = SeasonScheduleTimetable.deserialize(json.loads(json.dumps(tt.serialize())))
    infos = walk(tt)

    # How fast is bench/dag_parse_schedule.py's to measure; here, that all of it comes back.
    assert len(infos) == 10_000 and len(back.slots) == 10_000


SERIALIZE_THE_DAG = """
    import json
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.types import DagRunType

    report = {}
    bag = DagBag()
    dag = bag.dags["live_event_harvest"]
    report["errors"] = {str(k): v for k, v in bag.import_errors.items()}
    try:
        encoded = json.loads(json.dumps(encode_timetable(dag.timetable)))
        report["type"] = encoded["__type"]
        report["timetable_equal"] = decode_timetable(encoded) == dag.timetable
        data = json.loads(json.dumps(DagSerialization.to_dict(dag)))
    except Exception as exc:
        report["refused"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps(report))
        raise SystemExit(0)
    back = DagSerialization.from_dict(data)
    report["back_type"] = type(back.timetable).__name__
    report["dag_timetable_equal"] = back.timetable == dag.timetable
    report["description"] = back.timetable.description
    infos = list(back.iter_dagrun_infos_between(pendulum.datetime(2026, 1, 1, tz="UTC"),
                                                pendulum.datetime(2027, 1, 1, tz="UTC")))
    report["run_ids"] = [back.timetable.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=i.run_after,
                                                        data_interval=i.data_interval) for i in infos]
    report["intervals"] = [[i.data_interval.start.isoformat(), i.data_interval.end.isoformat()] for i in infos]
    report["run_after"] = [i.run_after.isoformat() for i in infos]
    print(json.dumps(report))
"""


def test_the_dag_with_its_timetable_round_trips_through_airflow_s_serialization(tmp_path):
    report = fresh_python(
        SERIALIZE_THE_DAG,
        tmp_path,
        LIVE_TO_VOD_SCHEDULE_DIR=str(ROOT / "docs/examples"),
    )

    assert report["errors"] == {}
    assert report["type"] == "live_to_vod.timetables.season.SeasonScheduleTimetable"
    assert report["timetable_equal"] is True
    assert report["back_type"] == "SeasonScheduleTimetable"
    assert report["dag_timetable_equal"] is True
    assert report["description"].startswith("5 scheduled events from 2026-10-03 to 2026-11-27")
    # The deserialized DAG walks the example season (its cancelled game left out) in order of end.
    assert report["run_ids"] == [
        "scheduled__ncaa-2026-10-03-osu-mich",
        "scheduled__ncaa-2026-10-03-usc-ucla",
        "scheduled__endurance-2026-24h",
        "scheduled__nhl-2026-10-31-sea-vgk",
        "scheduled__nfl-2026-wk12-buf-kc",
    ]
    assert report["intervals"][2] == ["2026-10-10T12:50:00+00:00", "2026-10-11T19:20:00+00:00"]  # padded, EDT
    assert report["intervals"][3] == ["2026-11-01T05:55:00+00:00", "2026-11-01T09:45:00+00:00"]  # across fall-back
    # Aware, a minute (the default margin) after each end: Airflow stores it as next_dagrun_create_after.
    assert report["run_after"] == [at(end).add(minutes=1).isoformat() for _, end in report["intervals"]]
    assert all(t.endswith("+00:00") for t in report["run_after"])


def test_without_the_plugin_airflow_cannot_serialize_the_dag(tmp_path):
    empty = tmp_path / "no-plugins"
    empty.mkdir()

    report = fresh_python(SERIALIZE_THE_DAG, tmp_path, plugins=empty)

    assert report["errors"] == {}  # it parses...
    assert "live_to_vod.timetables.season.SeasonScheduleTimetable" in report["refused"]  # ...but is not stored
    assert "not registered" in report["refused"]
