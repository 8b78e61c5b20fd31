"""Tests for reading playlists (``playlists.py``): size and line caps, encoding, #EXTM3U, parse errors."""

from __future__ import annotations

import m3u8
import pytest

from live_to_vod.verification import MAX_PLAYLIST_BYTES, MAX_PLAYLIST_LINES, StoredObject
from tests.support.hls_assets import MPEGURL, PREFIX, MemoryStore, checks, defects, good_asset, verify
from tests.support.hls_hostile import CHILD, RecordingStore, error, run

pytestmark = pytest.mark.timeout(120)


def test_playlist_too_large_is_not_fetched():
    asset = good_asset()
    asset.put_text("index_1.m3u8", asset.text("index_1.m3u8") + "# padding\n" * 200_000)
    store = asset.store()
    report = verify(store, max_playlist_bytes=1024 * 1024)
    (defect,) = defects(report, "playlist-too-large")
    assert defect.location == f"{PREFIX}index_1.m3u8"
    assert f"{PREFIX}index_1.m3u8" not in store.fetched


def test_playlist_larger_than_listed_is_cut_by_max_bytes():
    class LyingStore(MemoryStore):
        def list_objects(self, prefix):
            return [StoredObject(o.key, min(o.size, 10)) for o in super().list_objects(prefix)]

    store = LyingStore(good_asset().objects)
    report = verify(store, max_playlist_bytes=300, segments="listing")
    assert "playlist-too-large" in checks(report)


def test_non_utf8_playlist():
    asset = good_asset()
    asset.put("index_2.m3u8", b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:2.0,\nindex_2_\xff\xfe.ts\n", MPEGURL)
    (defect,) = defects(verify(asset), "not-utf8")
    assert defect.location == f"{PREFIX}index_2.m3u8" and "offset" in defect.message


def test_bom_and_missing_extm3u():
    asset = good_asset()
    asset.put("index_2.m3u8", b"\xef\xbb\xbf" + asset.objects[PREFIX + "index_2.m3u8"][0], MPEGURL)
    asset.put_text("index_3.m3u8", "<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>")
    report = verify(asset)
    assert defects(report, "bom")[0].location == f"{PREFIX}index_2.m3u8"
    assert defects(report, "extm3u")[0].location == f"{PREFIX}index_3.m3u8"


@pytest.mark.parametrize(
    "bad_line",
    ["#EXT-X-TARGETDURATION:two", "#EXT-X-PROGRAM-DATE-TIME:yesterday", "#EXTINF:fast,", "#EXT-X-KEY:METHOD"],
)
def test_m3u8_garbage_becomes_a_parse_error_defect(bad_line):
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXT-X-PLAYLIST-TYPE:VOD\n", f"#EXT-X-PLAYLIST-TYPE:VOD\n{bad_line}\n")
    (defect,) = defects(verify(asset), "parse-error")
    assert defect.location == f"{PREFIX}index_1.m3u8"
    assert "near line 7" in defect.message and bad_line in defect.message


def test_nan_extinf_with_pdt_is_a_parse_error_at_its_line():
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXTINF:2.000,\nindex_1_00101.ts", "#EXTINF:nan,\nindex_1_00101.ts")
    report = verify(asset, segments="listing")
    (defect,) = defects(report, "parse-error")
    assert "near line 11 ('#EXTINF:nan,')" in defect.message
    assert "unreferenced-object" not in checks(report)


def test_playlist_listed_over_the_size_cap_is_never_read():
    asset = good_asset()
    store = RecordingStore(asset.objects, listed_sizes={CHILD: MAX_PLAYLIST_BYTES + 1})
    report, _ = run(asset, store=store)
    error(report, "playlist-too-large", location=CHILD, says=f"{MAX_PLAYLIST_BYTES + 1} bytes")
    assert store.gets(CHILD) == []


def test_playlist_bigger_than_its_listing_is_read_ranged_and_never_parsed(monkeypatch):
    parsed: list[int] = []
    real_parse = m3u8.parse
    monkeypatch.setattr(m3u8, "parse", lambda text, **kw: parsed.append(len(text)) or real_parse(text, **kw))
    asset = good_asset()
    asset.put("index_1.m3u8", b"#EXTM3U\n" + b"#EXT-X-PADDING\n" * (MAX_PLAYLIST_BYTES // 15 + 100), MPEGURL)
    store = RecordingStore(asset.objects, listed_sizes={CHILD: 100})  # the listing is stale or lies
    report, _ = run(asset, store=store)
    error(report, "playlist-too-large", location=CHILD, says=f"{MAX_PLAYLIST_BYTES}-byte limit")
    assert store.gets(CHILD) == [("get", CHILD, MAX_PLAYLIST_BYTES + 1)]
    assert max(parsed) < 10_000  # only the small playlists reached m3u8


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028", "\x0c"])
def test_playlist_with_too_many_lines_is_refused_before_parsing(monkeypatch, newline):
    parsed: list[str] = []
    real_parse = m3u8.parse
    monkeypatch.setattr(m3u8, "parse", lambda text, **kw: parsed.append(text[:40]) or real_parse(text, **kw))
    asset = good_asset()
    body = "#EXTM3U\n" + newline.join(["#EXTINF:1,", "a"] * (MAX_PLAYLIST_LINES // 2))  # 1 line too many
    asset.put_text("index_1.m3u8", body)
    report, _ = run(asset)
    error(report, "playlist-too-large", location=CHILD, says=f"{MAX_PLAYLIST_LINES}-line limit; not parsed")
    assert not any(t.startswith("#EXTM3U\n#EXTINF") for t in parsed)


NOT_PLAYLISTS = {
    "empty": (b"", "empty-playlist", "is empty (0 bytes)"),
    "whitespace": (b"  \n\n", "extm3u", "does not start with #EXTM3U"),
    "xml-error": (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "extm3u", "<?xml"),
    "json": (b'{"playlist": []}\n', "extm3u", '{"playlist": []}'),
    "invalid-utf8": (b"#EXTM3U\n#EXT-X-VERSION:3\n\xff\xfe\xfd\n", "not-utf8", "bad byte at offset 25"),
    "binary": (bytes(range(256)) * 8, "not-utf8", "not valid UTF-8"),
    "nul-bytes": (b"\x00" * 4096, "extm3u", "does not start with #EXTM3U"),
    "utf16": ("#EXTM3U\n".encode("utf-16"), "not-utf8", "not valid UTF-8"),
    "extm3u-not-first": (b"\n#EXTM3U\n", "extm3u", "first line: ''"),
    "bom-only": (b"\xef\xbb\xbf", "bom", "byte order mark"),
}


@pytest.mark.parametrize("target", ["index.m3u8", "index_1.m3u8"])
@pytest.mark.parametrize("case", sorted(NOT_PLAYLISTS))
def test_a_file_that_is_not_a_playlist_gives_a_located_error(case, target):
    body, check, says = NOT_PLAYLISTS[case]
    asset = good_asset()
    asset.put(target, body, MPEGURL)
    report, _ = run(asset)
    error(report, check, location=PREFIX + target, says=says)
