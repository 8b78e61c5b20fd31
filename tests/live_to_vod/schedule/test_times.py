"""Tests for live_to_vod.schedule.times: zones, wall times in them (DST gaps and folds), the time grammar."""

from __future__ import annotations

import pendulum
import pytest

from tests.live_to_vod.schedule.helpers import assert_refused, clip_entry, entry, entry_error, events_yaml, parse, utc


def test_times_with_offsets_z_seconds_and_t_are_exact_instants():
    text = events_yaml(
        entry("a", start="2026-11-26T20:15:30-05:00", end="2026-11-27T01:30:00Z")
        + entry("b", endpoint="b", start="2026-11-26 20:15+0100", end="2026-11-26 21:00:00.250+01")
        + entry("c", endpoint="c", start="2026-11-26 20:15", end="2026-11-26 20:15:01"),
        header="",  # no zone needed when every time has an offset...
    )
    events, errors = parse(text)
    # ...but "c" has none: refused with a message saying what to add.
    assert [(e.entry, e.field) for e in errors] == [("c", "start"), ("c", "end")]
    assert "no UTC offset and no time zone" in errors[0].message
    by_id = {e.event_id: e for e in events}
    assert (by_id["a"].start, by_id["a"].end) == (utc(2026, 11, 27, 1, 15, 30), utc(2026, 11, 27, 1, 30))
    assert by_id["b"].start == utc(2026, 11, 26, 19, 15)
    assert by_id["b"].end == pendulum.datetime(2026, 11, 26, 20, 0, 0, 250000, tz="UTC")
    assert by_id["a"].timezone is None


def test_the_grammar_is_the_pipelines_up_to_9_fractional_digits_and_no_space_before_the_offset():
    events, errors = parse(events_yaml(entry(start="2026-11-26 20:15:00.123456789-05:00")))
    assert errors == [] and events[0].scheduled_start == pendulum.datetime(2026, 11, 27, 1, 15, 0, 123456, tz="UTC")
    assert_refused(entry(start="2026-11-26 20:15 -05:00"), ("game-1", "start"), "is not an ISO 8601 date and time")


def test_the_entry_timezone_overrides_the_files():
    events, errors = parse(events_yaml(entry(timezone="Europe/London")))
    assert errors == []
    assert events[0].start == utc(2026, 11, 26, 20, 15)
    assert events[0].timezone == "Europe/London"


def test_yaml_timestamps_with_seconds_stay_wall_times():
    # PyYAML would turn "2026-11-26 20:15:00" into a naive datetime; the schedule reads it
    # as a wall time in the entry's zone like the minutes-only form.
    events, errors = parse(events_yaml(entry(start="2026-11-26 20:15:00", end="2026-11-26 23:30:00")))
    assert errors == []
    assert events[0].start == utc(2026, 11, 27, 1, 15)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("tomorrow", "is not an ISO 8601 date and time"),
        ("2026-02-30 20:00", "not a valid date and time"),
        ("2026-11-26 25:00", "not a valid date and time"),
        ("2026-11-26", "is not an ISO 8601 date and time"),
        ("26/11/2026 20:15", "is not an ISO 8601 date and time"),
        ("1999-11-26 20:15", "between the years"),
        ("2200-01-01 00:00Z", "between the years"),
        ("2026-11-26 20:15+25:00", "impossible UTC offset"),
        ("1795806000", "must be a date and time"),
        ("2026-11-26 20:15 America/New_York", "is not an ISO 8601 date and time"),
    ],
)
def test_bad_times(value, words):
    error = assert_refused(entry(start=value), ("game-1", "start"), words)
    assert value in error.message  # the bad value is shown


def test_unknown_timezones_are_refused_with_a_suggestion():
    error = assert_refused(entry(timezone="America/New_Yrok"), ("game-1", "timezone"), "not a known IANA time zone")
    assert "'America/New_York'" in error.message
    assert entry_error(entry(timezone="'../../etc/passwd'")).field == "timezone"
    assert_refused(entry(timezone="5"), ("game-1", "timezone"), "must be an IANA time zone name")


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "right/America/New_York"])
def test_zones_that_name_no_place_are_refused(zone):
    """``localtime`` is the host's /etc/localtime: the same schedule would mean other UTC times on
    another machine. ``Factory`` means "no zone set", ``right/`` zones count leap seconds."""
    assert_refused(entry(timezone=zone), ("game-1", "timezone"), "is not a place's time zone")
    error = entry_error(entry(timezone="/etc/localtime"))
    assert error.field == "timezone" and "localtime'?" not in error.message  # never suggested


