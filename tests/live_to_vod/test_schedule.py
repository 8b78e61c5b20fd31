"""Tests for live_to_vod.schedule: season schedule files -> ScheduledEvents and ScheduleErrors."""

from __future__ import annotations

import json
import os
import pickle
import textwrap
from datetime import UTC as DT_UTC
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pendulum
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_to_vod.schedule import (
    EVENT_FIELDS,
    Clip,
    DestinationOverrides,
    Schedule,
    ScheduledEvent,
    ScheduleError,
    clear_schedule_cache,
    load_schedule,
    parse_duration,
    parse_schedule_text,
)
from live_to_vod.schedule.yaml_reader import read_yaml
from tests.live_to_vod.schedule.pyyaml_oracle import canonical_document, canonical_oracle, oracle_load

UTC = pendulum.UTC
HEADER = "timezone: America/New_York\n"


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def parse(text: str, source: str = "week.yaml") -> tuple[list[ScheduledEvent], list[ScheduleError]]:
    return parse_schedule_text(textwrap.dedent(text), source)


def events_yaml(entries: str, header: str = HEADER) -> str:
    """A file with ``header`` and ``entries`` (YAML list items, dedented) under ``events:``."""
    body = textwrap.indent(textwrap.dedent(entries).strip("\n"), "  ")
    return f"{header}events:\n{body}\n"


def entry(
    event_id: str = "game-1",
    endpoint: str = "demo-hls",
    start: str = "2026-11-26 20:15",
    end: str = "2026-11-26 23:30",
    **extra: str,
) -> str:
    lines = [f"- id: {event_id}", f"  endpoint: {endpoint}", f"  start: {start}", f"  end: {end}"]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def only_error(text: str) -> ScheduleError:
    events, errors = parse(text)
    assert len(errors) == 1, errors
    return errors[0]


def entry_error(entry_text: str, header: str = HEADER) -> ScheduleError:
    """The single error of a file holding one entry (which must be refused)."""
    events, errors = parse(events_yaml(entry_text, header))
    assert events == [], events
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


# ----------------------------------------------------------------------------- the happy path


FULL_EXAMPLE = """\
# Season 2026, week 12 (all times local unless they carry an offset)
timezone: America/New_York          # file default; entries may override
defaults:                           # optional, applied to every entry
  padding_before: 5m
  padding_after: 15m
  destination: {s3_bucket: live-archive, packaging_group_id: vod-group}
events:
  - id: nfl-2026-wk12-buf-kc
    endpoints: [buf-kc-clean-hls, buf-kc-world-hls]   # or `endpoint: one-id`
    start: 2026-11-26 20:15          # local wall time in the entry's/file's timezone
    end: 2026-11-26 23:30
    timezone: America/Chicago        # optional
    padding_before: 10m              # optional
    padding_after: 20m
    destination: {manifest_key: "nfl/{event_id}/index.m3u8"}
    cancelled: false
    clips:
      - name: opening-drive
        start: 2026-11-26 20:17
        end: 2026-11-26 20:24
      - name: last-play
        start: 2026-11-26T23:25:00-06:00
        end: 2026-11-27T05:31:00Z
  - id: early-game
    endpoint: other-hls
    start: 2026-11-26 12:30
    end: 2026-11-26 15:30
"""


def test_a_full_entry_becomes_an_event_in_utc_with_padding_applied():
    events, errors = parse(FULL_EXAMPLE)
    assert errors == []
    assert [e.event_id for e in events] == ["early-game", "nfl-2026-wk12-buf-kc"]  # sorted by end
    game = events[1]
    assert game.endpoints == ("buf-kc-clean-hls", "buf-kc-world-hls")
    # 20:15 CST is 02:15Z; 10 min padding before, 20 min after.
    assert game.scheduled_start == utc(2026, 11, 27, 2, 15)
    assert game.scheduled_end == utc(2026, 11, 27, 5, 30)
    assert game.start == utc(2026, 11, 27, 2, 5)
    assert game.end == utc(2026, 11, 27, 5, 50)
    assert game.clips == (
        Clip("opening-drive", utc(2026, 11, 27, 2, 17), utc(2026, 11, 27, 2, 24)),
        Clip("last-play", utc(2026, 11, 27, 5, 25), utc(2026, 11, 27, 5, 31)),
    )
    assert dict(game.destination) == {
        "s3_bucket": "live-archive",
        "packaging_group_id": "vod-group",
        "manifest_key": "nfl/{event_id}/index.m3u8",
    }
    assert game.source == "week.yaml"
    assert game.timezone == "America/Chicago"
    assert all(t.tzinfo is UTC for t in (game.start, game.end, game.scheduled_start, game.scheduled_end))

    early = events[0]
    assert early.endpoints == ("other-hls",)
    assert early.timezone == "America/New_York"
    assert (early.start, early.end) == (utc(2026, 11, 26, 17, 25), utc(2026, 11, 26, 20, 45))  # file defaults
    assert dict(early.destination) == {"s3_bucket": "live-archive", "packaging_group_id": "vod-group"}
    assert early.clips == ()


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
    error = entry_error(entry(start="2026-11-26 20:15 -05:00"))
    assert error.field == "start" and "is not an ISO 8601 date and time" in error.message


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


