"""Game-day timing: the deadline a run gets, and which outputs are still unharvested."""

from __future__ import annotations

import pendulum

from live_to_vod.game_day import event_id_of_run, last_chance_at, playable_deadline, unfinished

END = pendulum.datetime(2026, 12, 5, 22, 0, tz="UTC")


def test_an_ad_hoc_run_is_due_its_conf_minutes_after_its_end():
    conf = {"event_id": "g1", "end_time": "2026-12-05T17:00:00-05:00", "playable_within_minutes": 20}
    deadline = playable_deadline(conf, None, scheduled_minutes=None, default_minutes=30)
    assert deadline.event_end == END and deadline.minutes == 20
    assert deadline.due == END.add(minutes=20)


def test_the_default_applies_when_neither_conf_nor_schedule_says():
    deadline = playable_deadline({"end_time": END.isoformat()}, None, scheduled_minutes=None, default_minutes=30)
    assert deadline.due == END.add(minutes=30)


def test_a_scheduled_run_is_due_from_its_window_end_and_its_entry():
    deadline = playable_deadline({}, END, scheduled_minutes=45, default_minutes=30)
    assert deadline.due == END.add(minutes=45)


def test_an_invalid_conf_gets_no_deadline_or_the_default_minutes():
    assert playable_deadline({"end_time": "tomorrow"}, END, scheduled_minutes=None, default_minutes=30) is None
    assert playable_deadline({}, None, scheduled_minutes=None, default_minutes=30) is None
    odd = playable_deadline({"end_time": END.isoformat(), "playable_within_minutes": 0}, None,
                            scheduled_minutes=None, default_minutes=30)  # fmt: skip
    assert odd.minutes == 30  # validate refuses 0 and names the field; the deadline still stands


def test_the_event_of_a_run():
    assert event_id_of_run("scheduled__nba-bos-nyk", {}) == "nba-bos-nyk"
    assert event_id_of_run("manual__2026-12-05T10:00:00", {"event_id": "g2"}) == "g2"
    assert event_id_of_run("odd", None) == "odd"


def test_unfinished_lists_what_is_under_way():
    states = {"validate": "success", "harvest.wait_for_harvest_0": "deferred", "harvest.publish_0": None,
              "summarize": "upstream_failed", "harvest.verify_asset_1": "up_for_retry"}  # fmt: skip
    assert unfinished(states) == ["harvest.verify_asset_1", "harvest.wait_for_harvest_0"]


def test_the_last_chance_comes_its_minutes_before_the_content_expires():
    assert last_chance_at("2026-12-05T23:00:00Z", 30) == pendulum.datetime(2026, 12, 5, 22, 30, tz="UTC")
    assert last_chance_at(None, 30) is None
