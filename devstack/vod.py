"""MediaPackage VOD (``mediapackage-vod``): packaging groups, packaging configurations, assets.

``CreateAsset`` ingests an HLS multivariant playlist from S3 with the source role, like AWS:
each egress endpoint goes ``QUEUED`` -> ``PROCESSING`` -> ``PLAYABLE``, or ``FAILED`` when the
source is missing, is not a VOD multivariant playlist, is encrypted, or the role cannot read it.
Like AWS, only HLS over MPEG-TS is ingested (AWS also takes MP4 through a .smil manifest, which the
local stack does not): a rendition of fMP4 (CMAF) segments (``#EXT-X-MAP``, .mp4/.m4s) fails the asset.
Ingested assets are copied into the data dir and played back over HTTP at their egress ``Url``.
The local stack packages HLS only: egress endpoints of DASH, CMAF or MSS configurations end ``FAILED``.
"""

from __future__ import annotations

import logging
import posixpath
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import m3u8
import pendulum

from devstack.aws import AccessProblem, Sibling
from devstack.config import Settings
from devstack.mediapackage import ID_PATTERN, iso, paginate
from devstack.restjson import not_found, unprocessable

log = logging.getLogger(__name__)

SOURCE_ARN = re.compile(r"^arn:aws:s3:::(?P<bucket>[^/]+)/(?P<key>.+)$")
MAX_PLAYLIST_BYTES = 64 * 1024 * 1024


class SourceProblem(Exception):
    pass


@dataclass
class Asset:
    record: dict[str, Any]
    directory: Path
    failure: str | None = None
    manifests: dict[str, str] = field(default_factory=dict)  # config hash -> manifest file name