# ----------------------------------------------------------------------------- one entry's rules


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("- {endpoint: a, start: 2026-11-26 20:15, end: 2026-11-26 21:00}", "id", "is required"),
        ("- {id: g, start: 2026-11-26 20:15, end: 2026-11-26 21:00}", "endpoints", "is required"),
        ("- {id: g, endpoint: a, end: 2026-11-26 21:00}", "start", "is required"),
        ("- {id: g, endpoint: a, start: 2026-11-26 21:00}", "end", "is required"),
        ("- {id: g, endpoint: a, start: '', end: 2026-11-26 21:00}", "start", "is required"),
    ],
)
def test_missing_required_fields(text, field, words):
    error = entry_error(text)
    assert error.field == field and words in error.message
    assert error.file == "week.yaml"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("bad id", "' ' at position 3"),
        ("x" * 65, "got 65 characters"),
        ("jeu-é", "'é' at position 4"),
        ("12345", "put it in quotes"),
        ("yes", "put the text in quotes"),
        ("[a]", "must be text"),
    ],
)
def test_event_id_rules(value, words):
    error = entry_error(entry(event_id=value))
    assert (error.entry, error.field) == ("#1", "id")
    assert words in error.message


def test_an_event_id_with_every_allowed_character_is_fine():
    events, errors = parse(events_yaml(entry(event_id="A-z_0-9" + "x" * 57)))
    assert errors == [] and len(events[0].event_id) == 64


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ("endpoint: 'a b'", "endpoint", "' ' at position 1"),
        ("endpoint: 12", "endpoint", "must be text"),
        ("endpoints: []", "endpoints", "non-empty list"),
        ("endpoints: one-id", "endpoints", "non-empty list"),
        ("endpoints: [a, 'b/c']", "endpoints[#2]", "'/' at position 1"),
        ("endpoints: [a, b, a]", "endpoints[#3]", "listed more than once"),
        ("endpoint: a\n  endpoints: [b]", "endpoints", "not both"),
        ("endpoint: " + "e" * 257, "endpoint", "got 257 characters"),
    ],
)
def test_endpoint_rules(fields, field, words):
    text = f"- id: g\n  {fields}\n  start: 2026-11-26 20:15\n  end: 2026-11-26 21:00\n"
    error = entry_error(text)
    assert (error.entry, error.field) == ("g", field)
    assert words in error.message


def test_a_256_character_endpoint_id_is_fine():
    events, errors = parse(events_yaml(entry(endpoint="e" * 256)))
    assert errors == [] and events[0].endpoints == ("e" * 256,)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("tomorrow", "is not an ISO 8601 date and time"),
        ("2026-02-30 20:00", "not a valid date and time"),
        ("2026-11-26 25:00", "not a valid date and time"),
        ("2026-11-26", "is not an ISO 8601 date and time"),
        ("26/11/2026 20:15", "is not an ISO 8601 date and time"),
        ("1999-11-26 20:15", "between the years"),
        ("2026-11-26 20:15+25:00", "impossible UTC offset"),
        ("1795806000", "must be a date and time"),
        ("2026-11-26 20:15 America/New_York", "is not an ISO 8601 date and time"),
    ],
)
def test_bad_times(value, words):
    error = entry_error(entry(start=value))
    assert (error.entry, error.field) == ("game-1", "start")
    assert words in error.message
    assert value in error.message  # the bad value is shown


def test_unknown_timezones_are_refused_with_a_suggestion():
    error = entry_error(entry(timezone="America/New_Yrok"))
    assert (error.entry, error.field) == ("game-1", "timezone")
    assert "not a known IANA time zone" in error.message and "'America/New_York'" in error.message
    error = entry_error(entry(timezone="'../../etc/passwd'"))
    assert error.field == "timezone"
    error = entry_error(entry(timezone="5"))
    assert error.field == "timezone" and "must be an IANA time zone name" in error.message


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "right/America/New_York"])
def test_zones_that_name_no_place_are_refused(zone):
    """``localtime`` is the host's /etc/localtime: the same schedule would mean other UTC times on
    another machine. ``Factory`` means "no zone set", ``right/`` zones count leap seconds."""
    error = entry_error(entry(timezone=zone))
    assert (error.entry, error.field) == ("game-1", "timezone")
    assert "is not a place's time zone" in error.message
    error = entry_error(entry(timezone="/etc/localtime"))
    assert error.field == "timezone" and "localtime'?" not in error.message  # never suggested


