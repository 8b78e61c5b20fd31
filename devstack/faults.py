"""Fault injection in the local media stack: off by default, driven by rules.

A rule picks calls by ``service`` and ``operation`` (botocore names, ``*`` and fnmatch patterns)
and answers some of them, by ``rate`` (seeded) or ``count``, after skipping the first ``after``:

* ``throttle``: the service's throttling error (mediapackage/-vod ``TooManyRequestsException``
  429, S3 ``SlowDown`` 503, JSON services ``ThrottlingException`` 400, query services
  ``Throttling`` 400), which botocore's retry handlers classify as throttling;
* ``error``: a 5xx (``InternalServerErrorException`` / S3 ``InternalError`` / ``InternalFailure``);
* ``latency``: ``seconds`` added before the call is served normally;
* ``drop``: the connection is closed without a response.

Harvest rules pick jobs by ``job`` (fnmatch on the job ``Id``): ``harvest_fail`` (``message``),
``harvest_stuck`` (``seconds`` more IN_PROGRESS), ``harvest_damage`` (``damage``, applied to the
written asset). ``vod_fail`` picks VOD assets by ``asset`` (fnmatch on the asset ``Id``).

Rules come from ``DEVSTACK_FAULTS`` (a JSON list) at start and from ``/_devstack/faults``.
Every rule counts the calls it ``matched`` and the times it ``fired``.
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import posixpath
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import m3u8
from werkzeug.wrappers import Request, Response

from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.harvest import HarvestFailure, HarvestRunner, asset_layout
from devstack.restjson import RestJsonService, ServiceError
from devstack.vod import Asset, MediaPackageVod, SourceProblem

API_KINDS = frozenset({"throttle", "error", "latency", "drop"})
HARVEST_KINDS = frozenset({"harvest_fail", "harvest_stuck", "harvest_damage"})
VOD_KINDS = frozenset({"vod_fail"})
KINDS = API_KINDS | HARVEST_KINDS | VOD_KINDS
DAMAGES = (
    "missing_segment",
    "truncated_child",
    "missing_endlist",
    "gap",
    "zero_byte_segment",
    "missing_rendition",
)
ENV_VAR = "DEVSTACK_FAULTS"
FIELDS = {
    "kind",
    "service",
    "operation",
    "rate",
    "count",
    "after",
    "seed",
    "seconds",
    "message",
    "job",
    "asset",
    "damage",
}
OUTPUT_ORDER = ("id", *sorted(FIELDS), "matched", "fired")


class FaultError(ValueError):
    """A malformed rule; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class FaultRule:
    id: str
    kind: str
    service: str | None = None
    operation: str | None = None
    rate: float | None = None
    count: int | None = None
    after: int = 0
    seed: int | None = None
    seconds: float | None = None
    message: str | None = None
    job: str | None = None
    asset: str | None = None
    damage: str | None = None
    matched: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in OUTPUT_ORDER}
        return {k: v for k, v in out.items() if v is not None}

    def decide(self) -> bool:
        """One matching call: does the rule fire on it? (Caller holds the registry lock.)"""
        self.matched += 1
        if self.matched <= self.after:
            return False
        if self.count is not None:
            fire = self.fired < self.count
        else:
            fire = self.rng.random() < (self.rate or 0.0)
        if fire:
            self.fired += 1
        return fire


