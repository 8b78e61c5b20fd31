"""Announce a harvested asset to Airflow (an asset event) and write the run's summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pendulum
from airflow.sdk import Asset, AssetAlias, BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.pipeline.metrics import count, timing

# Downstream DAGs schedule on this alias; each event names the concrete s3:// asset.
HARVESTED_ASSETS = AssetAlias(name="harvested-vod-assets")


class PublishHarvestedAssetOperator(BaseOperator):
    """Emit an Airflow asset event for ``s3://bucket/prefix/index.m3u8`` and log a run summary.

    The event goes through the ``harvested-vod-assets`` asset alias (asset URIs are only known
    at run time) and carries the event, window, every harvested manifest (a v2 job writes
    several: HLS, DASH...), duration, renditions, segment count, bytes and VOD playback URLs (or
    why it was not handed off) as its ``extra``, so downstream DAGs can be scheduled on harvested assets.

    Runs when nothing upstream failed (``trigger_rule=none_failed``): the MediaConvert pair is
    skipped, without running, for an output that asks for no MediaConvert job.

    Returns the summary (also the asset event's extra).

    :param request: the validated request.
    :param harvest_job_id: the harvest job that wrote the asset.
    :param verification: ``VerifyHarvestedAssetOperator``'s XCom.
    :param vod: ``CreateVodAssetOperator``'s XCom, or None when there was no hand-off.
    :param transcode: ``MediaConvertJobOperator``'s XCom, or None when there was no MediaConvert job.
    :param transcode_outputs: ``VerifyMediaConvertOutputsOperator``'s XCom (the checked MP4s and thumbnails).
    """

    template_fields: Sequence[str] = (
        "request",
        "harvest_job_id",
        "verification",
        "vod",
        "transcode",
        "transcode_outputs",
    )

    def __init__(
        self,
        *,
        request: Any,
        harvest_job_id: Any,
        verification: Any,
        vod: Any = None,
        transcode: Any = None,
        transcode_outputs: Any = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("outlets", [HARVESTED_ASSETS])
        kwargs.setdefault("trigger_rule", "none_failed")
        super().__init__(**kwargs)
        self.request = request
        self.harvest_job_id = harvest_job_id
        self.verification = verification
        self.vod = vod
        self.transcode = transcode
        self.transcode_outputs = transcode_outputs

    def execute(self, context: Any) -> dict[str, Any]:
        request = HarvestRequest.from_dict(self.request)
        vod = self.vod if isinstance(self.vod, dict) else None
        summary = {
            "event_id": request.event_id,
            "origin_endpoint_id": request.endpoint_ref,
            "mediapackage_api": "v2" if request.v2_endpoint else "v1",
            "window_start": request.window.start.to_iso8601_string(),
            "window_end": request.window.end.to_iso8601_string(),
            "harvest_job_id": self.harvest_job_id,
            "asset_uri": request.asset_uri,
            "manifests": [f"s3://{request.s3_bucket}/{key}" for key in request.manifest_keys()],
            "duration_seconds": self.verification["duration_seconds"],
            "renditions": [
                {k: r.get(k) for k in ("uri", "kind", "resolution", "bandwidth", "codecs", "segments")}
                for r in self.verification["renditions"]
            ],
            "segment_count": self.verification["segment_count"],
            "total_bytes": self.verification["total_bytes"],
            "vod_asset_id": vod["asset_id"] if vod else None,
            "vod_playback_urls": vod["playback_urls"] if vod else [],
            "not_handed_off": None if vod else request.not_handed_off(),
            **_mediaconvert_summary(request, self.transcode, self.transcode_outputs),
        }
        context["outlet_events"][HARVESTED_ASSETS].add(
            Asset(uri=request.asset_uri, name=request.asset_uri), extra=summary
        )
        api = summary["mediapackage_api"]
        count("outputs_published", api=api)
        timing("end_to_playable_seconds", (pendulum.now("UTC") - request.window.end).total_seconds(), api=api)
        self.log.info("%s", render_summary(summary))
        return summary


def _mediaconvert_summary(request: HarvestRequest, transcode: Any, outputs: Any) -> dict[str, Any]:
    if not isinstance(transcode, dict) or not isinstance(outputs, dict):
        return {"mediaconvert_job_id": None, "mp4": [], "thumbnails": [], "poster": None,
                "not_transcoded": request.not_transcoded()}  # fmt: skip
    return {
        "mediaconvert_job_id": transcode["job_id"],
        "clip": transcode["clip"],
        "mp4": outputs["mp4"],
        "thumbnails": outputs["thumbnails"],
        "poster": outputs["poster"],
        "not_transcoded": None,
    }


def render_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"Event {summary['event_id']} harvested: {summary['asset_uri']}",
        f"  window        {summary['window_start']} -> {summary['window_end']} "
        f"({summary['duration_seconds']:.1f} s of media)",
        f"  harvest job   {summary['harvest_job_id']} (MediaPackage {summary.get('mediapackage_api', 'v1')} endpoint "
        f"{summary['origin_endpoint_id']})",
        *(f"  manifest      {uri}" for uri in summary.get("manifests") or [summary["asset_uri"]]),
        f"  verified      {len(summary['renditions'])} renditions, {summary['segment_count']} segments, "
        f"{summary['total_bytes'] / 1e6:.1f} MB",
    ]
    for rendition in summary["renditions"]:
        lines.append(
            f"    {rendition['uri']}: {rendition.get('resolution') or rendition.get('kind')}, "
            f"{rendition['segments']} segments"
        )
    if summary["vod_asset_id"]:
        lines.append(f"  VOD asset     {summary['vod_asset_id']}")
        lines += [f"    plays at {url}" for url in summary["vod_playback_urls"]]
    else:
        lines.append(f"  VOD asset     none: {summary.get('not_handed_off') or 'no hand-off'}")
    if summary.get("mediaconvert_job_id"):
        clip = summary["clip"]
        lines.append(
            f"  MediaConvert  job {summary['mediaconvert_job_id']}: frames {clip['first_frame']} to "
            f"{clip['last_frame']} ({clip['start_timecode']} to {clip['end_timecode']} at {clip['rate']} fps)"
        )
        lines += [f"    MP4 {m['uri']} ({m['frames']} frames, {m['width']}x{m['height']})" for m in summary["mp4"]]
        if summary.get("poster"):
            lines.append(f"    poster {summary['poster']} (+{len(summary['thumbnails']) - 1} thumbnails)")
    elif "not_transcoded" in summary:
        lines.append(f"  MediaConvert  none: {summary.get('not_transcoded') or 'not asked for'}")
    return "\n".join(lines)


class SummarizeLiveEventOperator(BaseOperator):
    """The event's run summary across all its outputs; fails the run if any output failed.

    Runs after every mapped harvest of the event (``trigger_rule=all_done``), reads each
    output's ``publish`` summary, logs one readable report, and returns it. A missing summary
    means that output failed: the task then fails (after writing the report), so the run is
    marked failed even though this task is its only leaf.

    :param outputs: ``ValidateLiveEventOperator``'s XCom (the event's planned outputs).
    :param publish_task_id: the mapped task whose summaries to read.
    """

    template_fields: Sequence[str] = ("outputs",)

    def __init__(self, *, outputs: Any, publish_task_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        # Its failure only repeats the outputs' own (each alerted once by its failed task).
        kwargs["on_failure_callback"] = None
        super().__init__(**kwargs)
        self.outputs = outputs
        self.publish_task_id = publish_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        units = self.outputs or []
        if not units:  # validate failed: this task still runs (all_done) and must not turn the run green
            raise AirflowFailException("No outputs were planned: the event did not pass validate (see its log)")
        event_id = units[0]["event_id"]
        summaries = context["ti"].xcom_pull(
            task_ids=self.publish_task_id, map_indexes=list(range(len(units))), default=None
        )
        if not isinstance(summaries, list):
            summaries = [summaries]
        outputs = []
        for index, unit in enumerate(units):
            summary = summaries[index] if index < len(summaries) else None
            outputs.append(
                {
                    "output": unit["output"],
                    "origin_endpoint_id": unit.get("v2_endpoint") or unit["origin_endpoint_id"],
                    "manifest_key": unit["manifest_key"],
                    "ok": bool(summary),
                    "summary": summary,
                }
            )
        failed = [o for o in outputs if not o["ok"]]
        lines = [f"Event {event_id}: {len(outputs) - len(failed)} of {len(outputs)} outputs harvested"]
        for o in outputs:
            state = "ok    " if o["ok"] else "FAILED"
            detail = ""
            if o["ok"]:
                s = o["summary"]
                detail = f"{s['segment_count']} segments, {s['total_bytes'] / 1e6:.1f} MB"
                if s.get("vod_playback_urls"):
                    detail += f", plays at {s['vod_playback_urls'][0]}"
                elif s.get("not_handed_off"):
                    detail += f", no VOD asset: {s['not_handed_off']}"
                if s.get("mp4"):
                    detail += f", MP4 {s['mp4'][0]['uri']}"
            lines.append(f"  {state} {o['origin_endpoint_id']:<24} {o['output']:<24} {o['manifest_key']}  {detail}")
        report = "\n".join(lines)
        self.log.info("%s", report)
        if failed:
            raise AirflowFailException(
                f"{len(failed)} of {len(outputs)} outputs of event {event_id} failed; "
                "see the failed task instances of the harvest group (each is retried on its own).\n" + report
            )
        return {"event_id": event_id, "outputs": outputs, "report": report}