class MediaPackageVod:
    """Operation handlers for one account, all regions."""

    def __init__(self, settings: Settings, sibling: Sibling):
        self.settings = settings
        self.sibling = sibling
        self.lock = threading.RLock()
        self.region = "us-east-1"
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.configs: dict[tuple[str, str], dict[str, Any]] = {}
        self.assets: dict[tuple[str, str], Asset] = {}
        self.playback: dict[tuple[str, str], tuple[Asset, str]] = {}  # (asset hash, config hash) -> asset
        self.tags: dict[str, dict[str, str]] = {}

    def _arn(self, kind: str, ident: str) -> str:
        return f"arn:aws:mediapackage-vod:{self.region}:{self.settings.account_id}:{kind}/{ident}"

    @staticmethod
    def _check_id(kind: str, ident: str) -> None:
        if not ID_PATTERN.match(ident):
            raise unprocessable(f"{kind} Id {ident!r} is invalid: use letters, digits, '_' or '-'")

    def _group(self, group_id: str, *, missing: str = "not_found") -> dict[str, Any]:
        group = self.groups.get((self.region, group_id))
        if group is None:
            if missing == "unprocessable":
                raise unprocessable(f"packaging group {group_id} does not exist")
            raise not_found(f"packaging group {group_id} does not exist")
        return group

    # -- packaging groups -----------------------------------------------------------------------

    def create_packaging_group(self, Id: str, **fields: Any) -> dict[str, Any]:
        self._check_id("packaging group", Id)
        with self.lock:
            if (self.region, Id) in self.groups:
                raise unprocessable(f"packaging group {Id} already exists")
            group_hash = secrets.token_hex(16)
            record = {
                "Arn": self._arn("packaging-groups", Id),
                "Id": Id,
                "DomainName": f"{self.settings.public_url}/vod",
                "Tags": fields.get("Tags") or {},
                "CreatedAt": iso(pendulum.now("UTC")),
                "ApproximateAssetCount": 0,
                "_hash": group_hash,
            }
            for name in ("Authorization", "EgressAccessLogs"):
                if fields.get(name):
                    record[name] = fields[name]
            self.groups[(self.region, Id)] = record
            self.tags[record["Arn"]] = dict(record["Tags"])
            return _public(record)

    def describe_packaging_group(self, Id: str) -> dict[str, Any]:
        group = self._group(Id)
        group["ApproximateAssetCount"] = sum(
            1 for (r, _), a in self.assets.items() if r == self.region and a.record["PackagingGroupId"] == Id
        )
        return _public(group)

    def list_packaging_groups(self, MaxResults: int | None = None, NextToken: str | None = None) -> dict[str, Any]:
        items = [_public(g) for (r, _), g in self.groups.items() if r == self.region]
        return paginate(items, "PackagingGroups", MaxResults, NextToken)

    def update_packaging_group(self, Id: str, Authorization: dict | None = None) -> dict[str, Any]:
        group = self._group(Id)
        if Authorization is not None:
            group["Authorization"] = Authorization
        return _public(group)

    def delete_packaging_group(self, Id: str) -> dict[str, Any]:
        with self.lock:
            self._group(Id)
            if any(c["PackagingGroupId"] == Id for (r, _), c in self.configs.items() if r == self.region):
                raise unprocessable(f"packaging group {Id} still has packaging configurations")
            if any(a.record["PackagingGroupId"] == Id for (r, _), a in self.assets.items() if r == self.region):
                raise unprocessable(f"packaging group {Id} still has assets")
            del self.groups[(self.region, Id)]
        return {}

    # -- packaging configurations ---------------------------------------------------------------

    def create_packaging_configuration(self, Id: str, PackagingGroupId: str, **fields: Any) -> dict[str, Any]:
        self._check_id("packaging configuration", Id)
        with self.lock:
            if (self.region, Id) in self.configs:
                raise unprocessable(f"packaging configuration {Id} already exists")
            self._group(PackagingGroupId, missing="unprocessable")
            packages = [k for k in ("HlsPackage", "DashPackage", "CmafPackage", "MssPackage") if fields.get(k)]
            if len(packages) != 1:
                raise unprocessable(
                    "a packaging configuration needs exactly one of HlsPackage, DashPackage, CmafPackage, MssPackage"
                )
            hls = fields.get("HlsPackage")
            if hls is not None:
                manifests = hls.get("HlsManifests") or []
                if not manifests:
                    raise unprocessable("HlsPackage.HlsManifests needs at least one manifest")
                for manifest in manifests:
                    manifest.setdefault("ManifestName", "index")
                    manifest.setdefault("AdMarkers", "NONE")
                    manifest.setdefault("IncludeIframeOnlyStream", False)
                    manifest.setdefault("RepeatExtXKey", False)
                hls.setdefault("SegmentDurationSeconds", 6)
                hls.setdefault("UseAudioRenditionGroup", False)
            record = {
                "Arn": self._arn("packaging-configurations", Id),
                "Id": Id,
                "PackagingGroupId": PackagingGroupId,
                "Tags": fields.get("Tags") or {},
                "CreatedAt": iso(pendulum.now("UTC")),
                "_hash": secrets.token_hex(16),
            }
            record.update({k: fields[k] for k in packages})
            self.configs[(self.region, Id)] = record
            self.tags[record["Arn"]] = dict(record["Tags"])
            return _public(record)

    def describe_packaging_configuration(self, Id: str) -> dict[str, Any]:
        config = self.configs.get((self.region, Id))
        if config is None:
            raise not_found(f"packaging configuration {Id} does not exist")
        return _public(config)

    def list_packaging_configurations(
        self, MaxResults: int | None = None, NextToken: str | None = None, PackagingGroupId: str | None = None
    ) -> dict[str, Any]:
        items = [
            _public(c)
            for (r, _), c in self.configs.items()
            if r == self.region and PackagingGroupId in (None, c["PackagingGroupId"])
        ]
        return paginate(items, "PackagingConfigurations", MaxResults, NextToken)

    def delete_packaging_configuration(self, Id: str) -> dict[str, Any]:
        with self.lock:
            if self.configs.pop((self.region, Id), None) is None:
                raise not_found(f"packaging configuration {Id} does not exist")
        return {}

    # -- assets ---------------------------------------------------------------------------------

    def create_asset(
        self,
        Id: str,
        PackagingGroupId: str,
        SourceArn: str,
        SourceRoleArn: str,
        ResourceId: str | None = None,
        Tags: dict | None = None,
    ) -> dict[str, Any]:
        self._check_id("asset", Id)
        if not SOURCE_ARN.match(SourceArn):
            raise unprocessable(f"SourceArn {SourceArn!r} is not an S3 object ARN (arn:aws:s3:::bucket/key)")
        if not re.match(r"^arn:aws:iam::\d{12}:role/.+$", SourceRoleArn):
            raise unprocessable(f"SourceRoleArn {SourceRoleArn!r} is not an IAM role ARN")
        with self.lock:
            if (self.region, Id) in self.assets:
                raise unprocessable(f"asset {Id} already exists")
            self._group(PackagingGroupId, missing="unprocessable")
            asset_hash = secrets.token_hex(16)
            endpoints = []
            asset = Asset({}, self.settings.home / "vod" / asset_hash)
            for (region, _), config in self.configs.items():
                if region != self.region or config["PackagingGroupId"] != PackagingGroupId:
                    continue
                endpoint = {"PackagingConfigurationId": config["Id"], "Status": "QUEUED"}
                if "HlsPackage" in config:
                    manifest = config["HlsPackage"]["HlsManifests"][0]["ManifestName"]
                    group_hash = self.groups[(self.region, PackagingGroupId)]["_hash"]
                    endpoint["Url"] = (
                        f"{self.settings.public_url}/vod/out/v1/{group_hash}/{config['_hash']}/{asset_hash}/{manifest}.m3u8"
                    )
                    asset.manifests[config["_hash"]] = f"{manifest}.m3u8"
                    self.playback[(asset_hash, config["_hash"])] = (asset, f"{manifest}.m3u8")
                endpoints.append(endpoint)
            asset.record.update(
                {
                    "Arn": self._arn("assets", Id),
                    "CreatedAt": iso(pendulum.now("UTC")),
                    "EgressEndpoints": endpoints,
                    "Id": Id,
                    "PackagingGroupId": PackagingGroupId,
                    "ResourceId": ResourceId or Id,
                    "SourceArn": SourceArn,
                    "SourceRoleArn": SourceRoleArn,
                    "Tags": Tags or {},
                }
            )
            self.assets[(self.region, Id)] = asset
            self.tags[asset.record["Arn"]] = dict(Tags or {})
            record = _copy(asset.record)
        threading.Thread(target=self._ingest, args=(asset,), name=f"vod-{Id}", daemon=True).start()
        return record

    def describe_asset(self, Id: str) -> dict[str, Any]:
        asset = self.assets.get((self.region, Id))
        if asset is None:
            raise not_found(f"asset {Id} does not exist")
        with self.lock:
            return _copy(asset.record)

    def list_assets(
        self, MaxResults: int | None = None, NextToken: str | None = None, PackagingGroupId: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            items = [
                {k: v for k, v in _copy(a.record).items() if k != "EgressEndpoints"}
                for (r, _), a in self.assets.items()
                if r == self.region and PackagingGroupId in (None, a.record["PackagingGroupId"])
            ]
        return paginate(items, "Assets", MaxResults, NextToken)

    def delete_asset(self, Id: str) -> dict[str, Any]:
        with self.lock:
            asset = self.assets.pop((self.region, Id), None)
            if asset is None:
                raise not_found(f"asset {Id} does not exist")
            for key in [k for k, v in self.playback.items() if v[0] is asset]:
                del self.playback[key]
        shutil.rmtree(asset.directory, ignore_errors=True)
        return {}

    # -- tags -----------------------------------------------------------------------------------

    def list_tags_for_resource(self, ResourceArn: str) -> dict[str, Any]:
        if ResourceArn not in self.tags:
            raise not_found(f"resource {ResourceArn} does not exist")
        return {"Tags": dict(self.tags[ResourceArn])}

    def tag_resource(self, ResourceArn: str, Tags: dict[str, str]) -> dict[str, Any]:
        self.list_tags_for_resource(ResourceArn)
        self.tags[ResourceArn].update(Tags)
        return {}

    def untag_resource(self, ResourceArn: str, TagKeys: list[str]) -> dict[str, Any]:
        self.list_tags_for_resource(ResourceArn)
        for key in TagKeys:
            self.tags[ResourceArn].pop(key, None)
        return {}

    def configure_logs(self, Id: str, EgressAccessLogs: dict | None = None) -> dict[str, Any]:
        group = self._group(Id)
        group["EgressAccessLogs"] = EgressAccessLogs or {}
        return _public(group)

    # -- ingest of the source -------------------------------------------------------------------

    def _set_status(self, asset: Asset, status: str, *, hls_only: bool = True) -> None:
        with self.lock:
            for endpoint in asset.record["EgressEndpoints"]:
                if endpoint.get("Url") or not hls_only:
                    endpoint["Status"] = status
                elif status in ("PLAYABLE", "FAILED"):
                    endpoint["Status"] = "FAILED"  # not HLS: the local stack cannot package it

    def _ingest(self, asset: Asset) -> None:
        started = time.monotonic()
        time.sleep(min(0.2, self.settings.vod_min_seconds / 3))
        self._set_status(asset, "PROCESSING")
        try:
            self.copy_source(asset)
            outcome = "PLAYABLE"
        except SourceProblem as exc:
            asset.failure = str(exc)
            log.warning("VOD asset %s FAILED: %s", asset.record["Id"], exc)
            outcome = "FAILED"
        except Exception as exc:
            asset.failure = f"internal error: {exc}"
            log.exception("VOD asset %s crashed", asset.record["Id"])
            outcome = "FAILED"
        remaining = self.settings.vod_min_seconds - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        self._set_status(asset, outcome, hls_only=outcome != "FAILED")

    def copy_source(self, asset: Asset) -> None:
        """Read the source asset into the stack's playback copy; SourceProblem says why it cannot (a fault may)."""
        match = SOURCE_ARN.match(asset.record["SourceArn"])
        assert match is not None
        bucket, key = match["bucket"], match["key"]
        prefix = posixpath.dirname(key)
        try:
            self.sibling.check_role(asset.record["SourceRoleArn"], ["s3:GetObject"], [f"arn:aws:s3:::{bucket}/{key}"])
        except AccessProblem as exc:
            raise SourceProblem(f"cannot read the source with the source role: {exc}") from None
        parent = self._read_playlist(bucket, key)
        if not parent.is_variant:
            raise SourceProblem(f"s3://{bucket}/{key} is not an HLS multivariant playlist")
        children = [p.uri for p in parent.playlists] + [m.uri for m in parent.media if m.uri]
        if not children:
            raise SourceProblem(f"s3://{bucket}/{key} names no renditions")
        # Written as they are read: a 24-hour asset does not fit in memory.
        tmp = asset.directory.with_name(asset.directory.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)

        def write(relative: str, body: bytes) -> None:
            path = tmp / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)

        try:
            self._copy_children(bucket, prefix, children, write)
            write("__parent__.m3u8", parent.dumps().encode())
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(asset.directory, ignore_errors=True)
        tmp.rename(asset.directory)

    def _copy_children(self, bucket: str, prefix: str, children: list[str], write: Any) -> None:
        # Every rendition is checked before any segment is copied: a bad one fails the asset at once.
        playlists = []
        for uri in dict.fromkeys(children):
            child_key = _inside(prefix, uri)
            child = self._read_playlist(bucket, child_key)
            if child.keys and any(k is not None and k.method != "NONE" for k in child.keys):
                raise SourceProblem(f"{uri} is encrypted: MediaPackage VOD cannot ingest encrypted assets")
            if child.playlist_type != "vod" and not child.is_endlist:
                raise SourceProblem(f"{uri} is not a VOD playlist (no EXT-X-ENDLIST)")
            if _is_fmp4(child):
                raise SourceProblem(
                    f"{uri} has fMP4 (CMAF) segments: MediaPackage VOD ingests HLS over MPEG-TS"
                    " or MP4 through a .smil manifest"
                )
            playlists.append((child_key, child))
        for child_key, child in playlists:
            for segment in child.segments:
                segment_key = _inside(posixpath.dirname(child_key), segment.uri)
                found = self.sibling.get_object(bucket, segment_key)
                if found is None:
                    raise SourceProblem(f"segment s3://{bucket}/{segment_key} does not exist")
                write(posixpath.relpath(segment_key, prefix or "."), found[0])
            write(posixpath.relpath(child_key, prefix or "."), child.dumps().encode())

    def _read_playlist(self, bucket: str, key: str) -> m3u8.M3U8:
        found = self.sibling.get_object(bucket, key)
        if found is None:
            raise SourceProblem(f"source s3://{bucket}/{key} does not exist")
        body = found[0]
        if len(body) > MAX_PLAYLIST_BYTES:
            raise SourceProblem(f"s3://{bucket}/{key} is too large for a playlist")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceProblem(f"s3://{bucket}/{key} is not a UTF-8 playlist") from None
        if not text.startswith("#EXTM3U"):
            raise SourceProblem(f"s3://{bucket}/{key} is not an HLS playlist (no #EXTM3U)")
        return m3u8.loads(text)

    # -- playback -------------------------------------------------------------------------------

    def playback_file(self, asset_hash: str, config_hash: str, relative: str) -> Path | None:
        found = self.playback.get((asset_hash, config_hash))
        if found is None:
            return None
        asset, manifest = found
        if not all(e["Status"] == "PLAYABLE" for e in asset.record["EgressEndpoints"] if e.get("Url")):
            return None
        name = "__parent__.m3u8" if relative == manifest else relative
        path = (asset.directory / name).resolve()
        if asset.directory.resolve() not in path.parents or not path.is_file():
            return None
        return path


def _is_fmp4(playlist: m3u8.M3U8) -> bool:
    """An EXT-X-MAP init segment or .mp4/.m4s segments: HLS over fragmented MP4, which AWS refuses."""
    if playlist.segment_map or any(segment.init_section for segment in playlist.segments):
        return True
    return any((segment.uri or "").split("?")[0].lower().endswith((".mp4", ".m4s")) for segment in playlist.segments)


def _inside(prefix: str, uri: str) -> str:
    """Resolve a playlist URI against the asset prefix, refusing anything that leaves it."""
    if "://" in uri or uri.startswith("/") or "?" in uri:
        raise SourceProblem(f"{uri} points outside the asset")
    resolved = posixpath.normpath(posixpath.join(prefix, uri))
    if prefix and not resolved.startswith(prefix.rstrip("/") + "/") or resolved.startswith(".."):
        raise SourceProblem(f"{uri} points outside the asset")
    return resolved


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    if "EgressEndpoints" in out:
        out["EgressEndpoints"] = [dict(e) for e in out["EgressEndpoints"]]
    return out
