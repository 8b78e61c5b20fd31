"""Wire protocols by botocore's service models: the errors the stack writes parse in botocore as the code,
message and status written, in every protocol, and a call's operation is found in its protocol's way."""

from __future__ import annotations

import io
from types import SimpleNamespace

import botocore.session
import pytest
from botocore import parsers
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from devstack.protocols import (
    emulate,
    error_response,
    internal_error,
    operation_name,
    protocol,
    s3_operation,
    throttling_error,
)

SERVICES = ["mediapackage", "mediapackage-vod", "mediapackagev2", "s3", "sqs", "events", "iam", "sts", "ec2"]


def parsed(service: str, response) -> dict:
    """What botocore makes of an error response of ``service``."""
    parser = parsers.create_parser(protocol(service))
    headers = {name.lower(): value for name, value in response.headers.items()}  # botocore's are case-blind
    raw = {"status_code": response.status_code, "headers": headers, "body": response.get_data()}
    return parser.parse(raw, None)


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("mediapackage", "rest-json"),
        ("mediapackage-vod", "rest-json"),
        ("s3", "rest-xml"),
        ("sqs", "json"),
        ("events", "json"),
        ("iam", "query"),
        ("sts", "query"),
        ("ec2", "ec2"),
        ("no-such-service", "rest-json"),  # a signing name botocore does not know
    ],
)
def test_the_protocol_is_the_models(service, expected):
    assert protocol(service) == expected


@pytest.mark.parametrize("service", SERVICES)
def test_an_error_parses_as_written(service):
    response = error_response(service, "InvalidClientTokenId", "the key <is> unknown & refused", 403, request_id="r1")
    error = parsed(service, response)["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidClientTokenId", "the key <is> unknown & refused")
    assert response.status_code == 403


def test_a_modeled_error_gets_its_modeled_status():
    assert error_response("mediapackage", "NotFoundException", "gone").status_code == 404
    assert error_response("mediapackage-vod", "TooManyRequestsException", "slow").status_code == 429
    assert error_response("mediapackage", "NotModeledException", "?").status_code == 400


@pytest.mark.parametrize("service", SERVICES)
def test_the_fault_errors_are_what_botocore_retries(service):
    for error, checker in ((throttling_error(service), ThrottledRetryableChecker()),
                           (internal_error(service), TransientRetryableChecker())):  # fmt: skip
        response = error_response(service, error.code, error.message, error.status)
        http = SimpleNamespace(status_code=response.status_code)
        context = RetryContext(attempt_number=1, parsed_response=parsed(service, response), http_response=http)
        assert checker.is_retryable(context), (service, error)


@pytest.mark.parametrize(
    ("service", "throttling", "internal"),
    [
        ("mediapackage", "TooManyRequestsException", "InternalServerErrorException"),
        ("mediapackage-vod", "TooManyRequestsException", "InternalServerErrorException"),
        ("mediapackagev2", "ThrottlingException", "InternalServerException"),
    ],
)
def test_rest_json_faults_are_each_service_s_own_modeled_errors(service, throttling, internal):
    assert (throttling_error(service).code, throttling_error(service).status) == (throttling, 429)
    assert (internal_error(service).code, internal_error(service).status) == (internal, 500)
    client = botocore.session.get_session().create_client(
        service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    for error in (throttling_error(service), internal_error(service)):
        response = error_response(service, error.code, error.message)  # no status: the modeled one
        assert response.status_code == error.status
        code = parsed(service, response)["Error"]["Code"]
        # What botocore raises for the parsed code: the service's modeled exception, not a bare ClientError.
        assert client.exceptions.from_code(code) is getattr(client.exceptions, error.code)


def test_only_rest_json_services_are_emulated():
    assert emulate("mediapackage", object()).model.service_name == "mediapackage"
    with pytest.raises(ValueError, match="rest-json services only"):
        emulate("sqs", object())


def environ(method: str, path: str, query: str = "", **extra) -> dict:
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, **extra}


def test_operation_names_by_protocol():
    assert operation_name("mediapackage", environ("GET", "/channels")) == "ListChannels"
    arn = "arn%3Aaws%3Amediapackage%3Aus-east-1%3A123456789012%3Achannels%2Fc"
    assert (
        operation_name("mediapackage", environ("GET", f"/tags/{arn}", RAW_URI=f"/tags/{arn}")) == "ListTagsForResource"
    )
    assert operation_name("mediapackage-vod", environ("POST", "/assets")) == "CreateAsset"
    assert operation_name("mediapackage", environ("GET", "/nowhere")) == ""
    assert operation_name("s3", environ("GET", "/b", "list-type=2")) == "ListObjectsV2"
    assert operation_name("sqs", environ("POST", "/", HTTP_X_AMZ_TARGET="AmazonSQS.ListQueues")) == "ListQueues"
    assert operation_name("iam", environ("GET", "/", "Action=ListRoles&Version=2010-05-08")) == "ListRoles"
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    form = environ("POST", "/", CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)))
    form["wsgi.input"] = io.BytesIO(body)
    assert operation_name("sts", form) == "GetCallerIdentity"
    assert form["wsgi.input"].read() == body  # put back for the service


def test_s3_operation_names():
    assert s3_operation("GET", "/b", "list-type=2&prefix=x") == "ListObjectsV2"
    assert s3_operation("GET", "/b", "prefix=x") == "ListObjects"
    assert s3_operation("GET", "/b/a/k.ts", "") == "GetObject"
    assert s3_operation("HEAD", "/b/a/k.ts", "") == "HeadObject"
    assert s3_operation("PUT", "/b/k", "") == "PutObject"
    assert s3_operation("PUT", "/b/k", "", {"HTTP_X_AMZ_COPY_SOURCE": "/b/j"}) == "CopyObject"
    assert s3_operation("DELETE", "/b/k", "") == "DeleteObject"
    assert s3_operation("POST", "/b", "delete") == "DeleteObjects"
    assert s3_operation("PUT", "/b", "") == "CreateBucket"
    assert s3_operation("HEAD", "/b", "") == "HeadBucket"
    assert s3_operation("GET", "/b", "location") == "GetBucketLocation"
    assert s3_operation("GET", "/", "") == "ListBuckets"
    assert s3_operation("POST", "/b/k", "uploads") == "CreateMultipartUpload"
    assert s3_operation("PUT", "/b/k", "partNumber=1&uploadId=u") == "UploadPart"
