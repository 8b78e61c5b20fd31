"""A real encoder: Debian's ffmpeg pushes HLS over HTTP PUT to the ingest URL, then we harvest it.

ffmpeg answers an auth challenge on every request, uploads with chunked bodies, deletes old
segments, writes PDT with a +0000 offset and ends with ENDLIST: the ingest path must take all of it.
"""

from __future__ import annotations

import json
import time

import pendulum
import pytest

from live_to_vod.verification import S3AssetStore, verify_vod_asset
from localrun.seed import create_harvest_job, ingest_by_address, seed, wait_for_harvest_job
from tests.support.media_tools import ffmpeg_push, media_tool

pytestmark = [pytest.mark.slow, pytest.mark.ffmpeg]


@pytest.fixture
def ffmpeg() -> str:
    return media_tool("ffmpeg")


def test_ffmpeg_push_then_harvest(ffmpeg, stack, aws):
    demo = seed(stack.stack.settings, with_encoder=False)
    mp = aws["mediapackage"]
    ingest = mp.describe_channel(Id=demo["channel_id"])["HlsIngest"]["IngestEndpoints"][0]
    target = ingest["Url"].replace("http://", f"http://{ingest['Username']}:{ingest['Password']}@") + ".m3u8"
    began = pendulum.now("UTC")
    ffmpeg_push(ffmpeg, target)

    content = stack.stack.mediapackage.regions["us-east-1"].channels[demo["channel_id"]].content
    (rendition,) = content.renditions.values()
    assert len(rendition.segments) == 6 and rendition.ended
    first = pendulum.from_timestamp(rendition.segments[0].start_ms / 1000, tz="UTC")
    assert abs((first - began).total_seconds()) < 5  # ffmpeg's wall-clock PDT, +0000 offset parsed

    start, end = first.add(seconds=3), first.add(seconds=9)
    create_harvest_job(mp, demo, "ffmpeg-game", start, end, manifest_key="ffmpeg/index.m3u8")
    assert wait_for_harvest_job(mp, "ffmpeg-game", timeout=30, poll=0.1)["Status"] == "SUCCEEDED"
    report = verify_vod_asset(S3AssetStore(aws["s3"], demo["bucket"]), "ffmpeg/index.m3u8", start, end)
    assert report.ok, report.summary()
    assert report.segment_count == 4  # [2,4) through [8,10): segment-accurate at both ends
    (variant,) = report.renditions
    assert variant.codecs and variant.codecs.startswith("avc1.") and "mp4a.40.2" in variant.codecs


def test_ffmpeg_push_to_a_v2_channel_then_harvest(ffmpeg, stack, aws):
    """ffmpeg cannot sign: the v2 channel policy lets it in by source address only."""
    demo = seed(stack.stack.settings, with_encoder=False)
    v2 = aws["mediapackagev2"]
    group, channel = demo["v2"]["channel_group"], demo["v2"]["channel"]
    channel_arn = v2.get_channel(ChannelGroupName=group, ChannelName=channel)["Arn"]
    policy = json.dumps(ingest_by_address(channel_arn, "127.0.0.1/32"))
    v2.put_channel_policy(ChannelGroupName=group, ChannelName=channel, Policy=policy)
    began = pendulum.now("UTC")
    ffmpeg_push(ffmpeg, demo["v2"]["ingest_url"] + ".m3u8")

    start, end = began.add(seconds=3), began.add(seconds=9)
    v2.create_harvest_job(
        ChannelGroupName=group,
        ChannelName=channel,
        OriginEndpointName=demo["v2"]["ts_endpoint"],
        HarvestJobName="ffmpeg-game",
        HarvestedManifests={"HlsManifests": [{"ManifestName": "index"}]},
        ScheduleConfiguration={"StartTime": start, "EndTime": end},
        Destination={"S3Destination": {"BucketName": demo["bucket"], "DestinationPath": "ffmpeg-v2"}},
    )
    names = {"ChannelGroupName": group, "ChannelName": channel, "OriginEndpointName": demo["v2"]["ts_endpoint"]}
    deadline = pendulum.now("UTC").add(seconds=30)
    job = v2.get_harvest_job(**names, HarvestJobName="ffmpeg-game")
    while job["Status"] in ("QUEUED", "IN_PROGRESS") and pendulum.now("UTC") < deadline:
        time.sleep(0.2)
        job = v2.get_harvest_job(**names, HarvestJobName="ffmpeg-game")
    assert job["Status"] == "COMPLETED", job.get("ErrorMessage")
    report = verify_vod_asset(S3AssetStore(aws["s3"], demo["bucket"]), "ffmpeg-v2/index.m3u8", start, end)
    assert report.ok, report.summary()
    assert report.segment_count == 4  # ffmpeg segments start on its own clock: whole segments around the window
