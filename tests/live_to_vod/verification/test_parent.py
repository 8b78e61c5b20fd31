"""Tests for the multivariant playlist (``parent.py``): variants, groups, renditions it names, recursion."""

from __future__ import annotations

import json

import pytest

from live_to_vod.verification import MAX_DEFECTS_PER_CHECK, MAX_PLAYLIST_BYTES, MAX_RENDITIONS
from tests.support.hls_assets import MANIFEST, PREFIX, checks, defects, good_asset, media_playlist, verify
from tests.support.hls_hostile import PARENT_PLACES, error, run

pytestmark = pytest.mark.timeout(120)


def test_subtitles_and_iframe_playlists_are_checked_too():
    asset = good_asset()
    asset.add_to_parent(
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subs/en.m3u8"',
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=64x48,CODECS="avc1.64000a",URI="iframe_1.m3u8"',
    )
    asset.edit("index.m3u8", 'AUDIO="aac"\nindex_1.m3u8', 'AUDIO="aac",SUBTITLES="subs"\nindex_1.m3u8')
    asset.put_text("subs/en.m3u8", media_playlist("en", ext="vtt"))
    for i in range(5):
        asset.put(f"subs/en_{100 + i:05d}.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n", "text/vtt")
    iframe = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:100"]
    iframe += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-I-FRAMES-ONLY"]
    for i in range(5):
        iframe += ["#EXTINF:2.000,", "#EXT-X-BYTERANGE:940@376", f"index_1_{100 + i:05d}.ts"]
    asset.put_text("iframe_1.m3u8", "\n".join([*iframe, "#EXT-X-ENDLIST", ""]))
    store = asset.store()
    report = verify(store)
    assert report.ok, report.summary()
    assert report.defects == ()
    kinds = {r.uri: r.kind for r in report.renditions}
    assert kinds["subs/en.m3u8"] == "subtitles" and kinds["iframe_1.m3u8"] == "iframe"
    assert report.segment_count == 25  # the I-frame playlist indexes segments already counted
    assert f"{PREFIX}subs/en_00104.vtt" in store.fetched


def test_parent_naming_a_missing_rendition():
    asset = good_asset()
    asset.delete("index_3.m3u8")
    store = asset.store()
    report = verify(store)
    (defect,) = defects(report, "missing-rendition")
    assert defect.location == f"{PREFIX}index_3.m3u8"
    assert "index_3.m3u8 is named by index.m3u8 but does not exist" in defect.message
    assert f"{PREFIX}index_3.m3u8" not in store.fetched


def test_missing_audio_group():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        'FRAME-RATE=10.000,AUDIO="aac"\nindex_2.m3u8',
        'FRAME-RATE=10.000,AUDIO="stereo"\nindex_2.m3u8',
    )
    (defect,) = defects(verify(asset), "missing-media-group")
    assert "#EXT-X-STREAM-INF 2 (index_2.m3u8)" in defect.location
    assert 'AUDIO="stereo"' in defect.message


def test_stream_inf_without_bandwidth_is_an_error_without_codecs_a_warning():
    asset = good_asset()
    asset.edit("index.m3u8", "BANDWIDTH=600000,", "")
    asset.edit(
        "index.m3u8",
        ',CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"\nindex_2',
        ',AUDIO="aac"\nindex_2',
    )
    report = verify(asset, segments="listing")
    assert defects(report, "stream-inf-bandwidth")[0].severity == "error"
    assert defects(report, "stream-inf-codecs")[0].severity == "warning"
    assert not report.ok


def test_missing_codecs_alone_is_only_a_warning():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        ',CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"\nindex_2',
        ',AUDIO="aac"\nindex_2',
    )
    report = verify(asset, segments="listing")
    assert report.ok and checks(report) == {"stream-inf-codecs"}


def test_media_tags_in_parent():
    asset = good_asset()
    asset.add_to_parent("#EXT-X-TARGETDURATION:2")
    assert "#EXT-X-TARGETDURATION" in defects(verify(asset), "media-tag-in-parent")[0].message


def test_missing_parent_manifest():
    asset = good_asset()
    asset.delete("index.m3u8")
    store = asset.store()
    report = verify(store)
    assert checks(report) == {"missing-manifest"} and store.fetched == []


def test_parent_that_is_a_media_playlist():
    asset = good_asset()
    asset.put_text("index.m3u8", asset.text("index_1.m3u8"))
    report = verify(asset)
    assert defects(report, "not-multivariant")[0].location == MANIFEST
    # it is still checked as the only rendition
    assert [(r.playlist_key, r.segments) for r in report.renditions] == [(MANIFEST, 5)]


