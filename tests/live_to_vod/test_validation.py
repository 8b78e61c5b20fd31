"""Tests for live_to_vod.validation: params of one harvest run -> HarvestRequest."""

from __future__ import annotations

import dataclasses
import pickle

import pendulum
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from live_to_vod.config import DeploymentConfig
from live_to_vod.harvest_request import AssetToVerify, HarvestRequest, HarvestWindow
from live_to_vod.text import type_name
from live_to_vod.validation import (
    KNOWN_FIELDS,
    REVERIFY_FIELDS,
    V2_SOURCE_FIELDS,
    FieldProblem,
    InvalidParams,
    parse_time,
    validate_harvest_request,
    validate_reverify_request,
)

ROLE = "arn:aws:iam::123456789012:role/mediapackage-harvest"
VOD_ROLE = "arn:aws:iam::123456789012:role/mediapackage-vod-read"
CONFIG = DeploymentConfig(s3_bucket="live-archive", harvest_role_arn=ROLE)
NOW = pendulum.datetime(2026, 11, 27, 12, 0, 0, tz="UTC")


def params(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": "thanksgiving-game",
        "origin_endpoint_id": "nfl-hls-clear",
        "start_time": "2026-11-26T19:00:00-05:00",
        "end_time": "2026-11-26T22:30:00-05:00",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def problems_of(p: dict[str, object], config: DeploymentConfig = CONFIG, now=NOW) -> list[FieldProblem]:
    with pytest.raises(InvalidParams) as caught:
        validate_harvest_request(p, config, now)
    return list(caught.value.problems)


def only_problem(p: dict[str, object], field: str, config: DeploymentConfig = CONFIG, now=NOW) -> str:
    problems = problems_of(p, config, now)
    assert [x.field for x in problems] == [field], problems
    return problems[0].message


# ----------------------------------------------------------------------------- the happy path


def test_valid_params_give_a_request_with_config_defaults():
    request = validate_harvest_request(params(), CONFIG, NOW)
    assert request.event_id == "thanksgiving-game"
    assert request.origin_endpoint_id == "nfl-hls-clear"
    assert request.window.start == pendulum.datetime(2026, 11, 27, 0, 0, 0)
    assert request.window.end == pendulum.datetime(2026, 11, 27, 3, 30, 0)
    assert request.window.start.timezone_name == "UTC"
    assert request.s3_bucket == "live-archive"
    assert request.manifest_key == "thanksgiving-game/index.m3u8"
    assert request.role_arn == ROLE
    assert request.packaging_group_id is None and request.vod_source_role_arn is None
    assert request.asset_uri == "s3://live-archive/thanksgiving-game/index.m3u8"
    assert request.asset_arn("aws") == "arn:aws:s3:::live-archive/thanksgiving-game/index.m3u8"


def test_params_override_config_and_unknown_keys_are_ignored():
    request = validate_harvest_request(
        params(
            s3_bucket="other-bucket",
            manifest_key="events/{event_id}/master.m3u8",
            role_arn="arn:aws:iam::210987654321:role/path/to/role",
            dag_run_id="manual__2026",  # Airflow's own keys
            **{"conf": {"nested": [1, 2]}, "42": object()},
        ),
        CONFIG,
        NOW,
    )
    assert request.s3_bucket == "other-bucket"
    assert request.manifest_key == "events/thanksgiving-game/master.m3u8"
    assert request.role_arn == "arn:aws:iam::210987654321:role/path/to/role"


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_optional_params_fall_back_to_config(empty):
    request = validate_harvest_request(params(s3_bucket=empty, manifest_key=empty, role_arn=empty), CONFIG, NOW)
    assert (request.s3_bucket, request.manifest_key, request.role_arn) == (
        "live-archive",
        "thanksgiving-game/index.m3u8",
        ROLE,
    )


def test_to_dict_is_json_safe_and_round_trips():
    import json

    config = DeploymentConfig(
        s3_bucket="live-archive", harvest_role_arn=ROLE, packaging_group_id="pg", vod_source_role_arn=VOD_ROLE
    )
    request = validate_harvest_request(params(end_time="2026-11-26T22:30:00.25-05:00"), config, NOW)
    data = json.loads(json.dumps(request.to_dict()))
    assert data["start_time"] == "2026-11-27T00:00:00+00:00"
    assert HarvestRequest.from_dict(data) == request
    assert data["packaging_group_id"] == "pg" and data["vod_source_role_arn"] == VOD_ROLE


# ----------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T19:00:00-05:00", pendulum.datetime(2026, 11, 27, 0, 0, 0)),
        ("2026-11-27T00:00:00Z", pendulum.datetime(2026, 11, 27, 0, 0, 0)),
        ("2026-11-27t00:00:00z", pendulum.datetime(2026, 11, 27, 0, 0, 0)),
        ("2026-11-27 00:00:00+00:00", pendulum.datetime(2026, 11, 27, 0, 0, 0)),
        ("2026-11-27T05:30:00+0530", pendulum.datetime(2026, 11, 27, 0, 0, 0)),
        ("2026-11-26T19:00-05:00", pendulum.datetime(2026, 11, 27, 0, 0, 0)),
        ("2026-11-27T00:00:00.5Z", pendulum.datetime(2026, 11, 27, 0, 0, 0, 500000)),
        ("2026-11-27T00:00:00.123456789Z", pendulum.datetime(2026, 11, 27, 0, 0, 0, 123456)),
    ],
)
def test_parse_time_accepts_iso_8601_with_offset(text, expected):
    parsed = parse_time("start_time", text)
    assert parsed == expected
    assert parsed.utcoffset().total_seconds() == 0


