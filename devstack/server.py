"""The local AWS media stack: every service on one port.

API requests must be signed (SigV4, with a key of ``DEVSTACK_CREDENTIALS``: ``devstack.sigv4``)
and are routed by the service in their SigV4 credential scope: ``mediapackage``,
``mediapackage-vod``, ``mediapackagev2`` and ``mediaconvert`` go to this project's emulators, everything else (S3,
IAM, STS, EventBridge, SQS, ...) to moto's server app running in the same process. Unsigned
requests are the media plane: ``/in/v2/...`` (live ingest, HTTP PUT with basic auth),
``/out/v1/...`` (origin endpoints), ``/vod/out/v1/...`` (VOD playback), and ``/_devstack/...``
(health and test controls, as is moto's ``/moto-api/``); any other unsigned request is refused,
as AWS refuses it.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from devstack import s3_listing
from devstack.aws import Sibling
from devstack.clock import RetentionClock
from devstack.config import Settings
from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.faults import (
    FaultRegistry,
    FaultyHarvestRunner,
    FaultyMediaConvert,
    FaultyMediaPackageVod,
    FaultyV2HarvestRunner,
)
from devstack.faults import admin as fault_admin
from devstack.faults import wire as fault_wire
from devstack.ingest import ingest_request
from devstack.mediapackage import MediaPackage
from devstack.mediapackagev2 import MediaPackageV2
from devstack.mediapackagev2.media_plane import PREFIXES as V2_MEDIA_PREFIXES
from devstack.mediapackagev2.media_plane import V2MediaPlane
from devstack.playlists import media_playlist, multivariant
from devstack.protocols import emulate, error_response, internal_error
from devstack.restjson import ServiceError
from devstack.sigv4 import SignatureProblem, verify_request

log = logging.getLogger(__name__)

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
INGEST_PATH = re.compile(r"^/in/v2/(?P<channel>[0-9a-f]+)/(?P<ingest>[0-9a-f]+)/(?P<file>[A-Za-z0-9_.-]+)$")
ORIGIN_PATH = re.compile(r"^/out/v1/(?P<hash>[0-9a-f]+)/(?P<file>[A-Za-z0-9_.-]+)$")
VOD_PATH = re.compile(r"^/vod/out/v1/(?P<group>[0-9a-f]+)/(?P<config>[0-9a-f]+)/(?P<asset>[0-9a-f]+)/(?P<file>.+)$")
MEDIA_CHILD = re.compile(r"^(?P<stem>.+)_(?P<index>\d+)\.m3u8$")
MEDIA_SEGMENT = re.compile(r"^(?P<stem>.+)_(?P<index>\d+)_(?P<seq>\d+)\.ts$")


def signing_scope(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(service, region) from a SigV4 Authorization header or presigned query string."""
    text = environ.get("HTTP_AUTHORIZATION", "")
    match = CREDENTIAL_SCOPE.search(text)
    if match is None:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        credential = query.get("X-Amz-Credential", [""])[0]
        match = CREDENTIAL_SCOPE.search(f"Credential={credential}")
    return (match["service"], match["region"]) if match else None


