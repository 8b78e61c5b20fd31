"""Tests for live_to_vod.outputs (and the output keys of live_to_vod.manifest_keys): one event -> its harvest jobs."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live_to_vod.field_rules import manifest_key_problems
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.limits import MAX_HARVEST_DURATION
from live_to_vod.manifest_keys import output_manifest_key
from live_to_vod.naming import harvest_job_id
from live_to_vod.outputs import EventOutput, plan_outputs, split_window
from live_to_vod.schedule import parse_schedule_text


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def window(start: pendulum.DateTime, **length: float) -> HarvestWindow:
    return HarvestWindow(start, start.add(**length))


START = utc(2026, 10, 10, 12, 50)


def assert_contiguous(parts: list[HarvestWindow], whole: HarvestWindow) -> None:
    assert parts[0].start == whole.start and parts[-1].end == whole.end
    for before, after in zip(parts, parts[1:], strict=False):
        assert before.end == after.start
    assert all(p.start < p.end and p.end - p.start <= MAX_HARVEST_DURATION for p in parts)


# ----------------------------------------------------------------------------- split_window


def test_a_window_of_exactly_24_hours_is_one_part():
    whole = window(START, hours=24)
    assert split_window(whole) == [whole]


def test_a_short_window_is_one_part():
    whole = window(START, hours=3, minutes=15)
    assert split_window(whole) == [whole]


def test_24_hours_and_one_second_is_two_parts():
    whole = window(START, hours=24, seconds=1)
    parts = split_window(whole)
    assert len(parts) == 2
    assert_contiguous(parts, whole)
    assert parts[0].end == START.add(hours=24)  # already on a whole minute
    assert parts[1].end - parts[1].start == pendulum.duration(seconds=1)


def test_30_hours_is_two_parts_split_on_a_whole_minute():
    start = utc(2026, 10, 10, 12, 50, 17, 250000)  # not aligned at all
    whole = window(start, hours=30)
    parts = split_window(whole)
    assert len(parts) == 2
    assert_contiguous(parts, whole)
    boundary = parts[0].end
    assert (boundary.second, boundary.microsecond) == (0, 0)
    assert boundary == utc(2026, 10, 11, 12, 50)  # the latest whole minute within 24 h of the start
    assert parts[0].end - parts[0].start == pendulum.duration(hours=23, minutes=59, seconds=42, microseconds=750000)


def test_50_hours_is_three_parts():
    whole = window(START, hours=50)
    parts = split_window(whole)
    assert len(parts) == 3
    assert_contiguous(parts, whole)
    assert [p.end - p.start for p in parts] == [pendulum.duration(hours=24)] * 2 + [pendulum.duration(hours=2)]


def test_48_hours_exactly_is_two_full_parts():
    parts = split_window(window(START, hours=48))
    assert [p.end - p.start for p in parts] == [pendulum.duration(hours=24)] * 2


def test_other_alignments_and_part_lengths():
    start = utc(2026, 10, 10, 12, 50, 3)
    whole = window(start, hours=7)
    parts = split_window(whole, max_part=pendulum.duration(hours=2), align_seconds=6)
    assert len(parts) == 4
    assert_contiguous(parts, whole)
    for part in parts[1:]:
        assert part.start.int_timestamp % 6 == 0 and part.start.microsecond == 0


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"align_seconds": 0}, "align_seconds"),
        ({"align_seconds": 1.5}, "align_seconds"),
        ({"align_seconds": True}, "align_seconds"),
        ({"max_part": pendulum.duration(seconds=30)}, "at least align_seconds"),
    ],
)
def test_bad_split_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        split_window(window(START, hours=30), **kwargs)


def test_an_empty_window_cannot_be_split():
    with pytest.raises(ValueError, match="empty"):
        split_window(HarvestWindow(START, START))


@given(
    start_us=st.integers(0, 10**6 * 86400 * 365),
    length_s=st.integers(1, 14 * 86400),
    align=st.sampled_from([1, 2, 6, 10, 60, 300]),
    max_hours=st.sampled_from([1, 6, 24]),
)
@settings(max_examples=300, deadline=None)
def test_split_window_properties(start_us, length_s, align, max_hours):
    start = utc(2026, 1, 1).add(microseconds=start_us)
    whole = HarvestWindow(start, start.add(seconds=length_s))
    max_part = pendulum.duration(hours=max_hours)
    parts = split_window(whole, max_part=max_part, align_seconds=align)
    assert parts[0].start == whole.start and parts[-1].end == whole.end
    for before, after in zip(parts, parts[1:], strict=False):
        assert before.end == after.start  # no overlap, no gap
        assert after.start.microsecond == 0 and after.start.int_timestamp % align == 0  # aligned inner boundary
        assert before.end - before.start > max_part - pendulum.duration(seconds=align)  # as long as allowed
    assert all(p.start < p.end and p.end - p.start <= max_part for p in parts)
    if whole.end - whole.start <= max_part:
        assert parts == [whole]


# ----------------------------------------------------------------------------- output_manifest_key


@pytest.mark.parametrize(
    ("endpoint", "output", "expected"),
    [
        (None, "full", "nfl-wk12/index.m3u8"),
        ("clean-hls", "full", "nfl-wk12/clean-hls/index.m3u8"),
        (None, "part-02", "nfl-wk12/part-02/index.m3u8"),
        ("clean-hls", "part-02", "nfl-wk12/clean-hls/part-02/index.m3u8"),
        (None, "clip-opening-drive", "nfl-wk12/clips/opening-drive/index.m3u8"),
        ("world-hls", "clip-opening-drive", "nfl-wk12/world-hls/clips/opening-drive/index.m3u8"),
        (None, "part-100", "nfl-wk12/part-100/index.m3u8"),
    ],
)
def test_output_manifest_keys(endpoint, output, expected):
    assert output_manifest_key("nfl-wk12/index.m3u8", endpoint=endpoint, output=output) == expected


def test_output_manifest_keys_keep_deeper_prefixes_and_bare_names():
    key = "2026-11-26/nfl/wk12/master.m3u8"
    assert output_manifest_key(key, endpoint="e", output="part-01") == "2026-11-26/nfl/wk12/e/part-01/master.m3u8"
    assert output_manifest_key("index.m3u8", endpoint=None, output="full") == "index.m3u8"
    assert output_manifest_key("index.m3u8", endpoint=None, output="clip-a") == "clips/a/index.m3u8"


@pytest.mark.parametrize(
    ("key", "endpoint", "output", "words"),
    [
        ("a/index.m3u8", None, "whole", "unknown output"),
        ("a/index.m3u8", None, "part-1", "unknown output"),
        ("a/index.m3u8", None, "part-00", "unknown output"),
        ("a/index.m3u8", None, "clip-Bad", "unknown output"),
        ("a/index.m3u8", "a/b", "full", "not an origin endpoint id"),
        ("a/", None, "full", "names no manifest file"),
    ],
)
def test_bad_output_manifest_key_arguments(key, endpoint, output, words):
    with pytest.raises(ValueError, match=words):
        output_manifest_key(key, endpoint=endpoint, output=output)


# ----------------------------------------------------------------------------- plan_outputs


GAME = window(utc(2026, 11, 27, 1, 10), hours=3, minutes=50)
CLIPS = [
    ("opening-drive", window(utc(2026, 11, 27, 1, 17), minutes=7)),
    ("game-winning-fg", window(utc(2026, 11, 27, 4, 21), minutes=5)),
]


def test_a_single_endpoint_event_is_one_full_harvest_at_its_key():
    units = plan_outputs("game", ["demo-hls"], GAME, [], "game/index.m3u8")
    assert units == [EventOutput("full", "demo-hls", GAME, "game/index.m3u8")]


def test_two_endpoints_with_two_clips():
    units = plan_outputs("nfl", ["clean-hls", "world-hls"], GAME, CLIPS, "nfl-wk12/index.m3u8")
    assert [(u.origin_endpoint_id, u.output, u.manifest_key) for u in units] == [
        ("clean-hls", "full", "nfl-wk12/clean-hls/index.m3u8"),
        ("clean-hls", "clip-opening-drive", "nfl-wk12/clean-hls/clips/opening-drive/index.m3u8"),
        ("clean-hls", "clip-game-winning-fg", "nfl-wk12/clean-hls/clips/game-winning-fg/index.m3u8"),
        ("world-hls", "full", "nfl-wk12/world-hls/index.m3u8"),
        ("world-hls", "clip-opening-drive", "nfl-wk12/world-hls/clips/opening-drive/index.m3u8"),
        ("world-hls", "clip-game-winning-fg", "nfl-wk12/world-hls/clips/game-winning-fg/index.m3u8"),
    ]
    assert units[0].window == GAME and units[1].window == CLIPS[0][1]
    # Every unit is its own harvest job: distinct deterministic ids and distinct keys.
    assert len({harvest_job_id("nfl", u.origin_endpoint_id, u.window) for u in units}) == 6
    assert len({u.manifest_key for u in units}) == 6


def test_a_long_event_is_harvested_in_parts_then_clips():
    race = window(utc(2026, 10, 10, 12, 50), hours=30, minutes=30)
    clip = ("finish", window(utc(2026, 10, 11, 13, 0), minutes=10))
    units = plan_outputs("race", ["motorsport-hls"], race, [clip], "motorsport/race/index.m3u8")
    assert [(u.output, u.manifest_key) for u in units] == [
        ("part-01", "motorsport/race/part-01/index.m3u8"),
        ("part-02", "motorsport/race/part-02/index.m3u8"),
        ("clip-finish", "motorsport/race/clips/finish/index.m3u8"),
    ]
    assert_contiguous([u.window for u in units[:2]], race)


def test_a_long_multi_endpoint_event():
    units = plan_outputs("race", ["a", "b"], window(START, hours=50), [], "race/index.m3u8")
    assert [u.manifest_key for u in units] == [
        f"race/{endpoint}/part-0{i}/index.m3u8" for endpoint in ("a", "b") for i in (1, 2, 3)
    ]


@pytest.mark.parametrize(
    ("endpoints", "clips", "words"),
    [
        ([], [], "has no origin endpoint"),
        (["a", "a"], [], "more than once"),
        (["a"], [CLIPS[0], CLIPS[0]], "same name"),
        (["a"], [("early", window(utc(2026, 11, 27, 1, 0), minutes=20))], "not inside the event window"),
        (["a"], [("long", window(utc(2026, 11, 27, 1, 10), hours=25))], "longer than the 24-hour"),
        (["a"], [("all", GAME)], "same window"),
        (["a"], [CLIPS[0], ("again", CLIPS[0][1])], "same window"),
    ],
)
def test_plan_refuses_what_a_validated_entry_never_holds(endpoints, clips, words):
    with pytest.raises(ValueError, match=words) as caught:
        plan_outputs("nfl", endpoints, GAME, clips, "nfl/index.m3u8")
    assert "event 'nfl'" in str(caught.value)


def test_plan_refuses_keys_s3_would_refuse():
    with pytest.raises(ValueError, match="bytes of UTF-8"):
        plan_outputs("nfl", ["e" * 256, "f"], GAME, [], "x" * 800 + "/index.m3u8")


def test_the_example_schedule_plans_cleanly():
    text = (
        "timezone: America/New_York\n"
        "events:\n"
        "  - id: nfl-2026-wk12-buf-kc\n"
        "    endpoints: [demo-hls, demo-world-hls]\n"
        "    start: 2026-11-26 20:15\n"
        "    end: 2026-11-26 23:30\n"
        "    clips:\n"
        "      - {name: opening-drive, start: 2026-11-26 20:17, end: 2026-11-26 20:24}\n"
        "      - {name: game-winning-fg, start: 2026-11-26 23:21, end: 2026-11-26 23:26}\n"
    )
    (event,), errors = parse_schedule_text(text, "week.yaml")
    assert errors == []
    units = plan_outputs(event.event_id, event.endpoints, event.window, event.clip_windows, "nfl/index.m3u8")
    assert len(units) == 6
    assert all(not manifest_key_problems(u.manifest_key) for u in units)
