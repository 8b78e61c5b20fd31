"""``live_event_harvest`` with a MediaPackage v2 source, through ``dag.test()`` against the local stack.

The seeded v2 channel (``demo-group/demo-v2-channel``) has a CMAF endpoint with HLS, Low-Latency
HLS and DASH manifests and a TS endpoint with one HLS manifest; its encoder signs its pushes. What
the runs did is read back from the stack with plain boto3 (ListHarvestJobs, ListAssets) and from
the runs' XComs (see ``harvest_pipeline.py`` for the harness).
"""

from __future__ import annotations

import threading
from typing import Any

import pendulum
import pytest

from devstack.encoder import LiveHlsEncoder
from devstack.encoder.signing import SigV4PushAuth
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id
from localrun.seed import DEMO_V2, push_content_v2
from tests.support.harvest_pipeline import assert_succeeded, ti
from tests.support.reliability import record_reliability

pytestmark = pytest.mark.slow

GROUP, CHANNEL = DEMO_V2["channel_group"], DEMO_V2["channel"]


def v2_conf(pipeline: Any, event_id: str, endpoint: str, start: Any, end: Any, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "channel_group": GROUP,
        "channel": CHANNEL,
        "origin_endpoint": endpoint,
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
        **changes,
    }


def v2_jobs(pipeline: Any) -> dict[str, dict[str, Any]]:
    v2 = pipeline.aws["mediapackagev2"]
    return {j["HarvestJobName"]: j for j in v2.list_harvest_jobs(ChannelGroupName=GROUP)["Items"]}


def test_a_cmaf_event_is_harvested_in_real_time_verified_on_hls_and_dash_and_not_handed_off(pipeline, stack):
    # The encoder goes on live while the run waits: the window ends 40 s after the pre-roll (room
    # for a loaded machine's validate), so the job is created before its end and completes after it.
    # One back-filled minute, then real time for the rest of the window.
    key, secret = next(iter(stack.stack.settings.credentials.items()))
    encoder = LiveHlsEncoder(
        pipeline.demo["v2"]["ingest_url"], auth=SigV4PushAuth(key, secret, pipeline.demo["region"])
    )
    feeder = threading.Thread(target=encoder.run, kwargs={"preroll_seconds": 60, "duration_seconds": 60}, daemon=True)
    start = pendulum.now("UTC").subtract(seconds=30)  # inside the pre-roll
    feeder.start()
    while encoder.next_segment == 0:  # the pre-roll is on its way
        feeder.join(0.05)
    end = pendulum.now("UTC").add(seconds=40)
    (run,) = pipeline.run(v2_conf(pipeline, "v2-cmaf", "demo-cmaf", start, end))
    feeder.join(150)

    assert_succeeded(run)
    (planned,) = run["xcom"]["validate"]
    assert planned["harvested_manifests"] == {"HlsManifests": ["index"], "DashManifests": ["dash"]}
    assert planned["container_type"] == "CMAF"
    assert planned["manifest_key"] == "v2-cmaf/index.m3u8"  # the primary manifest, in the key's folder
    assert pendulum.parse(planned["ready_at"]) < end  # created before the end: a real-time harvest
    name = harvest_job_id("v2-cmaf", f"{GROUP}/{CHANNEL}/demo-cmaf", HarvestWindow(start, end))
    create = run["xcom"][ti("harvest.create_harvest_job")]
    assert create == {
        "harvest_job_id": name,
        "status": create["status"],
        "created": True,
        "v2_endpoint": f"{GROUP}/{CHANNEL}/demo-cmaf",
    }
    assert create["status"] in ("QUEUED", "IN_PROGRESS")
    job = v2_jobs(pipeline)[name]
    assert job["Status"] == "COMPLETED"
    assert job["CreatedAt"] < job["ScheduleConfiguration"]["EndTime"]

    verified = run["xcom"][ti("harvest.verify_asset")]
    bucket = pipeline.demo["bucket"]
    assert [m["uri"] for m in verified["manifests"]] == [
        f"s3://{bucket}/v2-cmaf/index.m3u8",
        f"s3://{bucket}/v2-cmaf/dash.mpd",
    ]
    assert all(m["segment_count"] > 0 for m in verified["manifests"])
    summary = run["xcom"][ti("harvest.publish")]
    assert summary["manifests"] == [m["uri"] for m in verified["manifests"]]
    assert summary["mediapackage_api"] == "v2"
    assert summary["vod_asset_id"] is None
    assert "MediaPackage VOD ingests only HLS over MPEG-TS" in summary["not_handed_off"]
    assert "Not handed off to MediaPackage VOD" in pipeline.log
    assert pipeline.assets() == []
    assert f"Waiting for harvest job {name} on {GROUP}/{CHANNEL}/demo-cmaf in the triggerer" in pipeline.log