def test_parse_time_refuses_naive_times_with_a_how_to():
    with pytest.raises(InvalidParams) as caught:
        parse_time("start_time", "2026-11-26T19:00:00")
    assert str(caught.value) == (
        "start_time: '2026-11-26T19:00:00' has no UTC offset; write it like 2026-11-26T19:00:00-05:00"
    )


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-26",  # date only
        "1795806000",  # epoch seconds: not ISO 8601
        "P1D",
        "2026-W48-4T19:00:00Z",
        "2026-02-30T19:00:00Z",  # no such day
        "2026-11-26T25:00:00Z",
        "2026-11-26T19:00:00+25:00",
        "9999-12-31T23:00:00-05:00",  # past year 9999 in UTC
        " 2026-11-26T19:00:00Z",
        "2026-11-26T19:00:00Z\n",
        "next thursday",
        pytest.param("x" * 1_000_000, id="huge"),
        "",
        5,
        None,
        1795806000.0,
        ["2026-11-26T19:00:00Z"],
    ],
)
def test_parse_time_refuses_everything_else(value):
    with pytest.raises(InvalidParams) as caught:
        parse_time("end_time", value)
    assert [p.field for p in caught.value.problems] == ["end_time"]
    assert len(str(caught.value)) < 300


def test_harvest_times_are_utc_z_seconds_precision():
    window = HarvestWindow(parse_time("s", "2026-11-26T19:00:00-05:00"), parse_time("e", "2026-11-26T20:00:00-05:00"))
    assert window.harvest_times() == ("2026-11-27T00:00:00Z", "2026-11-27T01:00:00Z")


@pytest.mark.parametrize("microsecond", [500000, 1000, 7])
def test_harvest_times_widen_a_fraction_to_whole_seconds(microsecond):
    """A harvest is segment-accurate: the job asks for the whole seconds around the window (the
    window itself, exact, is what a MediaConvert clip cuts to)."""
    start = pendulum.datetime(2026, 11, 27, 0, 0, 0, microsecond)
    window = HarvestWindow(start, pendulum.datetime(2026, 11, 27, 1, 0, 0, microsecond))
    assert window.harvest_times() == ("2026-11-27T00:00:00Z", "2026-11-27T01:00:01Z")
    assert window.start == start  # the request keeps its instants


def test_window_normalizes_to_utc_and_refuses_naive():
    start = pendulum.datetime(2026, 11, 26, 19, tz="America/New_York")
    window = HarvestWindow(start, start.add(hours=1))
    assert window.start.timezone_name == "UTC" and window.start == start
    with pytest.raises(ValueError, match="timezone-aware"):
        HarvestWindow(pendulum.naive(2026, 11, 26), pendulum.datetime(2026, 11, 27))


def test_ready_at_and_duration():
    window = HarvestWindow(pendulum.datetime(2026, 11, 27), pendulum.datetime(2026, 11, 27, 3, 30))
    assert window.duration == pendulum.duration(hours=3, minutes=30)
    assert isinstance(window.duration, pendulum.Duration)
    assert window.ready_at(time_delay_seconds=30, margin_seconds=60) == pendulum.datetime(2026, 11, 27, 3, 31, 30)


def test_exactly_24_hours_is_accepted():
    request = validate_harvest_request(
        params(start_time="2026-11-26T00:00:00Z", end_time="2026-11-27T00:00:00Z"), CONFIG, NOW
    )
    assert request.window.duration == pendulum.duration(hours=24)


def test_24_hours_and_a_second_is_refused():
    message = only_problem(params(start_time="2026-11-26T00:00:00Z", end_time="2026-11-27T00:00:01Z"), "end_time")
    assert message == "the window is 1 d 1 s long, longer than the 24-hour harvest limit"


def test_24_hours_and_a_millisecond_is_refused():
    message = only_problem(params(start_time="2026-11-26T00:00:00Z", end_time="2026-11-27T00:00:00.001Z"), "end_time")
    assert "longer than the 24-hour harvest limit" in message


def test_end_equal_to_start_is_refused():
    message = only_problem(params(end_time="2026-11-26T19:00:00-05:00"), "end_time")
    assert message == "ends at 2026-11-27T00:00:00Z, which is not after the start 2026-11-27T00:00:00Z (times in UTC)"


def test_end_before_start_is_refused_even_when_written_with_a_later_wall_clock():
    # 20:00 in New York is 01:00Z; 02:00 in Paris (+01:00) is 01:00Z too, so 01:30+01:00 ends before it starts.
    message = only_problem(
        params(start_time="2026-11-26T20:00:00-05:00", end_time="2026-11-27T01:30:00+01:00"), "end_time"
    )
    assert "not after the start" in message


def test_dst_fall_back_night_gives_the_right_utc_duration():
    # US fall-back on 2026-11-01: 01:30 EDT (-04:00) and 01:30 EST (-05:00) are an hour apart.
    request = validate_harvest_request(
        params(start_time="2026-11-01T01:30:00-04:00", end_time="2026-11-01T01:30:00-05:00"),
        CONFIG,
        pendulum.datetime(2026, 11, 1, 12),
    )
    assert request.window.duration == pendulum.duration(hours=1)
    assert request.window.harvest_times() == ("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z")


def test_dst_offsets_decide_the_24_hour_limit():
    # Wall clock says 23 h, but across fall-back it is 24 h: accepted; across spring-forward wall 25 h = 24 h.
    ok = params(start_time="2026-10-31T02:00:00-04:00", end_time="2026-11-01T01:00:00-05:00")
    assert validate_harvest_request(ok, CONFIG, pendulum.datetime(2026, 11, 2)).window.duration.in_hours() == 24
    too_long = params(start_time="2026-10-31T02:00:00-04:00", end_time="2026-11-01T01:00:01-05:00")
    only_problem(too_long, "end_time", now=pendulum.datetime(2026, 11, 2))


def test_window_ending_too_far_ahead_is_refused_at_the_boundary():
    limit = NOW.add(hours=CONFIG.max_future_hours)
    start = limit.subtract(hours=1).to_iso8601_string()
    ok = validate_harvest_request(params(start_time=start, end_time=limit.to_iso8601_string()), CONFIG, NOW)
    assert ok.window.end == limit
    message = only_problem(params(start_time=start, end_time=limit.add(seconds=1).to_iso8601_string()), "end_time")
    assert message.startswith("ends more than 48 hours ahead")


