"""Tests for media playlist tags (``media_playlist.py``): target duration, EXTINF, version, VOD, ENDLIST, sequences."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.hls_assets import MANIFEST, PREFIX, checks, defects, good_asset, verify
from tests.support.hls_hostile import CHILD, error, run

pytestmark = pytest.mark.timeout(120)


def test_truncated_child_playlist_cut_mid_line():
    asset = good_asset()
    text = asset.text("index_1.m3u8")
    asset.put_text("index_1.m3u8", text[: text.index("index_1_00104.ts") + len("index_1_001")])
    report = verify(asset)
    (truncated,) = defects(report, "truncated-playlist")
    assert truncated.location == f"{PREFIX}index_1.m3u8" and "index_1_001" in truncated.message
    assert "no-endlist" in checks(report)
    assert any("index_1_001" in d.location for d in defects(report, "missing-segment"))


def test_missing_endlist():
    asset = good_asset()
    asset.edit("index_3.m3u8", "#EXT-X-ENDLIST\n", "")
    report = verify(asset)
    (defect,) = defects(report, "no-endlist")
    assert defect.location == f"{PREFIX}index_3.m3u8"
    assert "truncated-playlist" not in checks(report)


def test_not_vod_playlist_type_and_missing_media_sequence():
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-PLAYLIST-TYPE:EVENT")
    asset.edit("index_1.m3u8", "#EXT-X-MEDIA-SEQUENCE:100\n", "")
    report = verify(asset)
    assert "EVENT" in defects(report, "playlist-type")[0].message
    assert defects(report, "media-sequence")[0].location == f"{PREFIX}index_1.m3u8"


def test_decimal_extinf_needs_version_3():
    asset = good_asset(version=2)
    report = verify(asset, segments="listing")
    assert len(defects(report, "version")) == 4
    assert "needs version 3" in defects(report, "version")[0].message


def test_encrypted_rendition():
    asset = good_asset()
    asset.edit(
        "index_1.m3u8",
        "#EXT-X-PLAYLIST-TYPE:VOD\n",
        '#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k"\n',
    )
    (defect,) = defects(verify(asset, segments="listing"), "encrypted")
    assert defect.location == f"{PREFIX}index_1.m3u8" and "AES-128" in defect.message


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


SEG1 = f"{CHILD} segment #1 (index_1_00101.ts)"


_EXTINF = "#EXTINF:2.000,\nindex_1_00101.ts"  # the #EXTINF is line 11


def _extinf(bad: str) -> Callable[[str], str]:
    return _replace(_EXTINF, f"{bad}\nindex_1_00101.ts")


def _byterange(value: str) -> Callable[[str], str]:
    return _replace(_EXTINF, f"#EXTINF:2.000,\n#EXT-X-BYTERANGE:{value}\nindex_1_00101.ts")


#: #EXTINF lines m3u8 cannot parse, by case name.
_UNPARSEABLE_EXTINF = {
    "empty": "#EXTINF:",
    "comma-only": "#EXTINF:,",
    "no-colon": "#EXTINF",
    "words": "#EXTINF:two seconds,",
    "nan": "#EXTINF:NaN,",
    "inf": "#EXTINF:inf,",
    "minus-inf": "#EXTINF:-inf,",
    "huge": "#EXTINF:1e400,",
}
#: #EXT-X-BYTERANGE values that are not <length>[@<offset>] in decimal digits, by case name.
_MALFORMED_BYTERANGES = {
    "word": "abc",
    "empty": "",
    "dangling-at": "5@",
    "no-length": "@5",
    "two-offsets": "1@2@3",
    "negative": "-5@0",
    "underscore": "1_0@0",
    "arabic-digit": "\u0663@0",
}
MALFORMED_CHILD = {
    # EXTINF: missing, NaN, infinite, negative, no comma (m3u8 cannot parse the first ones: named at their line)
    **{
        f"extinf-{name}": (_extinf(line), "parse-error", CHILD, f"near line 11 ('{line}')")
        for name, line in _UNPARSEABLE_EXTINF.items()
    },
    "extinf-negative": (_extinf("#EXTINF:-2,"), "extinf", SEG1, "invalid #EXTINF duration -2"),
    "extinf-no-comma": (_extinf("#EXTINF:2.000"), "extinf", CHILD, "without the comma after the duration (line(s) 11)"),
    # target duration
    "target-word": (_replace("#EXT-X-TARGETDURATION:2", "#EXT-X-TARGETDURATION:two"), "parse-error", CHILD, "line 3"),
    "target-decimal": (
        _replace("#EXT-X-TARGETDURATION:2", "#EXT-X-TARGETDURATION:2.5"),
        "parse-error",
        CHILD,
        "line 3",
    ),
    "target-empty": (_replace("#EXT-X-TARGETDURATION:2", "#EXT-X-TARGETDURATION:"), "parse-error", CHILD, "line 3"),
    "target-negative": (
        _replace("#EXT-X-TARGETDURATION:2", "#EXT-X-TARGETDURATION:-5"),
        "target-duration",
        CHILD,
        "invalid #EXT-X-TARGETDURATION:-5",
    ),
    "target-absurd": (
        _replace("#EXT-X-TARGETDURATION:2", "#EXT-X-TARGETDURATION:" + "9" * 30),
        "target-duration",
        CHILD,
        "invalid #EXT-X-TARGETDURATION:999",
    ),
    "target-5000-digits": (
        _replace("#EXT-X-TARGETDURATION:2", "#EXT-X-TARGETDURATION:" + "9" * 5000),
        "parse-error",
        CHILD,
        "line 3",
    ),
    "sequence-5000-digits": (
        _replace("#EXT-X-MEDIA-SEQUENCE:100", "#EXT-X-MEDIA-SEQUENCE:" + "9" * 5000),
        "parse-error",
        CHILD,
        "line 4",
    ),
    # garbage and binary junk between tags
    "garbage-line": (
        _replace("#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-PLAYLIST-TYPE:VOD\nthis is not a playlist line\n"),
        "stray-line",
        f"{CHILD} line 7",
        "'this is not a playlist line'",
    ),
    "binary-junk-line": (
        _replace("#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-PLAYLIST-TYPE:VOD\n\x00\x01\x02\x7f\ufffdjunk\n"),
        "stray-line",
        f"{CHILD} line 7",
        "\\x00\\x01\\x02\\x7f",
    ),
    "uri-without-extinf": (
        _replace("#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-PLAYLIST-TYPE:VOD\nindex_1_00100.ts\n"),
        "stray-line",
        f"{CHILD} line 7",
        "'index_1_00100.ts'",
    ),
    "pdt-garbage": (
        _replace("#EXT-X-PROGRAM-DATE-TIME:2026-11-26T19:00:02", "#EXT-X-PROGRAM-DATE-TIME:soon"),
        "parse-error",
        CHILD,
        "near line 10",
    ),
    "key-garbage": (
        _replace("#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD\n"),
        "parse-error",
        CHILD,
        "near line 7",
    ),
    "map-without-uri": (
        _replace("#EXT-X-PLAYLIST-TYPE:VOD\n", '#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:BYTERANGE="1@0"\n'),
        "missing-map",
        CHILD,
        "without a URI attribute (line(s) 7)",
    ),
    # ENDLIST twice, or in the middle
    "endlist-twice": (
        _replace("#EXT-X-ENDLIST\n", "#EXT-X-ENDLIST\n#EXT-X-ENDLIST\n"),
        "endlist",
        CHILD,
        "2 #EXT-X-ENDLIST tags (line(s) 22, 23)",
    ),
    "endlist-early": (
        _replace("#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-ENDLIST\n"),
        "endlist",
        CHILD,
        "5 segment(s) after #EXT-X-ENDLIST (line 7)",
    ),
    # BYTERANGE junk
    **{
        f"byterange-{name}": (_byterange(value), "byterange", SEG1, f"#EXT-X-BYTERANGE:{value} is malformed")
        for name, value in _MALFORMED_BYTERANGES.items()
    },
    "byterange-huge": (_byterange("9" * 40 + "@0"), "byterange", SEG1, "is malformed"),
    "byterange-past-end": (_byterange("999999@0"), "byterange", SEG1, "999999@0 of index_1_00101.ts reaches past"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CHILD))
def test_malformed_child_playlist_gives_a_located_error(case):
    edit, check, location, says = MALFORMED_CHILD[case]
    asset = good_asset()
    asset.put_text("index_1.m3u8", edit(asset.text("index_1.m3u8")))
    report, _ = run(asset)
    error(report, check, location=location, says=says)


def test_child_that_is_a_multivariant_playlist_is_not_followed():
    asset = good_asset()
    asset.put_text(
        "index_2.m3u8",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\ngrandchild.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nindex.m3u8\n",
    )
    asset.put_text("grandchild.m3u8", asset.text("index_3.m3u8"))
    report, store = run(asset, decode=True)
    error(report, "not-media-playlist", location=PREFIX + "index_2.m3u8", says="were not followed")
    assert store.gets(PREFIX + "grandchild.m3u8") == []
    assert len(store.gets(MANIFEST)) == len(store.gets(PREFIX + "index_2.m3u8")) == 1
