"""An indexed ListObjectsV2 for the stack's S3 (moto).

moto answers every ListObjectsV2 page by scanning, filtering and sorting the whole bucket,
so listing a 260,000-object asset (260 pages) costs quadratic time in the local stack, while
S3 itself lists in linear time. The verify step's benchmark compares listing with one HEAD per
segment, so the emulator must not distort that: this module keeps a sorted index of each
bucket's key names (rebuilt only after the bucket changes) and serves delimiter-less listings
from it by bisection. Listings with a delimiter, and anything else, stay moto's own.

Installed once per process by :func:`install` (the stack calls it at start); moto is pinned
in ``requirements.lock``, and ``tests/devstack/test_s3_listing.py`` checks the answers against
moto's own implementation.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend
from moto.s3.utils import _VersionedKeyStore
from moto.utilities.utils import md5_hash

_installed = False
_lock = threading.Lock()
_index: dict[int, tuple[int, list[str]]] = {}  # id(key store) -> (generation, sorted names)


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
