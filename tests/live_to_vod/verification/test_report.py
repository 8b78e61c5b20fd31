"""Tests for the report and the defect log (``report.py``): repeats of one check are capped per playlist."""

from __future__ import annotations

from live_to_vod.verification import (
    MAX_DEFECTS_PER_CHECK,
)
from tests.support.hls_assets import (
    T0,
    good_asset,
    verify,
)


def test_repeated_defects_are_capped_per_playlist():
    asset = good_asset(durations=[2.0] * 30)
    for i in range(30):
        asset.delete(f"index_3_{100 + i:05d}.ts")
    report = verify(asset, window_end=T0.add(seconds=59), decode_segments=False)
    missing = [d for d in report.defects if d.check == "missing-segment"]
    assert len(missing) == MAX_DEFECTS_PER_CHECK + 1
    assert "and 10 more missing-segment defect(s)" in missing[-1].message