def parse_rule(data: Any, rule_id: str) -> FaultRule:
    """Validate one rule; FaultError names the first bad field."""
    if not isinstance(data, dict):
        raise FaultError("rule", "must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise FaultError(unknown[0], f"unknown field (known: {', '.join(sorted(FIELDS))})")
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultError("kind", f"must be one of {', '.join(sorted(KINDS))}, got {kind!r}")
    allowed = {"kind", "rate", "count", "after", "seed"}
    if kind in API_KINDS:
        allowed |= {"service", "operation"}
    if kind in ("throttle", "error", "harvest_fail", "vod_fail"):
        allowed.add("message")
    if kind in ("latency", "harvest_stuck"):
        allowed.add("seconds")
    if kind in HARVEST_KINDS:
        allowed.add("job")
    if kind == "harvest_damage":
        allowed.add("damage")
    if kind in VOD_KINDS:
        allowed.add("asset")
    for name in data:
        if name not in allowed:
            raise FaultError(name, f"does not apply to kind {kind}")

    def text(name: str, default: str | None = None) -> str | None:
        value = data.get(name, default)
        if value is not None and (not isinstance(value, str) or not value):
            raise FaultError(name, f"must be a non-empty string, got {value!r}")
        return value

    def integer(name: str, minimum: int) -> int | None:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
            raise FaultError(name, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def number(name: str) -> float | None:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise FaultError(name, f"must be a number >= 0, got {value!r}")
        return None if value is None else float(value)

    rule = FaultRule(
        id=rule_id,
        kind=kind,
        service=text("service", "*") if kind in API_KINDS else None,
        operation=text("operation", "*") if kind in API_KINDS else None,
        rate=number("rate"),
        count=integer("count", 1),
        after=integer("after", 0) or 0,
        seed=integer("seed", -(2**63)),
        seconds=number("seconds"),
        message=text("message"),
        job=text("job", "*") if kind in HARVEST_KINDS else None,
        asset=text("asset", "*") if kind in VOD_KINDS else None,
        damage=data.get("damage"),
    )
    if rule.rate is not None and rule.rate > 1:
        raise FaultError("rate", f"must be between 0 and 1, got {rule.rate!r}")
    if rule.rate is not None and rule.count is not None:
        raise FaultError("count", "give either rate or count, not both")
    if rule.rate is None and rule.count is None:
        if kind in API_KINDS:
            raise FaultError("count", "give either rate (0..1) or count (the next N matching calls)")
        rule.count = 1  # a harvest or VOD fault hits the next matching job or asset by default
    if kind in ("latency", "harvest_stuck") and rule.seconds is None:
        raise FaultError("seconds", f"is required for kind {kind}")
    if kind == "harvest_damage" and rule.damage not in DAMAGES:
        raise FaultError("damage", f"must be one of {', '.join(DAMAGES)}, got {rule.damage!r}")
    rule.rng = random.Random(rule.seed)
    return rule


class FaultRegistry:
    """The stack's rules, thread-safe."""

    def __init__(self, rules: Iterable[dict[str, Any]] = ()):
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._next = 0
        for rule in rules:
            self.add(rule)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> FaultRegistry:
        raw = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        if not raw:
            return cls()
        try:
            rules = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_VAR} is not valid JSON: {exc}") from None
        if isinstance(rules, dict):
            rules = [rules]
        if not isinstance(rules, list):
            raise ValueError(f"{ENV_VAR} must be a JSON list of rules")
        registry = cls()
        for index, rule in enumerate(rules):
            try:
                registry.add(rule)
            except FaultError as exc:
                raise ValueError(f"{ENV_VAR}[{index}].{exc}") from None
        return registry

    # -- rules ----------------------------------------------------------------------------------

    def add(self, data: Any) -> dict[str, Any]:
        with self._lock:
            rule = parse_rule(data, f"f{self._next + 1}")
            self._next += 1
            self._rules[rule.id] = rule
            return rule.to_dict()

    def get(self, rule_id: str) -> dict[str, Any] | None:
        with self._lock:
            rule = self._rules.get(rule_id)
            return None if rule is None else rule.to_dict()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules.values()]

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> int:
        with self._lock:
            removed = len(self._rules)
            self._rules.clear()
            return removed

    def take(self, kinds: frozenset[str] | set[str], key: str) -> FaultRule | None:
        """The first harvest/VOD rule of ``kinds`` matching ``key`` that fires (counted), if any."""
        with self._lock:
            for rule in self._rules.values():
                pattern = rule.job if rule.kind in HARVEST_KINDS else rule.asset
                if rule.kind in kinds and fnmatch.fnmatchcase(key, pattern or "*") and rule.decide():
                    return rule
        return None

    # -- API calls ------------------------------------------------------------------------------

    def wants(self, service: str) -> bool:
        if not self._rules:  # the common case, without the lock
            return False
        with self._lock:
            return any(
                r.kind in API_KINDS and fnmatch.fnmatchcase(service, r.service or "*") for r in self._rules.values()
            )

    def api_faults(self, service: str, operation: str) -> tuple[float, FaultRule | None]:
        """(latency to add, the blocking rule that fired) for one call; at most one blocking rule fires."""
        delay = 0.0
        blocking: FaultRule | None = None
        with self._lock:
            for rule in self._rules.values():
                if rule.kind not in API_KINDS or (blocking is not None and rule.kind != "latency"):
                    continue
                if not fnmatch.fnmatchcase(service, rule.service or "*"):
                    continue
                if not fnmatch.fnmatchcase(operation, rule.operation or "*"):
                    continue
                if rule.decide():
                    if rule.kind == "latency":
                        delay += rule.seconds or 0.0
                    else:
                        blocking = rule
        return delay, blocking

    def intercept(self, service: str, environ: dict[str, Any], rest: RestJsonService | None) -> Callable | None:
        """A WSGI app answering this signed call with a fault, or None to serve it (maybe late)."""
        if not self.wants(service):
            return None
        operation = operation_name(service, environ, rest)
        delay, rule = self.api_faults(service, operation)
        if delay:
            time.sleep(delay)
        if rule is None:
            return None
        if rule.kind == "drop":
            return _drop
        return fault_response(rule, service, environ, rest)

    # -- control endpoint -----------------------------------------------------------------------

    def admin(self, request: Request) -> Response:
        """``/_devstack/faults`` (GET list, POST add, DELETE clear) and ``/_devstack/faults/{id}``."""
        rest = request.path[len("/_devstack/faults") :].strip("/")
        if not rest:
            if request.method == "GET":
                return _json({"faults": self.list()})
            if request.method == "DELETE":
                return _json({"removed": self.clear()})
            if request.method == "POST":
                try:
                    body = json.loads(request.get_data() or b"null")
                except ValueError as exc:
                    return _json({"message": f"body: not valid JSON: {exc}", "field": "body"}, 400)
                try:
                    if isinstance(body, list):
                        return _json({"faults": [self.add(rule) for rule in body]}, 201)
                    return _json(self.add(body), 201)
                except FaultError as exc:
                    return _json({"message": str(exc), "field": exc.field}, 400)
            return _json({"message": f"method {request.method} not allowed"}, 405)
        if request.method == "GET":
            found = self.get(rest)
            return _json(found) if found else _json({"message": f"fault {rest} does not exist"}, 404)
        if request.method == "DELETE":
            if self.remove(rest):
                return Response(status=204)
            return _json({"message": f"fault {rest} does not exist"}, 404)
        return _json({"message": f"method {request.method} not allowed"}, 405)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


