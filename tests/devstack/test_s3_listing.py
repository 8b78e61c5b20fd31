"""The stack's indexed ListObjectsV2 answers exactly as moto's own listing does."""

from __future__ import annotations

import pytest


def list_all(s3, bucket, **kwargs):
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **kwargs))
    return [o["Key"] for p in pages for o in p.get("Contents", [])], len(pages)


@pytest.fixture
def bucket(aws):
    s3 = aws["s3"]
    s3.create_bucket(Bucket="listing")
    for i in range(1200):
        s3.put_object(Bucket="listing", Key=f"a/{i:05d}.ts", Body=b"x" * (i % 7 + 1))
    for i in range(20):
        s3.put_object(Bucket="listing", Key=f"b/{i:02d}.ts", Body=b"y")
    return s3


def test_pages_prefixes_and_start_after(bucket):
    keys, pages = list_all(bucket, "listing", Prefix="a/")
    assert keys == [f"a/{i:05d}.ts" for i in range(1200)] and pages == 2
    keys, pages = list_all(bucket, "listing", Prefix="a/", PaginationConfig={"PageSize": 500})
    assert len(keys) == 1200 and pages == 3
    assert list_all(bucket, "listing", Prefix="b/")[0] == [f"b/{i:02d}.ts" for i in range(20)]
    assert list_all(bucket, "listing", Prefix="c/")[0] == []
    assert len(list_all(bucket, "listing")[0]) == 1220
    after = bucket.list_objects_v2(Bucket="listing", Prefix="a/", StartAfter="a/01190.ts")
    assert [o["Key"] for o in after["Contents"]] == [f"a/{i:05d}.ts" for i in range(1191, 1200)]
    sizes = {o["Key"]: o["Size"] for o in bucket.list_objects_v2(Bucket="listing", Prefix="a/0000")["Contents"]}
    assert sizes == {f"a/{i:05d}.ts": i % 7 + 1 for i in range(10)}


def test_listing_follows_writes_and_deletes(bucket):
    list_all(bucket, "listing", Prefix="b/")  # builds the index
    bucket.delete_object(Bucket="listing", Key="b/03.ts")
    bucket.put_object(Bucket="listing", Key="b/99.ts", Body=b"z")
    bucket.delete_objects(Bucket="listing", Delete={"Objects": [{"Key": "b/04.ts"}, {"Key": "b/05.ts"}]})
    keys = list_all(bucket, "listing", Prefix="b/")[0]
    assert keys == [f"b/{i:02d}.ts" for i in range(20) if i not in (3, 4, 5)] + ["b/99.ts"]


def test_delimiter_listings_stay_moto_s(bucket):
    result = bucket.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in result["CommonPrefixes"]] == ["a/", "b/"]


PAGE_QUERIES = [
    {"Prefix": "a/"},
    {"Prefix": "a/", "MaxKeys": 7},
    {"Prefix": "a/", "StartAfter": "a/01190.ts"},
    {"Prefix": "nothing/"},
    {},
    {"Prefix": "c d/"},  # a key botocore asks to have URL-encoded
    {"Prefix": "a/", "EncodingType": "url"},
]


def test_written_pages_read_as_moto_s_own(bucket, monkeypatch):
    """The pages the stack writes itself parse (botocore) to exactly what moto's serializer writes."""
    from devstack import s3_listing

    bucket.put_object(Bucket="listing", Key="c d/e&f<g>.ts", Body=b"q")

    def pages(write: bool, kwargs: dict) -> list[dict]:
        monkeypatch.setattr(s3_listing, "WRITE_PAGES", write)
        written = s3_listing.pages_written
        first = bucket.list_objects_v2(Bucket="listing", **kwargs)
        out = [first]
        if first.get("NextContinuationToken"):
            out.append(bucket.list_objects_v2(Bucket="listing", ContinuationToken=first["NextContinuationToken"]))
        assert s3_listing.pages_written - written == (len(out) if write else 0)
        for page in out:
            page.pop("ResponseMetadata")
            page.pop("NextContinuationToken", None)  # each answer registers its own token
        return out

    for kwargs in PAGE_QUERIES:
        assert pages(True, kwargs) == pages(False, kwargs), kwargs
