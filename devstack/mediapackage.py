"""MediaPackage v1 (``mediapackage``): channels, origin endpoints and harvest jobs.

Handlers take and return boto3-style shapes; :mod:`devstack.restjson` maps them to the wire
from botocore's model. Harvest jobs are validated here the way AWS validates them at create
time, then run in the background by :mod:`devstack.harvest`.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import pendulum

from devstack.clock import RetentionClock
from devstack.config import Settings
from devstack.ingest import ChannelContent
from devstack.restjson import ServiceError, not_found, unprocessable

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
RECORD_RETENTION = pendulum.duration(days=90)
MAX_STARTOVER_SECONDS = 1_209_600  # 14 days
MAX_HARVEST = pendulum.duration(hours=24)


def iso(dt: pendulum.DateTime) -> str:
    return dt.in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss[Z]")


def parse_harvest_time(field_name: str, raw: str) -> pendulum.DateTime:
    """ISO 8601 with a zone or offset, or epoch seconds as a string (both seen in client code)."""
    value = raw.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", value):
        return pendulum.from_timestamp(float(value), tz="UTC")
    try:
        parsed = pendulum.parse(value, strict=False)
    except Exception:
        raise unprocessable(
            f"{field_name} {raw!r} is not a valid time: use ISO 8601 with an offset or epoch seconds"
        ) from None
    if not isinstance(parsed, pendulum.DateTime) or not re.search(r"(Z|[+-]\d\d:?\d\d)$", value):
        raise unprocessable(f"{field_name} {raw!r} has no time zone offset: use e.g. 2026-11-26T19:00:00Z")
    return parsed.in_timezone("UTC")


def paginate(items: list[dict[str, Any]], key: str, max_results: int | None, next_token: str | None) -> dict[str, Any]:
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except Exception:
            raise unprocessable("NextToken is not valid") from None
    if max_results is not None and not 1 <= max_results <= 1000:
        raise unprocessable("MaxResults must be between 1 and 1000")
    size = max_results or 1000
    page = items[start : start + size]
    out: dict[str, Any] = {key: page}
    if start + size < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out


@dataclass
class Channel:
    record: dict[str, Any]
    content: ChannelContent

    @property
    def id(self) -> str:
        return self.record["Id"]


@dataclass
class HarvestJob:
    record: dict[str, Any]
    region: str
    created: pendulum.DateTime  # on the retention clock
    start: pendulum.DateTime
    end: pendulum.DateTime
    failure: str | None = None


@dataclass
class RegionState:
    channels: dict[str, Channel] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    harvest_jobs: dict[str, HarvestJob] = field(default_factory=dict)


class MediaPackage:
    """Operation handlers for one account, all regions."""

    def __init__(self, settings: Settings, clock: RetentionClock, runner: Any):
        self.settings = settings
        self.clock = clock
        self.runner = runner  # devstack.harvest.HarvestRunner
        self.lock = threading.RLock()
        self.regions: dict[str, RegionState] = {}
        self.region = "us-east-1"  # set per request by the server
        self.ingest_routes: dict[tuple[str, str], tuple[Channel, dict[str, Any]]] = {}
        self.origin_routes: dict[str, tuple[str, str]] = {}  # url hash -> (region, endpoint id)
        self.tags: dict[str, dict[str, str]] = {}

    # -- helpers --------------------------------------------------------------------------------

    @property
    def state(self) -> RegionState:
        return self.regions.setdefault(self.region, RegionState())

    def _arn(self, kind: str, ident: str) -> str:
        return f"arn:aws:mediapackage:{self.region}:{self.settings.account_id}:{kind}/{ident}"

    def _channel(self, channel_id: str) -> Channel:
        channel = self.state.channels.get(channel_id)
        if channel is None:
            raise not_found(f"channel {channel_id} does not exist")
        return channel

    def _endpoint(self, endpoint_id: str) -> dict[str, Any]:
        endpoint = self.state.endpoints.get(endpoint_id)
        if endpoint is None:
            raise not_found(f"origin endpoint {endpoint_id} does not exist")
        return endpoint

    @staticmethod
    def _check_id(kind: str, ident: str) -> None:
        if not ID_PATTERN.match(ident):
            raise unprocessable(f"{kind} Id {ident!r} is invalid: use 1 to 256 letters, digits, '_' or '-'")

    def _ingest_endpoint(self, channel_hash: str) -> dict[str, Any]:
        ingest_id = secrets.token_hex(16)
        return {
            "Id": ingest_id,
            "Url": f"{self.settings.public_url}/in/v2/{channel_hash}/{ingest_id}/channel",
            "Username": secrets.token_hex(16),
            "Password": secrets.token_hex(16),
        }

    # -- channels -------------------------------------------------------------------------------

    def create_channel(self, Id: str, Description: str | None = None, Tags: dict | None = None) -> dict[str, Any]:
        self._check_id("channel", Id)
        with self.lock:
            if Id in self.state.channels:
                raise unprocessable(f"channel {Id} already exists")
            channel_hash = secrets.token_hex(16)
            record = {
                "Arn": self._arn("channels", channel_hash),
                "Id": Id,
                "Description": Description or "",
                "HlsIngest": {"IngestEndpoints": [self._ingest_endpoint(channel_hash) for _ in range(2)]},
                "EgressAccessLogs": {},
                "IngressAccessLogs": {},
                "Tags": Tags or {},
                "CreatedAt": iso(pendulum.now("UTC")),
            }
            channel = Channel(record, ChannelContent(self.settings.home / "channels" / channel_hash))
            self.state.channels[Id] = channel
            self.tags[record["Arn"]] = dict(Tags or {})
            for ingest in record["HlsIngest"]["IngestEndpoints"]:
                self.ingest_routes[(channel_hash, ingest["Id"])] = (channel, ingest)
            return record

    def describe_channel(self, Id: str) -> dict[str, Any]:
        return self._channel(Id).record

    def list_channels(self, MaxResults: int | None = None, NextToken: str | None = None) -> dict[str, Any]:
        items = [c.record for c in self.state.channels.values()]
        return paginate(items, "Channels", MaxResults, NextToken)

    def update_channel(self, Id: str, Description: str | None = None) -> dict[str, Any]:
        record = self._channel(Id).record
        if Description is not None:
            record["Description"] = Description
        return record

    def delete_channel(self, Id: str) -> dict[str, Any]:
        with self.lock:
            channel = self._channel(Id)
            if any(e["ChannelId"] == Id for e in self.state.endpoints.values()):
                raise unprocessable(f"channel {Id} still has origin endpoints; delete them first")
            for key in [k for k, v in self.ingest_routes.items() if v[0] is channel]:
                del self.ingest_routes[key]
            del self.state.channels[Id]
        return {}

    def configure_logs(self, Id: str, EgressAccessLogs: dict | None = None, IngressAccessLogs: dict | None = None):
        record = self._channel(Id).record
        record["EgressAccessLogs"] = EgressAccessLogs or {}
        record["IngressAccessLogs"] = IngressAccessLogs or {}
        return record

    def rotate_channel_credentials(self, Id: str) -> dict[str, Any]:
        record = self._channel(Id).record
        for ingest in record["HlsIngest"]["IngestEndpoints"]:
            ingest["Password"] = secrets.token_hex(16)
        return record

    def rotate_ingest_endpoint_credentials(self, Id: str, IngestEndpointId: str) -> dict[str, Any]:
        record = self._channel(Id).record
        for ingest in record["HlsIngest"]["IngestEndpoints"]:
            if ingest["Id"] == IngestEndpointId:
                ingest["Password"] = secrets.token_hex(16)
                return record
        raise not_found(f"ingest endpoint {IngestEndpointId} does not exist on channel {Id}")

    # -- origin endpoints -----------------------------------------------------------------------

    def create_origin_endpoint(self, ChannelId: str, Id: str, **fields: Any) -> dict[str, Any]:
        self._check_id("origin endpoint", Id)
        with self.lock:
            if Id in self.state.endpoints:
                raise unprocessable(f"origin endpoint {Id} already exists")
            if ChannelId not in self.state.channels:
                raise unprocessable(f"channel {ChannelId} does not exist")
            url_hash = secrets.token_hex(16)
            record: dict[str, Any] = {
                "Arn": self._arn("origin_endpoints", url_hash),
                "ChannelId": ChannelId,
                "Id": Id,
                "Description": "",
                "ManifestName": "index",
                "Origination": "ALLOW",
                "TimeDelaySeconds": 0,
                "Whitelist": [],
                "Tags": {},
                "CreatedAt": iso(pendulum.now("UTC")),
            }
            self._apply_endpoint_fields(record, fields)
            record["Url"] = self._origin_url(url_hash, record)
            record["_hash"] = url_hash
            self.state.endpoints[Id] = record
            self.origin_routes[url_hash] = (self.region, Id)
            self.tags[record["Arn"]] = dict(record.get("Tags") or {})
            return record

    def _origin_url(self, url_hash: str, record: dict[str, Any]) -> str:
        suffix = ".m3u8" if "HlsPackage" in record else ".mpd" if "DashPackage" in record else ""
        return f"{self.settings.public_url}/out/v1/{url_hash}/{record['ManifestName']}{suffix}"

    @staticmethod
    def _apply_endpoint_fields(record: dict[str, Any], fields: dict[str, Any]) -> None:
        startover = fields.get("StartoverWindowSeconds", record.get("StartoverWindowSeconds"))
        if startover is not None and not 0 <= startover <= MAX_STARTOVER_SECONDS:
            raise unprocessable(f"StartoverWindowSeconds must be between 0 and {MAX_STARTOVER_SECONDS} (14 days)")
        delay = fields.get("TimeDelaySeconds", record.get("TimeDelaySeconds", 0))
        if not 0 <= delay <= 86400:
            raise unprocessable("TimeDelaySeconds must be between 0 and 86400")
        if "ManifestName" in fields and not ID_PATTERN.match(fields["ManifestName"]):
            raise unprocessable("ManifestName may contain only letters, digits, '_' and '-'")
        hls = fields.get("HlsPackage")
        if hls is not None:
            hls = {
                "SegmentDurationSeconds": 6,
                "PlaylistWindowSeconds": 60,
                "ProgramDateTimeIntervalSeconds": 0,
                "PlaylistType": "NONE",
                "AdMarkers": "NONE",
                "IncludeIframeOnlyStream": False,
                "UseAudioRenditionGroup": False,
                **hls,
            }
            if hls["PlaylistWindowSeconds"] <= 0:
                raise unprocessable("HlsPackage.PlaylistWindowSeconds must be positive")
            fields = {**fields, "HlsPackage": hls}
        record.update({k: v for k, v in fields.items() if v is not None})
        if startover == 0:
            record.pop("StartoverWindowSeconds", None)

    def describe_origin_endpoint(self, Id: str) -> dict[str, Any]:
        return _public(self._endpoint(Id))

    def list_origin_endpoints(
        self, ChannelId: str | None = None, MaxResults: int | None = None, NextToken: str | None = None
    ) -> dict[str, Any]:
        items = [_public(e) for e in self.state.endpoints.values() if ChannelId in (None, e["ChannelId"])]
        return paginate(items, "OriginEndpoints", MaxResults, NextToken)

    def update_origin_endpoint(self, Id: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            record = self._endpoint(Id)
            updated = dict(record)
            self._apply_endpoint_fields(updated, fields)
            updated["Url"] = self._origin_url(record["_hash"], updated)
            record.clear()
            record.update(updated)
            return _public(record)

    def delete_origin_endpoint(self, Id: str) -> dict[str, Any]:
        with self.lock:
            record = self._endpoint(Id)
            del self.state.endpoints[Id]
            self.origin_routes.pop(record["_hash"], None)
        return {}

    # -- harvest jobs ---------------------------------------------------------------------------

    def create_harvest_job(
        self, Id: str, OriginEndpointId: str, StartTime: str, EndTime: str, S3Destination: dict[str, str]
    ) -> dict[str, Any]:
        if not ID_PATTERN.match(Id):
            raise unprocessable(f"harvest job Id {Id!r} is invalid: use 1 to 256 letters, digits, '_' or '-'")
        with self.lock:
            self.purge_expired()
            held = self.state.harvest_jobs.get(Id)
            if held is not None:
                until = held.created + RECORD_RETENTION
                raise unprocessable(
                    f"harvest job Id {Id} is already in use by a job created {iso(held.created)}; "
                    f"it can be reused after {iso(until)}"
                )
            endpoint = self.state.endpoints.get(OriginEndpointId)
            if endpoint is None:
                raise unprocessable(f"origin endpoint {OriginEndpointId} does not exist")
            startover = endpoint.get("StartoverWindowSeconds")
            if not startover:
                raise unprocessable(
                    f"origin endpoint {OriginEndpointId} has startover off (no StartoverWindowSeconds): "
                    "nothing can be harvested from it"
                )
            start = parse_harvest_time("StartTime", StartTime)
            end = parse_harvest_time("EndTime", EndTime)
            now = pendulum.now("UTC")
            if end <= start:
                raise unprocessable(f"EndTime {iso(end)} must be after StartTime {iso(start)}")
            if end > now:
                raise unprocessable(f"EndTime {iso(end)} is not in the past (now {iso(now)})")
            if end - start > MAX_HARVEST:
                raise unprocessable(f"the window from {iso(start)} to {iso(end)} is longer than 24 hours")
            earliest = now - pendulum.duration(seconds=startover)
            if start < earliest:
                raise unprocessable(
                    f"StartTime {iso(start)} is outside the startover window of origin endpoint "
                    f"{OriginEndpointId} ({startover} s: nothing before {iso(earliest)} is kept)"
                )
            for name in ("BucketName", "ManifestKey", "RoleArn"):
                if not S3Destination.get(name):
                    raise unprocessable(f"S3Destination.{name} is required")
            created = self.clock.now()
            record = {
                "Arn": self._arn("harvest_jobs", Id),
                "ChannelId": endpoint["ChannelId"],
                "CreatedAt": iso(created),
                "EndTime": iso(end),
                "Id": Id,
                "OriginEndpointId": OriginEndpointId,
                "S3Destination": dict(S3Destination),
                "StartTime": iso(start),
                "Status": "IN_PROGRESS",
            }
            job = HarvestJob(record, self.region, created, start, end)
            self.state.harvest_jobs[Id] = job
            channel = self.state.channels[endpoint["ChannelId"]]
            response = dict(record)
        self.runner.submit(job, endpoint, channel)
        return response

    def describe_harvest_job(self, Id: str) -> dict[str, Any]:
        with self.lock:
            self.purge_expired()
            job = self.state.harvest_jobs.get(Id)
            if job is None:
                raise not_found(f"harvest job {Id} does not exist")
            return dict(job.record)

    def list_harvest_jobs(
        self,
        IncludeChannelId: str | None = None,
        IncludeStatus: str | None = None,
        MaxResults: int | None = None,
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            self.purge_expired()
            if IncludeStatus is not None and IncludeStatus not in ("IN_PROGRESS", "SUCCEEDED", "FAILED"):
                raise unprocessable("IncludeStatus must be IN_PROGRESS, SUCCEEDED or FAILED")
            jobs = sorted(self.state.harvest_jobs.values(), key=lambda j: (j.created, j.record["Id"]))
            items = [
                dict(j.record)
                for j in jobs
                if IncludeChannelId in (None, j.record["ChannelId"]) and IncludeStatus in (None, j.record["Status"])
            ]
        return paginate(items, "HarvestJobs", MaxResults, NextToken)

    def purge_expired(self) -> None:
        """Records older than 90 days (on the retention clock) are deleted, freeing their Id."""
        now = self.clock.now()
        with self.lock:
            for state in self.regions.values():
                for job_id in [i for i, j in state.harvest_jobs.items() if now - j.created >= RECORD_RETENTION]:
                    del state.harvest_jobs[job_id]

    # -- tags -----------------------------------------------------------------------------------

    def _tags_for(self, arn: str) -> dict[str, str]:
        if arn not in self.tags:
            raise not_found(f"resource {arn} does not exist")
        return self.tags[arn]

    def list_tags_for_resource(self, ResourceArn: str) -> dict[str, Any]:
        return {"Tags": dict(self._tags_for(ResourceArn))}

    def tag_resource(self, ResourceArn: str, Tags: dict[str, str]) -> dict[str, Any]:
        self._tags_for(ResourceArn).update(Tags)
        return {}

    def untag_resource(self, ResourceArn: str, TagKeys: list[str]) -> dict[str, Any]:
        tags = self._tags_for(ResourceArn)
        for key in TagKeys:
            tags.pop(key, None)
        return {}

    # -- media plane lookups --------------------------------------------------------------------

    def ingest_target(self, channel_hash: str, ingest_id: str) -> tuple[Channel, dict[str, Any]] | None:
        return self.ingest_routes.get((channel_hash, ingest_id))

    def origin_target(self, url_hash: str) -> tuple[dict[str, Any], Channel] | None:
        with self.lock:
            route = self.origin_routes.get(url_hash)
            if route is None:
                return None
            region, endpoint_id = route
            state = self.regions[region]
            endpoint = state.endpoints.get(endpoint_id)
            if endpoint is None:
                return None
            return endpoint, state.channels[endpoint["ChannelId"]]

    def retention_by_channel(self) -> list[tuple[ChannelContent, int]]:
        """Each channel's content with how many seconds of it must be kept."""
        with self.lock:
            out = []
            for state in self.regions.values():
                for channel in state.channels.values():
                    keep = 120
                    for endpoint in state.endpoints.values():
                        if endpoint["ChannelId"] != channel.id:
                            continue
                        window = endpoint.get("HlsPackage", {}).get("PlaylistWindowSeconds", 60)
                        keep = max(
                            keep,
                            endpoint.get("StartoverWindowSeconds") or 0,
                            window + endpoint.get("TimeDelaySeconds", 0),
                        )
                    out.append((channel.content, keep))
            return out


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


__all__ = ["MediaPackage", "ServiceError", "HarvestJob", "Channel", "iso", "parse_harvest_time"]