# -- operation names ------------------------------------------------------------------------------

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


def operation_name(service: str, environ: dict[str, Any], rest: RestJsonService | None) -> str:
    """The botocore operation name of a signed call ('' when unknown: only ``*`` matches it)."""
    method = environ.get("REQUEST_METHOD", "GET")
    if rest is not None:
        raw = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
        try:
            return rest._route(method, raw)[0].operation.name
        except ServiceError:
            return ""
    if service == "s3":
        return s3_operation(method, environ.get("PATH_INFO", "/"), environ.get("QUERY_STRING", ""), environ)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        # Query protocol: the action is in the body; read it and put it back for the service.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return ""


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


# -- fault responses ------------------------------------------------------------------------------


def _drop(environ: dict[str, Any], start_response: Any) -> Any:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # werkzeug treats a ConnectionError as a dropped connection: no response, no 500.
    raise ConnectionAbortedError("devstack fault: connection dropped")


def fault_response(rule: FaultRule, service: str, environ: dict[str, Any], rest: RestJsonService | None) -> Response:
    throttle = rule.kind == "throttle"
    if rest is not None:
        code = "TooManyRequestsException" if throttle else "InternalServerErrorException"
        message = rule.message or ("Too many requests" if throttle else "Internal server error")
        result = rest.error_response(ServiceError(code, message))
        return Response(result.body, status=result.status, headers=result.headers)
    if service == "s3":
        code, status = ("SlowDown", 503) if throttle else ("InternalError", 500)
        message = rule.message or (
            "Please reduce your request rate." if throttle else "We encountered an internal error. Please try again."
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"<RequestId>devstack-fault-{rule.id}</RequestId></Error>"
        )
        if environ.get("REQUEST_METHOD") == "HEAD":
            return Response(status=status)
        return Response(body, status=status, content_type="application/xml")
    message = rule.message or ("Rate exceeded" if throttle else "Internal failure")
    if environ.get("HTTP_X_AMZ_TARGET"):
        code, status = ("ThrottlingException", 400) if throttle else ("InternalFailure", 500)
        content_type = environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1"
        return Response(json.dumps({"__type": code, "message": message}), status=status, content_type=content_type)
    code, status, side = ("Throttling", 400, "Sender") if throttle else ("InternalFailure", 500, "Receiver")
    body = (
        f"<ErrorResponse><Error><Type>{side}</Type><Code>{code}</Code><Message>{_xml(message)}</Message></Error>"
        f"<RequestId>devstack-fault-{rule.id}</RequestId></ErrorResponse>"
    )
    return Response(body, status=status, content_type="text/xml")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- harvest and VOD faults -----------------------------------------------------------------------