def test_a_bad_entry_timezone_is_the_only_error_even_with_clips_in_wall_time():
    error = entry_error(clip_entry("{name: drive, start: 2026-11-26 20:20, end: 2026-11-26 20:30}", timezone="Mars/X"))
    assert (error.entry, error.field) == ("game-1", "timezone")


@pytest.mark.parametrize("end", ["2026-11-26 20:15", "2026-11-26 20:14", "2026-11-26T20:15:00-05:00"])
def test_end_must_be_after_start(end):
    error = entry_error(entry(start="2026-11-26 20:15", end=end))
    assert (error.entry, error.field) == ("game-1", "end")
    assert "is not after the start" in error.message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-5m", "is negative"),
        ("-1", "is negative"),
        ("6h1s", "at most 6 h"),
        ("21601", "at most 6 h"),
        ("1:30", "is not a duration"),
        ("5 minutes", "is not a duration"),
        ("1.5", "must be a duration"),
        ("yes", "must be a duration"),
    ],
)
def test_padding_rules(value, words):
    error = entry_error(entry(padding_after=value))
    assert (error.entry, error.field) == ("game-1", "padding_after")
    assert words in error.message


def test_padding_of_exactly_6_hours_and_of_zero_is_fine():
    events, errors = parse(events_yaml(entry(padding_before="6h", padding_after="0")))
    assert errors == []
    assert events[0].start == utc(2026, 11, 26, 19, 15) and events[0].end == events[0].scheduled_end


def test_entry_paddings_override_the_defaults_one_by_one():
    header = HEADER + "defaults:\n  padding_before: 5m\n  padding_after: 15m\n"
    events, errors = parse(events_yaml(entry(padding_after="1h"), header))
    assert errors == []
    assert events[0].start == events[0].scheduled_start.subtract(minutes=5)
    assert events[0].end == events[0].scheduled_end.add(hours=1)


def test_a_padded_window_longer_than_14_days_is_refused():
    error = entry_error(entry(start="2026-11-01 12:00", end="2026-11-15 12:00", padding_after="1m"))
    assert error.field == "end" and "14 days" in error.message


def test_cancelled_entries_are_validated_but_schedule_nothing():
    events, errors = parse(events_yaml(entry(cancelled="true")))
    assert events == [] and errors == []
    error = entry_error(entry(cancelled="true", padding_after="-1m"))
    assert error.field == "padding_after"
    error = entry_error(entry(cancelled="maybe"))
    assert error.field == "cancelled" and "true or false" in error.message


def test_cancelled_entries_take_part_in_no_cross_check():
    text = events_yaml(entry("g") + entry("g", cancelled="true") + entry("other", cancelled="yes"))
    events, errors = parse(text)
    assert errors == [] and [e.event_id for e in events] == ["g"]


# ----------------------------------------------------------------------------- unknown and repeated fields


def test_unknown_entry_fields_are_refused_with_the_closest_name():
    error = entry_error(entry(paddin_after="5m"))
    assert (error.entry, error.field) == ("game-1", "paddin_after")
    assert "did you mean 'padding_after'?" in error.message
    error = entry_error(entry(colour="red"))
    assert error.field == "colour" and "known fields here are id, endpoint, endpoints" in error.message


def test_unknown_fields_in_clips_and_destination():
    text = entry(clips="[{name: a, start: 2026-11-26 20:20, end: 2026-11-26 20:30, ned: x}]")
    error = entry_error(text)
    assert (error.entry, error.field) == ("game-1", "clips[a].ned") and "did you mean 'end'?" in error.message
    error = entry_error(entry(destination="{bucket: b}"))
    assert error.field == "destination.bucket" and "did you mean 's3_bucket'?" in error.message


def test_unknown_fields_in_the_header_refuse_the_whole_file():
    for header, field, suggestion in [
        ("timezon: America/New_York\n", "timezon", "timezone"),
        (HEADER + "defaults:\n  padding_befor: 5m\n", "defaults.padding_befor", "padding_before"),
        (HEADER + "defaults:\n  destination: {role: x}\n", "defaults.destination.role", "role_arn"),
    ]:
        events, errors = parse(events_yaml(entry(), header))
        assert events == []
        assert (errors[0].entry, errors[0].field) == (None, field)
        assert f"did you mean {suggestion!r}?" in errors[0].message
        assert errors[-1].field is None and "none of its 1 entry is scheduled" in errors[-1].message


