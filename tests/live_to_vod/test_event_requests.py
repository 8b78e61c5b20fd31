"""Tests for live_to_vod.event_requests: a run's event (trigger conf or schedule entry) -> the validated
requests of its outputs, as ``validate`` returns them and the mapped harvest group takes them."""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pendulum
import pytest

from live_to_vod.config import DeploymentConfig
from live_to_vod.event_requests import plan_from_params, plan_from_schedule
from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.limits import MAX_HARVEST_DURATION
from live_to_vod.naming import harvest_job_id
from live_to_vod.schedule import ScheduledEvent, parse_schedule_text
from live_to_vod.validation import InvalidParams

ROLE = "arn:aws:iam::123456789012:role/mediapackage-harvest"
VOD_ROLE = "arn:aws:iam::123456789012:role/mediapackage-vod-read"
CONFIG = DeploymentConfig(
    s3_bucket="live-archive", harvest_role_arn=ROLE, packaging_group_id="vod-group", vod_source_role_arn=VOD_ROLE
)
NOW = pendulum.datetime(2026, 11, 28, 12, tz="UTC")
REQUEST_KEYS = set(HarvestRequest.__dataclass_fields__) - {"window"} | {"start_time", "end_time"}


def utc(text: str) -> pendulum.DateTime:
    return pendulum.parse(text).in_timezone("UTC")


def event(text: str) -> ScheduledEvent:
    events, errors = parse_schedule_text(textwrap.dedent(text), "season.yaml")
    assert errors == [], [str(e) for e in errors]
    (only,) = events
    return only


def summary(units: list[dict]) -> list[tuple[str, str, str, str, str]]:
    return [(u["output"], u["origin_endpoint_id"], u["manifest_key"], u["start_time"], u["end_time"]) for u in units]


def assert_requests(units: list[dict]) -> None:
    """Each unit is a request's dict plus its output, JSON-safe, and is taken back as a request."""
    for unit in units:
        assert set(unit) == REQUEST_KEYS | {"output"}, unit
        assert json.loads(json.dumps(unit)) == unit
        request = HarvestRequest.from_dict(unit)
        assert {**request.to_dict(), "output": unit["output"]} == unit
        assert request.window.end - request.window.start <= MAX_HARVEST_DURATION
    job_ids = [
        harvest_job_id(u["event_id"], u["origin_endpoint_id"], HarvestRequest.from_dict(u).window) for u in units
    ]
    assert len(set(job_ids)) == len(units), "two outputs would share a harvest job"
    keys = [(u["s3_bucket"], u["manifest_key"]) for u in units]
    assert len(set(keys)) == len(units), "two outputs would land at the same manifest"


# --------------------------------------------------------------------------- manual runs


def test_a_manual_run_is_one_output_the_whole_window():
    params = {
        "event_id": "thanksgiving-game",
        "origin_endpoint_id": "nfl-hls-clear",
        "start_time": "2026-11-26T19:00:00-05:00",
        "end_time": "2026-11-26T22:30:00-05:00",
        "s3_bucket": None,  # an empty form field: the deployment default
    }

    (unit,) = plan_from_params(params, CONFIG, NOW)

    assert unit == {
        "event_id": "thanksgiving-game",
        "origin_endpoint_id": "nfl-hls-clear",
        "start_time": "2026-11-27T00:00:00+00:00",
        "end_time": "2026-11-27T03:30:00+00:00",
        "s3_bucket": "live-archive",
        "manifest_key": "thanksgiving-game/index.m3u8",
        "role_arn": ROLE,
        "packaging_group_id": "vod-group",
        "vod_source_role_arn": VOD_ROLE,
        "verify_segments": "auto",  # not asked for: auto
        "v2_endpoint": None,
        "manifests": [],
        "harvested_manifests": None,
        "container_type": None,
        "mediaconvert": [],  # the deployment asks for no MediaConvert job
        "mediaconvert_role_arn": None,
        "mediaconvert_template": "broadcast_proxy.json",
        "thumbnail_interval_seconds": 10,
        "output": "full",
    }
    assert_requests([unit])


def test_a_manual_run_carries_its_verify_segments():
    params = {
        "event_id": "thanksgiving-game",
        "origin_endpoint_id": "nfl-hls-clear",
        "start_time": "2026-11-26T19:00:00-05:00",
        "end_time": "2026-11-26T22:30:00-05:00",
        "verify_segments": "full",
    }

    (unit,) = plan_from_params(params, CONFIG, NOW)

    assert unit["verify_segments"] == "full"
    with pytest.raises(InvalidParams, match="verify_segments: must be one of auto, sampled, full, got 'everything'"):
        plan_from_params({**params, "verify_segments": "everything"}, CONFIG, NOW)


