"""What one harvest job of a run is: its window and its request, as the tasks pass them on; and
what verifying an asset needs (:class:`AssetToVerify`), whether just harvested or asked for again.

Pure domain module. The objects are built by validation (:mod:`live_to_vod.validation`,
:mod:`live_to_vod.event_requests`) and travel between tasks as XCom dicts
(:meth:`HarvestRequest.to_dict` / :meth:`HarvestRequest.from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum

from live_to_vod.field_rules import DEFAULT_VERIFY_SEGMENTS
from live_to_vod.naming import s3_object_arn
from live_to_vod.times import aws_time

__all__ = ["AssetToVerify", "HarvestRequest", "HarvestWindow"]


@dataclass(frozen=True)
class HarvestWindow:
    """The time window of the live stream to harvest, held in UTC.

    Any timezone-aware datetime is accepted and converted to a UTC
    ``pendulum.DateTime``; a naive one is a programming error (``ValueError``).
    The window's own rules (end after start, at most 24 h) are checked by
    validation, not here.
    """

    start: pendulum.DateTime
    end: pendulum.DateTime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ValueError(f"HarvestWindow.{name} must be a timezone-aware datetime, got {value!r}")
            object.__setattr__(self, name, pendulum.instance(value).in_timezone("UTC"))

    @property
    def duration(self) -> pendulum.Duration:
        delta = self.end - self.start
        return pendulum.duration(days=delta.days, seconds=delta.seconds, microseconds=delta.microseconds)

    def ready_at(self, time_delay_seconds: int, margin_seconds: int) -> pendulum.DateTime:
        """When the window's end has certainly been packaged: end + endpoint delay + safety margin."""
        return self.end.add(seconds=time_delay_seconds + margin_seconds)

    def harvest_times(self) -> tuple[str, str]:
        """``StartTime``/``EndTime`` for CreateHarvestJob, e.g. ``2026-11-27T00:00:00Z``."""
        return aws_time(self.start), aws_time(self.end)


@dataclass(frozen=True)
class HarvestRequest:
    """A validated harvest: everything the DAG needs to create, verify and hand off one harvest job.

    ``verify_segments`` says how the verification reads the asset's media segments (one of
    :data:`live_to_vod.field_rules.VERIFY_SEGMENTS`); requests made before it existed, and
    those of harvest jobs made elsewhere, read as ``auto``.
    """

    event_id: str
    origin_endpoint_id: str
    window: HarvestWindow
    s3_bucket: str
    manifest_key: str
    role_arn: str
    packaging_group_id: str | None
    vod_source_role_arn: str | None
    verify_segments: str = DEFAULT_VERIFY_SEGMENTS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (times as ISO 8601 strings) for XCom; :meth:`from_dict` reverses it."""
        return {
            "event_id": self.event_id,
            "origin_endpoint_id": self.origin_endpoint_id,
            "start_time": self.window.start.isoformat(),
            "end_time": self.window.end.isoformat(),
            "s3_bucket": self.s3_bucket,
            "manifest_key": self.manifest_key,
            "role_arn": self.role_arn,
            "packaging_group_id": self.packaging_group_id,
            "vod_source_role_arn": self.vod_source_role_arn,
            "verify_segments": self.verify_segments,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HarvestRequest:
        """Rebuild a request from :meth:`to_dict` output (trusted: it was validated before).

        A dict without ``verify_segments`` (an XCom written before the field existed) reads as ``auto``.
        """
        return cls(
            event_id=d["event_id"],
            origin_endpoint_id=d["origin_endpoint_id"],
            window=HarvestWindow(_trusted_time(d["start_time"]), _trusted_time(d["end_time"])),
            s3_bucket=d["s3_bucket"],
            manifest_key=d["manifest_key"],
            role_arn=d["role_arn"],
            packaging_group_id=d.get("packaging_group_id") or None,
            vod_source_role_arn=d.get("vod_source_role_arn") or None,
            verify_segments=d.get("verify_segments") or DEFAULT_VERIFY_SEGMENTS,
        )

    @property
    def asset_uri(self) -> str:
        """Where the parent manifest lands: ``s3://bucket/key``."""
        return f"s3://{self.s3_bucket}/{self.manifest_key}"

    def asset_arn(self, partition: str) -> str:
        """The parent manifest's S3 ARN, as MediaPackage VOD ``CreateAsset`` wants it in ``SourceArn``."""
        return s3_object_arn(partition, self.s3_bucket, self.manifest_key)


@dataclass(frozen=True)
class AssetToVerify:
    """An asset in S3 to verify: its parent manifest, the window it must cover, and how its media
    segments are read (one of :data:`live_to_vod.field_rules.VERIFY_SEGMENTS`).

    The verify task's ``request`` is either a :class:`HarvestRequest` dict (the harvest DAGs) or
    this object's dict (``reverify_vod_asset``): :meth:`from_dict` reads the keys both carry.
    """

    s3_bucket: str
    manifest_key: str
    window: HarvestWindow
    verify_segments: str = DEFAULT_VERIFY_SEGMENTS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for XCom, with :class:`HarvestRequest`'s key names."""
        return {
            "s3_bucket": self.s3_bucket,
            "manifest_key": self.manifest_key,
            "start_time": self.window.start.isoformat(),
            "end_time": self.window.end.isoformat(),
            "verify_segments": self.verify_segments,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AssetToVerify:
        """From :meth:`to_dict` or :meth:`HarvestRequest.to_dict` output (trusted: validated
        before); without ``verify_segments`` (an older XCom), ``auto``."""
        return cls(
            s3_bucket=d["s3_bucket"],
            manifest_key=d["manifest_key"],
            window=HarvestWindow(_trusted_time(d["start_time"]), _trusted_time(d["end_time"])),
            verify_segments=d.get("verify_segments") or DEFAULT_VERIFY_SEGMENTS,
        )

    @property
    def asset_uri(self) -> str:
        """Where the parent manifest is: ``s3://bucket/key``."""
        return f"s3://{self.s3_bucket}/{self.manifest_key}"


def _trusted_time(text: str) -> pendulum.DateTime:
    return pendulum.instance(datetime.fromisoformat(text)).in_timezone("UTC")
