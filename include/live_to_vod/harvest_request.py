"""What one harvest job of a run is: its window and its request, as the tasks pass them on; and
what verifying an asset needs (:class:`AssetToVerify`), whether just harvested or asked for again.

Pure domain module. The objects are built by validation (:mod:`live_to_vod.validation`,
:mod:`live_to_vod.event_requests`) and travel between tasks as XCom dicts
(:meth:`HarvestRequest.to_dict` / :meth:`HarvestRequest.from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum

from live_to_vod.field_rules import DEFAULT_VERIFY_SEGMENTS
from live_to_vod.naming import s3_object_arn
from live_to_vod.times import aws_time

__all__ = [
    "MANIFEST_SUFFIXES",
    "AssetToVerify",
    "HarvestRequest",
    "HarvestWindow",
    "V2Endpoint",
    "primary_manifest_file",
]

#: The file each kind of v2 manifest is harvested as, under the job's ``DestinationPath``.
MANIFEST_SUFFIXES = {"HlsManifests": ".m3u8", "LowLatencyHlsManifests": ".m3u8", "DashManifests": ".mpd"}


def primary_manifest_file(harvested: Mapping[str, Sequence[str]]) -> str | None:
    """The file of the v2 manifest that stands for the harvest (its ``manifest_key``: verified first,
    handed off, published): the first HLS manifest, else Low-Latency HLS, else DASH."""
    for kind, suffix in MANIFEST_SUFFIXES.items():
        if harvested.get(kind):
            return harvested[kind][0] + suffix
    return None


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

    def whole_seconds(self) -> HarvestWindow:
        """The window widened to whole seconds: what a harvest job is asked for. A harvest is
        segment-accurate, so a fraction changes nothing it writes; MediaPackage keeps job times to
        the second, and the frame-accurate cut of the exact window is MediaConvert's."""
        start = self.start.replace(microsecond=0)
        end = self.end if not self.end.microsecond else self.end.replace(microsecond=0).add(seconds=1)
        return HarvestWindow(start, end)

    def harvest_times(self) -> tuple[str, str]:
        """``StartTime``/``EndTime`` for CreateHarvestJob, e.g. ``2026-11-27T00:00:00Z`` (whole seconds)."""
        span = self.whole_seconds()
        return aws_time(span.start), aws_time(span.end)


@dataclass(frozen=True)
class V2Endpoint:
    """A MediaPackage v2 origin endpoint: named in its channel group and channel, not by a generated id."""

    channel_group: str
    channel: str
    origin_endpoint: str

    @property
    def ref(self) -> str:
        """``group/channel/endpoint``: how schedules, logs, job names and messages name it (a v1 id
        never holds a ``/``)."""
        return f"{self.channel_group}/{self.channel}/{self.origin_endpoint}"

    @classmethod
    def from_ref(cls, ref: str) -> V2Endpoint | None:
        """The endpoint a ``group/channel/endpoint`` ref names; None for anything else (a v1 id)."""
        parts = ref.split("/")
        return cls(*parts) if len(parts) == 3 and all(parts) else None

    def names(self) -> dict[str, str]:
        """The three URI members every v2 endpoint and harvest-job call takes."""
        return {
            "ChannelGroupName": self.channel_group,
            "ChannelName": self.channel,
            "OriginEndpointName": self.origin_endpoint,
        }


