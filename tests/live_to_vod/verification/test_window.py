"""Tests for renditions against each other and the requested window (``window.py``)."""

from __future__ import annotations

from tests.support.hls_assets import (
    AUDIO_STEM,
    PREFIX,
    T0,
    audio_segments,
    checks,
    defects,
    good_asset,
    verify,
    video_segments,
)


def test_window_start_late():
    report = verify(good_asset(start=T0.add(seconds=2), durations=[2.0] * 4))
    late = defects(report, "window-start-late")
    assert {d.location for d in late} == {f"{PREFIX}index_{i}.m3u8" for i in range(1, 5)}
    assert "1.000 s after the requested window start" in late[0].message
    assert "rendition-mismatch" not in checks(report)


def test_window_end_early():
    report = verify(good_asset(durations=[2.0] * 4))
    early = defects(report, "window-end-early")
    assert len(early) == 4
    assert "ends at 2026-11-26T19:00:08.000+00:00, 1.000 s before the requested window end" in early[0].message


def test_asset_starting_more_than_one_segment_early():
    report = verify(good_asset(start=T0.subtract(seconds=2), durations=[2.0] * 6))
    early = defects(report, "window-start-early")
    assert len(early) == 4 and "3.000 s before the requested window start" in early[0].message
    assert "window-end-late" not in checks(report)


def test_asset_ending_more_than_one_segment_late():
    report = verify(good_asset(durations=[2.0] * 6))
    assert len(defects(report, "window-end-late")) == 4


def test_window_start_exactly_on_a_segment_boundary():
    # S = T0+2 is the start of the second segment: starting at T0 is one segment too early
    report = verify(good_asset(), window_start=T0.add(seconds=2), segments="listing")
    assert len(defects(report, "window-start-early")) == 4
    assert verify(good_asset(), window_start=T0, segments="listing").ok


def test_rendition_starting_later_is_a_mismatch():
    asset = good_asset()
    asset.add_rendition("index_2", video_segments(), start=T0.add(seconds=2), durations=[2.0] * 4, first_seq=101)
    report = verify(asset)
    (mismatch,) = defects(report, "rendition-mismatch")
    assert mismatch.location == f"{PREFIX}index_2.m3u8"
    assert "index_2.m3u8 covers 2026-11-26T19:00:02.000+00:00" in mismatch.message
    assert "index_1.m3u8 covers 2026-11-26T19:00:00.000+00:00" in mismatch.message
    assert "starts 2.000 s later" in mismatch.message


def test_audio_boundaries_within_a_tenth_of_a_second_are_accepted():
    asset = good_asset()
    asset.add_rendition(AUDIO_STEM, audio_segments(), start=T0.add(microseconds=80_000))
    assert verify(asset).ok
    asset.add_rendition(AUDIO_STEM, audio_segments(), start=T0.add(microseconds=150_000))
    assert "rendition-mismatch" in checks(verify(asset))


def test_target_duration_mismatch_between_renditions():
    asset = good_asset()
    asset.add_rendition("index_3", video_segments(), target=3)
    (defect,) = defects(verify(asset), "target-duration-mismatch")
    assert "index_3.m3u8=3" in defect.message and "index_1.m3u8=2" in defect.message
