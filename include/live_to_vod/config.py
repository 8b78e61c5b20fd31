"""Deployment configuration of the live-to-VOD pipeline.

Pure domain module. Everything that differs between
deployments (bucket, roles, packaging group, timing margins) is read here, once,
from environment variables, so DAGs, operators and triggers share one source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from live_to_vod.text import show

__all__ = ["ENV_VARIABLES", "ConfigError", "DeploymentConfig", "settings_table"]

# Partition names look like aws, aws-cn, aws-us-gov, aws-iso-b: a typo here would make
# every role ARN fail validation with a confusing message, so it is refused up front.
_PARTITION_RE = re.compile(r"[a-z][a-z0-9-]{0,31}", re.ASCII)


class ConfigError(ValueError):
    """An environment variable holds a value the pipeline cannot use; the message names it."""


_SENSOR_MODES = ("reschedule", "poke")
#: Where alerts can go (Airflow notifiers of the Slack and SMTP providers).
ALERT_CHANNELS = ("slack", "smtp")


def _setting(default: object, env: str, meaning: str, *, minimum: int | None = None, shown: str | None = None) -> Any:
    """A config field: its environment variable, what it means (the docs' settings table is
    rendered from these) and, for whole numbers, the smallest allowed value."""
    return field(default=default, metadata={"env": env, "meaning": meaning, "minimum": minimum, "shown": shown})


@dataclass(frozen=True)
class DeploymentConfig:
    """Everything deployment-specific, in one place.

    :meth:`from_env` reads one environment variable per field (the field's ``env``); an unset,
    empty or whitespace-only variable means "use the default" (compose files and Helm charts
    often export empty variables), and values are stripped of surrounding whitespace. The
    table in ``docs/pipeline.md`` is rendered from these fields (:func:`settings_table`).

    Only the integers, the partition and the sensor mode are checked here (:class:`ConfigError`
    naming the variable). Bucket, template and ARNs are checked per run by
    :func:`live_to_vod.validation.validate_harvest_request`, which names the variable a bad
    default came from: a run that overrides them still works.
    """

    aws_conn_id: str = _setting("aws_default", "LIVE_TO_VOD_AWS_CONN_ID", "the Airflow connection for every AWS call")
    s3_bucket: str = _setting("", "LIVE_TO_VOD_S3_BUCKET", "bucket harvests land in, when the run gives no `s3_bucket`")
    manifest_key_template: str = _setting(
        "{event_id}/index.m3u8",
        "LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE",
        "default `manifest_key` template; placeholders `{event_id}`, `{date}`, `{origin_endpoint_id}`",
    )
    harvest_role_arn: str = _setting(
        "", "LIVE_TO_VOD_HARVEST_ROLE_ARN", "role MediaPackage assumes to write to S3, when the run gives no `role_arn`"
    )
    packaging_group_id: str = _setting(
        "", "LIVE_TO_VOD_PACKAGING_GROUP_ID", "MediaPackage VOD packaging group for the hand-off; empty: no hand-off"
    )
    vod_source_role_arn: str = _setting(
        "",
        "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN",
        "role MediaPackage VOD assumes to read the harvested asset (needed for a hand-off)",
    )
    mediaconvert_outputs: str = _setting(
        "",
        "LIVE_TO_VOD_MEDIACONVERT_OUTPUTS",
        "what MediaConvert makes of each output when the run does not say (`mediaconvert`): `mp4`, `thumbnails`, "
        "both comma-separated; empty: no MediaConvert job",
    )
    mediaconvert_role_arn: str = _setting(
        "",
        "LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN",
        "role MediaConvert assumes to read the harvested asset and write its outputs (needed for a MediaConvert job)",
    )
    mediaconvert_template: str = _setting(
        "broadcast_proxy.json",
        "LIVE_TO_VOD_MEDIACONVERT_TEMPLATE",
        "the MediaConvert job's settings when the run does not say: a JSON file in "
        "`include/live_to_vod/mediaconvert_templates/`, or a MediaConvert job template's name",
    )
    thumbnail_interval_seconds: int = _setting(
        10,
        "LIVE_TO_VOD_THUMBNAIL_INTERVAL_SECONDS",
        "seconds between thumbnails, after the poster frame, when the run does not say",
        minimum=1,
    )
    mediaconvert_timeout_minutes: int = _setting(
        120,
        "LIVE_TO_VOD_MEDIACONVERT_TIMEOUT_MINUTES",
        "a MediaConvert job not finished this long fails the wait",
        minimum=1,
    )
    end_margin_seconds: int = _setting(
        60,
        "LIVE_TO_VOD_END_MARGIN_SECONDS",
        "wait this long after the end + the endpoint's `TimeDelaySeconds` before harvesting",
        minimum=0,
    )
    max_future_hours: int = _setting(
        48, "LIVE_TO_VOD_MAX_FUTURE_HOURS", "refuse windows ending further ahead than this", minimum=1
    )
    aws_partition: str = _setting(
        "aws", "LIVE_TO_VOD_AWS_PARTITION", "ARNs must be in this partition (`aws-cn`, `aws-us-gov`, ...)"
    )
    harvest_timeout_minutes: int = _setting(
        120, "LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES", "a harvest still `IN_PROGRESS` this long fails the wait", minimum=1
    )
    vod_timeout_minutes: int = _setting(
        60, "LIVE_TO_VOD_VOD_TIMEOUT_MINUTES", "a VOD asset not `PLAYABLE` this long fails the wait", minimum=1
    )
    schedule_dir: str = _setting(
        str(Path(__file__).resolve().parents[1] / "schedules"),
        "LIVE_TO_VOD_SCHEDULE_DIR",
        "the season schedule's YAML files (the image sets `/opt/airflow/include/schedules`)",
        shown="include/schedules",
    )
    notification_queue_url: str = _setting(
        "",
        "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL",
        "SQS queue of harvest job notifications (the EventBridge rule's target); empty: no `harvest_notifications` DAG",
    )
    verify_full_max_mib: int = _setting(
        512,  # verification.limits.DEFAULT_FULL_MAX_BYTES (not imported: that package loads PyAV)
        "LIVE_TO_VOD_VERIFY_FULL_MAX_MIB",
        "in `auto`, an asset whose segments total at most this many MiB has every segment decoded (clips, "
        "short events); larger ones are sampled",
        minimum=0,
    )
    sensor_mode: str = _setting(
        "reschedule",
        "LIVE_TO_VOD_SENSOR_MODE",
        "how the harvest wait polls when operators are not deferrable: `reschedule` frees the worker slot "
        "between polls, `poke` holds it",
    )

    alert_channels: str = _setting(
        "",
        "LIVE_TO_VOD_ALERT_CHANNELS",
        "where alerts go: `slack`, `smtp`, both comma-separated; empty: no alerts (failures still show in the UI)",
    )
    alert_slack_conn_id: str = _setting(
        "slack_alerts", "LIVE_TO_VOD_ALERT_SLACK_CONN_ID", "the Slack incoming-webhook connection alerts post to"
    )
    alert_smtp_conn_id: str = _setting(
        "smtp_alerts", "LIVE_TO_VOD_ALERT_SMTP_CONN_ID", "the SMTP connection alert emails go through"
    )
    alert_email_to: str = _setting(
        "", "LIVE_TO_VOD_ALERT_EMAIL_TO", "who alert emails go to, comma-separated (needed for `smtp`)"
    )
    alert_email_from: str = _setting(
        "", "LIVE_TO_VOD_ALERT_EMAIL_FROM", "the alert emails' sender; empty: the SMTP connection's `from_email`"
    )
    alert_on_recovery: str = _setting(
        "false",
        "LIVE_TO_VOD_ALERT_ON_RECOVERY",
        '`true`: a task that succeeds after failed tries sends one "recovered" note; `false`: retries stay quiet',
    )
    playable_within_minutes: int = _setting(
        30,
        "LIVE_TO_VOD_PLAYABLE_WITHIN_MINUTES",
        "an event's VOD is due playable this long after its end when the event does not say "
        "(`playable_within_minutes`); a miss alerts once",
        minimum=1,
    )
    last_chance_minutes: int = _setting(
        30,
        "LIVE_TO_VOD_LAST_CHANCE_MINUTES",
        "alert once when an event's content leaves the startover window within this long and it has no "
        "completed harvest",
        minimum=1,
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeploymentConfig:
        """Build the config from ``environ`` (default: ``os.environ``).

        Raises :class:`ConfigError` naming the variable for a value that is not a
        whole number, is below its minimum, or (partition) is not a partition name.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name)
            if raw is None or not str(raw).strip():
                continue  # unset or empty: keep the default
            text = str(raw).strip()
            if f.metadata["minimum"] is not None:
                values[f.name] = _parse_int(name, text, f.metadata["minimum"])
            else:
                values[f.name] = text
        partition = values.get("aws_partition")
        if isinstance(partition, str) and not _PARTITION_RE.fullmatch(partition):
            raise ConfigError(
                f"LIVE_TO_VOD_AWS_PARTITION={show(partition)} is not an AWS partition name "
                "(like aws, aws-cn or aws-us-gov)"
            )
        mode = values.get("sensor_mode")
        if mode is not None and mode not in _SENSOR_MODES:
            raise ConfigError(f"LIVE_TO_VOD_SENSOR_MODE={show(str(mode))} is not one of {', '.join(_SENSOR_MODES)}")
        channels = values.get("alert_channels")
        if isinstance(channels, str):
            names = [c.strip() for c in channels.split(",") if c.strip()]
            unknown = [c for c in names if c not in ALERT_CHANNELS]
            if unknown:
                raise ConfigError(
                    f"LIVE_TO_VOD_ALERT_CHANNELS={show(channels)}: {', '.join(map(show, unknown))} is not one of "
                    f"{', '.join(ALERT_CHANNELS)}"
                )
            if "smtp" in names and not values.get("alert_email_to"):
                raise ConfigError("LIVE_TO_VOD_ALERT_EMAIL_TO is empty: the smtp alert channel needs recipients")
            values["alert_channels"] = ",".join(dict.fromkeys(names))
        recovery = values.get("alert_on_recovery")
        if recovery is not None and str(recovery).lower() not in ("true", "false"):
            raise ConfigError(f"LIVE_TO_VOD_ALERT_ON_RECOVERY={show(str(recovery))} is not true or false")
        if recovery is not None:
            values["alert_on_recovery"] = str(recovery).lower()
        return cls(**values)  # type: ignore[arg-type]

    @property
    def alert_channel_list(self) -> tuple[str, ...]:
        """The configured alert channels, in order, without repeats."""
        return tuple(dict.fromkeys(c.strip() for c in self.alert_channels.split(",") if c.strip()))

    @property
    def alert_email_list(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.alert_email_to.split(",") if a.strip())


def _parse_int(name: str, text: str, minimum: int) -> int:
    # Only plain decimal digits: int() would also take "1_000" or "٣", surprising in ops config.
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", text, re.ASCII):
        raise ConfigError(f"{name}={show(text)} is not a whole number")
    value = int(text)
    if value < minimum:
        raise ConfigError(f"{name}={value} is too small: it must be at least {minimum}")
    return value


#: Each setting's environment variable, by field name.
ENV_VARIABLES: dict[str, str] = {f.name: f.metadata["env"] for f in fields(DeploymentConfig)}


def settings_table() -> str:
    """The settings as a Markdown table (``docs/pipeline.md`` holds it; a test keeps it current)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(DeploymentConfig):
        default = f.metadata["shown"] or f.default
        minimum = f.metadata["minimum"]
        limit = f" (at least {minimum})" if minimum is not None else ""
        shown = f"`{default}`" if default != "" else ""
        rows.append(f"| `{f.metadata['env']}` | {shown} | {f.metadata['meaning']}{limit} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
