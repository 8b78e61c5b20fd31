"""Tests for live_to_vod.notifications: reading harvest job notifications, telling our jobs from others."""

from __future__ import annotations

import json

import pendulum
import pytest

from live_to_vod.notifications import (
    NotificationProblem,
    failure_reason_for_job,
    handoff_request,
    notifications_from_asset_events,
    parse_notification,
)

ROLE = "arn:aws:iam::123456789012:role/mediapackage-harvest"
START, END = "2026-11-26T19:00:00Z", "2026-11-26T22:00:00Z"


def event(status: str = "SUCCEEDED", message: str | None = None, **job_changes) -> dict:
    job = {
        "id": "console-job",
        "arn": "arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/console-job",
        "status": status,
        "origin_endpoint_id": "ep-1",
        "start_time": START,
        "end_time": END,
        "s3_destination": {"bucket_name": "live-archive", "manifest_key": "a/index.m3u8", "role_arn": ROLE},
        "created_at": "2026-11-26T22:05:00Z",
        **job_changes,
    }
    detail: dict = {"harvest_job": job}
    if message is not None:
        detail["message"] = message
    return {"source": "aws.mediapackage", "detail-type": "MediaPackage HarvestJob Notification", "detail": detail}


def describe(**changes) -> dict:
    job = {
        "Id": "console-job",
        "Status": "SUCCEEDED",
        "OriginEndpointId": "ep-1",
        "StartTime": START,
        "EndTime": END,
        "S3Destination": {"BucketName": "live-archive", "ManifestKey": "a/index.m3u8", "RoleArn": ROLE},
    }
    job.update(changes)
    return job


def test_parse_reads_the_job_and_the_failure_reason():
    n = parse_notification(json.dumps(event("FAILED", message="  the role cannot write  ")))
    assert (n.job_id, n.status, n.failed, n.message) == ("console-job", "FAILED", True, "the role cannot write")
    assert (n.bucket, n.manifest_key, n.role_arn) == ("live-archive", "a/index.m3u8", ROLE)
    assert n.origin_endpoint_id == "ep-1"


def test_completed_is_read_as_succeeded():
    assert parse_notification(event("COMPLETED")).status == "SUCCEEDED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ({**event(), "source": "aws.s3"}, "source/detail-type"),
        ({**event(), "detail": {}}, "detail.harvest_job"),
        (event(s3_destination=None), "s3_destination"),
        (event(id=None), "detail.harvest_job.id"),
        (event(id="../../etc"), "detail.harvest_job.id"),
        (event(status="IN_PROGRESS"), "detail.harvest_job.status"),
        (event(end_time=7), "detail.harvest_job.end_time"),
        ("x" * 300_000, "SQS carries at most"),
    ],
)
def test_unusable_messages_are_refused_naming_the_field(body, field):
    with pytest.raises(NotificationProblem, match=field.replace(".", r"\.").replace("/", "/")):
        parse_notification(body)


def test_asset_events_give_one_notification_per_job_and_a_problem_per_bad_message():
    batch = [
        {"MessageId": "1", "Body": json.dumps(event())},
        {"MessageId": "2", "Body": json.dumps(event())},  # SQS delivers at least once
        {"MessageId": "3", "Body": "{}"},
        {"MessageId": "4"},
    ]
    other = [{"MessageId": "5", "Body": json.dumps(event("FAILED", message="no", id="other-job"))}]
    notifications, problems = notifications_from_asset_events(
        [
            {"extra": {"from_trigger": True, "payload": {"status": "success", "message_batch": batch}}},
            {"extra": {"payload": {"message_batch": other}}},
            {"extra": {"payload": "garbage"}},
        ]
    )
    assert [(n.job_id, n.status) for n in notifications] == [("console-job", "SUCCEEDED"), ("other-job", "FAILED")]
    assert len(problems) == 3
    assert any("SQS message 3:" in p for p in problems) and any("no Body" in p for p in problems)


def test_failure_reason_for_job_reads_only_that_jobs_failed_notification():
    def batch(*events):
        return {"extra": {"payload": {"message_batch": [{"MessageId": "m", "Body": json.dumps(e)} for e in events]}}}

    asset_events = [
        batch(event("FAILED", message="role cannot write", id="game-1-abc")),
        batch(event("SUCCEEDED", id="game-2-abc"), event("FAILED", id="game-3-abc")),  # no message
        {"extra": {"payload": "garbage"}},
    ]
    assert failure_reason_for_job(asset_events, "game-1-abc") == "role cannot write"
    assert failure_reason_for_job(asset_events, "game-2-abc") is None  # not failed
    assert failure_reason_for_job(asset_events, "game-3-abc") is None  # failed, no reason given
    assert failure_reason_for_job(asset_events, "game-9-abc") is None  # no notification (yet)
    assert failure_reason_for_job([], "game-1-abc") is None


def test_handoff_request_for_an_external_job():
    epoch = pendulum.parse(START).int_timestamp
    request = handoff_request(
        describe(StartTime=str(epoch)), partition="aws", packaging_group_id="vod", vod_source_role_arn=ROLE
    )
    assert request.event_id == "console-job"
    assert request.window.start == pendulum.from_timestamp(epoch)
    assert request.asset_uri == "s3://live-archive/a/index.m3u8"
    assert request.packaging_group_id == "vod"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"S3Destination": {"BucketName": "Bad_Bucket", "ManifestKey": "a/index.m3u8", "RoleArn": ROLE}}, "BucketName"),
        ({"S3Destination": {"BucketName": "b-1", "ManifestKey": "../../x.m3u8", "RoleArn": ROLE}}, "ManifestKey"),
        ({"S3Destination": {"BucketName": "b-1", "ManifestKey": "/abs/x.m3u8", "RoleArn": ROLE}}, "ManifestKey"),
        ({"S3Destination": {"BucketName": "b-1", "ManifestKey": "a/x.txt", "RoleArn": ROLE}}, "ManifestKey"),
        (
            {
                "S3Destination": {
                    "BucketName": "b-1",
                    "ManifestKey": "a/x.m3u8",
                    "RoleArn": ROLE.replace(":aws:", ":aws-cn:"),
                }
            },
            "RoleArn",
        ),
        ({"S3Destination": {"BucketName": "b-1", "ManifestKey": "a/x.m3u8"}}, "RoleArn is missing"),
        ({"EndTime": START}, "StartTime/EndTime"),
    ],
)
def test_handoff_request_refuses_a_bad_destination_naming_the_field(changes, field):
    with pytest.raises(NotificationProblem, match=field):
        handoff_request(describe(**changes), partition="aws", packaging_group_id="vod", vod_source_role_arn=ROLE)
