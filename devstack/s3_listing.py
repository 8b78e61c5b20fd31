"""An indexed ListObjectsV2 for the stack's S3 (moto).

moto answers every ListObjectsV2 page by scanning, filtering and sorting the whole bucket,
so listing a 260,000-object asset (260 pages) costs quadratic time in the local stack, while
S3 itself lists in linear time. The verify step's benchmark compares listing with one HEAD per
segment, so the emulator must not distort that: this module keeps a sorted index of each
bucket's key names (rebuilt only after the bucket changes) and serves delimiter-less listings
from it by bisection. It also writes those pages' XML itself: moto's model-driven serializer
spends ~200 ms of this process's CPU on a 1,000-key page (parsing each key's time back with
dateutil, building a dict per member), work S3 does on its own machines. Listings with a
delimiter or owners, and anything else, stay moto's own.

Installed once per process by :func:`install` (the stack calls it at start); moto is pinned
in ``requirements.lock``, and ``tests/devstack/test_s3_listing.py`` checks the answers against
moto's own implementation.
"""

from __future__ import annotations

import bisect
import threading
import urllib.parse
from typing import Any
from xml.sax.saxutils import escape

from moto import settings as moto_settings
from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend
from moto.s3.responses import S3Response
from moto.s3.utils import _VersionedKeyStore
from moto.utilities.utils import md5_hash

_installed = False
_lock = threading.Lock()
_index: dict[int, tuple[int, list[str]]] = {}  # id(key store) -> (generation, sorted names)
#: Whether delimiter-less pages are written here (tests turn it off to compare with moto's own).
WRITE_PAGES = True
pages_written = 0  # how many pages were (tests check the fast path ran)
_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _bump(store: Any) -> None:
    store.__dict__["_generation"] = store.__dict__.get("_generation", 0) + 1


def _wrap_mutator(name: str) -> None:
    original = getattr(_VersionedKeyStore, name)

    def mutator(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            _bump(self)

    mutator.__name__ = name
    setattr(_VersionedKeyStore, name, mutator)


def _sorted_names(store: Any) -> list[str]:
    generation = store.__dict__.get("_generation", 0)
    with _lock:
        cached = _index.get(id(store))
        if cached is not None and cached[0] == generation:
            return cached[1]
    names = sorted(dict.keys(store))
    with _lock:
        _index[id(store)] = (generation, names)
    return names


def install() -> None:
    """Make moto's S3 list delimiter-less pages in O(page + log n)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    for name in ("__setitem__", "__delitem__", "setlist", "pop", "clear", "update", "setdefault", "popitem"):
        _wrap_mutator(name)
    moto_list_objects_v2 = S3Backend.list_objects_v2

    def list_objects_v2(
        self: S3Backend,
        bucket: Any,
        prefix: str | None,
        delimiter: str | None,
        continuation_token: str | None,
        start_after: str | None,
        max_keys: int,
    ) -> Any:
        if delimiter or not isinstance(getattr(bucket, "keys", None), _VersionedKeyStore):
            return moto_list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)
        store = bucket.keys
        names = _sorted_names(store)
        prefix = prefix or ""
        after = self._pagination_tokens.get(continuation_token) if continuation_token else start_after
        start = bisect.bisect_right(names, after) if after else bisect.bisect_left(names, prefix)
        start = max(start, bisect.bisect_left(names, prefix))
        page: list[FakeKey] = []
        is_truncated = False
        for name in names[start:]:
            if not name.startswith(prefix):
                break
            versions = dict.get(store, name)
            if not versions or isinstance(versions[-1], FakeDeleteMarker):
                continue
            if len(page) == max_keys:
                is_truncated = True
                break
            page.append(versions[-1])
        next_token = None
        if is_truncated and page:
            next_token = md5_hash(page[-1].name.encode("utf-8")).hexdigest()
            self._pagination_tokens[next_token] = page[-1].name
        return page, is_truncated, next_token

    S3Backend.list_objects_v2 = list_objects_v2  # type: ignore[method-assign]
    moto_response = S3Response.list_objects_v2

    def list_objects_v2_response(self: S3Response) -> Any:
        query = self.querystring
        encoding = query.get("encoding-type", [None])[0]  # botocore asks for "url" by default
        if not WRITE_PAGES or encoding not in (None, "url") or any(k in query for k in ("delimiter", "fetch-owner")):
            return moto_response(self)
        token = query.get("continuation-token", [None])[0]
        if token == "":
            return moto_response(self)  # moto's InvalidContinuationToken
        bucket = self.backend.get_bucket(self.bucket_name)
        prefix = self._get_querystring(self.request, self.uri).get("prefix", [None])[0]
        if isinstance(prefix, bytes):
            prefix = prefix.decode("utf-8")
        max_keys = int(query.get("max-keys", [moto_settings.get_s3_default_max_keys()])[0])
        start_after = query.get("start-after", [None])[0]
        keys, truncated, next_token = self.backend.list_objects_v2(
            bucket=bucket,
            prefix=prefix,
            delimiter=None,
            continuation_token=token,
            start_after=start_after,
            max_keys=max_keys,
        )
        self.data["Action"] = "ListObjectsV2"
        global pages_written
        pages_written += 1
        body = _page_xml(bucket.name, prefix or "", max_keys, keys, truncated, next_token, token, start_after, encoding)
        return 200, {"Content-Type": "application/xml", **self.response_headers}, body

    S3Response.list_objects_v2 = list_objects_v2_response  # type: ignore[method-assign]


def _checksum(key: FakeKey) -> str:
    algorithm = key.checksum_algorithm
    return f"<ChecksumAlgorithm>{escape(algorithm)}</ChecksumAlgorithm>" if algorithm else ""


def _page_xml(
    bucket: str,
    prefix: str,
    max_keys: int,
    keys: list[FakeKey],
    truncated: bool,
    next_token: str | None,
    token: str | None,
    start_after: str | None,
    encoding: str | None,
) -> str:
    """A ListObjectsV2 page as moto's serializer writes it (same elements and values)."""
    if encoding == "url":
        prefix = urllib.parse.quote(prefix) if prefix else ""
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{_XMLNS}">',
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>",
    ]
    parts += [
        f"<Contents><Key>{escape(key.safe_name(encoding))}</Key><LastModified>{key.last_modified_ISO8601}</LastModified>"
        f"<ETag>{escape(key.etag)}</ETag>{_checksum(key)}<Size>{key.size}</Size><StorageClass>{escape(key.storage_class)}"
        "</StorageClass></Contents>"
        for key in keys
    ]
    parts.append(f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix><MaxKeys>{max_keys}</MaxKeys>")
    parts.append(f"<KeyCount>{len(keys)}</KeyCount>")
    if encoding:
        parts.append(f"<EncodingType>{escape(encoding)}</EncodingType>")
    if next_token:
        parts.append(f"<NextContinuationToken>{escape(next_token)}</NextContinuationToken>")
    if not token and start_after:
        parts.append(f"<StartAfter>{escape(start_after)}</StartAfter>")
    parts.append("</ListBucketResult>")
    return "".join(parts)
