"""``harvest_notifications`` under a real Airflow: the local stack's harvest emulator puts each
job's EventBridge notification on the SQS queue, the DAG's asset watcher (``NotificationQueueTrigger``,
in the triggerer) records its completion for the waits and turns it into a DAG run.

Proves: a job made outside Airflow ends as one verified, playable VOD asset; a duplicate of its
notification creates nothing more; the per-event DAG's own successful jobs make no run here (their
waits end on the completion); a failed job is reported with the reason from its notification, by
this DAG and by the per-event DAG's wait.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pendulum
import pytest

from devstack.faults import FaultControl
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id
from tests.support.completion_events import ENDED_IN_TRIGGERER, PUSHED, wait_log, wait_until_checked
from tests.support.reliability import record_reliability

pytestmark = pytest.mark.slow

DAG_ID = "harvest_notifications"


def notification_runs(deployment) -> list[dict[str, Any]]:
    status, body = deployment.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns?limit=100&order_by=-run_after")
    assert status == 200, body
    return body["dag_runs"]


def wait_for_outcome(
    deployment, job_id: str, after: dict[str, Any] | None = None, timeout: float = 180
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The finished notifications run (not ``after``) that saw ``job_id``, and the job's outcome in it."""
    deadline = time.monotonic() + timeout
    seen: set[str] = {after["dag_run_id"]} if after else set()
    while time.monotonic() < deadline:
        for run in notification_runs(deployment):
            if run["state"] not in ("success", "failed") or run["dag_run_id"] in seen:
                continue
            outcomes = deployment.airflow.api.xcom(DAG_ID, run["dag_run_id"], "read_notifications", key="notifications")
            if outcomes is None:
                continue
            seen.add(run["dag_run_id"])  # finished with outcomes: read once
            for outcome in outcomes:
                if outcome.get("job_id") == job_id:
                    return run, outcome
        time.sleep(1)
    raise AssertionError(f"no finished {DAG_ID} run saw harvest job {job_id} within {timeout} s")


def create_external_job(deployment, job_id: str, minutes_ago: int, bucket: str | None = None) -> None:
    """A harvest job made as the MediaPackage console would: plain boto3, our naming nowhere."""
    end = pendulum.now("UTC").subtract(minutes=minutes_ago).start_of("minute")
    deployment.mp.create_harvest_job(
        Id=job_id,
        OriginEndpointId=deployment.demo["endpoint_id"],
        StartTime=end.subtract(seconds=60).to_iso8601_string(),
        EndTime=end.to_iso8601_string(),
        S3Destination={
            "BucketName": bucket or deployment.demo["bucket"],
            "ManifestKey": f"console/{job_id}/index.m3u8",
            "RoleArn": deployment.demo["harvest_role_arn"],
        },
    )


def notification_of(deployment, job: dict[str, Any], status: str, **envelope: Any) -> dict[str, Any]:
    """The EventBridge event MediaPackage sends for ``job`` (DescribeHarvestJob's response), with ``status``."""
    return {
        "version": "0",
        "source": "aws.mediapackage",
        "detail-type": "MediaPackage HarvestJob Notification",
        "account": deployment.demo.get("account_id", "123456789012"),
        "time": pendulum.now("UTC").to_iso8601_string(),
        "region": deployment.demo["region"],
        "resources": [job["Arn"]],
        **envelope,
        "detail": {
            "harvest_job": {
                "id": job["Id"],
                "arn": job["Arn"],
                "status": status,
                "origin_endpoint_id": job["OriginEndpointId"],
                "start_time": job["StartTime"],
                "end_time": job["EndTime"],
                "s3_destination": {
                    "bucket_name": job["S3Destination"]["BucketName"],
                    "manifest_key": job["S3Destination"]["ManifestKey"],
                    "role_arn": job["S3Destination"]["RoleArn"],
                },
                "created_at": job["CreatedAt"],
            }
        },
    }


