"""Late changes of an event's times: checking an operator's change, moving planned outputs to the
latest times, the extra time's harvest, and the schedule's revisions."""

from __future__ import annotations

import textwrap

import pendulum
import pytest

from live_to_vod.config import DeploymentConfig
from live_to_vod.event_requests import plan_from_params, plan_from_schedule
from live_to_vod.late_changes import (
    LateChangeError,
    TimesChange,
    check_times_change,
    extra_time_conf,
    latest_params,
    retarget,
    variable_key,
    window_fixed_message,
)
from live_to_vod.schedule import parse_schedule_text
from live_to_vod.timetables.season import SeasonScheduleTimetable
from live_to_vod.validation import InvalidParams, validate_harvest_request

ROLE = "arn:aws:iam::123456789012:role/mediapackage-harvest"
VOD_ROLE = "arn:aws:iam::123456789012:role/mediapackage-vod-read"
CONFIG = DeploymentConfig(
    s3_bucket="live-archive", harvest_role_arn=ROLE, packaging_group_id="vod-group", vod_source_role_arn=VOD_ROLE
)
NOW = pendulum.datetime(2026, 12, 5, 21, 30, tz="UTC")
CONF = {
    "event_id": "nba-lal-bos",
    "origin_endpoint_id": "ep-1",
    "start_time": "2026-12-05T19:30:00-05:00",
    "end_time": "2026-12-05T22:00:00-05:00",
}


def problems_of(exc: pytest.ExceptionInfo[InvalidParams]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_an_extended_end_is_checked_like_the_trigger_form_and_reads_as_a_note():
    change, before, after = check_times_change(
        {"end_time": "2026-12-05T22:40:00-05:00", "reason": "overtime"}, CONF, None, CONFIG, NOW, changed_by="ops"
    )
    assert before.window.end == pendulum.datetime(2026, 12, 6, 3, tz="UTC")
    assert after.window.end == pendulum.datetime(2026, 12, 6, 3, 40, tz="UTC")
    assert after.window.start == before.window.start
    assert change.start_time is None and change.changed_by == "ops"
    note = change.describe(before.window, after.window)
    assert "(overtime) by ops" in note and "end 2026-12-06T03:00:00Z -> 2026-12-06T03:40:00Z" in note
    assert latest_params(CONF, change.to_dict())["end_time"] == "2026-12-05T22:40:00-05:00"


def test_a_second_change_keeps_the_first_ones_other_time():
    first, _, _ = check_times_change(
        {"start_time": "2026-12-05T19:45:00-05:00"}, CONF, None, CONFIG, NOW, changed_by="ops"
    )
    second, before, after = check_times_change(
        {"end_time": "2026-12-05T22:30:00-05:00"}, CONF, first.to_dict(), CONFIG, NOW, changed_by="ops"
    )
    assert before.window.start == after.window.start == pendulum.datetime(2026, 12, 6, 0, 45, tz="UTC")
    assert second.start_time == "2026-12-05T19:45:00-05:00" and second.end_time == "2026-12-05T22:30:00-05:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end_time": "2026-12-05 22:40"}, "end_time"),  # no offset
        ({"end_time": "2026-12-05T19:00:00-05:00"}, "end_time"),  # before the start
        ({"start_time": "2026-12-05T23:00:00-05:00"}, "end_time"),  # start after the end
        ({"end_time": "2026-12-06T22:00:00-05:00"}, "end_time"),  # past the 24 h limit
        ({}, "end_time"),
        ({"end_time": "2026-12-05T22:40:00-05:00", "origin_endpoint_id": "other"}, "origin_endpoint_id"),
        ({"end_time": "2026-12-05T22:40:00-05:00", "reason": 7}, "reason"),
        ("22:40", "body"),
    ],
)
def test_a_bad_change_names_its_field(body, field):
    with pytest.raises(InvalidParams) as exc:
        check_times_change(body, CONF, None, CONFIG, NOW, changed_by="ops")
    assert any(p.startswith(f"{field}:") for p in problems_of(exc)), problems_of(exc)


def unit(**extra):
    planned = plan_from_params(CONF, CONFIG, NOW)[0]
    return {**planned, "time_delay_seconds": 30, "ready_at": "x", "startover_seconds": 86400, **extra}


def test_retarget_moves_a_whole_event_output_and_the_times_that_follow_from_it():
    latest = plan_from_params({**CONF, "end_time": "2026-12-05T22:40:00-05:00"}, CONFIG, NOW)
    moved = retarget(unit(), latest, end_margin_seconds=60, now=NOW)
    assert moved["end_time"] == pendulum.datetime(2026, 12, 6, 3, 40, tz="UTC").isoformat()
    assert moved["ready_at"] == "2026-12-06T03:41:30Z"  # end + the endpoint's 30 s delay + the 60 s margin
    assert moved["content_expires_at"] == "2026-12-07T00:30:00Z"  # start + a day of startover
    assert moved["planned_window"] == [unit()["start_time"], unit()["end_time"]]


