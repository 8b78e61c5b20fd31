"""Signature Version 4 checks of the local stack's API requests: auth is on, as on AWS.

Every AWS API request must carry a SigV4 ``Authorization`` header made with an access key the
stack knows (``DEVSTACK_CREDENTIALS``, default ``local-stack``/``local-stack``) and a signature
that matches the request; anything else is refused with the error AWS gives (403). The signature
is recomputed with botocore's own signer (``SigV4Auth``; ``S3SigV4Auth`` for S3, which signs the
path as sent and takes the payload hash from ``X-Amz-Content-SHA256``), so the check is exactly
the client's computation. Presigned S3 URLs (query-string auth, as ``generate_presigned_url``
makes them) are checked the same way: known key, matching signature, and not past ``X-Amz-Expires``
(at most 7 days, as on AWS); the board plays MP4 masters through them. The clock skew AWS allows
(15 minutes) is enforced too.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

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
            return verify_presigned(environ, credentials)
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


PRESIGNED_CREDENTIAL = re.compile(r"(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600


def verify_presigned(environ: dict[str, Any], credentials: Mapping[str, str]) -> tuple[str, str]:
    """Check a presigned S3 URL (SigV4 in the query string); returns its (service, region), else raises."""
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query = dict(pairs)
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise SignatureProblem("AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256")
    match = PRESIGNED_CREDENTIAL.fullmatch(query.get("X-Amz-Credential", ""))
    if match is None or match["service"] != "s3":
        raise SignatureProblem("AuthorizationQueryParametersError", "X-Amz-Credential is malformed")
    secret = credentials.get(match["key"])
    if secret is None:
        raise SignatureProblem("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist")
    amz_date = query.get("X-Amz-Date", "")
    try:
        signed_at = pendulum.from_format(amz_date, "YYYYMMDD[T]HHmmss[Z]", tz="UTC")
        expires = int(query.get("X-Amz-Expires", ""))
    except ValueError:
        raise SignatureProblem("AuthorizationQueryParametersError", "X-Amz-Date or X-Amz-Expires is bad") from None
    if not 1 <= expires <= MAX_PRESIGNED_SECONDS:
        raise SignatureProblem("AuthorizationQueryParametersError", "X-Amz-Expires must be 1 s to 7 days")
    if pendulum.now("UTC") > signed_at.add(seconds=expires):
        raise SignatureProblem("AccessDenied", "Request has expired")
    signed = query.get("X-Amz-SignedHeaders", "host").split(";")
    headers = {}
    for name in signed:
        value = _header(environ, name)
        if value is None:
            raise SignatureProblem("SignatureDoesNotMatch", f"signed header {name} is missing")
        headers[name] = " ".join(value.split())
    raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")).split("?")[0]
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs) if k != "X-Amz-Signature"
    )
    canonical_request = "\n".join(
        [
            environ["REQUEST_METHOD"],
            raw_path,
            canonical_query,
            "".join(f"{name}:{headers[name]}\n" for name in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = f"{match['date']}/{match['region']}/s3/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=f"http://{headers.get('host', '')}{raw_path}")
    request.context["timestamp"] = amz_date
    expected = S3SigV4Auth(Credentials(match["key"], secret), "s3", match["region"]).signature(string_to_sign, request)
    if not hmac.compare_digest(expected, query.get("X-Amz-Signature", "")):
        raise SignatureProblem(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return "s3", match["region"]


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
