"""Hand a verified asset to MediaPackage VOD, exactly once, and wait until it plays."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.configuration import conf
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.aws.hooks.mediapackage import MediaPackageVodHook
from live_to_vod.aws.links.mediapackage import VodPlaybackLink
from live_to_vod.aws.sensors.mediapackage import validate_trigger_event
from live_to_vod.aws.triggers.mediapackage import VodAssetPlayableTrigger
from live_to_vod.naming import vod_asset_id
from live_to_vod.validation import HarvestRequest


class CreateVodAssetOperator(AwsBaseOperator[MediaPackageVodHook]):
    """Create the MediaPackage VOD asset for a harvest and wait until every egress endpoint plays.

    The asset ``Id`` is the harvest job's, so a retry or rerun finds the asset instead of creating
    a second one; an asset of that ``Id`` with another source fails the task. The wait is
    deferred to the triggerer when ``deferrable`` (no worker slot held); otherwise the
    ``asset_playable`` waiter polls. ``on_kill`` deletes an asset that is not playable yet, so a
    rerun starts clean.

    Returns ``{"asset_id", "egress_endpoints": [{"PackagingConfigurationId", "Status", "Url"}], "playback_urls"}``,
    or None when the request has no packaging group (no hand-off asked).

    :param request: the validated request (``ValidateLiveEventOperator``'s XCom).
    :param harvest_job_id: the harvest job whose asset this is (templated).
    :param deferrable: wait in the triggerer instead of on the worker.
    :param poll_interval: seconds between the first polls of ``DescribeAsset``.
    :param wait_timeout: seconds to wait for PLAYABLE before failing.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageVodHook
    template_fields: Sequence[str] = aws_template_fields("request", "harvest_job_id")
    operator_extra_links = (VodPlaybackLink(),)

    def __init__(
        self,
        *,
        request: Any,
        harvest_job_id: str,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 5,
        wait_timeout: float = 3600,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.harvest_job_id = harvest_job_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self._asset_id: str | None = None

    def execute(self, context: Any) -> dict[str, Any] | None:
        request = HarvestRequest.from_dict(self.request)
        if request.packaging_group_id is None:
            # Not a skip: a skipped task inside the mapped harvest group would stop the group's publish.
            self.log.info("No packaging_group_id: this output is not handed off to MediaPackage VOD")
            return None
        asset_id = self._asset_id = vod_asset_id(self.harvest_job_id)
        source_arn = f"arn:{self.hook.conn_partition}:s3:::{request.s3_bucket}/{request.manifest_key}"
        asset = self._find_or_create(asset_id, request, source_arn)
        if not asset.get("EgressEndpoints"):
            raise AirflowFailException(
                f"VOD asset {asset_id} has no egress endpoints: packaging group "
                f"{request.packaging_group_id} has no packaging configurations"
            )
        if self.hook.waiter_state("asset_playable", asset) == "success":
            return self._done(context, asset)
        if self.deferrable:
            self.log.info("Waiting for VOD asset %s to become playable, in the triggerer", asset_id)
            self.defer(
                trigger=VodAssetPlayableTrigger(
                    resource_id=asset_id,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    poll_interval=self.poll_interval,
                    max_poll_interval=max(self.poll_interval, 30),
                    deadline=time.time() + self.wait_timeout,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.wait_timeout),
            )
        waiter = self.hook.get_waiter("asset_playable")
        attempts = max(1, int(self.wait_timeout // self.poll_interval))
        try:
            waiter.wait(Id=asset_id, WaiterConfig={"Delay": self.poll_interval, "MaxAttempts": attempts})
        except Exception as exc:
            raise AirflowFailException(f"VOD asset {asset_id} did not become playable: {exc}") from None
        return self._done(context, self.hook.conn.describe_asset(Id=asset_id))

    def _find_or_create(self, asset_id: str, request: HarvestRequest, source_arn: str) -> dict[str, Any]:
        conn = self.hook.conn
        try:
            asset = conn.describe_asset(Id=asset_id)
        except conn.exceptions.NotFoundException:
            try:
                asset = conn.create_asset(
                    Id=asset_id,
                    PackagingGroupId=request.packaging_group_id,
                    SourceArn=source_arn,
                    SourceRoleArn=request.vod_source_role_arn,
                    ResourceId=asset_id,
                    Tags={"event_id": request.event_id, "harvest_job_id": self.harvest_job_id},
                )
                self.log.info(
                    "Created VOD asset %s from %s in packaging group %s",
                    asset_id,
                    source_arn,
                    request.packaging_group_id,
                )
                return asset
            except conn.exceptions.UnprocessableEntityException:
                asset = conn.describe_asset(Id=asset_id)  # a concurrent try created it
        if asset["SourceArn"] != source_arn:
            raise AirflowFailException(
                f"VOD asset id {asset_id} is already used by an asset of another source "
                f"({asset['SourceArn']}, this run wants {source_arn}); nothing was created"
            )
        if self.hook.waiter_state("asset_playable", asset) == "failure":
            # A failed asset never recovers; after a fix (say, the source role) it must be made again.
            self.log.warning("VOD asset %s FAILED earlier; deleting it and creating it again", asset_id)
            conn.delete_asset(Id=asset_id)
            return self._find_or_create(asset_id, request, source_arn)
        self.log.info("Found this harvest's VOD asset %s; not creating another", asset_id)
        return asset

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        event = validate_trigger_event(event, self._asset_id or vod_asset_id(self.harvest_job_id))
        if event["status"] != "success":
            raise AirflowFailException(event["message"])
        return self._done(context, event["detail"])

    def _done(self, context: Any, asset: dict[str, Any]) -> dict[str, Any]:
        endpoints = [
            {k: e.get(k) for k in ("PackagingConfigurationId", "Status", "Url")} for e in asset["EgressEndpoints"]
        ]
        urls = [e["Url"] for e in endpoints if e.get("Url")]
        if urls:
            context["ti"].xcom_push(key=VodPlaybackLink.key, value=urls[0])
        self.log.info("VOD asset %s is playable: %s", asset["Id"], ", ".join(urls))
        return {"asset_id": asset["Id"], "egress_endpoints": endpoints, "playback_urls": urls}

    def on_kill(self) -> None:
        if not self._asset_id:
            return
        conn = self.hook.conn
        try:
            asset = conn.describe_asset(Id=self._asset_id)
            if self.hook.waiter_state("asset_playable", asset) != "success":
                conn.delete_asset(Id=self._asset_id)
                self.log.warning("Task killed: deleted VOD asset %s, which was not playable yet", self._asset_id)
        except Exception as exc:  # best effort while being killed
            self.log.warning("Task killed: could not clean up VOD asset %s: %s", self._asset_id, exc)
