"""MediaPackage v2 in the local stack: ingest by channel policy, the origin (TS, CMAF, DASH), and
harvest jobs with every create-time rule, through unmodified boto3 clients and plain HTTP."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request

import av
import boto3
import m3u8
import pendulum
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from mpegdash.parser import MPEGDASHParser

from devstack.encoder import LiveHlsEncoder
from devstack.faults import FaultControl
from live_to_vod.verification import S3AssetStore, verify_vod_asset
from localrun.seed import ingest_by_address, push_content_v2, seed

pytestmark = pytest.mark.slow

GROUP, CHANNEL = "demo-group", "demo-v2-channel"


@pytest.fixture
def demo(stack, aws):
    """The seeded demo (v1 and v2) with 3 minutes of content pushed to the v2 channel, the stream ended."""
    setup = seed(stack.stack.settings, with_encoder=False)
    setup["encoder"] = push_content_v2(stack.stack.settings, setup, preroll_seconds=180)
    return setup


def get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), ""


def rejection(excinfo) -> tuple[str, str | None]:
    response = excinfo.value.response
    code = response["Error"]["Code"]
    kind = response.get("ValidationExceptionType") or response.get("ConflictExceptionType")
    return code, kind


def job_request(demo, name: str, start, end, endpoint="demo-cmaf", **overrides):
    request = {
        "ChannelGroupName": GROUP,
        "ChannelName": CHANNEL,
        "OriginEndpointName": endpoint,
        "HarvestJobName": name,
        "HarvestedManifests": {
            "HlsManifests": [{"ManifestName": "index"}],
            "LowLatencyHlsManifests": [{"ManifestName": "low-latency"}],
            "DashManifests": [{"ManifestName": "dash"}],
        },
        "ScheduleConfiguration": {"StartTime": start, "EndTime": end},
        "Destination": {"S3Destination": {"BucketName": demo["bucket"], "DestinationPath": f"v2/{name}"}},
    }
    request.update(overrides)
    return request


def wait_for(v2, name: str, endpoint="demo-cmaf", timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = v2.get_harvest_job(
            ChannelGroupName=GROUP, ChannelName=CHANNEL, OriginEndpointName=endpoint, HarvestJobName=name
        )
        if job["Status"] not in ("QUEUED", "IN_PROGRESS"):
            return job
        time.sleep(0.1)
    raise TimeoutError(name)


def keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


# -- ingest -------------------------------------------------------------------------------------


def test_the_channel_policy_decides_who_may_push(stack, aws):
    settings = stack.stack.settings
    demo = seed(settings, with_encoder=False)
    url = demo["v2"]["ingest_url"]
    unsigned = LiveHlsEncoder(url)
    with pytest.raises(Exception, match="403.*anonymous"):
        unsigned.run(preroll_seconds=4, duration_seconds=0)

    push_content_v2(settings, demo, preroll_seconds=4)  # signed by the identity the policy names

    v2 = aws["mediapackagev2"]
    channel_arn = v2.get_channel(ChannelGroupName=GROUP, ChannelName=CHANNEL)["Arn"]
    others_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/MediaLiveAccessRole"},
                "Action": "mediapackagev2:PutObject",
                "Resource": channel_arn,
            }
        ],
    }
    v2.put_channel_policy(ChannelGroupName=GROUP, ChannelName=CHANNEL, Policy=json.dumps(others_only))
    with pytest.raises(Exception, match="403.*user/local-stack"):
        push_content_v2(settings, demo, preroll_seconds=4)

    # An encoder that cannot sign: allowed by source address only.
    by_address = ingest_by_address(channel_arn, "127.0.0.0/8")
    v2.put_channel_policy(ChannelGroupName=GROUP, ChannelName=CHANNEL, Policy=json.dumps(by_address))
    LiveHlsEncoder(url).run(preroll_seconds=4, duration_seconds=0)


# -- origin -------------------------------------------------------------------------------------


def test_the_origin_serves_ts_cmaf_and_dash_over_the_same_content(demo):
    (ts_index,) = demo["v2"]["manifests"]["demo-ts"]
    hls, low_latency, dash = demo["v2"]["manifests"]["demo-cmaf"]
    # Live windows end at the newest content; the stream ended 0-2 s ago, so the window is not empty.
    status, body, kind = get(ts_index)
    assert status == 200 and kind.startswith("application/vnd.apple.mpegurl")
    parent = m3u8.loads(body.decode(), uri=ts_index)
    child_url = parent.playlists[0].absolute_uri
    child = m3u8.loads(get(child_url)[1].decode(), uri=child_url)
    assert child.segments and child.segments[0].uri.endswith(".ts")
    status, segment, kind = get(child.segments[-1].absolute_uri)
    assert status == 200 and kind == "video/MP2T"

    for url in (hls, low_latency):
        parent = m3u8.loads(get(url)[1].decode(), uri=url)
        child_url = parent.playlists[0].absolute_uri
        child = m3u8.loads(get(child_url)[1].decode(), uri=child_url)
        init = child.segments[0].init_section
        assert init is not None and init.uri.endswith("_init.mp4")
        base = child_url.rsplit("/", 1)[0]
        body = get(f"{base}/{init.uri}")[1] + get(child.segments[-1].absolute_uri)[1]
        with av.open(io.BytesIO(body), format="mp4") as container:
            assert sum(1 for _ in container.decode(video=0)) == 50  # one 2 s segment at 25 fps

    status, body, kind = get(dash)
    assert status == 200 and kind == "application/dash+xml"
    mpd = MPEGDASHParser.parse(body.decode())
    assert mpd.type == "dynamic"
    kinds = {a.content_type for a in mpd.periods[0].adaptation_sets}
    assert kinds == {"video", "audio"}
    video = next(a for a in mpd.periods[0].adaptation_sets if a.content_type == "video")
    representation = video.representations[0]
    template = representation.segment_templates[0]
    first = template.segment_timelines[0].Ss[0]
    base = dash.rsplit("/", 1)[0]
    init_url = f"{base}/{template.initialization.replace('$RepresentationID$', representation.id)}"
    media_url = f"{base}/" + template.media.replace("$RepresentationID$", representation.id).replace(
        "$Number$", str(template.start_number)
    )
    body = get(init_url)[1] + get(media_url)[1]
    with av.open(io.BytesIO(body), format="mp4") as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 50
    assert frames[0].pts == first.t  # the timeline names the fragment's own decode time


# -- harvest jobs -------------------------------------------------------------------------------


def test_a_cmaf_harvest_writes_every_manifest_over_shared_segments_and_notifies(demo, aws):
    v2, s3, events, sqs = aws["mediapackagev2"], aws["s3"], aws["events"], aws["sqs"]
    queue = sqs.create_queue(QueueName="v2-notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.mediapackagev2"], "detail-type": ["MediaPackageV2 HarvestJob Notification"]}
    events.put_rule(Name="v2-harvests", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="v2-harvests", Targets=[{"Id": "q", "Arn": queue_arn}])

    stream_start = demo["encoder"].start
    start, end = stream_start.add(seconds=61), stream_start.add(seconds=151)
    created = v2.create_harvest_job(**job_request(demo, "game-1", start, end))
    assert created["Status"] == "QUEUED" and created["Arn"].endswith("/originEndpoint/demo-cmaf/harvestJob/game-1")
    job = wait_for(v2, "game-1")
    assert job["Status"] == "COMPLETED", job.get("ErrorMessage")

    written = keys(s3, demo["bucket"], "v2/game-1/")
    segments = [k for k in written if k.endswith(".mp4") and not k.endswith("_init.mp4")]
    inits = [k for k in written if k.endswith("_init.mp4")]
    assert len(inits) == 4  # one per rendition
    assert len(segments) == 4 * 46  # 60-152 s in 2 s segments, each written once for three manifests
    assert {"v2/game-1/index.m3u8", "v2/game-1/low-latency.m3u8", "v2/game-1/dash.mpd"} <= set(written)

    child = m3u8.loads(s3.get_object(Bucket=demo["bucket"], Key="v2/game-1/index_1.m3u8")["Body"].read().decode())
    assert child.playlist_type == "vod" and child.is_endlist
    assert child.segments[0].init_section.uri == "segment_1_init.mp4"
    assert pendulum.instance(child.segments[0].current_program_date_time) == stream_start.add(seconds=60)

    mpd = MPEGDASHParser.parse(s3.get_object(Bucket=demo["bucket"], Key="v2/game-1/dash.mpd")["Body"].read().decode())
    assert mpd.type == "static" and mpd.media_presentation_duration == "PT92.000S"
    for adaptation in mpd.periods[0].adaptation_sets:
        for representation in adaptation.representations:
            template = representation.segment_templates[0]
            count = sum(1 + (s.r or 0) for s in template.segment_timelines[0].Ss)
            assert count == 46
            for number in range(template.start_number, template.start_number + count):
                key = "v2/game-1/" + template.media.replace("$RepresentationID$", representation.id).replace(
                    "$Number$", str(number)
                )
                assert key in written

    # Every harvested manifest verifies, its companions not counted as leftovers; audio fragments run
    # back to back on the media clock (whole AAC frames), so the DASH timeline has no gap.
    store = S3AssetStore(s3, demo["bucket"])
    manifests = ["v2/game-1/index.m3u8", "v2/game-1/low-latency.m3u8", "v2/game-1/dash.mpd"]
    for key in manifests:
        others = [m for m in manifests if m != key]
        report = verify_vod_asset(store, key, start, end, segments="sampled", companions=others)
        assert report.ok and not report.defects, report.summary()

    deadline = time.monotonic() + 20
    messages: list = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    event = json.loads(messages[0]["Body"])
    assert event["source"] == "aws.mediapackagev2" and event["resources"] == [job["Arn"]]
    assert event["detail"]["harvestJob"]["status"] == "COMPLETED"
    assert event["detail"]["harvestJob"]["harvestJobName"] == "game-1"


def test_a_ts_harvest_copies_the_ingested_segments(demo, aws):
    v2, s3 = aws["mediapackagev2"], aws["s3"]
    start = demo["encoder"].start.add(seconds=20)
    request = job_request(demo, "ts-1", start, start.add(seconds=10), endpoint="demo-ts")
    request["HarvestedManifests"] = {"HlsManifests": [{"ManifestName": "index"}]}
    v2.create_harvest_job(**request)
    assert wait_for(v2, "ts-1", endpoint="demo-ts")["Status"] == "COMPLETED"
    written = keys(s3, demo["bucket"], "v2/ts-1/")
    assert len([k for k in written if k.endswith(".ts")]) == 4 * 5
    assert s3.get_object(Bucket=demo["bucket"], Key="v2/ts-1/segment_1_11.ts")["ContentType"] == "video/MP2T"


def test_every_create_time_rule_is_enforced_and_creates_nothing(demo, aws, stack):
    v2, s3 = aws["mediapackagev2"], aws["s3"]
    start = demo["encoder"].start.add(seconds=20)
    end = start.add(seconds=10)
    now = pendulum.now("UTC")
    v2.create_origin_endpoint(
        ChannelGroupName=GROUP,
        ChannelName=CHANNEL,
        OriginEndpointName="clipped",
        ContainerType="CMAF",
        StartoverWindowSeconds=3600,
        HlsManifests=[{"ManifestName": "clip", "FilterConfiguration": {"Start": now.subtract(hours=1)}}],
    )
    cases = [
        (
            {"HarvestedManifests": {"HlsManifests": [{"ManifestName": "nope"}]}},
            "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT",
        ),
        ({"HarvestedManifests": {}}, "NUM_MANIFESTS_LOW"),
        ({"ScheduleConfiguration": {"StartTime": end, "EndTime": start}}, "END_TIME_EARLIER_THAN_START_TIME"),
        (
            {"ScheduleConfiguration": {"StartTime": now.subtract(hours=25), "EndTime": now.subtract(minutes=30)}},
            "INVALID_HARVEST_JOB_DURATION",
        ),
        ({"ScheduleConfiguration": {"StartTime": now.add(minutes=5), "EndTime": now.add(minutes=9)}}, "MEMBER_INVALID"),
        (
            {"ScheduleConfiguration": {"StartTime": now.subtract(days=2), "EndTime": now.subtract(days=1)}},
            "MEMBER_INVALID",  # before the startover window
        ),
        (
            {"Destination": {"S3Destination": {"BucketName": "no-such-bucket", "DestinationPath": "x"}}},
            "HARVEST_JOB_UNABLE_TO_WRITE_TO_S3_DESTINATION",
        ),
    ]
    for overrides, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            v2.create_harvest_job(**job_request(demo, "bad", start, end, **overrides))
        assert rejection(excinfo) == ("ValidationException", expected), overrides

    clipped = job_request(demo, "bad", start, end, endpoint="clipped")
    clipped["HarvestedManifests"] = {"HlsManifests": [{"ManifestName": "clip"}]}
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**clipped)
    assert rejection(excinfo) == ("ValidationException", "HARVESTED_MANIFEST_HAS_START_END_FILTER_CONFIGURATION")

    v2.delete_origin_endpoint_policy(ChannelGroupName=GROUP, ChannelName=CHANNEL, OriginEndpointName="demo-cmaf")
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**job_request(demo, "bad", start, end))
    assert rejection(excinfo) == ("ValidationException", "HARVEST_JOB_CUSTOMER_ENDPOINT_READ_ACCESS_DENIED")
    assert "mediapackagev2:HarvestObject" in str(excinfo.value)

    s3.delete_bucket_policy(Bucket=demo["bucket"])
    ts = job_request(demo, "bad", start, end, endpoint="demo-ts")
    ts["HarvestedManifests"] = {"HlsManifests": [{"ManifestName": "index"}]}
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**ts)
    assert rejection(excinfo) == ("ValidationException", "HARVEST_JOB_UNABLE_TO_WRITE_TO_S3_DESTINATION")
    assert "s3:PutObject" in str(excinfo.value)

    # botocore refuses an empty DestinationPath itself; a client that skips its validation reaches AWS's check.
    unvalidated = boto3.client(
        "mediapackagev2",
        endpoint_url=stack.url,
        region_name="us-east-1",
        aws_access_key_id="local-stack",
        aws_secret_access_key="local-stack",
        config=Config(parameter_validation=False),
    )
    incomplete = {"S3Destination": {"BucketName": demo["bucket"], "DestinationPath": ""}}
    with pytest.raises(ClientError) as excinfo:
        unvalidated.create_harvest_job(**job_request(demo, "bad", start, end, Destination=incomplete))
    assert rejection(excinfo) == ("ValidationException", "HARVEST_JOB_S3_DESTINATION_MISSING_OR_INCOMPLETE")

    assert v2.list_harvest_jobs(ChannelGroupName=GROUP)["Items"] == []
    assert keys(s3, demo["bucket"], "v2/") == []


def test_client_token_and_name_make_a_create_exactly_once(demo, aws):
    v2 = aws["mediapackagev2"]
    start = demo["encoder"].start.add(seconds=20)
    request = job_request(demo, "once", start, start.add(seconds=10), ClientToken="event-42-window-1")
    first = v2.create_harvest_job(**request)
    again = v2.create_harvest_job(**request)  # a retry: the same job, not a second one
    assert again["Arn"] == first["Arn"] and again["CreatedAt"] == first["CreatedAt"]
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**{**request, "Description": "something else"})
    assert rejection(excinfo) == ("ConflictException", "IDEMPOTENT_PARAMETER_MISMATCH")
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**{**request, "ClientToken": "another-token"})
    assert rejection(excinfo) == ("ConflictException", "RESOURCE_ALREADY_EXISTS")
    assert [j["HarvestJobName"] for j in v2.list_harvest_jobs(ChannelGroupName=GROUP)["Items"]] == ["once"]


def test_a_real_time_harvest_runs_until_its_end_passes(stack, aws):
    settings = stack.stack.settings
    demo = seed(settings, with_encoder=False)
    from devstack.encoder.signing import SigV4PushAuth

    key, secret = next(iter(settings.credentials.items()))
    encoder = LiveHlsEncoder(demo["v2"]["ingest_url"], auth=SigV4PushAuth(key, secret, "us-east-1"))
    live = threading.Thread(target=encoder.run, kwargs={"preroll_seconds": 30, "duration_seconds": 14})
    live.start()
    try:
        time.sleep(1)
        v2 = aws["mediapackagev2"]
        now = pendulum.now("UTC")
        end = now.add(seconds=6)  # the game has not ended yet
        v2.create_harvest_job(**job_request(demo, "live", now.subtract(seconds=20), end))
        time.sleep(2)
        job = v2.get_harvest_job(
            ChannelGroupName=GROUP, ChannelName=CHANNEL, OriginEndpointName="demo-cmaf", HarvestJobName="live"
        )
        assert job["Status"] == "IN_PROGRESS"
        done = wait_for(v2, "live", timeout=40)
        assert done["Status"] == "COMPLETED", done.get("ErrorMessage")
        assert done["ModifiedAt"] >= end
    finally:
        live.join()


def test_cancel_stops_a_job_and_only_an_active_one(demo, aws):
    v2, s3 = aws["mediapackagev2"], aws["s3"]
    names = {"ChannelGroupName": GROUP, "ChannelName": CHANNEL, "OriginEndpointName": "demo-cmaf"}
    now = pendulum.now("UTC")
    v2.create_harvest_job(**job_request(demo, "to-cancel", now.subtract(minutes=1), now.add(minutes=30)))
    v2.cancel_harvest_job(**names, HarvestJobName="to-cancel")
    job = v2.get_harvest_job(**names, HarvestJobName="to-cancel")
    assert job["Status"] == "CANCELLED"
    with pytest.raises(ClientError) as excinfo:
        v2.cancel_harvest_job(**names, HarvestJobName="to-cancel")
    assert rejection(excinfo) == ("ValidationException", "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION")
    time.sleep(1)
    assert keys(s3, demo["bucket"], "v2/to-cancel/") == []
    assert v2.get_harvest_job(**names, HarvestJobName="to-cancel")["Status"] == "CANCELLED"


def test_at_most_ten_active_jobs_per_channel_group(demo, aws):
    v2 = aws["mediapackagev2"]
    now = pendulum.now("UTC")
    for i in range(10):
        v2.create_harvest_job(**job_request(demo, f"q{i}", now.subtract(minutes=1), now.add(hours=1)))
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**job_request(demo, "q10", now.subtract(minutes=1), now.add(hours=1)))
    assert rejection(excinfo) == ("ValidationException", "TOO_MANY_IN_PROGRESS_HARVEST_JOBS")
    v2.cancel_harvest_job(
        ChannelGroupName=GROUP, ChannelName=CHANNEL, OriginEndpointName="demo-cmaf", HarvestJobName="q0"
    )
    v2.create_harvest_job(**job_request(demo, "q10", now.subtract(minutes=1), now.add(hours=1)))


def test_jobs_are_kept_fifteen_days_after_their_end(demo, aws, stack):
    v2 = aws["mediapackagev2"]
    start = demo["encoder"].start.add(seconds=20)
    request = job_request(demo, "kept", start, start.add(seconds=10))
    v2.create_harvest_job(**request)
    assert wait_for(v2, "kept")["Status"] == "COMPLETED"

    def advance(days: float) -> None:
        body = json.dumps({"advance_seconds": days * 86400}).encode()
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(f"{stack.url}/_devstack/clock", data=body, method="POST", headers=headers)
        urllib.request.urlopen(request).read()

    advance(14.9)
    with pytest.raises(ClientError) as excinfo:
        v2.create_harvest_job(**request)
    assert rejection(excinfo) == ("ConflictException", "RESOURCE_ALREADY_EXISTS")
    advance(0.2)
    with pytest.raises(v2.exceptions.ResourceNotFoundException):
        v2.get_harvest_job(
            ChannelGroupName=GROUP, ChannelName=CHANNEL, OriginEndpointName="demo-cmaf", HarvestJobName="kept"
        )
    assert v2.list_harvest_jobs(ChannelGroupName=GROUP)["Items"] == []


def test_harvest_faults_apply_to_v2_jobs(demo, aws, stack):
    v2 = aws["mediapackagev2"]
    FaultControl(stack.url).add("harvest_fail", job="doomed-*", message="injected: no content")
    start = demo["encoder"].start.add(seconds=20)
    v2.create_harvest_job(**job_request(demo, "doomed-1", start, start.add(seconds=10)))
    job = wait_for(v2, "doomed-1")
    assert (job["Status"], job["ErrorMessage"]) == ("FAILED", "injected: no content")


def test_the_encoder_cli_signs_its_pushes_to_a_v2_channel(stack, monkeypatch):
    from devstack.encoder.cli import main

    demo = seed(stack.stack.settings, with_encoder=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local-stack")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local-stack")
    main(["--ingest-url", demo["v2"]["ingest_url"], "--sigv4", "us-east-1", "--preroll", "6", "--duration", "0"])
    channel = stack.stack.mediapackagev2.channel_at("us-east-1", GROUP, CHANNEL)
    assert [len(r.segments) for r in channel.content.renditions.values()] == [3, 3, 3, 3]
    with pytest.raises(Exception, match="403"):  # unsigned: the seeded policy names the encoder's identity
        main(["--ingest-url", demo["v2"]["ingest_url"], "--unsigned", "--preroll", "2", "--duration", "0"])
