"""MediaPackage v1 through unmodified boto3 clients: every operation and every create-time rejection."""

from __future__ import annotations

import json
import urllib.request

import pendulum
import pytest

ROLE = "arn:aws:iam::123456789012:role/mediapackage-harvest"


@pytest.fixture
def mp(aws):
    return aws["mediapackage"]


@pytest.fixture
def endpoint(mp):
    mp.create_channel(Id="ch1", Description="main feed")
    return mp.create_origin_endpoint(
        ChannelId="ch1",
        Id="ep1",
        StartoverWindowSeconds=3600,
        TimeDelaySeconds=10,
        HlsPackage={
            "SegmentDurationSeconds": 2,
            "PlaylistWindowSeconds": 30,
            "ProgramDateTimeIntervalSeconds": 2,
        },
    )


def job_args(**overrides):
    now = pendulum.now("UTC")
    args = {
        "Id": "job-1",
        "OriginEndpointId": "ep1",
        "StartTime": (now - pendulum.duration(minutes=10)).to_iso8601_string(),
        "EndTime": (now - pendulum.duration(minutes=5)).to_iso8601_string(),
        "S3Destination": {"BucketName": "bucket", "ManifestKey": "game/index.m3u8", "RoleArn": ROLE},
    }
    args.update(overrides)
    return args


def test_channel_lifecycle(mp):
    created = mp.create_channel(Id="ch1", Description="main feed", Tags={"team": "ops"})
    ingest = created["HlsIngest"]["IngestEndpoints"]
    assert len(ingest) == 2
    for endpoint in ingest:
        assert endpoint["Url"].startswith("http://127.0.0.1:") and "/in/v2/" in endpoint["Url"]
        assert len(endpoint["Username"]) == 32 and len(endpoint["Password"]) == 32
    assert created["Arn"].startswith("arn:aws:mediapackage:us-east-1:123456789012:channels/")
    assert mp.describe_channel(Id="ch1")["Description"] == "main feed"
    assert [c["Id"] for c in mp.list_channels()["Channels"]] == ["ch1"]
    assert mp.update_channel(Id="ch1", Description="new")["Description"] == "new"
    rotated = mp.rotate_ingest_endpoint_credentials(Id="ch1", IngestEndpointId=ingest[0]["Id"])
    assert rotated["HlsIngest"]["IngestEndpoints"][0]["Password"] != ingest[0]["Password"]
    assert mp.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"] == {"team": "ops"}
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="already exists"):
        mp.create_channel(Id="ch1")
    mp.delete_channel(Id="ch1")
    with pytest.raises(mp.exceptions.NotFoundException):
        mp.describe_channel(Id="ch1")


def test_origin_endpoint_fields_and_channel_filter(mp, endpoint):
    mp.create_channel(Id="ch2")
    mp.create_origin_endpoint(ChannelId="ch2", Id="ep2", HlsPackage={})
    assert endpoint["StartoverWindowSeconds"] == 3600
    assert endpoint["TimeDelaySeconds"] == 10
    assert endpoint["Origination"] == "ALLOW"
    assert endpoint["ManifestName"] == "index"
    assert endpoint["HlsPackage"]["PlaylistWindowSeconds"] == 30
    assert endpoint["HlsPackage"]["ProgramDateTimeIntervalSeconds"] == 2
    assert endpoint["Url"].endswith("/index.m3u8") and "/out/v1/" in endpoint["Url"]
    assert [e["Id"] for e in mp.list_origin_endpoints(ChannelId="ch1")["OriginEndpoints"]] == ["ep1"]
    assert [e["Id"] for e in mp.list_origin_endpoints(ChannelId="ch2")["OriginEndpoints"]] == ["ep2"]
    assert len(mp.list_origin_endpoints()["OriginEndpoints"]) == 2
    updated = mp.update_origin_endpoint(Id="ep1", Origination="DENY", ManifestName="main")
    assert updated["Origination"] == "DENY" and updated["Url"].endswith("/main.m3u8")
    assert "StartoverWindowSeconds" not in mp.describe_origin_endpoint(Id="ep2")
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="StartoverWindowSeconds"):
        mp.create_origin_endpoint(ChannelId="ch1", Id="ep3", StartoverWindowSeconds=2_000_000, HlsPackage={})
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="channel nope does not exist"):
        mp.create_origin_endpoint(ChannelId="nope", Id="ep3", HlsPackage={})
    mp.delete_origin_endpoint(Id="ep2")
    with pytest.raises(mp.exceptions.NotFoundException):
        mp.describe_origin_endpoint(Id="ep2")