# ----------------------------------------------------------------------------- DST (US, 2026)


def test_spring_forward_gap_times_do_not_exist():
    # 8 March 2026: clocks jump from 02:00 to 03:00 in New York; 02:30 never happens.
    text = entry(start="2026-03-08 02:30", end="2026-03-08 04:00")
    error = assert_refused(text, ("game-1", "start"), "does not exist in America/New_York")
    assert "skip forward 1 h" in error.message
    clip = "{name: a, start: 2026-03-08 02:00, end: 2026-03-08 03:10}"
    text = clip_entry(clip, start="2026-03-08 01:00", end="2026-03-08 04:00")
    assert_refused(text, ("game-1", "clips[a].start"), "does not exist")


def test_fall_back_ambiguous_times_need_an_offset():
    # 1 November 2026: clocks go back from 02:00 to 01:00; 01:30 happens twice.
    text = entry(start="2026-11-01 00:30", end="2026-11-01 01:30")
    error = assert_refused(text, ("game-1", "end"), "happens twice in America/New_York")
    assert "2026-11-01 01:30-04:00 (the first)" in error.message
    assert "2026-11-01 01:30-05:00 (the second)" in error.message
    first, _ = parse(events_yaml(entry(start="2026-11-01 00:30", end="2026-11-01 01:30-04:00")))
    second, _ = parse(events_yaml(entry(start="2026-11-01 00:30", end="2026-11-01 01:30-05:00")))
    assert first[0].end == utc(2026, 11, 1, 5, 30) and second[0].end == utc(2026, 11, 1, 6, 30)


def test_events_spanning_the_transitions_have_the_right_utc_duration():
    text = events_yaml(
        # 23:00 to 05:00 local across spring-forward: 5 hours, not 6.
        entry("spring", start="2026-03-07 23:00", end="2026-03-08 05:00")
        # 23:00 to 05:00 local across fall-back: 7 hours, not 6.
        + entry("fall", start="2026-10-31 23:00", end="2026-11-01 05:00")
        # Unambiguous times just around the fall-back hour.
        + entry("edge", endpoint="e", start="2026-11-01 00:59", end="2026-11-01 02:00")
    )
    events, errors = parse(text)
    assert errors == []
    by_id = {e.event_id: e for e in events}
    assert by_id["spring"].scheduled_end - by_id["spring"].scheduled_start == pendulum.duration(hours=5)
    assert by_id["spring"].scheduled_start == utc(2026, 3, 8, 4) and by_id["spring"].scheduled_end == utc(2026, 3, 8, 9)
    assert by_id["fall"].scheduled_end - by_id["fall"].scheduled_start == pendulum.duration(hours=7)
    assert by_id["fall"].scheduled_start == utc(2026, 11, 1, 3) and by_id["fall"].scheduled_end == utc(2026, 11, 1, 10)
    # 00:59 EDT = 04:59Z; 02:00 EST = 07:00Z: 2 h 01 min of real time.
    assert by_id["edge"].scheduled_end - by_id["edge"].scheduled_start == pendulum.duration(hours=2, minutes=1)


def test_other_zones_transitions():
    # Europe/London goes back on 25 October 2026 at 02:00 BST -> 01:00 GMT.
    error = entry_error(entry(start="2026-10-25 01:30", end="2026-10-25 03:00", timezone="Europe/London"))
    assert "+01:00 (the first)" in error.message and "+00:00 (the second)" in error.message
    # Lord Howe Island shifts by 30 minutes.
    error = entry_error(entry(start="2026-10-04 02:15", end="2026-10-04 04:00", timezone="Australia/Lord_Howe"))
    assert "skip forward 30 min" in error.message
