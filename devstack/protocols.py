"""AWS wire protocols by botocore's service models: the one place that picks, per service, how a
request names its operation, how an emulated service is parsed and serialized, and how an error
is written.

A service's protocol is its model's ``metadata['protocol']``: ``rest-json`` (MediaPackage, VOD),
``rest-xml`` (S3), ``json`` (SQS, EventBridge), ``query`` (IAM, STS), ``ec2``. The stack emulates
rest-json services itself (:mod:`devstack.restjson`); moto speaks the others. Every error the stack
writes itself -- a refused signature, an injected fault, a modeled error of an emulated service --
goes through :func:`error_response`, in the shape botocore parses for that protocol.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel
from werkzeug.wrappers import Response

from devstack.restjson import RestJsonService, RestRoutes, ServiceError

# What a service botocore does not know (an unusual signing name) is answered in.
FALLBACK_PROTOCOL = "rest-json"


@dataclass(frozen=True)
class WireError:
    """An error as the protocol's services send it: code, HTTP status, default message."""

    code: str
    status: int
    message: str


@functools.cache
def service_model(service: str) -> ServiceModel | None:
    """botocore's model of ``service`` (the SigV4 signing name), or None when botocore has none."""
    try:
        return botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return None


def protocol(service: str) -> str:
    """The service's wire protocol; FALLBACK_PROTOCOL for a service or protocol this module does not know."""
    model = service_model(service)
    return model.protocol if model is not None and model.protocol in _PROTOCOLS else FALLBACK_PROTOCOL


def emulate(service: str, handler: object) -> RestJsonService:
    """The parser and serializer of an emulated service, by its protocol, around its handler."""
    model = service_model(service)
    if model is None or model.protocol != "rest-json":
        raise ValueError(f"{service}: the stack emulates rest-json services only, not {protocol(service)}")
    statuses = _modeled_statuses(service)
    # A request that does not fit the model: the service's own error for it (v2 ``ValidationException``,
    # MediaConvert ``BadRequestException``, MediaPackage v1 and VOD ``UnprocessableEntityException``).
    invalid = next(
        (c for c in ("ValidationException", "BadRequestException", "UnprocessableEntityException") if c in statuses),
        "UnprocessableEntityException",
    )
    return RestJsonService(model, handler, invalid)


# -- operation names ------------------------------------------------------------------------------


def operation_name(service: str, environ: dict[str, Any]) -> str:
    """The botocore operation name of a signed call ('' when unknown: only ``*`` matches it)."""
    return _PROTOCOLS[protocol(service)].operation(service, environ)


@functools.cache
def _routes(service: str) -> RestRoutes | None:
    model = service_model(service)
    return RestRoutes(model) if model is not None else None


def _rest_operation(service: str, environ: dict[str, Any]) -> str:
    method = environ.get("REQUEST_METHOD", "GET")
    if service == "s3":  # S3 tells operations apart by query subresources and headers the routes ignore
        return s3_operation(method, environ.get("PATH_INFO", "/"), environ.get("QUERY_STRING", ""), environ)
    routes = _routes(service)
    if routes is None:
        return ""
    # The raw path: labels such as ARNs arrive percent-encoded ('/' as %2F).
    raw = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
    try:
        return routes.match(method, raw)[0].operation.name
    except ServiceError:
        return ""


def _json_operation(service: str, environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return target.rsplit(".", 1)[-1]


def _query_operation(service: str, environ: dict[str, Any]) -> str:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        # The action is in the body: read it and put it back for the service.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return ""


S3_BUCKET_SUBRESOURCES = {
    "acl": "Acl",
    "cors": "Cors",
    "encryption": "Encryption",
    "lifecycle": "LifecycleConfiguration",
    "location": "Location",
    "notification": "NotificationConfiguration",
    "policy": "Policy",
    "tagging": "Tagging",
    "versioning": "Versioning",
    "website": "Website",
}


def s3_operation(method: str, path: str, query_string: str, environ: dict[str, Any] | None = None) -> str:
    """S3 operation of a path-style request (what the stack's clients send)."""
    query = parse_qs(query_string, keep_blank_values=True)
    parts = path.lstrip("/").split("/", 1)
    bucket = parts[0]
    key = parts[1] if len(parts) > 1 else ""
    copy = bool(environ and environ.get("HTTP_X_AMZ_COPY_SOURCE"))
    if not bucket:
        return "ListBuckets" if method == "GET" else ""
    if not key:
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        for sub, name in S3_BUCKET_SUBRESOURCES.items():
            if sub in query:
                verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, "")
                return f"{verb}Bucket{name}" if verb else ""
        if method == "GET":
            if query.get("list-type") == ["2"]:
                return "ListObjectsV2"
            if "versions" in query:
                return "ListObjectVersions"
            if "uploads" in query:
                return "ListMultipartUploads"
            return "ListObjects"
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}.get(method, "")
    if "uploadId" in query:
        if method == "PUT":
            return "UploadPartCopy" if copy else "UploadPart"
        return {"GET": "ListParts", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}.get(method, "")
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if "tagging" in query:
        return {"GET": "GetObjectTagging", "PUT": "PutObjectTagging", "DELETE": "DeleteObjectTagging"}.get(method, "")
    if "acl" in query:
        return {"GET": "GetObjectAcl", "PUT": "PutObjectAcl"}.get(method, "")
    if method == "PUT":
        return "CopyObject" if copy else "PutObject"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, "")