class MediaStack:
    """The WSGI application and the services behind it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        settings.home.mkdir(parents=True, exist_ok=True)
        self.clock = RetentionClock()
        self.sibling = Sibling(settings.account_id)
        self.faults = FaultRegistry.from_env()  # DEVSTACK_FAULTS; none by default
        self.runner = FaultyHarvestRunner(settings, self.sibling, self.faults)
        self.mediapackage = MediaPackage(settings, self.clock, self.runner)
        self.vod = FaultyMediaPackageVod(settings, self.sibling, self.faults)
        self.v2_runner = FaultyV2HarvestRunner(settings, self.sibling, self.faults)
        self.mediapackagev2 = MediaPackageV2(settings, self.clock, self.v2_runner)
        self.v2_media = V2MediaPlane(self.mediapackagev2, settings)
        self.mediaconvert = FaultyMediaConvert(settings, self.sibling, self.faults)
        self.services = {
            "mediapackage": emulate("mediapackage", self.mediapackage),
            "mediapackage-vod": emulate("mediapackage-vod", self.vod),
            "mediapackagev2": emulate("mediapackagev2", self.mediapackagev2),
            "mediaconvert": emulate("mediaconvert", self.mediaconvert),
        }
        self.service_locks = {name: threading.Lock() for name in self.services}
        s3_listing.install()  # S3 lists in linear time, as on AWS
        self.moto = DomainDispatcherApplication(create_backend_app)
        self._stop = threading.Event()
        self._janitor = threading.Thread(target=self._evict_loop, name="evict", daemon=True)
        self._janitor.start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        scope = signing_scope(environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith(V2_MEDIA_PREFIXES):  # v2 ingest checks its own (optional) signature
            return self._media(Request(environ))(environ, start_response)
        if scope is None and path.startswith(("/in/v2/", "/out/v1/", "/vod/out/v1/", "/_devstack/")):
            return self._media(Request(environ))(environ, start_response)
        if scope is None and path.startswith("/moto-api/"):  # moto's own test controls (reset), like /_devstack
            return self.moto(environ, start_response)
        try:
            service, region = verify_request(environ, self.settings.credentials)
        except SignatureProblem as problem:
            # An unsigned request names no service: answered as S3 would, the service of plain URLs.
            refused = error_response(scope[0] if scope else "s3", problem.code, str(problem), 403)
            return refused(environ, start_response)
        faulted = fault_wire.intercept(self.faults, service, environ)
        if faulted is not None:
            return faulted(environ, start_response)
        if service in self.services:
            return self._api(service, region, environ, start_response)
        return self.moto(environ, start_response)

    def close(self) -> None:
        self._stop.set()
        self.runner.stop()
        self.v2_runner.stop()
        self.mediaconvert.stop()

    # -- API ------------------------------------------------------------------------------------

    def _api(self, service: str, region: str, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = self.services[service]
        # One request at a time per service: the handlers' region is per request.
        with self.service_locks[service]:
            handler.handler.region = region  # type: ignore[attr-defined]
            try:
                # Match on the raw path: labels such as ARNs arrive percent-encoded ('/' as %2F).
                raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path).split("?", 1)[0]
                query = request.args.to_dict(flat=False)
                response = handler.handle(request.method, raw_path, query, request.get_data(), request.headers)
            except ServiceError as exc:
                response = error_response(service, exc.code, exc.message, fields=exc.fields)
            except Exception as exc:
                log.exception("%s %s %s failed", service, request.method, request.path)
                response = error_response(service, internal_error(service).code, str(exc))
        return response(environ, start_response)

    # -- media plane ----------------------------------------------------------------------------

    def _media(self, request: Request) -> Response:
        path = request.path
        served = self.v2_media.handle(request)
        if served is not None:
            return served
        if match := INGEST_PATH.match(path):
            return self._ingest(request, match)
        if match := ORIGIN_PATH.match(path):
            return self._origin(request, match)
        if match := VOD_PATH.match(path):
            found = self.vod.playback_file(match["asset"], match["config"], match["file"])
            if found is None:
                return Response("not found\n", status=404)
            kind = HLS_CONTENT_TYPE if found.suffix == ".m3u8" else TS_CONTENT_TYPE
            # As MediaPackage's egress does: players on other origins (hls.js in a web page) may read it.
            return Response(found.read_bytes(), content_type=kind, headers={"Access-Control-Allow-Origin": "*"})
        if path == "/_devstack/health":
            return Response(json.dumps({"status": "ok"}), content_type="application/json")
        if path == "/_devstack/clock" and request.method == "POST":
            body = request.get_json(silent=True) or {}
            now = self.clock.advance(float(body.get("advance_seconds", 0)))
            self.mediapackage.purge_expired()
            self.mediapackagev2.purge_expired()
            return Response(json.dumps({"retention_clock": now.to_iso8601_string()}), content_type="application/json")
        if path == "/_devstack/faults" or path.startswith("/_devstack/faults/"):
            return fault_admin.handle(self.faults, request)
        if path.startswith("/_devstack/harvest_jobs/"):
            return self._harvest_failure(path.rsplit("/", 1)[-1])
        return Response("not found\n", status=404)

    def _harvest_failure(self, job_id: str) -> Response:
        """Why a harvest job failed: AWS carries this only in the event; tests and ops may ask here too."""
        for state in self.mediapackage.regions.values():
            job = state.harvest_jobs.get(job_id)
            if job is not None:
                body = {"id": job_id, "status": job.record["Status"], "message": job.failure}
                return Response(json.dumps(body), content_type="application/json")
        return Response(json.dumps({"message": f"harvest job {job_id} does not exist"}), status=404)

    def _ingest(self, request: Request, match: re.Match[str]) -> Response:
        body = request.get_data()  # always drain the body, even when refusing the request
        target = self.mediapackage.ingest_target(match["channel"], match["ingest"])
        if target is None:
            return Response("no such ingest endpoint\n", status=404)
        channel, ingest = target
        if not ingest_authorized(request.headers.get("Authorization"), ingest):
            return unauthorized()
        return ingest_request(channel.content, ingest["Id"], request.method, match["file"], body)

    def _origin(self, request: Request, match: re.Match[str]) -> Response:
        found = self.mediapackage.origin_target(match["hash"])
        if found is None:
            return Response("no such origin endpoint\n", status=404)
        endpoint, channel = found
        hls = endpoint.get("HlsPackage")
        if hls is None:
            return Response("the local stack serves HLS origin endpoints only\n", status=404)
        manifest = endpoint["ManifestName"]
        content = channel.content
        name = match["file"]
        renditions = content.ordered_renditions()
        if name == f"{manifest}.m3u8":
            if not renditions:
                return Response("the channel has no content yet\n", status=404)
            body = multivariant(renditions, lambda i: f"{manifest}_{i}.m3u8")
            return Response(body, content_type=HLS_CONTENT_TYPE, headers={"Cache-Control": "max-age=2"})
        child = MEDIA_CHILD.match(name)
        if child and child["stem"] == manifest and 1 <= int(child["index"]) <= len(renditions):
            index = int(child["index"])
            rendition = renditions[index - 1][0]
            edge_ms = int((time.time() - endpoint.get("TimeDelaySeconds", 0)) * 1000)
            from_ms = edge_ms - int(hls["PlaylistWindowSeconds"] * 1000)
            with content.lock:
                segments = [s for s in rendition.segments if from_ms < s.end_ms <= edge_ms]
                ended = rendition.ended and segments == rendition.segments[-len(segments) :]
            body = media_playlist(
                segments,
                lambda s: f"{manifest}_{index}_{s.seq}.ts",
                version=rendition.version,
                vod=False,
                pdt_interval_seconds=hls.get("ProgramDateTimeIntervalSeconds") or 0,
                ended=ended,
            )
            return Response(body, content_type=HLS_CONTENT_TYPE, headers={"Cache-Control": "max-age=1"})
        seg = MEDIA_SEGMENT.match(name)
        if seg and seg["stem"] == manifest and 1 <= int(seg["index"]) <= len(renditions):
            rendition = renditions[int(seg["index"]) - 1][0]
            segment = rendition.by_seq.get(int(seg["seq"]))
            if segment is not None and segment.path.exists():
                return Response(segment.path.read_bytes(), content_type=TS_CONTENT_TYPE)
        return Response("not found\n", status=404)

    # -- housekeeping ---------------------------------------------------------------------------

    def _evict_loop(self) -> None:
        while not self._stop.wait(5):
            self.evict_once()

    def evict_once(self) -> int:
        """Drop content older than each channel's longest startover window, and expired job records."""
        now_ms = int(time.time() * 1000)
        dropped = 0
        held = self.mediapackage.retention_by_channel() + self.mediapackagev2.retention_by_channel()
        for content, keep_seconds in held:
            dropped += content.evict(now_ms - keep_seconds * 1000)
        self.mediapackage.purge_expired()
        self.mediapackagev2.purge_expired()
        return dropped