def test_max_future_hours_comes_from_config():
    config = DeploymentConfig(s3_bucket="live-archive", harvest_role_arn=ROLE, max_future_hours=1)
    message = only_problem(
        params(start_time="2026-11-27T12:30:00Z", end_time="2026-11-27T13:30:00Z"), "end_time", config
    )
    assert "ends more than 1 hours ahead" in message


@pytest.mark.parametrize("field", ["start_time", "end_time"])
@pytest.mark.parametrize("value", [_DROP, None, ""])
def test_times_are_required(field, value):
    message = only_problem(params(**{field: value}), field)
    assert message.startswith("is required")


# ----------------------------------------------------------------------------- ids


@pytest.mark.parametrize("value", ["a", "A-Z_0-9", "x" * 64])
def test_event_id_accepts_letters_digits_underscore_hyphen(value):
    assert validate_harvest_request(params(event_id=value), CONFIG, NOW).event_id == value


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        pytest.param("x" * 65, "got 65 characters", id="65-chars"),
        ("game day", "' ' at position 4"),
        ("game.day", "'.' at position 4"),
        ("spiel-größe", "'ö' at position 8"),
        ("tab\there", "'\\t' at position 3"),
        ("nul\x00", "'\\x00' at position 3"),
        ("line\n", "'\\n' at position 4"),
        ("../etc", "'.' at position 0"),
        pytest.param("x" * 10_000_000, "got 10000000 characters", id="huge"),
    ],
)
def test_event_id_refusals_explain_the_rule(value, detail):
    message = only_problem(params(event_id=value), "event_id")
    assert "1 to 64 characters, each an ASCII letter, digit, underscore or hyphen" in message
    assert detail in message
    assert len(message) < 300


@pytest.mark.parametrize("value", [_DROP, None, ""])
def test_event_id_is_required(value):
    assert only_problem(params(event_id=value), "event_id") == "is required"


@pytest.mark.parametrize("value", [5, 5.0, True, b"bytes", ["a"], {"a": 1}, pytest.param(10**5000, id="huge-int")])
def test_non_strings_are_refused_with_their_type(value):
    message = only_problem(params(event_id=value), "event_id")
    assert message.startswith(f"must be a string, got {type_name(value)}")
    assert len(message) < 300


def test_origin_endpoint_id_rule():
    assert validate_harvest_request(params(origin_endpoint_id="e" * 256), CONFIG, NOW)
    assert "1 to 256 characters" in only_problem(params(origin_endpoint_id="e" * 257), "origin_endpoint_id")
    assert only_problem(params(origin_endpoint_id="ep/1"), "origin_endpoint_id").endswith("'/' at position 2")
    assert only_problem(params(origin_endpoint_id=None), "origin_endpoint_id").startswith("is required")


# ----------------------------------------------------------------------------- bucket


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "my-bucket", "my.bucket.2026", "1bucket9", "xn-ok"])
def test_valid_bucket_names(bucket):
    assert validate_harvest_request(params(s3_bucket=bucket), CONFIG, NOW).s3_bucket == bucket


@pytest.mark.parametrize(
    ("bucket", "reason"),
    [
        ("ab", "is 2 characters long; bucket names have 3 to 63"),
        ("a" * 64, "is 64 characters long"),
        ("My-Bucket", "may only contain lowercase letters, digits, dots and hyphens"),
        ("my_bucket", "may only contain lowercase letters"),
        ("my bucket", "may only contain lowercase letters"),
        ("-bucket", "must begin and end with a lowercase letter or digit"),
        ("bucket-", "must begin and end"),
        (".bucket", "must begin and end"),
        ("my..bucket", "two adjacent dots"),
        ("192.168.5.4", "formatted like an IP address"),
        ("xn--bucket", "must not start with 'xn--'"),
        ("sthree-bucket", "must not start with 'sthree-'"),
        ("amzn-s3-demo-bucket", "must not start with 'amzn-s3-demo-'"),
        ("bucket-s3alias", "must not end with '-s3alias'"),
        ("bucket--ol-s3", "must not end with '--ol-s3'"),
        ("bucket--x-s3", "must not end with '--x-s3'"),
        ("bucket--table-s3", "must not end with '--table-s3'"),
        ("bucket.mrap", "must not end with '.mrap'"),
        ("bücket", "may only contain"),
    ],
)
def test_invalid_bucket_names(bucket, reason):
    problems = problems_of(params(s3_bucket=bucket))
    assert {p.field for p in problems} == {"s3_bucket"}
    assert any(reason in p.message for p in problems), problems


def test_bucket_is_required_overall():
    config = DeploymentConfig(harvest_role_arn=ROLE)
    assert only_problem(params(), "s3_bucket", config) == "no bucket: set s3_bucket or LIVE_TO_VOD_S3_BUCKET"


def test_bad_config_bucket_names_its_variable():
    config = DeploymentConfig(s3_bucket="Bad_Bucket", harvest_role_arn=ROLE)
    message = problems_of(params(), config)[0].message
    assert "'Bad_Bucket' (from LIVE_TO_VOD_S3_BUCKET)" in message
    # ... and a run that names its own bucket is not held back by the bad default.
    assert validate_harvest_request(params(s3_bucket="good-bucket"), config, NOW).s3_bucket == "good-bucket"


# ----------------------------------------------------------------------------- manifest key


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("{event_id}/index.m3u8", "thanksgiving-game/index.m3u8"),
        ("{date}/{event_id}/index.m3u8", "2026-11-27/thanksgiving-game/index.m3u8"),  # the UTC date
        ("{origin_endpoint_id}/{event_id}-{date}.m3u8", "nfl-hls-clear/thanksgiving-game-2026-11-27.m3u8"),
        ("thursdaynight/highlights/index.m3u8", "thursdaynight/highlights/index.m3u8"),
        ("événements/{event_id}/index.m3u8", "événements/thanksgiving-game/index.m3u8"),
        ("a b/index.m3u8", "a b/index.m3u8"),
        ("x.m3u8", "x.m3u8"),
    ],
)
def test_manifest_key_template_rendering(template, key):
    assert validate_harvest_request(params(manifest_key=template), CONFIG, NOW).manifest_key == key