def test_create_harvest_job_accepts_iso_and_epoch_strings(mp, endpoint):
    now = pendulum.now("UTC").replace(microsecond=0)
    start, end = now - pendulum.duration(minutes=10), now - pendulum.duration(minutes=5)
    job = mp.create_harvest_job(**job_args(StartTime=start.in_timezone("America/New_York").isoformat()))
    assert job["Status"] == "IN_PROGRESS"
    assert job["ChannelId"] == "ch1"
    assert pendulum.parse(job["StartTime"]) == start
    assert job["Arn"] == "arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/job-1"
    epoch = mp.create_harvest_job(
        **job_args(Id="job-2", StartTime=str(int(start.timestamp())), EndTime=str(int(end.timestamp())))
    )
    assert pendulum.parse(epoch["StartTime"]) == start and pendulum.parse(epoch["EndTime"]) == end
    described = mp.describe_harvest_job(Id="job-2")
    assert described["S3Destination"] == {
        "BucketName": "bucket",
        "ManifestKey": "game/index.m3u8",
        "RoleArn": ROLE,
    }


REJECTIONS = [
    ({"OriginEndpointId": "nope"}, "origin endpoint nope does not exist"),
    ({"Id": "bad id!"}, "Id 'bad id!' is invalid"),
    ({"StartTime": "yesterday at noon"}, "StartTime 'yesterday at noon' is not a valid time"),
    ({"EndTime": "2026-13-45T99:00:00Z"}, "EndTime '2026-13-45T99:00:00Z' is not a valid time"),
    ({"StartTime": "2026-11-26T10:00:00"}, "has no time zone offset"),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTIONS)
def test_create_harvest_job_rejections(mp, endpoint, overrides, message):
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match=message) as info:
        mp.create_harvest_job(**job_args(**overrides))
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 422
    assert mp.list_harvest_jobs()["HarvestJobs"] == []


def test_create_harvest_job_window_rejections(mp, endpoint):
    now = pendulum.now("UTC")
    cases = [
        (now - pendulum.duration(minutes=5), now + pendulum.duration(minutes=5), "is not in the past"),
        (now - pendulum.duration(minutes=5), now - pendulum.duration(minutes=6), "must be after StartTime"),
        (now - pendulum.duration(minutes=5), now - pendulum.duration(minutes=5), "must be after StartTime"),
        (
            now - pendulum.duration(hours=2),
            now - pendulum.duration(minutes=5),
            "outside the startover window",
        ),
    ]
    for start, end, message in cases:
        with pytest.raises(mp.exceptions.UnprocessableEntityException, match=message):
            mp.create_harvest_job(**job_args(StartTime=start.to_iso8601_string(), EndTime=end.to_iso8601_string()))
    mp.update_origin_endpoint(Id="ep1", StartoverWindowSeconds=1_209_600)
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="longer than 24 hours"):
        mp.create_harvest_job(
            **job_args(
                StartTime=(now - pendulum.duration(hours=30)).to_iso8601_string(),
                EndTime=(now - pendulum.duration(hours=5)).to_iso8601_string(),
            )
        )
    assert mp.list_harvest_jobs()["HarvestJobs"] == []


def test_create_harvest_job_startover_off(mp):
    mp.create_channel(Id="ch1")
    mp.create_origin_endpoint(ChannelId="ch1", Id="ep1", HlsPackage={})
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="startover off"):
        mp.create_harvest_job(**job_args())


def test_harvest_job_id_held_for_90_days(stack, mp, endpoint):
    mp.create_harvest_job(**job_args())
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="already in use"):
        mp.create_harvest_job(**job_args())
    advance(stack.url, days=89)
    assert mp.describe_harvest_job(Id="job-1")["Id"] == "job-1"
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="already in use"):
        mp.create_harvest_job(**job_args())
    advance(stack.url, days=1.01)
    with pytest.raises(mp.exceptions.NotFoundException):
        mp.describe_harvest_job(Id="job-1")
    assert mp.create_harvest_job(**job_args())["Id"] == "job-1"