@dataclass(frozen=True)
class HarvestRequest:
    """A validated harvest: everything the DAG needs to create, verify and hand off one harvest job.

    ``verify_segments`` says how the verification reads the asset's media segments (one of
    :data:`live_to_vod.field_rules.VERIFY_SEGMENTS`); requests made before it existed, and
    those of harvest jobs made elsewhere, read as ``auto``.

    The source is a v1 origin endpoint (``origin_endpoint_id``, and ``role_arn`` is the role
    MediaPackage writes S3 with) or a v2 one (``v2_endpoint``; MediaPackage v2 writes with the
    bucket policy, so ``role_arn`` is empty). A v2 harvest writes its manifests into the folder of
    ``manifest_key`` (the job's ``DestinationPath``): ``manifests`` are the names asked for (empty:
    every HLS and DASH manifest of the endpoint); validate resolves them against the endpoint into
    ``harvested_manifests`` (CreateHarvestJob's ``HarvestedManifests`` shape, names only), records
    the endpoint's ``container_type``, and points ``manifest_key`` at the primary manifest.
    """

    event_id: str
    origin_endpoint_id: str | None
    window: HarvestWindow
    s3_bucket: str
    manifest_key: str
    role_arn: str
    packaging_group_id: str | None
    vod_source_role_arn: str | None
    verify_segments: str = DEFAULT_VERIFY_SEGMENTS
    v2_endpoint: V2Endpoint | None = None
    manifests: tuple[str, ...] = ()
    harvested_manifests: Mapping[str, tuple[str, ...]] | None = None
    container_type: str | None = None
    mediaconvert: tuple[str, ...] = ()
    mediaconvert_role_arn: str | None = None
    mediaconvert_template: str = "broadcast_proxy.json"
    thumbnail_interval_seconds: int = 10

    @property
    def endpoint_ref(self) -> str:
        """The source as schedules and logs name it: the v1 id, or ``group/channel/endpoint``."""
        if self.v2_endpoint is not None:
            return self.v2_endpoint.ref
        assert self.origin_endpoint_id is not None  # one of the two, by validation
        return self.origin_endpoint_id

    @property
    def destination_path(self) -> str:
        """A v2 job's ``DestinationPath``: the folder of ``manifest_key``."""
        return self.manifest_key.rsplit("/", 1)[0] if "/" in self.manifest_key else ""

    def manifest_keys(self) -> list[str]:
        """Every manifest the harvest writes, the primary (``manifest_key``) first."""
        if self.harvested_manifests is None:
            return [self.manifest_key]
        keys = [
            f"{self.destination_path}/{name}{MANIFEST_SUFFIXES[kind]}"
            for kind in MANIFEST_SUFFIXES
            for name in self.harvested_manifests.get(kind, ())
        ]
        return [self.manifest_key, *(k for k in dict.fromkeys(keys) if k != self.manifest_key)]

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
            "v2_endpoint": self.v2_endpoint.ref if self.v2_endpoint else None,
            "manifests": list(self.manifests),
            "harvested_manifests": (
                {k: list(v) for k, v in self.harvested_manifests.items()} if self.harvested_manifests else None
            ),
            "container_type": self.container_type,
            "mediaconvert": list(self.mediaconvert),
            "mediaconvert_role_arn": self.mediaconvert_role_arn,
            "mediaconvert_template": self.mediaconvert_template,
            "thumbnail_interval_seconds": self.thumbnail_interval_seconds,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HarvestRequest:
        """Rebuild a request from :meth:`to_dict` output (trusted: it was validated before).

        A dict without ``verify_segments`` (an XCom written before the field existed) reads as ``auto``.
        """
        return cls(
            event_id=d["event_id"],
            origin_endpoint_id=d.get("origin_endpoint_id"),
            window=HarvestWindow(_trusted_time(d["start_time"]), _trusted_time(d["end_time"])),
            s3_bucket=d["s3_bucket"],
            manifest_key=d["manifest_key"],
            role_arn=d.get("role_arn") or "",
            packaging_group_id=d.get("packaging_group_id") or None,
            vod_source_role_arn=d.get("vod_source_role_arn") or None,
            verify_segments=d.get("verify_segments") or DEFAULT_VERIFY_SEGMENTS,
            v2_endpoint=V2Endpoint.from_ref(d["v2_endpoint"]) if d.get("v2_endpoint") else None,
            manifests=tuple(d.get("manifests") or ()),
            harvested_manifests=(
                {k: tuple(v) for k, v in d["harvested_manifests"].items()} if d.get("harvested_manifests") else None
            ),
            container_type=d.get("container_type"),
            mediaconvert=tuple(d.get("mediaconvert") or ()),
            mediaconvert_role_arn=d.get("mediaconvert_role_arn") or None,
            mediaconvert_template=d.get("mediaconvert_template") or "broadcast_proxy.json",
            thumbnail_interval_seconds=d.get("thumbnail_interval_seconds") or 10,
        )

    @property
    def asset_uri(self) -> str:
        """Where the parent manifest lands: ``s3://bucket/key``."""
        return f"s3://{self.s3_bucket}/{self.manifest_key}"

    def not_handed_off(self) -> str | None:
        """Why this harvest is not handed to MediaPackage VOD, in plain words; None when it is.

        MediaPackage VOD ingests an HLS parent playlist over MPEG-TS segments (or MP4 files through
        a .smil manifest): a v2 harvest over CMAF (HLS with fMP4 segments, DASH) is not one, so it
        stays a verified asset in S3 without a VOD asset. A v2 harvest over TS hands off its primary
        HLS manifest, as v1 does.
        """
        if self.packaging_group_id is None:
            return "no packaging group: no hand-off asked for"
        return self._not_hls_over_ts(
            "MediaPackage VOD ingests only HLS over MPEG-TS (or MP4 through a .smil manifest)",
            "hand off",
            "MediaPackage VOD ingests HLS",
        )

    def not_transcoded(self) -> str | None:
        """Why this output gets no MediaConvert job, in plain words; None when it gets one.

        MediaConvert reads HLS inputs over MPEG-TS only: a v2 harvest over CMAF is not one.
        """
        if not self.mediaconvert:
            return "no MediaConvert outputs asked for"
        return self._not_hls_over_ts(
            "MediaConvert reads HLS inputs over MPEG-TS only", "transcode", "MediaConvert reads HLS"
        )

    def _not_hls_over_ts(self, takes_only: str, action: str, takes_hls: str) -> str | None:
        """Why this harvest is not HLS over MPEG-TS (what both hand-offs read), in the words of the
        service that needs it; None when it is."""
        if self.v2_endpoint is not None and self.container_type != "TS":
            return (
                f"the harvest is {self.container_type or 'not TS'} (HLS with fMP4 segments and DASH): {takes_only}; "
                f"harvest a TS endpoint to {action}"
            )
        if not self.manifest_key.endswith(".m3u8"):
            return f"the harvest has no HLS manifest: {takes_hls}"
        return None

    def asset_arn(self, partition: str) -> str:
        """The parent manifest's S3 ARN, as MediaPackage VOD ``CreateAsset`` wants it in ``SourceArn``."""
        return s3_object_arn(partition, self.s3_bucket, self.manifest_key)