def test_manifest_key_template_from_config():
    config = DeploymentConfig(
        s3_bucket="b-1", harvest_role_arn=ROLE, manifest_key_template="live/{date}/{event_id}.m3u8"
    )
    assert validate_harvest_request(params(), config, NOW).manifest_key == "live/2026-11-27/thanksgiving-game.m3u8"


@pytest.mark.parametrize(
    ("template", "detail"),
    [
        ("{event}/index.m3u8", "unknown placeholder '{event}'"),
        ("{}/index.m3u8", "unknown placeholder '{}'"),
        ("{0}/index.m3u8", "unknown placeholder '{0}'"),
        ("{event_id!r}/index.m3u8", "unknown placeholder '{event_id!r}'"),
        ("{event_id:>70}/index.m3u8", "unknown placeholder '{event_id:>70}'"),
        ("{event_id.upper}/index.m3u8", "unknown placeholder '{event_id.upper}'"),
        ("{event_id[0]}/index.m3u8", "unknown placeholder '{event_id[0]}'"),
        ("{__class__}/index.m3u8", "unknown placeholder '{__class__}'"),
        ("{a}{b}{c}{d}{e}{f}.m3u8", "'{e}' and more"),
        ("{event_id/index.m3u8", "unbalanced braces"),
        ("event_id}/index.m3u8", "unbalanced braces"),
        ("{{event_id}}/index.m3u8", "must not contain '{' or '}' after rendering"),
    ],
)
def test_manifest_key_template_refusals(template, detail):
    message = only_problem(params(manifest_key=template), "manifest_key")
    assert detail in message, message
    if "unknown placeholder" in message:
        assert "only {event_id}, {date} and {origin_endpoint_id} are available" in message


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("../index.m3u8", "'.' or '..' path segments"),
        ("a/../../etc/index.m3u8", "'.' or '..' path segments"),
        ("./index.m3u8", "'.' or '..' path segments"),
        ("a/./index.m3u8", "'.' or '..' path segments"),
        ("/abs/index.m3u8", "remove the leading '/'"),
        ("a//index.m3u8", "empty path segments"),
        ("a/index.m3u8/", "empty path segments"),
        ("a\\index.m3u8", "backslash"),
        ("a/index.mp4", "must end with '.m3u8'"),
        ("a/index.M3U8", "must end with '.m3u8'"),
        ("a/index.m3u8.bak", "must end with '.m3u8'"),
        ("a/.m3u8", "needs a file name before '.m3u8'"),
        (".m3u8", "needs a file name before '.m3u8'"),
        ("a/index.m3u8?x=1.m3u8", "'?' or '#'"),
        ("a#b/index.m3u8", "'?' or '#'"),
        ("a\x00b/index.m3u8", "control or invisible characters (found '\\x00')"),
        ("a\nb/index.m3u8", "control or invisible characters (found '\\n')"),
        ("a\x7fb/index.m3u8", "control or invisible characters"),
        ("a\u202eb/index.m3u8", "control or invisible characters"),  # right-to-left override
        ("a\u200bb/index.m3u8", "control or invisible characters"),  # zero-width space
        ("a\ud800b/index.m3u8", "control or invisible characters"),  # lone surrogate
        pytest.param("k" * 1020 + ".m3u8", "is 1025 bytes of UTF-8; S3 keys have at most 1024", id="1025-bytes"),
        pytest.param("é" * 510 + ".m3u8", "is 1025 bytes of UTF-8", id="1025-bytes-utf8"),
        pytest.param("k" * 5_000_000 + ".m3u8", "is 5000005 bytes of UTF-8", id="huge"),
    ],
)
def test_manifest_key_refusals(key, reason):
    problems = problems_of(params(manifest_key=key))
    assert {p.field for p in problems} == {"manifest_key"}
    assert any(reason in p.message for p in problems), problems
    assert all(len(p.message) < 400 for p in problems)


def test_manifest_key_of_exactly_1024_bytes_is_accepted():
    key = "k" * 1019 + ".m3u8"
    assert validate_harvest_request(params(manifest_key=key), CONFIG, NOW).manifest_key == key


def test_rendered_key_too_long_shows_the_template():
    message = only_problem(params(manifest_key="{origin_endpoint_id}/" + "k" * 1010 + ".m3u8"), "manifest_key")
    assert "rendered from" in message and "bytes of UTF-8" in message


def test_template_is_not_rendered_when_a_placeholder_value_is_invalid():
    # The bad event_id is reported once, on event_id; the key is not blamed for it.
    problems = problems_of(params(event_id="bad id", manifest_key="{event_id}/index.m3u8"))
    assert [p.field for p in problems] == ["event_id"]


def test_template_syntax_is_checked_even_when_values_are_invalid():
    problems = problems_of(params(event_id="bad id", manifest_key="{nope}/index.m3u8"))
    assert [p.field for p in problems] == ["event_id", "manifest_key"]


def test_manifest_key_must_be_a_string():
    assert only_problem(params(manifest_key=7), "manifest_key") == "must be a string, got int 7"


def test_missing_template_everywhere():
    config = DeploymentConfig(s3_bucket="live-archive", harvest_role_arn=ROLE, manifest_key_template="")
    message = only_problem(params(), "manifest_key", config)
    assert message == "no manifest key template: set manifest_key or LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE"


