"""The board's rows: each output's stage, times and links, read from its task instances."""

from __future__ import annotations

import pendulum
import pytest

from live_to_vod.board import STAGES, RunView, TaskView, filter_rows, rows_for_run, scheduled_row

END = pendulum.datetime(2026, 12, 5, 22, 0, tz="UTC")
PLAN = [
    {"event_id": "g1", "output": "full", "origin_endpoint_id": "ep-1", "end_time": END.to_iso8601_string(),
     "s3_bucket": "b", "manifest_key": "g1/index.m3u8"},
]  # fmt: skip
GROUP = ("create_harvest_job", "wait_for_harvest", "verify_asset", "hand_off_to_vod", "transcode",
         "verify_transcode", "publish")  # fmt: skip


def run_with(states: dict[str, str | None], *, summary=None, reasons=None, plan=PLAN, at=None) -> RunView:
    tasks = [
        TaskView("validate", -1, "success"),
        TaskView("wait_for_event_end", -1, states.pop("wait_for_event_end", "success")),
    ]
    for step in GROUP:
        state = states.get(step)
        tasks.append(TaskView(f"harvest.{step}", 0, state, (at or {}).get(step)))
    return RunView(dag_id="live_event_harvest", run_id="manual__g1", state="running", conf={"event_id": "g1"},
                   window_end=END, tasks=tasks, plan=plan, summaries={0: summary} if summary else {},
                   reasons=reasons or {}, jobs={0: "g1-job"})  # fmt: skip


@pytest.mark.parametrize(
    ("states", "stage"),
    [
        ({"wait_for_event_end": "deferred"}, "waiting for the end"),
        ({"create_harvest_job": "running"}, "harvesting"),
        ({"create_harvest_job": "success", "wait_for_harvest": "deferred"}, "harvesting"),
        ({"create_harvest_job": "success", "wait_for_harvest": "success", "verify_asset": "running"}, "verifying"),
        (
            dict.fromkeys(("create_harvest_job", "wait_for_harvest", "verify_asset"), "success")
            | {"hand_off_to_vod": "deferred", "transcode": "deferred"},
            "handing off",
        ),  # fmt: skip
        ({"wait_for_event_end": None}, "scheduled"),
    ],
)
def test_the_stage_is_the_latest_step_under_way(states, stage):
    (row,) = rows_for_run(run_with(states))
    assert row.stage == stage and row.stage in STAGES


def test_a_playable_output_has_its_times_latency_and_player():
    done, playable = END.add(minutes=3), END.add(minutes=5)
    summary = {"vod_playback_urls": ["https://egress/out/v1/g1/index.m3u8"], "asset_uri": "s3://b/g1/index.m3u8",
               "mp4": [{"uri": "s3://b/mediaconvert/g1/g1.mp4"}]}  # fmt: skip
    (row,) = rows_for_run(
        run_with(dict.fromkeys(GROUP, "success"), summary=summary,
                 at={"wait_for_harvest": done, "hand_off_to_vod": playable, "publish": END.add(minutes=6)})
    )  # fmt: skip
    assert (row.stage, row.job_done, row.playable) == (
        "playable",
        done.to_iso8601_string(),
        playable.to_iso8601_string(),
    )
    assert row.latency_seconds == 300
    assert row.playback_url == "https://egress/out/v1/g1/index.m3u8" and row.mp4_uri == "s3://b/mediaconvert/g1/g1.mp4"
    assert row.mp4_url == "api/media?run_id=manual__g1&map_index=0"  # the board's presigned redirect
    assert (row.harvest_job_id, row.channel, row.asset_uri) == ("g1-job", "ep-1", "s3://b/g1/index.m3u8")


def test_a_harvest_without_hand_off_is_harvested_not_playable():
    (row,) = rows_for_run(run_with(dict.fromkeys(GROUP, "success"), summary={"vod_playback_urls": []}))
    assert row.stage == "harvested" and row.playback_url is None


