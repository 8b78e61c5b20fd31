"""Extra links on the harvest tasks: console pages and the VOD playback URL.

Links are computed on the worker (``persist``) and stored as XCom; the UI shows them without a plugin.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink
from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom


class MediaPackageHarvestJobLink(BaseAwsLink):
    """The harvest job in the MediaPackage console."""

    name = "Harvest job (MediaPackage console)"
    key = "mediapackage_harvest_job"
    format_str = BASE_AWS_CONSOLE_LINK + "/mediapackage/home?region={region_name}#/harvest_jobs/{harvest_job_id}"


class S3AssetLink(BaseAwsLink):
    """The harvested asset's prefix in the S3 console."""

    name = "Asset (S3 console)"
    key = "s3_harvested_asset"
    format_str = BASE_AWS_CONSOLE_LINK + "/s3/buckets/{bucket}?region={region_name}&prefix={prefix}&showversions=false"


class VodPlaybackLink(BaseOperatorLink):
    """The first HLS playback URL of the MediaPackage VOD asset."""

    name = "VOD playback URL"
    key: ClassVar[str] = "vod_playback_url"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        value = XCom.get_value(key=self.key, ti_key=ti_key)
        return value if isinstance(value, str) else ""