# ----------------------------------------------------------------------------- role ARN


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/x",
        "arn:aws:iam::123456789012:role/service-role/MediaPackage+Harvest=1,a.b@c-d_e",
        pytest.param("arn:aws:iam::123456789012:role/" + "r" * 64, id="longest-name"),
        pytest.param("arn:aws:iam::123456789012:role/" + "p" * 510 + "/" + "r" * 64, id="longest-path-and-name"),
    ],
)
def test_valid_role_arns(arn):
    assert validate_harvest_request(params(role_arn=arn), CONFIG, NOW).role_arn == arn


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345678901:role/x",  # 11-digit account
        "arn:aws:iam::123456789012:user/x",
        "arn:aws:iam:us-east-1:123456789012:role/x",  # IAM ARNs carry no region
        "arn:aws:s3:::bucket",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/has space",
        "arn:aws:iam::123456789012:role/ünïcode",
        "arn:aws:iam::123456789012:role/x\n",
        pytest.param("arn:aws:iam::123456789012:role/" + "r" * 513, id="name-too-long"),
        # IAM role names have 1 to 64 characters, paths at most 512 (with their slashes).
        pytest.param("arn:aws:iam::123456789012:role/" + "r" * 65, id="name-of-65"),
        pytest.param("arn:aws:iam::123456789012:role/" + "p" * 511 + "/r", id="path-too-long"),
        pytest.param("arn:aws:iam::123456789012:role/service-role/", id="no-name-after-the-path"),
        pytest.param("arn:aws:iam::123456789012:role//", id="no-name-only-slashes"),
        "mediapackage-harvest",
        "ARN:AWS:IAM::123456789012:ROLE/X",
    ],
)
def test_malformed_role_arns(arn):
    message = only_problem(params(role_arn=arn), "role_arn")
    assert "is not an IAM role ARN; expected the form arn:aws:iam::123456789012:role/NAME" in message
    assert len(message) < 300


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov", "aws-iso-b"])
def test_role_arn_in_another_partition(partition):
    message = only_problem(params(role_arn=f"arn:{partition}:iam::123456789012:role/x"), "role_arn")
    assert f"is in partition {partition}, this deployment uses aws" in message


def test_partition_comes_from_config():
    config = DeploymentConfig(s3_bucket="live-archive", harvest_role_arn=ROLE, aws_partition="aws-cn")
    message = only_problem(params(), "role_arn", config)
    assert "(from LIVE_TO_VOD_HARVEST_ROLE_ARN) is in partition aws, this deployment uses aws-cn" in message
    cn_role = "arn:aws-cn:iam::123456789012:role/x"
    assert validate_harvest_request(params(role_arn=cn_role), config, NOW).role_arn == cn_role


def test_role_is_required_overall():
    config = DeploymentConfig(s3_bucket="live-archive")
    assert only_problem(params(), "role_arn", config) == "no role: set role_arn or LIVE_TO_VOD_HARVEST_ROLE_ARN"


# ----------------------------------------------------------------------------- packaging group


HANDOFF = DeploymentConfig(s3_bucket="live-archive", harvest_role_arn=ROLE, vod_source_role_arn=VOD_ROLE)


def test_packaging_group_from_param_enables_the_handoff():
    request = validate_harvest_request(params(packaging_group_id="pg_main-1"), HANDOFF, NOW)
    assert (request.packaging_group_id, request.vod_source_role_arn) == ("pg_main-1", VOD_ROLE)


def test_packaging_group_from_config_when_absent_or_null_and_empty_opts_out():
    config = DeploymentConfig(
        s3_bucket="live-archive", harvest_role_arn=ROLE, packaging_group_id="pg", vod_source_role_arn=VOD_ROLE
    )
    assert validate_harvest_request(params(), config, NOW).packaging_group_id == "pg"
    assert validate_harvest_request(params(packaging_group_id=None), config, NOW).packaging_group_id == "pg"
    # An explicit "" means no hand-off for this run, whatever the deployment default.
    request = validate_harvest_request(params(packaging_group_id=""), config, NOW)
    assert (request.packaging_group_id, request.vod_source_role_arn) == (None, None)


@pytest.mark.parametrize("group", [_DROP, None, ""])
def test_no_packaging_group_anywhere_means_no_handoff_and_no_vod_role_needed(group):
    request = validate_harvest_request(params(packaging_group_id=group), CONFIG, NOW)
    assert request.packaging_group_id is None and request.vod_source_role_arn is None


@pytest.mark.parametrize("group", ["pg main", "pg/1", "p" * 257, "pg\x00"])
def test_invalid_packaging_group_ids(group):
    message = only_problem(params(packaging_group_id=group), "packaging_group_id", HANDOFF)
    assert "must be 1 to 256 ASCII letters, digits, underscores or hyphens" in message


def test_invalid_config_packaging_group_names_its_variable():
    config = DeploymentConfig(
        s3_bucket="live-archive", harvest_role_arn=ROLE, packaging_group_id="p g", vod_source_role_arn=VOD_ROLE
    )
    message = only_problem(params(), "packaging_group_id", config)
    assert "'p g' (from LIVE_TO_VOD_PACKAGING_GROUP_ID)" in message


def test_packaging_group_must_be_a_string():
    message = only_problem(params(packaging_group_id=3), "packaging_group_id", HANDOFF)
    assert message == "must be a string, got int 3"


def test_handoff_needs_a_vod_source_role():
    message = only_problem(params(packaging_group_id="pg"), "packaging_group_id", CONFIG)
    assert "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN" in message and "is not set" in message


@pytest.mark.parametrize(
    ("vod_role", "detail"),
    [
        ("not-an-arn", "is not an IAM role ARN"),
        ("arn:aws-cn:iam::123456789012:role/vod", "is in partition aws-cn, this deployment uses aws"),
    ],
)
def test_handoff_needs_a_valid_vod_source_role(vod_role, detail):
    config = DeploymentConfig(s3_bucket="live-archive", harvest_role_arn=ROLE, vod_source_role_arn=vod_role)
    message = only_problem(params(packaging_group_id="pg"), "packaging_group_id", config)
    assert "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN" in message and detail in message


# ----------------------------------------------------------------------------- verify_segments


@pytest.mark.parametrize("mode", ["auto", "sampled", "full"])
def test_verify_segments_is_carried_in_the_request(mode):
    request = validate_harvest_request(params(verify_segments=mode), CONFIG, NOW)
    assert request.verify_segments == mode
    assert HarvestRequest.from_dict(request.to_dict()).verify_segments == mode


