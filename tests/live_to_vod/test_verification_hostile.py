"""Hostile playlists: ``verify_vod_asset`` treats everything it reads from S3 as untrusted.

Whatever a parent or child playlist says, verification must return a failing report that
names each defect and where it is, never raise (other than the documented store errors),
never hang, and never ask the store for anything outside the asset's prefix. Every test
runs against a recording store that also holds decoy objects outside the prefix, so a
read that escaped would succeed and be seen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import unquote

import m3u8
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_to_vod.s3_asset_store import S3AssetStore
from live_to_vod.verification import (
    MAX_DEFECTS_PER_CHECK,
    MAX_PLAYLIST_BYTES,
    MAX_PLAYLIST_LINES,
    MAX_RENDITIONS,
    FetchedObject,
    StoredObject,
    VerificationReport,
    verify_vod_asset,
)
from tests.live_to_vod.test_verification import (
    MANIFEST,
    MPEGURL,
    PREFIX,
    TS,
    WINDOW_END,
    WINDOW_START,
    Asset,
    MemoryStore,
    checks,
    good_asset,
    media_playlist,
)

pytestmark = pytest.mark.timeout(120)

CHILD = PREFIX + "index_1.m3u8"
URI_CHECKS = {"uri-outside-prefix", "uri-query", "uri-invalid"}

#: Objects outside the prefix that hostile URIs point at: reading one would succeed.
DECOYS: dict[str, tuple[bytes, str | None]] = {
    key: (body, MPEGURL if key.endswith(".m3u8") else TS)
    for key, body in {
        "thursdaynight/other-event/seg.ts": b"\x47" * 188,
        "thursdaynight/other-event/index.m3u8": b"#EXTM3U\n",
        "thursdaynight/x.m3u8": b"#EXTM3U\n",
        "thursdaynight/x.ts": b"\x47" * 188,
        "thursdaynight/highlights-other/index.m3u8": b"#EXTM3U\n",
        "x.m3u8": b"#EXTM3U\n",
        "x.ts": b"\x47" * 188,
        "etc/passwd": b"root:x:0:0\n",
        "/etc/passwd": b"root:x:0:0\n",
        "other-bucket/x.m3u8": b"#EXTM3U\n",
        "evil.example/x.m3u8": b"#EXTM3U\n",
    }.items()
}


class RecordingStore(MemoryStore):
    """Records every call as ``(operation, key or prefix, max_bytes)``."""

    def __init__(self, objects, *, listed_sizes: dict[str, int] | None = None):
        super().__init__({**objects, **DECOYS})
        self.calls: list[tuple[str, str, int | None]] = []
        self.listed_sizes = listed_sizes or {}

    def list_objects(self, prefix: str):
        self.calls.append(("list", prefix, None))
        return [StoredObject(o.key, self.listed_sizes.get(o.key, o.size)) for o in super().list_objects(prefix)]

    def get_object(self, key: str, max_bytes: int | None = None) -> FetchedObject:
        self.calls.append(("get", key, max_bytes))
        return super().get_object(key, max_bytes)

    def gets(self, key: str | None = None) -> list[tuple[str, str, int | None]]:
        return [c for c in self.calls if c[0] == "get" and (key is None or c[1] == key)]


def assert_confined(store: RecordingStore) -> None:
    """One listing of the prefix; every read is of a listed key under it; playlists are read ranged."""
    assert [c for c in store.calls if c[0] == "list"] == [("list", PREFIX, None)], store.calls
    listed = {k for k in store.objects if k.startswith(PREFIX)}
    for _, key, max_bytes in store.gets():
        assert key.startswith(PREFIX) and key in listed, f"read outside the asset: {key!r}"
        if key.endswith(".m3u8"):
            assert max_bytes is not None and max_bytes <= MAX_PLAYLIST_BYTES + 1, (key, max_bytes)


def run(
    asset: Asset | dict, *, decode: bool = False, ok: bool = False, **kwargs
) -> tuple[VerificationReport, RecordingStore]:
    objects = asset.objects if isinstance(asset, Asset) else asset
    store = kwargs.pop("store", None) or RecordingStore(objects)
    kwargs.setdefault("window_start", WINDOW_START)
    kwargs.setdefault("window_end", WINDOW_END)
    report = verify_vod_asset(store, MANIFEST, decode_segments=decode, **kwargs)
    assert_confined(store)
    assert "verifier-error" not in checks(report), report.summary()
    assert report.ok is ok, report.summary()
    assert json.loads(json.dumps(report.to_dict()))["ok"] is ok
    assert report.summary()
    return report, store


def error(report: VerificationReport, check: str | set[str], *, location: str | None = None, says: str = ""):
    """The error defect of ``check`` at ``location`` whose message contains ``says``."""
    wanted = {check} if isinstance(check, str) else check
    found = [
        d
        for d in report.errors
        if d.check in wanted and (location is None or d.location == location) and says in d.message
    ]
    assert found, f"no error {wanted} at {location!r} saying {says!r} in:\n{report.summary()}"
    return found[0]


# --------------------------------------------------------------------------- URIs that leave the asset

ABSOLUTE = [
    "http://evil.example/x.m3u8",
    "https://evil.example/x.m3u8",
    "HTTP://EVIL.EXAMPLE/x.m3u8",
    "s3://other-bucket/x.m3u8",
    "//evil.example/x.m3u8",
    "file:///etc/passwd",
    "/etc/passwd",
    "/thursdaynight/highlights/index_2.m3u8",
    "data:application/x-mpegurl;base64,I0VYVE0zVQo=",
    "C:/x.m3u8",
]
TRAVERSAL = [
    "../../other-event/seg.ts",
    "../other-event/index.m3u8",
    "a/../../x.ts",
    "./../x.ts",
    "..",
    "%2e%2e/other-event/seg.ts",
    ".%2E/x.ts",
    "%2e%2e%2fother-event%2fseg.ts",
    "a%2f..%2f..%2fx.ts",
]
INVALID = [
    "..\\other-event\\seg.ts",
    "a\\..\\..\\x.ts",
    "..%5cother-event%5cseg.ts",
    "x%00.ts",
    "x%0a.ts",
    "sub/x/..",
]
QUERY = [
    "index_1_00100.ts?X-Amz-Signature=abc",
    "index_2.m3u8?token=s3cr3t",
    "index_1_00100.ts#t=10",
    "?x",
]
HOSTILE_URIS = (
    [(u, "uri-outside-prefix") for u in ABSOLUTE + TRAVERSAL]
    + [(u, "uri-invalid") for u in INVALID]
    + [(u, "uri-query") for u in QUERY]
)


def _insert_after(text: str, anchor: str, line: str) -> str:
    assert anchor in text, anchor
    return text.replace(anchor, anchor + line + "\n", 1)


PARENT_PLACES: dict[str, Callable[[str, str], str]] = {
    "variant": lambda text, uri: text.replace("\nindex_2.m3u8\n", f"\n{uri}\n"),
    "media": lambda text, uri: text.replace('URI="index_4.m3u8"', f'URI="{uri}"'),
    "iframe": lambda text, uri: _insert_after(
        text, "#EXT-X-INDEPENDENT-SEGMENTS\n", f'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="{uri}"'
    ),
    "session-key": lambda text, uri: _insert_after(
        text, "#EXT-X-INDEPENDENT-SEGMENTS\n", f'#EXT-X-SESSION-KEY:METHOD=AES-128,URI="{uri}"'
    ),
}
CHILD_PLACES: dict[str, Callable[[str, str], str]] = {
    "segment": lambda text, uri: text.replace("\nindex_1_00100.ts\n", f"\n{uri}\n"),
    "map": lambda text, uri: _insert_after(text, "#EXT-X-PLAYLIST-TYPE:VOD\n", f'#EXT-X-MAP:URI="{uri}"'),
    "key": lambda text, uri: _insert_after(
        text, "#EXT-X-PLAYLIST-TYPE:VOD\n", f'#EXT-X-KEY:METHOD=AES-128,URI="{uri}"'
    ),
}


@pytest.mark.parametrize("place", sorted(PARENT_PLACES))
@pytest.mark.parametrize(("uri", "check"), HOSTILE_URIS)
def test_hostile_uri_in_the_parent_is_named_and_never_fetched(place, uri, check):
    asset = good_asset()
    asset.put_text("index.m3u8", PARENT_PLACES[place](asset.text("index.m3u8"), uri))
    report, store = run(asset)
    defect = error(report, check, location=MANIFEST, says=f"'{uri}'")
    assert "not fetched" in defect.message


@pytest.mark.parametrize("place", sorted(CHILD_PLACES))
@pytest.mark.parametrize(("uri", "check"), HOSTILE_URIS)
def test_hostile_uri_in_a_child_is_named_and_never_fetched(place, uri, check):
    asset = good_asset()
    asset.put_text("index_1.m3u8", CHILD_PLACES[place](asset.text("index_1.m3u8"), uri))
    # decoding fetches segments too: those reads must stay inside the prefix as well
    report, store = run(asset, decode=place == "segment")
    if place == "segment":
        defect = error(report, check, location=f"{CHILD} segment #0 ({uri})", says=f"segment URI '{uri}'")
    else:
        tag = "#EXT-X-MAP" if place == "map" else "#EXT-X-KEY"
        defect = error(report, check, location=CHILD, says=f"{tag} URI '{uri}' in rendition playlist index_1.m3u8")
    assert "not fetched" in defect.message


def test_a_relative_uri_that_stays_inside_is_resolved_not_reported():
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_2.m3u8\n", "\nsub/%2e%2e/./index_2.m3u8\n")
    asset.edit("index_1.m3u8", "\nindex_1_00100.ts\n", "\n./a/../index_1_00100.ts\n")
    report, store = run(asset, ok=True)
    assert report.defects == ()
    assert store.gets(PREFIX + "index_2.m3u8")


def test_many_hostile_uris_in_one_playlist_are_all_counted_in_a_bounded_report():
    asset = good_asset(durations=[2.0] * 60)
    text = asset.text("index_1.m3u8")
    for i in range(60):
        text = text.replace(f"\nindex_1_{100 + i:05d}.ts\n", f"\nhttp://evil.example/{i}.ts\n")
    asset.put_text("index_1.m3u8", text)
    report, store = run(asset, window_end=WINDOW_START.add(seconds=100))
    outside = [d for d in report.defects if d.check == "uri-outside-prefix"]
    assert len(outside) == MAX_DEFECTS_PER_CHECK + 1
    assert outside[0].location == f"{CHILD} segment #0 (http://evil.example/0.ts)"
    assert "and 40 more uri-outside-prefix" in outside[-1].message


# --------------------------------------------------------------------------- enormous playlists


def test_playlist_listed_over_the_size_cap_is_never_read():
    asset = good_asset()
    store = RecordingStore(asset.objects, listed_sizes={CHILD: MAX_PLAYLIST_BYTES + 1})
    report, _ = run(asset, store=store)
    error(report, "playlist-too-large", location=CHILD, says=f"{MAX_PLAYLIST_BYTES + 1} bytes")
    assert store.gets(CHILD) == []


def test_playlist_bigger_than_its_listing_is_read_ranged_and_never_parsed(monkeypatch):
    parsed: list[int] = []
    real_parse = m3u8.parse
    monkeypatch.setattr(
        m3u8, "parse", lambda text, **kw: parsed.append(len(text)) or real_parse(text, **kw)
    )
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
    monkeypatch.setattr(
        m3u8, "parse", lambda text, **kw: parsed.append(text[:40]) or real_parse(text, **kw)
    )
    asset = good_asset()
    body = "#EXTM3U\n" + newline.join(["#EXTINF:1,", "a"] * (MAX_PLAYLIST_LINES // 2))  # 1 line too many
    asset.put_text("index_1.m3u8", body)
    report, _ = run(asset)
    error(report, "playlist-too-large", location=CHILD, says=f"{MAX_PLAYLIST_LINES}-line limit; not parsed")
    assert not any(t.startswith("#EXTM3U\n#EXTINF") for t in parsed)


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
    assert len(report.defects) < 10 and len(json.dumps(report.to_dict())) < 200_000


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


def test_s3_store_reads_playlists_with_a_range_request():
    """The S3 adapter turns the verifier's ``max_bytes`` into ``Range: bytes=0-N`` (no full download)."""
    asset = good_asset()

    class Body:
        def __init__(self, data: bytes):
            self.data = data

        def read(self, n: int | None = None) -> bytes:
            return self.data if n is None else self.data[:n]

        def close(self) -> None:
            pass

    class FakeS3:
        def __init__(self):
            self.requests: list[dict] = []

        def list_objects_v2(self, **kwargs):
            self.requests.append(kwargs)
            keys = sorted(k for k in asset.objects if k.startswith(kwargs["Prefix"]))
            return {"Contents": [{"Key": k, "Size": len(asset.objects[k][0])} for k in keys], "IsTruncated": False}

        def get_object(self, **kwargs):
            self.requests.append(kwargs)
            if kwargs["Key"] not in asset.objects:
                raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
            body, ctype = asset.objects[kwargs["Key"]]
            return {"Body": Body(body), "ContentType": ctype}

    client = FakeS3()
    report = verify_vod_asset(S3AssetStore(client, "b"), MANIFEST, WINDOW_START, WINDOW_END, decode_segments=False)
    assert report.ok, report.summary()
    gets = [r for r in client.requests if "Key" in r]
    assert len(gets) == 5 and all(r["Range"] == f"bytes=0-{MAX_PLAYLIST_BYTES}" for r in gets)
    assert all(r.get("Prefix", PREFIX) == PREFIX and r.get("Key", PREFIX).startswith(PREFIX) for r in client.requests)


