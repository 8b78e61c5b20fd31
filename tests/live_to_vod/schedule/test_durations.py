"""Tests for live_to_vod.schedule.durations: how durations are written, and the padding rule."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live_to_vod.schedule import parse_duration
from tests.live_to_vod.schedule.helpers import assert_refused, entry


def test_durations():
    assert parse_duration("90s") == pendulum.duration(seconds=90)
    assert parse_duration("5m") == pendulum.duration(minutes=5)
    assert parse_duration("1h30m") == pendulum.duration(minutes=90)
    assert parse_duration("2h") == pendulum.duration(hours=2)
    assert parse_duration("1h0m5s") == pendulum.duration(seconds=3605)
    assert parse_duration(600) == pendulum.duration(minutes=10)
    assert parse_duration("600") == pendulum.duration(minutes=10)
    assert parse_duration(0) == pendulum.duration()
    assert parse_duration("-5m") == -pendulum.duration(minutes=5)
    for bad in ("", "5 m", "m", "1.5h", "5min", "1m2h", "h", "-", True, 1.5, None, [], "9" * 40, 10**12, "1:30"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError, match="90s, 5m or 1h30m"):
        parse_duration("five minutes")


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none()))
@settings(max_examples=300)
def test_parse_duration_raises_only_value_error(value):
    try:
        result = parse_duration(value)
    except ValueError:
        return
    assert isinstance(result, pendulum.Duration)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-5m", "is negative"),
        ("-1", "is negative"),
        ("6h1s", "at most 6 h"),
        ("21601", "at most 6 h"),
        ("1:30", "is not a duration"),  # YAML 1.1 would read 90; the schedule refuses it
        ("5 minutes", "is not a duration"),
        ("1.5", "must be a duration"),
        ("yes", "must be a duration"),
    ],
)
def test_padding_rules(value, words):
    assert_refused(entry(padding_after=value), ("game-1", "padding_after"), words)
