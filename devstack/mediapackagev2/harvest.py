"""v2 harvest jobs: the create-time rules, and running a job into S3 as MediaPackage v2 does.

A job is ``QUEUED`` when created and ``IN_PROGRESS`` as soon as it runs. Its end may be in the
future (a real-time harvest): it waits until the end has passed and the segment holding it has
arrived, then cuts every rendition by the window (as v1 does) and writes, under
``DestinationPath``, each harvested manifest and the files they share, once (the layout of
:mod:`.origin`: TS segments as ingested, or CMAF init and media segments). It ends ``COMPLETED``
or ``FAILED`` (``ErrorMessage`` says why), with a ``MediaPackageV2 HarvestJob Notification`` on
the default bus. ``CancelHarvestJob`` stops it wherever it is (``CANCELLED``); what it wrote
stays, and no event is sent (AWS documents none for a cancel).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pendulum

from devstack.aws import Sibling
from devstack.config import Settings
from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.harvest import HarvestFailure, cut_window, wait_for_content
from devstack.ingest import ChannelContent, Rendition, Segment
from devstack.mediapackagev2 import origin
from devstack.mediapackagev2.errors import validation

log = logging.getLogger(__name__)

EVENT_SOURCE = "aws.mediapackagev2"
EVENT_DETAIL_TYPE = "MediaPackageV2 HarvestJob Notification"
ACTIVE = ("QUEUED", "IN_PROGRESS")
MAX_ACTIVE_JOBS_PER_GROUP = 10  # AWS's soft default
RETENTION = pendulum.duration(days=15)  # after the job's end
MAX_WINDOW = pendulum.duration(hours=24)
MP4_CONTENT_TYPE = "video/mp4"
DASH_CONTENT_TYPE = "application/dash+xml"
# Filter settings a harvested manifest must not carry (a rendition filter is fine).
WINDOW_FILTERS = ("Start", "End", "ClipStartTime", "TimeDelaySeconds")
MANIFEST_KINDS = ("HlsManifests", "DashManifests", "LowLatencyHlsManifests")


class Cancelled(Exception):
    """The job was cancelled while it ran."""


@dataclass
class HarvestJob:
    record: dict[str, Any]  # the GetHarvestJob answer
    region: str
    request: dict[str, Any]  # what ClientToken replays compare
    start: pendulum.DateTime
    end: pendulum.DateTime
    cancelled: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.record["HarvestJobName"]

    def move(self, status: str, etag: str, message: str | None = None) -> bool:
        """Change status unless the job already ended (a cancel and a completion can race)."""
        with self.lock:
            if self.record["Status"] not in ACTIVE:
                return False
            self.record.update(Status=status, ModifiedAt=pendulum.now("UTC"), ETag=etag)
            if message:
                self.record["ErrorMessage"] = message
            return True

    def cancel(self, etag: str) -> None:
        if self.move("CANCELLED", etag):
            self.cancelled.set()


def _iso(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").to_iso8601_string()


def check_harvest_request(
    endpoint: dict[str, Any],
    manifests: dict[str, Any],
    schedule: dict[str, Any],
    destination: dict[str, Any],
    *,
    now: pendulum.DateTime,
) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """The create-time rules of the user guide; returns the window (start, end)."""
    requested = [(kind, m.get("ManifestName", "")) for kind in MANIFEST_KINDS for m in manifests.get(kind) or []]
    if not requested:
        raise validation("HarvestedManifests names no manifest", "NUM_MANIFESTS_LOW")
    for kind, name in requested:
        defined = next((m for m in endpoint.get(kind) or [] if m["ManifestName"] == name), None)
        if defined is None:
            raise validation(
                f"{kind} {name!r} is not a manifest of origin endpoint {endpoint['OriginEndpointName']}",
                "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT",
            )
        filters = defined.get("FilterConfiguration") or {}
        used = [f for f in WINDOW_FILTERS if filters.get(f) is not None]
        if used:
            raise validation(
                f"manifest {name!r} has {', '.join(used)} in its FilterConfiguration; a harvested manifest "
                "may carry only a manifest (rendition) filter",
                "HARVESTED_MANIFEST_HAS_START_END_FILTER_CONFIGURATION",
            )
    start, end = schedule["StartTime"], schedule["EndTime"]
    if end <= start:
        raise validation(
            f"EndTime {_iso(end)} is not after StartTime {_iso(start)}", "END_TIME_EARLIER_THAN_START_TIME"
        )
    if end - start > MAX_WINDOW:
        raise validation(
            f"the window {_iso(start)} to {_iso(end)} is longer than 24 hours", "INVALID_HARVEST_JOB_DURATION"
        )
    if start > now:
        raise validation(f"StartTime {_iso(start)} is in the future (now {_iso(now)})", "MEMBER_INVALID")
    startover = endpoint.get("StartoverWindowSeconds")
    if not startover:
        raise validation(
            f"origin endpoint {endpoint['OriginEndpointName']} has no startover window: nothing can be harvested",
            "MEMBER_INVALID",
        )
    earliest = now - pendulum.duration(seconds=startover)
    if start < earliest:
        raise validation(
            f"StartTime {_iso(start)} is outside the startover window of origin endpoint "
            f"{endpoint['OriginEndpointName']} ({startover} s: nothing before {_iso(earliest)} is kept)",
            "MEMBER_INVALID",
        )
    s3 = (destination or {}).get("S3Destination") or {}
    for member in ("BucketName", "DestinationPath"):
        if not s3.get(member):
            raise validation(
                f"Destination.S3Destination.{member} is required", "HARVEST_JOB_S3_DESTINATION_MISSING_OR_INCOMPLETE"
            )
    return start, end


class HarvestRunner:
    """Runs each job on its own thread (a real-time job waits hours for its end); copies in a pool."""

    def __init__(self, settings: Settings, sibling: Sibling):
        self.settings = settings
        self.sibling = sibling
        self.copy_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="harvest-v2-copy")
        self._stopped = threading.Event()

    def submit(self, job: HarvestJob, endpoint: dict[str, Any], content: ChannelContent) -> None:
        thread = threading.Thread(target=self._run, args=(job, endpoint, content), name=f"harvest-v2-{job.name}")
        thread.daemon = True
        thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self.copy_pool.shutdown(wait=False, cancel_futures=True)

    def _sleep_until(self, job: HarvestJob, moment: float) -> None:
        while (left := moment - time.time()) > 0:
            if job.cancelled.wait(min(left, 0.5)) or self._stopped.is_set():
                raise Cancelled

    def _run(self, job: HarvestJob, endpoint: dict[str, Any], content: ChannelContent) -> None:
        began = time.time()
        job.move("IN_PROGRESS", job.record["ETag"])
        failure: str | None = None
        try:
            self._sleep_until(job, job.end.timestamp())  # real-time: the end must pass first
            self.harvest(job, endpoint, content)
        except Cancelled:
            log.info("harvest job %s cancelled", job.name)
            return
        except HarvestFailure as exc:
            failure = str(exc)
        except Exception as exc:  # an emulator bug must still end the job, visibly
            log.exception("harvest job %s crashed", job.name)
            failure = f"internal error: {exc}"
        try:
            self._sleep_until(job, began + self.settings.harvest_min_seconds)
        except Cancelled:
            return
        self.complete(job, failure)

    def complete(self, job: HarvestJob, failure: str | None) -> None:
        """End the job: its status, and its notification event (fault injection delays this)."""
        if not job.move("FAILED" if failure else "COMPLETED", secrets.token_hex(16), failure):
            return
        record = job.record
        schedule = record["ScheduleConfiguration"]
        s3 = record["Destination"]["S3Destination"]
        detail: dict[str, Any] = {
            "harvestJob": {
                "harvestJobName": record["HarvestJobName"],
                "arn": record["Arn"],
                "status": record["Status"],
                "channelGroupName": record["ChannelGroupName"],
                "channelName": record["ChannelName"],
                "originEndpointName": record["OriginEndpointName"],
                "scheduleConfiguration": {
                    "startTime": _iso(schedule["StartTime"]),
                    "endTime": _iso(schedule["EndTime"]),
                },
                "destination": {
                    "s3Destination": {"bucketName": s3["BucketName"], "destinationPath": s3["DestinationPath"]}
                },
                "harvestedManifests": {
                    _camel(kind): [
                        {"manifestName": m["ManifestName"]} for m in record["HarvestedManifests"].get(kind) or []
                    ]
                    for kind in MANIFEST_KINDS
                },
            }
        }
        if failure:
            detail["message"] = failure
        log.info("harvest job %s %s%s", job.name, record["Status"], f": {failure}" if failure else "")
        self.notify(job.region, job.name, detail, record["Arn"])

    def notify(self, region: str, job_name: str, detail: dict[str, Any], arn: str) -> None:
        """The job's notification to EventBridge (best effort, as on AWS)."""
        try:
            self.sibling.put_event(region, EVENT_SOURCE, EVENT_DETAIL_TYPE, detail, [arn])
        except Exception:  # delivery is best effort on AWS too
            log.exception("could not put the notification event of harvest job %s", job_name)

    # -- the harvest itself ---------------------------------------------------------------------

    def harvest(self, job: HarvestJob, endpoint: dict[str, Any], content: ChannelContent) -> None:
        s3 = job.record["Destination"]["S3Destination"]
        bucket, prefix = s3["BucketName"], s3["DestinationPath"].strip("/") + "/"
        if not self.sibling.bucket_exists(bucket):
            raise HarvestFailure(f"S3 bucket {bucket} does not exist")
        start_ms, end_ms = int(job.start.timestamp() * 1000), int(job.end.timestamp() * 1000)
        wait_for_content(content, end_ms, self.settings.harvest_wait_seconds)
        renditions = content.ordered_renditions()
        window = (_iso(job.start), _iso(job.end))
        cuts = cut_window(content, [r for r, _ in renditions], (start_ms, end_ms), window, job.record["ChannelName"])
        layout = origin.layout_of(endpoint)
        tracks = self._write_segments(job, bucket, prefix, layout, cuts)
        manifests = job.record["HarvestedManifests"]
        for kind in ("HlsManifests", "LowLatencyHlsManifests"):
            for wanted in manifests.get(kind) or []:
                name = wanted["ManifestName"]
                for i, (rendition, segments) in enumerate(cuts, start=1):
                    body = origin.hls_media(layout, i, rendition, segments, vod=True, pdt_interval_seconds=None)
                    self._put(job, bucket, f"{prefix}{name}_{i}.m3u8", body.encode(), HLS_CONTENT_TYPE)
                parent = origin.hls_multivariant(renditions, name)
                self._put(job, bucket, f"{prefix}{name}.m3u8", parent.encode(), HLS_CONTENT_TYPE)
        for wanted in manifests.get("DashManifests") or []:
            dash = [
                origin.DashTrack(i, variant, track, segments, *origin.media_times(rendition, segments, track.timescale))
                for i, ((_, variant), (rendition, segments), track) in enumerate(
                    zip(renditions, cuts, tracks, strict=True), 1
                )
            ]
            body = origin.dash_mpd(layout, dash, static=True)
            self._put(job, bucket, f"{prefix}{wanted['ManifestName']}.mpd", body.encode(), DASH_CONTENT_TYPE)

    def _put(self, job: HarvestJob, bucket: str, key: str, body: bytes, content_type: str) -> None:
        if job.cancelled.is_set():
            raise Cancelled
        self.sibling.put_object(bucket, key, body, content_type)

    def _write_segments(
        self,
        job: HarvestJob,
        bucket: str,
        prefix: str,
        layout: origin.Layout,
        cuts: list[tuple[Rendition, list[Segment]]],
    ) -> list[Any]:
        """Every rendition's segments (and CMAF init), once for all manifests; the CMAF track of each."""
        tracks: list[Any] = []
        copies: list[tuple[str, Segment, int | None]] = []
        for i, (rendition, segments) in enumerate(cuts, start=1):
            track = origin.track_of(segments[0]) if layout.is_cmaf else None
            tracks.append(track)
            times: list[int | None] = [None] * len(segments)
            if track is not None:
                self._put(job, bucket, f"{prefix}{layout.init(i)}", origin.init_bytes(segments[0]), MP4_CONTENT_TYPE)
                times = list(origin.media_times(rendition, segments, track.timescale)[0])
            copies.extend((f"{prefix}{layout.segment(i, s)}", s, t) for s, t in zip(segments, times, strict=True))
        kind = MP4_CONTENT_TYPE if layout.is_cmaf else TS_CONTENT_TYPE

        def copy(item: tuple[str, Segment, int | None]) -> str | None:
            key, segment, decode_time = item
            try:
                body = origin.segment_bytes(layout, segment, decode_time)
            except FileNotFoundError:
                return f"segment {segment.path.name} left the startover window during the harvest"
            self._put(job, bucket, key, body, kind)
            return None

        for problem in self.copy_pool.map(copy, copies):
            if problem:
                raise HarvestFailure(problem)
        return tracks


def _camel(name: str) -> str:
    return name[0].lower() + name[1:]