def test_fields_given_twice_are_refused_with_their_lines_rather_than_silently_overwritten():
    error = entry_error(entry() + "  end: 2026-11-26 23:45\n")
    assert (error.entry, error.field) == ("game-1", "end") and "more than once" in error.message
    assert "(again at line 7)" in error.message  # the header, `events:`, then the entry's lines
    error = entry_error("- {id: g, endpoint: a, start: 2026-11-26 20:15, end: 2026-11-26 21:00, end: 2026-11-26 22:00}")
    assert (error.entry, error.field) == ("g", "end") and "more than once" in error.message
    events, errors = parse(HEADER + "timezone: Europe/London\nevents: []\ntimezone: UTC\n")
    assert errors[0].field == "timezone" and "more than once (again at lines 2 and 4)" in errors[0].message


# ----------------------------------------------------------------------------- destination


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ("{s3_bucket: Bad_Bucket}", "destination.s3_bucket", "lowercase letters"),
        ("{s3_bucket: ''}", "destination.s3_bucket", "must not be empty"),
        ("{role_arn: 'arn:aws:iam::1:role/x'}", "destination.role_arn", "is not an IAM role ARN"),
        ("{packaging_group_id: 'a b'}", "destination.packaging_group_id", "1 to 256 characters"),
        ("{manifest_key: '{event}/index.m3u8'}", "destination.manifest_key", "unknown placeholder '{event}'"),
        ("{manifest_key: '{event_id}/index.mp4'}", "destination.manifest_key", "must end with '.m3u8'"),
        ("{manifest_key: '/{event_id}/x.m3u8'}", "destination.manifest_key", "leading '/'"),
        ("{manifest_key: '{event_id'}", "destination.manifest_key", "unbalanced braces"),
        ("{s3_bucket: 5}", "destination.s3_bucket", "must be text"),
        ("[a]", "destination", "must be a mapping"),
    ],
)
def test_destination_rules(value, field, words):
    error = entry_error(entry(destination=value))
    assert (error.entry, error.field) == ("game-1", field)
    assert words in error.message


def test_good_destination_overrides_merge_over_the_defaults():
    header = HEADER + "defaults:\n  destination:\n    s3_bucket: archive\n    packaging_group_id: vod\n"
    value = "{packaging_group_id: '', role_arn: 'arn:aws-cn:iam::123456789012:role/h', manifest_key: '{date}/x.m3u8'}"
    events, errors = parse(events_yaml(entry(destination=value) + entry("plain", endpoint="b"), header))
    assert errors == []
    by_id = {e.event_id: e for e in events}
    assert dict(by_id["game-1"].destination) == {
        "s3_bucket": "archive",
        "packaging_group_id": "",
        "role_arn": "arn:aws-cn:iam::123456789012:role/h",
        "manifest_key": "{date}/x.m3u8",
    }
    assert dict(by_id["plain"].destination) == {"s3_bucket": "archive", "packaging_group_id": "vod"}


def test_a_role_arn_without_a_role_name_is_refused():
    error = entry_error(entry(destination="{role_arn: 'arn:aws:iam::123456789012:role/service-role/'}"))
    assert (error.entry, error.field) == ("game-1", "destination.role_arn")
    assert "is not an IAM role ARN" in error.message


def _long_key_entry(template: str, endpoints: str = "a", end: str = "2026-11-26 23:30", clips: str = "") -> str:
    text = entry(endpoint=endpoints, end=end, destination=f"{{manifest_key: '{template}'}}") + clips
    return text.replace("  endpoint: [", "  endpoints: [")


_KEY_1023 = "k" * 1012 + "/index.m3u8"  # 1023 bytes: S3 takes at most 1024
_CLIP = "  clips:\n    - {name: drive, start: 2026-11-26 20:20, end: 2026-11-26 20:30}\n"
_PER_ENDPOINT = "k" * 1000 + "/{origin_endpoint_id}/index.m3u8"  # 1013 bytes for endpoint "a"


