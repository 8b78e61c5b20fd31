"""Tests for the whole verification (``verifier.py``): a good asset, one listing, anything in, a report out."""

from __future__ import annotations

import json

import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hls_assets import (
    MANIFEST,
    MPEGURL,
    PARENT,
    PREFIX,
    T0,
    TS,
    WINDOW_END,
    WINDOW_START,
    Asset,
    assert_only_under_prefix,
    audio_segments,
    checks,
    good_asset,
    media_playlist,
    verify,
    video_segments,
)
from tests.support.hls_hostile import CHILD, run

pytestmark = pytest.mark.timeout(120)


def test_good_asset_passes_with_correct_stats():
    asset = good_asset()
    store = asset.store()
    report = verify(store)

    assert report.ok, report.summary()
    assert report.defects == ()
    assert [r.uri for r in report.renditions] == [
        "index_1.m3u8",
        "index_2.m3u8",
        "index_3.m3u8",
        "index_4.m3u8",
    ]
    assert [r.kind for r in report.renditions] == ["video", "video", "video", "audio"]
    assert report.segment_count == 20
    assert report.total_bytes == 15 * len(video_segments()[0]) + 5 * len(audio_segments()[0])
    assert report.duration_seconds == pytest.approx(10.0)
    for rendition in report.renditions:
        assert rendition.segments == 5
        assert rendition.first_pdt == T0
        assert rendition.end_pdt == T0.add(seconds=10)
        assert isinstance(rendition.first_pdt, pendulum.DateTime)
        assert rendition.target_duration == 2
    first = report.renditions[0]
    assert (first.bandwidth, first.resolution, first.codecs) == (2200000, "64x48", "avc1.64000a,mp4a.40.2")
    assert report.renditions[3].group_id == "aac"
    # one listing, the parent, four children and, a small asset being verified in full, every segment
    assert report.objects_listed == 25
    assert report.requests == 1 + 1 + 4 + 20 == len(store.listed) + len(store.fetched)
    assert (report.reads.mode, report.reads.decoded, report.reads.bytes_read) == ("full", 20, report.total_bytes)
    assert_only_under_prefix(store)

    as_dict = report.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["ok"] is True and as_dict["window_start"] == "2026-11-26T19:00:01+00:00"
    assert as_dict["renditions"][0]["first_pdt"] == "2026-11-26T19:00:00+00:00"
    assert "OK" in report.summary() and "index_4.m3u8" in report.summary()


def test_good_asset_without_decoding_reads_only_playlists():
    store = good_asset().store()
    report = verify(store, segments="listing")
    assert report.ok and report.requests == 6
    assert sorted(store.fetched) == sorted([MANIFEST] + [f"{PREFIX}index_{i}.m3u8" for i in range(1, 5)])


def test_window_must_be_ordered():
    with pytest.raises(ValueError):
        verify(good_asset(), window_start=WINDOW_END, window_end=WINDOW_START)


def test_large_asset_is_checked_from_one_listing():
    """6 hours of 2 s segments in two renditions: 21,600 segments, four store calls."""
    count = 6 * 3600 // 2
    asset = Asset()
    asset.put_text("index.m3u8", PARENT.split("#EXT-X-STREAM-INF:BANDWIDTH=1200000")[0])
    for stem in ("index_1", "index_4"):
        asset.put_text(f"{stem}.m3u8", media_playlist(stem, durations=[2.0] * count))
        for i in range(count):
            asset.put(f"{stem}_{100 + i:05d}.ts", b"\x47", TS)
    store = asset.store()
    report = verify(store, window_end=T0.add(seconds=2 * count - 1), segments="listing")
    assert report.ok, report.summary()
    assert report.segment_count == 2 * count and report.requests == 4 and report.objects_listed == 2 * count + 3


