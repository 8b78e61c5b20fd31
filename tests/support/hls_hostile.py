"""Hostile-input helpers: a recording store with decoys outside the asset, and hostile URIs.

Verification must return a failing report that names each defect and where it is, never
raise (other than the documented store errors), never hang, and never ask the store for
anything outside the asset's prefix. ``run`` verifies against a ``RecordingStore`` that also
holds decoy objects outside the prefix, so a read that escaped would succeed and be seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from live_to_vod.verification import (
    MAX_PLAYLIST_BYTES,
    FetchedObject,
    StoredObject,
    VerificationReport,
    verify_vod_asset,
)
from tests.support.hls_assets import MANIFEST, MPEGURL, PREFIX, TS, WINDOW_END, WINDOW_START, Asset, MemoryStore, checks

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
    kwargs.setdefault("segments", "sampled" if decode else "listing")
    report = verify_vod_asset(store, MANIFEST, **kwargs)
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
