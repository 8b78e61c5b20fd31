"""Runs harvest jobs the way MediaPackage does: asynchronously, segment-accurately, into S3.

A job cuts every rendition by the same program-date-time window (the first segment is the one
containing StartTime, the last the one containing EndTime), writes one child playlist per
rendition, the segments and the parent manifest under the ManifestKey's prefix, then sets
``SUCCEEDED`` or ``FAILED`` and puts a ``MediaPackage HarvestJob Notification`` event on the
default bus. Failures found while running carry their reason only in that event, as on AWS.
"""

from __future__ import annotations

import heapq
import logging
import posixpath
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pendulum

from devstack.aws import AccessProblem, Sibling
from devstack.config import Settings
from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.ingest import ChannelContent, Rendition, Segment
from devstack.playlists import media_playlist, multivariant

log = logging.getLogger(__name__)

EVENT_SOURCE = "aws.mediapackage"
EVENT_DETAIL_TYPE = "MediaPackage HarvestJob Notification"


class HarvestFailure(Exception):
    """The job cannot produce its asset; the message is the event's ``detail.message``."""


def asset_layout(manifest_key: str) -> tuple[str, str]:
    """(prefix, stem) of an asset: ``a/b/index.m3u8`` -> (``a/b/``, ``index``)."""
    directory, name = posixpath.split(manifest_key)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (f"{directory}/" if directory else ""), stem


class HarvestRunner:
    """Background execution of harvest jobs, with a minimum duration per job."""

    def __init__(self, settings: Settings, sibling: Sibling, workers: int = 4):
        self.settings = settings
        self.sibling = sibling
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="harvest")
        self.copy_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="harvest-copy")
        self._due: list[tuple[float, int, Any, str | None]] = []
        self._due_lock = threading.Condition()
        self._counter = 0
        self._stopped = False
        self._finisher = threading.Thread(target=self._finish_loop, name="harvest-finisher", daemon=True)
        self._finisher.start()

    def submit(self, job: Any, endpoint: dict[str, Any], channel: Any) -> None:
        self.pool.submit(self._run, job, dict(endpoint), channel.content)

    def stop(self) -> None:
        self._stopped = True
        with self._due_lock:
            self._due_lock.notify_all()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # -- running --------------------------------------------------------------------------------

    def _run(self, job: Any, endpoint: dict[str, Any], content: ChannelContent) -> None:
        started = time.monotonic()
        failure: str | None = None
        try:
            self.harvest(job, endpoint, content)
        except HarvestFailure as exc:
            failure = str(exc)
        except Exception as exc:  # an emulator bug must still end the job, visibly
            log.exception("harvest job %s crashed", job.record["Id"])
            failure = f"internal error: {exc}"
        due = started + self.settings.harvest_min_seconds
        with self._due_lock:
            self._counter += 1
            heapq.heappush(self._due, (due, self._counter, job, failure))
            self._due_lock.notify_all()

    def _finish_loop(self) -> None:
        while not self._stopped:
            with self._due_lock:
                while not self._due or self._due[0][0] > time.monotonic():
                    timeout = (self._due[0][0] - time.monotonic()) if self._due else None
                    self._due_lock.wait(timeout)
                    if self._stopped:
                        return
                _, _, job, failure = heapq.heappop(self._due)
            self.complete(job, failure)

    def complete(self, job: Any, failure: str | None) -> None:
        """End the job: its status, and its notification event (fault injection delays this)."""
        record = job.record
        record["Status"] = "FAILED" if failure else "SUCCEEDED"
        job.failure = failure
        dest = record["S3Destination"]
        detail: dict[str, Any] = {
            "harvest_job": {
                "id": record["Id"],
                "arn": record["Arn"],
                "status": record["Status"],
                "origin_endpoint_id": record["OriginEndpointId"],
                "start_time": record["StartTime"],
                "end_time": record["EndTime"],
                "s3_destination": {
                    "bucket_name": dest["BucketName"],
                    "manifest_key": dest["ManifestKey"],
                    "role_arn": dest["RoleArn"],
                },
                "created_at": record["CreatedAt"],
            }
        }
        if failure:
            detail["message"] = failure
        log.info("harvest job %s %s%s", record["Id"], record["Status"], f": {failure}" if failure else "")
        self.notify(job.region, record["Id"], detail, record["Arn"])

    def notify(self, region: str, job_id: str, detail: dict[str, Any], arn: str) -> None:
        """The job's notification to EventBridge (best effort, as on AWS)."""
        try:
            self.sibling.put_event(region, EVENT_SOURCE, EVENT_DETAIL_TYPE, detail, [arn])
        except Exception:  # delivery is best effort on AWS too
            log.exception("could not put the notification event of harvest job %s", job_id)

    # -- the harvest itself ---------------------------------------------------------------------

    def harvest(self, job: Any, endpoint: dict[str, Any], content: ChannelContent) -> None:
        record = job.record
        dest = record["S3Destination"]
        bucket, manifest_key, role_arn = dest["BucketName"], dest["ManifestKey"], dest["RoleArn"]
        if "HlsPackage" not in endpoint:
            raise HarvestFailure("the local stack harvests HLS origin endpoints only")
        if not self.sibling.bucket_exists(bucket):
            raise HarvestFailure(f"S3 bucket {bucket} does not exist")
        prefix, stem = asset_layout(manifest_key)
        try:
            self.sibling.check_role(
                role_arn,
                ["s3:PutObject"],
                [f"arn:aws:s3:::{bucket}/{manifest_key}", f"arn:aws:s3:::{bucket}/{prefix}{stem}_1.m3u8"],
            )
        except AccessProblem as exc:
            raise HarvestFailure(f"cannot write to s3://{bucket}/{prefix}: {exc}") from None

        start_ms = int(job.start.timestamp() * 1000)
        end_ms = int(job.end.timestamp() * 1000)
        wait_for_content(content, end_ms, self.settings.harvest_wait_seconds)
        renditions = content.ordered_renditions()
        cuts = cut_window(
            content,
            [r for r, _ in renditions],
            (start_ms, end_ms),
            (record["StartTime"], record["EndTime"]),
            record["ChannelId"],
        )

        def child_uri(i: int) -> str:
            return f"{stem}_{i}.m3u8"

        def segment_key(i: int, segment: Segment) -> str:
            return f"{prefix}{stem}_{i}_{segment.seq:05d}{segment.path.suffix}"

        copies = []
        for i, (_, segments) in enumerate(cuts, start=1):
            for segment in segments:
                copies.append((segment_key(i, segment), segment))
        for result in self.copy_pool.map(lambda item: self._copy_segment(bucket, *item), copies):
            if result:
                raise HarvestFailure(result)
        for i, (rendition, segments) in enumerate(cuts, start=1):
            body = media_playlist(
                segments,
                lambda s, i=i: posixpath.basename(segment_key(i, s)),
                version=rendition.version,
                vod=True,
                pdt_interval_seconds=None,
            )
            self.sibling.put_object(bucket, f"{prefix}{child_uri(i)}", body.encode(), HLS_CONTENT_TYPE)
        parent = multivariant(renditions, child_uri)
        self.sibling.put_object(bucket, manifest_key, parent.encode(), HLS_CONTENT_TYPE)

    def _copy_segment(self, bucket: str, key: str, segment: Segment) -> str | None:
        try:
            body = segment.path.read_bytes()
        except FileNotFoundError:
            return f"segment {segment.path.name} left the startover window during the harvest"
        self.sibling.put_object(bucket, key, body, TS_CONTENT_TYPE)
        return None