def test_retarget_leaves_an_unchanged_output_alone():
    same = retarget(unit(), plan_from_params(CONF, CONFIG, NOW), end_margin_seconds=60, now=NOW)
    assert same == unit()


def test_a_v2_output_moved_later_is_made_shortly_before_its_new_end():
    conf = {k: v for k, v in CONF.items() if k != "origin_endpoint_id"}
    conf.update(channel_group="g", channel="c", origin_endpoint="e")
    planned = {**plan_from_params(conf, CONFIG, NOW)[0], "ready_at": "x"}
    latest = plan_from_params({**conf, "end_time": "2026-12-05T22:40:00-05:00"}, CONFIG, NOW)
    moved = retarget(planned, latest, end_margin_seconds=60, now=NOW)
    assert pendulum.parse(moved["ready_at"]) < pendulum.parse(moved["end_time"])  # a real-time harvest


def test_a_clip_keeps_its_times_and_a_missing_output_cannot_be_taken():
    clip = {**unit(), "output": "clip-opening"}
    latest = [{**unit(), "output": "clip-opening", "end_time": "2026-12-06T04:00:00+00:00"}]
    assert retarget(clip, latest, end_margin_seconds=60, now=NOW) == clip
    with pytest.raises(LateChangeError, match="start a new harvest"):
        retarget(unit(), [{**unit(), "output": "part-01"}], end_margin_seconds=60, now=NOW)


def test_the_extra_time_is_an_ad_hoc_harvest_beside_the_first_asset():
    harvested = plan_from_params(CONF, CONFIG, NOW)[0]
    new_end = pendulum.datetime(2026, 12, 6, 3, 25, tz="UTC")
    conf = extra_time_conf(harvested, new_end, playable_within_minutes=20)
    request = validate_harvest_request(conf, CONFIG, NOW)  # a valid trigger conf
    assert request.window.start == pendulum.datetime(2026, 12, 6, 3, tz="UTC") and request.window.end == new_end
    assert request.manifest_key == f"{harvested['manifest_key'].rsplit('/', 1)[0]}/extra-20261206T032500/index.m3u8"
    assert request.origin_endpoint_id == "ep-1" and request.packaging_group_id == "vod-group"
    assert conf["playable_within_minutes"] == 20
    with pytest.raises(InvalidParams, match="not after the harvested end"):
        extra_time_conf(harvested, pendulum.datetime(2026, 12, 6, 2, tz="UTC"))


def test_the_fixed_window_message_says_what_was_harvested_and_how_to_harvest_the_rest():
    harvested = plan_from_params(CONF, CONFIG, NOW)
    message = window_fixed_message(harvested, pendulum.datetime(2026, 12, 6, 3, 25, tz="UTC"))
    assert "the harvested window is fixed" in message and "full: 2026-12-06T00:30:00+00:00" in message
    assert "now ends at 2026-12-06T03:25:00Z" in message and "/extra-time" in message
    assert variable_key("live_event_harvest", "manual__g1") == "live_to_vod_times__live_event_harvest__manual__g1"
    assert TimesChange.from_dict(TimesChange("a", None, "r", "u", "t").to_dict()).start_time == "a"


SEASON = """
timezone: America/New_York
events:
  - id: nba-lal-bos
    endpoint: ep-1
    start: 2026-12-05 19:30
    end: 2026-12-05 22:00
    padding_after: 5m
{revision}
"""


def scheduled(revision: str = ""):
    events, errors = parse_schedule_text(textwrap.dedent(SEASON.format(revision=revision)), "season.yaml")
    return events, [str(e) for e in errors]


def test_a_revised_end_is_harvested_while_the_run_keeps_its_slot():
    (event,), errors = scheduled("    revised_end: 2026-12-05 22:35")
    assert errors == []
    assert event.revised and event.end == pendulum.datetime(2026, 12, 6, 3, 40, tz="UTC")  # padded
    assert event.slot_end == pendulum.datetime(2026, 12, 6, 3, 5, tz="UTC")
    (unrevised,), _ = scheduled()
    timetable = SeasonScheduleTimetable([(e.event_id, e.slot_start, e.slot_end) for e in [event]])
    before = SeasonScheduleTimetable([(e.event_id, e.slot_start, e.slot_end) for e in [unrevised]])
    assert timetable.serialize() == before.serialize()  # the run is where it was: no second run
    units = plan_from_schedule(event, CONFIG, NOW)
    assert units[0]["end_time"] == event.end.isoformat()
    assert event.to_dict()["slot_end"] == event.slot_end.isoformat()


@pytest.mark.parametrize(
    ("revision", "field"),
    [
        ("    revised_end: 2026-12-05 19:00", "revised_end"),
        ("    revised_start: 2026-12-05 23:00", "revised_start"),
        ("    revised_end: soon", "revised_end"),
    ],
)
def test_a_bad_revision_is_refused_naming_its_field(revision, field):
    events, errors = scheduled(revision)
    assert events == [] and any(f"nba-lal-bos: {field}:" in e for e in errors), errors
