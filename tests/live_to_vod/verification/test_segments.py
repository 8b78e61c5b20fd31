"""Tests for segment lines against the listing (``segments.py``): existence, durations, PDT, gaps, byte ranges."""

from __future__ import annotations

import pytest

from tests.support.hls_assets import (
    MANIFEST,
    PREFIX,
    T0,
    TS,
    Asset,
    checks,
    defects,
    fmp4_media,
    good_asset,
    iso_z,
    media_playlist,
    verify,
)
from tests.support.hls_hostile import CHILD, error, run

pytestmark = pytest.mark.timeout(120)


def test_iframe_byterange_past_the_end_of_its_segment():
    asset = good_asset()
    asset.add_to_parent('#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="iframe_1.m3u8"')
    iframe = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
    iframe += "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-I-FRAMES-ONLY\n#EXTINF:2,\n#EXT-X-BYTERANGE:999999@0\n"
    asset.put_text("iframe_1.m3u8", iframe + "index_1_00100.ts\n#EXT-X-ENDLIST\n")
    (defect,) = defects(verify(asset, segments="listing"), "byterange")
    assert defect.location == f"{PREFIX}iframe_1.m3u8 segment #0 (index_1_00100.ts)"
    assert "999999@0" in defect.message


def test_fragmented_mp4_rendition_with_init_segment_passes():
    init, fragments = fmp4_media()
    asset = Asset()
    asset.put_text(
        "index.m3u8",
        '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=64x48,CODECS="avc1.64000a"\n'
        "video/index_1.m3u8\n",
    )
    asset.put_text(
        "video/index_1.m3u8",
        media_playlist("seg", version=6, ext="m4s", header=('#EXT-X-MAP:URI="../init/init_1.mp4"',)),
    )
    asset.put("init/init_1.mp4", init, "video/mp4")
    for i, fragment in enumerate(fragments):
        asset.put(f"video/seg_{100 + i:05d}.m4s", fragment, "video/mp4")
    store = asset.store()
    report = verify(store)
    assert report.ok, report.summary()
    assert report.defects == ()
    assert report.renditions[0].bytes == len(init) + sum(len(f) for f in fragments)
    assert f"{PREFIX}init/init_1.mp4" in store.fetched


def test_missing_segment_is_reported_from_the_listing():
    asset = good_asset()
    asset.delete("index_1_00102.ts")
    store = asset.store()
    report = verify(store)
    assert not report.ok
    (defect,) = defects(report, "missing-segment")
    assert defect.location == f"{PREFIX}index_1.m3u8 segment #2 (index_1_00102.ts)"
    assert "segment index_1_00102.ts is named by index_1.m3u8 but does not exist in s3" in defect.message
    assert f"{PREFIX}index_1_00102.ts" not in store.fetched  # existence comes from the listing


def test_zero_byte_segment():
    asset = good_asset()
    asset.put("index_2_00102.ts", b"", TS)
    (defect,) = defects(verify(asset), "zero-byte-segment")
    assert defect.location == f"{PREFIX}index_2.m3u8 segment #2 (index_2_00102.ts)"
    assert "0 bytes" in defect.message


def test_truncated_child_playlist_ending_with_extinf_without_uri():
    asset = good_asset()
    text = asset.text("index_2.m3u8")
    asset.put_text("index_2.m3u8", text[: text.index("index_2_00104.ts")])
    report = verify(asset)
    (truncated,) = defects(report, "truncated-playlist")
    assert truncated.location == f"{PREFIX}index_2.m3u8" and "no URI" in truncated.message
    assert "no-endlist" in checks(report)
    assert report.renditions[1].segments == 4


@pytest.mark.parametrize(
    ("third", "is_defect"),
    [(2.5, True), (2.49, False), (2.0, False)],
)
def test_extinf_rounded_half_up_against_target_duration(third, is_defect):
    durations = [2.0, 2.0, third, 4.0 - third, 2.0]
    asset = good_asset(durations=durations)
    report = verify(asset, segments="listing")
    found = [d for d in report.defects if d.check == "target-duration"]
    if is_defect:
        assert len(found) == 4  # one per rendition
        assert found[0].location == f"{PREFIX}index_1.m3u8 segment #2 (index_1_00102.ts)"
        assert "2.5 s, which rounds to 3 s, more than #EXT-X-TARGETDURATION:2" in found[0].message
    else:
        assert found == [] and report.ok, report.summary()


