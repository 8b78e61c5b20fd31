"""Encoder push -> harvest -> S3 asset checked against the checklist -> event in SQS -> VOD asset plays."""

from __future__ import annotations

import io
import json
import time
import urllib.request

import av
import m3u8
import pytest

from live_to_vod.verification import S3AssetStore, verify_vod_asset
from localrun.seed import create_harvest_job, push_content, seed, wait_for_harvest_job

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(stack, aws):
    """The seeded demo setup with 3 minutes of pushed content, the stream ended."""
    setup = seed(stack.stack.settings, with_encoder=False)
    setup["encoder"] = push_content(aws["mediapackage"], setup, preroll_seconds=180)
    return setup


def notifications(sqs, queue_url: str, expected: int, timeout: float = 20) -> list[dict]:
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(found) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_harvest_to_playable_vod(aws, demo):
    mp, s3, sqs, vod = aws["mediapackage"], aws["s3"], aws["sqs"], aws["mediapackage-vod"]
    stream_start = demo["encoder"].start
    # A window that starts and ends mid-segment: the asset widens to whole segments.
    start = stream_start.add(seconds=61, microseconds=300_000)
    end = stream_start.add(seconds=150, microseconds=700_000)
    create_harvest_job(mp, demo, "game-1", start, end)
    job = wait_for_harvest_job(mp, "game-1", poll=0.1)
    assert job["Status"] == "SUCCEEDED"

    store = S3AssetStore(s3, demo["bucket"])
    report = verify_vod_asset(store, "games/game-1/index.m3u8", start, end, segments="sampled")
    assert report.ok, report.summary()
    assert len(report.renditions) == 4  # 3 video + audio
    for rendition in report.renditions:
        assert rendition.first_pdt == stream_start.add(seconds=60)  # the segment containing StartTime
        assert rendition.end_pdt == stream_start.add(seconds=152)  # the segment containing EndTime
        assert rendition.segments == 46
    # Every segment decodes, not only first and last.
    child = m3u8.loads(s3.get_object(Bucket=demo["bucket"], Key="games/game-1/index_1.m3u8")["Body"].read().decode())
    assert child.playlist_type == "vod" and child.is_endlist and child.version >= 3
    for segment in child.segments:
        obj = s3.get_object(Bucket=demo["bucket"], Key=f"games/game-1/{segment.uri}")
        assert obj["ContentType"] == "video/MP2T"
        with av.open(io.BytesIO(obj["Body"].read()), format="mpegts") as container:
            assert sum(1 for _ in container.decode(video=0)) == 50  # 2 s at 25 fps

    events = notifications(sqs, demo["queue_url"], 1)
    assert len(events) == 1
    event = events[0]
    assert event["source"] == "aws.mediapackage" and event["detail-type"] == "MediaPackage HarvestJob Notification"
    assert event["detail"]["harvest_job"]["id"] == "game-1"
    assert event["detail"]["harvest_job"]["status"] == "SUCCEEDED"
    assert event["detail"]["harvest_job"]["s3_destination"]["manifest_key"] == "games/game-1/index.m3u8"

    vod.create_asset(
        Id="game-1",
        PackagingGroupId=demo["packaging_group_id"],
        SourceArn=f"arn:aws:s3:::{demo['bucket']}/games/game-1/index.m3u8",
        SourceRoleArn=demo["vod_role_arn"],
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        endpoints = vod.describe_asset(Id="game-1")["EgressEndpoints"]
        if all(e["Status"] in ("PLAYABLE", "FAILED") for e in endpoints):
            break
        time.sleep(0.1)
    assert [e["Status"] for e in endpoints] == ["PLAYABLE"]
    url = endpoints[0]["Url"]
    parent = m3u8.loads(urllib.request.urlopen(url).read().decode(), uri=url)
    assert parent.is_variant and len(parent.playlists) == 3 and parent.media[0].group_id
    playlist = m3u8.loads(
        urllib.request.urlopen(parent.playlists[2].absolute_uri).read().decode(),
        uri=parent.playlists[2].absolute_uri,
    )
    assert playlist.is_endlist and len(playlist.segments) == 46
    last = urllib.request.urlopen(playlist.segments[-1].absolute_uri).read()
    with av.open(io.BytesIO(last), format="mpegts") as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)


def trusting(service: str) -> dict:
    """A role trust policy letting ``service`` assume the role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_harvest_failures_carry_their_reason_in_the_event(aws, demo):
    mp, iam, sqs = aws["mediapackage"], aws["iam"], aws["sqs"]
    stream_start = demo["encoder"].start
    start, end = stream_start.add(seconds=10), stream_start.add(seconds=20)
    iam.create_role(RoleName="untrusting", AssumeRolePolicyDocument=json.dumps(trusting("ec2.amazonaws.com")))
    iam.create_role(RoleName="read-only", AssumeRolePolicyDocument=json.dumps(trusting("mediapackage.amazonaws.com")))
    iam.put_role_policy(
        RoleName="read-only",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )
    account = "arn:aws:iam::123456789012:role"
    cases = {
        "no-bucket": ({"BucketName": "missing-bucket"}, None, "bucket missing-bucket does not exist"),
        "no-role": ({"RoleArn": f"{account}/missing"}, None, "does not exist"),
        "untrusting": (
            {"RoleArn": f"{account}/untrusting"},
            None,
            "does not trust mediapackage.amazonaws.com",
        ),
        "no-put": ({"RoleArn": f"{account}/read-only"}, None, "does not allow s3:PutObject"),
        "no-content": (
            {},
            (stream_start.subtract(minutes=5), stream_start.subtract(minutes=4)),
            "no content in the window",
        ),
        "partial": ({}, (stream_start.subtract(seconds=10), stream_start.add(seconds=10)), "covers only"),
    }
    for job_id, (destination, window, _) in cases.items():
        create_harvest_job(mp, demo, job_id, *(window or (start, end)), **destination)
    for job_id in cases:
        assert wait_for_harvest_job(mp, job_id, poll=0.1)["Status"] == "FAILED"
        assert "message" not in mp.describe_harvest_job(Id=job_id)  # the API carries no reason, as on AWS
    events = {e["detail"]["harvest_job"]["id"]: e["detail"] for e in notifications(sqs, demo["queue_url"], len(cases))}
    assert set(events) == set(cases)
    for job_id, (_, _, reason) in cases.items():
        assert events[job_id]["harvest_job"]["status"] == "FAILED"
        assert reason in events[job_id]["message"], (job_id, events[job_id]["message"])
    assert aws["s3"].list_objects_v2(Bucket=demo["bucket"]).get("KeyCount", 0) == 0
