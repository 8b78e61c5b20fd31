"""MediaConvert (``mediaconvert``): the Default queue, jobs, job templates, ``DescribeEndpoints``.

``CreateJob`` validates the settings (``BadRequestException`` naming the field), answers 201 with
the job ``SUBMITTED``, and a bounded pool (``DEVSTACK_MEDIACONVERT_WORKERS``) runs it: ``PROGRESSING``
through ``PROBING``, ``TRANSCODING`` (``JobPercentComplete`` rising) and ``UPLOADING``, then
``COMPLETE`` with ``OutputGroupDetails``, or ``ERROR`` with a MediaConvert-like ``ErrorCode`` and
``ErrorMessage``. ``CancelJob`` stops a job that has not finished (``CANCELED``, nothing written).
Every state change goes to EventBridge as ``MediaConvert Job State Change``.
A ``ClientRequestToken`` seen in the last minute answers with the job it made (as on AWS, the token
is idempotent for about a minute only).
"""

from __future__ import annotations

import copy
import logging
import secrets
import shutil
import string
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pendulum

from devstack.aws import AccessProblem, RoleNotAssumable, Sibling
from devstack.config import Settings
from devstack.mediaconvert import timecode
from devstack.mediaconvert.inputs import MEDIACONVERT_PRINCIPAL, InputReader, JobError
from devstack.mediaconvert.settings import JobPlan, bad_request, plan_job
from devstack.mediaconvert.transcode import probe, transcode
from devstack.mediapackage import paginate
from devstack.restjson import ServiceError

log = logging.getLogger(__name__)

TOKEN_SECONDS = 60
FINISHED = ("COMPLETE", "CANCELED", "ERROR")
EVENT_SOURCE = "aws.mediaconvert"
EVENT_DETAIL_TYPE = "MediaConvert Job State Change"
MP4_CONTENT_TYPE = "video/mp4"
JPEG_CONTENT_TYPE = "image/jpeg"


class Canceled(Exception):
    pass


@dataclass
class Job:
    record: dict[str, Any]
    plan: JobPlan
    region: str
    cancel: threading.Event = field(default_factory=threading.Event)
    output_paths: list[list[list[str]]] = field(default_factory=list)  # group -> output -> S3 URIs

    @property
    def id(self) -> str:
        return self.record["Id"]


