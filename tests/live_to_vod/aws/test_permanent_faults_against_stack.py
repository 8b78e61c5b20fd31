"""Permanent trouble fails the right task, in plain words, and nothing downstream runs: a harvest
job that ends FAILED, each kind of damaged asset (verify names the defect and where; no VOD
asset is made), a VOD asset that ends FAILED, and a harvest stuck IN_PROGRESS past its timeout.
Each scenario injects the fault into the local stack (``devstack.faults``) and counts the harvest
jobs and VOD assets afterwards."""

from __future__ import annotations

import json
import re

import pytest

from devstack.faults import DAMAGES
from devstack.faults.damage import SEGMENT_DAMAGES
from tests.support.damage import defect_named
from tests.support.harvest_pipeline import one_output, task_states, ti
from tests.support.reliability import record_reliability

pytestmark = pytest.mark.slow

DOWNSTREAM_OF_WAIT = (
    "harvest.verify_asset",
    "harvest.hand_off_to_vod",
    "harvest.transcode",
    "harvest.verify_transcode",
    "harvest.publish",
)


def test_a_failed_harvest_fails_the_wait_and_nothing_downstream_runs(pipeline, faults):
    job_id = pipeline.job_id("game-failed")
    faults.add("harvest_fail", job=job_id, message="Origin endpoint unreachable while harvesting")
    (run,) = pipeline.run(pipeline.conf("game-failed"))
    assert run["state"] == "failed"
    assert one_output(run["tasks"]) == task_states(
        **{"harvest.wait_for_harvest": "failed", **dict.fromkeys(DOWNSTREAM_OF_WAIT, "upstream_failed")},
        summarize="failed",
    )
    assert run["errors"][ti("harvest.wait_for_harvest")].startswith(f"harvest job {job_id} FAILED.")
    assert json.loads(pipeline.harvest_failure(job_id))["message"] == "Origin endpoint unreachable while harvesting"
    assert pipeline.jobs() == {job_id: "FAILED"} and pipeline.assets() == []
    record_reliability(
        group="permanent",
        fault="harvest job FAILED",
        outcome="wait_for_harvest failed: harvest job FAILED (no notification queue here; with one, the "
        "reason is quoted: next row); verify, hand-off, publish upstream_failed",
        retries="0 (a FAILED job stays failed)",
        harvest_jobs=1,
        vod_assets=0,
    )


def test_each_damaged_asset_fails_verify_naming_the_defect_and_is_not_handed_off(pipeline, faults):
    events = {damage: f"game-{damage.replace('_', '-')}" for damage in DAMAGES}
    rules = {
        damage: faults.add("harvest_damage", job=pipeline.job_id(event), damage=damage)
        for damage, event in events.items()
    }
    runs = pipeline.run(*(pipeline.conf(event) for event in events.values()))
    named = {}
    for (damage, event), run in zip(events.items(), runs, strict=True):
        assert run["state"] == "failed", damage
        tasks = one_output(run["tasks"])
        assert tasks[ti("harvest.wait_for_harvest")] == "success", damage
        assert tasks[ti("harvest.verify_asset")] == "failed", damage
        assert tasks[ti("harvest.hand_off_to_vod")] == tasks[ti("harvest.publish")] == "upstream_failed", damage
        assert tasks[ti("harvest.transcode")] == "upstream_failed", damage
        report = run["errors"][ti("harvest.verify_asset")]
        assert report.startswith(f"The harvested asset s3://{pipeline.demo['bucket']}/{event}/index.m3u8 failed")
        check = defect_named(damage, set(re.findall(rf"ERROR ([a-z0-9-]+) at {event}/", report)))
        assert check, (damage, report)  # the check and its location
        named[damage] = next(line.strip() for line in report.splitlines() if f"ERROR {check} at" in line)
        if damage in SEGMENT_DAMAGES:  # damage inside a segment: the report names the segment
            assert re.search(rf"at {event}/index_1\.m3u8 segment #\d+ \(index_1_\d+\.ts\)", named[damage]), named
        assert faults.get(rules[damage]["id"])["fired"] == 1
    assert sorted(pipeline.jobs()) == sorted(pipeline.job_id(event) for event in events.values())
    assert pipeline.assets() == []  # a bad asset never reaches VOD
    for damage in DAMAGES:
        record_reliability(
            group="damaged asset",
            fault=f"damaged asset: {damage}",
            outcome=f"verify_asset failed: `{named[damage][:160]}`; no hand-off",
            retries="0",
            harvest_jobs=1,
            vod_assets=0,
        )


def test_a_failed_vod_asset_fails_the_hand_off_and_the_run(pipeline, faults):
    job_id = pipeline.job_id("game-vod-fails")
    faults.add("vod_fail", asset=job_id, message="Source manifest could not be packaged")
    (run,) = pipeline.run(pipeline.conf("game-vod-fails"))
    assert run["state"] == "failed"
    tasks = one_output(run["tasks"])
    assert tasks[ti("harvest.verify_asset")] == "success"
    assert tasks[ti("harvest.hand_off_to_vod")] == "failed" and tasks[ti("harvest.publish")] == "upstream_failed"
    assert run["errors"][ti("harvest.hand_off_to_vod")] == (
        f"VOD asset {job_id} FAILED on packaging configuration(s) demo-vod-hls"
    )
    assert list(pipeline.jobs()) == [job_id]
    assert [a["Id"] for a in pipeline.assets()] == [job_id]  # one asset, FAILED: a re-run replaces it
    record_reliability(
        group="permanent",
        fault="VOD asset FAILED",
        outcome="hand_off_to_vod failed (VOD asset FAILED on its packaging configuration); publish upstream_failed",
        retries="0",
        harvest_jobs=1,
        vod_assets=1,
    )


def test_a_stuck_harvest_times_out_with_a_clear_message(pipeline, faults):
    job_id = pipeline.job_id("game-stuck")
    faults.add("harvest_stuck", job=job_id, seconds=600)
    pipeline.env["LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES"] = "1"
    (run,) = pipeline.run(pipeline.conf("game-stuck"))
    assert run["state"] == "failed"
    assert one_output(run["tasks"]) == task_states(
        **{"harvest.wait_for_harvest": "failed", **dict.fromkeys(DOWNSTREAM_OF_WAIT, "upstream_failed")},
        summarize="failed",
    )
    message = run["errors"][ti("harvest.wait_for_harvest")]
    assert job_id in message and "did not finish" in message, message
    assert pipeline.jobs() == {job_id: "IN_PROGRESS"} and pipeline.assets() == []
    record_reliability(
        group="permanent",
        fault="harvest stuck IN_PROGRESS",
        outcome="wait_for_harvest failed after LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES: did not finish before the deadline",
        retries="0",
        harvest_jobs=1,
        vod_assets=0,
    )
