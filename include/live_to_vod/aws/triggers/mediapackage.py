"""Deferrable waits on MediaPackage, on the amazon provider's waiter trigger: a harvest job to
finish, a VOD asset to become playable.

Each trigger runs the project's waiter JSON (``aws/waiters/``) on the provider's async client
(aiobotocore), with the connection, region, ``verify`` and ``botocore_config`` of the task that
deferred. It has no side effects, so running twice (as the triggerer may) is safe. Its event
carries ``status``: ``success``, ``failure`` (the waiter's failure acceptor matched),
``timeout`` (attempts used up) or ``error`` (an AWS error that is not throttling), a plain-words
``message`` and the resource id under ``resource_id``; ``execute_complete`` validates it
(:func:`validate_trigger_event`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.amazon.aws.exceptions import WaiterMaxAttemptsError, WaiterTerminalFailure
from airflow.providers.amazon.aws.triggers.base import AwsBaseWaiterTrigger
from airflow.providers.amazon.aws.utils.waiter_with_logging import async_wait
from airflow.triggers.base import TaskSuccessEvent, TriggerEvent

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, MediaPackageVodHook
from live_to_vod.aws.triggers.notifications import CompletionIndex
from live_to_vod.completions import job_key

__all__ = [
    "EVENT_STATUSES",
    "HarvestJobTrigger",
    "MediaPackageWaiter",
    "VodAssetPlayableTrigger",
    "harvest_failed_message",
    "playable_asset_result",
    "poll_delay",
]

#: Every status a trigger's event can carry.
EVENT_STATUSES = frozenset({"success", "failure", "timeout", "error"})
RETURN_KEY = "resource_id"
#: After a completion event AWS does not confirm at once: this many more checks, this far apart.
CONFIRM_CHECKS, CONFIRM_SECONDS = 3, 2.0
#: The payload of ``TaskSuccessEvent`` (a task ended in the triggerer), as a resuming runner passes it.
TASK_ENDED = "success"


def harvest_failed_message(job_id: str, reason: str | None = None) -> str:
    """What ops read when a harvest job FAILED (the deferred wait and the poking sensor alike).

    MediaPackage's API has no failure reason; ``reason`` comes from the job's notification.
    """
    if reason:
        return f"harvest job {job_id} FAILED: {reason}"
    return (
        f"harvest job {job_id} FAILED. MediaPackage reports the reason only in its "
        "'MediaPackage HarvestJob Notification' EventBridge event"
    )


class MediaPackageWaiter:
    """What the project's triggers add to the provider's waiter trigger: one resource id; events that
    tell a failure (the waiter's failure acceptor) from a timeout and an error; completion pushed by
    the job's EventBridge event; and, on success, ending the task in the triggerer.

    The wait checks AWS at once, then again every ``waiter_delay`` seconds, or as soon as the job's
    completion shows in the notification asset's index (``completion_asset``, see
    :mod:`live_to_vod.completions`); with the index, ``waiter_delay`` is only the safety net for a
    lost event. It gives up ``waiter_delay * (waiter_max_attempts - 1)`` seconds after it started.
    With ``end_task_on_success`` a success ends the task here (``TaskSuccessEvent`` carrying the
    XComs :meth:`task_result` makes), so it does not resume on a worker; anything else resumes it.
    """

    subject: str  # what is waited for, in words: "harvest job", "VOD asset"
    waiter_name: str
    #: The client method that describes the resource (its response is the success's XCom).
    describe_method: str
    status_queries: list[str]
    return_value: str
    attempts: int
    waiter_delay: float
    completion_asset: str | None
    end_task_on_success: bool
    #: Whether an EventBridge event announces the resource's completion (so ``completion_asset`` applies).
    completion_events: bool = True

    def _wait_for(
        self,
        resource_id: str,
        id_field: str,
        failure_message: str,
        *,
        serialized_fields: dict[str, Any] | None = None,
        waiter_args: dict[str, Any] | None = None,
        completion_asset: str | None = None,
        end_task_on_success: bool = False,
        **common: Any,
    ) -> None:
        self.completion_asset = completion_asset
        self.end_task_on_success = end_task_on_success
        AwsBaseWaiterTrigger.__init__(
            self,  # type: ignore[arg-type]
            serialized_fields={
                **(serialized_fields or {id_field: resource_id}),
                **({"completion_asset": completion_asset} if self.completion_events else {}),
                "end_task_on_success": end_task_on_success,
            },
            waiter_name=self.waiter_name,
            waiter_args=waiter_args or {"Id": resource_id},
            failure_message=failure_message,
            status_message=f"{self.subject} {resource_id} is",
            status_queries=self.status_queries,
            return_key=RETURN_KEY,
            return_value=resource_id,
            **common,
        )

    @property
    def completion_key(self) -> str | None:
        """The job's key in the completion index; None when no event announces this resource."""
        return None

    def task_result(self, response: dict[str, Any]) -> dict[str, Any]:
        """The XComs of a task that ends here: its return value, as ``execute_complete`` returns it."""
        return {"return_value": response}

    def task_links(self, response: dict[str, Any], region_name: str, partition: str) -> dict[str, str]:
        """The extra links of a task that ends here, as XComs (``{link.xcom_key: url}``): a task's
        links are written when it finishes on a worker, which this one does not."""
        return {}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self.hook()  # type: ignore[attr-defined]
        started = time.monotonic()
        give_up_at = started + self.waiter_delay * max(self.attempts - 1, 0)
        event_seen = 0.0  # the newest completion event already acted on
        confirm = 0  # quick re-checks left after an event AWS did not confirm yet (its API may lag)
        async with await hook.get_async_conn() as client:
            waiter = hook.get_waiter(
                self.waiter_name,
                deferrable=True,
                client=client,
                config_overrides=self.waiter_config_overrides,  # type: ignore[attr-defined]
            )
            while True:
                try:  # one check: the waiter's acceptors judge the response
                    await async_wait(
                        waiter,
                        self.waiter_delay,
                        1,
                        self.waiter_args,  # type: ignore[attr-defined]
                        self.failure_message,  # type: ignore[attr-defined]
                        self.status_message,  # type: ignore[attr-defined]
                        self.status_queries,
                    )
                except WaiterMaxAttemptsError:
                    pass  # still running
                except Exception as error:  # the waiter's failure, an AWS error that is not throttling
                    yield self._event_from_exception(error)
                    return
                else:
                    yield await self._success(client)
                    return
                remaining = give_up_at - time.monotonic()
                if remaining <= 0:
                    yield self._event_from_exception(WaiterMaxAttemptsError("max attempts reached"))
                    return
                if confirm:
                    confirm -= 1
                    await asyncio.sleep(min(CONFIRM_SECONDS, remaining))
                    continue
                seen = await self._until_next_check(min(self.waiter_delay, remaining), event_seen)
                if seen != event_seen:
                    event_seen, confirm = seen, CONFIRM_CHECKS

    async def _until_next_check(self, seconds: float, event_seen: float) -> float:
        key = self.completion_key
        if not self.completion_asset or key is None:
            await asyncio.sleep(seconds)
            return event_seen
        completion = await CompletionIndex.of(self.completion_asset).wait(key, seconds, after=event_seen)
        if completion is None:
            return event_seen
        status, at = completion
        self.log.info("%s %s: completion event (%s) received; asking AWS", self.subject, self.return_value, status)  # type: ignore[attr-defined]
        return at

    async def _success(self, client: Any) -> TriggerEvent:
        if not self.end_task_on_success:
            return TriggerEvent({"status": "success", RETURN_KEY: self.return_value})
        response = await getattr(client, self.describe_method)(**self.waiter_args)  # type: ignore[attr-defined]
        response.pop("ResponseMetadata", None)
        # XComs travel as JSON: AWS's datetimes as ISO 8601 strings.
        response = json.loads(json.dumps(response, default=lambda value: value.isoformat()))
        self.log.info("%s %s finished: the task ends here, without a worker", self.subject, self.return_value)  # type: ignore[attr-defined]
        links = self.task_links(response, client.meta.region_name, client.meta.partition)
        return TaskSuccessEvent(xcoms={**self.task_result(response), **links})

    def _event_from_exception(self, error: Exception) -> TriggerEvent:
        message = str(error)
        if isinstance(error, WaiterTerminalFailure):
            status = "failure"
        elif isinstance(error, WaiterMaxAttemptsError):
            status = "timeout"
            message = (
                f"{self.subject} {self.return_value} did not finish within {self.attempts} polls "
                f"{self.waiter_delay} s apart"
            )
        else:
            status = "error"
            message = f"{self.return_value}: {message}"
        return TriggerEvent({"status": status, "message": message, RETURN_KEY: self.return_value})