def test_a_manifest_key_of_1023_bytes_loads():
    events, errors = parse(events_yaml(_long_key_entry(_KEY_1023)))
    assert errors == [] and len(events) == 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param(_long_key_entry(_PER_ENDPOINT, "[a, " + "b" * 40 + "]"), "(rendered)", id="second-endpoint"),
        pytest.param(_long_key_entry(_KEY_1023, "[a, b]"), "(output full from a,", id="endpoint-folder"),
        pytest.param(_long_key_entry(_KEY_1023, end="2026-11-27 23:30"), "(output part-01 from a,", id="part-folder"),
        pytest.param(_long_key_entry(_KEY_1023, clips=_CLIP), "(output clip-drive from a,", id="clip-folder"),
    ],
)
def test_the_manifest_key_is_checked_for_every_endpoint_and_output_it_names(text, words):
    """Every key the validate task derives is checked at load time: the template rendered per
    endpoint, then the outputs' folders (endpoint, part-NN, clips/<name>) under it. A key that only
    one of them pushed past S3's 1024 bytes used to load, then fail the run after the event."""
    error = entry_error(text)
    assert (error.entry, error.field) == ("game-1", "destination.manifest_key")
    assert words in error.message and "S3 keys have at most 1024" in error.message, error.message


# ----------------------------------------------------------------------------- clips


def clip_entry(*clips: str, **extra: str) -> str:
    return entry(**extra) + "  clips:\n" + "".join(f"    - {c}\n" for c in clips)


@pytest.mark.parametrize(
    ("clip", "field", "words"),
    [
        ("{name: Opening, start: 2026-11-26 20:20, end: 2026-11-26 20:30}", "clips[#1].name", "lowercase"),
        ("{name: '', start: 2026-11-26 20:20, end: 2026-11-26 20:30}", "clips[#1].name", "is required"),
        ("{start: 2026-11-26 20:20, end: 2026-11-26 20:30}", "clips[#1].name", "is required"),
        ("{name: " + "a" * 41 + ", start: 2026-11-26 20:20, end: 2026-11-26 20:30}", "clips[#1].name", "1 to 40"),
        ("{name: 5, start: 2026-11-26 20:20, end: 2026-11-26 20:30}", "clips[#1].name", "must be text"),
        ("{name: a, start: 2026-11-26 20:30, end: 2026-11-26 20:30}", "clips[a].end", "is not after"),
        ("{name: a, start: 2026-11-26 20:20}", "clips[a].end", "is required"),
        ("{name: a, start: 2026-11-26 20:20, end: never}", "clips[a].end", "is not an ISO 8601 date and time"),
        ("{name: a, start: 2026-11-26 20:09, end: 2026-11-26 20:30}", "clips[a]", "padded window"),
        ("{name: a, start: 2026-11-26 23:20, end: 2026-11-26 23:46}", "clips[a]", "padded window"),
        ("{name: a, start: 2026-11-26 20:10, end: 2026-11-26 23:45}", "clips[a]", "same window as the full event"),
        ("just-a-name", "clips[#1]", "must be a mapping"),
    ],
)
def test_clip_rules(clip, field, words):
    error = entry_error(clip_entry(clip, padding_before="5m", padding_after="15m"))
    assert (error.entry, error.field) == ("game-1", field)
    assert words in error.message


def test_clips_inside_the_padding_are_fine():
    text = clip_entry(
        "{name: pre-game, start: 2026-11-26 20:10, end: 2026-11-26 20:15}",
        "{name: post-game, start: 2026-11-26 23:30, end: 2026-11-26 23:45}",
        padding_before="5m",
        padding_after="15m",
    )
    events, errors = parse(events_yaml(text))
    assert errors == [] and [c.name for c in events[0].clips] == ["pre-game", "post-game"]


def test_clip_names_are_unique_and_clip_windows_too():
    same_name = clip_entry(
        "{name: a, start: 2026-11-26 20:20, end: 2026-11-26 20:30}",
        "{name: a, start: 2026-11-26 20:40, end: 2026-11-26 20:50}",
    )
    error = entry_error(same_name)
    assert error.field == "clips[a].name" and "already named 'a'" in error.message
    same_window = clip_entry(
        "{name: a, start: 2026-11-26 20:20, end: 2026-11-26 20:30}",
        "{name: b, start: 2026-11-26 20:20, end: 2026-11-26 20:30}",
    )
    error = entry_error(same_window)
    assert error.field == "clips[b]" and "same window as clip 'a'" in error.message


def test_clips_are_at_most_24_hours_and_never_equal_to_a_part():
    long_event = dict(start="2026-10-10 09:00", end="2026-10-11 15:00")
    error = entry_error(clip_entry("{name: a, start: 2026-10-10 09:00, end: 2026-10-11 09:01}", **long_event))
    assert error.field == "clips[a].end" and "24 h" in error.message
    # The first 24-hour part of this (unpadded, minute-aligned) 30-hour event is exactly 09:00 to 09:00.
    error = entry_error(clip_entry("{name: a, start: 2026-10-10 09:00, end: 2026-10-11 09:00}", **long_event))
    assert error.field == "clips[a]" and "24-hour parts" in error.message


