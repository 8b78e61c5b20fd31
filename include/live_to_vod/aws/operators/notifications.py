"""Harvest jobs made anywhere, picked up from their EventBridge notifications (via SQS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, MediaPackageVodHook
from live_to_vod.config import DeploymentConfig
from live_to_vod.harvest_state import TERMINAL_FAILURE, TERMINAL_SUCCESS, normalize_status
from live_to_vod.naming import vod_asset_id
from live_to_vod.notifications import (
    HarvestNotification,
    NotificationProblem,
    handoff_request,
    notifications_from_asset_events,
    pipeline_event_id,
)

#: XCom key of ReadHarvestNotificationsOperator's account of every job it saw.
OUTCOMES_KEY = "notifications"


class ReadHarvestNotificationsOperator(AwsBaseOperator[MediaPackageHook]):
    """Decide, for each harvest job notification that triggered the run, what to do with the job.

    Reads the SQS messages of the run's triggering asset events (the queue's ``AssetWatcher``),
    one notification per job, then asks AWS (events are best effort and could be forged, so
    ``DescribeHarvestJob`` is the truth):

    - made by ``live_event_harvest`` (its deterministic job id): skipped, that run verifies and
      hands it off, or fails its wait with the notification's reason;
    - ``SUCCEEDED`` with a VOD asset already (id = job id, not ``FAILED``): skipped, handled;
    - ``SUCCEEDED`` otherwise: handed off (verify, VOD asset, publish), after its destination
      passes the same checks as a run's parameters;
    - ``FAILED`` otherwise: reported with the notification's reason.

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
        vod = MediaPackageVodHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name).conn
        handoffs: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        for notification in notifications:
            outcome = self._decide(notification, deployment, vod)
            self.log.info("harvest job %s: %s%s", notification.job_id, outcome["action"], _reason(outcome))
            outcomes.append(outcome)
            if outcome["action"] == "hand off":
                handoffs.append({"request": outcome.pop("request"), "harvest_job_id": notification.job_id})
        for problem in problems:
            self.log.warning("not a harvest notification: %s", problem)
            outcomes.append({"job_id": None, "action": "rejected", "reason": problem})
        context["ti"].xcom_push(key=OUTCOMES_KEY, value=outcomes)
        return handoffs

    def _decide(self, notification: HarvestNotification, deployment: DeploymentConfig, vod: Any) -> dict[str, Any]:
        job_id = notification.job_id
        outcome: dict[str, Any] = {"job_id": job_id, "origin_endpoint_id": notification.origin_endpoint_id}
        conn = self.hook.conn
        try:
            job = conn.describe_harvest_job(Id=job_id)
        except conn.exceptions.NotFoundException:
            return {**outcome, "action": "rejected", "reason": "MediaPackage has no harvest job of this id"}
        status = normalize_status(job.get("Status", ""))
        reason = notification.message or "the notification gives no reason"
        event_id = pipeline_event_id(job_id, job.get("OriginEndpointId", ""), job.get("StartTime"), job.get("EndTime"))
        if event_id is not None and status in (TERMINAL_SUCCESS, TERMINAL_FAILURE):
            # That run handles it and, when it FAILED, fails its wait with this reason: one alert, not two.
            failed = f" (FAILED: {reason})" if status == TERMINAL_FAILURE else ""
            return {**outcome, "action": "skipped", "reason": f"live_event_harvest's job for event {event_id}{failed}"}
        if status == TERMINAL_FAILURE:
            return {**outcome, "action": "failed", "reason": reason}
        if status != TERMINAL_SUCCESS:
            return {**outcome, "action": "rejected", "reason": f"the notification says done, the job is {status}"}
        try:
            asset = vod.describe_asset(Id=vod_asset_id(job_id))
        except vod.exceptions.NotFoundException:
            asset = None
        if asset is not None and not any(e.get("Status") == "FAILED" for e in asset.get("EgressEndpoints", [])):
            return {**outcome, "action": "skipped", "reason": f"already handed off (VOD asset {asset['Id']})"}
        try:
            request = handoff_request(
                job,
                partition=deployment.aws_partition,
                packaging_group_id=deployment.packaging_group_id,
                vod_source_role_arn=deployment.vod_source_role_arn,
            )
        except NotificationProblem as exc:
            return {**outcome, "action": "rejected", "reason": str(exc)}
        return {**outcome, "action": "hand off", "request": request.to_dict(), "asset_uri": request.asset_uri}


class ReportHarvestNotificationsOperator(BaseOperator):
    """Report every job the run saw; fail the run if any job failed, was rejected or its hand-off failed.

    Runs after the mapped hand-offs whatever their state (``trigger_rule=all_done``).

    :param read_task_id: the ReadHarvestNotificationsOperator's task id.
    :param publish_task_id: the mapped publish task of the hand-off group.
    """

    template_fields: Sequence[str] = ()

    def __init__(self, *, read_task_id: str, publish_task_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        super().__init__(**kwargs)
        self.read_task_id = read_task_id
        self.publish_task_id = publish_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        outcomes = ti.xcom_pull(task_ids=self.read_task_id, key=OUTCOMES_KEY)
        if outcomes is None:
            raise AirflowFailException(f"{self.read_task_id} did not finish: no notification was processed")
        handoffs = ti.xcom_pull(task_ids=self.read_task_id) or []
        summaries: list[Any] = []
        if handoffs:
            pulled = ti.xcom_pull(task_ids=self.publish_task_id, map_indexes=list(range(len(handoffs))), default=None)
            summaries = pulled if isinstance(pulled, list) else [pulled]
        done = {s["harvest_job_id"]: s for s in summaries if isinstance(s, dict)}
        lines, bad = [], []
        for outcome in outcomes:
            if outcome["action"] == "hand off":
                summary = done.get(outcome["job_id"])
                if summary:
                    line = f"handed off  {outcome['job_id']}: {summary['segment_count']} segments"
                    if summary.get("vod_asset_id"):
                        line += f", VOD asset {summary['vod_asset_id']}"
                else:
                    line = f"FAILED      {outcome['job_id']}: the hand-off failed (see the harvest group's tasks)"
                    bad.append(line)
            else:
                line = f"{outcome['action']:<11} {outcome['job_id'] or '-'}{_reason(outcome)}"
                if outcome["action"] in ("failed", "rejected"):
                    bad.append(line)
            lines.append(line)
        self.log.info("Harvest notifications:\n%s", "\n".join(lines) or "(none)")
        if bad:
            raise AirflowFailException("Harvest jobs need attention:\n" + "\n".join(bad))
        return {"outcomes": outcomes, "handed_off": sorted(done)}


def _reason(outcome: dict[str, Any]) -> str:
    return f": {outcome['reason']}" if outcome.get("reason") else ""
