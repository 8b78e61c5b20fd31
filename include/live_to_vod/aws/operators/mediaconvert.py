"""Hand a verified harvest to AWS Elemental MediaConvert (exactly once), wait for it in the
triggerer, and check what it made."""

from __future__ import annotations

import math
import posixpath
from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction
from typing import Any

import m3u8
import pendulum
from airflow.configuration import conf
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.aws.hooks.mediaconvert import FAILED, MediaConvertHook
from live_to_vod.aws.hooks.s3 import AssetS3Hook
from live_to_vod.aws.links.mediaconvert import MediaConvertJobLink
from live_to_vod.aws.triggers.mediaconvert import MediaConvertJobTrigger
from live_to_vod.aws.triggers.mediapackage import poll_delay, validate_trigger_event
from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.transcode_jobs import (
    ClipFrames,
    clip_frames,
    destination_uri,
    expected_mp4_keys,
    job_settings,
    load_template_file,
    thumbnail_prefix,
)
from live_to_vod.verification.outputs import OutputDefect, check_jpeg, check_mp4

#: The keys under which the job id and what it makes survive deferral and retries in task_state_store
#: (renaming them strands in-flight runs).
MEDIACONVERT_JOB_ID_KEY = "mediaconvert_job_id"
MEDIACONVERT_PLAN_KEY = "mediaconvert_plan"


def asset_clock(s3: Any, bucket: str, manifest_key: str) -> tuple[pendulum.DateTime, Fraction, str | None]:
    """(first PDT, frame rate, audio group) of the rendition MediaConvert reads: the highest-bandwidth
    variant of the parent manifest (its ``FRAME-RATE``, 25 when the manifest does not say)."""

    def read(key: str) -> m3u8.M3U8:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        return m3u8.loads(body)

    parent = read(manifest_key)
    rate, group, child = Fraction(25), None, parent
    if parent.is_variant:
        top = max(parent.playlists, key=lambda p: p.stream_info.bandwidth or 0)
        if top.stream_info.frame_rate:
            rate = Fraction(str(top.stream_info.frame_rate)).limit_denominator(1001)
        group = top.stream_info.audio
        child = read(posixpath.normpath(posixpath.join(posixpath.dirname(manifest_key), top.uri)))
    first = child.segments[0].current_program_date_time if child.segments else None
    if first is None:
        raise AirflowFailException(f"s3://{bucket}/{manifest_key}: its first segment has no EXT-X-PROGRAM-DATE-TIME")
    return pendulum.instance(first).in_timezone("UTC"), rate, group


def transcoded(request: HarvestRequest, log: Any) -> bool:
    """Whether the output gets a MediaConvert job; when not, say why in ``log`` (a warning when
    MediaConvert outputs were asked for and cannot be made)."""
    reason = request.not_transcoded()
    if reason is not None:
        (log.warning if request.mediaconvert else log.info)("No MediaConvert job: %s", reason)
    return reason is None


