"""Tests for live_to_vod.schedule.rules: unique ids, and one event per endpoint at a time."""

from __future__ import annotations

from tests.live_to_vod.schedule.helpers import entry, events_yaml, parse, utc


def test_duplicate_ids_keep_the_first_and_name_it():
    text = events_yaml(entry("g", endpoint="a") + entry("g", endpoint="b") + entry("g", endpoint="c"))
    events, errors = parse(text)
    assert [(e.event_id, e.endpoints) for e in events] == [("g", ("a",))]
    assert [(e.entry, e.field) for e in errors] == [("g", "id"), ("g", "id")]
    assert "already used by entry #1 earlier in this file" in errors[0].message


def test_an_id_belongs_to_its_first_entry_even_when_that_entry_is_refused():
    text = events_yaml(entry("g", endpoint="a", end="never") + entry("g", endpoint="b"))
    events, errors = parse(text)
    assert events == []
    assert [(e.entry, e.field) for e in errors] == [("g", "end"), ("g", "id")]
    assert "already used by entry #1" in errors[1].message


def test_cancelled_entries_take_part_in_no_cross_check():
    text = events_yaml(entry("g") + entry("g", cancelled="true") + entry("other", cancelled="yes"))
    events, errors = parse(text)
    assert errors == [] and [e.event_id for e in events] == ["g"]


def test_overlaps_on_the_same_endpoint_refuse_the_later_starting_event():
    text = events_yaml(
        entry("late", start="2026-11-26 21:00", end="2026-11-26 23:59")
        + entry("early", start="2026-11-26 20:00", end="2026-11-26 21:30")
    )
    events, errors = parse(text)
    assert [e.event_id for e in events] == ["early"]
    assert [(e.entry, e.field) for e in errors] == [("late", "endpoint")]
    assert "overlaps event 'early' (in this file) on endpoint 'demo-hls'" in errors[0].message


def test_paddings_count_for_overlaps_and_back_to_back_events_are_fine():
    back_to_back = events_yaml(
        entry("a", start="2026-11-26 18:00", end="2026-11-26 20:00")
        + entry("b", start="2026-11-26 20:00", end="2026-11-26 22:00")
    )
    events, errors = parse(back_to_back)
    assert errors == [] and len(events) == 2
    padded = events_yaml(
        entry("a", start="2026-11-26 18:00", end="2026-11-26 20:00", padding_after="1m")
        + entry("b", start="2026-11-26 20:00", end="2026-11-26 22:00")
    )
    events, errors = parse(padded)
    assert [e.event_id for e in events] == ["a"] and errors[0].entry == "b"


def test_events_on_different_endpoints_overlap_freely_and_may_end_together():
    text = events_yaml(
        entry("east", endpoint="east-hls", start="2026-10-03 15:30", end="2026-10-03 19:00")
        + entry(
            "west",
            endpoint="west-hls",
            start="2026-10-03 12:30",
            end="2026-10-03 16:00",
            timezone="America/Los_Angeles",
        )
        + entry("other", endpoint="third-hls", start="2026-10-03 15:00", end="2026-10-03 19:00")
    )
    events, errors = parse(text)
    assert errors == []
    assert [e.event_id for e in events] == ["east", "other", "west"]  # same end: sorted by id
    assert events[0].end == events[1].end == events[2].end == utc(2026, 10, 3, 23, 0)


def test_events_are_sorted_by_end_then_id():
    text = events_yaml(
        entry("b", endpoint="e1", start="2026-10-03 15:30", end="2026-10-03 19:00")
        + entry("a", endpoint="e2", start="2026-10-03 15:00", end="2026-10-03 19:00")
        + entry("c", endpoint="e3", start="2026-10-03 10:00", end="2026-10-03 12:00")
    )
    events, _ = parse(text)
    assert [e.event_id for e in events] == ["c", "a", "b"]


def test_a_multi_endpoint_event_is_refused_when_any_endpoint_is_taken():
    text = events_yaml(
        entry("first", endpoint="world-hls", start="2026-11-26 19:00", end="2026-11-26 21:00")
        + "- id: second\n  endpoints: [clean-hls, world-hls]\n  start: 2026-11-26 20:00\n  end: 2026-11-26 23:00\n"
        + entry("third", endpoint="clean-hls", start="2026-11-26 22:00", end="2026-11-26 23:30")
    )
    events, errors = parse(text)
    # "second" is refused on world-hls, so it does not block "third" on clean-hls.
    assert [e.event_id for e in events] == ["first", "third"]
    assert [(e.entry, e.field) for e in errors] == [("second", "endpoints")]
    assert "on endpoint 'world-hls'" in errors[0].message


def test_an_event_contained_in_a_long_one_is_refused():
    text = events_yaml(
        entry("long", start="2026-11-26 10:00", end="2026-11-27 10:00")
        + entry("short", start="2026-11-26 12:00", end="2026-11-26 13:00")
        + entry("after", start="2026-11-26 14:00", end="2026-11-26 15:00")
    )
    events, errors = parse(text)
    assert [e.event_id for e in events] == ["long"]
    assert [e.entry for e in errors] == ["short", "after"]
    assert all("overlaps event 'long'" in e.message for e in errors)


def test_same_start_on_one_endpoint_keeps_the_one_written_first():
    text = events_yaml(entry("x") + entry("y"))
    events, errors = parse(text)
    assert [e.event_id for e in events] == ["x"] and errors[0].entry == "y"
