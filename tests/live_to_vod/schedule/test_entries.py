"""Tests for live_to_vod.schedule.entries: one file's settings and entries, each validated on its own."""

from __future__ import annotations

import json

import pendulum
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_to_vod.schedule import EVENT_FIELDS, Clip, ScheduledEvent, ScheduleError, parse_schedule_text
from live_to_vod.schedule.yaml_reader import read_yaml
from tests.live_to_vod.schedule.helpers import (
    FULL_EXAMPLE,
    HEADER,
    assert_refused,
    clip_entry,
    entry,
    entry_error,
    events_yaml,
    only_error,
    parse,
    utc,
)
from tests.live_to_vod.schedule.pyyaml_oracle import canonical_document, canonical_oracle, oracle_load

# ----------------------------------------------------------------------------- the happy path


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
    assert all(t.tzinfo is pendulum.UTC for t in (game.start, game.end, game.scheduled_start, game.scheduled_end))

    early = events[0]
    assert early.endpoints == ("other-hls",)
    assert early.timezone == "America/New_York"
    assert (early.start, early.end) == (utc(2026, 11, 26, 17, 25), utc(2026, 11, 26, 20, 45))  # file defaults
    assert dict(early.destination) == {"s3_bucket": "live-archive", "packaging_group_id": "vod-group"}
    assert early.clips == ()


def test_anchors_and_merge_keys_share_settings_between_entries():
    text = events_yaml(
        "- &game {id: a, endpoint: demo-hls, start: 2026-11-26 20:15, end: 2026-11-26 23:30, padding_after: 5m}\n"
        "- {<<: *game, id: b, endpoint: other-hls}\n"
    )
    events, errors = parse(text)
    assert errors == []
    assert [(e.event_id, e.endpoints, e.end) for e in events] == [
        ("a", ("demo-hls",), utc(2026, 11, 27, 4, 35)),
        ("b", ("other-hls",), utc(2026, 11, 27, 4, 35)),
    ]


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
    assert_refused(entry(event_id=value), ("#1", "id"), words)


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
        ("endpoints: [a, 'b/c']", "endpoints[#2]", "three names), got 2 parts"),
        ("endpoint: 'g/c/e p'", "endpoint", "the v2 origin endpoint name must be"),
        ("endpoint: g//e", "endpoint", "the v2 channel name must be"),
        ("endpoint: a\n  manifests: [hls]", "manifests", "the entry's endpoints are all v1"),
        ("endpoint: g/c/e\n  manifests: hls", "manifests", "non-empty list of manifest names"),
        ("endpoint: g/c/e\n  manifests: [hls, hls]", "manifests[#2]", "listed more than once"),
        ("endpoints: [a, b, a]", "endpoints[#3]", "listed more than once"),
        ("endpoint: a\n  endpoints: [b]", "endpoints", "not both"),
        ("endpoint: " + "e" * 257, "endpoint", "got 257 characters"),
    ],
)
def test_endpoint_rules(fields, field, words):
    text = f"- id: g\n  {fields}\n  start: 2026-11-26 20:15\n  end: 2026-11-26 21:00\n"
    assert_refused(text, ("g", field), words)


def test_a_256_character_endpoint_id_is_fine():
    events, errors = parse(events_yaml(entry(endpoint="e" * 256)))
    assert errors == [] and events[0].endpoints == ("e" * 256,)


def test_a_bad_entry_timezone_is_the_only_error_even_with_clips_in_wall_time():
    clip = "{name: drive, start: 2026-11-26 20:20, end: 2026-11-26 20:30}"
    assert_refused(clip_entry(clip, timezone="Mars/X"), ("game-1", "timezone"), "not a known IANA time zone")


@pytest.mark.parametrize("end", ["2026-11-26 20:15", "2026-11-26 20:14", "2026-11-26T20:15:00-05:00"])
def test_end_must_be_after_start(end):
    assert_refused(entry(start="2026-11-26 20:15", end=end), ("game-1", "end"), "is not after the start")


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
    text = entry(start="2026-11-01 12:00", end="2026-11-15 12:00", padding_after="1m")
    assert_refused(text, ("game-1", "end"), "14 days")


def test_cancelled_entries_are_validated_but_schedule_nothing():
    events, errors = parse(events_yaml(entry(cancelled="true")))
    assert events == [] and errors == []
    assert_refused(entry(cancelled="true", padding_after="-1m"), ("game-1", "padding_after"), "is negative")
    assert_refused(entry(cancelled="maybe"), ("game-1", "cancelled"), "true or false")


