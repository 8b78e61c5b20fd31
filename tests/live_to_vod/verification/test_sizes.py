"""Segment sizes judged from the listing alone: no segment is read for them."""

from __future__ import annotations

import random
import re

import pytest

from live_to_vod.verification.sizes import HIGH_FACTOR, LOW_FACTOR, PEAK_FACTOR
from tests.support.hls_assets import MANIFEST, PREFIX, T0, TS, Asset, media_playlist, verify

SEGMENTS = 16
PARENT = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
index_1.m3u8
"""


def asset_with_sizes(sizes: list[int], *, bandwidth: int = 2_000_000, durations: list[float] | None = None) -> Asset:
    """One 2 s-segment rendition whose segments have these sizes (TS-packet multiples unless said)."""
    asset = Asset()
    asset.put_text("index.m3u8", PARENT.format(bandwidth=bandwidth))
    asset.put_text("index_1.m3u8", media_playlist("index_1", durations=durations or [2.0] * len(sizes)))
    for i, size in enumerate(sizes):
        asset.put(f"index_1_{100 + i:05d}.ts", b"\x47" * size, TS)
    return asset


def listing_report(asset: Asset):
    store = asset.store()
    report = verify(store, window_end=T0.add(seconds=2 * len(asset.objects) - 5), segments="listing")
    assert store.fetched == [MANIFEST, PREFIX + "index_1.m3u8"]  # the playlists, no segment
    return report


def size_warnings(report) -> list:
    return [d for d in report.defects if d.check == "segment-size"]


def cbr(n: int = SEGMENTS, seed: int = 1) -> list[int]:
    """CBR: 1 Mbit/s x 2 s = 250 kB per segment, +-5 %."""
    rng = random.Random(seed)
    return [188 * round(250_000 * rng.uniform(0.95, 1.05) / 188) for _ in range(n)]


def qvbr(n: int = SEGMENTS, seed: int = 2) -> list[int]:
    """QVBR: segments from a third to twice the median, as scenes go."""
    rng = random.Random(seed)
    return [188 * round(250_000 * rng.choice([0.35, 0.6, 0.8, 1.0, 1.0, 1.2, 1.5, 2.0]) / 188) for _ in range(n)]


def test_a_steady_rendition_passes():
    assert not listing_report(asset_with_sizes(cbr())).defects


def test_a_vbr_rendition_with_a_black_slate_and_a_scene_cut_passes():
    sizes = qvbr()
    sizes[5] = 188 * 120  # a static slate: 1/11 of the median
    sizes[9] = 188 * 2600  # a scene cut at the peak
    assert not listing_report(asset_with_sizes(sizes, bandwidth=4_000_000)).defects


@pytest.mark.parametrize(("factor", "flagged"), [(1 / 30, True), (0.5, False), (2.0, False), (6.0, True)])
def test_a_segment_far_from_a_steady_renditions_median_is_flagged_with_the_numbers(factor, flagged):
    sizes = cbr()
    sizes[7] = 188 * round(sizes[7] * factor / 188)
    report = listing_report(asset_with_sizes(sizes, bandwidth=10_000_000))
    warnings = size_warnings(report)
    assert bool(warnings) is flagged, report.summary()
    if flagged:
        (warning,) = warnings
        assert warning.severity == "warning" and warning.location.endswith("segment #7 (index_1_00107.ts)")
        assert f"is {sizes[7]} bytes for 2 s" in warning.message
        plausible = r"x the rendition's median (99\d|100\d) kbit/s \(\d+ to \d+ kbit/s is plausible"
        assert re.search(plausible, warning.message)


def test_a_segment_above_the_declared_peak_is_flagged():
    sizes = cbr()
    sizes[3] = 188 * 2700  # 2.03 Mbit/s against BANDWIDTH=1,200,000
    (warning,) = size_warnings(listing_report(asset_with_sizes(sizes, bandwidth=1_200_000)))
    assert "1.7x the variant's declared peak BANDWIDTH=1200000" in warning.message


def test_a_whole_rendition_above_its_bandwidth_is_one_warning_on_the_declaration():
    (warning,) = size_warnings(listing_report(asset_with_sizes(cbr(), bandwidth=300_000)))
    assert warning.location == PREFIX + "index_1.m3u8" and "the declaration is wrong" in warning.message


def test_a_short_last_segment_is_not_judged_by_its_bitrate():
    sizes = cbr()
    sizes[-1] = 188 * 20
    durations = [2.0] * (SEGMENTS - 1) + [0.2]
    assert not size_warnings(listing_report(asset_with_sizes(sizes, durations=durations)))


def test_a_size_that_is_not_whole_ts_packets_is_flagged():
    sizes = cbr()
    sizes[2] += 100
    report = listing_report(asset_with_sizes(sizes))
    (warning,) = [d for d in report.defects if d.check == "ts-packet-size"]
    assert warning.location.endswith("segment #2 (index_1_00102.ts)") and "and 100 bytes" in warning.message


def test_the_factors_keep_the_spread_real_encoders_have():
    # the documented tolerances: a slate at 1/10 of the median and a scene cut at 2x stay inside
    assert LOW_FACTOR["video"] > 5 and HIGH_FACTOR["video"] >= 2 and PEAK_FACTOR > 1
