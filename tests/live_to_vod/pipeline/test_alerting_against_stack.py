"""Alerts from real runs of ``live_event_harvest`` (``dag.test()`` against the local stack) with
injected faults, received by a real SMTP server and a stand-in Slack webhook: each permanent failure
sends exactly one alert on each channel, naming its reason; a fault that a task retry absorbs sends
no failure alert (one "recovered" note, since this deployment asks for them); nothing leaks a secret."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.alert_sinks import WEBHOOK_TOKEN, SmtpSink, WebhookSink
from tests.support.harvest_pipeline import assert_succeeded, ti

pytestmark = pytest.mark.slow


@pytest.fixture
def alerted(pipeline):
    """The pipeline with both alert channels on, and the two servers that receive them."""
    with SmtpSink() as smtp, WebhookSink() as slack:
        pipeline.env.update(
            AIRFLOW_CONN_SLACK_ALERTS=slack.connection(),
            AIRFLOW_CONN_SMTP_ALERTS=smtp.connection(),
            AIRFLOW__API__BASE_URL="http://airflow.example:8080",
            LIVE_TO_VOD_ALERT_CHANNELS="slack,smtp",
            LIVE_TO_VOD_ALERT_EMAIL_TO="ops@example.test",
            LIVE_TO_VOD_ALERT_ON_RECOVERY="true",
        )
        yield pipeline, smtp, slack


def no_secret(text: str) -> None:
    assert WEBHOOK_TOKEN.split("/")[-1] not in text and "/services/" not in text
    assert "local-stack" not in text  # the AWS connection's keys


def test_each_permanent_failure_alerts_once_per_channel_with_its_reason(alerted, faults):
    pipeline, smtp, slack = alerted
    failed, damaged, transcode = "alert-harvest-fails", "alert-damaged", "alert-transcode-fails"
    faults.add("harvest_fail", job=pipeline.job_id(failed), message="Origin endpoint unreachable while harvesting")
    faults.add("harvest_damage", job=pipeline.job_id(damaged), damage="truncated_segment")
    faults.add("transcode_fail", job=pipeline.job_id(transcode), code=1030, message="Failed to decode the input")
    runs = pipeline.run(pipeline.conf(failed), pipeline.conf(damaged), pipeline.conf(transcode, mediaconvert=["mp4"]))
    assert [r["state"] for r in runs] == ["failed"] * 3
    expected = {
        failed: ("wait_for_harvest", runs[0]["errors"][ti("harvest.wait_for_harvest")]),
        damaged: ("verify_asset", runs[1]["errors"][ti("harvest.verify_asset")]),
        transcode: ("transcode", runs[2]["errors"][ti("harvest.transcode")]),
    }
    texts = slack.texts()
    mails = smtp.received.all()
    assert len(texts) == len(mails) == 3, (texts, mails)  # one per failure, none for summarize
    for event, (task, error) in expected.items():
        (text,) = [t for t in texts if f"] {event} / full:" in t]
        (mail,) = [m for m in mails if f"] {event} / full:" in m["subject"]]
        assert mail["subject"] == f"[live-to-VOD] {event} / full: {task} failed"
        assert text.startswith(mail["subject"])
        first_line = " ".join(error.split())[:60]
        assert f"Reason: {first_line}" in text and first_line.split(" ")[0] in mail["body"]
        assert "Next: " in text
        run_id = runs[list(expected).index(event)]["run_id"]
        run_url = f"http://airflow.example:8080/dags/live_event_harvest/runs/{quote(run_id, safe='')}"
        assert f"Run (Airflow): {run_url}/tasks/harvest.{task}/mapped/0" in text
        assert "Asset (S3 console): https://console.aws.amazon.com/s3/buckets/" in text
        no_secret(text), no_secret(mail["raw"])
    # No notification queue here: the job's FAILED status is all MediaPackage's API gives.
    assert f"harvest job {pipeline.job_id(failed)} FAILED" in next(t for t in texts if failed in t)
    assert "error 1030" in next(t for t in texts if transcode in t)
    damage = next(t for t in texts if damaged in t)
    assert "ERROR" in damage and "index_1.m3u8" not in damage.split("ERROR")[0][-40:]  # the defect, not the stats
    assert len(damage) < 2500


def test_a_fault_a_task_retry_absorbs_sends_no_failure_alert(alerted, faults):
    pipeline, smtp, slack = alerted
    event = "alert-retried"
    # More 5xx answers than botocore's 10 attempts: create's first try fails, its Airflow retry succeeds.
    faults.add("error", service="mediapackage", operation="CreateHarvestJob", count=10)
    (run,) = pipeline.run(pipeline.conf(event))
    assert_succeeded(run)
    assert run["tries"][ti("harvest.create_harvest_job")] == 2
    texts = slack.texts()
    assert texts == [t for t in texts if "recovered" in t] and len(texts) == 1, texts
    assert texts[0].startswith(f"[live-to-VOD] {event} / full: create_harvest_job recovered")
    assert len(smtp.received.all()) == 1
    assert list(pipeline.jobs()) == [pipeline.job_id(event)]
