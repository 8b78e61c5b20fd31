"""Alerts go out through the Slack and SMTP providers' notifiers to real protocol servers."""

from __future__ import annotations

import pytest

from live_to_vod.alerts import output_failed
from live_to_vod.config import DeploymentConfig
from live_to_vod.pipeline.alerting import run_link, send_alert
from tests.support.alert_sinks import WEBHOOK_TOKEN, SmtpSink, WebhookSink

ALERT = output_failed(
    event_id="game-7",
    output="whole",
    task="harvest.verify_asset",
    reason="720p/seg_00012.ts does not decode",
    links=[("Run (Airflow)", "http://airflow.test/dags/live_event_harvest/runs/scheduled__game-7")],
)


@pytest.fixture
def sinks(monkeypatch):
    with SmtpSink() as smtp, WebhookSink() as slack:
        monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", slack.connection())
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp.connection())
        yield smtp, slack


def config(**env: str) -> DeploymentConfig:
    return DeploymentConfig.from_env({"LIVE_TO_VOD_ALERT_EMAIL_TO": "ops@example.test, oncall@example.test", **env})


def test_one_alert_reaches_each_configured_channel(sinks):
    smtp, slack = sinks
    outcome = send_alert(ALERT, {}, config(LIVE_TO_VOD_ALERT_CHANNELS="slack,smtp"))
    assert outcome == {"slack": None, "smtp": None}
    (posted,) = slack.received.all()
    assert posted["path"] == f"/services/{WEBHOOK_TOKEN}"
    assert posted["body"]["text"] == ALERT.text()
    (mail,) = smtp.received.all()
    assert mail["to"] == ["ops@example.test", "oncall@example.test"]
    assert mail["from"] == "live-to-vod@example.test"  # the connection's from_email
    assert mail["subject"] == "[live-to-VOD] game-7 / whole: verify_asset failed"
    assert "720p/seg_00012.ts does not decode" in mail["body"]
    for text in (posted["body"]["text"], mail["raw"]):
        assert WEBHOOK_TOKEN.split("/")[-1] not in text


def test_only_the_configured_channels_are_used(sinks):
    smtp, slack = sinks
    assert send_alert(ALERT, {}, config(LIVE_TO_VOD_ALERT_CHANNELS="smtp")) == {"smtp": None}
    assert len(smtp.received.all()) == 1 and slack.received.all() == []
    assert send_alert(ALERT, {}, config()) == {}


def test_a_failing_channel_does_not_stop_the_others(monkeypatch):
    with SmtpSink() as smtp, WebhookSink(status=403) as slack:
        monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", slack.connection())
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp.connection())
        outcome = send_alert(ALERT, {}, config(LIVE_TO_VOD_ALERT_CHANNELS="slack,smtp"))
    assert outcome["slack"] and outcome["smtp"] is None
    assert len(smtp.received.all()) == 1


def test_run_link_points_at_the_task_instance_in_the_ui(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080/")
    assert run_link("live_event_harvest", "scheduled__game 7", "harvest.verify_asset", 2) == (
        "http://airflow.example:8080/dags/live_event_harvest/runs/scheduled__game%207/tasks/harvest.verify_asset/mapped/2"
    )


def test_a_recovery_sends_a_note_only_when_the_deployment_asks(sinks):
    from types import SimpleNamespace

    from live_to_vod.pipeline.alerting import OutputRecoveryNote

    smtp, slack = sinks
    request = {"event_id": "game-8", "output": "full"}
    ti = SimpleNamespace(dag_id="live_event_harvest", run_id="r", task_id="harvest.create_harvest_job", map_index=0)
    for tries, asks in ((2, "false"), (1, "true"), (2, "true")):
        ti.try_number = tries
        note = OutputRecoveryNote(config(LIVE_TO_VOD_ALERT_CHANNELS="slack", LIVE_TO_VOD_ALERT_ON_RECOVERY=asks))
        note({"ti": ti, "task": SimpleNamespace(request=request)})
    (text,) = slack.texts()  # only the third: a retry that succeeded, with notes asked for
    assert text.startswith("[live-to-VOD] game-8 / full: create_harvest_job recovered")