class FaultyHarvestRunner(HarvestRunner):
    """The harvest runner, with the registry's harvest faults applied per job."""

    def __init__(self, settings: Any, sibling: Any, faults: FaultRegistry, workers: int = 4):
        super().__init__(settings, sibling, workers)
        self.faults = faults
        self._stuck: dict[int, float] = {}
        self._stuck_lock = threading.Lock()

    def harvest(self, job: Any, endpoint: dict[str, Any], content: Any) -> None:
        job_id = job.record["Id"]
        stuck = self.faults.take({"harvest_stuck"}, job_id)
        if stuck is not None:
            with self._stuck_lock:
                self._stuck[id(job)] = stuck.seconds or 0.0
        failed = self.faults.take({"harvest_fail"}, job_id)
        if failed is not None:
            raise HarvestFailure(failed.message or "injected fault: the harvest job failed")
        super().harvest(job, endpoint, content)
        damage = self.faults.take({"harvest_damage"}, job_id)
        if damage is not None:
            dest = job.record["S3Destination"]
            damage_asset(self.sibling, dest["BucketName"], dest["ManifestKey"], damage.damage or "")

    def _complete(self, job: Any, failure: str | None) -> None:
        with self._stuck_lock:
            seconds = self._stuck.pop(id(job), 0.0)
        if seconds > 0:
            timer = threading.Timer(seconds, super()._complete, (job, failure))
            timer.daemon = True
            timer.start()
            return
        super()._complete(job, failure)


class FaultyMediaPackageVod(MediaPackageVod):
    """MediaPackage VOD, with the registry's ``vod_fail`` faults applied per asset."""

    def __init__(self, settings: Any, sibling: Any, faults: FaultRegistry):
        super().__init__(settings, sibling)
        self.faults = faults

    def _copy_source(self, asset: Asset) -> None:
        rule = self.faults.take({"vod_fail"}, asset.record["Id"])
        if rule is not None:
            raise SourceProblem(rule.message or "injected fault: the asset failed to ingest")
        super()._copy_source(asset)


