"""Tests for live_to_vod.harvest_jobs: existing jobs, notifications and statuses."""

from __future__ import annotations

import pendulum
import pytest

from live_to_vod.harvest_jobs import (
    CANCELLED,
    FAILURES,
    IN_PROGRESS,
    TERMINAL_FAILURE,
    TERMINAL_SUCCESS,
    failure_reason_from_event,
    job_window,
    matches_request,
    normalize_status,
    pipeline_event_id_of,
    v2_endpoint_of,
)
from live_to_vod.harvest_request import HarvestRequest, HarvestWindow, V2Endpoint
from live_to_vod.naming import harvest_job_id

ROLE = "arn:aws:iam::123456789012:role/harvest"
REQUEST = HarvestRequest(
    event_id="game",
    origin_endpoint_id="ep-1",
    window=HarvestWindow(pendulum.datetime(2026, 11, 27, 0, 0, 0), pendulum.datetime(2026, 11, 27, 3, 0, 0)),
    s3_bucket="live-archive",
    manifest_key="a/index.m3u8",
    role_arn=ROLE,
    packaging_group_id=None,
    vod_source_role_arn=None,
)


def job(**changes):
    result = {
        "Arn": "arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/game-abc",
        "ChannelId": "live",
        "CreatedAt": "2026-11-27T03:02:00Z",
        "Id": "game-abc",
        "OriginEndpointId": "ep-1",
        "StartTime": "2026-11-27T00:00:00Z",
        "EndTime": "2026-11-27T03:00:00Z",
        "S3Destination": {"BucketName": "live-archive", "ManifestKey": "a/index.m3u8", "RoleArn": ROLE},
        "Status": "IN_PROGRESS",
    }
    result.update(changes)
    return result


def test_status_constants():
    assert (TERMINAL_SUCCESS, TERMINAL_FAILURE, IN_PROGRESS) == ("SUCCEEDED", "FAILED", "IN_PROGRESS")


def test_identical_job_matches():
    assert matches_request(job(), REQUEST) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-26T19:00:00-05:00", "2026-11-26T22:00:00-05:00"),
        ("2026-11-27T00:00:00+00:00", "2026-11-27T03:00:00.000Z"),
        ("1795737600", "1795748400"),  # epoch seconds as a string
        ("2026-11-27T00:00:00", "2026-11-27T03:00:00"),  # naive: AWS times are UTC
    ],
)
def test_times_are_compared_as_instants(start, end):
    assert matches_request(job(StartTime=start, EndTime=end), REQUEST) == []


def test_each_difference_is_described():
    other = job(
        OriginEndpointId="ep-2",
        StartTime="2026-11-27T00:00:01Z",
        EndTime="2026-11-27T04:00:00Z",
        S3Destination={"BucketName": "other", "ManifestKey": "b/index.m3u8", "RoleArn": "arn:aws:iam::1:role/x"},
    )
    assert matches_request(other, REQUEST) == [
        "OriginEndpointId is ep-2, this run wants ep-1",
        "StartTime is 2026-11-27T00:00:01Z, this run wants 2026-11-27T00:00:00Z",
        "EndTime is 2026-11-27T04:00:00Z, this run wants 2026-11-27T03:00:00Z",
        "BucketName is other, this run wants live-archive",
        "ManifestKey is b/index.m3u8, this run wants a/index.m3u8",
        f"RoleArn is arn:aws:iam::1:role/x, this run wants {ROLE}",
    ]


def test_unreadable_and_missing_fields_are_differences():
    broken = {"StartTime": "garbage", "EndTime": None}
    differences = matches_request(broken, REQUEST)
    assert "StartTime is garbage, which is not a time; this run wants 2026-11-27T00:00:00Z" in differences
    assert "EndTime is None, which is not a time; this run wants 2026-11-27T03:00:00Z" in differences
    assert "ManifestKey is None, this run wants a/index.m3u8" in differences
    assert len(differences) == 6


def test_differences_clip_huge_values():
    differences = matches_request(job(OriginEndpointId="x" * 100_000), REQUEST)
    assert len(differences[0]) < 200


def test_failure_reason_from_v1_event_detail():
    detail = {
        "harvest_job": {"id": "game-abc", "status": "FAILED", "s3_destination": {"bucket_name": "b"}},
        "message": "Failed to write to S3: access denied",
    }
    assert failure_reason_from_event(detail) == "Failed to write to S3: access denied"