@pytest.mark.parametrize("value", [_DROP, None, ""])
def test_verify_segments_defaults_to_auto(value):
    assert validate_harvest_request(params(verify_segments=value), CONFIG, NOW).verify_segments == "auto"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("everything", "'everything'"),
        ("listing", "'listing'"),  # the verifier's no-read mode is not a request's to ask for
        ("Full", "'Full'"),
        (" full", "' full'"),
        (True, "bool True"),
        (["full"], "a list ['full']"),
    ],
)
def test_verify_segments_refuses_anything_else_naming_the_field(value, shown):
    message = only_problem(params(verify_segments=value), "verify_segments")
    if isinstance(value, str):
        assert message == f"must be one of auto, sampled, full, got {shown}"
    else:  # a wrong type says so first, as every text field does
        assert message == f"must be a string, one of auto, sampled, full; got {shown}"


def test_a_request_dict_from_before_verify_segments_reads_as_auto():
    data = validate_harvest_request(params(verify_segments="full"), CONFIG, NOW).to_dict()
    del data["verify_segments"]  # an XCom written by the previous version
    assert HarvestRequest.from_dict(data).verify_segments == "auto"


def test_the_verify_task_reads_a_harvest_request_s_dict_as_the_asset_to_verify():
    request = validate_harvest_request(params(verify_segments="sampled"), CONFIG, NOW)
    asset = AssetToVerify.from_dict(request.to_dict())
    assert asset == AssetToVerify("live-archive", "thanksgiving-game/index.m3u8", request.window, "sampled")
    assert asset.asset_uri == request.asset_uri
    assert AssetToVerify.from_dict(asset.to_dict()) == asset
    # The same key names, but companions (a v1 request has none; a v2 one derives them from its manifests).
    assert set(asset.to_dict()) - {"companions"} < set(request.to_dict())
    assert asset.companions == ()
    old = {k: v for k, v in request.to_dict().items() if k != "verify_segments"}
    assert AssetToVerify.from_dict(old).verify_segments == "auto"


# ----------------------------------------------------------------------------- collecting problems


def test_all_problems_are_collected_in_field_order():
    config = DeploymentConfig(aws_partition="aws")
    p = {
        "event_id": "bad id",
        "origin_endpoint_id": "",
        "start_time": "2026-11-26T19:00:00",
        "end_time": "tomorrow",
        "s3_bucket": "BAD",
        "manifest_key": "{nope}.m3u8",
        "role_arn": "arn:aws-cn:iam::123456789012:role/x",
        "packaging_group_id": "pg",
        "verify_segments": "everything",
        "mediaconvert": ["mp3"],
        "thumbnail_interval_seconds": 0,
        "mediaconvert_template": "a/b.json",
        "playable_within_minutes": 0,
    }
    with pytest.raises(InvalidParams) as caught:
        validate_harvest_request(p, config, NOW)
    error = caught.value
    v1_fields = tuple(f for f in KNOWN_FIELDS if f not in (*V2_SOURCE_FIELDS, "manifests"))
    assert error.fields == v1_fields
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems)
    assert all(line.split(": ", 1)[0] in KNOWN_FIELDS for line in lines)


def test_v2_problems_are_collected_in_field_order():
    p = {
        "event_id": "ev",
        "channel_group": "a b",
        "channel": "c/d",
        "origin_endpoint": 7,
        "manifests": ["hls", "hls"],
        "start_time": "2026-11-26T19:00:00-05:00",
        "end_time": "2026-11-26T22:30:00-05:00",
        "role_arn": ROLE,
    }
    with pytest.raises(InvalidParams) as caught:
        validate_harvest_request(p, CONFIG, NOW)
    assert caught.value.fields == ("channel_group", "channel", "origin_endpoint", "manifests", "role_arn")


V2_PARAMS = {"channel_group": "sports", "channel": "game-1", "origin_endpoint": "cmaf"}


def test_a_v2_source_is_a_channel_group_channel_and_origin_endpoint():
    p = {k: v for k, v in params().items() if k != "origin_endpoint_id"} | V2_PARAMS
    request = validate_harvest_request(p | {"manifests": "hls, dash"}, CONFIG, NOW)
    assert request.origin_endpoint_id is None
    assert request.endpoint_ref == "sports/game-1/cmaf"
    assert request.manifests == ("hls", "dash")
    assert request.role_arn == ""  # v2 writes with the bucket policy: the deployment's role is not used
    assert HarvestRequest.from_dict(request.to_dict()) == request
    every = validate_harvest_request(p | {"manifests": []}, CONFIG, NOW)
    assert every.manifests == ()  # empty: every HLS and DASH manifest of the endpoint


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (V2_PARAMS, "origin_endpoint_id", "not both (got origin_endpoint_id and channel_group, channel"),
        ({"origin_endpoint_id": None, "channel_group": "sports", "channel": "c"}, "origin_endpoint", "is required for"),
        ({"manifests": ["hls"]}, "manifests", "a v1 origin endpoint harvests its one HLS manifest"),
        ({"origin_endpoint_id": None, **V2_PARAMS, "manifests": {"a": 1}}, "manifests", "must be a list"),
        ({"origin_endpoint_id": None, **V2_PARAMS, "manifests": ["hls", "a b"]}, "manifests", "#2:"),
        ({"origin_endpoint_id": None, **V2_PARAMS, "role_arn": ROLE}, "role_arn", "bucket's policy, not a role"),
    ],
)
def test_v2_source_rules_name_the_field(changes, field, words):
    p = params() | changes
    message = only_problem({k: v for k, v in p.items() if v is not None}, field)
    assert words in message


def test_invalid_params_is_a_value_error_and_pickles():
    with pytest.raises(InvalidParams) as caught:
        validate_harvest_request({}, DeploymentConfig(), NOW)
    error = caught.value
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems and str(copy) == str(error)


def test_params_that_are_not_a_mapping():
    with pytest.raises(InvalidParams) as caught:
        validate_harvest_request(["event_id"], CONFIG, NOW)  # type: ignore[arg-type]
    assert caught.value.fields == ("params",)


# ----------------------------------------------------------------------------- property: never anything else