class HarvestJobTrigger(MediaPackageWaiter, AwsBaseWaiterTrigger):
    """Waits for a MediaPackage harvest job to leave ``IN_PROGRESS``.

    :param harvest_job_id: the harvest job's ``Id``.
    :param waiter_delay: seconds between polls of ``DescribeHarvestJob``.
    :param waiter_max_attempts: polls before the trigger gives up with a ``timeout`` event.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param verify: whether to verify SSL certificates (or a CA bundle path); the connection's when not given.
    :param botocore_config: botocore client configuration, as a dict.
    :param completion_asset: the notification asset whose state store holds job completions (a
        completion wakes the wait at once); None: poll only.
    :param end_task_on_success: on success, end the task in the triggerer with the resource's
        description as its return value, instead of resuming it on a worker.
    """

    aws_hook_class = MediaPackageHook
    subject = "harvest job"
    waiter_name = "harvest_job_complete"
    describe_method = "describe_harvest_job"
    status_queries = ["Status"]

    def __init__(
        self,
        *,
        harvest_job_id: str,
        waiter_delay: int = 10,
        waiter_max_attempts: int = 720,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict | None = None,
        completion_asset: str | None = None,
        end_task_on_success: bool = False,
    ) -> None:
        self._wait_for(
            harvest_job_id,
            "harvest_job_id",
            harvest_failed_message(harvest_job_id),
            waiter_delay=waiter_delay,
            waiter_max_attempts=waiter_max_attempts,
            aws_conn_id=aws_conn_id,
            region_name=region_name,
            verify=verify,
            botocore_config=botocore_config,
            completion_asset=completion_asset,
            end_task_on_success=end_task_on_success,
        )

    @property
    def completion_key(self) -> str | None:
        return job_key("mediapackage", self.return_value)

    def task_result(self, response: dict[str, Any]) -> dict[str, Any]:
        from live_to_vod.pipeline.metrics import observe_harvest

        observe_harvest(response, "v1")
        return {"return_value": response}

    def task_links(self, response: dict[str, Any], region_name: str, partition: str) -> dict[str, str]:
        from airflow.providers.amazon.aws.links.base_aws import BaseAwsLink

        from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink

        link = MediaPackageHarvestJobLink()
        url = link.format_link(
            region_name=region_name, aws_domain=BaseAwsLink.get_aws_domain(partition), harvest_job_id=response["Id"]
        )
        return {link.xcom_key: url}


