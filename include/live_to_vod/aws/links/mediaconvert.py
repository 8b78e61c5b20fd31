"""The MediaConvert job in the AWS console, on the task that made it."""

from __future__ import annotations

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink


class MediaConvertJobLink(BaseAwsLink):
    """The job's page in the MediaConvert console."""

    name = "MediaConvert job (console)"
    key = "mediaconvert_job"
    format_str = BASE_AWS_CONSOLE_LINK + "/mediaconvert/home?region={region_name}#/jobs/summary/{job_id}"