def test_verify_segments_is_auto_unless_the_entry_or_the_file_s_defaults_say():
    header = HEADER + "defaults:\n  verify_segments: sampled\n"
    events, errors = parse(events_yaml(entry() + entry("g2", endpoint="x", verify_segments="full"), header))
    assert errors == []
    assert {e.event_id: e.verify_segments for e in events} == {"game-1": "sampled", "g2": "full"}
    events, errors = parse(events_yaml(entry()))
    assert errors == [] and events[0].verify_segments == "auto"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("everything", "must be one of auto, sampled, full, got 'everything'"),
        ("listing", "must be one of auto, sampled, full, got 'listing'"),
        ("on", "must be a string, one of auto, sampled, full; got bool True"),  # YAML 1.1 reads `on` as true
    ],
)
def test_a_bad_verify_segments_refuses_the_entry_naming_file_entry_and_field(value, expected):
    error = assert_refused(entry(verify_segments=value), ("game-1", "verify_segments"), "one of auto, sampled, full")
    assert str(error) == f"week.yaml: game-1: verify_segments: {expected}"


def test_a_bad_verify_segments_default_refuses_the_file():
    events, errors = parse(events_yaml(entry(), HEADER + "defaults:\n  verify_segments: everything\n"))
    assert events == []
    assert str(errors[0]) == (
        "week.yaml: defaults.verify_segments: must be one of auto, sampled, full, got 'everything'"
    )
    assert errors[-1].field is None and "none of its 1 entry is scheduled" in errors[-1].message


# ----------------------------------------------------------------------------- unknown and repeated fields


def test_unknown_entry_fields_are_refused_with_the_closest_name():
    assert_refused(entry(paddin_after="5m"), ("game-1", "paddin_after"), "did you mean 'padding_after'?")
    assert_refused(entry(colour="red"), ("game-1", "colour"), "known fields here are id, endpoint, endpoints")


def test_unknown_fields_in_clips_and_destination():
    text = entry(clips="[{name: a, start: 2026-11-26 20:20, end: 2026-11-26 20:30, ned: x}]")
    assert_refused(text, ("game-1", "clips[a].ned"), "did you mean 'end'?")
    assert_refused(entry(destination="{bucket: b}"), ("game-1", "destination.bucket"), "did you mean 's3_bucket'?")


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
    error = assert_refused(entry() + "  end: 2026-11-26 23:45\n", ("game-1", "end"), "more than once")
    assert "(again at line 7)" in error.message  # the header, `events:`, then the entry's lines
    text = "- {id: g, endpoint: a, start: 2026-11-26 20:15, end: 2026-11-26 21:00, end: 2026-11-26 22:00}"
    assert_refused(text, ("g", "end"), "more than once")
    events, errors = parse(HEADER + "timezone: Europe/London\nevents: []\ntimezone: UTC\n")
    assert errors[0].field == "timezone" and "more than once (again at lines 2 and 4)" in errors[0].message


# ----------------------------------------------------------------------------- clips


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
    assert_refused(clip_entry(clip, padding_before="5m", padding_after="15m"), ("game-1", field), words)


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
    assert_refused(same_name, ("game-1", "clips[a].name"), "already named 'a'")
    same_window = clip_entry(
        "{name: a, start: 2026-11-26 20:20, end: 2026-11-26 20:30}",
        "{name: b, start: 2026-11-26 20:20, end: 2026-11-26 20:30}",
    )
    assert_refused(same_window, ("game-1", "clips[b]"), "same window as clip 'a'")


def test_clips_are_at_most_24_hours_and_never_equal_to_a_part():
    long_event = dict(start="2026-10-10 09:00", end="2026-10-11 15:00")
    text = clip_entry("{name: a, start: 2026-10-10 09:00, end: 2026-10-11 09:01}", **long_event)
    assert_refused(text, ("game-1", "clips[a].end"), "24 h")
    # The first 24-hour part of this (unpadded, minute-aligned) 30-hour event is exactly 09:00 to 09:00.
    text = clip_entry("{name: a, start: 2026-10-10 09:00, end: 2026-10-11 09:00}", **long_event)
    assert_refused(text, ("game-1", "clips[a]"), "24-hour parts")


def test_clips_must_be_a_list():
    assert_refused(entry(clips="{name: a}"), ("game-1", "clips"), "must be a list")


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
        ("events: []\n---\nevents: []\n", "is not valid YAML"),
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


def test_playable_within_minutes_comes_from_the_entry_or_the_files_defaults():
    header = "timezone: America/New_York\ndefaults:\n  playable_within_minutes: 45\n"
    events, errors = parse(
        events_yaml(entry("a") + entry("b", endpoint="other-hls", playable_within_minutes="20"), header)
    )
    assert errors == []
    assert {e.event_id: e.playable_within_minutes for e in events} == {"a": 45, "b": 20}
    (plain,), _ = parse(events_yaml(entry("c")))
    assert plain.playable_within_minutes is None  # the deployment's default applies


@pytest.mark.parametrize("value", ["0", "1441", "'30'", "2.5", "true"])
def test_playable_within_minutes_must_be_whole_minutes_in_range(value):
    assert_refused(
        entry(playable_within_minutes=value), ("game-1", "playable_within_minutes"), "whole number of minutes"
    )