class MediaConvert:
    """Operation handlers for one account, all regions; jobs run in a bounded pool of threads."""

    def __init__(self, settings: Settings, sibling: Sibling, workers: int = 2):
        self.settings = settings
        self.sibling = sibling
        self.region = "us-east-1"
        self.lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.tokens: dict[tuple[str, str], tuple[float, str]] = {}  # (region, token) -> (when, job id)
        self.templates: dict[tuple[str, str], dict[str, Any]] = {}
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mediaconvert")

    def stop(self) -> None:
        with self.lock:
            for job in self.jobs.values():
                job.cancel.set()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _arn(self, kind: str, name: str, region: str | None = None) -> str:
        return f"arn:aws:mediaconvert:{region or self.region}:{self.settings.account_id}:{kind}/{name}"

    # -- queues and endpoints -------------------------------------------------------------------

    def _queue(self) -> dict[str, Any]:
        return {
            "Arn": self._arn("queues", "Default"),
            "Name": "Default",
            "Type": "SYSTEM",
            "Status": "ACTIVE",
            "PricingPlan": "ON_DEMAND",
            "SubmittedJobsCount": sum(1 for j in self._region_jobs() if j.record["Status"] == "SUBMITTED"),
            "ProgressingJobsCount": sum(1 for j in self._region_jobs() if j.record["Status"] == "PROGRESSING"),
        }

    def get_queue(self, Name: str) -> dict[str, Any]:
        if Name not in ("Default", self._arn("queues", "Default")):
            raise ServiceError("NotFoundException", f"queue {Name} does not exist")
        return {"Queue": self._queue()}

    def list_queues(self, **_: Any) -> dict[str, Any]:
        return {"Queues": [self._queue()]}

    def describe_endpoints(self, **_: Any) -> dict[str, Any]:
        """Old clients ask for their account's endpoint first; the stack is that endpoint."""
        return {"Endpoints": [{"Url": self.settings.public_url}]}

    # -- job templates --------------------------------------------------------------------------

    def create_job_template(self, Name: str, Settings: dict[str, Any], **fields: Any) -> dict[str, Any]:
        with self.lock:
            if (self.region, Name) in self.templates:
                raise ServiceError("ConflictException", f"job template {Name} already exists")
            now = pendulum.now("UTC")
            template = {
                "Arn": self._arn("jobTemplates", Name),
                "Name": Name,
                "Settings": Settings,
                "Type": "CUSTOM",
                "CreatedAt": now,
                "LastUpdated": now,
                **{
                    k: v
                    for k, v in fields.items()
                    if k in ("Category", "Description", "Priority", "Queue") and v is not None
                },
            }
            self.templates[(self.region, Name)] = template
            return {"JobTemplate": template}

    def get_job_template(self, Name: str) -> dict[str, Any]:
        return {
            "JobTemplate": self._template(
                Name, ServiceError("NotFoundException", f"job template {Name} does not exist")
            )
        }

    def list_job_templates(
        self, MaxResults: int | None = None, NextToken: str | None = None, **_: Any
    ) -> dict[str, Any]:
        items = sorted((t for (r, _), t in self.templates.items() if r == self.region), key=lambda t: t["Name"])
        return paginate(items, "JobTemplates", MaxResults, NextToken)

    def update_job_template(self, Name: str, **fields: Any) -> dict[str, Any]:
        template = self._template(Name, ServiceError("NotFoundException", f"job template {Name} does not exist"))
        for key in ("Settings", "Category", "Description", "Priority", "Queue"):
            if fields.get(key) is not None:
                template[key] = fields[key]
        template["LastUpdated"] = pendulum.now("UTC")
        return {"JobTemplate": template}

    def delete_job_template(self, Name: str) -> dict[str, Any]:
        with self.lock:
            self._template(Name, ServiceError("NotFoundException", f"job template {Name} does not exist"))
            del self.templates[(self.region, Name)]
        return {}

    def _template(self, name: str, missing: ServiceError) -> dict[str, Any]:
        template = self.templates.get((self.region, name.rsplit("/", 1)[-1]))
        if template is None:
            raise missing
        return template

    # -- jobs -----------------------------------------------------------------------------------

    def create_job(
        self,
        Role: str,
        Settings: dict[str, Any],
        ClientRequestToken: str | None = None,
        JobTemplate: str | None = None,
        Queue: str | None = None,
        UserMetadata: dict[str, str] | None = None,
        Priority: int | None = None,
        StatusUpdateInterval: str | None = None,
        Tags: dict[str, str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        with self.lock:
            if ClientRequestToken:
                seen = self.tokens.get((self.region, ClientRequestToken))
                if seen is not None and time.monotonic() - seen[0] < TOKEN_SECONDS and seen[1] in self.jobs:
                    return {"Job": _public(self.jobs[seen[1]].record)}
            if ":role/" not in Role or not Role.startswith("arn:"):
                raise bad_request(f"/role: {Role!r} is not an IAM role ARN")
            if Priority is not None and not -50 <= Priority <= 50:
                raise bad_request(f"/priority: must be between -50 and 50, got {Priority}")
            if Queue is not None and Queue not in ("Default", self._arn("queues", "Default")):
                raise bad_request(f"/queue: queue {Queue} does not exist")
            merged = dict(Settings)
            if JobTemplate:
                template = self._template(
                    JobTemplate, bad_request(f"/jobTemplate: job template {JobTemplate} does not exist")
                )
                merged = {**template["Settings"], **{k: v for k, v in Settings.items() if v}}
            plan = plan_job(merged)
            now = pendulum.now("UTC")
            suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))
            job_id = f"{int(time.time() * 1000)}-{suffix}"
            record: dict[str, Any] = {
                "Arn": self._arn("jobs", job_id),
                "Id": job_id,
                "Role": Role,
                "Settings": merged,
                "Queue": self._arn("queues", "Default"),
                "Status": "SUBMITTED",
                "CreatedAt": now,
                "Timing": {"SubmitTime": now},
                "UserMetadata": dict(UserMetadata or {}),
                "Priority": Priority or 0,
                "StatusUpdateInterval": StatusUpdateInterval or "SECONDS_60",
                "ClientRequestToken": ClientRequestToken,
                "RetryCount": 0,
                "Messages": {"Info": [], "Warning": []},
            }
            if JobTemplate:
                record["JobTemplate"] = self._arn("jobTemplates", JobTemplate.rsplit("/", 1)[-1])
            job = Job(record, plan, self.region)
            self.jobs[job_id] = job
            if ClientRequestToken:
                self.tokens[(self.region, ClientRequestToken)] = (time.monotonic(), job_id)
            if Tags:
                record["_tags"] = dict(Tags)
            answer = _public(record)  # before the pool starts changing it
        self.pool.submit(self._run, job)
        return {"Job": answer}

    def get_job(self, Id: str) -> dict[str, Any]:
        with self.lock:
            return {"Job": _public(self._job(Id).record)}

    def list_jobs(
        self,
        MaxResults: int | None = None,
        NextToken: str | None = None,
        Order: str | None = None,
        Queue: str | None = None,
        Status: str | None = None,
    ) -> dict[str, Any]:
        return self.search_jobs(None, MaxResults, NextToken, Order, Queue, Status)

    def search_jobs(  # ListJobs is SearchJobs without an input filter
        self,
        InputFile: str | None = None,
        MaxResults: int | None = None,
        NextToken: str | None = None,
        Order: str | None = None,
        Queue: str | None = None,
        Status: str | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            jobs = [
                _public(j.record)
                for j in self._filtered(Queue, Status, Order)
                if InputFile is None or InputFile in j.plan.file_input
            ]
        return paginate(jobs, "Jobs", MaxResults or 20, NextToken)

    def cancel_job(self, Id: str) -> dict[str, Any]:
        with self.lock:
            job = self._job(Id)
            status = job.record["Status"]
            if status in FINISHED:
                raise ServiceError("ConflictException", f"job {Id} is {status} and cannot be canceled")
            job.cancel.set()
            if status == "SUBMITTED":  # not started: the worker skips it
                self._finish(job, "CANCELED")
        return {}

    def _job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.region != self.region:
            raise ServiceError("NotFoundException", f"job {job_id} does not exist")
        return job

    def _region_jobs(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.region == self.region]

    def _filtered(self, queue: str | None, status: str | None, order: str | None) -> list[Job]:
        if queue is not None and queue not in ("Default", self._arn("queues", "Default")):
            raise ServiceError("NotFoundException", f"queue {queue} does not exist")
        jobs = [j for j in self._region_jobs() if status is None or j.record["Status"] == status]
        jobs.sort(key=lambda j: j.record["CreatedAt"], reverse=(order or "DESCENDING") == "DESCENDING")
        return jobs

    # -- running a job --------------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        workdir = Path(tempfile.mkdtemp(prefix=f"mediaconvert-{job.id}-", dir=self._scratch()))
        try:
            with self.lock:
                if job.cancel.is_set():
                    return
                job.record.update(Status="PROGRESSING", CurrentPhase="PROBING", JobPercentComplete=0)
                job.record["Timing"]["StartTime"] = pendulum.now("UTC")
            self._event(job, "PROGRESSING")
            self.before_transcode(job)
            reader = InputReader(self.sibling, job.record["Role"], workdir)
            media = reader.read(job.plan.file_input, job.plan.audio_selectors)
            source = probe(media)
            try:
                spans = job.plan.spans(source.fps)
            except timecode.TimecodeError as exc:
                raise JobError(1010, f"Input clipping: {exc}") from None
            self._event(job, "INPUT_INFORMATION", {"inputDetails": [{"id": 1, "uri": job.plan.file_input}]})
            self._phase(job, "TRANSCODING")
            plans = job.plan.outputs
            mp4s, captures = transcode(
                media,
                workdir,
                source,
                spans,
                [p.mp4 for p in plans if p.mp4],
                [p.capture for p in plans if p.capture],
                lambda done: self._progress(job, done),
            )
            self._phase(job, "UPLOADING")
            self._upload(job, workdir, mp4s, captures)
            self._finish(job, "COMPLETE")
        except Canceled:
            self._finish(job, "CANCELED")
        except JobError as exc:
            self._finish(job, "ERROR", exc.code, exc.message)
        except Exception as exc:  # a bug in the stack: say so, as MediaConvert's catch-all does
            log.exception("MediaConvert job %s failed", job.id)
            self._finish(job, "ERROR", 1999, f"Unknown error: {exc}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def before_transcode(self, job: Job) -> None:
        """A hook for fault injection (``devstack.faults``)."""

    def _scratch(self) -> Path:
        path = self.settings.home / "mediaconvert"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _phase(self, job: Job, phase: str) -> None:
        if job.cancel.is_set():
            raise Canceled
        with self.lock:
            job.record["CurrentPhase"] = phase

    def _progress(self, job: Job, done: float) -> None:
        if job.cancel.is_set():
            raise Canceled
        with self.lock:
            job.record["JobPercentComplete"] = max(job.record.get("JobPercentComplete", 0), int(done * 100))

    def _upload(self, job: Job, workdir: Path, mp4s: list, captures: list) -> None:
        results = iter(mp4s)
        capture_results = iter(captures)
        groups: dict[int, list[dict[str, Any]]] = {}
        paths: dict[int, list[list[str]]] = {}
        for plan in job.plan.outputs:
            result = next(results) if plan.mp4 else next(capture_results)
            dest = plan.destination
            uris = []
            for local in result.files:
                suffix = local[len(plan.capture.stem) :] if plan.capture else ""
                key = f"{dest.prefix}{plan.name}{suffix}"
                try:
                    self.sibling.check_role(
                        job.record["Role"],
                        ["s3:PutObject"],
                        [f"arn:aws:s3:::{dest.bucket}/{key}"],
                        principal=MEDIACONVERT_PRINCIPAL,
                    )
                except RoleNotAssumable as exc:
                    raise JobError(1432, f"Unable to assume role [{job.record['Role']}]: [{exc}]") from None
                except AccessProblem as exc:
                    raise JobError(
                        1401, f"Unable to write to output file [s3://{dest.bucket}/{key}]: [Access Denied: {exc}]"
                    ) from None
                if not self.sibling.bucket_exists(dest.bucket):
                    raise JobError(1404, f"Unable to write to output file [s3://{dest.bucket}/{key}]: [NoSuchBucket]")
                content = JPEG_CONTENT_TYPE if plan.capture else MP4_CONTENT_TYPE
                self.sibling.put_object(dest.bucket, key, (workdir / local).read_bytes(), content)
                uris.append(f"s3://{dest.bucket}/{key}")
            detail: dict[str, Any] = {"DurationInMs": result.duration_ms}
            if result.width:
                detail["VideoDetails"] = {"WidthInPx": result.width, "HeightInPx": result.height}
            groups.setdefault(plan.group, []).append(detail)
            paths.setdefault(plan.group, []).append(uris)
        with self.lock:
            job.record["OutputGroupDetails"] = [{"OutputDetails": groups[g]} for g in sorted(groups)]
            job.output_paths = [paths[g] for g in sorted(paths)]

    def _finish(self, job: Job, status: str, code: int | None = None, message: str | None = None) -> None:
        with self.lock:
            if job.record["Status"] in FINISHED:
                return
            job.record["Status"] = status
            job.record["Timing"]["FinishTime"] = pendulum.now("UTC")
            job.record.pop("CurrentPhase", None)
            job.record.pop("JobPercentComplete", None)
            if status == "COMPLETE":
                job.record["JobPercentComplete"] = 100
            if code is not None:
                job.record["ErrorCode"] = code
                job.record["ErrorMessage"] = message
        extra: dict[str, Any] = {}
        if status == "COMPLETE":
            extra["outputGroupDetails"] = [
                {
                    "outputDetails": [
                        {
                            "outputFilePaths": uris,
                            "durationInMs": d["DurationInMs"],
                            **(
                                {
                                    "videoDetails": {
                                        "widthInPx": d["VideoDetails"]["WidthInPx"],
                                        "heightInPx": d["VideoDetails"]["HeightInPx"],
                                    }
                                }
                                if "VideoDetails" in d
                                else {}
                            ),
                        }
                        for uris, d in zip(group_paths, group["OutputDetails"], strict=True)
                    ],
                    "type": "FILE_GROUP",
                }
                for group_paths, group in zip(job.output_paths, job.record["OutputGroupDetails"], strict=True)
            ]
        if status == "ERROR":
            extra.update(errorCode=code, errorMessage=message)
        self._event(job, status, extra)
        log.info("MediaConvert job %s %s%s", job.id, status, f": {code} {message}" if code else "")

    def _event(self, job: Job, status: str, extra: dict[str, Any] | None = None) -> None:
        detail = {
            "timestamp": int(time.time() * 1000),
            "accountId": self.settings.account_id,
            "queue": job.record["Queue"],
            "jobId": job.id,
            "status": status,
            "userMetadata": job.record["UserMetadata"],
            **(extra or {}),
        }
        try:
            self.sibling.put_event(job.region, EVENT_SOURCE, EVENT_DETAIL_TYPE, detail, [job.record["Arn"]])
        except Exception:  # events are best effort, as on AWS
            log.exception("could not put the %s event of job %s", status, job.id)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A copy to answer with: the pool goes on changing the record."""
    return copy.deepcopy({k: v for k, v in record.items() if not k.startswith("_") and v is not None})
