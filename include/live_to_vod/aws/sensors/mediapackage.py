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
from live_to_vod.aws.hooks.mediapackagev2 import ACTIVE, MediaPackageV2HookMixin
from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink
from live_to_vod.aws.triggers.mediapackage import HarvestJobTrigger, harvest_failed_message, validate_trigger_event
from live_to_vod.aws.triggers.mediapackagev2 import V2HarvestJobTrigger
from live_to_vod.harvest_request import V2Endpoint
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME, failure_reason_for_job

REASON_LOOKBACK_EVENTS = 20  # asset events (each up to 50 notifications) searched for a reason
REASON_POLL_SECONDS = 3


class HarvestJobSensor(MediaPackageV2HookMixin, AwsBaseSensor[MediaPackageHook]):
    """Wait until a harvest job is ``SUCCEEDED``; fail the task when it ``FAILED``.

    Deferrable (the default where ``[operators] default_deferrable`` is on): a
    :class:`HarvestJobTrigger` polls in the triggerer and no worker slot is held.
    Otherwise it pokes ``DescribeHarvestJob`` in ``reschedule`` mode. ``timeout`` bounds the wait
    either way, so a stuck harvest fails with a clear message instead of waiting forever.

    A FAILED job's reason is only in its EventBridge notification. When the task has the
    notification queue's asset (``NOTIFICATIONS_ASSET_NAME``) among its ``inlets``, the failure
    message quotes the reason from that asset's events, waiting up to ``failure_reason_wait``
    seconds for the notification to arrive.

    A MediaPackage v2 job (``v2_endpoint`` given) is waited for the same way, on
    :class:`V2HarvestJobTrigger` (or ``GetHarvestJob`` pokes): ``COMPLETED`` succeeds; ``FAILED``
    fails quoting the job's ``ErrorMessage``; ``CANCELLED`` fails (it is never a success). When the
    wait times out, the job is cancelled before the task fails, so no asset lands after the run
    gave up; when a person marks the task failed, the trigger (or ``on_kill``) cancels it.

    Returns the job's description.

    :param harvest_job_id: the harvest job's ``Id``, or a v2 job's ``HarvestJobName`` (templated).
    :param v2_endpoint: the v2 job's ``group/channel/endpoint``; None for a v1 job (templated).
    :param deferrable: defer to the triggerer instead of poking.
    :param poll_interval: seconds between polls of ``DescribeHarvestJob``, deferred or poking.
    :param failure_reason_wait: how long a FAILED job's wait looks for the reason in the
        notification asset's events, seconds (only with that asset among ``inlets``).
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook
    template_fields: Sequence[str] = aws_template_fields("harvest_job_id", "v2_endpoint")
    operator_extra_links = (MediaPackageHarvestJobLink(),)

    def __init__(
        self,
        *,
        harvest_job_id: str,
        v2_endpoint: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: int = 10,
        failure_reason_wait: float = 30,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        self.harvest_job_id = harvest_job_id
        self.v2_endpoint = v2_endpoint
        self._description: dict[str, Any] | None = None
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.failure_reason_wait = failure_reason_wait

    def _v2(self) -> V2Endpoint | None:
        if not self.v2_endpoint:
            return None
        endpoint = V2Endpoint.from_ref(self.v2_endpoint)
        if endpoint is None:
            raise AirflowFailException(f"v2_endpoint {self.v2_endpoint!r} is not a group/channel/endpoint")
        return endpoint

    def execute(self, context: Any) -> Any:
        endpoint = self._v2()
        if endpoint is not None:
            return self._execute_v2(context, endpoint)
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

    def _execute_v2(self, context: Any, endpoint: V2Endpoint) -> Any:
        if not self.deferrable:
            self.log.info(
                "Polling harvest job %s on %s every %s s", self.harvest_job_id, endpoint.ref, self.poke_interval
            )
            super().execute(context)
            return self._description
        self.log.info(
            "Waiting for harvest job %s on %s in the triggerer (no worker slot held)", self.harvest_job_id, endpoint.ref
        )
        attempts = max(1, int(self.timeout // max(self.poll_interval, 1)))
        self.defer(
            trigger=V2HarvestJobTrigger(
                channel_group=endpoint.channel_group,
                channel=endpoint.channel,
                origin_endpoint=endpoint.origin_endpoint,
                harvest_job_name=self.harvest_job_id,
                waiter_delay=self.poll_interval,
                waiter_max_attempts=attempts,
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                verify=self.verify,
                botocore_config=self.botocore_config,
            ),
            method_name="execute_complete",
            # Later than the trigger's own timeout, so execute_complete sees it and cancels the job.
            timeout=timedelta(seconds=self.timeout + 3 * self.poll_interval),
        )

    def _v2_job(self, endpoint: V2Endpoint) -> dict[str, Any]:
        job = self.v2_hook.get_harvest_job(endpoint, self.harvest_job_id)
        if job is None:
            raise AirflowFailException(f"MediaPackage v2 has no harvest job {self.harvest_job_id} on {endpoint.ref}")
        return job

    def _v2_failed(self, endpoint: V2Endpoint, job: dict[str, Any]) -> AirflowFailException:
        reason = job.get("ErrorMessage")
        if job["Status"] == "CANCELLED":
            return AirflowFailException(
                f"harvest job {self.harvest_job_id} on {endpoint.ref} was CANCELLED; nothing is harvested"
            )
        return AirflowFailException(
            f"harvest job {self.harvest_job_id} on {endpoint.ref} FAILED" + (f": {reason}" if reason else "")
        )

    def _v2_give_up(self, endpoint: V2Endpoint, why: str) -> AirflowFailException:
        """The wait ran out: cancel the job (no asset after the run gave up) and say so."""
        cancelled = self.v2_hook.cancel_harvest_job(endpoint, self.harvest_job_id)
        return AirflowFailException(
            f"{why}; " + ("the job was cancelled" if cancelled else "the job had already ended")
        )

    def poke(self, context: Any) -> bool:
        endpoint = self._v2()
        if endpoint is not None:
            job = self._v2_job(endpoint)
            state = self.v2_hook.waiter_state("harvest_job_complete", job)
            if state == "failure":
                raise self._v2_failed(endpoint, job)
            self.log.info("Harvest job %s is %s", self.harvest_job_id, job["Status"])
            self._description = job
            return state == "success"
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
        endpoint = self._v2()
        if endpoint is not None:
            return self._complete_v2(endpoint, event)
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

    def _complete_v2(self, endpoint: V2Endpoint, event: dict[str, Any]) -> dict[str, Any]:
        if event["status"] == "timeout":
            raise self._v2_give_up(endpoint, event["message"])
        job = self._v2_job(endpoint)
        if event["status"] == "failure" or job["Status"] in ("FAILED", "CANCELLED"):
            raise self._v2_failed(endpoint, job)
        if event["status"] != "success":
            raise AirflowFailException(event["message"])
        self.log.info("harvest job %s on %s COMPLETED: the window is in S3", self.harvest_job_id, endpoint.ref)
        return job

    def on_kill(self) -> None:
        """Poking a v2 job (not deferred) and the task is stopped: cancel the job if it still runs.
        (A deferred wait's trigger does that itself.)"""
        endpoint = self._v2()
        if endpoint is None or self._description is None or self._description.get("Status") not in ACTIVE:
            return
        try:
            self.v2_hook.cancel_harvest_job(endpoint, self.harvest_job_id)
        except Exception as exc:  # best effort while being killed
            self.log.warning("Task killed: could not cancel harvest job %s: %s", self.harvest_job_id, exc)

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
