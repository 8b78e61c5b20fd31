"""Tests for live_to_vod.notifications: reading harvest job notifications (MediaPackage v1 and v2),
telling our jobs from others, and the read task's decision per job."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from live_to_vod.config import DeploymentConfig
from live_to_vod.harvest_request import HarvestRequest, HarvestWindow, V2Endpoint
from live_to_vod.naming import harvest_job_id
from live_to_vod.notifications import (
    NotificationProblem,
    failure_reason_for_job,
    handoff_request,
    handoff_request_v2,
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


# -- MediaPackage v2 -------------------------------------------------------------------------------

V2 = V2Endpoint("live-group", "live-channel", "live-ts")


def v2_event(status: str = "COMPLETED", message: str | None = None, **job_changes) -> dict:
    """As MediaPackage v2 (and the local stack) sends it: camelCase, the job named on its endpoint."""
    job = {
        "harvestJobName": "console-v2-job",
        "arn": "arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/live-group/channel/live-channel/"
        "originEndpoint/live-ts/harvestJob/console-v2-job",
        "status": status,
        "channelGroupName": V2.channel_group,
        "channelName": V2.channel,
        "originEndpointName": V2.origin_endpoint,
        "scheduleConfiguration": {"startTime": START, "endTime": END},
        "destination": {"s3Destination": {"bucketName": "live-archive", "destinationPath": "console/v2/"}},
        "harvestedManifests": {"hlsManifests": [{"manifestName": "index"}]},
        **job_changes,
    }
    detail: dict = {"harvestJob": job}
    if message is not None:
        detail["message"] = message
    return {"source": "aws.mediapackagev2", "detail-type": "MediaPackageV2 HarvestJob Notification", "detail": detail}


def get_v2(**changes) -> dict:
    """GetHarvestJob's response (boto3 parses the times into datetimes)."""
    job = {
        "ChannelGroupName": V2.channel_group,
        "ChannelName": V2.channel,
        "OriginEndpointName": V2.origin_endpoint,
        "HarvestJobName": "console-v2-job",
        "Status": "COMPLETED",
        "ScheduleConfiguration": {"StartTime": pendulum.parse(START), "EndTime": pendulum.parse(END)},
        "Destination": {"S3Destination": {"BucketName": "live-archive", "DestinationPath": "console/v2/"}},
        "HarvestedManifests": {
            "HlsManifests": [{"ManifestName": "index"}],
            "LowLatencyHlsManifests": [{"ManifestName": "low-latency"}],
            "DashManifests": [{"ManifestName": "dash"}],
        },
    }
    job.update(changes)
    return job


def test_parse_reads_a_v2_job_named_on_its_endpoint():
    n = parse_notification(json.dumps(v2_event()))
    assert (n.job_id, n.status, n.failed, n.message) == ("console-v2-job", "SUCCEEDED", False, None)
    assert n.v2_endpoint == V2 and n.origin_endpoint_id == "live-group/live-channel/live-ts"
    assert (n.bucket, n.manifest_key, n.role_arn) == ("live-archive", "console/v2/", "")
    assert (n.start_time, n.end_time) == (START, END)


def test_parse_reads_a_failed_v2_jobs_reason_and_a_cancelled_one_as_failed():
    failed = parse_notification(v2_event("FAILED", message=" no content for the window "))
    assert (failed.status, failed.failed, failed.message) == ("FAILED", True, "no content for the window")
    cancelled = parse_notification(v2_event("CANCELLED"))
    assert (cancelled.status, cancelled.failed) == ("CANCELLED", True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**v2_event(), "source": "aws.mediapackage"}, "source/detail-type"),  # v2's detail-type, v1's source
        ({**v2_event(), "detail-type": "MediaPackage HarvestJob Notification"}, "source/detail-type"),
        ({**v2_event(), "detail": {"harvest_job": {}}}, "detail.harvestJob is missing"),
        (v2_event(scheduleConfiguration=None), "detail.harvestJob.scheduleConfiguration is missing"),
        (v2_event(destination={}), "detail.harvestJob.destination.s3Destination is missing"),
        (v2_event(harvestJobName=None), "detail.harvestJob.harvestJobName"),
        (v2_event(harvestJobName="../x"), "detail.harvestJob.harvestJobName"),
        (v2_event(channelName=""), "detail.harvestJob.channelName"),
        (v2_event(originEndpointName="a/b"), "detail.harvestJob origin endpoint"),
        (v2_event(scheduleConfiguration={"startTime": START}), "detail.harvestJob.scheduleConfiguration.endTime"),
        (
            v2_event(destination={"s3Destination": {"bucketName": "b"}}),
            "detail.harvestJob.destination.s3Destination.destinationPath",
        ),
        (v2_event("IN_PROGRESS"), "detail.harvestJob.status"),
        (event("CANCELLED"), "detail.harvest_job.status"),  # v1 has no cancel
    ],
)
def test_unusable_v2_messages_are_refused_naming_the_field(body, field):
    with pytest.raises(NotificationProblem, match=field.replace(".", r"\.")):
        parse_notification(body)