class MediaConvertJobOperator(AwsBaseOperator[MediaConvertHook]):
    """Make the output's MP4 and thumbnails with a MediaConvert job, exactly once, and wait for it.

    The job clips the harvested HLS (segment-accurate) to the output's window to the frame: its
    ``InputClippings`` start on the first frame at or after the window's start and end on the last
    frame before its end, counted from the asset's first PDT (``TimecodeSource: ZEROBASED``). Its
    settings are the request's template (a JSON file, or a MediaConvert job template by name) with
    the outputs for the products asked for; the files go to ``<manifest folder>/mediaconvert/``.

    Exactly once: the job carries the harvest job's id in its ``UserMetadata``; its id is kept in
    ``task_state_store`` as soon as it exists, and a retry, a re-run or a worker that died after
    ``CreateJob`` finds the job by that metadata instead of making a second one
    (``ClientRequestToken`` covers only a minute). A job that ended in ERROR or CANCELED is not
    reused: the next try makes a new one. The wait is deferred (no worker slot held); ``on_kill``
    and the trigger's cancel a job still running when a person stops the task.

    Returns None when the output gets no MediaConvert job (``HarvestRequest.not_transcoded`` says
    why, in the log), else ``{"job_id", "products", "mp4", "thumbnail_prefix", "clip"}``.

    :param request: the validated request (``ValidateLiveEventOperator``'s XCom).
    :param harvest_job_id: the harvest job whose asset this is (templated).
    :param deferrable: wait in the triggerer instead of on the worker.
    :param poll_interval: seconds between polls of ``GetJob``.
    :param completion_asset: the notification asset whose state store records job completions
        (the deployment has the notification queue and routes MediaConvert's job state changes to
        it): the job's event wakes the deferred wait, and polls come only every
        ``pushed_poll_interval`` s, the safety net for a lost event. None: poll every ``poll_interval`` s.
    :param pushed_poll_interval: seconds between polls when ``completion_asset`` is set.
    :param wait_timeout: seconds to wait for the job before failing.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaConvertHook
    template_fields: Sequence[str] = aws_template_fields("request", "harvest_job_id")
    operator_extra_links = (MediaConvertJobLink(),)

    def __init__(
        self,
        *,
        request: Any,
        harvest_job_id: str,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: int = 5,
        completion_asset: str | None = None,
        pushed_poll_interval: int = 60,
        wait_timeout: float = 7200,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.harvest_job_id = harvest_job_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.completion_asset = completion_asset
        self.pushed_poll_interval = pushed_poll_interval
        self.wait_timeout = wait_timeout
        self._job_id: str | None = None

    def execute(self, context: Any) -> dict[str, Any] | None:
        request = HarvestRequest.from_dict(self.request)
        if not transcoded(request, self.log):
            return None
        assert request.mediaconvert_role_arn is not None  # validated with the products
        s3 = AssetS3Hook(aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify).get_conn()
        first_pdt, rate, audio_group = asset_clock(s3, request.s3_bucket, request.manifest_key)
        try:
            clip = clip_frames(first_pdt, request.window.start, request.window.end, rate)
        except ValueError as exc:
            raise AirflowFailException(f"cannot clip {request.asset_uri} to its window: {exc}") from None
        template_name = request.mediaconvert_template
        if template_name.endswith(".json"):
            template, job_template = load_template_file(template_name), None
        else:
            template, job_template = self.hook.job_template_settings(template_name), template_name
        settings = job_settings(
            template,
            input_uri=request.asset_uri,
            destination=destination_uri(request.s3_bucket, request.manifest_key),
            products=request.mediaconvert,
            clip=clip,
            thumbnail_interval_seconds=request.thumbnail_interval_seconds,
            audio_group=audio_group,
        )
        plan = {
            "products": list(request.mediaconvert),
            "mp4": expected_mp4_keys(settings, request.asset_uri) if "mp4" in request.mediaconvert else [],
            "thumbnail_prefix": thumbnail_prefix(settings, request.asset_uri),
            "thumbnail_interval_seconds": request.thumbnail_interval_seconds,
            "clip": {
                "first_frame": clip.first,
                "last_frame": clip.last,
                "frames": clip.frames,
                "rate": f"{clip.rate.numerator}/{clip.rate.denominator}",
                "start_timecode": clip.start_timecode,
                "end_timecode": clip.end_timecode,
                "asset_start": first_pdt.isoformat(),
            },
        }
        job = self._find_or_create(context, request, settings, job_template)
        job_id = self._job_id = job["Id"]
        store = context.get("task_state_store")
        if store is not None:
            store.set(MEDIACONVERT_PLAN_KEY, plan)
        MediaConvertJobLink.persist(
            context=context,
            operator=self,
            region_name=self.hook.conn_region_name,
            aws_partition=self.hook.conn_partition,
            job_id=job_id,
        )
        state = self.hook.waiter_state("job_complete", {"Job": job})
        if state != "retry":
            return self._done(job_id, plan)
        if self.deferrable:
            self.log.info("Waiting for MediaConvert job %s in the triggerer (%s)", job_id, clip_text(clip))
            delay = poll_delay(self.poll_interval, self.pushed_poll_interval, pushed=bool(self.completion_asset))
            self.defer(
                trigger=MediaConvertJobTrigger(
                    job_id=job_id,
                    waiter_delay=delay,
                    waiter_max_attempts=max(1, int(self.wait_timeout // max(delay, 1))) + 1,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    verify=self.verify,
                    botocore_config=self.botocore_config,
                    completion_asset=self.completion_asset,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.wait_timeout),
            )
        waiter = self.hook.get_waiter("job_complete")
        try:
            waiter.wait(
                Id=job_id,
                WaiterConfig={
                    "Delay": self.poll_interval,
                    "MaxAttempts": max(1, int(self.wait_timeout // max(self.poll_interval, 1))),
                },
            )
        except Exception:
            pass  # judged below from the job itself
        return self._done(job_id, plan)

    def _find_or_create(
        self, context: Any, request: HarvestRequest, settings: dict[str, Any], job_template: str | None
    ) -> dict[str, Any]:
        store = context.get("task_state_store")
        remembered = store.get(MEDIACONVERT_JOB_ID_KEY) if store is not None else None
        if remembered:
            job = self.hook.get_job(str(remembered))
            if job is not None and job["Status"] not in FAILED:
                self.log.info("Reconnecting to MediaConvert job %s from an earlier try (%s)", remembered, job["Status"])
                return job
        try_number = getattr(context.get("ti"), "try_number", 1)
        job, created = self.hook.get_or_create_job(
            self.harvest_job_id,
            since=request.window.start,
            role=request.mediaconvert_role_arn or "",
            settings=settings,
            user_metadata={"event_id": request.event_id, "harvest_job_id": self.harvest_job_id},
            client_request_token=f"{self.harvest_job_id}-t{try_number}",
            job_template=job_template,
            tags={"event_id": request.event_id},
        )
        if store is not None:
            store.set(MEDIACONVERT_JOB_ID_KEY, job["Id"])
        self.log.info("%s MediaConvert job %s (%s)", "Created" if created else "Found", job["Id"], job["Status"])
        return job

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        store = context.get("task_state_store")
        job_id = store.get(MEDIACONVERT_JOB_ID_KEY) if store is not None else None
        plan = store.get(MEDIACONVERT_PLAN_KEY) if store is not None else None
        if not job_id or not isinstance(plan, dict):
            raise AirflowFailException(f"the MediaConvert job this task waited for is not on record: {event!r}")
        try:
            event = validate_trigger_event(event, job_id)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        if event["status"] in ("timeout", "error"):
            raise AirflowFailException(event["message"])
        return self._done(job_id, plan)

    def _done(self, job_id: str, plan: dict[str, Any]) -> dict[str, Any]:
        job = self.hook.get_job(job_id)
        if job is None:
            raise AirflowFailException(f"MediaConvert job {job_id} is gone")
        if job["Status"] == "ERROR":
            raise AirflowFailException(
                f"MediaConvert job {job_id} failed with error {job.get('ErrorCode')}: {job.get('ErrorMessage')}. "
                "Fix the cause (the input, the role's S3 access, the template) and clear this task to run a new job."
            )
        if job["Status"] == "CANCELED":
            raise AirflowFailException(f"MediaConvert job {job_id} was canceled; clear this task to run a new job")
        if job["Status"] != "COMPLETE":
            raise AirflowFailException(f"MediaConvert job {job_id} did not finish in time ({job['Status']})")
        self.log.info("MediaConvert job %s is COMPLETE: %s", job_id, ", ".join(plan["mp4"]) or plan["thumbnail_prefix"])
        return {"job_id": job_id, **plan}

    def on_kill(self) -> None:
        if not self._job_id:
            return
        try:
            if self.hook.cancel_job(self._job_id):
                self.log.warning("Task killed: canceled MediaConvert job %s", self._job_id)
        except Exception as exc:  # best effort while being killed
            self.log.warning("Task killed: could not cancel MediaConvert job %s: %s", self._job_id, exc)


def clip_text(clip: ClipFrames) -> str:
    return f"frames {clip.first} to {clip.last}, {clip.start_timecode} to {clip.end_timecode}"


class VerifyMediaConvertOutputsOperator(AwsBaseOperator[AssetS3Hook]):
    """Check what the MediaConvert job made: each MP4 exists, holds H.264 + AAC, has the clip's
    frame count (the requested span to the frame) and decodes at both ends; the thumbnails exist
    (the poster and one per interval) and decode. A defect fails the task at once (the files will
    not change); an S3 error is retried.

    Returns None when there was no job, else ``{"mp4": [{"uri", "frames", "duration_ms", "width",
    "height"}], "thumbnails": [uris], "poster": uri}``.

    :param transcode: the MediaConvert task's XCom (templated).
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = AssetS3Hook
    template_fields: Sequence[str] = aws_template_fields("transcode")

    def __init__(self, *, transcode: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transcode = transcode

    def execute(self, context: Any) -> dict[str, Any] | None:
        plan = self.transcode
        if not plan:
            self.log.info("No MediaConvert job: nothing to check")
            return None
        s3 = self.hook.get_conn()
        clip = plan["clip"]
        rate = Fraction(clip["rate"])
        result: dict[str, Any] = {"mp4": [], "thumbnails": [], "poster": None}
        try:
            for uri in plan["mp4"]:
                bucket, key = uri.removeprefix("s3://").split("/", 1)
                size = self._size(s3, bucket, key, uri)

                def read(first: int, last: int, bucket: str = bucket, key: str = key) -> bytes:
                    return s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")["Body"].read()

                check = check_mp4(uri, read, size, clip["frames"], rate)
                result["mp4"].append(
                    {"uri": uri, "frames": check.frames, "duration_ms": check.duration_ms,
                     "width": check.width, "height": check.height}
                )  # fmt: skip
                self.log.info(
                    "%s: %d frames (%d ms), %dx%d", uri, check.frames, check.duration_ms, check.width, check.height
                )
            if plan.get("thumbnail_prefix"):
                result["thumbnails"] = self._thumbnails(s3, plan, clip["frames"] / rate)
                result["poster"] = result["thumbnails"][0]
        except OutputDefect as exc:
            raise AirflowFailException(str(exc)) from None
        return result

    @staticmethod
    def _size(s3: Any, bucket: str, key: str, uri: str) -> int:
        try:
            return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
        except Exception as exc:
            raise OutputDefect(f"{uri} is missing: {exc}") from None

    def _thumbnails(self, s3: Any, plan: dict[str, Any], seconds: Fraction) -> list[str]:
        prefix = plan["thumbnail_prefix"]
        bucket, key_prefix = prefix.removeprefix("s3://").split("/", 1)
        paginator = s3.get_paginator("list_objects_v2")
        keys = sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=key_prefix)
            for item in page.get("Contents", [])
            if item["Key"].endswith(".jpg")
        )
        expected = math.ceil(seconds / plan["thumbnail_interval_seconds"])
        if len(keys) != expected:
            raise OutputDefect(
                f"{prefix}*.jpg: {len(keys)} thumbnails; {float(seconds):.2f} s with one every "
                f"{plan['thumbnail_interval_seconds']} s from the poster makes {expected}"
            )
        for key in keys:
            check_jpeg(f"s3://{bucket}/{key}", s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        self.log.info("%d thumbnails under %s decode", len(keys), prefix)
        return [f"s3://{bucket}/{key}" for key in keys]


__all__ = [
    "MEDIACONVERT_JOB_ID_KEY",
    "MEDIACONVERT_PLAN_KEY",
    "MediaConvertJobOperator",
    "VerifyMediaConvertOutputsOperator",
    "asset_clock",
]