def test_clips_must_be_a_list():
    error = entry_error(entry(clips="{name: a}"))
    assert error.field == "clips" and "must be a list" in error.message


# ----------------------------------------------------------------------------- DST (US, 2026)


def test_spring_forward_gap_times_do_not_exist():
    # 8 March 2026: clocks jump from 02:00 to 03:00 in New York; 02:30 never happens.
    error = entry_error(entry(start="2026-03-08 02:30", end="2026-03-08 04:00"))
    assert (error.entry, error.field) == ("game-1", "start")
    assert "does not exist in America/New_York" in error.message and "skip forward 1 h" in error.message
    error = entry_error(
        clip_entry(
            "{name: a, start: 2026-03-08 02:00, end: 2026-03-08 03:10}",
            start="2026-03-08 01:00",
            end="2026-03-08 04:00",
        )
    )
    assert error.field == "clips[a].start"


def test_fall_back_ambiguous_times_need_an_offset():
    # 1 November 2026: clocks go back from 02:00 to 01:00; 01:30 happens twice.
    error = entry_error(entry(start="2026-11-01 00:30", end="2026-11-01 01:30"))
    assert (error.entry, error.field) == ("game-1", "end")
    assert "happens twice in America/New_York" in error.message
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


# ----------------------------------------------------------------------------- file-level problems


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("events: [\n", "is not valid YAML"),
        ("events:\n  - id: a\n - id: b\n", "is not valid YAML"),
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        ("- id: a\n", "must be a mapping with an `events:` list"),
        ("just text\n", "must be a mapping"),
        ("timezone: UTC\n", "has no `events:` list"),
        ("events: {id: a}\n", "must be a list of entries"),
        ("events:\n", "must be a list of entries"),
        ("? [a, b]\n: c\nevents: []\n", "is not valid YAML"),
        ("events: !!python/object:os.system []\n", "is not valid YAML"),
        ("a: &x [*x]\nevents: []\n", ""),
    ],
)
def test_a_broken_file_is_one_file_level_error(text, words):
    events, errors = parse(text)
    assert events == []
    if words:
        assert len(errors) == 1 and errors[0].entry is None and errors[0].field is None
        assert words in errors[0].message, errors[0].message


def test_yaml_errors_say_where():
    error = only_error("timezone: UTC\nevents:\n  - id: a\n   endpoint: b\n")
    assert "line 4" in error.message


def test_header_errors_refuse_the_file_and_say_so():
    events, errors = parse(events_yaml(entry() + entry("g2", endpoint="x"), "timezone: Mars/Olympus\n"))
    assert events == []
    assert [(e.entry, e.field) for e in errors] == [(None, "timezone"), (None, None)]
    assert "none of its 2 entries is scheduled" in errors[1].message
    events, errors = parse(events_yaml(entry(), HEADER + "defaults: 5m\n"))
    assert errors[0].field == "defaults" and events == []


def test_an_entry_that_is_not_a_mapping():
    events, errors = parse(events_yaml("- just-an-id\n" + entry()))
    assert [(e.entry, e.field) for e in errors] == [("#1", None)]
    assert [e.event_id for e in events] == ["game-1"]


def test_one_bad_entry_never_stops_the_others():
    text = events_yaml(
        entry("good-1", endpoint="a")
        + entry("bad-1", endpoint="b", start="2026-03-08 02:30")
        + "- 42\n"
        + entry("good-2", endpoint="b", start="2026-11-27 20:15", end="2026-11-27 23:00")
        + entry("bad 2", endpoint="c")
    )
    events, errors = parse(text)
    assert [e.event_id for e in events] == ["good-1", "good-2"]
    assert [(e.entry, e.field) for e in errors] == [("bad-1", "start"), ("#3", None), ("#5", "id")]


# ----------------------------------------------------------------------------- cross-entry checks


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


# ----------------------------------------------------------------------------- directories