def test_a_v2_job_is_one_per_endpoint_and_name_and_v1_and_v2_mix():
    other = V2Endpoint("live-group", "live-channel", "live-cmaf")
    bodies = [
        v2_event(),
        v2_event(),  # delivered twice
        v2_event("FAILED", originEndpointName=other.origin_endpoint),  # same name, another endpoint
        event(),
    ]
    batch = [{"MessageId": str(i), "Body": json.dumps(b)} for i, b in enumerate(bodies)]
    notifications, problems = notifications_from_asset_events([{"extra": {"payload": {"message_batch": batch}}}])
    assert problems == []
    assert [(n.origin_endpoint_id, n.job_id, n.status) for n in notifications] == [
        (V2.ref, "console-v2-job", "SUCCEEDED"),
        (other.ref, "console-v2-job", "FAILED"),
        ("ep-1", "console-job", "SUCCEEDED"),
    ]


def test_failure_reason_for_a_v2_job():
    batch = [{"MessageId": "m", "Body": json.dumps(v2_event("FAILED", message="bucket policy denies"))}]
    assert failure_reason_for_job([{"extra": {"payload": {"message_batch": batch}}}], "console-v2-job") == (
        "bucket policy denies"
    )


def test_handoff_request_for_an_external_v2_job():
    request = handoff_request_v2(get_v2(), container_type="TS", packaging_group_id="vod", vod_source_role_arn=ROLE)
    assert (request.event_id, request.v2_endpoint, request.origin_endpoint_id) == ("console-v2-job", V2, None)
    assert request.window == HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    assert (request.s3_bucket, request.manifest_key, request.role_arn) == ("live-archive", "console/v2/index.m3u8", "")
    assert request.harvested_manifests == {
        "HlsManifests": ("index",),
        "LowLatencyHlsManifests": ("low-latency",),
        "DashManifests": ("dash",),
    }
    assert request.manifest_keys() == ["console/v2/index.m3u8", "console/v2/low-latency.m3u8", "console/v2/dash.mpd"]
    assert request.container_type == "TS" and request.not_handed_off() is None
    assert HarvestRequest.from_dict(request.to_dict()) == request  # it travels as XCom

    dash_only = get_v2(HarvestedManifests={"DashManifests": [{"ManifestName": "dash"}]})
    cmaf = handoff_request_v2(dash_only, container_type="CMAF", packaging_group_id="vod", vod_source_role_arn=ROLE)
    assert cmaf.manifest_key == "console/v2/dash.mpd"
    assert "CMAF" in cmaf.not_handed_off()  # verified, never given to MediaPackage VOD


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"Destination": {"S3Destination": {"BucketName": "Bad_Bucket", "DestinationPath": "a"}}}, "BucketName"),
        ({"Destination": {"S3Destination": {"BucketName": "b-1", "DestinationPath": "../x"}}}, "DestinationPath"),
        ({"Destination": {"S3Destination": {"BucketName": "b-1", "DestinationPath": "/abs"}}}, "DestinationPath"),
        ({"Destination": {}}, "Destination.S3Destination.BucketName is missing"),
        ({"HarvestedManifests": {}}, "HarvestedManifests lists no"),
        ({"HarvestedManifests": {"HlsManifests": [{"ManifestName": "a?b"}]}}, "HarvestedManifests names"),
        ({"ScheduleConfiguration": {"StartTime": pendulum.parse(END), "EndTime": pendulum.parse(START)}}, "Schedule"),
        ({"ChannelName": None}, "origin endpoint is not named"),
        ({"HarvestJobName": "../x"}, "HarvestJobName"),
    ],
)
def test_handoff_request_v2_refuses_a_bad_job_naming_the_field(changes, field):
    with pytest.raises(NotificationProblem, match=field):
        handoff_request_v2(get_v2(**changes), container_type="TS", packaging_group_id="vod", vod_source_role_arn=ROLE)


