"""Thin hooks for MediaPackage v1 and MediaPackage VOD, with the project's custom waiters and the
find-or-create of the resources one harvest makes (the provider's Glue hook and its
``get_or_create_glue_job`` are the model)."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from botocore.waiter import WaiterModel

from live_to_vod.aws.hooks.user_agent import CallerFromFramesMixin
from live_to_vod.harvest_jobs import IN_PROGRESS, TERMINAL_SUCCESS, matches_request, normalize_status
from live_to_vod.harvest_request import HarvestRequest
from live_to_vod.naming import harvest_job_id

WAITERS = Path(__file__).resolve().parents[1] / "waiters"
#: A harvest job id is held 90 days after its job FAILED, so each new attempt takes ``-rN``; past this many, give up.
MAX_HARVEST_ATTEMPTS = 20


class ResourceConflict(Exception):
    """An id the pipeline derives is taken by a resource it did not ask for; nothing was created."""


class WaiterStateMixin:
    """Evaluates one Describe response against a waiter's acceptors.

    The waiter JSON is the single definition of "done", "failed" and "keep waiting": the sync
    waiter, the reschedule-mode sensor and the async trigger all judge responses by it.
    """

    client_type: str

    @cached_property
    def waiter_path(self) -> Path:  # the provider looks next to its own hooks; ours live here
        return WAITERS / f"{self.client_type}.json"

    @cached_property
    def _waiter_model(self) -> WaiterModel:
        return WaiterModel(json.loads(self.waiter_path.read_text()))

    def _describe(self, operation: str, resource_id: str) -> dict[str, Any] | None:
        """The Describe response without ``ResponseMetadata``; None when the resource does not exist."""
        conn = self.conn  # type: ignore[attr-defined]
        try:
            response = getattr(conn, operation)(Id=resource_id)
        except conn.exceptions.NotFoundException:
            return None
        response.pop("ResponseMetadata", None)
        return response

    def waiter_state(self, waiter_name: str, response: dict[str, Any]) -> str:
        """``success``, ``failure`` or ``retry`` for ``response``, by the waiter's acceptors."""
        for acceptor in self._waiter_model.get_waiter(waiter_name).acceptors:
            if acceptor.matcher_func(response):
                return acceptor.state
        return "retry"


class MediaPackageHook(CallerFromFramesMixin, WaiterStateMixin, AwsBaseHook):
    """Interact with AWS Elemental MediaPackage (v1): origin endpoints and harvest jobs.

    A thin wrapper: ``hook.conn`` is the boto3 ``mediapackage`` client. Waiters:
    ``harvest_job_complete``.

    :param aws_conn_id: the Airflow connection for AWS (``aws_default``).
    :param region_name: AWS region; the connection's region when not given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "mediapackage"
        super().__init__(*args, **kwargs)

    def describe_harvest_job(self, job_id: str) -> dict[str, Any] | None:
        """DescribeHarvestJob's response, without ``ResponseMetadata``; None when there is no such job."""
        return self._describe("describe_harvest_job", job_id)

    def get_or_create_harvest_job(self, request: HarvestRequest) -> tuple[dict[str, Any], bool]:
        """The request's harvest job, created only when it does not exist: ``(job, created)``.

        The job ``Id`` is derived from the event, the endpoint and the window, so a retry or a
        re-triggered run finds its own job. When the job of that ``Id`` FAILED, the next attempt
        takes ``-r2``, ``-r3``... (a failed job's id stays taken for 90 days). Raises
        :class:`ResourceConflict` when the id is taken by a job with other parameters, or after
        :data:`MAX_HARVEST_ATTEMPTS` failed attempts.
        """
        conn = self.conn
        start_time, end_time = request.window.harvest_times()
        for attempt in range(1, MAX_HARVEST_ATTEMPTS + 1):
            job_id = harvest_job_id(request.event_id, request.origin_endpoint_id, request.window, attempt)
            job = self.describe_harvest_job(job_id)
            if job is None:
                try:
                    job = conn.create_harvest_job(
                        Id=job_id,
                        OriginEndpointId=request.origin_endpoint_id,
                        StartTime=start_time,
                        EndTime=end_time,
                        S3Destination={
                            "BucketName": request.s3_bucket,
                            "ManifestKey": request.manifest_key,
                            "RoleArn": request.role_arn,
                        },
                    )
                except conn.exceptions.UnprocessableEntityException as exc:
                    job = self.describe_harvest_job(job_id)  # a concurrent try may have created it a moment ago
                    if job is None:
                        raise ResourceConflict(
                            f"MediaPackage refused harvest job {job_id}: {exc.response['Error'].get('Message', exc)}"
                        ) from None
                else:
                    job.pop("ResponseMetadata", None)
                    self.log.info(
                        "Created harvest job %s: endpoint %s, %s to %s, into s3://%s/%s",
                        job_id, request.origin_endpoint_id, start_time, end_time,
                        request.s3_bucket, request.manifest_key,
                    )  # fmt: skip
                    return job, True
            status = normalize_status(job["Status"])
            if status not in (IN_PROGRESS, TERMINAL_SUCCESS):
                # A failed attempt holds its id: the next attempt (maybe with a fixed role or bucket) takes the next.
                self.log.warning("This event's harvest job %s FAILED earlier; creating the next attempt", job_id)
                continue
            differences = matches_request(job, request)
            if differences:
                raise ResourceConflict(
                    f"Harvest job id {job_id} is already used by a job with different parameters "
                    f"(created {job.get('CreatedAt')}): "
                    + "; ".join(differences)
                    + ". Nothing was created; check the event id and window."
                )
            self.log.info("Found this event's harvest job %s (%s); not creating another", job_id, status)
            return job, False
        raise ResourceConflict(f"{MAX_HARVEST_ATTEMPTS} harvest jobs for this event failed; giving up")