_VALID = params() | {
    "s3_bucket": "live-archive",
    "manifest_key": "{date}/{event_id}/index.m3u8",
    "role_arn": ROLE,
    "packaging_group_id": "",
    "verify_segments": "sampled",
}
_VALID_V2 = {k: v for k, v in _VALID.items() if k not in ("origin_endpoint_id", "role_arn")} | {
    "channel_group": "sports",
    "channel": "game-1",
    "origin_endpoint": "cmaf",
    "manifests": ["hls", "dash"],
}
_HUGE = st.sampled_from(["x" * 2_000_000, "é" * 100_000, "{" * 50_000, "/" * 100_000, "9" * 100_000])
_VALUES = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.text(alphabet="abcdefgXYZ0189_-./{}:TZ+ ", max_size=40),
    st.integers(),
    st.just(10**5000),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    _HUGE,
    st.sampled_from(
        [
            "2026-11-26T19:00:00-05:00",
            "2026-11-27T03:00:00Z",
            "2026-11-26T19:00:00",
            "arn:aws:iam::123456789012:role/x",
            "arn:aws-cn:iam::123456789012:role/x",
            "{event_id}/index.m3u8",
            "{origin_endpoint_id}/{date}.m3u8",
            "../{event_id}.m3u8",
            "my-bucket",
            "ev\x00nt",
            "événement",
            "",
            "full",
            "sampled",
            "Full",
            "hls, dash",
            "sports",
        ]
    ),
    st.lists(st.sampled_from(["hls", "dash", "hls", "a b", ""]), max_size=3),
)
_KEYS = st.one_of(st.sampled_from(KNOWN_FIELDS), st.text(max_size=10))
_CONFIGS = st.sampled_from(
    [
        CONFIG,
        DeploymentConfig(),
        HANDOFF,
        DeploymentConfig(s3_bucket="BAD", manifest_key_template="{x}", harvest_role_arn="x", packaging_group_id="p q"),
        DeploymentConfig(s3_bucket="b-1", harvest_role_arn=ROLE, packaging_group_id="pg", vod_source_role_arn=VOD_ROLE),
    ]
)


@st.composite
def _param_dicts(draw):
    if draw(st.booleans()):
        base = dict(
            draw(st.sampled_from([_VALID, _VALID_V2]))
        )  # mostly valid: exercise the success path and single-field failures
        for key in draw(st.lists(st.sampled_from(KNOWN_FIELDS), max_size=3, unique=True)):
            if draw(st.booleans()):
                base[key] = draw(_VALUES)
            else:
                base.pop(key, None)
    else:
        base = draw(st.dictionaries(_KEYS, _VALUES, max_size=10))
    base.update(draw(st.dictionaries(st.text(max_size=10), _VALUES, max_size=3)))  # Airflow's extra keys
    return base


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(p=_param_dicts(), config=_CONFIGS)
def test_validation_returns_a_revalidating_request_or_invalid_params(p, config):
    try:
        request = validate_harvest_request(p, config, NOW)
    except InvalidParams as error:
        event("invalid")
        assert error.problems
        for problem in error.problems:
            assert problem.field in KNOWN_FIELDS
            assert len(problem.message) < 1000  # clipped, whatever the input size
        return
    event("valid")
    again = {
        "event_id": request.event_id,
        "origin_endpoint_id": request.origin_endpoint_id,
        "start_time": request.window.start.isoformat(),
        "end_time": request.window.end.isoformat(),
        "s3_bucket": request.s3_bucket,
        "manifest_key": request.manifest_key,
        "role_arn": request.role_arn,
        "packaging_group_id": request.packaging_group_id or "",
        "verify_segments": request.verify_segments,
        "mediaconvert": list(request.mediaconvert),
        "thumbnail_interval_seconds": request.thumbnail_interval_seconds,
        "mediaconvert_template": request.mediaconvert_template,
    }
    if request.v2_endpoint is not None:
        event("v2")
        again.update(
            channel_group=request.v2_endpoint.channel_group,
            channel=request.v2_endpoint.channel,
            origin_endpoint=request.v2_endpoint.origin_endpoint,
            manifests=list(request.manifests),
        )
    assert validate_harvest_request(again, config, NOW) == request
    assert HarvestRequest.from_dict(request.to_dict()) == request


# ----------------------------------------------------------------------------- re-verifying an asset


def reverify(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "manifest_key": "thanksgiving-game/index.m3u8",
        "start_time": "2026-11-26T19:00:00-05:00",
        "end_time": "2026-11-26T22:30:00-05:00",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not _DROP}


def reverify_problem(p: dict[str, object], field: str, config: DeploymentConfig = CONFIG) -> str:
    with pytest.raises(InvalidParams) as caught:
        validate_reverify_request(p, config, NOW)
    problems = caught.value.problems
    assert [x.field for x in problems] == [field], problems
    return problems[0].message


def test_a_re_verification_names_an_asset_its_window_and_reads_every_segment_by_default():
    asset = validate_reverify_request(reverify(), CONFIG, NOW)
    assert asset == AssetToVerify(
        s3_bucket="live-archive",  # LIVE_TO_VOD_S3_BUCKET
        manifest_key="thanksgiving-game/index.m3u8",
        window=HarvestWindow(pendulum.datetime(2026, 11, 27, 0, 0), pendulum.datetime(2026, 11, 27, 3, 30)),
        verify_segments="full",
    )
    assert asset.window.start.timezone_name == "UTC"
    assert asset.asset_uri == "s3://live-archive/thanksgiving-game/index.m3u8"
    assert AssetToVerify.from_dict(asset.to_dict()) == asset


def test_a_re_verification_takes_its_own_bucket_and_mode_and_ignores_other_keys():
    p = reverify(s3_bucket="other-bucket", verify_segments="sampled", event_id="ignored", dag_run_id="x")
    asset = validate_reverify_request(p, CONFIG, NOW)
    assert (asset.s3_bucket, asset.verify_segments) == ("other-bucket", "sampled")
    assert validate_reverify_request(reverify(verify_segments="auto"), CONFIG, NOW).verify_segments == "auto"