# -- the read task's decision, with AWS faked ------------------------------------------------------


class FakeV2Hook:
    def __init__(self, jobs: dict[str, dict], container_type: str = "TS"):
        self.jobs, self.asked = jobs, []

        class ResourceNotFoundException(Exception):
            pass

        def get_origin_endpoint(**names: str) -> dict:
            self.asked.append(names)
            return {"ContainerType": container_type}

        self.conn = SimpleNamespace(
            get_origin_endpoint=get_origin_endpoint,
            exceptions=SimpleNamespace(ResourceNotFoundException=ResourceNotFoundException),
        )

    def get_harvest_job(self, endpoint: V2Endpoint, name: str) -> dict | None:
        return self.jobs.get(f"{endpoint.ref}/{name}")


def decide(body: dict, job: dict | None, *, asset: dict | None = None, container_type: str = "TS") -> dict[str, Any]:
    from live_to_vod.aws.operators.notifications import ReadHarvestNotificationsOperator

    operator = ReadHarvestNotificationsOperator(task_id="read_notifications")
    notification = parse_notification(body)
    jobs = {f"{V2.ref}/{notification.job_id}": job} if job else {}
    operator.v2_hook = FakeV2Hook(jobs, container_type)
    vod = SimpleNamespace(describe_asset=lambda asset_id: asset)
    deployment = DeploymentConfig(packaging_group_id="vod", vod_source_role_arn=ROLE)
    return operator._decide(notification, deployment, vod)


def test_decision_an_external_completed_v2_job_is_handed_off_with_its_request():
    outcome = decide(v2_event(), get_v2())
    assert outcome["action"] == "hand off", outcome
    assert outcome["origin_endpoint_id"] == V2.ref and outcome["job_id"] == "console-v2-job"
    request = HarvestRequest.from_dict(outcome["request"])
    assert request == handoff_request_v2(
        get_v2(), container_type="TS", packaging_group_id="vod", vod_source_role_arn=ROLE
    )
    assert outcome["asset_uri"] == "s3://live-archive/console/v2/index.m3u8"


def test_decision_a_v2_job_already_handed_off_is_skipped():
    outcome = decide(v2_event(), get_v2(), asset={"Id": "console-v2-job", "EgressEndpoints": []})
    assert outcome["action"] == "skipped" and "already handed off" in outcome["reason"]


def test_decision_the_dags_own_v2_job_is_left_to_it():
    window = HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    name = harvest_job_id("game-7", V2.ref, window)
    outcome = decide(v2_event(harvestJobName=name), get_v2(HarvestJobName=name))
    assert outcome["action"] == "skipped"
    assert outcome["reason"] == "live_event_harvest's job for event game-7"
    failed = decide(v2_event("FAILED", harvestJobName=name), get_v2(HarvestJobName=name, Status="FAILED"))
    assert failed["action"] == "skipped" and "game-7" in failed["reason"]


@pytest.mark.parametrize(
    ("body", "job_changes", "reason"),
    [
        (v2_event("FAILED", message="bucket policy denies"), {"ErrorMessage": "other"}, "bucket policy denies"),
        (v2_event("FAILED"), {"ErrorMessage": "no content for the window"}, "no content for the window"),
        (v2_event("FAILED"), {}, "the notification gives no reason"),
        (v2_event("CANCELLED"), {}, "cancelled"),
        (v2_event("COMPLETED"), {"Status": "CANCELLED"}, "cancelled"),  # the job, not the event, is the truth
    ],
)
def test_decision_failed_and_cancelled_v2_jobs_are_reported(body, job_changes, reason):
    status = body["detail"]["harvestJob"]["status"]
    outcome = decide(body, get_v2(**{"Status": status, **job_changes}))
    assert (outcome["action"], outcome["reason"]) == ("failed", reason)


def test_decision_a_v2_job_mediapackage_does_not_know_is_rejected():
    outcome = decide(v2_event(), None)
    assert outcome["action"] == "rejected" and "no harvest job of this name on live-group" in outcome["reason"]
