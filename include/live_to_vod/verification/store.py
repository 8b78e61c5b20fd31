"""The storage boundary: what the verifier needs from object storage, and how it reads through it.

All I/O goes through the small :class:`AssetStore` protocol (:class:`~.s3_store.S3AssetStore` is
the S3 implementation; the tests use an in-memory one). :class:`AssetReader` is the verifier's
side of it: the prefix is listed **once** (checklist rule HLS-19), existence and sizes come from
that listing, and nothing outside the prefix is ever read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AssetReader", "AssetStore", "FetchedObject", "StoreFailure", "StoredObject"]


@dataclass(frozen=True)
class StoredObject:
    """One entry of a prefix listing."""

    key: str
    size: int


@dataclass(frozen=True)
class FetchedObject:
    """The body (or its first ``max_bytes``) and content type of one object."""

    key: str
    body: bytes
    content_type: str | None


class AssetStore(Protocol):
    """Where the asset lives. ``get_object`` raises ``KeyError`` for a missing key."""

    def list_objects(self, prefix: str) -> Iterable[StoredObject]:
        """Every object whose key starts with ``prefix`` (one logical listing)."""
        ...

    def get_object(self, key: str, max_bytes: int | None = None) -> FetchedObject:
        """The object's body, at most its first ``max_bytes`` bytes when given."""
        ...


class StoreFailure(Exception):
    """A store error that is not "object missing": re-raised to the caller unchanged."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class AssetReader:
    """One asset's objects through a store: listed once, read only inside ``prefix``.

    ``objects`` maps every listed key to its size; ``referenced`` collects the keys some
    playlist names; ``requests`` counts the store calls made.
    """

    def __init__(self, store: AssetStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix
        self.requests = 0
        self.objects: dict[str, int] = {}
        self.referenced: set[str] = set()

    def list(self) -> None:
        """List the prefix (the one listing of the verification)."""
        self.requests += 1
        objects = self.objects
        for obj in self.store.list_objects(self.prefix):
            objects[obj.key] = obj.size

    def get(self, key: str, max_bytes: int | None = None) -> FetchedObject | None:
        """Fetch through the store; ``None`` when the store says the key is missing."""
        if not key.startswith(self.prefix):  # defence in depth: never read outside the asset
            raise AssertionError(f"refusing to fetch {key!r} outside {self.prefix!r}")
        self.requests += 1
        try:
            return self.store.get_object(key, max_bytes)
        except KeyError:
            return None
        except Exception as exc:
            raise StoreFailure(exc) from exc