def damage_asset(sibling: Any, bucket: str, manifest_key: str, damage: str) -> str:
    """Damage a written asset in place (its first rendition, middle segment); returns the key touched."""
    s3 = sibling._s3  # the backend the harvester wrote through
    prefix, _ = asset_layout(manifest_key)
    parent = m3u8.loads(_read(sibling, bucket, manifest_key))
    children = list(dict.fromkeys([p.uri for p in parent.playlists] + [m.uri for m in parent.media if m.uri]))
    if damage == "missing_rendition":
        key = prefix + children[-1]
        s3.delete_object(bucket, key)
        return key
    child_key = prefix + children[0]
    text = _read(sibling, bucket, child_key)
    child = m3u8.loads(text)
    index = max(1, len(child.segments) // 2) if len(child.segments) > 1 else 0
    segment = child.segments[index]
    segment_key = posixpath.join(posixpath.dirname(child_key), segment.uri)
    if damage == "missing_segment":
        s3.delete_object(bucket, segment_key)
        return segment_key
    if damage == "zero_byte_segment":
        sibling.put_object(bucket, segment_key, b"", TS_CONTENT_TYPE)
        return segment_key
    if damage == "truncated_child":
        cut = text[: len(text) // 2].rstrip("\n")
        sibling.put_object(bucket, child_key, cut.encode(), HLS_CONTENT_TYPE)
        return child_key
    if damage == "missing_endlist":
        cut = "".join(line for line in text.splitlines(keepends=True) if line.strip() != "#EXT-X-ENDLIST")
        sibling.put_object(bucket, child_key, cut.encode(), HLS_CONTENT_TYPE)
        return child_key
    if damage == "gap":
        # Leave out one segment and stamp the next with its true time: a PDT jump, no discontinuity.
        if index + 1 >= len(child.segments):
            raise ValueError("a gap needs at least three segments in the rendition")
        after = child.segments[index + 1]
        when = after.current_program_date_time.isoformat(timespec="milliseconds")
        lines = text.splitlines(keepends=True)
        out: list[str] = []
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if line.startswith("#"):
                continue
            if line.strip() == segment.uri:
                pending = []  # drop the segment's EXTINF and URI
                continue
            if line.strip() == after.uri:
                pending.insert(0, f"#EXT-X-PROGRAM-DATE-TIME:{when}\n")
            out.extend(pending)
            pending = []
        out.extend(pending)
        sibling.put_object(bucket, child_key, "".join(out).encode(), HLS_CONTENT_TYPE)
        s3.delete_object(bucket, segment_key)
        return child_key
    raise ValueError(f"unknown damage {damage!r}")


def _read(sibling: Any, bucket: str, key: str) -> str:
    found = sibling.get_object(bucket, key)
    if found is None:
        raise FileNotFoundError(f"s3://{bucket}/{key}")
    return found[0].decode()


# -- client ---------------------------------------------------------------------------------------


class FaultControl:
    """Client of ``/_devstack/faults`` for tests and benches (urllib only)."""

    def __init__(self, base_url: str, timeout: float = 10):
        self.url = base_url.rstrip("/") + "/_devstack/faults"
        self.timeout = timeout

    def _call(self, method: str, path: str = "", body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except ValueError:
                pass
            raise ValueError(f"{method} {self.url}{path}: HTTP {exc.code}: {detail}") from None
        return json.loads(raw) if raw else None

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        return self._call("POST", body={"kind": kind, **fields})

    def list(self) -> list[dict[str, Any]]:
        return self._call("GET")["faults"]

    def get(self, rule_id: str) -> dict[str, Any]:
        return self._call("GET", f"/{rule_id}")

    def remove(self, rule_id: str) -> None:
        self._call("DELETE", f"/{rule_id}")

    def clear(self) -> int:
        return self._call("DELETE")["removed"]