def wait_for_content(content: ChannelContent, end_ms: int, seconds: float) -> None:
    """The segment holding the end may still be on its way from the encoder: give it ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with content.lock:
            renditions = list(content.renditions.values())
            done = not renditions or all(
                r.ended or (r.segments and r.segments[-1].end_ms >= end_ms) for r in renditions
            )
        if done:
            return
        time.sleep(0.2)


def cut_window(
    content: ChannelContent,
    renditions: list[Rendition],
    window_ms: tuple[int, int],
    window_text: tuple[str, str],
    channel: str,
) -> list[tuple[Rendition, list[Segment]]]:
    """Each rendition's segments from the one holding the start to the one holding the end; a
    rendition that does not cover the whole window fails the job, naming what it has."""
    start_ms, end_ms = window_ms
    start_text, end_text = window_text
    if not renditions:
        raise HarvestFailure(f"channel {channel} has received no content")
    cuts: list[tuple[Rendition, list[Segment]]] = []
    for rendition in renditions:
        with content.lock:
            segments = rendition.window(start_ms, end_ms)
        if not segments:
            raise HarvestFailure(f"no content in the window {start_text} to {end_text} for rendition {rendition.name}")
        first, last = segments[0], segments[-1]
        if first.start_ms > start_ms + 50 or last.end_ms < end_ms - 50:
            have_from = pendulum.from_timestamp(first.start_ms / 1000, tz="UTC").to_iso8601_string()
            have_to = pendulum.from_timestamp(last.end_ms / 1000, tz="UTC").to_iso8601_string()
            raise HarvestFailure(
                f"the channel's content covers only {have_from} to {have_to} of the window "
                f"{start_text} to {end_text} (rendition {rendition.name})"
            )
        cuts.append((rendition, list(segments)))
    return cuts
