"""Verify a harvested asset in S3 before anything is handed off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pendulum
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException, DownstreamTasksSkipped

from live_to_vod.aws.hooks.s3 import AssetS3Hook
from live_to_vod.aws.links.mediapackage import S3AssetLink
from live_to_vod.aws.operators.mediaconvert import transcoded
from live_to_vod.harvest_request import AssetToVerify, HarvestRequest
from live_to_vod.manifest_keys import asset_prefix
from live_to_vod.pipeline.metrics import timing
from live_to_vod.verification import S3AssetStore, verify_vod_asset
from live_to_vod.verification.limits import DEFAULT_FULL_MAX_BYTES, MiB
from live_to_vod.verification.sampling import MODES


class VerifyHarvestedAssetOperator(AwsBaseOperator[AssetS3Hook]):
    """Check the harvested asset against the HLS VOD checklist; fail with a report of every defect.

    The parent manifest and every child playlist are parsed with ``m3u8``; segments are found by
    listing the prefix (ListObjectsV2, 1,000 keys a call), never one HEAD each; every rendition
    must cover the requested window segment-accurately with no gaps; every segment's size is
    judged from the listing; segments are read as ``segments`` says (``sampled``: the first and
    last of each rendition, a spread between them and every suspect, probed or decoded with
    PyAV; ``full``: every one decoded; ``auto``: ``full`` up to ``full_max_bytes``). A failed
    check fails the task (no retries: the asset will not change) and nothing is handed off. A
    MediaPackage v2 harvest wrote several manifests over the same segments (HLS and DASH over CMAF,
    say): each is verified (DASH as a static MPD), and the task fails when any fails.

    Returns ``manifests`` (each verified manifest and its segment count) and, for the primary
    manifest, the verification numbers (renditions, segments, bytes, duration, requests made),
    ``segments`` (the mode asked for) and ``reads``: the mode used (``full``, ``sampled`` or
    ``listing``; ``auto`` resolved), segments probed and decoded, bytes read of the bytes listed.

    With ``transcode_task_id``, a verified output that gets no MediaConvert job (none asked for, or
    a CMAF harvest MediaConvert cannot read) skips that task, and so the MediaConvert pair: two task
    executions an event saves, and the graph still shows the step, skipped.

    :param request: the validated request, as a dict (templated): a ``HarvestRequest``'s
        (``ValidateLiveEventOperator``'s XCom, a notification's hand-off) or an ``AssetToVerify``'s
        (``reverify_vod_asset``); only its bucket, manifest keys, window and ``verify_segments`` are read.
    :param segments: how segments are read: ``auto``, ``sampled``, ``full`` or ``listing`` (none);
        None (the default): the request's ``verify_segments`` (``auto`` when it has none).
    :param full_max_bytes: in ``auto``, an asset whose segments total at most this many bytes is
        read in full (the DAGs pass ``LIVE_TO_VOD_VERIFY_FULL_MAX_MIB``).
    :param transcode_task_id: the MediaConvert hand-off task directly downstream, skipped when
        ``request`` (then a ``HarvestRequest``'s) gets no MediaConvert job; None: skip nothing.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = AssetS3Hook
    template_fields: Sequence[str] = aws_template_fields("request")
    operator_extra_links = (S3AssetLink(),)

    def __init__(
        self,
        *,
        request: Any,
        segments: str | None = None,
        full_max_bytes: int = DEFAULT_FULL_MAX_BYTES,
        transcode_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if segments is not None and segments not in MODES:  # a wiring mistake: fail the DAG's parse
            raise ValueError(f"segments must be None or one of {', '.join(MODES)}, got {segments!r}")
        self.request = request
        self.segments = segments
        self.full_max_bytes = full_max_bytes
        self.transcode_task_id = transcode_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        request = AssetToVerify.from_dict(self.request)
        segments = self.segments or request.verify_segments
        prefix = asset_prefix(request.manifest_key)
        S3AssetLink.persist(
            context=context,
            operator=self,
            region_name=self.hook.conn_region_name,
            aws_partition=self.hook.conn_partition,
            bucket=request.s3_bucket,
            prefix=prefix,
        )
        self.log.info(
            "Verifying %s for %s to %s; segments: %s (auto: full up to %.0f MiB)",
            request.asset_uri, request.window.start, request.window.end, segments, self.full_max_bytes / MiB,
        )  # fmt: skip
        store = S3AssetStore(self.hook.conn, request.s3_bucket)
        started = pendulum.now("UTC")
        keys = [request.manifest_key, *request.companions]
        reports = {}
        for key in keys:  # every manifest the harvest wrote, each against the same window
            reports[key] = verify_vod_asset(
                store,
                key,
                request.window.start,
                request.window.end,
                segments=segments,
                full_max_bytes=self.full_max_bytes,
                companions=[k for k in keys if k != key],
            )
            self.log.info("%s", reports[key].summary())
        report = reports[request.manifest_key]
        seconds = (pendulum.now("UTC") - started).total_seconds()
        timing("verify_seconds", seconds, segments=segments)
        failed = [key for key, r in reports.items() if not r.ok]
        if failed:
            raise AirflowFailException(
                f"The harvested asset {request.asset_uri} failed verification ({', '.join(failed)}); "
                "nothing was handed off.\n" + "\n".join(reports[key].summary() for key in failed)
            )
        self.log.info(
            "Verified in %.1f s with %d S3 requests (%d listing pages)", seconds, store.requests, store.list_requests
        )
        result = {
            "asset_uri": request.asset_uri,
            "manifests": [
                {"uri": f"s3://{request.s3_bucket}/{key}", "segment_count": r.segment_count}
                for key, r in reports.items()
            ],
            "renditions": [r.to_dict() for r in report.renditions],
            "segment_count": report.segment_count,
            "total_bytes": report.total_bytes,
            "duration_seconds": report.duration_seconds,
            "warnings": [d.to_dict() for d in report.warnings],
            "s3_requests": store.requests,
            "segments": segments,
            "reads": report.reads.to_dict(),
            "seconds": round(seconds, 3),
        }
        self._skip_transcode_unless_asked(context, result)
        return result

    def _skip_transcode_unless_asked(self, context: Any, result: dict[str, Any]) -> None:
        if self.transcode_task_id is None:
            return
        if transcoded(HarvestRequest.from_dict(self.request), self.log):
            return
        ti = context["ti"]
        # The skip ends the task by raising (the runner then pushes no return value). Named with its
        # map index: SkipMixin.skip() only records a mapped task group's skip in an XCom that the
        # scheduler reads at map index -1, where it finds nothing.
        ti.xcom_push(key="return_value", value=result)
        raise DownstreamTasksSkipped(tasks=[(self.transcode_task_id, ti.map_index)])
