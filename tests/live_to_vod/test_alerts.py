"""What an alert says, and that nothing in it leaks a credential."""

from __future__ import annotations

import pytest

from live_to_vod.alerts import NEXT_STEPS, deadline_missed, last_chance, output_failed, output_recovered, redact

SECRETS = {
    "https://hooks.slack.com/services/T01/B02/abcdefSECRET": "abcdefSECRET",
    "postgresql://airflow:hunter2pw@db:5432/airflow": "hunter2pw",
    "key AKIAIOSFODNN7EXAMPLE used": "AKIAIOSFODNN7EXAMPLE",
    "https://b.s3.amazonaws.com/k?X-Amz-Signature=deadbeefcafe&X-Amz-Expires=60": "deadbeefcafe",
    "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=FwoGZXIvYXdzSECRET&a=1": "FwoGZXIvYXdzSECRET",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig": "eyJhbGciOiJIUzI1NiJ9",
    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG": "wJalrXUtnFEMI",
    'password: "s3cr3t!"': "s3cr3t!",
}


@pytest.mark.parametrize("text", SECRETS)
def test_redact_removes_each_kind_of_secret(text):
    assert SECRETS[text] not in redact(text)
    assert "***" in redact(text)


def test_redact_keeps_what_an_operator_needs():
    text = "harvest job game-1-0f3c FAILED: s3://vod-bucket/game-1/index.m3u8 at 2026-12-05T19:00:00Z"
    assert redact(text) == text


def test_a_failure_alert_names_the_event_output_reason_next_step_and_links():
    alert = output_failed(
        event_id="nba-2026-12-05-bos-nyk",
        output="whole",
        task="harvest.wait_for_harvest",
        reason="harvest job nba-1 FAILED.\n  Origin endpoint unreachable (token=abc123SECRET)",
        links=[("Run (Airflow)", "http://airflow/dags/d/runs/r"), ("Console", None)],
        content_expires_at="2026-12-06T19:00:00Z",
    )
    assert alert.subject == "[live-to-VOD] nba-2026-12-05-bos-nyk / whole: wait_for_harvest failed"
    text = alert.text()
    assert "Reason: harvest job nba-1 FAILED. Origin endpoint unreachable" in text  # folded to one line
    assert "abc123SECRET" not in text and "abc123SECRET" not in alert.html()
    assert NEXT_STEPS["wait_for_harvest"] in text
    assert "leaves the startover window at 2026-12-06T19:00:00Z" in text
    assert "Run (Airflow): http://airflow/dags/d/runs/r" in text and "Console" not in text  # no URL, no link
    assert '<a href="http://airflow/dags/d/runs/r">Run (Airflow)</a>' in alert.html()


def test_html_escapes_untrusted_text():
    alert = output_failed(event_id="e", output=None, task="validate", reason="<script>alert(1)</script>")
    assert "<script>" not in alert.html() and "&lt;script&gt;" in alert.html()


def test_a_long_reason_is_clipped():
    alert = output_failed(event_id="e", output=None, task="verify_asset", reason="x" * 5000)
    assert len(alert.reason) < 1600 and alert.reason.endswith("[...]")


def test_recovered_deadline_and_last_chance_read_plainly():
    assert output_recovered(event_id="e", output="whole", task="harvest.create_harvest_job", tries=3).reason == (
        "create_harvest_job succeeded on try 3 after 2 failed tries."
    )
    late = deadline_missed(
        event_id="e",
        deadline="2026-12-05T20:30:00Z",
        event_end="2026-12-05T20:00:00Z",
        minutes=30,
        still_running=["harvest.wait_for_harvest[0]"],
    )
    assert "due playable by 2026-12-05T20:30:00Z, 30 min after the event's end" in late.reason
    assert "Still to finish: harvest.wait_for_harvest[0]" in late.reason
    expiring = last_chance(event_id="e", expires_at="2026-12-05T21:00:00Z", not_harvested=["whole", "clip-1"])
    assert expiring.headline == "content expires at 2026-12-05T21:00:00Z"
    assert "whole, clip-1 have no completed harvest" in expiring.reason


def test_a_report_is_quoted_by_its_headline_and_error_lines():
    report = "\n".join(
        [
            "The harvested asset s3://b/e/index.m3u8 failed verification; nothing was handed off.",
            "  - video index_1.m3u8: 30 segment(s), 2695980 bytes",
            "  - WARNING segment-size at e/index_1.m3u8 segment #15",
            "  - ERROR decode at e/index_1.m3u8 segment #15 (index_1_00031.ts): does not decode",
        ]
    )
    reason = output_failed(event_id="e", output=None, task="verify_asset", reason=report).reason
    assert reason == (
        "The harvested asset s3://b/e/index.m3u8 failed verification; nothing was handed off. "
        "ERROR decode at e/index_1.m3u8 segment #15 (index_1_00031.ts): does not decode"
    )
