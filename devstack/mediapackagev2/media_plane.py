"""The v2 media plane over HTTP: ingest (encoders PUT) and the origin (players and harvests GET).

Ingest is authorized as on AWS, by the channel policy (``mediapackagev2:PutObject`` on the
channel): a SigV4-signed PUT (service ``mediapackagev2``, how MediaLive and Elemental Live push)
comes from the identity of its access key (``arn:aws:iam::ACCOUNT:user/KEY`` in this account); an
unsigned PUT (an encoder that cannot sign, e.g. ffmpeg) is anonymous and passes only a statement
for ``"Principal": "*"``, which should carry an ``aws:SourceIp`` condition. The origin serves
every manifest of an endpoint; origin requests are not authorized here (the endpoint policy is
read only for harvests).
"""

from __future__ import annotations

import logging
import re
import time

from werkzeug.wrappers import Request, Response

from devstack.config import Settings
from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.ingest import ingest_request
from devstack.mediapackagev2 import origin
from devstack.mediapackagev2.harvest import DASH_CONTENT_TYPE, MP4_CONTENT_TYPE
from devstack.mediapackagev2.service import MediaPackageV2
from devstack.resource_policy import Caller
from devstack.sigv4 import SignatureProblem, access_key, verify_request

log = logging.getLogger(__name__)

_NAME = r"[a-zA-Z0-9_-]{1,256}"
INGEST_PATH = re.compile(
    rf"^/in/v2mp/(?P<region>[a-z0-9-]+)/(?P<group>{_NAME})/(?P<channel>{_NAME})/(?P<ingest>[12])/(?P<file>[A-Za-z0-9_.-]+)$"
)
ORIGIN_PATH = re.compile(
    rf"^/out/v2mp/(?P<region>[a-z0-9-]+)/(?P<group>{_NAME})/(?P<channel>{_NAME})/(?P<endpoint>{_NAME})"
    r"/(?P<file>[A-Za-z0-9_.-]+)$"
)
PREFIXES = ("/in/v2mp/", "/out/v2mp/")


class V2MediaPlane:
    def __init__(self, service: MediaPackageV2, settings: Settings):
        self.service = service
        self.settings = settings

    def handle(self, request: Request) -> Response | None:
        if match := INGEST_PATH.match(request.path):
            return self.ingest(request, match)
        if match := ORIGIN_PATH.match(request.path):
            return self.origin(request, match)
        return None

    # -- ingest ---------------------------------------------------------------------------------

    def caller(self, request: Request) -> Caller | SignatureProblem:
        context = {"aws:sourceip": request.remote_addr or "127.0.0.1"}
        if not request.headers.get("Authorization"):
            return Caller(context=context)
        try:
            service, _ = verify_request(request.environ, self.settings.credentials)
        except SignatureProblem as problem:
            return problem
        if service != "mediapackagev2":
            return SignatureProblem("InvalidSignatureException", f"signed for {service}, not mediapackagev2")
        account = self.settings.account_id
        key = access_key(request.environ)
        return Caller(arn=f"arn:aws:iam::{account}:user/{key}", account=account, context=context)

    def ingest(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.caller(request)  # reads (and keeps) the body of a signed request
        body = request.get_data()  # always drain the body, even when refusing the request
        channel = self.service.channel_at(match["region"], match["group"], match["channel"])
        if channel is None or channel.content is None:
            return Response("no such channel\n", status=404)
        if isinstance(caller, SignatureProblem):
            return Response(f"{caller.code}: {caller}\n", status=403)
        if not self.service.ingest_allowed(channel, caller):
            who = caller.arn or "an anonymous (unsigned) caller"
            return Response(
                f"AccessDenied: the channel policy does not allow {who} mediapackagev2:PutObject "
                f"on {channel.record['Arn']}\n",
                status=403,
            )
        return ingest_request(channel.content, match["ingest"], request.method, match["file"], body)

    # -- origin ---------------------------------------------------------------------------------

    def origin(self, request: Request, match: re.Match[str]) -> Response:
        found = self.service.origin_target(match["region"], match["group"], match["channel"], match["endpoint"])
        if found is None:
            return Response("no such origin endpoint\n", status=404)
        endpoint, content = found
        layout = origin.layout_of(endpoint)
        renditions = content.ordered_renditions()
        name = match["file"]
        stem, _, suffix = name.rpartition(".")
        if suffix in ("m3u8", "mpd"):
            child = origin.CHILD.match(name)
            manifest_name = child["manifest"] if child else stem
            kind = origin.manifest_kind(endpoint, manifest_name)
            if kind is None or (suffix == "mpd") != (kind == "DashManifests"):
                return Response("not found\n", status=404)
            if not renditions:
                return Response("the channel has no content yet\n", status=404)
            settings = origin.manifest(endpoint, kind, manifest_name)
            window_ms = int((settings.get("ManifestWindowSeconds") or 60) * 1000)
            edge_ms = int(time.time() * 1000)
            with content.lock:
                live = [
                    (rendition, [s for s in rendition.segments if edge_ms - window_ms < s.end_ms <= edge_ms])
                    for rendition, _ in renditions
                ]
            if kind == "DashManifests":
                tracks = []
                for i, ((_, variant), (rendition, segments)) in enumerate(zip(renditions, live, strict=True), 1):
                    if segments:
                        track = origin.track_of(segments[0])
                        times = origin.media_times(rendition, segments, track.timescale)
                        tracks.append(origin.DashTrack(i, variant, track, segments, *times))
                body = origin.dash_mpd(layout, tracks, static=False, window_seconds=window_ms / 1000)
                return Response(body, content_type=DASH_CONTENT_TYPE, headers={"Cache-Control": "max-age=2"})
            if child is None:
                body = origin.hls_multivariant(renditions, manifest_name)
                return Response(body, content_type=HLS_CONTENT_TYPE, headers={"Cache-Control": "max-age=2"})
            index = int(child["index"])
            if not 1 <= index <= len(live):
                return Response("not found\n", status=404)
            rendition, segments = live[index - 1]
            body = origin.hls_media(
                layout,
                index,
                rendition,
                segments,
                vod=False,
                pdt_interval_seconds=settings.get("ProgramDateTimeIntervalSeconds") or 0,
                ended=rendition.ended,
            )
            return Response(body, content_type=HLS_CONTENT_TYPE, headers={"Cache-Control": "max-age=1"})
        parsed = layout.parse_segment(name)
        if parsed is None or not 1 <= parsed[0] <= len(renditions):
            return Response("not found\n", status=404)
        index, seq = parsed
        rendition = renditions[index - 1][0]
        with content.lock:
            segment = rendition.by_seq.get(seq) if seq is not None else (rendition.segments or [None])[-1]
        if segment is None:
            return Response("not found\n", status=404)
        try:
            if seq is None:
                return Response(origin.init_bytes(segment), content_type=MP4_CONTENT_TYPE)
            decode_time = None
            if layout.is_cmaf:
                track = origin.track_of(segment)
                decode_time = origin.media_times(rendition, [segment], track.timescale)[0][0]
            body = origin.segment_bytes(layout, segment, decode_time)
        except FileNotFoundError:
            return Response("not found\n", status=404)
        return Response(body, content_type=MP4_CONTENT_TYPE if layout.is_cmaf else TS_CONTENT_TYPE)