def test_a_manual_run_without_its_event_fields_names_each_of_them():
    # The params default to None (scheduled runs carry no conf), so a bare trigger reaches validate.
    with pytest.raises(InvalidParams) as caught:
        plan_from_params(dict.fromkeys(("event_id", "origin_endpoint_id", "start_time", "end_time")), CONFIG, NOW)

    assert caught.value.fields == ("event_id", "origin_endpoint_id", "start_time", "end_time")
    assert all("is required" in p.message for p in caught.value.problems)


def test_a_manual_run_longer_than_24_hours_is_refused_not_split():
    params = {
        "event_id": "race",
        "origin_endpoint_id": "motorsport-hls",
        "start_time": "2026-11-25T09:00:00Z",
        "end_time": "2026-11-26T15:00:00Z",
    }
    with pytest.raises(InvalidParams) as caught:
        plan_from_params(params, CONFIG, NOW)

    assert caught.value.fields == ("end_time",)
    assert "24-hour harvest limit" in str(caught.value)


# --------------------------------------------------------------------------- scheduled events

TWO_FEEDS_TWO_CLIPS = """
    timezone: America/New_York
    defaults: {padding_before: 5m, padding_after: 15m}
    events:
      - id: nfl-wk12
        endpoints: [clean-hls, world-hls]
        start: 2026-11-26 20:15
        end: 2026-11-26 23:30
        padding_after: 30m
        clips:
          - {name: opening-drive, start: 2026-11-26 20:17, end: 2026-11-26 20:24}
          - {name: game-winning-fg, start: 2026-11-26 23:21, end: 2026-11-26 23:26}
"""


def test_two_endpoints_and_two_clips_are_six_outputs_in_the_documented_folders():
    units = plan_from_schedule(event(TWO_FEEDS_TWO_CLIPS), CONFIG, NOW)

    whole = ("2026-11-27T01:10:00+00:00", "2026-11-27T05:00:00+00:00")  # padded: 5 min before, 30 after
    opening = ("2026-11-27T01:17:00+00:00", "2026-11-27T01:24:00+00:00")  # clips are not padded
    winning = ("2026-11-27T04:21:00+00:00", "2026-11-27T04:26:00+00:00")
    # harvest_plan's convention, several endpoints: <prefix>/<endpoint>/[clips/<name>/]<file>.
    assert summary(units) == [
        ("full", "clean-hls", "nfl-wk12/clean-hls/index.m3u8", *whole),
        ("clip-opening-drive", "clean-hls", "nfl-wk12/clean-hls/clips/opening-drive/index.m3u8", *opening),
        ("clip-game-winning-fg", "clean-hls", "nfl-wk12/clean-hls/clips/game-winning-fg/index.m3u8", *winning),
        ("full", "world-hls", "nfl-wk12/world-hls/index.m3u8", *whole),
        ("clip-opening-drive", "world-hls", "nfl-wk12/world-hls/clips/opening-drive/index.m3u8", *opening),
        ("clip-game-winning-fg", "world-hls", "nfl-wk12/world-hls/clips/game-winning-fg/index.m3u8", *winning),
    ]
    for unit in units:
        assert (unit["event_id"], unit["s3_bucket"], unit["role_arn"]) == ("nfl-wk12", "live-archive", ROLE)
        assert (unit["packaging_group_id"], unit["vod_source_role_arn"]) == ("vod-group", VOD_ROLE)
    assert_requests(units)


def test_every_output_of_a_scheduled_event_is_verified_as_its_entry_says():
    entry = TWO_FEEDS_TWO_CLIPS.replace("padding_after: 30m", "padding_after: 30m\n        verify_segments: full")
    assert "verify_segments: full" in entry
    units = plan_from_schedule(event(entry), CONFIG, NOW)

    assert [u["verify_segments"] for u in units] == ["full"] * 6
    assert_requests(units)
    assert {u["verify_segments"] for u in plan_from_schedule(event(TWO_FEEDS_TWO_CLIPS), CONFIG, NOW)} == {"auto"}


def test_one_endpoint_without_clips_lands_where_a_manual_run_would():
    scheduled = event(
        """
        events:
          - {id: game, endpoint: east-hls, start: "2026-11-26T19:00:00-05:00", end: "2026-11-26T22:30:00-05:00"}
        """
    )
    manual = {
        "event_id": "game",
        "origin_endpoint_id": "east-hls",
        "start_time": "2026-11-26T19:00:00-05:00",
        "end_time": "2026-11-26T22:30:00-05:00",
    }

    assert plan_from_schedule(scheduled, CONFIG, NOW) == plan_from_params(manual, CONFIG, NOW)


