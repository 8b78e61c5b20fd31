"""Tests for live_to_vod.endpoint_checks: can this origin endpoint deliver the harvest?"""

from __future__ import annotations

import copy

import pendulum
import pytest

from live_to_vod.endpoint_checks import EndpointAssessment, assess_endpoint
from live_to_vod.harvest_request import HarvestWindow

START = pendulum.datetime(2026, 11, 27, 0, 0, 0)
WINDOW = HarvestWindow(START, START.add(hours=3))
NOW = START.add(hours=4)
DAY = 86_400

# A DescribeOriginEndpoint response, as boto3 returns it (ResponseMetadata trimmed).
ENDPOINT = {
    "Arn": "arn:aws:mediapackage:us-east-1:123456789012:origin_endpoints/abc",
    "ChannelId": "nfl-live",
    "Id": "nfl-hls-clear",
    "ManifestName": "index",
    "Origination": "ALLOW",
    "StartoverWindowSeconds": DAY,
    "TimeDelaySeconds": 30,
    "Url": "https://abc.mediapackage.us-east-1.amazonaws.com/out/v1/abc/index.m3u8",
    "HlsPackage": {
        "AdMarkers": "NONE",
        "PlaylistType": "EVENT",
        "PlaylistWindowSeconds": 60,
        "ProgramDateTimeIntervalSeconds": 10,
        "SegmentDurationSeconds": 6,
        "UseAudioRenditionGroup": False,
    },
}


def endpoint(**changes):
    result = copy.deepcopy(ENDPOINT)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def hls(**changes):
    package = copy.deepcopy(ENDPOINT["HlsPackage"])
    for key, value in changes.items():
        if value is None:
            package.pop(key, None)
        else:
            package[key] = value
    return package


def test_a_good_endpoint_is_ok():
    assessment = assess_endpoint(ENDPOINT, WINDOW, NOW, vod_handoff=True)
    assert assessment == EndpointAssessment(problems=(), warnings=(), time_delay_seconds=30, startover_seconds=DAY)
    assert assessment.ok


def test_origination_deny_is_fine():
    assessment = assess_endpoint(endpoint(Origination="DENY"), WINDOW, NOW, vod_handoff=True)
    assert assessment.ok and assessment.warnings == ()


def test_time_delay_defaults_to_zero():
    assert assess_endpoint(endpoint(TimeDelaySeconds=None), WINDOW, NOW, vod_handoff=False).time_delay_seconds == 0


@pytest.mark.parametrize("startover", [None, 0])
def test_startover_off_is_a_problem(startover):
    assessment = assess_endpoint(endpoint(StartoverWindowSeconds=startover), WINDOW, NOW, vod_handoff=False)
    assert not assessment.ok
    assert assessment.startover_seconds is None
    assert assessment.problems == (
        "startover is off on endpoint nfl-hls-clear: nothing can be harvested; set StartoverWindowSeconds",
    )


def test_non_hls_endpoint_is_a_problem():
    dash_only = endpoint(HlsPackage=None, DashPackage={"SegmentDurationSeconds": 2})
    assessment = assess_endpoint(dash_only, WINDOW, NOW, vod_handoff=False)
    assert assessment.problems == (
        "endpoint nfl-hls-clear has no HlsPackage (it has DashPackage): "
        "only HLS endpoints are harvested by this pipeline",
    )
    assert assessment.warnings == ()  # no PDT warning about a package that isn't there


def test_window_older_than_startover_is_a_problem_with_since_when():
    startover = 3 * 3600  # keeps 3 h; now is 4 h after the start
    assessment = assess_endpoint(endpoint(StartoverWindowSeconds=startover), WINDOW, NOW, vod_handoff=False)
    assert assessment.problems == (
        "the window starts at 2026-11-27T00:00:00Z but endpoint nfl-hls-clear keeps only 10800 s: "
        "content before 2026-11-27T01:00:00Z is gone, "
        "so this window can no longer be harvested since 2026-11-27T03:00:00Z",
    )


