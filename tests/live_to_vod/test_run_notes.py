"""The run note the pipeline writes when a run ends."""

from __future__ import annotations

from live_to_vod.game_day import NOTE_MARK, outcome_note, with_outcome

PLAN = [{"output": "full"}, {"output": "goal-1"}]
SUMMARY = {"window_start": "2026-12-05T19:00:00Z", "window_end": "2026-12-05T21:30:00Z",
           "renditions": [{}, {}, {}, {}], "vod_playback_urls": ["https://egress/out/v1/g/index.m3u8"]}  # fmt: skip


def test_a_harvested_event_names_each_output_window_renditions_and_url():
    note = outcome_note("nba-bos-nyk", "success", PLAN[:1], {0: SUMMARY}, {})
    assert note.splitlines()[1:] == [
        "**nba-bos-nyk**: harvested",
        "- full: 2026-12-05T19:00:00Z to 2026-12-05T21:30:00Z, 4 renditions, plays at https://egress/out/v1/g/index.m3u8",
    ]


def test_a_failed_output_says_why_and_the_others_still_show():
    reasons = {("harvest.verify_asset", 1): "ERROR decode at goal-1/index_1.m3u8 segment #3"}
    note = outcome_note("g", "failed", PLAN, {0: SUMMARY}, reasons)
    assert "**g**: FAILED" in note
    assert "- goal-1: failed: ERROR decode at goal-1/index_1.m3u8 segment #3" in note
    assert "- full: 2026-12-05T19:00:00Z" in note


def test_a_run_refused_by_validate_carries_validates_reason():
    note = outcome_note("g", "failed", None, {}, {("validate", -1): "end_time: is before start_time"})
    assert note.endswith("- end_time: is before start_time")


def test_a_persons_note_is_kept_and_the_outcome_replaced_not_repeated():
    first = with_outcome("Overtime expected", outcome_note("g", "failed", None, {}, {}))
    again = with_outcome(first, outcome_note("g", "success", PLAN[:1], {0: SUMMARY}, {}))
    assert again.startswith("Overtime expected\n\n" + NOTE_MARK)
    assert again.count(NOTE_MARK) == 1 and "harvested" in again and "FAILED" not in again
