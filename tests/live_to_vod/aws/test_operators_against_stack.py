"""The operators, through ``dag.test()`` of ``live_event_harvest``, against the real local stack.

Each scenario seeds its own stack with a live channel and two minutes of real content and runs the
DAG in its own Python process and Airflow database (see ``harvest_pipeline.py``), with deferrable
operators on; the triggers run in line, polling every 0.2 s. What the runs did is read back from
the stack with plain boto3 (ListHarvestJobs, ListAssets) and from the runs' XComs.

``dag.test()`` makes manual runs: ``validate`` plans one output (``full``) from the conf, so the
mapped ``harvest`` group has one instance (map index 0), and ``summarize`` reports it.
"""

from __future__ import annotations

import json

import pendulum
import pytest

from localrun.seed import TRUST_MEDIAPACKAGE
from tests.support.harvest_pipeline import (
    GROUP_TASKS,
    assert_playable,
    assert_succeeded,
    one_output,
    task_states,
    ti,
)

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- scenarios


def test_a_good_run_harvests_verifies_hands_off_and_publishes(pipeline):
    (run,) = pipeline.run(pipeline.conf("game-a"))

    assert_succeeded(run)
    job_id = pipeline.job_id("game-a")
    (planned,) = run["xcom"]["validate"]  # a manual run: one output, the whole window
    assert planned["output"] == "full"
    assert (planned["event_id"], planned["origin_endpoint_id"]) == ("game-a", pipeline.demo["endpoint_id"])
    window = pendulum.parse(planned["start_time"]), pendulum.parse(planned["end_time"])
    assert window == (pipeline.start, pipeline.end)
    assert (planned["s3_bucket"], planned["manifest_key"]) == (pipeline.demo["bucket"], "game-a/index.m3u8")
    assert planned["time_delay_seconds"] == 0
    assert pendulum.parse(planned["ready_at"]) == pipeline.end  # end + no delay + no margin
    assert run["xcom"][ti("harvest.create_harvest_job")] == {
        "harvest_job_id": job_id,
        "status": "IN_PROGRESS",
        "created": True,
        "v2_endpoint": None,
    }
    assert pipeline.jobs() == {job_id: "SUCCEEDED"}
    (asset,) = pipeline.assets()
    assert asset["Id"] == job_id
    assert asset["SourceArn"] == f"arn:aws:s3:::{pipeline.demo['bucket']}/game-a/index.m3u8"

    summary = run["xcom"][ti("harvest.publish")]
    assert summary["event_id"] == "game-a"
    assert summary["harvest_job_id"] == job_id
    assert summary["asset_uri"] == f"s3://{pipeline.demo['bucket']}/game-a/index.m3u8"
    assert (summary["window_start"], summary["window_end"]) == (
        pipeline.start.to_iso8601_string(),
        pipeline.end.to_iso8601_string(),
    )
    assert summary["segment_count"] > 0
    assert summary["segment_count"] == sum(r["segments"] for r in summary["renditions"])
    assert summary["duration_seconds"] == 60
    assert summary["vod_asset_id"] == job_id
    (url,) = summary["vod_playback_urls"]
    assert_playable(url)
    # The harvest wait really went through its trigger (deferrable on by configuration).
    assert f"Waiting for harvest job {job_id} in the triggerer" in pipeline.log

    report = run["xcom"]["summarize"]
    assert report["event_id"] == "game-a"
    (output,) = report["outputs"]
    assert (output["output"], output["origin_endpoint_id"], output["manifest_key"], output["ok"]) == (
        "full",
        pipeline.demo["endpoint_id"],
        "game-a/index.m3u8",
        True,
    )
    assert report["report"].startswith("Event game-a: 1 of 1 outputs harvested")


def test_a_re_triggered_event_creates_nothing_twice(pipeline):
    # The same window, written in another zone: the same event.
    first, second = pipeline.run(pipeline.conf("game-b"), pipeline.conf("game-b", tz="America/New_York"))

    assert_succeeded(first)
    assert_succeeded(second)
    job_id = pipeline.job_id("game-b")
    create, hand_off = ti("harvest.create_harvest_job"), ti("harvest.hand_off_to_vod")
    assert first["xcom"][create]["created"] is True
    assert second["xcom"][create] == {
        "harvest_job_id": job_id,
        "status": "SUCCEEDED",
        "created": False,
        "v2_endpoint": None,
    }
    assert second["xcom"][hand_off]["asset_id"] == first["xcom"][hand_off]["asset_id"] == job_id
    assert pipeline.jobs() == {job_id: "SUCCEEDED"}
    assert [a["Id"] for a in pipeline.assets()] == [job_id]