def test_window_starting_exactly_at_the_startover_edge_is_ok():
    assessment = assess_endpoint(endpoint(StartoverWindowSeconds=4 * 3600), WINDOW, NOW, vod_handoff=False)
    assert assessment.ok
    assessment = assess_endpoint(endpoint(StartoverWindowSeconds=4 * 3600 - 1), WINDOW, NOW, vod_handoff=False)
    assert not assessment.ok


def test_startover_is_checked_at_the_moment_the_harvest_will_run():
    # Checked early (before the window ends): fine now, but gone by the time it is ready.
    early = START.add(hours=1)
    ready_at = WINDOW.ready_at(30, 60)  # 03:01:30
    ep = endpoint(StartoverWindowSeconds=3 * 3600)
    assert assess_endpoint(ep, WINDOW, early, vod_handoff=False).ok
    assessment = assess_endpoint(ep, WINDOW, early, vod_handoff=False, ready_at=ready_at)
    assert assessment.problems == (
        "the window starts at 2026-11-27T00:00:00Z but endpoint nfl-hls-clear keeps only 10800 s: "
        "when the harvest runs at 2026-11-27T03:01:30Z content before 2026-11-27T00:01:30Z will be gone, "
        "so this window cannot be harvested after 2026-11-27T03:00:00Z",
    )


def test_ready_at_in_the_past_uses_now():
    ep = endpoint(StartoverWindowSeconds=4 * 3600)
    assert assess_endpoint(ep, WINDOW, NOW, vod_handoff=False, ready_at=START).ok


def test_window_longer_than_24_hours_is_a_problem():
    two_weeks = endpoint(StartoverWindowSeconds=14 * DAY)
    long_window = HarvestWindow(START, START.add(hours=24, seconds=1))
    assessment = assess_endpoint(two_weeks, long_window, START.add(hours=25), vod_handoff=False)
    assert assessment.problems == ("the window is 1 d 1 s long, longer than the 24-hour harvest limit",)
    exactly = HarvestWindow(START, START.add(hours=24))
    assert assess_endpoint(two_weeks, exactly, START.add(hours=25), vod_handoff=False).ok


ENCRYPTION = {
    "SpekeKeyProvider": {"ResourceId": "r", "RoleArn": "arn:aws:iam::123456789012:role/s", "Url": "https://k"}
}


def test_encrypted_endpoint_with_vod_handoff_is_a_problem():
    assessment = assess_endpoint(endpoint(HlsPackage=hls(Encryption=ENCRYPTION)), WINDOW, NOW, vod_handoff=True)
    assert assessment.problems == (
        "endpoint nfl-hls-clear is encrypted: MediaPackage VOD cannot ingest an encrypted asset; "
        "harvest from an unencrypted endpoint of the same channel (Origination=DENY) or clear packaging_group_id",
    )


def test_encrypted_endpoint_without_handoff_is_fine():
    assessment = assess_endpoint(endpoint(HlsPackage=hls(Encryption=ENCRYPTION)), WINDOW, NOW, vod_handoff=False)
    assert assessment.ok


@pytest.mark.parametrize("interval", [None, 0])
def test_missing_program_date_time_is_a_warning(interval):
    ep = endpoint(HlsPackage=hls(ProgramDateTimeIntervalSeconds=interval))
    assessment = assess_endpoint(ep, WINDOW, NOW, vod_handoff=False)
    assert assessment.ok
    assert len(assessment.warnings) == 1
    assert "no EXT-X-PROGRAM-DATE-TIME: the harvest cuts by PDT, so windows may be inaccurate" in assessment.warnings[0]


def test_every_problem_is_reported_at_once():
    ep = endpoint(StartoverWindowSeconds=None, HlsPackage=None, Id=None)
    long_window = HarvestWindow(START, START.add(hours=25))
    assessment = assess_endpoint(ep, long_window, NOW, vod_handoff=True)
    assert len(assessment.problems) == 3
    assert "endpoint (no Id)" in assessment.problems[1]
