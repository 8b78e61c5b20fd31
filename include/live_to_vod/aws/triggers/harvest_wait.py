"""The harvest wait of ``HarvestJobSensor``, v1 or v2, with its last-chance moment: one trigger the
task can start in (``start_from_trigger``) as well as defer to.

Started in the triggerer, the task never runs on a worker before its wait: Airflow renders the
trigger's templated fields there (``harvest_job_id``, ``v2_endpoint``, ``content_expires_at``: the
create task's XComs) and runs it. A success ends the task here too, so a harvest that succeeds
costs no worker execution at all. A failure, a timeout or the last-chance moment resumes the task
on a worker (``execute_complete``), which reports, alerts or gives up.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Any

import pendulum
from airflow.triggers.base import BaseTrigger, TriggerEvent

from live_to_vod.aws.triggers.mediapackage import RETURN_KEY, HarvestJobTrigger
from live_to_vod.aws.triggers.mediapackagev2 import V2HarvestJobTrigger
from live_to_vod.game_day import last_chance_at
from live_to_vod.harvest_request import V2Endpoint

__all__ = ["LAST_CHANCE_PHASE", "HarvestWaitTrigger", "wait_attempts"]

#: The ``phase`` of the event that ends the wait at the last-chance moment (the job still runs).
LAST_CHANCE_PHASE = "until_last_chance"


def wait_attempts(seconds: float, delay: float) -> int:
    """Polls ``delay`` apart that reach ``seconds`` (a wait that ends early would alert early)."""
    return max(1, math.ceil(seconds / max(delay, 1))) + 1


class HarvestWaitTrigger(BaseTrigger):
    """Wait for a harvest job (v1 ``Id``, or v2 ``HarvestJobName`` on ``v2_endpoint``) to end.

    Runs :class:`HarvestJobTrigger` or :class:`V2HarvestJobTrigger` (completion events wake it; polls
    are the safety net) for up to ``timeout_seconds``. With ``content_expires_at``, and unless
    ``last_chance_alerted``, it stops first at the last-chance moment (``last_chance_minutes`` before
    the content leaves the startover window) with a ``timeout`` event whose ``phase`` is
    :data:`LAST_CHANCE_PHASE` and whose ``remaining_seconds`` is what is left of the wait; a wait
    that starts past that moment checks the job once and stops at once if it still runs. Its
    events are those of the job trigger (``success`` ends the task here).

    :param harvest_job_id: the v1 job's ``Id`` or the v2 job's ``HarvestJobName`` (templated).
    :param v2_endpoint: ``group/channel/endpoint`` of a v2 job; empty for v1 (templated).
    :param content_expires_at: ISO 8601 moment the content leaves the startover window; empty: no
        last-chance moment (templated).
    :param last_chance_minutes: how long before ``content_expires_at`` the last-chance moment is.
    :param last_chance_alerted: the alert was sent: wait to the end.
    :param timeout_seconds: how long to wait, from the start of the wait.
    :param waiter_delay: seconds between polls of the job.
    :param completion_asset: the notification asset whose state store holds job completions; None: poll only.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param verify: whether to verify SSL certificates (or a CA bundle path); the connection's when not given.
    :param botocore_config: botocore client configuration, as a dict.
    """

    def __init__(
        self,
        *,
        harvest_job_id: str,
        v2_endpoint: str | None = None,
        content_expires_at: str | None = None,
        last_chance_minutes: int = 30,
        last_chance_alerted: bool = False,
        timeout_seconds: float,
        waiter_delay: float = 10,
        completion_asset: str | None = None,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict | None = None,
    ) -> None:
        super().__init__()
        self.harvest_job_id = harvest_job_id
        self.v2_endpoint = v2_endpoint
        self.content_expires_at = content_expires_at
        self.last_chance_minutes = last_chance_minutes
        self.last_chance_alerted = last_chance_alerted
        self.timeout_seconds = timeout_seconds
        self.waiter_delay = waiter_delay
        self.completion_asset = completion_asset
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.botocore_config = botocore_config

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "harvest_job_id": self.harvest_job_id,
                "v2_endpoint": self.v2_endpoint,
                "content_expires_at": self.content_expires_at,
                "last_chance_minutes": self.last_chance_minutes,
                "last_chance_alerted": self.last_chance_alerted,
                "timeout_seconds": self.timeout_seconds,
                "waiter_delay": self.waiter_delay,
                "completion_asset": self.completion_asset,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "verify": self.verify,
                "botocore_config": self.botocore_config,
            },
        )

    def job_trigger(self, seconds: float) -> HarvestJobTrigger | V2HarvestJobTrigger:
        """The job's own trigger, giving up after ``seconds``."""
        common: dict[str, Any] = {
            "waiter_delay": self.waiter_delay,
            "waiter_max_attempts": wait_attempts(seconds, self.waiter_delay) if seconds > 0 else 1,
            "aws_conn_id": self.aws_conn_id,
            "region_name": self.region_name,
            "verify": self.verify,
            "botocore_config": self.botocore_config,
            "completion_asset": self.completion_asset,
            "end_task_on_success": True,
        }
        if not self.v2_endpoint:
            return HarvestJobTrigger(harvest_job_id=self.harvest_job_id, **common)
        endpoint = V2Endpoint.from_ref(self.v2_endpoint)
        if endpoint is None:
            raise ValueError(f"v2_endpoint {self.v2_endpoint!r} is not a group/channel/endpoint")
        return V2HarvestJobTrigger(
            channel_group=endpoint.channel_group,
            channel=endpoint.channel,
            origin_endpoint=endpoint.origin_endpoint,
            harvest_job_name=self.harvest_job_id,
            **common,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        if not self.harvest_job_id:  # a template that rendered empty: create pushed no job
            yield TriggerEvent(
                {"status": "error", "message": "no harvest job id to wait for", RETURN_KEY: self.harvest_job_id}
            )
            return
        where = f" on {self.v2_endpoint}" if self.v2_endpoint else ""
        self.log.info(
            "Waiting for harvest job %s%s in the triggerer (no worker slot held), up to %.0f s",
            self.harvest_job_id, where, float(self.timeout_seconds),
        )  # fmt: skip
        started = time.monotonic()
        now = pendulum.now("UTC")
        alert_at = (
            None if self.last_chance_alerted else last_chance_at(self.content_expires_at, self.last_chance_minutes)
        )
        phase, seconds = "final", float(self.timeout_seconds)
        if alert_at is not None and (alert_at - now).total_seconds() < seconds:
            # Until the last-chance moment; one check at once if it has passed.
            phase, seconds = LAST_CHANCE_PHASE, max((alert_at - now).total_seconds(), 0.0)
        async for event in self.job_trigger(seconds).run():
            payload = event.payload
            if phase == LAST_CHANCE_PHASE and isinstance(payload, dict) and payload.get("status") == "timeout":
                remaining = max(float(self.timeout_seconds) - (time.monotonic() - started), 1.0)
                yield TriggerEvent({**payload, "phase": phase, "remaining_seconds": remaining})
            else:
                yield event
            return

    async def on_kill(self) -> None:
        """The task was marked failed or cleared while waiting: a v2 job still running is cancelled."""
        if self.v2_endpoint and self.harvest_job_id:
            await self.job_trigger(0).on_kill()
