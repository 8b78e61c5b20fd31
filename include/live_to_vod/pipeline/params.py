"""The trigger forms of ``live_event_harvest`` and ``reverify_vod_asset``: one ``Param`` per request field.

The form checks what JSON schema can (types, the id alphabets of
:mod:`live_to_vod.field_rules`); the validate task checks everything (times, windows, the
deployment's defaults) and names each field it refuses, for the form and the REST API alike.
"""

from __future__ import annotations

from airflow.sdk import Param

from live_to_vod.config import DeploymentConfig
from live_to_vod.field_rules import (
    DEFAULT_VERIFY_SEGMENTS,
    EVENT_ID,
    PLAYABLE_WITHIN_MINUTES,
    RESOURCE_ID,
    VERIFY_SEGMENTS,
)
from live_to_vod.times import EXAMPLE_TIME
from live_to_vod.transcode_jobs import PRODUCTS
from live_to_vod.validation import REVERIFY_DEFAULT_SEGMENTS


def _default(value: str) -> str:
    return f"Empty: the deployment default ({value or 'none set'})."


def _text(title: str, description: str, section: str, pattern: str | None = None, **schema: str) -> Param:
    if pattern is not None:
        schema["pattern"] = pattern
    return Param(default=None, type=["null", "string"], title=title, description=description, section=section, **schema)


def verify_segments_param(config: DeploymentConfig, default: str) -> Param:
    """The ``verify_segments`` choice, a drop-down in the form; empty (null) means ``default``."""
    return Param(
        default=None,
        type=["null", "string"],
        enum=[None, *VERIFY_SEGMENTS],
        values_display={"null": f"{default} (default)"},
        title="Segment reads",
        description=(
            "How verify_asset reads the media segments: full decodes every one; sampled decodes the first and "
            "last of each rendition, a spread between them and every suspect; auto is full up to "
            f"{config.verify_full_max_mib} MiB of segments (LIVE_TO_VOD_VERIFY_FULL_MAX_MIB), else sampled. "
            f"Empty: {default}."
        ),
        section="Verification",
    )


def harvest_params(config: DeploymentConfig) -> dict[str, Param]:
    """The params of a manual run, with the deployment's defaults shown in the descriptions."""
    return {
        "event_id": _text(
            "Event id",
            "Required for manual runs. Names the run's harvest job and VOD asset: "
            f"letters, digits, _ and -, up to {EVENT_ID.max_len}.",
            "Event",
            EVENT_ID.json_schema_pattern,
        ),
        "origin_endpoint_id": _text(
            "Origin endpoint (v1)",
            "A MediaPackage v1 HLS origin endpoint id to harvest (it needs a startover window). "
            "For a MediaPackage v2 endpoint leave it empty and fill the v2 fields below.",
            "Event",
            RESOURCE_ID.json_schema_pattern,
        ),
        "channel_group": _text(
            "Channel group (v2)",
            "The v2 endpoint's channel group.",
            "MediaPackage v2 source",
            RESOURCE_ID.json_schema_pattern,
        ),
        "channel": _text(
            "Channel (v2)", "The v2 endpoint's channel.", "MediaPackage v2 source", RESOURCE_ID.json_schema_pattern
        ),
        "origin_endpoint": _text(
            "Origin endpoint (v2)",
            "The v2 origin endpoint's name (TS or CMAF container, with a startover window).",
            "MediaPackage v2 source",
            RESOURCE_ID.json_schema_pattern,
        ),
        "manifests": Param(
            default=None,
            type=["null", "array"],
            items={"type": "string", "pattern": RESOURCE_ID.json_schema_pattern},
            title="Manifests (v2)",
            description=(
                "The endpoint's manifests to harvest, one name per line (HLS, Low-Latency HLS or DASH). "
                "Empty: every HLS and DASH manifest of the endpoint."
            ),
            section="MediaPackage v2 source",
        ),
        "start_time": _text("Start", f"ISO 8601 with an offset, e.g. {EXAMPLE_TIME}.", "Event", format="date-time"),
        "end_time": _text(
            "End",
            "ISO 8601 with an offset; at most 24 h after the start. May be in the future: the run waits.",
            "Event",
            format="date-time",
        ),
        "s3_bucket": _text("S3 bucket", _default(config.s3_bucket), "Destination"),
        "manifest_key": _text(
            "Manifest key",
            "Template for the parent manifest's key; placeholders {event_id}, {date}, "
            "{origin_endpoint_id}. " + _default(config.manifest_key_template),
            "Destination",
        ),
        "role_arn": _text(
            "Harvest role ARN",
            "Role MediaPackage v1 assumes to write to S3 (v2 writes with the bucket policy: leave empty). "
            + _default(config.harvest_role_arn),
            "Destination",
        ),
        "packaging_group_id": _text(
            "VOD packaging group",
            "MediaPackage VOD packaging group for the hand-off. " + _default(config.packaging_group_id),
            "VOD hand-off",
        ),
        "verify_segments": verify_segments_param(config, DEFAULT_VERIFY_SEGMENTS),
        "mediaconvert": Param(
            default=None,
            type=["null", "array"],
            items={"type": "string", "enum": list(PRODUCTS)},
            title="MediaConvert outputs",
            description=(
                "What a MediaConvert job makes of the harvest, frame-accurate to the window, one per line: mp4 "
                "(H.264 + AAC) and/or thumbnails (a poster at the start, then one every interval). Empty: the "
                f"deployment default ({config.mediaconvert_outputs or 'none'}, LIVE_TO_VOD_MEDIACONVERT_OUTPUTS)."
            ),
            section="MediaConvert hand-off",
        ),
        "thumbnail_interval_seconds": Param(
            default=None,
            type=["null", "integer"],
            minimum=1,
            maximum=3600,
            title="Thumbnail interval (s)",
            description="Seconds between thumbnails after the poster. "
            + _default(str(config.thumbnail_interval_seconds)),
            section="MediaConvert hand-off",
        ),
        "mediaconvert_template": _text(
            "MediaConvert template",
            "A JSON template file (include/live_to_vod/mediaconvert_templates/) or a MediaConvert job template "
            "name. " + _default(config.mediaconvert_template),
            "MediaConvert hand-off",
        ),
        "playable_within_minutes": Param(
            default=None,
            type=["null", "integer"],
            minimum=PLAYABLE_WITHIN_MINUTES[0],
            maximum=PLAYABLE_WITHIN_MINUTES[1],
            title="Playable within (min)",
            description="The VOD is due playable this many minutes after the event's end; if it is not, one "
            "alert says what is still running. " + _default(str(config.playable_within_minutes)),
            section="Game day",
        ),
    }


def reverify_params(config: DeploymentConfig) -> dict[str, Param]:
    """The params of a re-verification (``REVERIFY_FIELDS``): the asset, its window, how segments are read."""
    return {
        "s3_bucket": _text("S3 bucket", _default(config.s3_bucket), "Asset"),
        "manifest_key": _text(
            "Manifest key",
            "Required. The key of the asset's parent manifest, as harvested (e.g. nfl-wk12/index.m3u8); "
            "not a template.",
            "Asset",
        ),
        "start_time": _text(
            "Start",
            f"Required. The window the asset must cover; ISO 8601 with an offset, e.g. {EXAMPLE_TIME}.",
            "Window",
            format="date-time",
        ),
        "end_time": _text(
            "End",
            "Required. ISO 8601 with an offset; at most 24 h after the start, not in the future.",
            "Window",
            format="date-time",
        ),
        "verify_segments": verify_segments_param(config, REVERIFY_DEFAULT_SEGMENTS),
    }