def test_missing_pdt_on_first_segment():
    asset = good_asset()
    asset.edit("index_1.m3u8", f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0)}\n", "")
    report = verify(asset)
    (defect,) = defects(report, "missing-pdt")
    assert defect.location == f"{PREFIX}index_1.m3u8 segment #0 (index_1_00100.ts)"
    # the start is still known from the next segment's PDT, so no window defect follows
    assert report.renditions[0].first_pdt == T0
    assert checks(report) == {"missing-pdt"}


def test_missing_pdt_after_discontinuity():
    asset = good_asset()
    asset.edit("index_2.m3u8", f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0.add(seconds=4))}\n", "#EXT-X-DISCONTINUITY\n")
    (defect,) = defects(verify(asset), "missing-pdt")
    assert defect.location == f"{PREFIX}index_2.m3u8 segment #2 (index_2_00102.ts)"
    assert "DISCONTINUITY" in defect.message


def test_gap_in_pdt_is_located_and_sized():
    asset = good_asset()
    asset.edit(
        "index_1.m3u8",
        f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0.add(seconds=6))}\n#EXTINF:2.000,\nindex_1_00103.ts\n",
        "",
    )
    report = verify(asset)
    (gap,) = defects(report, "gap")
    assert gap.location == f"{PREFIX}index_1.m3u8 segment #3 (index_1_00104.ts)"
    assert gap.message.startswith("gap of 2.000 s before segment index_1_00104.ts")
    assert "2026-11-26T19:00:08.000+00:00" in gap.message and "19:00:06.000" in gap.message


def test_gap_across_discontinuity_is_not_a_defect():
    asset = good_asset()
    old = f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0.add(seconds=6))}\n#EXTINF:2.000,\nindex_1_00103.ts\n"
    asset.edit("index_1.m3u8", old, "")
    asset.edit(
        "index_1.m3u8",
        f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0.add(seconds=8))}",
        f"#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0.add(seconds=8))}",
    )
    assert "gap" not in checks(verify(asset))


def test_negative_and_missing_extinf():
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXTINF:2.000,\nindex_1_00101.ts", "#EXTINF:-2,\nindex_1_00101.ts")
    asset.edit("index_1.m3u8", "#EXTINF:2.000,\nindex_1_00102.ts", "#EXTINF:2.000\nindex_1_00102.ts")
    report = verify(asset, segments="listing")
    found = defects(report, "extinf")
    assert [d.location for d in found] == [
        f"{PREFIX}index_1.m3u8",  # the EXTINF without its comma (line 14)
        f"{PREFIX}index_1.m3u8 segment #1 (index_1_00101.ts)",
    ]
    assert "line(s) 14" in found[0].message


def test_segments_naming_playlists_are_errors_not_fetched():
    asset = good_asset()
    asset.edit("index_1.m3u8", "\nindex_1_00100.ts\n", "\nindex.m3u8\n")
    asset.edit("index_1.m3u8", "\nindex_1_00104.ts\n", "\nindex_1.m3u8\n")
    asset.edit("index_2.m3u8", "\nindex_2_00102.ts\n", "\nindex_3.m3u8\n")
    report, store = run(asset, decode=True)
    error(
        report, "recursive-playlist", location=f"{CHILD} segment #0 (index.m3u8)", says="names the playlist index.m3u8"
    )
    error(report, "recursive-playlist", location=f"{CHILD} segment #4 (index_1.m3u8)")
    error(report, "recursive-playlist", location=f"{PREFIX}index_2.m3u8 segment #2 (index_3.m3u8)")
    for key in (MANIFEST, CHILD, PREFIX + "index_3.m3u8"):
        assert len(store.gets(key)) == 1, key
