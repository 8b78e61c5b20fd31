"""Deferrable waits on MediaPackage: a harvest job to finish, a VOD asset to become playable.

Each trigger polls one Describe call in a worker thread (``asyncio.to_thread`` around the
hook's boto3 client: the provider's aiobotocore extra would pin boto3 back a minor version),
judges the response with the project's waiter JSON, and backs off from ``poll_interval`` to
``max_poll_interval``. It has no side effects, so running twice (as the triggerer may) is safe.
Every event carries ``status`` (``success``, ``failure``, ``timeout`` or ``error``) and a
plain-words ``message``; ``execute_complete`` validates it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent
from botocore.exceptions import BotoCoreError, ClientError

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, MediaPackageVodHook

# Client errors worth another poll: the next Describe may well succeed.
TRANSIENT_ERRORS = {
    "TooManyRequestsException",
    "ThrottlingException",
    "InternalServerErrorException",
    "ServiceUnavailableException",
    "RequestTimeout",
}


def harvest_failed_message(job_id: str, reason: str | None = None) -> str:
    """What ops read when a harvest job FAILED (the trigger's event and the poking sensor alike).

    MediaPackage's API has no failure reason; ``reason`` comes from the job's notification.
    """
    if reason:
        return f"harvest job {job_id} FAILED: {reason}"
    return (
        f"harvest job {job_id} FAILED. MediaPackage reports the reason only in its "
        "'MediaPackage HarvestJob Notification' EventBridge event"
    )


class _DescribePollingTrigger(BaseTrigger):
    """Polls a Describe call until the waiter says success or failure, or the deadline passes."""

    hook_class: type[MediaPackageHook] | type[MediaPackageVodHook]
    waiter_name: str
    subject: str  # "harvest job", "VOD asset": for messages

    def __init__(
        self,
        *,
        resource_id: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        deadline: float | None = None,
    ):
        super().__init__()
        self.resource_id = resource_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.deadline = deadline  # epoch seconds; None waits until the task's own timeout

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "resource_id": self.resource_id,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "poll_interval": self.poll_interval,
                "max_poll_interval": self.max_poll_interval,
                "deadline": self.deadline,
            },
        )

    def describe(self, hook: Any) -> dict[str, Any]:
        raise NotImplementedError

    def describe_for_event(self, response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self.hook_class(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        interval = self.poll_interval
        polls = 0
        while True:
            polls += 1
            try:
                response = await asyncio.to_thread(self.describe, hook)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in TRANSIENT_ERRORS:
                    yield TriggerEvent(
                        self._event("error", f"could not describe {self.subject} {self.resource_id}: {code}: {exc}")
                    )
                    return
                self.log.warning("%s %s: transient %s, polling again", self.subject, self.resource_id, code)
                response = None
            except BotoCoreError as exc:  # connection trouble: botocore already retried
                self.log.warning("%s %s: %s, polling again", self.subject, self.resource_id, exc)
                response = None
            if response is not None:
                state = hook.waiter_state(self.waiter_name, response)
                detail = self.describe_for_event(response)
                if state == "success":
                    yield TriggerEvent(self._event("success", self.success_message(detail), detail))
                    return
                if state == "failure":
                    yield TriggerEvent(self._event("failure", self.failure_message(detail), detail))
                    return
                self.log.info("%s", self.progress_message(detail, polls))
            delay = interval
            if self.deadline is not None:
                remaining = self.deadline - time.time()
                if remaining <= 0:
                    message = (
                        f"{self.subject} {self.resource_id} did not finish before the deadline (polled {polls} times)"
                    )
                    yield TriggerEvent(self._event("timeout", message))
                    return
                delay = min(interval, remaining)  # one last poll at the deadline
            await asyncio.sleep(delay)
            interval = min(interval * 1.5, self.max_poll_interval)

    def _event(self, status: str, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"status": status, "resource_id": self.resource_id, "message": message, "detail": detail or {}}

    def success_message(self, detail: dict[str, Any]) -> str:
        raise NotImplementedError

    def failure_message(self, detail: dict[str, Any]) -> str:
        raise NotImplementedError

    def progress_message(self, detail: dict[str, Any], polls: int) -> str:
        raise NotImplementedError


class HarvestJobTrigger(_DescribePollingTrigger):
    """Waits for a MediaPackage harvest job to leave ``IN_PROGRESS``.

    :param resource_id: the harvest job's ``Id``.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param poll_interval: seconds before the second poll; grows 1.5x per poll.
    :param max_poll_interval: ceiling for the poll interval, seconds.
    :param deadline: epoch seconds after which the trigger gives up with a ``timeout`` event.
    """

    hook_class = MediaPackageHook
    waiter_name = "harvest_job_complete"
    subject = "harvest job"

    def describe(self, hook: Any) -> dict[str, Any]:
        return hook.conn.describe_harvest_job(Id=self.resource_id)

    def success_message(self, detail: dict[str, Any]) -> str:
        return f"harvest job {self.resource_id} SUCCEEDED: {detail['StartTime']} to {detail['EndTime']} is in S3"

    def failure_message(self, detail: dict[str, Any]) -> str:
        return harvest_failed_message(self.resource_id)

    def progress_message(self, detail: dict[str, Any], polls: int) -> str:
        return f"harvest job {self.resource_id} is {detail.get('Status')} (check {polls})"


class VodAssetPlayableTrigger(_DescribePollingTrigger):
    """Waits for every egress endpoint of a MediaPackage VOD asset to be ``PLAYABLE``.

    :param resource_id: the asset's ``Id``.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param poll_interval: seconds before the second poll; grows 1.5x per poll.
    :param max_poll_interval: ceiling for the poll interval, seconds.
    :param deadline: epoch seconds after which the trigger gives up with a ``timeout`` event.
    """

    hook_class = MediaPackageVodHook
    waiter_name = "asset_playable"
    subject = "VOD asset"

    def describe(self, hook: Any) -> dict[str, Any]:
        return hook.conn.describe_asset(Id=self.resource_id)

    def success_message(self, detail: dict[str, Any]) -> str:
        return f"VOD asset {self.resource_id} is PLAYABLE on {len(detail.get('EgressEndpoints', []))} endpoint(s)"

    def failure_message(self, detail: dict[str, Any]) -> str:
        failed = [
            e.get("PackagingConfigurationId") for e in detail.get("EgressEndpoints", []) if e.get("Status") == "FAILED"
        ]
        return f"VOD asset {self.resource_id} FAILED on packaging configuration(s) {', '.join(map(str, failed))}"

    def progress_message(self, detail: dict[str, Any], polls: int) -> str:
        statuses = ", ".join(
            f"{e.get('PackagingConfigurationId')}={e.get('Status')}" for e in detail.get("EgressEndpoints", [])
        )
        return f"VOD asset {self.resource_id}: {statuses} (check {polls})"