GOOD = events_yaml(
    entry("good-1", endpoint="a", start="2026-11-26 12:00", end="2026-11-26 14:00")
    + entry("good-2", endpoint="b", start="2026-11-26 12:00", end="2026-11-26 14:00")
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_broken_file_next_to_a_good_one(tmp_path):
    write(tmp_path, "b-good.yaml", GOOD)
    write(tmp_path, "a-broken.yaml", "events:\n  - id: x\n    start: [unclosed\n")
    write(
        tmp_path, "c-bad-entries.yml", events_yaml(entry("good-3", endpoint="c") + entry("bad", endpoint="d", end="x"))
    )
    schedule = load_schedule(tmp_path)
    assert {e.event_id for e in schedule.events} == {"good-1", "good-2", "good-3"}
    assert schedule.files == ("a-broken.yaml", "b-good.yaml", "c-bad-entries.yml")
    assert [(e.file, e.entry, e.field) for e in schedule.errors] == [
        ("a-broken.yaml", None, None),
        ("c-bad-entries.yml", "bad", "end"),
    ]
    assert str(schedule.errors[1]).startswith("c-bad-entries.yml: bad: end: 'x' is not an ISO 8601 date and time")


def test_cross_checks_span_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(
        tmp_path,
        "b.yaml",
        events_yaml(
            entry("good-1", endpoint="z")  # duplicate id of a.yaml's first entry
            + entry("clash", endpoint="b", start="2026-11-26 13:00", end="2026-11-26 15:00")  # b is busy
            + entry("fine", endpoint="a", start="2026-11-26 14:00", end="2026-11-26 15:00")
        ),
    )
    schedule = load_schedule(tmp_path)
    assert [e.event_id for e in schedule.events] == ["good-1", "good-2", "fine"]
    assert [(e.file, e.entry, e.field) for e in schedule.errors] == [
        ("b.yaml", "good-1", "id"),
        ("b.yaml", "clash", "endpoint"),
    ]
    assert "already used by entry #1 in a.yaml" in schedule.errors[0].message
    assert "overlaps event 'good-2' (in a.yaml) on endpoint 'b'" in schedule.errors[1].message


def test_only_yaml_files_are_read_and_dotfiles_are_skipped(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, ".#a.yaml", "not: [valid")
    write(tmp_path, "notes.txt", "not: [valid")
    write(tmp_path, "a.yaml.bak", "not: [valid")
    (tmp_path / "sub.yaml").mkdir()
    schedule = load_schedule(tmp_path)
    assert schedule.errors == () and len(schedule.events) == 2 and schedule.files == ("a.yaml",)


def test_unreadable_inputs_are_errors_not_exceptions(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes("timezone: Europe/Zürich\nevents: []\n".encode("latin-1"))
    schedule = load_schedule(tmp_path)
    assert [(e.file, e.entry) for e in schedule.errors] == [("latin1.yaml", None)]
    assert "is not UTF-8 text" in schedule.errors[0].message
    missing = load_schedule(tmp_path / "nope")
    assert missing.events == () and "does not exist" in missing.errors[0].message
    empty = tmp_path / "empty"
    empty.mkdir()
    assert load_schedule(empty) == Schedule((), (), ())


def test_loads_are_cached_until_a_file_changes(tmp_path):
    clear_schedule_cache()
    path = write(tmp_path, "a.yaml", GOOD)
    first = load_schedule(tmp_path)
    assert load_schedule(str(tmp_path)) is first
    path.write_text(GOOD.replace("good-2", "renamed"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_schedule(tmp_path)
    assert second is not first and {e.event_id for e in second.events} == {"good-1", "renamed"}
    write(tmp_path, "b.yaml", events_yaml(entry("new", endpoint="n")))
    third = load_schedule(tmp_path)
    assert len(third.events) == 3
    (tmp_path / "b.yaml").unlink()
    assert load_schedule(tmp_path) == second


EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_the_example_season_loads_cleanly():
    schedule = load_schedule(EXAMPLE)
    assert "season-2026.yaml" in schedule.files
    example = [e for e in schedule.events if e.source == "season-2026.yaml"]
    assert [e for e in schedule.errors if e.file == "season-2026.yaml"] == []
    by_id = {e.event_id: e for e in example}
    assert set(by_id) == {
        "nfl-2026-wk12-buf-kc",
        "endurance-2026-24h",
        "ncaa-2026-10-03-osu-mich",
        "ncaa-2026-10-03-usc-ucla",
        "nhl-2026-10-31-sea-vgk",
    }  # the cancelled game is not scheduled
    assert len(by_id["nfl-2026-wk12-buf-kc"].endpoints) == 2 and len(by_id["nfl-2026-wk12-buf-kc"].clips) == 2
    race = by_id["endurance-2026-24h"]
    assert race.scheduled_end - race.scheduled_start == pendulum.duration(hours=30)
    assert by_id["ncaa-2026-10-03-osu-mich"].end == by_id["ncaa-2026-10-03-usc-ucla"].end
    nhl = by_id["nhl-2026-10-31-sea-vgk"]
    assert nhl.scheduled_end - nhl.scheduled_start == pendulum.duration(hours=3, minutes=30)


# ----------------------------------------------------------------------------- robustness (Hypothesis)

_times = st.builds(
    lambda d, h, m, off: f"2026-{d // 28 + 1:02d}-{d % 28 + 1:02d} {h:02d}:{m:02d}{off}",
    st.integers(0, 335),
    st.integers(0, 23),
    st.sampled_from([0, 30, 59]),
    st.sampled_from(["", "", "-05:00", "Z", "+01:00"]),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    _times,
    st.sampled_from(["5m", "-5m", "7h", "1h30m", "America/New_York", "Nope/Zone", "demo-hls", "a b", "", "x" * 300]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_known = st.sampled_from([*EVENT_FIELDS, "name"])


@st.composite
def _entries(draw):
    entry_dict = draw(st.dictionaries(_known | st.text(max_size=10), _values, max_size=8))
    if draw(st.booleans()):
        entry_dict.setdefault("id", draw(st.sampled_from(["g1", "g2", "bad id", 5])))
        entry_dict.setdefault("endpoint", draw(st.sampled_from(["a", "b", ["a"]])))
        entry_dict.setdefault("start", draw(_times))
        entry_dict.setdefault("end", draw(_times))
    if draw(st.booleans()):
        entry_dict["clips"] = draw(
            st.lists(
                st.dictionaries(st.sampled_from(["name", "start", "end", "x"]), _scalars | _times, max_size=4),
                max_size=3,
            )
        )
    return entry_dict


@given(
    header=st.dictionaries(st.sampled_from(["timezone", "defaults", "extra"]), _values, max_size=3),
    entries=st.lists(_entries() | _values, max_size=5),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_entries_only_ever_produce_schedule_errors(header, entries):
    text = yaml.safe_dump({**header, "events": entries}, allow_unicode=True)
    assert canonical_document(read_yaml(text)) == canonical_oracle(oracle_load(text))
    events, errors = parse_schedule_text(text, "random.yaml")
    for error in errors:
        assert isinstance(error, ScheduleError) and error.file == "random.yaml" and error.message
        assert not error.message.startswith("could not be validated"), error  # the safety net never fires
    for event in events:
        assert event.start <= event.scheduled_start < event.scheduled_end <= event.end
        assert ScheduledEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_random_text_never_raises(text):
    events, errors = parse_schedule_text(text, "noise.yaml")
    assert all(isinstance(e, ScheduleError) for e in errors)


# ----------------------------------------------------------------------------- a whole season


def _big_schedule(n: int) -> str:
    """A season of ``n`` events: 4 a day on 500 endpoints (no overlaps), a mix of local wall times
    (07:00/08:00 or 13:00/14:00 in New York, never near a DST change) and explicit offsets,
    every tenth event on two endpoints, every fiftieth with a clip."""
    lines = [
        "# generated season",
        "timezone: America/New_York",
        "defaults:",
        "  padding_before: 5m",
        "  padding_after: 15m",
        "  destination: {s3_bucket: live-archive}",
        "events:",
    ]
    zone = ZoneInfo("America/New_York")
    first = datetime(2026, 1, 1, 12, tzinfo=DT_UTC)
    for i in range(n):
        begin = first + timedelta(hours=6 * i)
        end = begin + timedelta(hours=3, minutes=15)
        if i % 4 < 2:
            start_text = begin.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        else:
            start_text = begin.strftime("%Y-%m-%d %H:%M+00:00")
        lines += [
            f"  - id: game-{i:05d}",
            f"    endpoint: ep-{i % 500:03d}" if i % 10 else f"    endpoints: [ep-{i % 500:03d}, world-{i % 7}]",
            f"    start: {start_text}",
            f"    end: {end.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        ]
        if i % 50 == 0:
            lines += [
                "    clips:",
                f"      - name: opening-{i}",
                f"        start: {(begin + timedelta(minutes=2)).strftime('%Y-%m-%d %H:%MZ')}",
                f"        end: {(begin + timedelta(minutes=9)).strftime('%Y-%m-%d %H:%MZ')}",
            ]
    return "\n".join(lines) + "\n"


def test_a_10000_event_schedule_loads_whole_and_is_cached(tmp_path):
    """What bench/dag_parse_schedule.py times: here only that it loads, every event, once."""
    (tmp_path / "season.yaml").write_text(_big_schedule(10_000), encoding="utf-8")
    clear_schedule_cache()
    schedule = load_schedule(tmp_path)
    assert schedule.errors == ()
    assert len(schedule.events) == 10_000
    assert sum(len(e.endpoints) == 2 for e in schedule.events) == 1_000
    assert sum(len(e.clips) for e in schedule.events) == 200
    assert load_schedule(tmp_path) is schedule
