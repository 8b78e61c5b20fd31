"""The deadline follows the event's end as it is now: an ad-hoc run's changed end (its Variable, here
through Airflow's environment-variable backend, the first place the Task SDK looks) and a scheduled
run's revised schedule entry."""

from __future__ import annotations

import json
import textwrap

import pendulum

from live_to_vod.config import DeploymentConfig
from live_to_vod.late_changes import variable_key
from live_to_vod.pipeline.deadlines import _latest_end

CONF = {"event_id": "g1", "end_time": "2026-12-05T22:00:00-05:00"}


def test_an_ad_hoc_runs_changed_end_moves_its_deadline(monkeypatch):
    config = DeploymentConfig()
    assert _latest_end("live_event_harvest", "manual__g1", CONF, config) is None  # no change made
    change = {"end_time": "2026-12-05T22:40:00-05:00", "reason": "overtime"}
    monkeypatch.setenv(f"AIRFLOW_VAR_{variable_key('live_event_harvest', 'manual__g1').upper()}", json.dumps(change))
    assert _latest_end("live_event_harvest", "manual__g1", CONF, config) == pendulum.datetime(2026, 12, 6, 3, 40)


def test_a_scheduled_runs_revised_end_moves_its_deadline(tmp_path):
    entry = """
        events:
          - id: g2
            endpoint: ep-1
            start: 2026-12-05T19:30:00-05:00
            end: 2026-12-05T22:00:00-05:00
            {revision}
    """
    (tmp_path / "season.yaml").write_text(textwrap.dedent(entry.format(revision="")))
    config = DeploymentConfig(schedule_dir=str(tmp_path))
    assert _latest_end("live_event_harvest", "scheduled__g2", {}, config) is None  # not revised
    (tmp_path / "season.yaml").write_text(
        textwrap.dedent(entry.format(revision="revised_end: 2026-12-05T22:25:00-05:00"))
    )
    assert _latest_end("live_event_harvest", "scheduled__g2", {}, config) == pendulum.datetime(2026, 12, 6, 3, 25)