def advance(url: str, days: float) -> None:
    request = urllib.request.Request(
        f"{url}/_devstack/clock",
        data=json.dumps({"advance_seconds": days * 86400}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).read()


def test_list_harvest_jobs_filters_and_pages(mp, endpoint):
    mp.create_channel(Id="ch2")
    mp.create_origin_endpoint(ChannelId="ch2", Id="ep2", StartoverWindowSeconds=3600, HlsPackage={})
    for i in range(5):
        mp.create_harvest_job(**job_args(Id=f"a-{i}"))
    for i in range(3):
        mp.create_harvest_job(**job_args(Id=f"b-{i}", OriginEndpointId="ep2"))
    assert len(mp.list_harvest_jobs()["HarvestJobs"]) == 8
    assert {j["Id"] for j in mp.list_harvest_jobs(IncludeChannelId="ch2")["HarvestJobs"]} == {
        "b-0",
        "b-1",
        "b-2",
    }
    page = mp.list_harvest_jobs(MaxResults=3)
    assert len(page["HarvestJobs"]) == 3 and page["NextToken"]
    seen = [
        j["Id"]
        for p in mp.get_paginator("list_harvest_jobs").paginate(PaginationConfig={"PageSize": 3})
        for j in p["HarvestJobs"]
    ]
    assert sorted(seen) == sorted([f"a-{i}" for i in range(5)] + [f"b-{i}" for i in range(3)])
    # Nothing has content, so every job ends FAILED.
    import time

    deadline = time.monotonic() + 10
    while mp.list_harvest_jobs(IncludeStatus="IN_PROGRESS")["HarvestJobs"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mp.list_harvest_jobs(IncludeStatus="FAILED")["HarvestJobs"]) == 8
    assert mp.list_harvest_jobs(IncludeStatus="SUCCEEDED")["HarvestJobs"] == []


def test_remaining_channel_operations_and_pagination(mp):
    created = mp.create_channel(Id="ch1")
    rotated = mp.rotate_channel_credentials(Id="ch1")
    before = {e["Id"]: e["Password"] for e in created["HlsIngest"]["IngestEndpoints"]}
    after = {e["Id"]: e["Password"] for e in rotated["HlsIngest"]["IngestEndpoints"]}
    assert before.keys() == after.keys() and all(before[k] != after[k] for k in before)
    logs = mp.configure_logs(Id="ch1", IngressAccessLogs={"LogGroupName": "/aws/MediaPackage/Ingress"})
    assert logs["IngressAccessLogs"] == {"LogGroupName": "/aws/MediaPackage/Ingress"}
    mp.tag_resource(ResourceArn=created["Arn"], Tags={"sport": "football", "team": "ops"})
    mp.untag_resource(ResourceArn=created["Arn"], TagKeys=["team"])
    assert mp.list_tags_for_resource(ResourceArn=created["Arn"])["Tags"] == {"sport": "football"}
    with pytest.raises(mp.exceptions.NotFoundException):
        mp.list_tags_for_resource(ResourceArn="arn:aws:mediapackage:us-east-1:123456789012:channels/none")
    for i in range(2, 6):
        mp.create_channel(Id=f"ch{i}")
        mp.create_origin_endpoint(ChannelId=f"ch{i}", Id=f"ep{i}", HlsPackage={})
    channels = [
        c["Id"]
        for p in mp.get_paginator("list_channels").paginate(PaginationConfig={"PageSize": 2})
        for c in p["Channels"]
    ]
    assert channels == ["ch1", "ch2", "ch3", "ch4", "ch5"]
    endpoints = [
        e["Id"]
        for p in mp.get_paginator("list_origin_endpoints").paginate(PaginationConfig={"PageSize": 3})
        for e in p["OriginEndpoints"]
    ]
    assert endpoints == ["ep2", "ep3", "ep4", "ep5"]
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="still has origin endpoints"):
        mp.delete_channel(Id="ch2")
    with pytest.raises(mp.exceptions.UnprocessableEntityException, match="MaxResults"):
        mp.list_harvest_jobs(MaxResults=5000)