_TAGS = [
    "#EXTINF:",
    "#EXT-X-TARGETDURATION:",
    "#EXT-X-VERSION:",
    "#EXT-X-MEDIA-SEQUENCE:",
    "#EXT-X-DISCONTINUITY-SEQUENCE:",
    "#EXT-X-PROGRAM-DATE-TIME:",
    "#EXT-X-DISCONTINUITY",
    "#EXT-X-ENDLIST",
    "#EXT-X-PLAYLIST-TYPE:",
    "#EXT-X-KEY:",
    "#EXT-X-MAP:",
    "#EXT-X-BYTERANGE:",
    "#EXT-X-STREAM-INF:",
    "#EXT-X-I-FRAME-STREAM-INF:",
    "#EXT-X-MEDIA:",
    "#EXT-X-GAP",
    "#EXT-X-BITRATE:",
    "#EXT-X-DATERANGE:",
    "#EXT-X-PART:",
    "#EXT-X-SESSION-DATA:",
    "#EXT-X-SESSION-KEY:",
    "#EXT-X-CUE-OUT:",
    "#EXT-X-CUE-OUT-CONT:",
    "#EXT-X-START:",
    "#EXT-X-SKIP:",
    "#EXT-X-SERVER-CONTROL:",
    "#EXT-X-PRELOAD-HINT:",
    "#EXT-X-RENDITION-REPORT:",
    "#EXT-X-TILES:",
    "#EXT-X-IMAGE-STREAM-INF:",
]


_VALUES = [
    "2",
    "2.5,",
    "2.000,",
    "nan,",
    "inf,",
    "-1,",
    "1e308,",
    "VOD",
    "EVENT",
    "2026-11-26T19:00:00.000Z",
    "2026-11-26T19:00:00",
    "0001-01-01T00:00:00+00:00",
    "BANDWIDTH=1",
    "BANDWIDTH=nan",
    'BANDWIDTH=1,RESOLUTION=axb,CODECS="x"',
    'BANDWIDTH=1,AUDIO="aac",URI="index_1.m3u8"',
    'METHOD=AES-128,URI="k",IV=0x1',
    "METHOD=NONE",
    'URI="init.mp4"',
    'URI="../../x.mp4"',
    'TYPE=AUDIO,GROUP-ID="aac",URI="index_4.m3u8"',
    'TYPE=SUBTITLES,GROUP-ID="s",URI="http://h/s.m3u8"',
    "100@0",
    "5@",
    "abc",
    "",
    '"',
    "=",
]


_URIS = [
    "index_1_00100.ts",
    "index_1.m3u8",
    "index.m3u8",
    "../x.ts",
    "http://h/x.ts",
    "a?b=c",
    "%2e%2e/x",
    "%zz",
    "http://[::1",
    "x.m4s",
    "x.vtt",
    ".",
    "..",
]


_playlist_line = st.one_of(
    st.builds(lambda t, v: t + v, st.sampled_from(_TAGS), st.one_of(st.sampled_from(_VALUES), st.text(max_size=12))),
    st.sampled_from(_URIS),
    st.text(max_size=20),
)


_playlist_like = st.builds(
    lambda head, lines, newline: (("#EXTM3U\n" if head else "") + "\n".join(lines) + ("\n" if newline else "")).encode(
        "utf-8", "surrogatepass"
    ),
    st.booleans(),
    st.lists(_playlist_line, max_size=40),
    st.booleans(),
)


_hostile = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")),
    _playlist_like,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_hostile, target=st.sampled_from(["index.m3u8", "index_1.m3u8", "index_4.m3u8"]))
def test_hostile_playlists_never_crash(payload, target):
    asset = good_asset()
    asset.put(target, payload, MPEGURL)
    store = asset.store()
    report = verify(store, segments="listing")
    assert report.defects, report.summary()
    assert "verifier-error" not in checks(report), report.summary()
    assert_only_under_prefix(store)
    json.dumps(report.to_dict())
    assert report.summary()


_mutation = st.tuples(st.sampled_from(["delete", "insert", "replace", "duplicate"]), st.integers(0, 60), _playlist_line)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["index.m3u8", "index_1.m3u8", "index_4.m3u8"]), st.lists(_mutation, max_size=5)),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_playlists_never_crash(edits):
    asset = good_asset()
    for name, mutations in edits:
        lines = asset.text(name).splitlines()
        for op, position, line in mutations:
            i = position % (len(lines) + 1)
            if op == "insert":
                lines.insert(i, line)
            elif i < len(lines):
                if op == "delete":
                    del lines[i]
                elif op == "replace":
                    lines[i] = line
                else:
                    lines.insert(i, lines[i])
        asset.put(name, ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), MPEGURL)
    store = asset.store()
    report = verify(store, segments="listing")
    assert "verifier-error" not in checks(report), report.summary()
    assert_only_under_prefix(store)
    json.dumps(report.to_dict())


