"""Deployment configuration of the live-to-VOD pipeline.

Pure domain module: no Airflow, no boto3. Everything that differs between
deployments (bucket, roles, packaging group, timing margins) is read here, once,
from environment variables, so DAGs, operators and triggers share one source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

__all__ = ["ConfigError", "DeploymentConfig"]

# Partition names look like aws, aws-cn, aws-us-gov, aws-iso-b: a typo here would make
# every role ARN fail validation with a confusing message, so it is refused up front.
_PARTITION_RE = re.compile(r"[a-z][a-z0-9-]{0,31}", re.ASCII)


class ConfigError(ValueError):
    """An environment variable holds a value the pipeline cannot use; the message names it."""


# field name -> environment variable
_ENV_NAMES: dict[str, str] = {
    "aws_conn_id": "LIVE_TO_VOD_AWS_CONN_ID",
    "s3_bucket": "LIVE_TO_VOD_S3_BUCKET",
    "manifest_key_template": "LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE",
    "harvest_role_arn": "LIVE_TO_VOD_HARVEST_ROLE_ARN",
    "packaging_group_id": "LIVE_TO_VOD_PACKAGING_GROUP_ID",
    "vod_source_role_arn": "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN",
    "end_margin_seconds": "LIVE_TO_VOD_END_MARGIN_SECONDS",
    "max_future_hours": "LIVE_TO_VOD_MAX_FUTURE_HOURS",
    "aws_partition": "LIVE_TO_VOD_AWS_PARTITION",
    "harvest_timeout_minutes": "LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES",
    "vod_timeout_minutes": "LIVE_TO_VOD_VOD_TIMEOUT_MINUTES",
    "schedule_dir": "LIVE_TO_VOD_SCHEDULE_DIR",
    "notification_queue_url": "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL",
    "sensor_mode": "LIVE_TO_VOD_SENSOR_MODE",
}
_SENSOR_MODES = ("reschedule", "poke")
# integer fields -> smallest allowed value
_INT_MINIMUM: dict[str, int] = {
    "end_margin_seconds": 0,
    "max_future_hours": 1,
    "harvest_timeout_minutes": 1,
    "vod_timeout_minutes": 1,
}


@dataclass(frozen=True)
class DeploymentConfig:
    """Everything deployment-specific, in one place.

    :meth:`from_env` reads these environment variables. An unset, empty or
    whitespace-only variable means "use the default" (compose files and Helm
    charts often export empty variables). Values are stripped of surrounding
    whitespace.

    ======================================  ===========================  ==============================================
    variable                                default                      meaning
    ======================================  ===========================  ==============================================
    ``LIVE_TO_VOD_AWS_CONN_ID``             ``aws_default``              Airflow connection used for every AWS call
    ``LIVE_TO_VOD_S3_BUCKET``               (none)                       bucket harvests land in, when the run
                                                                         gives no ``s3_bucket``
    ``LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE``   ``{event_id}/index.m3u8``    default ``manifest_key`` template;
                                                                         placeholders ``{event_id}``, ``{date}``,
                                                                         ``{origin_endpoint_id}``
    ``LIVE_TO_VOD_HARVEST_ROLE_ARN``        (none)                       role MediaPackage assumes to write to S3,
                                                                         when the run gives no ``role_arn``
    ``LIVE_TO_VOD_PACKAGING_GROUP_ID``      (none)                       MediaPackage VOD packaging group for the
                                                                         hand-off; empty = no hand-off
    ``LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN``     (none)                       role MediaPackage VOD assumes to read the
                                                                         harvested asset (needed for a hand-off)
    ``LIVE_TO_VOD_END_MARGIN_SECONDS``      ``60``                       wait this long after end + TimeDelaySeconds
                                                                         before harvesting (>= 0)
    ``LIVE_TO_VOD_MAX_FUTURE_HOURS``        ``48``                       refuse windows ending further ahead (>= 1)
    ``LIVE_TO_VOD_AWS_PARTITION``           ``aws``                      ARNs must be in this partition
                                                                         (``aws-cn``, ``aws-us-gov``, ...)
    ``LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES`` ``120``                      a harvest still IN_PROGRESS this long fails
                                                                         the wait (>= 1)
    ``LIVE_TO_VOD_VOD_TIMEOUT_MINUTES``     ``60``                       a VOD asset not PLAYABLE this long fails
                                                                         the wait (>= 1)
    ``LIVE_TO_VOD_SCHEDULE_DIR``            ``include/schedules``        the season schedule's YAML files
    ``LIVE_TO_VOD_NOTIFICATION_QUEUE_URL``  (none)                       SQS queue of harvest job notifications
                                                                         (EventBridge rule); empty = no
                                                                         ``harvest_notifications`` DAG
    ``LIVE_TO_VOD_SENSOR_MODE``             ``reschedule``               how the harvest wait polls when operators
                                                                         are not deferrable (``[operators]
                                                                         default_deferrable`` off): ``reschedule``
                                                                         frees the slot between polls, ``poke``
                                                                         holds it (the benchmark's baseline)
    ======================================  ===========================  ==============================================

    Only the integers and the partition are checked here (:class:`ConfigError`
    naming the variable). Bucket, template and ARNs are checked per run by
    :func:`live_to_vod.validation.validate_harvest_request`, which names the
    variable a bad default came from: a run that overrides them still works.
    """

    aws_conn_id: str = "aws_default"
    s3_bucket: str = ""
    manifest_key_template: str = "{event_id}/index.m3u8"
    harvest_role_arn: str = ""
    packaging_group_id: str = ""
    vod_source_role_arn: str = ""
    end_margin_seconds: int = 60
    max_future_hours: int = 48
    aws_partition: str = "aws"
    harvest_timeout_minutes: int = 120
    vod_timeout_minutes: int = 60
    schedule_dir: str = str(Path(__file__).resolve().parents[1] / "schedules")
    notification_queue_url: str = ""
    sensor_mode: str = "reschedule"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeploymentConfig:
        """Build the config from ``environ`` (default: ``os.environ``).

        Raises :class:`ConfigError` naming the variable for a value that is not a
        whole number, is below its minimum, or (partition) is not a partition name.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = _ENV_NAMES[f.name]
            raw = env.get(name)
            if raw is None or not str(raw).strip():
                continue  # unset or empty: keep the default
            text = str(raw).strip()
            if f.name in _INT_MINIMUM:
                values[f.name] = _parse_int(name, text, _INT_MINIMUM[f.name])
            else:
                values[f.name] = text
        partition = values.get("aws_partition")
        if isinstance(partition, str) and not _PARTITION_RE.fullmatch(partition):
            raise ConfigError(
                f"LIVE_TO_VOD_AWS_PARTITION={_clip(partition)} is not an AWS partition name "
                "(like aws, aws-cn or aws-us-gov)"
            )
        mode = values.get("sensor_mode")
        if mode is not None and mode not in _SENSOR_MODES:
            raise ConfigError(f"LIVE_TO_VOD_SENSOR_MODE={_clip(str(mode))} is not one of {', '.join(_SENSOR_MODES)}")
        return cls(**values)  # type: ignore[arg-type]


def _parse_int(name: str, text: str, minimum: int) -> int:
    # Only plain decimal digits: int() would also take "1_000" or "٣", surprising in ops config.
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", text, re.ASCII):
        raise ConfigError(f"{name}={_clip(text)} is not a whole number")
    value = int(text)
    if value < minimum:
        raise ConfigError(f"{name}={value} is too small: it must be at least {minimum}")
    return value


def _clip(text: str, limit: int = 80) -> str:
    shown = repr(text[:limit])
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"