def send_notification(deployment, event: dict[str, Any]) -> None:
    """Put ``event`` on the notification queue, as EventBridge would deliver it."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=deployment.settings.public_url,
        region_name=deployment.demo["region"],
        aws_access_key_id="local-stack",
        aws_secret_access_key="local-stack",
    )
    sqs.send_message(QueueUrl=deployment.demo["queue_url"], MessageBody=json.dumps(event))


def test_external_job_is_handed_off_once_and_its_duplicate_notification_creates_nothing(deployment):
    create_external_job(deployment, "console-job-1", minutes_ago=2)
    run, outcome = wait_for_outcome(deployment, "console-job-1")
    assert outcome["action"] == "hand off", outcome
    assert run["state"] == "success", run
    asset = deployment.vod.describe_asset(Id="console-job-1")
    assert asset["SourceArn"].endswith(f":::{deployment.demo['bucket']}/console/console-job-1/index.m3u8")
    summary = deployment.airflow.api.xcom(DAG_ID, run["dag_run_id"], "handoff.publish", map_index=0)
    assert summary["harvest_job_id"] == "console-job-1" and summary["segment_count"] > 0
    assert summary["vod_playback_urls"]

    # SQS delivers at least once: the same notification again.
    job = deployment.mp.describe_harvest_job(Id="console-job-1")
    # "COMPLETED": as AWS's own event example spells it.
    send_notification(deployment, notification_of(deployment, job, "COMPLETED", id="duplicate-delivery"))
    run, outcome = wait_for_outcome(deployment, "console-job-1", after=run)
    assert outcome["action"] == "skipped" and "already handed off" in outcome["reason"], outcome
    assert run["state"] == "success"
    assert [a["Id"] for a in deployment.vod.list_assets()["Assets"] if a["Id"] == "console-job-1"] == ["console-job-1"]


def test_a_per_event_job_s_success_makes_no_notifications_run(deployment):
    """The watcher records the completion for the run's wait and sends the message nowhere else:
    the notifications DAG would only skip a job live_event_harvest made (a run per game, for nothing)."""
    run_id, state, _ = deployment.run(deployment.window_conf("notified-game", minutes_ago=3))
    assert state == "success"
    (job,) = deployment.jobs("notified-game")
    # The queue is read in order: once a later message's run has finished, the job's was read too.
    marker = {**job, "Id": "marker-after-notified-game"}
    send_notification(deployment, notification_of(deployment, marker, "SUCCEEDED"))
    _, outcome = wait_for_outcome(deployment, marker["Id"])
    assert outcome["action"] == "rejected", outcome  # no such job: the read asked AWS
    seen = [
        o.get("job_id")
        for run in notification_runs(deployment)
        for o in deployment.airflow.api.xcom(DAG_ID, run["dag_run_id"], "read_notifications", key="notifications") or []
    ]
    assert job["Id"] not in seen, seen
    assert len(deployment.assets("notified-game")) == 1


def test_failed_job_is_reported_with_its_reason(deployment):
    create_external_job(deployment, "console-job-broken", minutes_ago=4, bucket="no-such-bucket-for-harvest")
    run, outcome = wait_for_outcome(deployment, "console-job-broken")
    assert outcome["action"] == "failed"
    assert outcome["reason"] == "S3 bucket no-such-bucket-for-harvest does not exist"
    assert run["state"] == "failed"
    states = {ti["task_id"]: ti["state"] for ti in deployment.airflow.api.task_instances(DAG_ID, run["dag_run_id"])}
    assert states["report"] == "failed" and states["read_notifications"] == "success"
    status, body = deployment.airflow.api.call(
        "GET",
        f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances/report/logs/1?full_content=true",
    )
    assert "S3 bucket no-such-bucket-for-harvest does not exist" in json.dumps(body)
    assert all(a["Id"] != "console-job-broken" for a in deployment.vod.list_assets()["Assets"])


def test_per_event_wait_fails_with_the_reason_from_the_notification(deployment):
    """MediaPackage's API has no failure reason: the wait finds it in the notification asset's events."""
    conf = deployment.window_conf("game-harvest-fails", minutes_ago=5)
    window = HarvestWindow(pendulum.parse(conf["start_time"]), pendulum.parse(conf["end_time"]))
    job_id = harvest_job_id("game-harvest-fails", conf["origin_endpoint_id"], window)
    FaultControl(deployment.settings.public_url).add(
        "harvest_fail", job=job_id, message="Packager could not read the origin's startover window"
    )
    run_id, state, _ = deployment.run(conf)
    assert state == "failed"
    states = {ti["task_id"]: ti["state"] for ti in deployment.airflow.api.task_instances("live_event_harvest", run_id)}
    assert states["harvest.wait_for_harvest"] == "failed"
    assert states["harvest.verify_asset"] == states["harvest.hand_off_to_vod"] == "upstream_failed"
    log = deployment.task_log(run_id, "harvest.wait_for_harvest", map_index=0)
    assert f"harvest job {job_id} FAILED: Packager could not read the origin's startover window" in log, log[-3000:]
    assert [j["Id"] for j in deployment.jobs("game-harvest-fails")] == [job_id]
    assert deployment.assets("game-harvest-fails") == []
    # The notifications DAG leaves the per-event DAG's job to it (and reports nothing twice).
    _, outcome = wait_for_outcome(deployment, job_id)
    assert outcome["action"] == "skipped", outcome
    record_reliability(
        group="permanent",
        fault="harvest job FAILED, notification queue on",
        outcome="wait_for_harvest failed: `harvest job ... FAILED: <the notification's message>`; "
        "verify and hand-off upstream_failed; harvest_notifications skipped the job (one alert)",
        retries="0 (a FAILED job stays failed)",
        harvest_jobs=len(deployment.jobs("game-harvest-fails")),
        vod_assets=len(deployment.assets("game-harvest-fails")),
    )


# -- completion events: pushed to the waits, with polling as the safety net ------------------------


def event_job(deployment, event_id: str, minutes_ago: int) -> tuple[dict[str, str], str]:
    conf = deployment.window_conf(event_id, minutes_ago=minutes_ago)
    window = HarvestWindow(pendulum.parse(conf["start_time"]), pendulum.parse(conf["end_time"]))
    return conf, harvest_job_id(event_id, conf["origin_endpoint_id"], window)


def trigger_run(deployment, conf: dict[str, str]) -> str:
    status, body = deployment.airflow.api.trigger("live_event_harvest", conf)
    assert status == 200, body
    return body["dag_run_id"]


def one_job_one_asset(deployment, event_id: str) -> None:
    jobs = deployment.jobs(event_id)
    assert len(jobs) == 1 and jobs[0]["Status"] == "SUCCEEDED", jobs
    assert [a["Id"] for a in deployment.assets(event_id)] == [jobs[0]["Id"]]


def test_the_completion_event_ends_the_wait_and_a_lost_one_is_found_by_the_poll(deployment):
    faults = FaultControl(deployment.settings.public_url)
    pushed_conf, pushed_job = event_job(deployment, "pushed-game", minutes_ago=6)
    held = faults.add("harvest_stuck", job=pushed_job, seconds=600)  # released once the wait waits
    lost_conf, lost_job = event_job(deployment, "lost-event-game", minutes_ago=7)
    lost = faults.add("event_lost", job=lost_job)
    held_lost = faults.add("harvest_stuck", job=lost_job, seconds=600)
    runs = {event: trigger_run(deployment, conf) for event, conf in (("pushed", pushed_conf), ("lost", lost_conf))}
    for run_id, job_id, rule in ((runs["pushed"], pushed_job, held), (runs["lost"], lost_job, held_lost)):
        wait_until_checked(deployment, run_id, job_id)
        faults.remove(rule["id"])  # the job ends now: only its event, or the poll a minute later, can say so
    for event, run_id in runs.items():
        state, seen = deployment.follow(run_id, timeout=300)
        assert state == "success", (event, sorted(seen))
    one_job_one_asset(deployment, "pushed-game")
    one_job_one_asset(deployment, "lost-event-game")

    pushed_log = wait_log(deployment, runs["pushed"])
    assert PUSHED in pushed_log and ENDED_IN_TRIGGERER in pushed_log, pushed_log[-3000:]
    # The lost event's wait ended on its safety-net poll: no event woke it, AWS said SUCCEEDED.
    lost_log = wait_log(deployment, runs["lost"])
    assert faults.get(lost["id"])["fired"] == 1
    assert PUSHED not in lost_log and ENDED_IN_TRIGGERER in lost_log, lost_log[-3000:]
    record_reliability(
        group="events",
        fault="completion event lost (EventBridge is best effort)",
        outcome="the harvest wait's safety-net poll (every 60 s) found the job SUCCEEDED; run succeeded",
        retries="0",
        harvest_jobs=len(deployment.jobs("lost-event-game")),
        vod_assets=len(deployment.assets("lost-event-game")),
    )


def test_a_duplicated_or_early_completion_event_is_checked_against_aws(deployment):
    """An event is a hint: one that arrives while the job still runs wakes the wait, AWS says IN_PROGRESS,
    and the wait goes on; the real event ends it; duplicates after that change nothing."""
    faults = FaultControl(deployment.settings.public_url)
    conf, job_id = event_job(deployment, "duplicate-event-game", minutes_ago=8)
    held = faults.add("harvest_stuck", job=job_id, seconds=600)  # released after the early events
    run_id = trigger_run(deployment, conf)
    wait_until_checked(deployment, run_id, job_id)
    job = deployment.mp.describe_harvest_job(Id=job_id)
    assert job["Status"] == "IN_PROGRESS"
    early = notification_of(deployment, job, "SUCCEEDED")
    for _ in range(2):  # SQS delivers at least once: the same (early) message twice
        send_notification(deployment, early)
    # Woken by it: asked AWS (IN_PROGRESS), then three quick re-checks (AWS's API may lag its events).
    wait_until_checked(deployment, run_id, job_id, times=5)
    faults.remove(held["id"])
    state, seen = deployment.follow(run_id, timeout=300)
    assert state == "success", sorted(seen)
    one_job_one_asset(deployment, "duplicate-event-game")
    log = wait_log(deployment, run_id)
    # Woken by the early event (AWS: IN_PROGRESS, so it waited on), then by the real one.
    assert log.count(PUSHED) >= 2 and ENDED_IN_TRIGGERER in log, log[-4000:]
    record_reliability(
        group="events",
        fault="completion event duplicated, and delivered before the job ended",
        outcome="the wait asked AWS on each event: IN_PROGRESS, waited on; ended on the real completion; run succeeded",
        retries="0",
        harvest_jobs=len(deployment.jobs("duplicate-event-game")),
        vod_assets=len(deployment.assets("duplicate-event-game")),
    )
