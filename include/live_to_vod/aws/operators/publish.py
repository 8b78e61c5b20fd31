"""Announce a harvested asset to Airflow (an asset event) and write the run's summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Asset, AssetAlias, BaseOperator

from live_to_vod.validation import HarvestRequest

# Downstream DAGs schedule on this alias; each event names the concrete s3:// asset.
HARVESTED_ASSETS = AssetAlias(name="harvested-vod-assets")


class PublishHarvestedAssetOperator(BaseOperator):
    """Emit an Airflow asset event for ``s3://bucket/prefix/index.m3u8`` and log a run summary.

    The event goes through the ``harvested-vod-assets`` asset alias (asset URIs are only known
    at run time) and carries the event, window, duration, renditions, segment count, bytes and
    VOD playback URLs as its ``extra``, so downstream DAGs can be scheduled on harvested assets.

    Returns the summary (also the asset event's extra).

    :param request: the validated request.
    :param harvest: ``CreateHarvestJobOperator``'s XCom.
    :param verification: ``VerifyHarvestedAssetOperator``'s XCom.
    :param vod: ``CreateVodAssetOperator``'s XCom, or None when there was no hand-off.
    """

    template_fields: Sequence[str] = ("request", "harvest", "verification", "vod")

    def __init__(self, *, request: Any, harvest: Any, verification: Any, vod: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("outlets", [HARVESTED_ASSETS])
        super().__init__(**kwargs)
        self.request = request
        self.harvest = harvest
        self.verification = verification
        self.vod = vod

    def execute(self, context: Any) -> dict[str, Any]:
        request = HarvestRequest.from_dict(self.request)
        vod = self.vod if isinstance(self.vod, dict) else None
        summary = {
            "event_id": request.event_id,
            "origin_endpoint_id": request.origin_endpoint_id,
            "window_start": request.window.start.to_iso8601_string(),
            "window_end": request.window.end.to_iso8601_string(),
            "harvest_job_id": self.harvest["harvest_job_id"],
            "asset_uri": request.asset_uri,
            "duration_seconds": self.verification["duration_seconds"],
            "renditions": [
                {k: r.get(k) for k in ("uri", "kind", "resolution", "bandwidth", "codecs", "segments")}
                for r in self.verification["renditions"]
            ],
            "segment_count": self.verification["segment_count"],
            "total_bytes": self.verification["total_bytes"],
            "vod_asset_id": vod["asset_id"] if vod else None,
            "vod_playback_urls": vod["playback_urls"] if vod else [],
        }
        context["outlet_events"][HARVESTED_ASSETS].add(
            Asset(uri=request.asset_uri, name=request.asset_uri), extra=summary
        )
        self.log.info("%s", render_summary(summary))
        return summary


def render_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"Event {summary['event_id']} harvested: {summary['asset_uri']}",
        f"  window        {summary['window_start']} -> {summary['window_end']} "
        f"({summary['duration_seconds']:.1f} s of media)",
        f"  harvest job   {summary['harvest_job_id']} (endpoint {summary['origin_endpoint_id']})",
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
        lines.append("  VOD asset     none (no packaging group: no hand-off)")
    return "\n".join(lines)