def test_failure_reason_inside_the_job():
    assert failure_reason_from_event({"harvest_job": {"message": "window outside startover"}}) == (
        "window outside startover"
    )
    assert failure_reason_from_event({"harvestJob": {"message": "v2 reason"}}) == "v2 reason"


@pytest.mark.parametrize(
    "detail",
    [{}, {"harvest_job": {"status": "SUCCEEDED"}}, {"message": ""}, {"message": "  "}, {"harvest_job": "x"}, None],
)
def test_no_failure_reason(detail):
    assert failure_reason_from_event(detail) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("COMPLETED", "SUCCEEDED"),
        ("completed", "SUCCEEDED"),
        ("SUCCEEDED", "SUCCEEDED"),
        ("FAILED", "FAILED"),
        (" in_progress ", "IN_PROGRESS"),
        ("CANCELLED", "CANCELLED"),
    ],
)
def test_normalize_status(status, expected):
    assert normalize_status(status) == expected


def _pipeline_event_id(job_id, endpoint, start_time, end_time):
    job = {"Id": job_id, "OriginEndpointId": endpoint, "StartTime": start_time, "EndTime": end_time}
    return pipeline_event_id_of(job)


START, END = "2026-11-26T19:00:00Z", "2026-11-26T22:00:00Z"


def test_pipeline_jobs_are_recognised_by_their_deterministic_id():
    window = HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    ours = harvest_job_id("game-7", "ep-1", window)
    assert _pipeline_event_id(ours, "ep-1", START, END) == "game-7"
    assert _pipeline_event_id(harvest_job_id("game-7", "ep-1", window, attempt=3), "ep-1", START, END) == "game-7"
    # Times as epoch seconds or another offset are the same instants.
    assert _pipeline_event_id(ours, "ep-1", str(int(window.start.timestamp())), "2026-11-26T17:00:00-05:00") == "game-7"


@pytest.mark.parametrize(
    ("job_id", "endpoint", "end"),
    [
        ("console-job", "ep-1", END),
        ("game-7-0123456789ab", "ep-1", END),  # the shape, not the digest
        (None, "ep-2", END),  # our id, another endpoint
        (None, "ep-1", "2026-11-26T22:00:02Z"),  # our id, another window
        (None, "ep-1", "yesterday"),
    ],
)
def test_other_jobs_are_not_taken_for_pipeline_jobs(job_id, endpoint, end):
    window = HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    job_id = job_id or harvest_job_id("game-7", "ep-1", window)
    assert _pipeline_event_id(job_id, endpoint, START, end) is None


def test_cancelled_is_a_failure_kept_by_name():
    assert FAILURES == ("FAILED", "CANCELLED") and CANCELLED in FAILURES
    assert normalize_status("cancelled") == CANCELLED and normalize_status("COMPLETED") == TERMINAL_SUCCESS


V2 = V2Endpoint("live-group", "live-channel", "live-ts")


def v2_job(name: str, start=START, end=END, **changes):
    """GetHarvestJob's response: named on its endpoint, the window in ScheduleConfiguration."""
    return {
        "ChannelGroupName": V2.channel_group,
        "ChannelName": V2.channel,
        "OriginEndpointName": V2.origin_endpoint,
        "HarvestJobName": name,
        "ScheduleConfiguration": {"StartTime": start, "EndTime": end},
        **changes,
    }


def test_v2_window_and_endpoint_are_read_from_get_harvest_job():
    job = v2_job("x", pendulum.parse(START), pendulum.parse(END))  # boto3 gives datetimes
    assert job_window(job) == HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    assert v2_endpoint_of(job) == V2
    assert job_window(v2_job("x", ScheduleConfiguration=None)) is None
    assert v2_endpoint_of(v2_job("x", ChannelName="")) is None


def test_v2_pipeline_jobs_are_recognised_by_their_name_over_the_endpoint_ref():
    window = HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    ours = harvest_job_id("game-7", V2.ref, window, attempt=2)
    assert pipeline_event_id_of(v2_job(ours)) == "game-7"
    assert pipeline_event_id_of(v2_job("console-v2-job")) is None
    assert pipeline_event_id_of(v2_job(ours, OriginEndpointName="live-cmaf")) is None  # another endpoint
    assert pipeline_event_id_of(v2_job(ours, end="2026-11-26T22:00:02Z")) is None  # another window
    # A v1 job id over the same digest is not taken for v2's (the endpoint ids differ).
    assert pipeline_event_id_of({"Id": ours, "OriginEndpointId": "ep-1", "StartTime": START, "EndTime": END}) is None
