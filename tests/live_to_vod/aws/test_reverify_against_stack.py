"""``reverify_vod_asset`` through ``dag.test()`` against the real local stack: an asset harvested by
``live_event_harvest`` is verified again, in full and sampled, against the window it covers and one
it does not; bad conf fails in ``validate`` naming the field. Nothing is harvested, created or
handed off by a re-verification: the stack's harvest jobs, VOD assets and S3 objects are the same
before and after (see ``harvest_pipeline.py`` for the harness)."""

from __future__ import annotations

import pytest

from tests.support.harvest_pipeline import assert_succeeded

pytestmark = pytest.mark.slow

DAG_ID = "reverify_vod_asset"


def objects(pipeline) -> dict[str, str]:
    s3 = pipeline.aws["s3"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=pipeline.demo["bucket"])
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def test_an_existing_asset_is_verified_again_and_nothing_is_created(pipeline):
    (harvest,) = pipeline.run(pipeline.conf("game-r"))
    assert_succeeded(harvest)
    jobs, assets, stored = pipeline.jobs(), pipeline.assets(), objects(pipeline)
    asset = {
        "manifest_key": "game-r/index.m3u8",
        "start_time": pipeline.start.in_timezone("America/New_York").isoformat(),
        "end_time": pipeline.end.in_timezone("America/New_York").isoformat(),
    }
    later = pipeline.end.add(seconds=20)  # content the stream has, but the asset does not cover
    cases = {
        "full by default": asset,
        "sampled, bucket given": {**asset, "verify_segments": "sampled", "s3_bucket": pipeline.demo["bucket"]},
        "a window the asset does not cover": {**asset, "end_time": later.isoformat()},
        "no such asset": {**asset, "manifest_key": "no-such-game/index.m3u8"},
        "a key that is no playlist": {**asset, "manifest_key": "game-r/index.mp4"},
        "no key": {k: v for k, v in asset.items() if k != "manifest_key"},
        "an unknown mode": {**asset, "verify_segments": "everything"},
    }

    runs = dict(zip(cases, pipeline.run(*cases.values(), dag_id=DAG_ID), strict=True))

    # Every segment decoded, the bucket from LIVE_TO_VOD_S3_BUCKET, the times in UTC.
    full = runs["full by default"]
    assert (full["state"], full["tasks"]) == ("success", {"validate": "success", "verify_asset": "success"}), full
    assert full["xcom"]["validate"] == {
        "s3_bucket": pipeline.demo["bucket"],
        "manifest_key": "game-r/index.m3u8",
        "start_time": pipeline.start.isoformat(),
        "end_time": pipeline.end.isoformat(),
        "verify_segments": "full",
        "companions": [],
    }
    report = full["xcom"]["verify_asset"]
    assert report["asset_uri"] == f"s3://{pipeline.demo['bucket']}/game-r/index.m3u8"
    assert report["duration_seconds"] == 60 and report["segment_count"] > 0
    assert report["segments"] == "full"
    assert report["reads"] == {
        "mode": "full",
        "probed": report["reads"]["probed"],
        "decoded": report["segment_count"],
        "bytes_read": report["total_bytes"],
        "bytes_listed": report["total_bytes"],
    }
    assert "segments read (full)" in pipeline.log  # the report in the task's log

    sampled = runs["sampled, bucket given"]
    assert sampled["state"] == "success", sampled
    reads = sampled["xcom"]["verify_asset"]["reads"]
    assert reads["mode"] == "sampled" and reads["bytes_read"] < reads["bytes_listed"] == report["total_bytes"]

    # A defect fails verify_asset at once (no retry: the asset will not change), with the report.
    for case in ("a window the asset does not cover", "no such asset"):
        run = runs[case]
        assert (run["state"], run["tasks"]) == ("failed", {"validate": "success", "verify_asset": "failed"}), case
        assert run["tries"]["verify_asset"] == 1, case
        message = run["errors"]["verify_asset"]
        assert "failed verification" in message and "ERROR" in message, (case, message)
    assert "game-r/index.m3u8: FAILED" in runs["a window the asset does not cover"]["errors"]["verify_asset"]

    # Bad conf fails validate naming the field, before any S3 request.
    for case, field in (("a key that is no playlist", "manifest_key"), ("no key", "manifest_key")):
        run = runs[case]
        assert run["tasks"] == {"validate": "failed", "verify_asset": "upstream_failed"}, (case, run)
        assert run["tries"]["validate"] == 1
        assert f"\n{field}: " in run["errors"]["validate"], (case, run["errors"])
        assert run["xcom"] == {}
    # The form's schema refuses an unknown mode before a run exists (the REST API answers 400).
    assert runs["an unknown mode"]["raised"].startswith(
        "ParamValidationError: Invalid input for param verify_segments:"
    )

    # Nothing was harvested, created, handed off or written.
    assert (pipeline.jobs(), pipeline.assets(), objects(pipeline)) == (jobs, assets, stored)