def test_a_ts_event_is_handed_off_and_a_re_trigger_creates_nothing_twice(pipeline, stack):
    encoder = push_content_v2(stack.stack.settings, pipeline.demo, preroll_seconds=120)
    start, end = encoder.start.add(seconds=30), encoder.start.add(seconds=90)
    conf = v2_conf(pipeline, "v2-ts", "demo-ts", start, end)
    first, second = pipeline.run(conf, conf)

    assert_succeeded(first)
    assert_succeeded(second)
    name = harvest_job_id("v2-ts", f"{GROUP}/{CHANNEL}/demo-ts", HarvestWindow(start, end))
    create = ti("harvest.create_harvest_job")
    assert first["xcom"][create]["created"] is True
    assert second["xcom"][create]["created"] is False
    assert list(v2_jobs(pipeline)) == [name]
    summary = first["xcom"][ti("harvest.publish")]
    assert summary["vod_asset_id"] == name
    assert summary["not_handed_off"] is None
    (asset,) = pipeline.assets()
    assert asset["SourceArn"] == f"arn:aws:s3:::{pipeline.demo['bucket']}/v2-ts/index.m3u8"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"origin_endpoint": "no-such-endpoint"}, "MediaPackage v2 has no origin endpoint"),
        ({"manifests": ["nope"]}, "manifests: 'nope' is not a manifest of the endpoint"),
        ({"s3_bucket": "no-such-bucket"}, "s3_bucket: bucket no-such-bucket does not exist"),
    ],
)
def test_a_bad_v2_source_fails_validate_naming_it_and_creates_nothing(pipeline, stack, changes, words):
    encoder = push_content_v2(stack.stack.settings, pipeline.demo, preroll_seconds=60)
    conf = v2_conf(pipeline, "v2-bad", "demo-cmaf", encoder.start.add(seconds=10), encoder.start.add(seconds=40))
    (run,) = pipeline.run(conf | changes)
    assert run["state"] == "failed"
    assert run["tasks"]["validate"] == "failed"
    assert words in pipeline.log
    assert v2_jobs(pipeline) == {}


def test_a_bucket_policy_without_mediapackage_write_fails_validate_naming_the_permission(pipeline, stack):
    encoder = push_content_v2(stack.stack.settings, pipeline.demo, preroll_seconds=60)
    pipeline.aws["s3"].delete_bucket_policy(Bucket=pipeline.demo["bucket"])
    conf = v2_conf(pipeline, "v2-policy", "demo-ts", encoder.start.add(seconds=10), encoder.start.add(seconds=40))
    (run,) = pipeline.run(conf)
    assert run["tasks"]["validate"] == "failed"
    assert "has no bucket policy" in pipeline.log and "s3:PutObject" in pipeline.log
    assert v2_jobs(pipeline) == {}


def test_a_wait_that_times_out_cancels_the_job_and_hands_nothing_off(pipeline, stack):
    push_content_v2(stack.stack.settings, pipeline.demo, preroll_seconds=60)
    pipeline.env["LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES"] = "1"
    now = pendulum.now("UTC")
    # The job is created at once (its end is less than the real-time lead away) and would run 4 more minutes.
    (run,) = pipeline.run(v2_conf(pipeline, "v2-late", "demo-ts", now.subtract(seconds=30), now.add(minutes=5)))

    assert run["state"] == "failed"
    assert run["tasks"][ti("harvest.wait_for_harvest")] == "failed"
    name = harvest_job_id(
        "v2-late", f"{GROUP}/{CHANNEL}/demo-ts", HarvestWindow(now.subtract(seconds=30), now.add(minutes=5))
    )
    assert v2_jobs(pipeline)[name]["Status"] == "CANCELLED"
    assert "the job was cancelled" in pipeline.log
    assert pipeline.assets() == []
    assert run["tasks"][ti("harvest.hand_off_to_vod")] != "success"
    record_reliability(
        group="permanent",
        fault="MediaPackage v2 harvest outlasting LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES",
        outcome="wait_for_harvest failed (did not complete; the job was cancelled): the job is CANCELLED, "
        "so no asset lands after the run gave up; no hand-off",
        retries="0",
        harvest_jobs=1,
        vod_assets=0,
    )


def test_a_failed_v2_harvest_fails_the_wait_quoting_its_error_message(pipeline, stack, faults):
    encoder = push_content_v2(stack.stack.settings, pipeline.demo, preroll_seconds=90)
    start, end = encoder.start.add(seconds=10), encoder.start.add(seconds=70)
    name = harvest_job_id("v2-failed", f"{GROUP}/{CHANNEL}/demo-ts", HarvestWindow(start, end))
    faults.add("harvest_fail", job=name, message="Origin endpoint unreachable while harvesting")
    (run,) = pipeline.run(v2_conf(pipeline, "v2-failed", "demo-ts", start, end))

    assert run["state"] == "failed"
    error = run["errors"][ti("harvest.wait_for_harvest")]
    assert (
        error == f"harvest job {name} on {GROUP}/{CHANNEL}/demo-ts FAILED: Origin endpoint unreachable while harvesting"
    )
    assert v2_jobs(pipeline)[name]["Status"] == "FAILED"
    assert pipeline.assets() == []
    record_reliability(
        group="permanent",
        fault="MediaPackage v2 harvest job FAILED",
        outcome="wait_for_harvest failed quoting the job's ErrorMessage (v2 reports it in GetHarvestJob); "
        "verify, hand-off, publish upstream_failed",
        retries="0 (a FAILED job stays failed)",
        harvest_jobs=1,
        vod_assets=0,
    )
