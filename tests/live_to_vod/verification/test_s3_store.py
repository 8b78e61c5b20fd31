"""Tests for the S3 implementation (``s3_store.py``): paging, ranged reads, a missing key."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from live_to_vod.verification import MAX_PLAYLIST_BYTES, S3AssetStore, verify_vod_asset
from tests.support.hls_assets import MANIFEST, MPEGURL, PREFIX, WINDOW_END, WINDOW_START, defects, good_asset

pytestmark = pytest.mark.timeout(120)


def test_s3_asset_store_pages_the_listing_and_reads_ranges():
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="vod-assets")
        asset = good_asset()
        for key, (body, content_type) in asset.objects.items():
            extra = {"ContentType": content_type} if content_type else {}
            client.put_object(Bucket="vod-assets", Key=key, Body=body, **extra)
        strays = 1000
        for i in range(strays):
            client.put_object(Bucket="vod-assets", Key=f"{PREFIX}old/{i:04d}.ts", Body=b"\x47")
        client.put_object(Bucket="vod-assets", Key="thursdaynight/other/index.m3u8", Body=b"#EXTM3U\n")

        store = S3AssetStore(client, "vod-assets")
        report = verify_vod_asset(store, MANIFEST, WINDOW_START, WINDOW_END)

        total = len(asset.objects) + strays
        assert report.objects_listed == total
        assert store.list_requests == math.ceil(total / 1000) == 2
        # five playlists and, a small asset being verified in full, every one of its 20 segments
        assert store.get_requests == report.requests - 1 == 5 + 20 == 5 + report.reads.decoded
        assert report.ok, report.summary()
        (stray,) = defects(report, "unreferenced-object")
        assert stray.severity == "warning" and "1000 object(s)" in stray.message

        first = store.get_object(MANIFEST, max_bytes=7)
        assert first.body == b"#EXTM3U" and first.content_type == MPEGURL
        client.put_object(Bucket="vod-assets", Key=f"{PREFIX}empty.ts", Body=b"")
        assert store.get_object(f"{PREFIX}empty.ts", max_bytes=100).body == b""
        with pytest.raises(KeyError):
            store.get_object(f"{PREFIX}nope.ts")
        small = S3AssetStore(client, "vod-assets", page_size=10)
        assert len(list(small.list_objects(PREFIX))) == total + 1 and small.list_requests == math.ceil((total + 1) / 10)


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
    report = verify_vod_asset(S3AssetStore(client, "b"), MANIFEST, WINDOW_START, WINDOW_END, segments="listing")
    assert report.ok, report.summary()
    gets = [r for r in client.requests if "Key" in r]
    assert len(gets) == 5 and all(r["Range"] == f"bytes=0-{MAX_PLAYLIST_BYTES}" for r in gets)
    assert all(r.get("Prefix", PREFIX) == PREFIX and r.get("Key", PREFIX).startswith(PREFIX) for r in client.requests)


class _ModelledError(Exception):
    """Shaped like botocore's ClientError: the S3 error code is in ``response``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class _NoSuchKey(_ModelledError):
    pass


class _Client:
    """A client whose GetObject raises ``error``; ``exceptions.NoSuchKey`` as boto3 clients have it."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        NoSuchKey = _NoSuchKey

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_object(self, **kwargs):
        raise self.error


@pytest.mark.parametrize(
    "error", [_NoSuchKey("NoSuchKey"), _NoSuchKey("SomethingElse"), _ModelledError("404"), _ModelledError("NotFound")]
)
def test_s3_store_reads_a_missing_key_off_the_error_the_client_raises(error):
    with pytest.raises(KeyError):
        S3AssetStore(_Client(error), "b").get_object(PREFIX + "gone.ts")


@pytest.mark.parametrize("error", [_ModelledError("AccessDenied"), _ModelledError("SlowDown"), OSError("reset")])
def test_s3_store_lets_other_errors_through_unchanged(error):
    with pytest.raises(type(error)) as raised:
        S3AssetStore(_Client(error), "b").get_object(PREFIX + "x.ts")
    assert raised.value is error


def test_the_verification_package_imports_no_botocore_boto3_or_airflow():
    code = (
        "import sys, live_to_vod.verification; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'botocore', 'boto3', 'airflow'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
