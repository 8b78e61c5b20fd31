"""Tests for live_to_vod.schedule.models: events, clips, destination overrides, errors, the schedule."""

from __future__ import annotations

import json
import pickle

import pendulum
import pytest

from live_to_vod.schedule import DestinationOverrides, Schedule, ScheduledEvent, ScheduleError
from tests.live_to_vod.schedule.helpers import FULL_EXAMPLE, parse, utc


def test_events_are_hashable_picklable_and_round_trip_through_json():
    events, _ = parse(FULL_EXAMPLE)
    for event in events:
        data = json.loads(json.dumps(event.to_dict()))
        assert ScheduledEvent.from_dict(data) == event
        assert hash(ScheduledEvent.from_dict(data)) == hash(event)
        assert pickle.loads(pickle.dumps(event)) == event
    game = events[1]
    assert game.to_dict()["start"] == "2026-11-27T02:05:00+00:00"
    assert game.window.start == game.start and game.window.end == game.end
    assert [name for name, _ in game.clip_windows] == ["opening-drive", "last-play"]
    # An event serialised before verify_segments existed reads as auto.
    data = game.to_dict()
    assert data.pop("verify_segments") == "auto"
    assert ScheduledEvent.from_dict(data) == game


def test_events_built_by_hand_are_normalised():
    event = ScheduledEvent(
        event_id="x",
        endpoints=["a", "b"],  # type: ignore[arg-type]
        start=pendulum.datetime(2026, 11, 26, 20, tz="America/New_York"),
        end=pendulum.datetime(2026, 11, 27, 2, tz="UTC"),
        scheduled_start=pendulum.datetime(2026, 11, 27, 1, tz="UTC"),
        scheduled_end=pendulum.datetime(2026, 11, 27, 2, tz="UTC"),
        destination={"s3_bucket": "b"},  # type: ignore[arg-type]
    )
    assert event.endpoints == ("a", "b")
    assert event.start == utc(2026, 11, 27, 1) and event.start.timezone_name == "UTC"
    assert isinstance(event.destination, DestinationOverrides)
    hash(event)
    with pytest.raises(ValueError, match="timezone-aware"):
        ScheduledEvent("x", ("a",), pendulum.naive(2026, 1, 1), utc(2026, 1, 2), utc(2026, 1, 1), utc(2026, 1, 2))


def test_destination_overrides_behave_like_a_frozen_mapping():
    d = DestinationOverrides({"s3_bucket": "b"})
    assert d == {"s3_bucket": "b"} and d == DestinationOverrides([("s3_bucket", "b")])
    assert hash(d) == hash(DestinationOverrides({"s3_bucket": "b"}))
    assert pickle.loads(pickle.dumps(d)) == d
    assert d.get("role_arn") is None and list(d) == ["s3_bucket"]
    with pytest.raises(TypeError):
        d["x"] = "y"  # type: ignore[index]


def test_schedule_error_text_names_file_entry_and_field():
    assert str(ScheduleError("a.yaml", "game-1", "end", "is wrong")) == "a.yaml: game-1: end: is wrong"
    assert str(ScheduleError("a.yaml", "#3", None, "is wrong")) == "a.yaml: #3: is wrong"
    assert str(ScheduleError("a.yaml", None, None, "is not valid YAML")) == "a.yaml: is not valid YAML"


def test_schedule_get():
    events, _ = parse(FULL_EXAMPLE)
    schedule = Schedule(tuple(events), ())
    assert schedule.get("early-game") is events[0]
    assert schedule.get("nope") is None
