"""The S3 implementation of :class:`~live_to_vod.verification.store.AssetStore`.

Takes a boto3 S3 client (built by the caller: Airflow hook, moto, LocalStack...), so this
module imports neither Airflow nor boto3 nor botocore: a missing key is recognised on the
error the client raises, by the client's own ``exceptions.NoSuchKey`` class or by the error
code in the exception's ``response``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from live_to_vod.verification.store import FetchedObject, StoredObject

__all__ = ["S3AssetStore"]

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _error_code(exc: BaseException) -> str | None:
    """The S3 error code of a botocore ``ClientError`` (duck-typed); ``None`` for any other error."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error")
    return str(error.get("Code", "")) if isinstance(error, dict) else ""


class S3AssetStore:
    """Reads one bucket through a boto3 S3 client.

    ``list_requests`` counts ListObjectsV2 calls (pages of at most ``page_size``
    keys, 1,000 being S3's maximum); ``get_requests`` counts GetObject calls.
    """

    def __init__(self, client: Any, bucket: str, *, page_size: int = 1000) -> None:
        if not bucket:
            raise ValueError("bucket must be given")
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000")
        self.client = client
        self.bucket = bucket
        self.page_size = page_size
        self.list_requests = 0
        self.get_requests = 0

    @property
    def requests(self) -> int:
        return self.list_requests + self.get_requests

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """Every object under ``prefix``, paging ListObjectsV2 with continuation tokens."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": self.page_size}
        while True:
            self.list_requests += 1
            page = self.client.list_objects_v2(**kwargs)
            for item in page.get("Contents") or ():
                yield StoredObject(key=item["Key"], size=int(item.get("Size", 0)))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            kwargs["ContinuationToken"] = token

    def get_object(self, key: str, max_bytes: int | None = None) -> FetchedObject:
        """The object's body (its first ``max_bytes`` bytes when given, via a Range request).

        Raises ``KeyError`` when the object does not exist; other S3 errors propagate.
        """
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if max_bytes is not None:
            if max_bytes <= 0:
                raise ValueError("max_bytes must be positive")
            kwargs["Range"] = f"bytes=0-{max_bytes - 1}"
        self.get_requests += 1
        try:
            response = self.client.get_object(**kwargs)
        except Exception as exc:
            code = _error_code(exc)
            if code is None:
                raise
            if code in _MISSING_CODES or self._is_no_such_key(exc):
                raise KeyError(key) from exc
            if code == "InvalidRange" and "Range" in kwargs:
                # A Range request on an empty object is "not satisfiable": read it whole.
                return self.get_object(key, None)
            raise
        body = response["Body"]
        try:
            data = body.read() if max_bytes is None else body.read(max_bytes)
        finally:
            body.close()
        return FetchedObject(key=key, body=data, content_type=response.get("ContentType"))

    def _is_no_such_key(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the client's own ``NoSuchKey`` (botocore's modelled S3 error class)."""
        no_such_key = getattr(getattr(self.client, "exceptions", None), "NoSuchKey", None)
        return isinstance(no_such_key, type) and isinstance(exc, no_such_key)