def test_a_30_hour_event_is_harvested_in_parts_of_at_most_24_hours():
    race = event(
        """
        timezone: America/New_York
        events:
          - id: endurance-24h
            endpoint: motorsport-hls
            start: 2026-10-10 09:00
            end: 2026-10-11 15:00
            padding_before: 10m
            padding_after: 20m
            clips:
              - {name: start, start: 2026-10-10 09:00, end: 2026-10-10 09:15}
        """
    )

    units = plan_from_schedule(race, CONFIG, NOW)

    # 12:50Z to 19:20Z the next day: 30 h 30 min, split on a whole minute 24 h in; no "full".
    ep, start, split, end = (
        "motorsport-hls",
        "2026-10-10T12:50:00+00:00",
        "2026-10-11T12:50:00+00:00",
        "2026-10-11T19:20:00+00:00",
    )
    assert summary(units) == [
        ("part-01", ep, "endurance-24h/part-01/index.m3u8", start, split),
        ("part-02", ep, "endurance-24h/part-02/index.m3u8", split, end),
        (
            "clip-start",
            ep,
            "endurance-24h/clips/start/index.m3u8",
            "2026-10-10T13:00:00+00:00",
            "2026-10-10T13:15:00+00:00",
        ),
    ]
    assert_requests(units)


def test_a_long_event_on_two_endpoints_has_parts_per_endpoint():
    race = event(
        """
        events:
          - {id: race, endpoints: [a-hls, b-hls], start: "2026-10-10T00:00:00Z", end: "2026-10-11T06:00:00Z"}
        """
    )

    units = plan_from_schedule(race, CONFIG, NOW)

    assert [(u["output"], u["manifest_key"]) for u in units] == [
        ("part-01", "race/a-hls/part-01/index.m3u8"),
        ("part-02", "race/a-hls/part-02/index.m3u8"),
        ("part-01", "race/b-hls/part-01/index.m3u8"),
        ("part-02", "race/b-hls/part-02/index.m3u8"),
    ]
    assert_requests(units)


def test_the_entry_s_destination_overrides_the_file_s_and_the_deployment_s():
    game = event(
        """
        defaults:
          destination: {s3_bucket: season-archive, role_arn: "arn:aws:iam::123456789012:role/season-writer"}
        events:
          - id: game
            endpoint: east-hls
            start: "2026-11-26T19:00:00-05:00"
            end: "2026-11-26T22:30:00-05:00"
            destination:
              s3_bucket: playoffs-archive
              manifest_key: "playoffs/{date}/{event_id}/master.m3u8"
              packaging_group_id: ""
            clips:
              - {name: kickoff, start: "2026-11-26T19:00:00-05:00", end: "2026-11-26T19:05:00-05:00"}
        """
    )

    units = plan_from_schedule(game, CONFIG, NOW)

    assert [u["manifest_key"] for u in units] == [
        "playoffs/2026-11-27/game/master.m3u8",  # {date} of the (UTC) start
        "playoffs/2026-11-27/game/clips/kickoff/master.m3u8",  # the template's file name too
    ]
    for unit in units:
        assert unit["s3_bucket"] == "playoffs-archive"  # the entry's, over the file's default
        assert unit["role_arn"] == "arn:aws:iam::123456789012:role/season-writer"  # the file's, over the deployment's
        assert unit["packaging_group_id"] is None  # "": no hand-off, whatever the deployment default
    assert_requests(units)


def test_a_template_naming_the_endpoint_gives_each_endpoint_its_own_prefix():
    game = event(
        """
        events:
          - id: game
            endpoints: [clean-hls, world-hls]
            start: "2026-11-26T19:00:00-05:00"
            end: "2026-11-26T22:30:00-05:00"
            destination: {manifest_key: "{origin_endpoint_id}/{event_id}/index.m3u8"}
            clips:
              - {name: kickoff, start: "2026-11-26T19:00:00-05:00", end: "2026-11-26T19:05:00-05:00"}
        """
    )

    units = plan_from_schedule(game, CONFIG, NOW)

    for unit in units:
        endpoint = unit["origin_endpoint_id"]
        assert unit["manifest_key"].startswith(f"{endpoint}/game/"), unit
    assert_requests(units)


def test_problems_of_every_endpoint_are_reported_together():
    game = event(TWO_FEEDS_TWO_CLIPS)
    # Past what a schedule entry allows (the schedule checks rendered keys): a key only the long endpoint breaks.
    long_endpoint = "w" * 250
    broken = dataclasses.replace(
        game,
        endpoints=("clean-hls", long_endpoint),
        destination={"manifest_key": "{origin_endpoint_id}/" * 5 + "index.m3u8"},
    )
    no_defaults = DeploymentConfig()  # no bucket, no role

    with pytest.raises(InvalidParams) as caught:
        plan_from_schedule(broken, no_defaults, NOW)

    problems = caught.value.problems
    assert set(caught.value.fields) == {"s3_bucket", "role_arn", "manifest_key"}
    (key_problem,) = [p for p in problems if p.field == "manifest_key"]
    assert "1024" in key_problem.message  # the long endpoint's key; the short one's is fine
    assert "LIVE_TO_VOD_S3_BUCKET" in str(caught.value) and "LIVE_TO_VOD_HARVEST_ROLE_ARN" in str(caught.value)