def test_a_failed_output_shows_its_reason():
    states = {"create_harvest_job": "success", "wait_for_harvest": "failed", "verify_asset": "upstream_failed"}
    reasons = {("harvest.wait_for_harvest", 0): "harvest job g1-job FAILED"}
    (row,) = rows_for_run(run_with(states, reasons=reasons))
    assert (row.stage, row.reason) == ("failed", "harvest job g1-job FAILED")
    (row,) = rows_for_run(run_with(states))
    assert row.reason == "wait_for_harvest failed (see its log)"


def test_a_run_that_failed_validate_is_one_failed_event_row():
    run = RunView(dag_id="d", run_id="manual__g2", state="failed", conf={"event_id": "g2", "origin_endpoint_id": "ep"},
                  window_end=END, tasks=[TaskView("validate", -1, "failed")],
                  reasons={("validate", -1): "end_time: is before start_time"})  # fmt: skip
    (row,) = rows_for_run(run)
    assert (row.event_id, row.output, row.stage, row.reason) == (
        "g2",
        "(event)",
        "failed",
        "end_time: is before start_time",
    )


def test_filters_keep_one_day_channel_and_stage_in_end_order():
    rows = [scheduled_row("late", "ep-2", END.add(hours=1)), scheduled_row("early", "ep-1", END.subtract(hours=1)),
            scheduled_row("tomorrow", "ep-1", END.add(days=1))]  # fmt: skip
    assert [r.event_id for r in filter_rows(rows, day=END.date())] == ["early", "late"]
    assert [r.event_id for r in filter_rows(rows, day=END.date(), channel="ep-2")] == ["late"]
    assert filter_rows(rows, stage="failed") == []
    # 22:00 UTC on the 5th is the 6th in Tokyo
    assert [r.event_id for r in filter_rows(rows, day=pendulum.date(2026, 12, 6), tz="Asia/Tokyo")] == ["early", "late"]


def late_run(*, made: bool, latest_end=None, manual=True, state="running") -> RunView:
    states = {"create_harvest_job": "success", "wait_for_harvest": "deferred"} if made else {}
    base = run_with(states)
    request = {**PLAN[0]}
    return RunView(**{**base.__dict__, "requests": {0: request} if made else {}, "latest_end": latest_end,
                      "manual": manual, "state": state})  # fmt: skip


def test_an_ad_hoc_run_whose_job_is_not_made_offers_to_change_its_times_and_shows_the_moved_end():
    (row,) = rows_for_run(late_run(made=False, latest_end=END.add(minutes=25)))
    assert row.end == END.add(minutes=25).to_iso8601_string()  # what the job will be made for
    assert row.window_note is None
    assert row.actions == ({"label": "Change times", "method": "PUT", "url": "api/runs/manual__g1/times",
                            "end_time": row.end},)  # fmt: skip
    (scheduled_run,) = rows_for_run(late_run(made=False, manual=False))
    assert scheduled_run.actions == ()  # a scheduled run's times change in the schedule


def test_an_end_moved_after_the_job_was_made_says_the_window_is_fixed_and_offers_the_extra_time():
    later = END.add(minutes=25)
    (row,) = rows_for_run(late_run(made=True, latest_end=later, manual=False))
    assert row.end == END.to_iso8601_string()  # what was harvested
    assert "fixed when its job was made" in row.window_note and later.to_iso8601_string() in row.window_note
    (action,) = row.actions
    assert action["method"] == "POST" and action["url"] == "api/runs/manual__g1/extra-time"
    assert action["end_time"] == later.to_iso8601_string()
    (unchanged,) = rows_for_run(late_run(made=True))
    assert unchanged.window_note is None and unchanged.actions[0]["label"] == "Harvest extra time"
    (scheduled,) = rows_for_run(late_run(made=True, manual=False))
    assert scheduled.actions == ()  # nothing more to harvest until the schedule says so


def test_a_failed_output_offers_no_extra_time():
    failed = late_run(made=True)
    tasks = [t if t.task_id != "harvest.wait_for_harvest" else TaskView(t.task_id, 0, "failed") for t in failed.tasks]
    (row,) = rows_for_run(RunView(**{**failed.__dict__, "tasks": tasks}))
    assert row.stage == "failed" and row.actions == ()
