"""Signature Version 4 checks of the local stack's API requests: auth is on, as on AWS.

Every AWS API request must carry a SigV4 ``Authorization`` header made with an access key the
stack knows (``DEVSTACK_CREDENTIALS``, default ``local-stack``/``local-stack``) and a signature
that matches the request; anything else is refused with the error AWS gives (403). The signature
is recomputed with botocore's own signer (``SigV4Auth``; ``S3SigV4Auth`` for S3, which signs the
path as sent and takes the payload hash from ``X-Amz-Content-SHA256``), so the check is exactly
the client's computation. Presigned URLs (query-string auth) are not used by the project and are
refused. The clock skew AWS allows (15 minutes) is enforced too.
"""

from __future__ import annotations

import hmac
import io
import re
from collections.abc import Mapping
from typing import Any

import pendulum
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/\s]+)/(?P<date>\d{8})/(?P<region>[^/\s]+)/(?P<service>[^/\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;_.-]+),\s*Signature=(?P<signature>[0-9a-f]{64})"
)
MAX_SKEW_SECONDS = 15 * 60
MAX_SIGNED_BODY = 16 * 1024 * 1024  # API bodies (not S3 objects) are small; S3 signs a header, not the body


class SignatureProblem(Exception):
    """Why a request is refused: ``code`` is the AWS error code, the message says what is wrong."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def parse_credentials(text: str | None) -> dict[str, str]:
    """``DEVSTACK_CREDENTIALS``: ``key:secret`` pairs separated by commas; default ``local-stack``."""
    pairs = {}
    for item in (text or "local-stack:local-stack").split(","):
        key, sep, secret = item.strip().partition(":")
        if not sep or not key or not secret:
            raise ValueError(f"DEVSTACK_CREDENTIALS: {item.strip()[:40]!r} is not key:secret")
        pairs[key] = secret
    return pairs


def verify_request(environ: dict[str, Any], credentials: Mapping[str, str]) -> tuple[str, str]:
    """Check the SigV4 signature of a WSGI request; returns its (service, region), else raises.

    Reads a non-S3 body (to hash it) and puts it back in ``wsgi.input`` for the service.
    """
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header:
        if "X-Amz-Credential" in environ.get("QUERY_STRING", ""):
            raise SignatureProblem("AccessDenied", "presigned URLs are not accepted by the local stack")
        raise SignatureProblem("MissingAuthenticationToken", "Request is missing Authentication Token")
    match = AUTHORIZATION.fullmatch(header.strip())
    if match is None:
        raise SignatureProblem("IncompleteSignature", "the Authorization header is not a SigV4 signature")
    secret = credentials.get(match["key"])
    if secret is None:
        raise SignatureProblem(
            "InvalidClientTokenId", "The security token included in the request is invalid (unknown access key)"
        )
    amz_date = environ.get("HTTP_X_AMZ_DATE", "")
    try:
        signed_at = pendulum.from_format(amz_date, "YYYYMMDD[T]HHmmss[Z]", tz="UTC")
    except ValueError:
        raise SignatureProblem("IncompleteSignature", "X-Amz-Date is missing or malformed") from None
    if abs((pendulum.now("UTC") - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise SignatureProblem("SignatureDoesNotMatch", "Signature expired: the request time is too far from now")

    service, region = match["service"], match["region"]
    headers = {}
    for name in match["signed"].split(";"):
        value = _header(environ, name)
        if value is None:
            raise SignatureProblem("SignatureDoesNotMatch", f"signed header {name} is missing")
        headers[name] = value
    raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")).split("?")[0]
    query = environ.get("QUERY_STRING", "")
    url = f"http://{headers.get('host', environ.get('HTTP_HOST', ''))}{raw_path}" + (f"?{query}" if query else "")
    body = b""
    if service != "s3":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_SIGNED_BODY:
            raise SignatureProblem("RequestEntityTooLarge", "request body too large")
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=url, data=body, headers=headers)
    request.context["timestamp"] = amz_date
    signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(match["key"], secret), service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise SignatureProblem(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return service, region


def _header(environ: dict[str, Any], name: str) -> str | None:
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def access_key(environ: dict[str, Any]) -> str | None:
    """The access key id a SigV4 ``Authorization`` header names (check it with :func:`verify_request`)."""
    match = AUTHORIZATION.fullmatch(environ.get("HTTP_AUTHORIZATION", "").strip())
    return match["key"] if match else None
