"""MediaPackage v2 (``mediapackagev2``): channel groups, channels, origin endpoints and their policies.

The control plane of v2 as the botocore model and the user guide describe it: resources are
named (not generated ids) in a hierarchy channel group -> channel -> origin endpoint; creates are
idempotent by ``ClientToken`` (the same token and request: the same answer; another request:
``ConflictException`` ``IDEMPOTENT_PARAMETER_MISMATCH``); a name in use is
``RESOURCE_ALREADY_EXISTS``; a resource with children cannot be deleted (``RESOURCE_IN_USE``);
quotas: 3 channel groups per account and region, 10 channels per group (AWS's soft defaults).
Errors carry their modeled type member (``ConflictExceptionType``, ``ResourceTypeNotFound``,
``ValidationExceptionType``).

A channel keeps what its encoders pushed (:class:`devstack.ingest.ChannelContent`, the same HLS
ingest as v1) once its channel policy let them (:meth:`MediaPackageV2.ingest_allowed`); origin
endpoints serve it (:mod:`.origin`); harvest jobs are checked here and run by :mod:`.harvest`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import pendulum

from devstack.clock import RetentionClock
from devstack.config import Settings
from devstack.ingest import ChannelContent
from devstack.mediapackagev2.errors import conflict, missing, validation
from devstack.mediapackagev2.harvest import (
    ACTIVE,
    MAX_ACTIVE_JOBS_PER_GROUP,
    RETENTION,
    HarvestJob,
    check_harvest_request,
)
from devstack.resource_policy import Caller, allows
from devstack.restjson import ServiceError

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,256}$")
MAX_STARTOVER_SECONDS = 1_209_600  # 14 days
MAX_CHANNEL_GROUPS = 3
MAX_CHANNELS_PER_GROUP = 10
MAX_ORIGIN_ENDPOINTS_PER_CHANNEL = 10
SERVICE_PRINCIPAL = "mediapackagev2.amazonaws.com"


@dataclass
class Resource:
    """One named resource: its record (the Get answer), policy, children and idempotency token."""

    record: dict[str, Any]
    request: dict[str, Any]
    client_token: str | None = None
    policy: str | None = None
    children: dict[str, Resource] = field(default_factory=dict)
    content: ChannelContent | None = None  # channels only: what the encoders pushed


class MediaPackageV2:
    """The v2 API, one state per region (set per request by the server in ``region``)."""

    def __init__(self, settings: Settings, clock: RetentionClock, runner: Any):
        self.settings = settings
        self.clock = clock
        self.runner = runner  # devstack.mediapackagev2.harvest.HarvestRunner
        self.lock = threading.RLock()
        self.region = "us-east-1"
        self.groups: dict[str, dict[str, Resource]] = {}  # region -> name -> channel group
        self.tags: dict[str, dict[str, str]] = {}
        # region -> (group, channel, job name) -> job; ClientTokens are per region (account)
        self.jobs: dict[str, dict[tuple[str, str, str], HarvestJob]] = {}
        self.job_tokens: dict[str, dict[str, HarvestJob]] = {}

    # -- helpers --------------------------------------------------------------------------------

    @property
    def _groups(self) -> dict[str, Resource]:
        return self.groups.setdefault(self.region, {})

    def _arn(self, *path: str) -> str:
        kinds = ("channelGroup", "channel", "originEndpoint")
        resource = "/".join(f"{kind}/{name}" for kind, name in zip(kinds, path, strict=False))
        return f"arn:aws:mediapackagev2:{self.region}:{self.settings.account_id}:{resource}"

    @staticmethod
    def _check_name(what: str, name: str) -> None:
        if not NAME_PATTERN.match(name):
            raise validation(f"{what} {name!r} is invalid: use 1 to 256 letters, digits, '_' or '-'")

    def _group(self, name: str) -> Resource:
        found = self._groups.get(name)
        if found is None:
            raise missing("ChannelGroup", name)
        return found

    def _channel(self, group: str, name: str) -> Resource:
        found = self._group(group).children.get(name)
        if found is None:
            raise missing("Channel", name)
        return found

    def _endpoint(self, group: str, channel: str, name: str) -> Resource:
        found = self._channel(group, channel).children.get(name)
        if found is None:
            raise missing("OriginEndpoint", name)
        return found

    @staticmethod
    def _replay(
        siblings: dict[str, Resource], name: str, token: str | None, request: dict[str, Any]
    ) -> Resource | None:
        """The earlier create this one repeats (same ClientToken), or None for a new create."""
        existing = siblings.get(name)
        if existing is None:
            if token is not None and any(r.client_token == token for r in siblings.values()):
                raise conflict(
                    "ClientToken was used for another request; use a new token", "IDEMPOTENT_PARAMETER_MISMATCH"
                )
            return None
        if token is not None and existing.client_token == token:
            if existing.request != request:
                raise conflict(
                    "ClientToken was used with other parameters; use a new token", "IDEMPOTENT_PARAMETER_MISMATCH"
                )
            return existing
        raise conflict(f"{name} already exists", "RESOURCE_ALREADY_EXISTS")

    def _create(
        self,
        siblings: dict[str, Resource],
        name: str,
        token: str | None,
        request: dict[str, Any],
        limit: int,
        what: str,
        build: Any,
    ) -> Resource:
        """Create (or replay, by ClientToken) one resource among ``siblings``; ``build(now)`` makes its record."""
        with self.lock:
            replay = self._replay(siblings, name, token, request)
            if replay is not None:
                return replay
            if len(siblings) >= limit:
                raise ServiceError("ServiceQuotaExceededException", f"at most {limit} {what}")
            record = build(self._now())
            created = siblings[name] = Resource(record, request, token)
            self.tags[record["Arn"]] = dict(request.get("Tags") or {})
            return created

    @staticmethod
    def _now() -> pendulum.DateTime:
        return pendulum.now("UTC")

    @staticmethod
    def _etag() -> str:
        return secrets.token_hex(16)

    @staticmethod
    def _page(items: list[dict[str, Any]], max_results: int | None, next_token: str | None) -> dict[str, Any]:
        if max_results is not None and not 1 <= max_results <= 100:
            raise validation("MaxResults must be between 1 and 100", "INVALID_PAGINATION_MAX_RESULTS")
        try:
            start = int(next_token) if next_token else 0
        except ValueError:
            raise validation("NextToken is not valid", "INVALID_PAGINATION_TOKEN") from None
        size = max_results or 100
        out: dict[str, Any] = {"Items": items[start : start + size]}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return out

    # -- channel groups -------------------------------------------------------------------------

    def create_channel_group(
        self,
        ChannelGroupName: str,
        ClientToken: str | None = None,
        Description: str | None = None,
        Tags: dict | None = None,
    ) -> dict[str, Any]:
        self._check_name("ChannelGroupName", ChannelGroupName)
        request = {"Description": Description, "Tags": Tags}

        def build(now: pendulum.DateTime) -> dict[str, Any]:
            digest = hashlib.sha256(f"{self.settings.account_id}/{ChannelGroupName}".encode()).hexdigest()[:8]
            return {
                "ChannelGroupName": ChannelGroupName,
                "Arn": self._arn(ChannelGroupName),
                "EgressDomain": f"{digest}.egress.{digest}.mediapackagev2.{self.region}.amazonaws.com",
                "CreatedAt": now,
                "ModifiedAt": now,
                "ETag": self._etag(),
                "Description": Description,
                "Tags": Tags or {},
            }

        group = self._create(
            self._groups,
            ChannelGroupName,
            ClientToken,
            request,
            MAX_CHANNEL_GROUPS,
            "channel groups per account",
            build,
        )
        return group.record

    def get_channel_group(self, ChannelGroupName: str) -> dict[str, Any]:
        with self.lock:
            return self._group(ChannelGroupName).record

    def list_channel_groups(self, MaxResults: int | None = None, NextToken: str | None = None) -> dict[str, Any]:
        with self.lock:
            items = [
                {k: g.record[k] for k in ("ChannelGroupName", "Arn", "CreatedAt", "ModifiedAt", "Description")}
                for _, g in sorted(self._groups.items())
            ]
        return self._page(items, MaxResults, NextToken)

    def delete_channel_group(self, ChannelGroupName: str) -> dict[str, Any]:
        with self.lock:
            group = self._groups.get(ChannelGroupName)
            if group is None:
                return {}  # deletes are idempotent on AWS's v2 API
            if group.children:
                raise conflict(
                    f"channel group {ChannelGroupName} still has channels; delete them first", "RESOURCE_IN_USE"
                )
            del self._groups[ChannelGroupName]
            self.tags.pop(group.record["Arn"], None)
        return {}

    # -- channels -------------------------------------------------------------------------------

    def create_channel(
        self,
        ChannelGroupName: str,
        ChannelName: str,
        ClientToken: str | None = None,
        InputType: str | None = None,
        Description: str | None = None,
        InputSwitchConfiguration: dict | None = None,
        OutputHeaderConfiguration: dict | None = None,
        Tags: dict | None = None,
    ) -> dict[str, Any]:
        self._check_name("ChannelName", ChannelName)
        request = {"InputType": InputType or "HLS", "Description": Description, "Tags": Tags}

        def build(now: pendulum.DateTime) -> dict[str, Any]:
            base = f"{self.settings.public_url}/in/v2mp/{self.region}/{ChannelGroupName}/{ChannelName}"
            return {
                "Arn": self._arn(ChannelGroupName, ChannelName),
                "ChannelName": ChannelName,
                "ChannelGroupName": ChannelGroupName,
                "CreatedAt": now,
                "ModifiedAt": now,
                "Description": Description,
                "IngestEndpoints": [{"Id": str(i), "Url": f"{base}/{i}/channel"} for i in (1, 2)],
                "InputType": request["InputType"],
                "ETag": self._etag(),
                "Tags": Tags or {},
            }

        with self.lock:
            group = self._group(ChannelGroupName)
            channel = self._create(
                group.children,
                ChannelName,
                ClientToken,
                request,
                MAX_CHANNELS_PER_GROUP,
                "channels per channel group",
                build,
            )
            if channel.content is None:
                home = self.settings.home / "v2channels" / self.region / ChannelGroupName / ChannelName
                channel.content = ChannelContent(home)
            return channel.record

    def get_channel(self, ChannelGroupName: str, ChannelName: str) -> dict[str, Any]:
        with self.lock:
            return self._channel(ChannelGroupName, ChannelName).record

    def list_channels(
        self, ChannelGroupName: str, MaxResults: int | None = None, NextToken: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            keys = ("Arn", "ChannelName", "ChannelGroupName", "CreatedAt", "ModifiedAt", "Description", "InputType")
            items = [{k: c.record[k] for k in keys} for _, c in sorted(self._group(ChannelGroupName).children.items())]
        return self._page(items, MaxResults, NextToken)

    def delete_channel(self, ChannelGroupName: str, ChannelName: str) -> dict[str, Any]:
        with self.lock:
            group = self._group(ChannelGroupName)
            channel = group.children.get(ChannelName)
            if channel is None:
                return {}
            if channel.children:
                raise conflict(
                    f"channel {ChannelName} still has origin endpoints; delete them first", "RESOURCE_IN_USE"
                )
            del group.children[ChannelName]
            self.tags.pop(channel.record["Arn"], None)
        return {}

    def put_channel_policy(self, ChannelGroupName: str, ChannelName: str, Policy: str) -> dict[str, Any]:
        arn = self._arn(ChannelGroupName, ChannelName)
        _check_policy(Policy, arn)
        with self.lock:
            self._channel(ChannelGroupName, ChannelName).policy = Policy
        return {}

    def get_channel_policy(self, ChannelGroupName: str, ChannelName: str) -> dict[str, Any]:
        with self.lock:
            channel = self._channel(ChannelGroupName, ChannelName)
            if channel.policy is None:
                raise missing("ChannelPolicy", ChannelName)
            return {"ChannelGroupName": ChannelGroupName, "ChannelName": ChannelName, "Policy": channel.policy}

    def delete_channel_policy(self, ChannelGroupName: str, ChannelName: str) -> dict[str, Any]:
        with self.lock:
            self._channel(ChannelGroupName, ChannelName).policy = None
        return {}

    # -- origin endpoints -----------------------------------------------------------------------

    def create_origin_endpoint(
        self,
        ChannelGroupName: str,
        ChannelName: str,
        OriginEndpointName: str,
        ContainerType: str,
        ClientToken: str | None = None,
        Tags: dict | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        self._check_name("OriginEndpointName", OriginEndpointName)
        request = {"ContainerType": ContainerType, "Tags": Tags, **settings}
        startover = settings.get("StartoverWindowSeconds")
        if startover is not None and not 60 <= startover <= MAX_STARTOVER_SECONDS:
            raise validation(f"StartoverWindowSeconds must be between 60 and {MAX_STARTOVER_SECONDS}, got {startover}")
        if settings.get("DashManifests") and ContainerType != "CMAF":
            raise validation("DASH manifests need the CMAF container type", "TS_CONTAINER_TYPE_WITH_DASH_MANIFEST")
        names = [
            m["ManifestName"]
            for kind in ("HlsManifests", "LowLatencyHlsManifests", "DashManifests")
            for m in settings.get(kind) or []
        ]
        if len(names) != len(set(names)):
            raise validation("manifest names must be unique within an origin endpoint", "MANIFEST_NAME_COLLISION")
        for name in names:
            self._check_name("ManifestName", name)

        def build(now: pendulum.DateTime) -> dict[str, Any]:
            path = f"{self.region}/{ChannelGroupName}/{ChannelName}/{OriginEndpointName}"
            base = f"{self.settings.public_url}/out/v2mp/{path}"
            record: dict[str, Any] = {
                "Arn": self._arn(ChannelGroupName, ChannelName, OriginEndpointName),
                "ChannelGroupName": ChannelGroupName,
                "ChannelName": ChannelName,
                "OriginEndpointName": OriginEndpointName,
                "ContainerType": ContainerType,
                "Segment": settings.get("Segment") or {"SegmentDurationSeconds": 6, "SegmentName": "segment"},
                "CreatedAt": now,
                "ModifiedAt": now,
                "Description": settings.get("Description"),
                "StartoverWindowSeconds": startover,
                "ETag": self._etag(),
                "Tags": Tags or {},
            }
            ext = {"HlsManifests": "m3u8", "LowLatencyHlsManifests": "m3u8", "DashManifests": "mpd"}
            for kind, suffix in ext.items():
                record[kind] = [
                    {**manifest, "Url": f"{base}/{manifest['ManifestName']}.{suffix}"}
                    for manifest in settings.get(kind) or []
                ]
            return record

        with self.lock:
            channel = self._channel(ChannelGroupName, ChannelName)
            endpoint = self._create(
                channel.children,
                OriginEndpointName,
                ClientToken,
                request,
                MAX_ORIGIN_ENDPOINTS_PER_CHANNEL,
                "origin endpoints per channel",
                build,
            )
            return endpoint.record

    def get_origin_endpoint(self, ChannelGroupName: str, ChannelName: str, OriginEndpointName: str) -> dict[str, Any]:
        with self.lock:
            return self._endpoint(ChannelGroupName, ChannelName, OriginEndpointName).record

    def list_origin_endpoints(
        self, ChannelGroupName: str, ChannelName: str, MaxResults: int | None = None, NextToken: str | None = None
    ) -> dict[str, Any]:
        keys = ("Arn", "ChannelGroupName", "ChannelName", "OriginEndpointName", "ContainerType", "CreatedAt")
        with self.lock:
            endpoints = sorted(self._channel(ChannelGroupName, ChannelName).children.items())
            items = [
                {
                    **{k: e.record[k] for k in keys},
                    "ModifiedAt": e.record["ModifiedAt"],
                    "HlsManifests": [
                        {"ManifestName": m["ManifestName"], "Url": m["Url"]} for m in e.record["HlsManifests"]
                    ],
                    "DashManifests": [
                        {"ManifestName": m["ManifestName"], "Url": m["Url"]} for m in e.record["DashManifests"]
                    ],
                }
                for _, e in endpoints
            ]
        return self._page(items, MaxResults, NextToken)

    def delete_origin_endpoint(self, ChannelGroupName: str, ChannelName: str, OriginEndpointName: str) -> dict:
        with self.lock:
            channel = self._channel(ChannelGroupName, ChannelName)
            endpoint = channel.children.pop(OriginEndpointName, None)
            if endpoint is not None:
                self.tags.pop(endpoint.record["Arn"], None)
        return {}

    def put_origin_endpoint_policy(
        self, ChannelGroupName: str, ChannelName: str, OriginEndpointName: str, Policy: str, **_: Any
    ) -> dict[str, Any]:
        _check_policy(Policy, self._arn(ChannelGroupName, ChannelName, OriginEndpointName))
        with self.lock:
            self._endpoint(ChannelGroupName, ChannelName, OriginEndpointName).policy = Policy
        return {}

    def get_origin_endpoint_policy(
        self, ChannelGroupName: str, ChannelName: str, OriginEndpointName: str
    ) -> dict[str, Any]:
        with self.lock:
            endpoint = self._endpoint(ChannelGroupName, ChannelName, OriginEndpointName)
            if endpoint.policy is None:
                raise missing("OriginEndpointPolicy", OriginEndpointName)
            return {
                "ChannelGroupName": ChannelGroupName,
                "ChannelName": ChannelName,
                "OriginEndpointName": OriginEndpointName,
                "Policy": endpoint.policy,
            }

    def delete_origin_endpoint_policy(
        self, ChannelGroupName: str, ChannelName: str, OriginEndpointName: str
    ) -> dict[str, Any]:
        with self.lock:
            self._endpoint(ChannelGroupName, ChannelName, OriginEndpointName).policy = None
        return {}

    # -- harvest jobs ---------------------------------------------------------------------------

    def create_harvest_job(
        self,
        ChannelGroupName: str,
        ChannelName: str,
        OriginEndpointName: str,
        HarvestedManifests: dict[str, Any],
        ScheduleConfiguration: dict[str, Any],
        Destination: dict[str, Any],
        ClientToken: str | None = None,
        HarvestJobName: str | None = None,
        Description: str | None = None,
        Tags: dict | None = None,
    ) -> dict[str, Any]:
        request = {
            "Endpoint": [ChannelGroupName, ChannelName, OriginEndpointName],
            "HarvestedManifests": HarvestedManifests,
            "ScheduleConfiguration": {k: str(v) for k, v in ScheduleConfiguration.items()},
            "Destination": Destination,
            "HarvestJobName": HarvestJobName,
            "Description": Description,
            "Tags": Tags,
        }
        if HarvestJobName is not None:
            self._check_name("HarvestJobName", HarvestJobName)
        with self.lock:
            self.purge_expired()
            tokens = self.job_tokens.setdefault(self.region, {})
            if ClientToken is not None and ClientToken in tokens:
                earlier = tokens[ClientToken]
                if earlier.request != request:
                    raise conflict(
                        "ClientToken was used with other parameters; use a new token", "IDEMPOTENT_PARAMETER_MISMATCH"
                    )
                return dict(earlier.record)
            endpoint = self._endpoint(ChannelGroupName, ChannelName, OriginEndpointName)
            name = HarvestJobName or f"HarvestJob_{secrets.token_hex(8)}"
            jobs = self.jobs.setdefault(self.region, {})
            if (ChannelGroupName, ChannelName, name) in jobs:
                raise conflict(
                    f"harvest job {name} already exists on channel {ChannelName} (names are kept 15 days "
                    "after a job ends)",
                    "RESOURCE_ALREADY_EXISTS",
                )
            start, end = check_harvest_request(
                endpoint.record, HarvestedManifests, ScheduleConfiguration, Destination, now=self._now()
            )
            self._check_harvest_access(endpoint, Destination)
            active = [j for (g, _, _), j in jobs.items() if g == ChannelGroupName and j.record["Status"] in ACTIVE]
            if len(active) >= MAX_ACTIVE_JOBS_PER_GROUP:
                raise validation(
                    f"channel group {ChannelGroupName} has {len(active)} harvest jobs queued or in progress "
                    f"(at most {MAX_ACTIVE_JOBS_PER_GROUP})",
                    "TOO_MANY_IN_PROGRESS_HARVEST_JOBS",
                )
            now = self._now()
            record = {
                "ChannelGroupName": ChannelGroupName,
                "ChannelName": ChannelName,
                "OriginEndpointName": OriginEndpointName,
                "Destination": Destination,
                "HarvestJobName": name,
                "HarvestedManifests": HarvestedManifests,
                "Description": Description,
                "ScheduleConfiguration": {"StartTime": start, "EndTime": end},
                "Arn": f"{endpoint.record['Arn']}/harvestJob/{name}",
                "CreatedAt": now,
                "ModifiedAt": now,
                "Status": "QUEUED",
                "ETag": self._etag(),
                "Tags": Tags or {},
            }
            channel = self._channel(ChannelGroupName, ChannelName)
            job = HarvestJob(record, self.region, request, start, end)
            jobs[(ChannelGroupName, ChannelName, name)] = job
            if ClientToken is not None:
                tokens[ClientToken] = job
            self.tags[record["Arn"]] = dict(Tags or {})
            response = dict(record)
        self.runner.submit(job, dict(endpoint.record), channel.content)
        return response

    def _check_harvest_access(self, endpoint: Resource, destination: dict[str, Any]) -> None:
        """The endpoint policy lets MediaPackage read; the bucket policy lets it write (checked at create)."""
        arn = endpoint.record["Arn"]
        caller = Caller(service=SERVICE_PRINCIPAL, context=self._service_context(arn))
        for action in ("mediapackagev2:HarvestObject", "mediapackagev2:GetObject"):
            if not allows(endpoint.policy, caller, action, arn):
                raise validation(
                    f"the origin endpoint policy of {endpoint.record['OriginEndpointName']} does not allow "
                    f"{SERVICE_PRINCIPAL} {action} on {arn}",
                    "HARVEST_JOB_CUSTOMER_ENDPOINT_READ_ACCESS_DENIED",
                )
        bucket, path = destination["S3Destination"]["BucketName"], destination["S3Destination"]["DestinationPath"]
        problem = self.runner.sibling.bucket_write_problem(bucket, f"{path.strip('/')}/", caller, self.region)
        if problem:
            raise validation(problem, "HARVEST_JOB_UNABLE_TO_WRITE_TO_S3_DESTINATION")

    def _service_context(self, source_arn: str) -> dict[str, str]:
        return {"aws:sourceaccount": self.settings.account_id, "aws:sourcearn": source_arn}

    def _job(self, group: str, channel: str, endpoint: str, name: str) -> HarvestJob:
        self.purge_expired()
        job = self.jobs.get(self.region, {}).get((group, channel, name))
        if job is None or job.record["OriginEndpointName"] != endpoint:
            raise missing("HarvestJob", name)
        return job

    def get_harvest_job(
        self, ChannelGroupName: str, ChannelName: str, OriginEndpointName: str, HarvestJobName: str
    ) -> dict[str, Any]:
        with self.lock:
            return dict(self._job(ChannelGroupName, ChannelName, OriginEndpointName, HarvestJobName).record)

    def list_harvest_jobs(
        self,
        ChannelGroupName: str,
        ChannelName: str | None = None,
        OriginEndpointName: str | None = None,
        Status: str | None = None,
        MaxResults: int | None = None,
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            self.purge_expired()
            self._group(ChannelGroupName)
            jobs = sorted(
                (j for (g, _, _), j in self.jobs.get(self.region, {}).items() if g == ChannelGroupName),
                key=lambda j: (j.record["CreatedAt"], j.record["HarvestJobName"]),
            )
            items = [
                dict(j.record)
                for j in jobs
                if ChannelName in (None, j.record["ChannelName"])
                and OriginEndpointName in (None, j.record["OriginEndpointName"])
                and Status in (None, j.record["Status"])
            ]
        return self._page(items, MaxResults, NextToken)

    def cancel_harvest_job(
        self,
        ChannelGroupName: str,
        ChannelName: str,
        OriginEndpointName: str,
        HarvestJobName: str,
        ETag: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            job = self._job(ChannelGroupName, ChannelName, OriginEndpointName, HarvestJobName)
            if ETag is not None and ETag != job.record["ETag"]:
                raise conflict("the harvest job changed since you read it (ETag)", "CONFLICTING_OPERATION")
            if job.record["Status"] not in ACTIVE:
                raise validation(
                    f"harvest job {HarvestJobName} is {job.record['Status']}: only QUEUED or IN_PROGRESS jobs "
                    "can be cancelled",
                    "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION",
                )
            job.cancel(self._etag())
        return {}

    def purge_expired(self) -> None:
        """Jobs are kept 15 days after they end (on the retention clock); then their name is free again."""
        now = self.clock.now()
        with self.lock:
            for jobs in self.jobs.values():
                for key in [
                    k for k, j in jobs.items() if j.record["Status"] not in ACTIVE and now - j.end >= RETENTION
                ]:
                    job = jobs.pop(key)
                    self.tags.pop(job.record["Arn"], None)
                    for tokens in self.job_tokens.values():
                        for token in [t for t, held in tokens.items() if held is job]:
                            del tokens[token]

    # -- media plane ----------------------------------------------------------------------------

    def channel_at(self, region: str, group: str, channel: str) -> Resource | None:
        with self.lock:
            found = self.groups.get(region, {}).get(group)
            return found.children.get(channel) if found is not None else None

    def ingest_allowed(self, channel: Resource, caller: Caller) -> bool:
        """The channel policy decides who may push (``mediapackagev2:PutObject`` on the channel)."""
        return allows(channel.policy, caller, "mediapackagev2:PutObject", channel.record["Arn"])

    def origin_target(
        self, region: str, group: str, channel: str, endpoint: str
    ) -> tuple[dict[str, Any], ChannelContent] | None:
        with self.lock:
            found = self.channel_at(region, group, channel)
            if found is None or endpoint not in found.children or found.content is None:
                return None
            return found.children[endpoint].record, found.content

    def retention_by_channel(self) -> list[tuple[ChannelContent, int]]:
        """Each channel's content with how many seconds of it must be kept (its longest window)."""
        with self.lock:
            out = []
            for groups in self.groups.values():
                for group in groups.values():
                    for channel in group.children.values():
                        keep = 120
                        for endpoint in channel.children.values():
                            record = endpoint.record
                            windows = [
                                m.get("ManifestWindowSeconds") or 60
                                for kind in ("HlsManifests", "LowLatencyHlsManifests", "DashManifests")
                                for m in record.get(kind) or []
                            ]
                            keep = max(keep, record.get("StartoverWindowSeconds") or 0, *windows)
                        if channel.content is not None:
                            out.append((channel.content, keep))
            return out

    # -- tags -----------------------------------------------------------------------------------

    def list_tags_for_resource(self, ResourceArn: str) -> dict[str, Any]:
        with self.lock:
            if ResourceArn not in self.tags:
                raise missing("Resource", ResourceArn)
            return {"Tags": dict(self.tags[ResourceArn])}


def _check_policy(policy: str, arn: str) -> None:
    """A policy is a JSON IAM policy document whose statements name the resource it is attached to."""
    try:
        document = json.loads(policy)
    except ValueError:
        raise validation("Policy is not valid JSON", "INVALID_POLICY") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise validation("Policy has no Statement", "INVALID_POLICY")
    for statement in statements:
        resources = statement.get("Resource") if isinstance(statement, dict) else None
        resources = [resources] if isinstance(resources, str) else resources or []
        if arn not in resources and "*" not in resources:
            raise validation(f"every statement must name the resource {arn}", "INVALID_POLICY")
