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

from live_to_vod.aws.hooks.mediapackage import MediaPackageVodHook, ResourceConflict
from live_to_vod.aws.links.mediapackage import VodPlaybackLink
from live_to_vod.aws.triggers.mediapackage import (
    VodAssetPlayableTrigger,
    playable_asset_result,
    validate_trigger_event,
)
from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.naming import vod_asset_id


class CreateVodAssetOperator(AwsBaseOperator[MediaPackageVodHook]):
    """Create the MediaPackage VOD asset for a harvest and wait until every egress endpoint plays.

    The asset ``Id`` is the harvest job's, so a retry or rerun finds the asset instead of creating
    a second one (:meth:`MediaPackageVodHook.get_or_create_asset`); an asset of that ``Id`` with
    another source fails the task. The wait is deferred to the triggerer when ``deferrable`` (no
    worker slot held), and a playable asset ends the task there (MediaPackage VOD sends no event,
    so the trigger polls every ``poll_interval`` s); otherwise the ``asset_playable`` waiter
    polls. ``on_kill`` deletes an asset that is not playable yet, so a rerun starts clean.

    Returns ``{"asset_id", "egress_endpoints": [{"PackagingConfigurationId", "Status", "Url"}], "playback_urls"}``,
    or None when the output is not handed off (:meth:`HarvestRequest.not_handed_off` says why, in
    the log: no packaging group, or a harvest MediaPackage VOD cannot ingest, like HLS over CMAF).

    :param request: the validated request (``ValidateLiveEventOperator``'s XCom).
    :param harvest_job_id: the harvest job whose asset this is (templated).
    :param deferrable: wait in the triggerer instead of on the worker.
    :param poll_interval: seconds between polls of ``DescribeAsset``.
    :param wait_timeout: seconds to wait for PLAYABLE before failing.
    :param defer_after: seconds to poll on the worker before deferring: an asset is often playable
        within seconds, and a short wait here costs less (time and CPU) than a deferral's round trip.
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
        poll_interval: int = 1,
        wait_timeout: float = 3600,
        defer_after: float = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.harvest_job_id = harvest_job_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.defer_after = defer_after
        self._asset_id: str | None = None

    def execute(self, context: Any) -> dict[str, Any] | None:
        request = HarvestRequest.from_dict(self.request)
        reason = request.not_handed_off()
        if reason is not None:
            # Not a skip: a skipped task inside the mapped harvest group would stop the group's publish.
            log = self.log.info if request.packaging_group_id is None else self.log.warning
            log("Not handed off to MediaPackage VOD: %s", reason)
            return None
        assert request.packaging_group_id is not None
        asset_id = self._asset_id = vod_asset_id(self.harvest_job_id)
        try:
            asset = self.hook.get_or_create_asset(
                asset_id,
                packaging_group_id=request.packaging_group_id,
                source_arn=request.asset_arn(self.hook.conn_partition),
                source_role_arn=request.vod_source_role_arn,
                tags={"event_id": request.event_id, "harvest_job_id": self.harvest_job_id},
            )
        except ResourceConflict as exc:
            raise AirflowFailException(str(exc)) from None
        if not asset.get("EgressEndpoints"):
            raise AirflowFailException(
                f"VOD asset {asset_id} has no egress endpoints: packaging group "
                f"{request.packaging_group_id} has no packaging configurations"
            )
        asset = self._poll_briefly(asset_id, asset)
        if self.hook.waiter_state("asset_playable", asset) == "success":
            return self._done(context, asset)
        if self.deferrable:
            self.log.info("Waiting for VOD asset %s to become playable, in the triggerer", asset_id)
            self.defer(
                trigger=VodAssetPlayableTrigger(
                    asset_id=asset_id,
                    waiter_delay=self.poll_interval,
                    waiter_max_attempts=self._attempts(),
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    verify=self.verify,
                    botocore_config=self.botocore_config,
                    # Playable ends the task in the triggerer; a failure or a timeout resumes it here.
                    end_task_on_success=True,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.wait_timeout),
            )
        waiter = self.hook.get_waiter("asset_playable")
        try:
            waiter.wait(Id=asset_id, WaiterConfig={"Delay": self.poll_interval, "MaxAttempts": self._attempts()})
        except Exception as exc:
            raise AirflowFailException(f"VOD asset {asset_id} did not become playable: {exc}") from None
        return self._done(context, self.hook.describe_asset(asset_id) or asset)

    def _poll_briefly(self, asset_id: str, asset: dict[str, Any]) -> dict[str, Any]:
        """The asset after up to ``defer_after`` seconds of polling while it is still being packaged."""
        deadline = time.monotonic() + self.defer_after
        while self.hook.waiter_state("asset_playable", asset) == "retry" and time.monotonic() < deadline:
            time.sleep(min(self.poll_interval, 0.5, max(deadline - time.monotonic(), 0)))
            asset = self.hook.describe_asset(asset_id) or asset
        return asset

    def _attempts(self) -> int:
        return max(1, int(self.wait_timeout // max(self.poll_interval, 1)))

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        asset_id = vod_asset_id(self.harvest_job_id)
        try:
            event = validate_trigger_event(event, asset_id)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        asset = self.hook.describe_asset(asset_id)
        if event["status"] == "failure" and asset is not None:
            endpoints = asset["EgressEndpoints"]
            failed = [e.get("PackagingConfigurationId") for e in endpoints if e.get("Status") == "FAILED"]
            raise AirflowFailException(
                f"VOD asset {asset_id} FAILED on packaging configuration(s) {', '.join(map(str, failed))}"
            )
        if event["status"] != "success":
            raise AirflowFailException(event["message"])
        if asset is None:
            raise AirflowFailException(f"VOD asset {asset_id} was playable and is gone; nothing was handed off")
        return self._done(context, asset)

    def _done(self, context: Any, asset: dict[str, Any]) -> dict[str, Any]:
        result = playable_asset_result(asset)
        urls = result["playback_urls"]
        if urls:
            context["ti"].xcom_push(key=VodPlaybackLink.key, value=urls[0])
        self.log.info("VOD asset %s is playable: %s", asset["Id"], ", ".join(urls))
        return result

    def on_kill(self) -> None:
        if not self._asset_id:
            return
        try:
            if self.hook.delete_unplayable_asset(self._asset_id):
                self.log.warning("Task killed: deleted VOD asset %s, which was not playable yet", self._asset_id)
        except Exception as exc:  # best effort while being killed
            self.log.warning("Task killed: could not clean up VOD asset %s: %s", self._asset_id, exc)