def test_parent_with_thousands_of_variants_reads_a_bounded_number_of_playlists():
    asset = good_asset()
    child = asset.text("index_1.m3u8")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for i in range(5000):
        lines += [f'#EXT-X-STREAM-INF:BANDWIDTH={i + 1},RESOLUTION=64x48,CODECS="avc1.64000a"', f"v{i:04d}.m3u8"]
        asset.put_text(f"v{i:04d}.m3u8", child)
    asset.put_text("index.m3u8", "\n".join(lines) + "\n")
    report, store = run(asset)
    error(report, "too-many-renditions", location=MANIFEST, says="5000 distinct playlists")
    assert len(store.gets()) == 1 + MAX_RENDITIONS
    assert len(report.renditions) == MAX_RENDITIONS
    # BANDWIDTH=1..100 is far below what the segments carry: one segment-size warning per variant, capped
    assert len(report.defects) < 10 + MAX_DEFECTS_PER_CHECK + 1 and len(json.dumps(report.to_dict())) < 200_000


def test_parent_with_thousands_of_broken_variants_gives_a_bounded_report():
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for i in range(5000):
        lines += ["#EXT-X-STREAM-INF:RESOLUTION=64x48", f"http://evil.example/{i}.m3u8"]
        lines += [f'#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="nope{i}"', f"missing_{i}.m3u8"]
    asset = good_asset()
    asset.put_text("index.m3u8", "\n".join(lines) + "\n")
    report, store = run(asset)
    for check in ("uri-outside-prefix", "stream-inf-bandwidth", "missing-media-group"):
        found = [d for d in report.defects if d.check == check]
        assert len(found) == MAX_DEFECTS_PER_CHECK + 1, check
        assert "more" in found[-1].message
    assert len(report.defects) < 200
    assert store.gets() == [("get", MANIFEST, MAX_PLAYLIST_BYTES + 1)]  # none of the 5,000 missing ones is read


def test_malformed_parent_tags_give_located_errors():
    asset = good_asset()
    asset.add_to_parent("random words")
    asset.edit("index.m3u8", "BANDWIDTH=600000,", "")
    report, _ = run(asset)
    error(report, "stray-line", location=f"{MANIFEST} line 4", says="'random words'")
    error(report, "stream-inf-bandwidth", location=f"{MANIFEST} #EXT-X-STREAM-INF 3 (index_3.m3u8)")


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        ("BANDWIDTH=600000", "BANDWIDTH=lots", 9, "'lots'"),
        ("#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1", 3, "KeyError"),  # no URI
        ("#EXT-X-VERSION:3", "#EXT-X-VERSION:three", 2, "'#EXT-X-VERSION:three'"),
        ("FRAME-RATE=10.000", "FRAME-RATE=fast", 5, "'fast'"),
    ],
)
def test_unparseable_parent_tag_is_an_error_at_its_line(old, new, line, says):
    asset = good_asset()
    asset.edit("index.m3u8", old, new)
    report, store = run(asset)
    assert says in error(report, "parse-error", location=MANIFEST, says=f"near line {line} ('").message
    assert store.gets() == [("get", MANIFEST, MAX_PLAYLIST_BYTES + 1)]


@pytest.mark.parametrize("uri", ["index.m3u8", "./index.m3u8", "sub/../index.m3u8", "%69ndex.m3u8"])
@pytest.mark.parametrize("place", ["variant", "media", "iframe"])
def test_parent_naming_itself_is_an_error_and_read_once(place, uri):
    asset = good_asset()
    asset.put_text("index.m3u8", PARENT_PLACES[place](asset.text("index.m3u8"), uri))
    report, store = run(asset, decode=True)
    error(report, "recursive-playlist", location=MANIFEST, says=f"'{uri}' names the parent manifest itself")
    assert len(store.gets(MANIFEST)) == 1


def test_parent_that_is_a_media_playlist_naming_itself():
    asset = good_asset()
    asset.put_text("index.m3u8", media_playlist("index_1").replace("\nindex_1_00102.ts\n", "\nindex.m3u8\n"))
    report, store = run(asset, decode=True)
    error(report, "not-multivariant", location=MANIFEST)
    error(report, "recursive-playlist", location=f"{MANIFEST} segment #2 (index.m3u8)")
    assert len(store.gets(MANIFEST)) == 1