# --------------------------------------------------------------------------- malformed tags


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


MALFORMED_CHILD = {
    # EXTINF: missing, NaN, infinite, negative, no comma
    "extinf-empty": (_extinf("#EXTINF:"), "parse-error", CHILD, "near line 11 ('#EXTINF:')"),
    "extinf-comma-only": (_extinf("#EXTINF:,"), "parse-error", CHILD, "near line 11 ('#EXTINF:,')"),
    "extinf-no-colon": (_extinf("#EXTINF"), "parse-error", CHILD, "near line 11 ('#EXTINF')"),
    "extinf-words": (_extinf("#EXTINF:two seconds,"), "parse-error", CHILD, "near line 11"),
    "extinf-nan": (_extinf("#EXTINF:NaN,"), "parse-error", CHILD, "near line 11 ('#EXTINF:NaN,')"),
    "extinf-inf": (_extinf("#EXTINF:inf,"), "parse-error", CHILD, "near line 11 ('#EXTINF:inf,')"),
    "extinf-minus-inf": (_extinf("#EXTINF:-inf,"), "parse-error", CHILD, "near line 11"),
    "extinf-huge": (_extinf("#EXTINF:1e400,"), "parse-error", CHILD, "near line 11 ('#EXTINF:1e400,')"),
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
    "byterange-word": (_byterange("abc"), "byterange", SEG1, "#EXT-X-BYTERANGE:abc is malformed"),
    "byterange-empty": (_byterange(""), "byterange", SEG1, "#EXT-X-BYTERANGE: is malformed"),
    "byterange-dangling-at": (_byterange("5@"), "byterange", SEG1, "#EXT-X-BYTERANGE:5@ is malformed"),
    "byterange-no-length": (_byterange("@5"), "byterange", SEG1, "#EXT-X-BYTERANGE:@5 is malformed"),
    "byterange-two-offsets": (_byterange("1@2@3"), "byterange", SEG1, "#EXT-X-BYTERANGE:1@2@3 is malformed"),
    "byterange-negative": (_byterange("-5@0"), "byterange", SEG1, "#EXT-X-BYTERANGE:-5@0 is malformed"),
    "byterange-underscore": (_byterange("1_0@0"), "byterange", SEG1, "#EXT-X-BYTERANGE:1_0@0 is malformed"),
    "byterange-arabic-digit": (_byterange("\u0663@0"), "byterange", SEG1, "is malformed"),
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


def test_malformed_parent_tags_give_located_errors():
    asset = good_asset()
    asset.edit("index.m3u8", "#EXT-X-INDEPENDENT-SEGMENTS\n", "#EXT-X-INDEPENDENT-SEGMENTS\nrandom words\n")
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


# --------------------------------------------------------------------------- recursion


@pytest.mark.parametrize("uri", ["index.m3u8", "./index.m3u8", "sub/../index.m3u8", "%69ndex.m3u8"])
@pytest.mark.parametrize("place", ["variant", "media", "iframe"])
def test_parent_naming_itself_is_an_error_and_read_once(place, uri):
    asset = good_asset()
    asset.put_text("index.m3u8", PARENT_PLACES[place](asset.text("index.m3u8"), uri))
    report, store = run(asset, decode=True)
    error(report, "recursive-playlist", location=MANIFEST, says=f"'{uri}' names the parent manifest itself")
    assert len(store.gets(MANIFEST)) == 1


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


def test_parent_that_is_a_media_playlist_naming_itself():
    asset = good_asset()
    asset.put_text("index.m3u8", media_playlist("index_1").replace("\nindex_1_00102.ts\n", "\nindex.m3u8\n"))
    report, store = run(asset, decode=True)
    error(report, "not-multivariant", location=MANIFEST)
    error(report, "recursive-playlist", location=f"{MANIFEST} segment #2 (index.m3u8)")
    assert len(store.gets(MANIFEST)) == 1


# --------------------------------------------------------------------------- a damaged asset, every defect named


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


# ------------------------------------------------------------ property: anything in, a report out


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


_URI_PIECES = ["..", ".", "/", "%2e", "%2E", "%2f", "%5c", "\\", "a", "x.ts", "index_1_00100.ts", "index.m3u8"]
_URI_PIECES += ["http:", "//", "s3:", "file:", "?", "#", "%00", ":", "%", "evil.example", "%252e"]
_uris = st.one_of(
    st.lists(st.sampled_from(_URI_PIECES), min_size=1, max_size=8).map("".join),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\"'"), min_size=1),
).filter(lambda u: not u.startswith("#"))


