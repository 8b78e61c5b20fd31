"""Every segment seen: the damages of a real ladder are caught where they are, the shapes a real asset
has are accepted, in the sampled (default) and the full mode."""

from __future__ import annotations

import pytest

from live_to_vod.verification import verify_vod_asset
from live_to_vod.verification.context import SegmentRef
from live_to_vod.verification.probe import Probe
from live_to_vod.verification.structure import timeline_offsets
from tests.support.hls_assets import PREFIX, TS, checks
from tests.support.ladder import (
    DAMAGES,
    MANIFEST,
    POSITIONS,
    RENDITIONS,
    SEGMENTS,
    WINDOW_END,
    WINDOW_START,
    damage,
    ladder_asset,
    segment_name,
)

MODES = ("sampled", "full")
#: The error each damage gives, by where the damage is (decode tells a cut segment by its frames
#: or its span, whichever it runs out of first).
DAMAGE_ERRORS = {
    "truncated": {"decode", "segment-duration"},
    "foreign": {"segment-streams"},
    "garbage": {"sync-byte"},
}


def run(asset, mode: str = "sampled", *, segments: int = SEGMENTS, **kwargs):
    end = WINDOW_END.add(seconds=2 * (segments - SEGMENTS))
    return verify_vod_asset(asset.store(), MANIFEST, WINDOW_START, end, segments=mode, **kwargs)


@pytest.mark.parametrize("mode", MODES)
def test_the_ladder_passes_with_no_defect(mode):
    report = run(ladder_asset(), mode)
    assert report.ok and not report.defects, report.summary()
    assert report.reads.mode == mode
    if mode == "full":
        assert report.reads.decoded == report.segment_count == 32
        assert report.reads.bytes_read == report.reads.bytes_listed == report.total_bytes


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("rendition", RENDITIONS)
@pytest.mark.parametrize("kind", DAMAGES)
def test_each_damage_is_an_error_at_its_segment(kind, rendition, position, mode):
    asset = ladder_asset()
    name = damage(asset, kind, rendition, POSITIONS[position])
    report = run(asset, mode)
    assert not report.ok, report.summary()
    where = f"{PREFIX}{rendition}.m3u8 segment #{POSITIONS[position]} ({name})"
    at_segment = {d.check for d in report.errors if d.location == where}
    assert at_segment & DAMAGE_ERRORS[kind], report.summary()
    assert all(d.location == where for d in report.errors), report.summary()  # nothing else blamed


def test_a_foreign_segment_names_both_picture_sizes():
    asset = ladder_asset()
    damage(asset, "foreign", "video_180p", 4)  # video_270p's segment #4
    (defect,) = [d for d in run(asset).errors if d.check == "segment-streams"]
    assert "480x270" in defect.message and "320x180" in defect.message


def test_a_video_segment_in_the_audio_rendition_names_the_streams():
    asset = ladder_asset()
    damage(asset, "foreign", "audio_aac", 4)
    (defect,) = [d for d in run(asset).errors if d.check == "segment-streams"]
    assert "video 256 (H.264 320x180)" in defect.message and "AAC-LC 48000 Hz 2 ch" in defect.message


def test_a_truncated_segment_is_reported_from_the_listing_with_the_numbers():
    asset = ladder_asset()
    name = damage(asset, "truncated", "video_270p", 4)
    report = run(asset, "listing")
    assert report.reads.decoded == report.reads.probed == 0
    size = next(d for d in report.warnings if d.check == "segment-size")
    assert f"{name} is 1000 bytes for 2 s = 4 kbit/s" in size.message and "median" in size.message
    packets = next(d for d in report.warnings if d.check == "ts-packet-size")
    assert "5 packets and 60 bytes" in packets.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "shape",
    [
        {"iframes": True},
        {"subtitles": True},
        {"captions": True},
        {"ad_markers": True},
        {"discontinuity_at": 4},
        {"iframes": True, "subtitles": True, "captions": True, "ad_markers": True, "discontinuity_at": 5},
    ],
    ids=["iframe-playlists", "webvtt-subtitles", "closed-captions", "scte35-ad-markers", "discontinuity", "all"],
)
def test_real_asset_shapes_stay_accepted(shape, mode):
    report = run(ladder_asset(**shape), mode)
    assert report.ok and not report.defects, report.summary()


