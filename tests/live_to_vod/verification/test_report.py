"""Tests for the report and the defect log (``report.py``): severity from the check, repeats capped per playlist."""

from __future__ import annotations

from live_to_vod.verification import MAX_DEFECTS_PER_CHECK, catalog
from live_to_vod.verification.report import DefectLog
from tests.support.hls_assets import T0, good_asset, verify


def test_repeated_defects_are_capped_per_playlist():
    asset = good_asset(durations=[2.0] * 30)
    for i in range(30):
        asset.delete(f"index_3_{100 + i:05d}.ts")
    report = verify(asset, window_end=T0.add(seconds=59), segments="listing")
    missing = [d for d in report.defects if d.check == "missing-segment"]
    assert len(missing) == MAX_DEFECTS_PER_CHECK + 1
    assert "and 10 more missing-segment defect(s)" in missing[-1].message


def test_a_defect_takes_its_id_and_severity_from_its_check():
    log = DefectLog()
    log.add(catalog.PLAYLIST_CONTENT_TYPE, "a.m3u8", "no type")
    log.add(catalog.PLAYLIST_CONTENT_TYPE_OF_M3U8, "b.m3u8", "text/plain")
    for i in range(MAX_DEFECTS_PER_CHECK + 3):
        log.add(catalog.STREAM_INF_CODECS, f"p #{i}", "no CODECS", group="p")
    defects = log.finish()
    assert [(d.check, d.severity) for d in defects[:2]] == [
        ("playlist-content-type", "error"),
        ("playlist-content-type", "warning"),
    ]
    codecs = [d for d in defects if d.check == "stream-inf-codecs"]
    assert len(codecs) == MAX_DEFECTS_PER_CHECK + 1 and {d.severity for d in codecs} == {"warning"}
    assert codecs[-1].location == "p" and "and 3 more stream-inf-codecs defect(s) in p" in codecs[-1].message
    assert defects[0].to_dict() == {
        "check": "playlist-content-type",
        "location": "a.m3u8",
        "message": "no type",
        "severity": "error",
    }
