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

from typing import Any

from airflow.providers.amazon.aws.exceptions import WaiterMaxAttemptsError, WaiterTerminalFailure
from airflow.providers.amazon.aws.triggers.base import AwsBaseWaiterTrigger
from airflow.triggers.base import TriggerEvent

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook, MediaPackageVodHook

__all__ = [
    "EVENT_STATUSES",
    "HarvestJobTrigger",
    "MediaPackageWaiter",
    "VodAssetPlayableTrigger",
    "harvest_failed_message",
]

#: Every status a trigger's event can carry.
EVENT_STATUSES = frozenset({"success", "failure", "timeout", "error"})
RETURN_KEY = "resource_id"


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
    """What the MediaPackage triggers add to the provider's waiter trigger: one resource id, and events that
    tell a failure (the waiter's failure acceptor) from a timeout and an error."""

    subject: str  # what is waited for, in words: "harvest job", "VOD asset"
    waiter_name: str
    status_queries: list[str]
    return_value: str
    attempts: int
    waiter_delay: float

    def _wait_for(
        self,
        resource_id: str,
        id_field: str,
        failure_message: str,
        *,
        serialized_fields: dict[str, Any] | None = None,
        waiter_args: dict[str, Any] | None = None,
        **common: Any,
    ) -> None:
        AwsBaseWaiterTrigger.__init__(
            self,  # type: ignore[arg-type]
            serialized_fields=serialized_fields or {id_field: resource_id},
            waiter_name=self.waiter_name,
            waiter_args=waiter_args or {"Id": resource_id},
            failure_message=failure_message,
            status_message=f"{self.subject} {resource_id} is",
            status_queries=self.status_queries,
            return_key=RETURN_KEY,
            return_value=resource_id,
            **common,
        )

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
    """

    aws_hook_class = MediaPackageHook
    subject = "harvest job"
    waiter_name = "harvest_job_complete"
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
        )


class VodAssetPlayableTrigger(MediaPackageWaiter, AwsBaseWaiterTrigger):
    """Waits for every egress endpoint of a MediaPackage VOD asset to be ``PLAYABLE``.

    :param asset_id: the asset's ``Id``.
    :param waiter_delay: seconds between polls of ``DescribeAsset``.
    :param waiter_max_attempts: polls before the trigger gives up with a ``timeout`` event.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param verify: whether to verify SSL certificates (or a CA bundle path); the connection's when not given.
    :param botocore_config: botocore client configuration, as a dict.
    """

    aws_hook_class = MediaPackageVodHook
    subject = "VOD asset"
    waiter_name = "asset_playable"
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
        )


def validate_trigger_event(event: Any, resource_id: str) -> dict[str, Any]:
    """The trigger's event, checked: a dict with a known status and a message, for this resource.

    Raises ``ValueError`` (the caller fails the task) for anything else: an event meant for
    another resource, or one no trigger of this module sends.
    """
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise ValueError(f"unexpected trigger event for {resource_id}: {event!r}")
    if event.get(RETURN_KEY) != resource_id:
        raise ValueError(f"trigger event for {event.get(RETURN_KEY)!r}, expected {resource_id!r}")
    if event["status"] != "success" and not isinstance(event.get("message"), str):
        raise ValueError(f"trigger event for {resource_id} without a message: {event!r}")
    return event