def _must_be_rejected(uri: str) -> bool:
    """An independent, conservative oracle: URIs that can only be read by leaving the asset."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", uri) or uri.startswith("/") or any(c in uri for c in "?#\\"):
        return True
    depth = 0  # RFC 3986 dot-segment removal, counted from the asset prefix
    for part in unquote(uri).split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part != ".":
            depth += 1
    return False


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uri=_uris, place=st.sampled_from(sorted(PARENT_PLACES) + [f"child-{p}" for p in sorted(CHILD_PLACES)]))
def test_fuzz_uris_never_lead_outside_the_prefix(uri, place):
    asset = good_asset()
    if place.startswith("child-"):
        asset.put_text("index_1.m3u8", CHILD_PLACES[place[6:]](asset.text("index_1.m3u8"), uri))
    else:
        asset.put_text("index.m3u8", PARENT_PLACES[place](asset.text("index.m3u8"), uri))
    store = RecordingStore(asset.objects)
    report = verify_vod_asset(store, MANIFEST, WINDOW_START, WINDOW_END, decode_segments=False)
    assert_confined(store)
    assert "verifier-error" not in checks(report), report.summary()
    if _must_be_rejected(uri):
        assert not report.ok
        error(report, URI_CHECKS, says=f"'{uri[:100]}")
