"""The read plan: bounded, spread over the timeline, deterministic per asset, suspects first."""

from __future__ import annotations

from live_to_vod.verification.context import Rendition, SegmentRef
from live_to_vod.verification.limits import MAX_PROBED_SEGMENTS, MAX_SUSPECT_READS, MIN_PROBES_PER_RENDITION
from live_to_vod.verification.sampling import DECODE_SAMPLES, plan_reads

DAY = 43_200  # 24 h of 2 s segments


def rendition(count: int, key: str = "game/index_1.m3u8") -> Rendition:
    r = Rendition(uri=key.rsplit("/", 1)[-1], kind="video", key=key)
    r.media_segments = [
        SegmentRef(i, f"s{i}.ts", f"game/s{i}.ts", 2.0, 188_000, None, 0, 2.0 * i) for i in range(count)
    ]
    return r


def test_a_day_long_rendition_gets_its_share_spread_over_the_whole_timeline():
    plan = plan_reads(rendition(DAY), "sampled", timed_renditions=6)
    reads = sorted(plan.decode + plan.probe)
    assert len(reads) == MAX_PROBED_SEGMENTS // 6 == 20
    assert reads[0] == 0 and reads[-1] == DAY - 1 and len(plan.decode) == 2 + DECODE_SAMPLES
    stratum = DAY / 18
    gaps = [b - a for a, b in zip(reads, reads[1:], strict=False)]
    assert max(gaps) <= 2 * stratum  # no part of the day is left unread for more than two strata


def test_six_renditions_stay_under_the_asset_budget():
    total = sum(len(plan_reads(rendition(DAY, f"g/{i}.m3u8"), "sampled", 6).probe) for i in range(6))
    total += sum(len(plan_reads(rendition(DAY, f"g/{i}.m3u8"), "sampled", 6).decode) for i in range(6))
    assert total == MAX_PROBED_SEGMENTS


def test_a_short_rendition_is_read_whole():
    plan = plan_reads(rendition(6), "sampled", timed_renditions=6)
    assert sorted(plan.decode + plan.probe) == list(range(6))
    assert MIN_PROBES_PER_RENDITION >= 6


def test_the_plan_is_deterministic_per_asset_and_differs_between_assets():
    one = plan_reads(rendition(DAY, "a/index_1.m3u8"), "sampled", 6)
    assert one == plan_reads(rendition(DAY, "a/index_1.m3u8"), "sampled", 6)
    assert one != plan_reads(rendition(DAY, "b/index_1.m3u8"), "sampled", 6)


def test_suspects_are_decoded_up_to_the_cap():
    r = rendition(DAY)
    r.suspects = {p: "size" for p in range(1000, 1000 + 3 * MAX_SUSPECT_READS)}
    plan = plan_reads(r, "sampled", 6)
    suspects = [p for p in plan.decode if p in r.suspects]
    assert suspects == list(range(1000, 1000 + MAX_SUSPECT_READS))


def test_full_decodes_everything_and_listing_reads_nothing():
    assert plan_reads(rendition(50), "full", 6).decode == tuple(range(50))
    assert plan_reads(rendition(50), "listing", 6) == plan_reads(rendition(0), "sampled", 6)