@dataclass(frozen=True)
class AssetToVerify:
    """An asset in S3 to verify: its parent manifest, the window it must cover, and how its media
    segments are read (one of :data:`live_to_vod.field_rules.VERIFY_SEGMENTS`).

    The verify task's ``request`` is either a :class:`HarvestRequest` dict (the harvest DAGs) or
    this object's dict (``reverify_vod_asset``): :meth:`from_dict` reads the keys both carry.
    ``companions`` are the other manifests the same harvest wrote over the same segments (a
    MediaPackage v2 job's HLS, Low-Latency HLS and DASH manifests); each is verified too.
    """

    s3_bucket: str
    manifest_key: str
    window: HarvestWindow
    verify_segments: str = DEFAULT_VERIFY_SEGMENTS
    companions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for XCom, with :class:`HarvestRequest`'s key names."""
        return {
            "s3_bucket": self.s3_bucket,
            "manifest_key": self.manifest_key,
            "start_time": self.window.start.isoformat(),
            "end_time": self.window.end.isoformat(),
            "verify_segments": self.verify_segments,
            "companions": list(self.companions),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AssetToVerify:
        """From :meth:`to_dict` or :meth:`HarvestRequest.to_dict` output (trusted: validated
        before); without ``verify_segments`` (an older XCom), ``auto``."""
        if d.get("harvested_manifests"):
            companions = tuple(HarvestRequest.from_dict(d).manifest_keys()[1:])
        else:
            companions = tuple(d.get("companions") or ())
        return cls(
            companions=companions,
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