def test_a_failed_harvest_fails_the_run_and_a_re_run_makes_the_next_attempt(pipeline):
    iam = pipeline.aws["iam"]
    bucket = pipeline.demo["bucket"]
    role_arn = iam.create_role(RoleName="harvest-read-only", AssumeRolePolicyDocument=json.dumps(TRUST_MEDIAPACKAGE))[
        "Role"
    ]["Arn"]

    def allow(*actions: str) -> None:
        iam.put_role_policy(
            RoleName="harvest-read-only",
            PolicyName="s3",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": f"arn:aws:s3:::{bucket}/*"}],
                }
            ),
        )

    allow("s3:GetObject")
    conf = pipeline.conf("game-c", role_arn=role_arn)
    first_id, second_id = pipeline.job_id("game-c"), pipeline.job_id("game-c", attempt=2)
    assert second_id == f"{first_id}-r2"

    (failed,) = pipeline.run(conf)

    assert failed["state"] == "failed"
    assert one_output(failed["tasks"]) == task_states(
        **{
            "harvest.wait_for_harvest": "failed",
            "harvest.verify_asset": "upstream_failed",
            "harvest.hand_off_to_vod": "upstream_failed",
            "harvest.transcode": "upstream_failed",
            "harvest.verify_transcode": "upstream_failed",
            "harvest.publish": "upstream_failed",
            "summarize": "failed",  # runs anyway (all_done), reports the failed output and fails the run
        }
    )
    assert failed["xcom"][ti("harvest.create_harvest_job")]["harvest_job_id"] == first_id
    message = failed["errors"][ti("harvest.wait_for_harvest")]
    assert message.startswith(f"harvest job {first_id} FAILED.")
    assert "'MediaPackage HarvestJob Notification' EventBridge event" in message
    assert "does not allow s3:PutObject" in pipeline.harvest_failure(first_id)  # failed for the reason set up
    assert pipeline.jobs() == {first_id: "FAILED"}
    assert pipeline.assets() == []
    report = failed["errors"]["summarize"]
    assert report.startswith("1 of 1 outputs of event game-c failed;"), report
    assert "Event game-c: 0 of 1 outputs harvested" in report and "FAILED" in report, report
    assert "summarize" not in failed["xcom"] and ti("harvest.publish") not in failed["xcom"]

    allow("s3:GetObject", "s3:PutObject")
    (retried,) = pipeline.run(conf)

    assert_succeeded(retried)
    assert retried["xcom"][ti("harvest.create_harvest_job")] == {
        "harvest_job_id": second_id,
        "status": "IN_PROGRESS",
        "created": True,
        "v2_endpoint": None,
    }
    assert pipeline.jobs() == {first_id: "FAILED", second_id: "SUCCEEDED"}
    assert [a["Id"] for a in pipeline.assets()] == [second_id]
    assert_playable(retried["xcom"][ti("harvest.publish")]["vod_playback_urls"][0])


def test_bad_input_is_refused_before_anything_is_created(pipeline):
    good = pipeline.conf("game-d")
    cases = {
        # Refused by the DAG's param schema when the run is created (the form and the REST API
        # apply the same schema; format and pattern apply to strings): no run, no task.
        "naive start": ({"start_time": pipeline.start.naive().isoformat()}, "start_time", "schema"),
        "event id with a space": ({"event_id": "game d"}, "event_id", "schema"),
        # The event params default to None (scheduled runs carry no conf): a manual run without
        # them starts, and fails in validate naming the field.
        "no event id": ({"event_id": None}, "event_id", "task"),
        "no endpoint": ({"origin_endpoint_id": None}, "origin_endpoint_id", "task"),
        "no start": ({"start_time": None}, "start_time", "task"),
        "no end": ({"end_time": None}, "end_time", "task"),
        # Well-formed but wrong: the run starts and fails in validate, naming the field.
        "end before start": ({"start_time": good["end_time"], "end_time": good["start_time"]}, "end_time", "task"),
        "longer than 24 h": ({"start_time": pipeline.end.subtract(hours=25).isoformat()}, "end_time", "task"),
        "key leaving its prefix": ({"manifest_key": "../x.m3u8"}, "manifest_key", "task"),
        "key not a playlist": ({"manifest_key": "a/b.mp4"}, "manifest_key", "task"),
        "unknown endpoint": ({"origin_endpoint_id": "no-such-endpoint"}, "origin_endpoint_id", "task"),
        "unknown verification mode": ({"verify_segments": "everything"}, "verify_segments", "schema"),
    }
    confs = [{**good, **change} for change, _, _ in cases.values()]
    # A key absent from the conf is the same as null: the param's default.
    confs[list(cases).index("no event id")].pop("event_id")

    runs = pipeline.run(*confs)

    # validate failed; nothing was planned, so the harvest group was never expanded.
    refused = {
        "validate": "failed",
        "wait_for_event_end": "upstream_failed",
        **{task: "upstream_failed" for task in GROUP_TASKS},
    }
    for (case, (_, field, where)), run in zip(cases.items(), runs, strict=True):
        if where == "schema":
            assert run.get("raised", "").startswith(f"ParamValidationError: Invalid input for param {field}:"), (
                case,
                run,
            )
            continue
        # summarize (all_done) runs anyway; that it fails the run when nothing was planned is
        # test_publish_operators.py's to check.
        assert {t: s for t, s in run["tasks"].items() if t != "summarize"} == refused, (case, run)
        message = run["errors"]["validate"]
        assert f"{field}: " in message, (case, message)
        assert "nothing was created" in message, (case, message)
        assert [t for t in run["xcom"] if t != "summarize"] == [], (case, run["xcom"])
    assert pipeline.jobs() == {}
    assert pipeline.assets() == []


def test_the_verification_reads_segments_as_the_run_and_the_setting_say(pipeline):
    # 0 MiB: in auto, every asset with segment bytes is sampled.
    pipeline.env["LIVE_TO_VOD_VERIFY_FULL_MAX_MIB"] = "0"
    auto, full = pipeline.run(pipeline.conf("game-f"), pipeline.conf("game-g", verify_segments="full"))

    assert_succeeded(auto)
    assert_succeeded(full)
    assert auto["xcom"]["validate"][0]["verify_segments"] == "auto"
    verified = auto["xcom"][ti("harvest.verify_asset")]
    assert (verified["segments"], verified["reads"]["mode"]) == ("auto", "sampled")
    assert verified["reads"]["bytes_read"] < verified["reads"]["bytes_listed"] == verified["total_bytes"]

    assert full["xcom"]["validate"][0]["verify_segments"] == "full"
    verified = full["xcom"][ti("harvest.verify_asset")]
    assert (verified["segments"], verified["reads"]["mode"]) == ("full", "full")
    assert verified["reads"]["decoded"] == verified["segment_count"]  # every segment decoded whole
    assert verified["reads"]["bytes_read"] == verified["reads"]["bytes_listed"] == verified["total_bytes"]


def test_without_a_packaging_group_nothing_is_handed_off_and_the_run_published(pipeline):
    (run,) = pipeline.run(pipeline.conf("game-e", packaging_group_id=""))

    # The hand-off succeeds with nothing to do (a skip inside the mapped group would skip publish too).
    assert_succeeded(run)
    assert ti("harvest.hand_off_to_vod") not in run["xcom"]
    assert "Not handed off to MediaPackage VOD: no packaging group" in pipeline.log
    summary = run["xcom"][ti("harvest.publish")]
    assert summary["event_id"] == "game-e" and summary["segment_count"] > 0
    assert summary["not_handed_off"] == "no packaging group: no hand-off asked for"
    assert summary["vod_asset_id"] is None and summary["vod_playback_urls"] == []
    assert pipeline.jobs() == {pipeline.job_id("game-e"): "SUCCEEDED"}
    assert pipeline.assets() == []
