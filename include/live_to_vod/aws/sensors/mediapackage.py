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
from live_to_vod.aws.triggers.mediapackage import HarvestJobTrigger, harvest_failed_message, validate_trigger_event
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME, failure_reason_for_job

REASON_LOOKBACK_EVENTS = 20  # asset events (each up to 50 notifications) searched for a reason
REASON_POLL_SECONDS = 3


class HarvestJobSensor(AwsBaseSensor[MediaPackageHook]):
    """Wait until a harvest job is ``SUCCEEDED``; fail the task when it ``FAILED``.

    Deferrable (the default where ``[operators] default_deferrable`` is on): a
    :class:`HarvestJobTrigger` polls in the triggerer and no worker slot is held.
    Otherwise it pokes ``DescribeHarvestJob`` in ``reschedule`` mode. ``timeout`` bounds the wait
    either way, so a stuck harvest fails with a clear message instead of waiting forever.

    A FAILED job's reason is only in its EventBridge notification. When the task has the
    notification queue's asset (``NOTIFICATIONS_ASSET_NAME``) among its ``inlets``, the failure
    message quotes the reason from that asset's events, waiting up to ``failure_reason_wait``
    seconds for the notification to arrive.

    Returns the job's description.

    :param harvest_job_id: the harvest job's ``Id`` (templated).
    :param deferrable: defer to the triggerer instead of poking.
    :param poll_interval: seconds between polls of ``DescribeHarvestJob``, deferred or poking.
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
        poll_interval: int = 10,
        failure_reason_wait: float = 30,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        self.harvest_job_id = harvest_job_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval
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
                harvest_job_id=self.harvest_job_id,
                waiter_delay=self.poll_interval,
                waiter_max_attempts=max(1, int(self.timeout // max(self.poll_interval, 1))),
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                verify=self.verify,
                botocore_config=self.botocore_config,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def poke(self, context: Any) -> bool:
        job = self.hook.describe_harvest_job(self.harvest_job_id)
        if job is None:
            raise AirflowFailException(f"MediaPackage has no harvest job {self.harvest_job_id}")
        state = self.hook.waiter_state("harvest_job_complete", job)
        if state == "failure":
            raise AirflowFailException(harvest_failed_message(self.harvest_job_id, self._failure_reason(context)))
        self.log.info("Harvest job %s is %s", self.harvest_job_id, job["Status"])
        self._description = job
        return state == "success"

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        try:
            event = validate_trigger_event(event, self.harvest_job_id)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        if event["status"] == "failure":
            raise AirflowFailException(harvest_failed_message(self.harvest_job_id, self._failure_reason(context)))
        if event["status"] != "success":
            raise AirflowFailException(event["message"])
        job = self.hook.describe_harvest_job(self.harvest_job_id)
        if job is None:
            raise AirflowFailException(f"harvest job {self.harvest_job_id} SUCCEEDED and is gone")
        self.log.info(
            "harvest job %s SUCCEEDED: %s to %s is in S3", self.harvest_job_id, job.get("StartTime"), job.get("EndTime")
        )
        return job

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