def test_a_repeated_segment_is_a_media_time_error():
    asset = ladder_asset()
    asset.put(segment_name("video_360p", 5), asset.objects[PREFIX + segment_name("video_360p", 4)][0], TS)
    (defect,) = run(asset).errors
    assert defect.check == "media-time" and defect.location.endswith("segment #5 (video_360p_00105.ts)")
    assert "repeats 2.000 s" in defect.message


def test_a_restart_without_a_discontinuity_tag_is_a_media_time_error():
    asset = ladder_asset(discontinuity_at=4)
    asset.edit("audio_aac.m3u8", "#EXT-X-DISCONTINUITY\n", "")
    (defect,) = run(asset).errors
    assert defect.check == "media-time" and defect.location.endswith("audio_aac.m3u8 segment #4 (audio_aac_00104.ts)")
    assert "no #EXT-X-DISCONTINUITY" in defect.message


def test_sampled_mode_on_a_long_rendition_reads_a_bounded_spread_and_every_suspect():
    asset = ladder_asset(segments=120)
    damage(asset, "truncated", "video_360p", 61)
    report = run(asset, segments=120)
    assert report.reads.mode == "sampled"
    # 4 renditions share 120 reads (30 each); the truncated suspect is among the decoded ones
    assert report.reads.probed + report.reads.decoded <= 120 + 1
    assert report.reads.bytes_read < report.reads.bytes_listed / 2
    assert {"decode", "segment-duration"} & checks(report)
    assert all(d.location.endswith("segment #61 (video_360p_00161.ts)") for d in report.errors)


def test_sampled_mode_misses_what_only_a_read_of_an_unread_segment_shows_and_full_mode_finds_it():
    """The bound of the sampled mode, stated: garbage of a normal size at a segment no probe reads."""
    asset = ladder_asset(segments=120)
    store = asset.store()
    assert run_on(store, segments=120).ok
    read = set(store.fetched)
    unread = next(i for i in range(1, 119) if PREFIX + segment_name("video_180p", i) not in read)
    damage(asset, "garbage_same_size", "video_180p", unread)
    assert run(asset, segments=120).ok  # the same plan: nothing reads it
    full = run(asset, "full", segments=120)
    assert "sync-byte" in checks(full) and not full.ok


def run_on(store, *, segments: int):
    end = WINDOW_END.add(seconds=2 * (segments - SEGMENTS))
    return verify_vod_asset(store, MANIFEST, WINDOW_START, end, segments="sampled")


def test_auto_mode_is_full_up_to_the_size_threshold_and_sampled_above():
    asset = ladder_asset()
    total = run(asset, "listing").total_bytes
    assert run(asset, "auto", full_max_bytes=total).reads.mode == "full"
    assert run(asset, "auto", full_max_bytes=total - 1).reads.mode == "sampled"


def test_the_plan_is_the_same_on_every_run():
    asset = ladder_asset(segments=120)
    first, second = asset.store(), asset.store()
    for store in (first, second):
        assert run_on(store, segments=120).ok
    assert first.fetched == second.fetched


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="segments must be one of auto, sampled, full, listing"):
        run(ladder_asset(), "everything")


def test_a_day_long_timeline_across_the_33_bit_wrap_reads_continuous():
    """MPEG-TS clocks wrap every 2**33 ticks (~26.5 h); probes 16 h apart, the clock wrapping between."""
    wrap = (1 << 33) / 90_000
    first_pts = wrap - 3600  # an hour before the wrap
    positions = [0, 9_000, 18_000, 28_800]  # 0 h, 5 h, 10 h, 16 h of 2 s segments
    segments = [SegmentRef(i, f"s{i}.ts", f"g/s{i}.ts", 2.0, 188, None, 0, 2.0 * i) for i in range(28_801)]
    probes = {p: Probe("MPEG-TS", first_time=(first_pts + 2.0 * p) % wrap, wrap_seconds=wrap) for p in positions}
    (offsets,) = timeline_offsets(segments, probes).values()
    assert [round(offset, 6) for _, offset in offsets] == [0.0] * 4
    probes[18_000].first_time = (first_pts + 2.0 * 18_000 - 2.0) % wrap  # a repeated segment at 10 h
    (offsets,) = timeline_offsets(segments, probes).values()
    assert [round(offset, 6) for _, offset in offsets] == [0.0, 0.0, -2.0, 0.0]
