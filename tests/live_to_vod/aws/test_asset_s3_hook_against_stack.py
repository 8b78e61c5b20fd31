"""The S3 hook the verify steps read assets with, against the local stack: the same answers as the
provider's S3Hook, with every response time parsed by the fast ISO 8601 path or botocore's own."""

from __future__ import annotations

import datetime

import pendulum
import pytest
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from live_to_vod.aws.hooks.s3 import AssetS3Hook, parse_timestamp


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-06T02:48:53.000Z",  # ListObjectsV2's LastModified
        "2026-12-06T02:48:53Z",
        "2026-12-06T03:48:53.250+01:00",
        "Sun, 06 Dec 2026 02:48:53 GMT",  # a HEAD's Last-Modified header (RFC 822): botocore's parser
        1796611733,  # epoch seconds (JSON protocols)
        "1796611733.5",
    ],
)
def test_times_parse_to_the_same_moment_as_botocore_reads_them(value):
    fast, reference = parse_timestamp(value), botocore_parse_timestamp(value)
    assert isinstance(fast, datetime.datetime) and fast.utcoffset() is not None
    assert fast == reference


def test_a_bad_time_fails_as_botocore_fails():
    with pytest.raises(ValueError):
        parse_timestamp("not a time")


def test_the_hook_lists_and_heads_as_the_provider_s_does(stack, aws, aws_connection):
    s3 = aws["s3"]
    s3.create_bucket(Bucket="assets")
    for i in range(1005):  # two pages
        s3.put_object(Bucket="assets", Key=f"game/{i:04d} seg.ts", Body=b"x" * (i % 5))
    fast, provider = AssetS3Hook().get_conn(), S3Hook().get_conn()
    pages = [
        [page["Contents"] for page in client.get_paginator("list_objects_v2").paginate(Bucket="assets", Prefix="game/")]
        for client in (fast, provider)
    ]
    assert pages[0] == pages[1] and sum(len(p) for p in pages[0]) == 1005
    assert all(isinstance(o["LastModified"], pendulum.DateTime) for p in pages[0] for o in p)
    head = fast.head_object(Bucket="assets", Key="game/0001 seg.ts")
    assert head["LastModified"] == provider.head_object(Bucket="assets", Key="game/0001 seg.ts")["LastModified"]
    assert not isinstance(provider.list_objects_v2(Bucket="assets")["Contents"][0]["LastModified"], pendulum.DateTime)
