"""The deferrable wait on a MediaConvert job, on the amazon provider's waiter trigger.

botocore ships no MediaConvert waiter; the project's (``waiters/mediaconvert.json``) counts
COMPLETE as success and ERROR and CANCELED as failures. The trigger has no side effects while it
waits. When a person marks the deferred task failed or clears it, Airflow calls
:meth:`MediaConvertJobTrigger.on_kill`, which cancels the job: a transcode nobody wants is billed
by the minute.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.triggers.base import AwsBaseWaiterTrigger
from botocore.exceptions import ClientError

from live_to_vod.aws.hooks.mediaconvert import MediaConvertHook
from live_to_vod.aws.triggers.mediapackage import MediaPackageWaiter
from live_to_vod.completions import job_key

__all__ = ["MediaConvertJobTrigger"]


class MediaConvertJobTrigger(MediaPackageWaiter, AwsBaseWaiterTrigger):
    """Waits for a MediaConvert job to leave ``SUBMITTED`` and ``PROGRESSING``.

    :param job_id: the job's ``Id``.
    :param waiter_delay: seconds between polls of ``GetJob``.
    :param waiter_max_attempts: polls before the trigger gives up with a ``timeout`` event.
    :param aws_conn_id: the Airflow connection for AWS.
    :param region_name: AWS region; the connection's region when not given.
    :param verify: whether to verify SSL certificates (or a CA bundle path); the connection's when not given.
    :param botocore_config: botocore client configuration, as a dict.
    :param completion_asset: the notification asset whose state store holds job completions (the
        job's ``MediaConvert Job State Change`` event wakes the wait at once); None: poll only.
    :param end_task_on_success: on success, end the task in the triggerer with ``GetJob``'s
        response as its return value, instead of resuming it on a worker.
    """

    aws_hook_class = MediaConvertHook
    subject = "MediaConvert job"
    waiter_name = "job_complete"
    describe_method = "get_job"
    status_queries = ["Job.Status", "Job.JobPercentComplete", "Job.ErrorMessage"]

    def __init__(
        self,
        *,
        job_id: str,
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
            job_id,
            "job_id",
            f"MediaConvert job {job_id} did not complete",
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
        return job_key("mediaconvert", self.return_value)

    async def on_kill(self) -> None:
        """The deferred task was marked failed or cleared: cancel the job if it still runs."""
        hook = self.hook()
        async with await hook.get_async_conn() as client:
            try:
                await client.cancel_job(Id=self.return_value)
            except ClientError as exc:
                if exc.response["Error"]["Code"] in ("ConflictException", "NotFoundException", "BadRequestException"):
                    return  # it finished first: nothing to stop
                raise
        self.log.warning("Canceled MediaConvert job %s: its task was stopped", self.return_value)
