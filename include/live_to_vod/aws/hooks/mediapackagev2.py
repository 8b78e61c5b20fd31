"""A thin hook for MediaPackage v2 harvest jobs, with the project's waiter and the find-or-create of
one harvest (v1's hook is the model; v2 differs where its API does: named resources, ClientToken,
cancel)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from live_to_vod.aws.hooks.mediapackage import MAX_HARVEST_ATTEMPTS, ResourceConflict, WaiterStateMixin
from live_to_vod.aws.hooks.user_agent import CallerFromFramesMixin
from live_to_vod.harvest_request import HarvestRequest, HarvestWindow, V2Endpoint
from live_to_vod.naming import harvest_job_id

__all__ = ["ACTIVE", "MediaPackageV2Hook", "MediaPackageV2HookMixin", "V2Endpoint", "V2HarvestJob"]

#: The statuses of a v2 job that is still running, and can be cancelled.
ACTIVE = ("QUEUED", "IN_PROGRESS")


@dataclass(frozen=True)
class V2HarvestJob:
    """What one v2 harvest asks for: the manifests (``{"HlsManifests": [{"ManifestName": ...}]...}``),
    the window and where it lands."""

    event_id: str
    endpoint: V2Endpoint
    window: HarvestWindow
    manifests: dict[str, list[dict[str, str]]]
    bucket: str
    destination_path: str

    @classmethod
    def from_request(cls, request: HarvestRequest) -> V2HarvestJob:
        """The job a validated v2 request asks for (its manifests resolved by validate)."""
        if request.v2_endpoint is None or not request.harvested_manifests:
            raise ValueError(f"{request.endpoint_ref} is not a validated MediaPackage v2 request")
        return cls(
            event_id=request.event_id,
            endpoint=request.v2_endpoint,
            window=request.window,
            manifests={
                kind: [{"ManifestName": name} for name in names]
                for kind, names in request.harvested_manifests.items()
                if names
            },
            bucket=request.s3_bucket,
            destination_path=request.destination_path,
        )

    def name(self, attempt: int = 1) -> str:
        """``HarvestJobName`` (also its ``ClientToken``): derived from the event, endpoint and window."""
        return harvest_job_id(self.event_id, self.endpoint.ref, self.window, attempt)

    def differences(self, job: dict[str, Any]) -> list[str]:
        """How an existing job of this name differs from this request (empty: it is this harvest)."""
        found = []
        schedule = job.get("ScheduleConfiguration") or {}
        span = self.window.whole_seconds()
        for field, wanted in (("StartTime", span.start), ("EndTime", span.end)):
            have = schedule.get(field)
            if have is None or abs((have - wanted).total_seconds()) >= 1:
                found.append(f"ScheduleConfiguration.{field} is {have}, this run wants {wanted.isoformat()}")
        s3 = (job.get("Destination") or {}).get("S3Destination") or {}
        wanted_s3 = {"BucketName": self.bucket, "DestinationPath": self.destination_path}
        for field, wanted in wanted_s3.items():
            if s3.get(field) != wanted:
                found.append(f"Destination.S3Destination.{field} is {s3.get(field)!r}, this run wants {wanted!r}")
        have_manifests = {k: v for k, v in (job.get("HarvestedManifests") or {}).items() if v}
        if have_manifests != {k: v for k, v in self.manifests.items() if v}:
            found.append(f"HarvestedManifests is {have_manifests}, this run wants {self.manifests}")
        return found


class MediaPackageV2Hook(CallerFromFramesMixin, WaiterStateMixin, AwsBaseHook):
    """Interact with AWS Elemental MediaPackage v2 (``mediapackagev2``): harvest jobs.

    ``hook.conn`` is the boto3 ``mediapackagev2`` client. Waiters: ``harvest_job_complete``
    (COMPLETED is success; FAILED and CANCELLED are failures, unlike botocore's own waiter).

    :param aws_conn_id: the Airflow connection for AWS (``aws_default``).
    :param region_name: AWS region; the connection's region when not given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "mediapackagev2"
        super().__init__(*args, **kwargs)

    def get_harvest_job(self, endpoint: V2Endpoint, name: str) -> dict[str, Any] | None:
        """GetHarvestJob's response without ``ResponseMetadata``; None when there is no such job."""
        conn = self.conn
        try:
            job = conn.get_harvest_job(**endpoint.names(), HarvestJobName=name)
        except conn.exceptions.ResourceNotFoundException:
            return None
        job.pop("ResponseMetadata", None)
        return job

    def get_or_create_harvest_job(self, request: V2HarvestJob) -> tuple[dict[str, Any], bool]:
        """The request's harvest job, created only when it does not exist: ``(job, created)``.

        The ``HarvestJobName`` and the ``ClientToken`` are both derived from the event, endpoint and
        window, so a retry finds its own job (by name) and a retried create answers with the first
        (by token). A FAILED or CANCELLED job holds its name until it expires, so the next attempt
        takes ``-r2``, ``-r3``... Raises :class:`ResourceConflict` when a job of that name asks for
        something else; a create MediaPackage refuses raises its ``ClientError`` unchanged (its
        ``ValidationExceptionType`` says why).
        """
        conn = self.conn
        span = request.window.whole_seconds()  # what a harvest job asks for
        for attempt in range(1, MAX_HARVEST_ATTEMPTS + 1):
            name = request.name(attempt)
            job = self.get_harvest_job(request.endpoint, name)
            if job is None:
                try:
                    job = conn.create_harvest_job(
                        **request.endpoint.names(),
                        HarvestJobName=name,
                        ClientToken=name,
                        HarvestedManifests=request.manifests,
                        ScheduleConfiguration={"StartTime": span.start, "EndTime": span.end},
                        Destination={
                            "S3Destination": {"BucketName": request.bucket, "DestinationPath": request.destination_path}
                        },
                        Description=f"live-to-VOD harvest of event {request.event_id}",
                    )
                except conn.exceptions.ConflictException as exc:
                    kind = exc.response.get("ConflictExceptionType")
                    job = self.get_harvest_job(request.endpoint, name)  # a concurrent try made it a moment ago?
                    if job is None or kind == "IDEMPOTENT_PARAMETER_MISMATCH":
                        raise ResourceConflict(
                            f"MediaPackage refused harvest job {name} on {request.endpoint.ref} ({kind}): "
                            f"{exc.response['Error'].get('Message', exc)}"
                        ) from None
                else:
                    job.pop("ResponseMetadata", None)
                    self.log.info(
                        "Created harvest job %s on %s: %s to %s into s3://%s/%s",
                        name, request.endpoint.ref, request.window.start, request.window.end,
                        request.bucket, request.destination_path,
                    )  # fmt: skip
                    return job, True
            if job["Status"] in ("FAILED", "CANCELLED"):
                self.log.warning("This event's harvest job %s is %s; creating the next attempt", name, job["Status"])
                continue
            differences = request.differences(job)
            if differences:
                raise ResourceConflict(
                    f"Harvest job name {name} on {request.endpoint.ref} is already used by a job with different "
                    f"parameters: {'; '.join(differences)}. Nothing was created; check the event id and window."
                )
            self.log.info("Found this event's harvest job %s (%s); not creating another", name, job["Status"])
            return job, False
        raise ResourceConflict(f"{MAX_HARVEST_ATTEMPTS} harvest jobs for this event failed; giving up")

    def cancel_harvest_job(self, endpoint: V2Endpoint, name: str) -> bool:
        """Cancel the job if it is still QUEUED or IN_PROGRESS; True when this call cancelled it."""
        conn = self.conn
        try:
            conn.cancel_harvest_job(**endpoint.names(), HarvestJobName=name)
        except conn.exceptions.ValidationException as exc:
            if exc.response.get("ValidationExceptionType") == "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION":
                return False  # it ended first: nothing to stop
            raise
        except conn.exceptions.ResourceNotFoundException:
            return False
        self.log.warning("Cancelled harvest job %s on %s", name, endpoint.ref)
        return True


class MediaPackageV2HookMixin:
    """For an amazon-provider operator or sensor whose ``hook`` is v1's: ``v2_hook``, on the same
    connection, region and botocore config (``_hook_parameters``), made once per task."""

    _hook_parameters: dict[str, Any]

    @cached_property
    def v2_hook(self) -> MediaPackageV2Hook:
        """The MediaPackage v2 hook, on the same connection and region as ``hook``."""
        return MediaPackageV2Hook(**self._hook_parameters)
