"""Harvest jobs made anywhere, picked up from their EventBridge notifications (via SQS)."""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, MediaPackageVodHook
from live_to_vod.aws.hooks.mediapackagev2 import MediaPackageV2HookMixin
from live_to_vod.config import DeploymentConfig
from live_to_vod.harvest_jobs import CANCELLED, FAILURES, TERMINAL_SUCCESS, normalize_status, pipeline_event_id_of
from live_to_vod.harvest_request import V2Endpoint
from live_to_vod.naming import vod_asset_id
from live_to_vod.notifications import (
    OUTCOMES_KEY,
    HarvestNotification,
    NotificationProblem,
    handoff_request,
    handoff_request_v2,
    notifications_from_asset_events,
    outcome_reason,
)


class ReadHarvestNotificationsOperator(MediaPackageV2HookMixin, AwsBaseOperator[MediaPackageHook]):
    """Decide, for each harvest job notification that triggered the run, what to do with the job.

    Reads the SQS messages of the run's triggering asset events (the queue's ``AssetWatcher``),
    one notification per job, then asks AWS (events are best effort and could be forged, so
    ``DescribeHarvestJob``, or v2's ``GetHarvestJob``, is the truth):

    - made by ``live_event_harvest`` (its deterministic job id or v2 name): skipped, that run
      verifies and hands it off, or fails its wait with the notification's reason;
    - ``SUCCEEDED``/``COMPLETED`` with a VOD asset already (id = job id or name, not ``FAILED``):
      skipped, handled;
    - ``SUCCEEDED``/``COMPLETED`` otherwise: handed off (verify, VOD asset, publish), after its
      destination passes the same checks as a run's parameters (a v2 CMAF harvest is verified,
      not handed to VOD, which ingests only TS);
    - ``FAILED`` otherwise: reported with the notification's reason (v2: else the job's
      ``ErrorMessage``); v2's ``CANCELLED``: reported as failed, "cancelled".

    Returns the hand-offs, ``[{"request": ..., "harvest_job_id": ...}]``, for the mapped group;
    pushes every job's outcome under the XCom key ``notifications`` for the report.

    :param deployment: deployment settings (packaging group, VOD source role, partition);
        read from the environment when not given.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook

    def __init__(self, *, deployment: DeploymentConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployment = deployment

    def execute(self, context: Any) -> list[dict[str, Any]]:
        deployment = self.deployment or DeploymentConfig.from_env()
        asset_events = [
            {"extra": event.extra} for events in context["triggering_asset_events"].values() for event in events
        ]
        notifications, problems = notifications_from_asset_events(asset_events)
        self.log.info("%d notification(s) in %d asset event(s)", len(notifications), len(asset_events))
        vod = MediaPackageVodHook(
            aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify, config=self.botocore_config
        )
        handoffs: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        for notification in notifications:
            outcome = self._decide(notification, deployment, vod)
            self.log.info("harvest job %s: %s%s", notification.job_id, outcome["action"], outcome_reason(outcome))
            outcomes.append(outcome)
            if outcome["action"] == "hand off":
                handoffs.append({"request": outcome.pop("request"), "harvest_job_id": notification.job_id})
        for problem in problems:
            self.log.warning("not a harvest notification: %s", problem)
            outcomes.append({"job_id": None, "action": "rejected", "reason": problem})
        context["ti"].xcom_push(key=OUTCOMES_KEY, value=outcomes)
        return handoffs

    def _decide(
        self, notification: HarvestNotification, deployment: DeploymentConfig, vod: MediaPackageVodHook
    ) -> dict[str, Any]:
        job_id, endpoint = notification.job_id, notification.v2_endpoint
        outcome: dict[str, Any] = {"job_id": job_id, "origin_endpoint_id": notification.origin_endpoint_id}
        if endpoint is None:
            job = self.hook.describe_harvest_job(job_id)
            missing = "MediaPackage has no harvest job of this id"
        else:
            job = self.v2_hook.get_harvest_job(endpoint, job_id)
            missing = f"MediaPackage v2 has no harvest job of this name on {endpoint.ref}"
        if job is None:
            return {**outcome, "action": "rejected", "reason": missing}
        status = normalize_status(job.get("Status", ""))
        if status == CANCELLED:
            reason = "cancelled"
        else:  # v1's API has no reason; v2's ErrorMessage is the fallback when the event gave none
            reason = notification.message or job.get("ErrorMessage") or "the notification gives no reason"
        event_id = pipeline_event_id_of(job)
        if event_id is not None and status in (TERMINAL_SUCCESS, *FAILURES):
            # That run handles it and, when it FAILED, fails its wait with this reason: one alert, not two.
            failed = f" ({status}: {reason})" if status in FAILURES else ""
            return {**outcome, "action": "skipped", "reason": f"live_event_harvest's job for event {event_id}{failed}"}
        if status in FAILURES:
            return {**outcome, "action": "failed", "reason": reason}
        if status != TERMINAL_SUCCESS:
            return {**outcome, "action": "rejected", "reason": f"the notification says done, the job is {status}"}
        asset = vod.describe_asset(vod_asset_id(job_id))
        if asset is not None and not any(e.get("Status") == "FAILED" for e in asset.get("EgressEndpoints", [])):
            return {**outcome, "action": "skipped", "reason": f"already handed off (VOD asset {asset['Id']})"}
        try:
            if endpoint is None:
                request = handoff_request(
                    job,
                    partition=deployment.aws_partition,
                    packaging_group_id=deployment.packaging_group_id,
                    vod_source_role_arn=deployment.vod_source_role_arn,
                )
            else:
                request = handoff_request_v2(
                    job,
                    container_type=self._container_type(endpoint),
                    packaging_group_id=deployment.packaging_group_id,
                    vod_source_role_arn=deployment.vod_source_role_arn,
                )
        except NotificationProblem as exc:
            return {**outcome, "action": "rejected", "reason": str(exc)}
        return {**outcome, "action": "hand off", "request": request.to_dict(), "asset_uri": request.asset_uri}

    def _container_type(self, endpoint: V2Endpoint) -> str | None:
        """TS or CMAF: whether the harvest can go to MediaPackage VOD (TS only)."""
        conn = self.v2_hook.conn
        try:
            return conn.get_origin_endpoint(**endpoint.names()).get("ContainerType")
        except conn.exceptions.ResourceNotFoundException:
            raise NotificationProblem(f"origin endpoint {endpoint.ref} no longer exists") from None
