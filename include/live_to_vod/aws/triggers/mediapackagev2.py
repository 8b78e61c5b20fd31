"""The deferrable wait on a MediaPackage v2 harvest job, on the amazon provider's waiter trigger.

The project's waiter JSON decides: COMPLETED is success; FAILED and CANCELLED are failures (the
event's message quotes the job's ``ErrorMessage``); a job gone (expired) ends it with an ``error``
event. botocore's own
``HarvestJobFinished`` counts CANCELLED as success and gives up after two minutes: a game needs
neither. The trigger has no side effects while it waits (it may run twice). When a person marks
the deferred task failed or clears it, Airflow calls :meth:`V2HarvestJobTrigger.on_kill`, which
cancels the job: without it the job would run on and write an asset nobody wants. A triggerer
restart or a timeout does not call it (they are not a person's decision).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.triggers.base import AwsBaseWaiterTrigger
from botocore.exceptions import ClientError

from live_to_vod.aws.hooks.mediapackagev2 import MediaPackageV2Hook, V2Endpoint
from live_to_vod.aws.triggers.mediapackage import MediaPackageWaiter
from live_to_vod.completions import job_key

__all__ = ["V2HarvestJobTrigger"]


class V2HarvestJobTrigger(MediaPackageWaiter, AwsBaseWaiterTrigger):
    """Waits for a MediaPackage v2 harvest job to leave ``QUEUED`` and ``IN_PROGRESS``.

    :param channel_group: the job's channel group.
    :param channel: the job's channel.
    :param origin_endpoint: the job's origin endpoint.
    :param harvest_job_name: the job's ``HarvestJobName``.
    :param waiter_delay: seconds between polls of ``GetHarvestJob``.
    :param waiter_max_attempts: polls before the trigger gives up with a ``timeout`` event.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param verify: whether to verify SSL certificates (or a CA bundle path); the connection's when not given.
    :param botocore_config: botocore client configuration, as a dict.
    :param completion_asset: the notification asset whose state store holds job completions (a
        completion wakes the wait at once); None: poll only.
    :param end_task_on_success: on success, end the task in the triggerer with the job's
        description as its return value, instead of resuming it on a worker.
    """

    aws_hook_class = MediaPackageV2Hook
    subject = "harvest job"
    waiter_name = "harvest_job_complete"
    describe_method = "get_harvest_job"
    status_queries = ["Status", "ErrorMessage"]

    def __init__(
        self,
        *,
        channel_group: str,
        channel: str,
        origin_endpoint: str,
        harvest_job_name: str,
        waiter_delay: int = 10,
        waiter_max_attempts: int = 720,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict | None = None,
        completion_asset: str | None = None,
        end_task_on_success: bool = False,
    ) -> None:
        self.endpoint = V2Endpoint(channel_group, channel, origin_endpoint)
        self._wait_for(
            harvest_job_name,
            "harvest_job_name",
            f"harvest job {harvest_job_name} on {self.endpoint.ref} did not complete",
            serialized_fields={
                "channel_group": channel_group,
                "channel": channel,
                "origin_endpoint": origin_endpoint,
                "harvest_job_name": harvest_job_name,
            },
            waiter_args={**self.endpoint.names(), "HarvestJobName": harvest_job_name},
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
        return job_key("mediapackagev2", self.return_value, self.endpoint)

    def task_result(self, response: dict[str, Any]) -> dict[str, Any]:
        from live_to_vod.pipeline.metrics import observe_harvest

        observe_harvest(response, "v2")
        return {"return_value": response}

    async def on_kill(self) -> None:
        """The deferred task was marked failed or cleared: cancel the job if it still runs."""
        hook = self.hook()
        async with await hook.get_async_conn() as client:
            try:
                await client.cancel_harvest_job(**self.endpoint.names(), HarvestJobName=self.return_value)
            except ClientError as exc:
                ineligible = exc.response.get("ValidationExceptionType") == "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION"
                if ineligible or exc.response["Error"]["Code"] == "ResourceNotFoundException":
                    return  # it ended (or expired) first: nothing to stop
                raise
        self.log.warning("Cancelled harvest job %s on %s: its task was stopped", self.return_value, self.endpoint.ref)