# -- errors ---------------------------------------------------------------------------------------


def error_response(
    service: str,
    code: str,
    message: str,
    status: int | None = None,
    *,
    request_id: str | None = None,
    fields: dict[str, str] | None = None,
) -> Response:
    """An error of ``service`` in its protocol's shape; ``status`` None: the code's modeled status (else 400).

    (werkzeug leaves the body out of an answer to HEAD.)
    """
    if status is None:
        status = _modeled_statuses(service).get(code, 400)
    body, headers = _PROTOCOLS[protocol(service)].render(service, code, message, status, request_id)
    if fields and protocol(service) == "rest-json":  # modeled members beside the message
        body = json.dumps({**json.loads(body), **fields})
    return Response(body, status=status, headers=headers)


def throttling_error(service: str) -> WireError:
    """The throttling answer of ``service``: its modeled 429 error where it has one (MediaPackage v1
    ``TooManyRequestsException``, v2 ``ThrottlingException``), else its protocol's; botocore's retry
    handler counts either as throttling."""
    default = _PROTOCOLS[protocol(service)].throttling
    return _modeled_error(service, 429, default)


def internal_error(service: str) -> WireError:
    """The 5xx answer of ``service``: its modeled 500 error where it has one, else its protocol's;
    transient, retried by botocore."""
    return _modeled_error(service, 500, _PROTOCOLS[protocol(service)].internal)


def _modeled_error(service: str, status: int, default: WireError) -> WireError:
    if protocol(service) != "rest-json":  # the stack's other protocols answer with their services' own codes
        return default
    codes = sorted(code for code, modeled in _modeled_statuses(service).items() if modeled == status)
    return WireError(codes[0], status, default.message) if codes else default


@functools.cache
def _modeled_statuses(service: str) -> dict[str, int]:
    model = service_model(service)
    if model is None:
        return {}
    return {
        shape.name: shape.metadata.get("error", {}).get("httpStatusCode", 400)
        for name in model.operation_names
        for shape in model.operation_model(name).error_shapes
    }


Rendered = tuple[str, dict[str, str]]


def _rest_json_error(service: str, code: str, message: str, status: int, request_id: str | None) -> Rendered:
    return json.dumps({"message": message}), {"Content-Type": "application/json", "x-amzn-ErrorType": code}


def _json_error(service: str, code: str, message: str, status: int, request_id: str | None) -> Rendered:
    model = service_model(service)
    version = (model.metadata.get("jsonVersion") if model is not None else None) or "1.0"
    return json.dumps({"__type": code, "message": message}), {"Content-Type": f"application/x-amz-json-{version}"}


def _rest_xml_error(service: str, code: str, message: str, status: int, request_id: str | None) -> Rendered:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{_request_id(request_id)}</Error>"
    )
    return body, {"Content-Type": "application/xml"}


def _query_error(service: str, code: str, message: str, status: int, request_id: str | None) -> Rendered:
    side = "Sender" if status < 500 else "Receiver"
    body = (
        f"<ErrorResponse><Error><Type>{side}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error>{_request_id(request_id)}</ErrorResponse>"
    )
    return body, {"Content-Type": "text/xml"}


def _ec2_error(service: str, code: str, message: str, status: int, request_id: str | None) -> Rendered:
    body = (
        f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
        f"{_request_id(request_id, 'RequestID')}</Response>"
    )
    return body, {"Content-Type": "text/xml"}


def _request_id(request_id: str | None, tag: str = "RequestId") -> str:
    return f"<{tag}>{escape(request_id)}</{tag}>" if request_id else ""


@dataclass(frozen=True)
class _Protocol:
    operation: Callable[[str, dict[str, Any]], str]
    render: Callable[[str, str, str, int, str | None], Rendered]
    throttling: WireError
    internal: WireError


_QUERY_ERRORS = {
    "throttling": WireError("Throttling", 400, "Rate exceeded"),
    "internal": WireError("InternalFailure", 500, "Internal failure"),
}
_PROTOCOLS: dict[str, _Protocol] = {
    "rest-json": _Protocol(
        _rest_operation,
        _rest_json_error,
        WireError("TooManyRequestsException", 429, "Too many requests"),
        WireError("InternalServerErrorException", 500, "Internal server error"),
    ),
    # S3's own codes: S3 is the rest-xml service the stack serves.
    "rest-xml": _Protocol(
        _rest_operation,
        _rest_xml_error,
        WireError("SlowDown", 503, "Please reduce your request rate."),
        WireError("InternalError", 500, "We encountered an internal error. Please try again."),
    ),
    "json": _Protocol(
        _json_operation,
        _json_error,
        WireError("ThrottlingException", 400, "Rate exceeded"),
        WireError("InternalFailure", 500, "Internal failure"),
    ),
    "query": _Protocol(_query_operation, _query_error, **_QUERY_ERRORS),
    "ec2": _Protocol(_query_operation, _ec2_error, **_QUERY_ERRORS),
}