class VodAssetPlayableTrigger(MediaPackageWaiter, AwsBaseWaiterTrigger):
    """Waits for every egress endpoint of a MediaPackage VOD asset to be ``PLAYABLE``.

    MediaPackage VOD sends no event when an asset becomes playable, so this wait only polls.

    :param asset_id: the asset's ``Id``.
    :param waiter_delay: seconds between polls of ``DescribeAsset``.
    :param waiter_max_attempts: polls before the trigger gives up with a ``timeout`` event.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param verify: whether to verify SSL certificates (or a CA bundle path); the connection's when not given.
    :param botocore_config: botocore client configuration, as a dict.
    :param end_task_on_success: on success, end the task in the triggerer with the resource's
        description as its return value, instead of resuming it on a worker.
    """

    aws_hook_class = MediaPackageVodHook
    subject = "VOD asset"
    waiter_name = "asset_playable"
    describe_method = "describe_asset"
    completion_events = False
    status_queries = ["EgressEndpoints[].[PackagingConfigurationId, Status]"]

    def __init__(
        self,
        *,
        asset_id: str,
        waiter_delay: int = 5,
        waiter_max_attempts: int = 720,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict | None = None,
        end_task_on_success: bool = False,
    ) -> None:
        self._wait_for(
            asset_id,
            "asset_id",
            f"VOD asset {asset_id} FAILED on a packaging configuration",
            waiter_delay=waiter_delay,
            waiter_max_attempts=waiter_max_attempts,
            aws_conn_id=aws_conn_id,
            region_name=region_name,
            verify=verify,
            botocore_config=botocore_config,
            end_task_on_success=end_task_on_success,
        )

    def task_result(self, response: dict[str, Any]) -> dict[str, Any]:
        from live_to_vod.aws.links.mediapackage import VodPlaybackLink

        result = playable_asset_result(response)
        xcoms: dict[str, Any] = {"return_value": result}
        if result["playback_urls"]:
            xcoms[VodPlaybackLink.key] = result["playback_urls"][0]
        return xcoms

    def task_links(self, response: dict[str, Any], region_name: str, partition: str) -> dict[str, str]:
        from live_to_vod.aws.links.mediapackage import VodPlaybackLink

        urls = playable_asset_result(response)["playback_urls"]
        return {VodPlaybackLink().xcom_key: urls[0]} if urls else {}


def poll_delay(poll_interval: float, pushed_poll_interval: float, pushed: bool) -> float:
    """Seconds between a wait's polls: with completion events (``pushed``) the poll is only the safety
    net for a lost event, so the longer of the two."""
    return max(poll_interval, pushed_poll_interval) if pushed else poll_interval


def playable_asset_result(asset: dict[str, Any]) -> dict[str, Any]:
    """What the VOD hand-off returns for a playable asset (DescribeAsset's response)."""
    endpoints = [{k: e.get(k) for k in ("PackagingConfigurationId", "Status", "Url")} for e in asset["EgressEndpoints"]]
    urls = [e["Url"] for e in endpoints if e.get("Url")]
    return {"asset_id": asset["Id"], "egress_endpoints": endpoints, "playback_urls": urls}


def validate_trigger_event(event: Any, resource_id: str) -> dict[str, Any]:
    """The trigger's event, checked: a dict with a known status and a message, for this resource.

    Raises ``ValueError`` (the caller fails the task) for anything else: an event meant for
    another resource, or one no trigger of this module sends.

    A trigger that ends its task (``end_task_on_success``) yields ``TaskSuccessEvent``, whose
    payload is the bare string ``"success"``. The triggerer never resumes the task with it, but a
    runner without end-in-triggerer support (``dag.test()``) does: read it as this resource's success.
    """
    if event == TASK_ENDED:
        return {"status": "success", RETURN_KEY: resource_id}
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise ValueError(f"unexpected trigger event for {resource_id}: {event!r}")
    if event.get(RETURN_KEY) != resource_id:
        raise ValueError(f"trigger event for {event.get(RETURN_KEY)!r}, expected {resource_id!r}")
    if event["status"] != "success" and not isinstance(event.get("message"), str):
        raise ValueError(f"trigger event for {resource_id} without a message: {event!r}")
    return event