class MediaPackageVodHook(CallerFromFramesMixin, WaiterStateMixin, AwsBaseHook):
    """Interact with AWS Elemental MediaPackage VOD: packaging groups and assets.

    ``hook.conn`` is the boto3 ``mediapackage-vod`` client. Waiters: ``asset_playable``.

    :param aws_conn_id: the Airflow connection for AWS (``aws_default``).
    :param region_name: AWS region; the connection's region when not given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "mediapackage-vod"
        super().__init__(*args, **kwargs)

    def describe_asset(self, asset_id: str) -> dict[str, Any] | None:
        """DescribeAsset's response, without ``ResponseMetadata``; None when there is no such asset."""
        return self._describe("describe_asset", asset_id)

    def get_or_create_asset(
        self,
        asset_id: str,
        *,
        packaging_group_id: str,
        source_arn: str,
        source_role_arn: str | None,
        tags: dict[str, str],
    ) -> dict[str, Any]:
        """The asset ``asset_id``, created only when it does not exist (or FAILED: then made again).

        Raises :class:`ResourceConflict` when the id is taken by an asset of another source.
        """
        conn = self.conn
        asset = self.describe_asset(asset_id)
        if asset is None:
            try:
                asset = conn.create_asset(
                    Id=asset_id,
                    PackagingGroupId=packaging_group_id,
                    SourceArn=source_arn,
                    SourceRoleArn=source_role_arn,
                    ResourceId=asset_id,
                    Tags=tags,
                )
            except conn.exceptions.UnprocessableEntityException:
                asset = self.describe_asset(asset_id)  # a concurrent try created it
                if asset is None:
                    raise
            else:
                asset.pop("ResponseMetadata", None)
                self.log.info(
                    "Created VOD asset %s from %s in packaging group %s", asset_id, source_arn, packaging_group_id
                )
                return asset
        if asset["SourceArn"] != source_arn:
            raise ResourceConflict(
                f"VOD asset id {asset_id} is already used by an asset of another source "
                f"({asset['SourceArn']}, this run wants {source_arn}); nothing was created"
            )
        if self.waiter_state("asset_playable", asset) == "failure":
            # A failed asset never recovers; after a fix (say, the source role) it must be made again.
            self.log.warning("VOD asset %s FAILED earlier; deleting it and creating it again", asset_id)
            conn.delete_asset(Id=asset_id)
            return self.get_or_create_asset(
                asset_id,
                packaging_group_id=packaging_group_id,
                source_arn=source_arn,
                source_role_arn=source_role_arn,
                tags=tags,
            )
        self.log.info("Found VOD asset %s; not creating another", asset_id)
        return asset

    def delete_unplayable_asset(self, asset_id: str) -> bool:
        """Delete the asset unless it plays (a killed hand-off leaves no half-made asset); True if deleted."""
        asset = self.describe_asset(asset_id)
        if asset is None or self.waiter_state("asset_playable", asset) == "success":
            return False
        self.conn.delete_asset(Id=asset_id)
        return True
