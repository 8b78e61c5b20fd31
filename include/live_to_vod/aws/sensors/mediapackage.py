"""Wait for a MediaPackage harvest job: deferred to the triggerer, or a reschedule-mode sensor."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pendulum
from airflow.configuration import conf
from airflow.providers.amazon.aws.sensors.base_aws import AwsBaseSensor
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.definitions.xcom_arg import PlainXComArg
from airflow.sdk.exceptions import AirflowFailException
from airflow.triggers.base import StartTriggerArgs

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook
from live_to_vod.aws.hooks.mediapackagev2 import ACTIVE, MediaPackageV2HookMixin
from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink
from live_to_vod.aws.triggers.harvest_wait import LAST_CHANCE_PHASE, HarvestWaitTrigger
from live_to_vod.aws.triggers.mediapackage import harvest_failed_message, poll_delay, validate_trigger_event
from live_to_vod.harvest_request import V2Endpoint
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME, failure_reason_for_job
from live_to_vod.pipeline.metrics import count, observe_harvest


def as_template(value: Any) -> str:
    """A templated field's value as the template the triggerer renders: an XCom reference (an
    ``XComArg``, e.g. ``create.output["harvest_job_id"]``) becomes the ``xcom_pull`` of the same map
    index; a string stays as it is; None is empty."""
    if isinstance(value, PlainXComArg):
        return (
            f"{{{{ ti.xcom_pull(task_ids={value.operator.task_id!r}, key={value.key!r},"
            " map_indexes=ti.map_index) or '' }}"
        )
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot start from the triggerer with {value!r}: a string or an XCom reference is needed")


REASON_LOOKBACK_EVENTS = 20  # asset events (each up to 50 notifications) searched for a reason
REASON_POLL_SECONDS = 3


class HarvestJobSensor(MediaPackageV2HookMixin, AwsBaseSensor[MediaPackageHook]):
    """Wait until a harvest job is ``SUCCEEDED``; fail the task when it ``FAILED``.

    Deferrable (the default where ``[operators] default_deferrable`` is on): the task starts in the
    triggerer (``start_from_trigger``): a :class:`HarvestWaitTrigger` waits there, its job read from
    the templated fields rendered in the triggerer (XCom references become ``xcom_pull`` templates,
    see :func:`as_template`), and no worker runs anything before the wait. With the notification
    queue's asset among ``inlets``, the job's completion event wakes the wait within about a second
    (polling every ``pushed_poll_interval`` s remains the safety net); without it, the trigger polls
    every ``poll_interval`` s. A success ends the task in the triggerer (the job's description is
    its XCom): a harvest that succeeds costs no worker execution. A failure, a timeout or the
    last-chance moment resumes it on a worker.
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

    Last chance: with ``content_expires_at``, a deferred wait still running ``last_chance_minutes``
    before the content leaves the startover window sends one alert naming that moment (the trigger
    stops there, the task alerts on a worker and defers again for the rest), then waits on.

    Returns the job's description.

    :param harvest_job_id: the harvest job's ``Id``, or a v2 job's ``HarvestJobName`` (templated).
    :param v2_endpoint: the v2 job's ``group/channel/endpoint``; None for a v1 job (templated).
    :param deferrable: defer to the triggerer instead of poking.
    :param poll_interval: seconds between polls of ``DescribeHarvestJob``, deferred or poking.
    :param pushed_poll_interval: seconds between polls of a deferred wait that the job's completion
        event wakes (the notification asset among ``inlets``): only the safety net for a lost event.
    :param failure_reason_wait: how long a FAILED job's wait looks for the reason in the
        notification asset's events, seconds (only with that asset among ``inlets``).
    :param content_expires_at: ISO 8601 moment the output's content leaves the startover window;
        empty: no last-chance alert (templated).
    :param last_chance_minutes: alert this long before ``content_expires_at`` if the job still runs.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    """

    aws_hook_class = MediaPackageHook
    template_fields: Sequence[str] = aws_template_fields("harvest_job_id", "v2_endpoint", "content_expires_at")
    operator_extra_links = (MediaPackageHarvestJobLink(),)

    def __init__(
        self,
        *,
        harvest_job_id: str,
        v2_endpoint: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: int = 10,
        pushed_poll_interval: int = 60,
        failure_reason_wait: float = 30,
        content_expires_at: str | None = None,
        last_chance_minutes: int = 30,
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
        self.pushed_poll_interval = pushed_poll_interval
        self.failure_reason_wait = failure_reason_wait
        self.content_expires_at = content_expires_at
        self.last_chance_minutes = last_chance_minutes
        # Deferrable, the task starts in the triggerer: nothing runs on a worker before the wait.
        self.start_from_trigger = deferrable
        self.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{HarvestWaitTrigger.__module__}.{HarvestWaitTrigger.__qualname__}",
            # Rendered in the triggerer, with the task's context (XComs included).
            trigger_kwargs={
                **self._wait_trigger_kwargs(
                    harvest_job_id=as_template(harvest_job_id),
                    v2_endpoint=as_template(v2_endpoint),
                    content_expires_at=as_template(content_expires_at),
                ),
                "timeout_seconds": self.timeout,
            },
            next_method="execute_complete",
            timeout=self._task_timeout(self.timeout),
        )

    def _v2(self) -> V2Endpoint | None:
        if not self.v2_endpoint:
            return None
        endpoint = V2Endpoint.from_ref(self.v2_endpoint)
        if endpoint is None:
            raise AirflowFailException(f"v2_endpoint {self.v2_endpoint!r} is not a group/channel/endpoint")
        return endpoint

    def execute(self, context: Any) -> Any:
        endpoint = self._v2()
        if endpoint is None:
            MediaPackageHarvestJobLink.persist(
                context=context,
                operator=self,
                region_name=self.hook.conn_region_name,
                aws_partition=self.hook.conn_partition,
                harvest_job_id=self.harvest_job_id,
            )
        where = f" on {endpoint.ref}" if endpoint is not None else ""
        if not self.deferrable:
            self.log.info("Polling harvest job %s%s every %s s", self.harvest_job_id, where, self.poke_interval)
            super().execute(context)
            return self._description
        self.log.info("Waiting for harvest job %s%s in the triggerer (no worker slot held)", self.harvest_job_id, where)
        self._defer_wait(self.timeout)

    def _wait_trigger_kwargs(self, **values: Any) -> dict[str, Any]:
        """The wait's :class:`HarvestWaitTrigger` arguments; ``values`` are the job's (its id, endpoint,
        expiry), rendered or templates."""
        return {
            **values,
            "last_chance_minutes": self.last_chance_minutes,
            "waiter_delay": self._waiter_delay(),
            "completion_asset": NOTIFICATIONS_ASSET_NAME if self._notification_asset() is not None else None,
            "aws_conn_id": self.aws_conn_id,
            "region_name": self.region_name,
            "verify": self.verify,
            "botocore_config": self.botocore_config,
        }

    def _waiter_delay(self) -> float:
        """Seconds between the wait's polls: with completion events, only the safety net for a lost one."""
        return poll_delay(self.poll_interval, self.pushed_poll_interval, self._notification_asset() is not None)

    def _task_timeout(self, seconds: float) -> timedelta:
        """Later than the trigger's own give-up, so ``execute_complete`` sees the timeout (and cancels a
        v2 job, or alerts at the last-chance moment) before Airflow fails the task."""
        return timedelta(seconds=seconds + 3 * self._waiter_delay())

    def _defer_wait(self, seconds: float, *, last_chance_alerted: bool = False) -> None:
        trigger = HarvestWaitTrigger(
            **self._wait_trigger_kwargs(
                harvest_job_id=self.harvest_job_id,
                v2_endpoint=self.v2_endpoint or "",
                content_expires_at=self.content_expires_at or "",
            ),
            last_chance_alerted=last_chance_alerted,
            timeout_seconds=seconds,
        )
        self.defer(trigger=trigger, method_name="execute_complete", timeout=self._task_timeout(seconds))

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

    def execute_complete(
        self, context: Any, event: Any = None, phase: str = "final", until: str | None = None
    ) -> dict[str, Any]:
        try:
            event = validate_trigger_event(event, self.harvest_job_id)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        # The trigger names the phase; ``phase``/``until`` come from a wait deferred by an earlier release.
        if event.get("phase", phase) == LAST_CHANCE_PHASE and event["status"] == "timeout":
            # Still running at the last-chance moment: say so once, then wait out the rest.
            self._alert_last_chance(context)
            if "remaining_seconds" in event:
                remaining = float(event["remaining_seconds"])
            else:
                remaining = (pendulum.parse(until) - pendulum.now("UTC")).total_seconds() if until else 0.0
            self._defer_wait(max(remaining, 1.0), last_chance_alerted=True)
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
        observe_harvest(job, "v1")
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
        observe_harvest(job, "v2")
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

    def _alert_last_chance(self, context: Any) -> None:
        from live_to_vod.alerts import last_chance
        from live_to_vod.pipeline.alerting import run_link, send_alert

        ti = context["ti"]
        plan = ti.xcom_pull(task_ids="validate", map_indexes=None)
        if isinstance(plan, list) and 0 <= ti.map_index < len(plan):
            event_id, output = plan[ti.map_index]["event_id"], plan[ti.map_index]["output"]
        else:  # a DAG without validate's plan
            event_id, output = ti.run_id, "this output"
        count("last_chance_alerts", api="v2" if self.v2_endpoint else "v1")
        alert = last_chance(
            event_id=event_id,
            expires_at=pendulum.parse(self.content_expires_at).in_timezone("UTC").to_iso8601_string(),
            not_harvested=[f"{output} (harvest job {self.harvest_job_id} still running)"],
            links=[("Run (Airflow)", run_link(ti.dag_id, ti.run_id, ti.task_id, ti.map_index))],
        )
        self.log.warning("%s", alert.text())
        send_alert(alert, context)

    def _notification_asset(self) -> Any:
        """The notification queue's asset among ``inlets``; None when this deployment has no queue."""
        return next((a for a in self.inlets if getattr(a, "name", None) == NOTIFICATIONS_ASSET_NAME), None)

    def _failure_reason(self, context: Any) -> str | None:
        """The reason from the job's FAILED notification, when the notification asset is an inlet."""
        asset = self._notification_asset()
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
