"""Wait for a MediaPackage harvest job: deferred to the triggerer, or a reschedule-mode sensor."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.configuration import conf
from airflow.providers.amazon.aws.sensors.base_aws import AwsBaseSensor
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook
from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink
from live_to_vod.aws.triggers.mediapackage import HarvestJobTrigger, harvest_failed_message
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME, failure_reason_for_job

EVENT_STATUSES = {"success", "failure", "timeout", "error"}
REASON_LOOKBACK_EVENTS = 20  # asset events (each up to 50 notifications) searched for a reason
REASON_POLL_SECONDS = 3


def validate_trigger_event(event: Any, resource_id: str) -> dict[str, Any]:
    """The trigger's event, checked: a dict with a known status, for this resource."""
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise AirflowFailException(f"unexpected trigger event for {resource_id}: {event!r}")
    if event.get("resource_id") != resource_id:
        raise AirflowFailException(f"trigger event for {event.get('resource_id')!r}, expected {resource_id!r}")
    return event


class HarvestJobSensor(AwsBaseSensor[MediaPackageHook]):
    """Wait until a harvest job is ``SUCCEEDED``; fail the task when it ``FAILED``.

    Deferrable (the default where ``[operators] default_deferrable`` is on): a
    :class:`HarvestJobTrigger` polls in the triggerer with back-off and no worker slot is held.
    Otherwise it pokes ``DescribeHarvestJob`` in ``reschedule`` mode. ``timeout`` bounds the wait
    either way, so a stuck harvest fails with a clear message instead of waiting forever.

    A FAILED job's reason is only in its EventBridge notification. When the task has the
    notification queue's asset (``NOTIFICATIONS_ASSET_NAME``) among its ``inlets``, the failure
    message quotes the reason from that asset's events, waiting up to ``failure_reason_wait``
    seconds for the notification to arrive.

    Returns the job's description.

    :param harvest_job_id: the harvest job's ``Id`` (templated).
    :param deferrable: defer to the triggerer instead of poking.
    :param poll_interval: seconds between the first polls (the trigger backs off from there).
    :param max_poll_interval: ceiling of the trigger's back-off, seconds.
    :param failure_reason_wait: how long a FAILED job's wait looks for the reason in the
        notification asset's events, seconds (only with that asset among ``inlets``).
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook
    template_fields: Sequence[str] = aws_template_fields("harvest_job_id")
    operator_extra_links = (MediaPackageHarvestJobLink(),)

    def __init__(
        self,
        *,
        harvest_job_id: str,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10,
        max_poll_interval: float = 60,
        failure_reason_wait: float = 30,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        self.harvest_job_id = harvest_job_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.failure_reason_wait = failure_reason_wait

    def execute(self, context: Any) -> Any:
        MediaPackageHarvestJobLink.persist(
            context=context,
            operator=self,
            region_name=self.hook.conn_region_name,
            aws_partition=self.hook.conn_partition,
            harvest_job_id=self.harvest_job_id,
        )
        if not self.deferrable:
            self.log.info(
                "Polling harvest job %s every %s s (reschedule mode)", self.harvest_job_id, self.poke_interval
            )
            super().execute(context)
            return self._description
        self.log.info("Waiting for harvest job %s in the triggerer (no worker slot held)", self.harvest_job_id)
        self.defer(
            trigger=HarvestJobTrigger(
                resource_id=self.harvest_job_id,
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                poll_interval=self.poll_interval,
                max_poll_interval=self.max_poll_interval,
                deadline=time.time() + self.timeout,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def poke(self, context: Any) -> bool:
        response = self.hook.conn.describe_harvest_job(Id=self.harvest_job_id)
        state = self.hook.waiter_state("harvest_job_complete", response)
        if state == "failure":
            raise AirflowFailException(harvest_failed_message(self.harvest_job_id, self._failure_reason(context)))
        self.log.info("Harvest job %s is %s", self.harvest_job_id, response["Status"])
        self._description = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        return state == "success"

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        event = validate_trigger_event(event, self.harvest_job_id)
        if event["status"] == "failure":
            raise AirflowFailException(harvest_failed_message(self.harvest_job_id, self._failure_reason(context)))
        if event["status"] != "success":
            raise AirflowFailException(event["message"])
        self.log.info("%s", event["message"])
        return event["detail"]

    def _failure_reason(self, context: Any) -> str | None:
        """The reason from the job's FAILED notification, when the notification asset is an inlet."""
        asset = next((a for a in self.inlets if getattr(a, "name", None) == NOTIFICATIONS_ASSET_NAME), None)
        if asset is None:
            return None
        deadline = time.monotonic() + self.failure_reason_wait
        while True:
            # A fresh accessor each time: it caches what it fetched. The newest events first.
            events = context["inlet_events"][asset].ascending(False).limit(REASON_LOOKBACK_EVENTS)
            reason = failure_reason_for_job(({"extra": e.extra} for e in events), self.harvest_job_id)
            if reason or time.monotonic() >= deadline:
                if not reason:
                    self.log.warning(
                        "No FAILED notification for harvest job %s arrived within %s s",
                        self.harvest_job_id,
                        self.failure_reason_wait,
                    )
                return reason
            time.sleep(min(REASON_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
