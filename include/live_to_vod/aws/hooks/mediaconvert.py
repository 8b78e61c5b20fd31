"""A thin hook for AWS Elemental MediaConvert: its waiter, and the find-or-create of the one job a
harvested output hands to it.

``ClientRequestToken`` makes ``CreateJob`` idempotent for about a minute only, so it cannot carry
creation across a crash or a retry minutes later. The job's ``UserMetadata`` can: every job the
pipeline makes carries its key (:data:`JOB_KEY`), and :meth:`MediaConvertHook.find_job` looks it
up among the jobs created since the harvest ended (newest first, so the scan stops early).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from live_to_vod.aws.hooks.mediapackage import WaiterStateMixin
from live_to_vod.aws.hooks.user_agent import CallerFromFramesMixin

#: The ``UserMetadata`` key that names the output a job was made for (renaming it strands in-flight runs).
JOB_KEY = "live_to_vod_job"
FINISHED = ("COMPLETE", "ERROR", "CANCELED")
FAILED = ("ERROR", "CANCELED")


class MediaConvertHook(CallerFromFramesMixin, WaiterStateMixin, AwsBaseHook):
    """Interact with AWS Elemental MediaConvert: jobs and job templates.

    A thin wrapper: ``hook.conn`` is the boto3 ``mediaconvert`` client, on the regional endpoint
    (``DescribeEndpoints`` is not needed by current clients). Waiters: ``job_complete``.

    :param aws_conn_id: the Airflow connection for AWS (``aws_default``).
    :param region_name: AWS region; the connection's region when not given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "mediaconvert"
        super().__init__(*args, **kwargs)

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """GetJob's ``Job``; None when there is no such job."""
        response = self._describe("get_job", job_id)
        return None if response is None else response["Job"]

    def find_job(self, key: str, since: datetime) -> dict[str, Any] | None:
        """The newest job whose ``UserMetadata`` carries ``key``, among the jobs created since ``since``."""
        kwargs: dict[str, Any] = {"Order": "DESCENDING", "MaxResults": 20}
        while True:
            page = self.conn.list_jobs(**kwargs)
            for job in page.get("Jobs", []):
                if job["CreatedAt"] < since:
                    return None
                if (job.get("UserMetadata") or {}).get(JOB_KEY) == key:
                    return job
            if not page.get("NextToken"):
                return None
            kwargs["NextToken"] = page["NextToken"]

    def get_or_create_job(
        self,
        key: str,
        *,
        since: datetime,
        role: str,
        settings: dict[str, Any],
        user_metadata: dict[str, str],
        client_request_token: str,
        job_template: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """(the job, created): the job of ``key`` made since ``since`` unless it failed, else a new one."""
        found = self.find_job(key, since)
        if found is not None and found["Status"] not in FAILED:
            return found, False
        kwargs: dict[str, Any] = {
            "Role": role,
            "Settings": settings,
            "UserMetadata": {**user_metadata, JOB_KEY: key},
            "ClientRequestToken": client_request_token,
            "Tags": tags or {},
        }
        if job_template:
            kwargs["JobTemplate"] = job_template
        return self.conn.create_job(**kwargs)["Job"], True

    def cancel_job(self, job_id: str) -> bool:
        """Cancel a job that has not finished; False when it had (or is gone)."""
        try:
            self.conn.cancel_job(Id=job_id)
        except (self.conn.exceptions.ConflictException, self.conn.exceptions.NotFoundException):
            return False
        except self.conn.exceptions.BadRequestException:  # AWS answers a finished job this way too
            return False
        return True

    def job_template_settings(self, name: str) -> dict[str, Any]:
        """The ``Settings`` of the MediaConvert job template ``name``."""
        return self.conn.get_job_template(Name=name)["JobTemplate"]["Settings"]