@pytest.mark.parametrize("empty", [_DROP, None, ""])
def test_a_re_verification_s_empty_optional_fields_take_their_defaults(empty):
    asset = validate_reverify_request(reverify(s3_bucket=empty, verify_segments=empty), CONFIG, NOW)
    assert (asset.s3_bucket, asset.verify_segments) == ("live-archive", "full")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"s3_bucket": "bad_bucket"}, "s3_bucket", "may only contain lowercase letters"),
        ({"s3_bucket": 7}, "s3_bucket", "must be a string, got int 7"),
        ({"manifest_key": _DROP}, "manifest_key", "is required: the key of the asset's parent manifest"),
        ({"manifest_key": None}, "manifest_key", "is required"),
        ({"manifest_key": ""}, "manifest_key", "is required"),
        ({"manifest_key": ["a.m3u8"]}, "manifest_key", "must be a string, got a list"),
        ({"manifest_key": "../outside/index.m3u8"}, "manifest_key", "must not contain '.' or '..'"),
        ({"manifest_key": "/game/index.m3u8"}, "manifest_key", "must be relative to the bucket"),
        ({"manifest_key": "game/index.mp4"}, "manifest_key", "must end with '.m3u8'"),
        (
            {"manifest_key": "{event_id}/index.m3u8"},
            "manifest_key",
            "must not contain '{' or '}'",
        ),  # a key, not a template
        ({"start_time": _DROP}, "start_time", "is required; write it like"),
        ({"start_time": "2026-11-26T19:00:00"}, "start_time", "offset"),
        ({"end_time": "tomorrow"}, "end_time", ""),
        ({"end_time": "2026-11-26T18:00:00-05:00"}, "end_time", "which is not after the start"),
        ({"end_time": "2026-11-27T19:00:01-05:00"}, "end_time", "longer than the 24-hour harvest limit"),
        ({"end_time": "2026-11-27T12:00:01Z"}, "end_time", "in the future"),
        ({"verify_segments": "everything"}, "verify_segments", "must be one of auto, sampled, full, got 'everything'"),
        ({"verify_segments": "listing"}, "verify_segments", "must be one of auto, sampled, full"),
    ],
)
def test_a_bad_re_verification_field_is_named(change, field, words):
    assert words in reverify_problem(reverify(**change), field)


def test_a_re_verification_ending_exactly_now_and_lasting_24_hours_is_fine():
    p = reverify(start_time="2026-11-26T12:00:00Z", end_time="2026-11-27T12:00:00Z")
    assert validate_reverify_request(p, CONFIG, NOW).window.duration == pendulum.duration(hours=24)


def test_a_re_verification_without_any_bucket_names_the_variable():
    message = reverify_problem(reverify(), "s3_bucket", DeploymentConfig())
    assert message == "no bucket: set s3_bucket or LIVE_TO_VOD_S3_BUCKET"


def test_a_re_verification_lists_every_problem_in_field_order():
    p = {
        "s3_bucket": "BAD",
        "manifest_key": "x.mp4",
        "start_time": "2026-11-26T19:00:00",
        "end_time": "soon",
        "verify_segments": "everything",
    }
    with pytest.raises(InvalidParams) as caught:
        validate_reverify_request(p, CONFIG, NOW)
    assert caught.value.fields == REVERIFY_FIELDS
    with pytest.raises(InvalidParams) as caught:
        validate_reverify_request("manifest_key=x.m3u8", CONFIG, NOW)  # type: ignore[arg-type]
    assert caught.value.fields == ("params",)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    p=st.dictionaries(st.one_of(st.sampled_from(REVERIFY_FIELDS), st.text(max_size=10)), _VALUES, max_size=8),
    config=_CONFIGS,
)
def test_re_verification_returns_an_asset_or_invalid_params_naming_its_fields(p, config):
    try:
        asset = validate_reverify_request(p, config, NOW)
    except InvalidParams as error:
        assert error.problems
        assert all(problem.field in REVERIFY_FIELDS and len(problem.message) < 1000 for problem in error.problems)
        return
    assert validate_reverify_request(asset.to_dict(), config, NOW) == asset


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("mediaconvert", 5, "must be a list of mp4, thumbnails"),
        ("mediaconvert", {"mp4": True}, "must be a list of mp4, thumbnails"),
        ("mediaconvert", ["mp4", 3], "3 is not one of mp4, thumbnails"),
        ("mediaconvert", "mp4,gif", "'gif' is not one of mp4, thumbnails"),
        ("thumbnail_interval_seconds", "10", "must be a whole number of seconds from 1 to 3600"),
        ("thumbnail_interval_seconds", True, "must be a whole number of seconds from 1 to 3600"),
        ("thumbnail_interval_seconds", 3601, "must be a whole number of seconds from 1 to 3600"),
        ("mediaconvert_template", 5, "must be a string"),
        ("mediaconvert_template", "../../etc/passwd.json", "a file name in mediaconvert_templates/"),
        ("mediaconvert_template", "no/slash allowed", "neither a .json template file nor"),
    ],
)
def test_the_mediaconvert_fields_refuse_wrong_types(field, value, words):
    config = dataclasses.replace(CONFIG, mediaconvert_role_arn="arn:aws:iam::123456789012:role/mediaconvert")
    params = {**_VALID, "mediaconvert": ["mp4"], field: value}
    with pytest.raises(InvalidParams) as raised:
        validate_harvest_request(params, config, NOW)
    assert raised.value.fields == (field,)
    assert words in str(raised.value), str(raised.value)


@pytest.mark.parametrize("value", [0, 1441, -1, 3.5, True, "20", [20], {}])
def test_playable_within_minutes_refuses_what_is_not_whole_minutes_in_range(value):
    conf = {"event_id": "g1", "origin_endpoint_id": "ep-1", "start_time": "2026-11-26T19:00:00Z",
            "end_time": "2026-11-26T20:00:00Z", "playable_within_minutes": value}  # fmt: skip
    with pytest.raises(InvalidParams) as caught:
        validate_harvest_request(conf, CONFIG, NOW)
    assert [p.field for p in caught.value.problems] == ["playable_within_minutes"]
    assert "whole number of minutes from 1 to 1440" in str(caught.value)