def test_a_problem_every_endpoint_shares_is_reported_once():
    with pytest.raises(InvalidParams) as caught:
        plan_from_schedule(event(TWO_FEEDS_TWO_CLIPS), DeploymentConfig(), NOW)

    lines = str(caught.value).splitlines()
    assert len(lines) == len(set(lines)) == 2, lines


def test_an_output_key_past_s3_s_limit_is_refused_naming_manifest_key():
    """Clips add folders to the template's key: a template that fits for the event but not for
    its clips is refused when the run plans (InvalidParams: fail now, no retries), not at AWS."""
    config = dataclasses.replace(CONFIG, manifest_key_template="a" * 1000 + "/{event_id}/index.m3u8")
    clipped = event(
        """
        timezone: UTC
        events:
          - id: g1
            start: 2026-11-27T19:00:00Z
            end: 2026-11-27T22:00:00Z
            endpoints: [ep-1]
            clips:
              - name: highlight-one
                start: 2026-11-27T19:10:00Z
                end: 2026-11-27T19:20:00Z
        """
    )
    with pytest.raises(InvalidParams) as refused:
        plan_from_schedule(clipped, config, NOW)
    assert refused.value.fields == ("manifest_key",)
    assert "1034 bytes" in str(refused.value)


MEDIACONVERT_ROLE = "arn:aws:iam::123456789012:role/mediaconvert"


def test_mediaconvert_outputs_per_event_and_per_clip():
    """The file's defaults ask for MP4s of every output; one clip wants its thumbnails too, the
    other nothing: each output's request says what its MediaConvert job makes."""
    entry = (
        TWO_FEEDS_TWO_CLIPS.replace(
            "defaults: {padding_before: 5m, padding_after: 15m}",
            "defaults: {padding_before: 5m, padding_after: 15m, mediaconvert: [mp4], thumbnail_interval_seconds: 15}",
        )
        .replace(
            "- {name: opening-drive, start: 2026-11-26 20:17, end: 2026-11-26 20:24}",
            "- {name: opening-drive, start: 2026-11-26 20:17, end: 2026-11-26 20:24, mediaconvert: [thumbnails, mp4]}",
        )
        .replace(
            "- {name: game-winning-fg, start: 2026-11-26 23:21, end: 2026-11-26 23:26}",
            "- {name: game-winning-fg, start: 2026-11-26 23:21, end: 2026-11-26 23:26, mediaconvert: []}",
        )
    )
    config = dataclasses.replace(CONFIG, mediaconvert_role_arn=MEDIACONVERT_ROLE)
    units = plan_from_schedule(event(entry), config, NOW)

    by_output = {(u["origin_endpoint_id"], u["output"]): u for u in units}
    for endpoint in ("clean-hls", "world-hls"):
        assert by_output[(endpoint, "full")]["mediaconvert"] == ["mp4"]
        assert by_output[(endpoint, "clip-opening-drive")]["mediaconvert"] == ["mp4", "thumbnails"]
        assert by_output[(endpoint, "clip-game-winning-fg")]["mediaconvert"] == []
    assert {u["thumbnail_interval_seconds"] for u in units} == {15}
    assert {u["mediaconvert_role_arn"] for u in units if u["mediaconvert"]} == {MEDIACONVERT_ROLE}
    assert_requests(units)

    # Without the role, the outputs that ask for MediaConvert are refused, naming the field.
    with pytest.raises(InvalidParams) as raised:
        plan_from_schedule(event(entry), CONFIG, NOW)
    assert raised.value.fields == ("mediaconvert",)
    assert "LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN" in str(raised.value)


def test_a_schedule_entry_with_bad_mediaconvert_fields_is_refused_naming_them():
    text = TWO_FEEDS_TWO_CLIPS.replace(
        "padding_after: 30m",
        "padding_after: 30m\n        mediaconvert: [mp3]\n        thumbnail_interval_seconds: 0",
    ).replace(
        "- {name: opening-drive, start: 2026-11-26 20:17, end: 2026-11-26 20:24}",
        "- {name: opening-drive, start: 2026-11-26 20:17, end: 2026-11-26 20:24, mediaconvert: mp4}",
    )
    events, errors = parse_schedule_text(textwrap.dedent(text), "season.yaml")
    assert events == []
    fields = {e.field for e in errors}
    assert fields == {"mediaconvert", "thumbnail_interval_seconds", "clips[opening-drive].mediaconvert"}, errors