def ingest_authorized(header: str | None, ingest: dict[str, Any]) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except Exception:
        return False
    return hmac.compare_digest(user, ingest["Username"]) and hmac.compare_digest(password, ingest["Password"])


def unauthorized() -> Response:
    return Response("authentication required\n", status=401, headers={"WWW-Authenticate": 'Basic realm="MediaPackage"'})


class StackRequestHandler(MotoRequestHandler):
    """Answers ``Expect: 100-continue`` on ingest with 401 before the body when credentials are
    missing or wrong, as encoders expect (ffmpeg then retries with its credentials)."""

    def handle_expect_100(self) -> bool:
        match = INGEST_PATH.match(self.path.split("?", 1)[0])
        stack: MediaStack = self.server.app  # type: ignore[attr-defined]
        if match:
            target = stack.mediapackage.ingest_target(match["channel"], match["ingest"])
            if target is None or not ingest_authorized(self.headers.get("Authorization"), target[1]):
                status = 404 if target is None else 401
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="MediaPackage"')
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                return False
        return True  # werkzeug sends the 100 Continue itself

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


def make_stack_server(settings: Settings) -> tuple[BaseWSGIServer, MediaStack]:
    stack = MediaStack(settings)
    server = make_server(settings.host, settings.port, stack, threaded=True, request_handler=StackRequestHandler)
    return server, stack


class StackThread:
    """The stack in a background thread of this process (tests, benchmarks)."""

    def __init__(self, settings: Settings):
        self.server, self.stack = make_stack_server(settings)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name="devstack", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.stack.settings.host}:{self.port}"

    def __enter__(self) -> StackThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.stack.close()