def test_damaged_asset_report_names_each_defect_and_its_location():
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_3.m3u8\n", "\nhttps://origin.example.com/out/v1/index_3.m3u8\n")
    asset.edit("index_1.m3u8", "\nindex_1_00101.ts\n", "\n../../other-event/seg.ts\n")
    asset.edit("index_1.m3u8", "\nindex_1_00103.ts\n", "\nindex_1_00103.ts?token=abc\n")
    asset.edit("index_1.m3u8", "#EXT-X-ENDLIST\n", "#EXT-X-ENDLIST\n#EXT-X-ENDLIST\n")
    asset.edit("index_2.m3u8", "#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-PLAYLIST-TYPE:VOD\n\x00junk\n")
    asset.edit(
        "index_2.m3u8", "#EXTINF:2.000,\nindex_2_00102.ts", "#EXTINF:2.000,\n#EXT-X-BYTERANGE:x@y\nindex_2_00102.ts"
    )
    asset.edit("index_2.m3u8", "#EXT-X-VERSION:3", "#EXT-X-VERSION:4")
    asset.delete("index_4_00103.ts")
    asset.edit(
        "index_4.m3u8",
        "#EXT-X-PLAYLIST-TYPE:VOD\n",
        '#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=AES-128,URI="file:///etc/passwd"\n',
    )
    report, store = run(asset, decode=True)

    assert {(d.check, d.location) for d in report.errors} == {
        ("uri-outside-prefix", MANIFEST),
        ("uri-outside-prefix", f"{CHILD} segment #1 (../../other-event/seg.ts)"),
        ("uri-query", f"{CHILD} segment #3 (index_1_00103.ts?token=abc)"),
        ("endlist", CHILD),
        ("stray-line", f"{PREFIX}index_2.m3u8 line 7"),
        ("byterange", f"{PREFIX}index_2.m3u8 segment #2 (index_2_00102.ts)"),
        ("missing-segment", f"{PREFIX}index_4.m3u8 segment #3 (index_4_00103.ts)"),
        ("encrypted", f"{PREFIX}index_4.m3u8"),
        ("uri-outside-prefix", f"{PREFIX}index_4.m3u8"),
    }, report.summary()
    summary = report.summary()
    for needle in (
        "https://origin.example.com/out/v1/index_3.m3u8",
        "../../other-event/seg.ts",
        "token=abc",
        "#EXT-X-ENDLIST",
        "\\x00junk",
        "#EXT-X-BYTERANGE:x@y",
        "index_4_00103.ts",
        "file:///etc/passwd",
    ):
        assert needle in summary, needle


_payloads = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=800).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "#EXTM3U",
                    "#EXTINF:2.0,",
                    "#EXTINF:",
                    "#EXT-X-ENDLIST",
                    "#EXT-X-STREAM-INF:BANDWIDTH=1",
                    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",URI="../x.m3u8"',
                    '#EXT-X-I-FRAME-STREAM-INF:URI="http://evil.example/i.m3u8"',
                    '#EXT-X-MAP:URI="//evil.example/init.mp4"',
                    '#EXT-X-KEY:METHOD=AES-128,URI="s3://other-bucket/k"',
                    "#EXT-X-BYTERANGE:5@",
                    "index.m3u8",
                    "index_1.m3u8",
                    "index_1_00100.ts",
                    "../../other-event/seg.ts",
                    "%2e%2e/x.ts",
                    "..\\x.ts",
                    "file:///etc/passwd",
                ]
            ),
            st.text(max_size=30),
        ),
        max_size=40,
    ).map(lambda lines: ("#EXTM3U\n" + "\n".join(lines) + "\n").encode("utf-8", "surrogatepass")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_payloads, target=st.sampled_from(["index.m3u8", "index_1.m3u8", "index_4.m3u8"]))
def test_fuzz_any_playlist_body_gives_a_failing_report_and_stays_inside(payload, target):
    asset = good_asset()
    asset.put(target, payload, MPEGURL)
    run(asset)
