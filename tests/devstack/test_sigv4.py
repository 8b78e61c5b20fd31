"""The local stack checks SigV4 signatures as AWS does: auth is never off."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.sigv4 import parse_credentials

REGION = "us-east-1"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(stack, name: str, key: str = "local-stack", secret: str = "local-stack"):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
    return session.client(name, endpoint_url=stack.url, config=NO_RETRIES)


@pytest.mark.parametrize(
    ("name", "call", "code"),
    [
        ("mediapackage", lambda c: c.list_channels(), "InvalidClientTokenId"),
        ("mediapackage-vod", lambda c: c.list_assets(), "InvalidClientTokenId"),
        ("s3", lambda c: c.list_buckets(), "InvalidClientTokenId"),
        ("sqs", lambda c: c.list_queues(), "InvalidClientTokenId"),
        ("iam", lambda c: c.list_roles(), "InvalidClientTokenId"),
        ("events", lambda c: c.list_rules(), "InvalidClientTokenId"),
    ],
)
def test_an_unknown_access_key_is_refused_by_every_service(stack, name, call, code):
    with pytest.raises(ClientError) as refused:
        call(client(stack, name, key="AKIAUNKNOWN", secret="local-stack"))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert refused.value.response["Error"]["Code"] == code


@pytest.mark.parametrize("name", ["mediapackage", "s3", "sqs", "iam"])
def test_a_wrong_secret_does_not_match_the_signature(stack, name):
    calls = {
        "mediapackage": lambda c: c.list_channels(),
        "s3": lambda c: c.list_buckets(),
        "sqs": lambda c: c.list_queues(),
        "iam": lambda c: c.list_roles(),
    }
    with pytest.raises(ClientError) as refused:
        calls[name](client(stack, name, secret="not-the-secret"))
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_signed_requests_with_the_right_key_work_including_s3_objects_and_odd_keys(stack):
    s3 = client(stack, "s3")
    s3.create_bucket(Bucket="signed-bucket")
    key = "a folder/with spaces+plus/%percent/ünïcode/index.m3u8"
    s3.put_object(Bucket="signed-bucket", Key=key, Body=b"#EXTM3U\n")
    assert s3.get_object(Bucket="signed-bucket", Key=key)["Body"].read() == b"#EXTM3U\n"
    listed = s3.list_objects_v2(Bucket="signed-bucket", Prefix="a folder/")["Contents"]
    assert [o["Key"] for o in listed] == [key]
    mp = client(stack, "mediapackage")
    mp.create_channel(Id="signed-channel")
    assert mp.describe_channel(Id="signed-channel")["Id"] == "signed-channel"
    arn = mp.describe_channel(Id="signed-channel")["Arn"]
    mp.tag_resource(ResourceArn=arn, Tags={"k": "v"})  # an ARN (with '/' and ':') in the path


def test_unsigned_api_requests_are_refused(stack):
    for url in (f"{stack.url}/", f"{stack.url}/some-bucket/some-key", f"{stack.url}/channels"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
        assert b"MissingAuthenticationToken" in refused.value.read()


def test_the_media_plane_and_health_stay_open(stack):
    with urllib.request.urlopen(f"{stack.url}/_devstack/health", timeout=10) as response:
        assert response.status == 200


def test_credentials_setting():
    assert parse_credentials(None) == {"local-stack": "local-stack"}
    assert parse_credentials("a:b, c:d:e") == {"a": "b", "c": "d:e"}
    with pytest.raises(ValueError, match="not key:secret"):
        parse_credentials("justakey")


def presigner(stack, key: str = "local-stack", secret: str = "local-stack"):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
    return session.client("s3", endpoint_url=stack.url, config=Config(signature_version="s3v4"))


def test_a_presigned_s3_url_serves_its_object_until_it_expires_and_only_as_signed(stack):
    s3 = presigner(stack)
    s3.create_bucket(Bucket="presigned")
    s3.put_object(Bucket="presigned", Key="masters/game 1.mp4", Body=b"\x00\x00\x00\x18ftypmp42")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "masters/game 1.mp4"})
    assert "X-Amz-Signature=" in url  # SigV4 query auth, as a browser receives it
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"\x00\x00\x00\x18ftypmp42"

    def refused(link: str) -> int:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(link, timeout=10)
        return caught.value.code

    assert refused(url.replace("game%201.mp4", "game%202.mp4")) == 403  # another key than the one signed
    assert refused(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")) == 403
    stranger = presigner(stack, key="AKIASTRANGER", secret="nope")
    link = stranger.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "masters/game 1.mp4"})
    assert refused(link) == 403  # an unknown key
    expired = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "presigned", "Key": "masters/game 1.mp4"}, ExpiresIn=1
    )
    time.sleep(2)
    assert refused(expired) == 403
