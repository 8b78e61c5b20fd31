"""Job faults: the harvest runners, MediaPackage VOD and MediaConvert with the registry's job rules applied."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from devstack.faults.damage import damage_asset
from devstack.faults.rules import FaultRegistry, FaultRule
from devstack.harvest import HarvestFailure, HarvestRunner
from devstack.mediaconvert.inputs import JobError
from devstack.mediaconvert.service import Canceled, MediaConvert
from devstack.mediaconvert.service import Job as TranscodeJob
from devstack.mediapackagev2 import harvest as v2
from devstack.vod import Asset, MediaPackageVod, SourceProblem


def hold(stuck: FaultRule, complete: Callable[..., None], *args: Any) -> bool:
    """Run ``complete`` once the ``harvest_stuck`` rule's seconds have passed or the rule is removed
    (released), whichever is first; False when it holds nothing (no seconds)."""
    if not stuck.seconds:
        return False

    def later() -> None:
        stuck.released.wait(stuck.seconds)
        complete(*args)

    threading.Thread(target=later, name="harvest-stuck", daemon=True).start()
    return True


class FaultyHarvestRunner(HarvestRunner):
    """The harvest runner, with the registry's harvest faults applied per job."""

    def __init__(self, settings: Any, sibling: Any, faults: FaultRegistry, workers: int = 4):
        super().__init__(settings, sibling, workers)
        self.faults = faults
        self._stuck: dict[int, FaultRule] = {}
        self._stuck_lock = threading.Lock()

    def harvest(self, job: Any, endpoint: dict[str, Any], content: Any) -> None:
        job_id = job.record["Id"]
        stuck = self.faults.take({"harvest_stuck"}, job_id)
        if stuck is not None:
            with self._stuck_lock:
                self._stuck[id(job)] = stuck
        failed = self.faults.take({"harvest_fail"}, job_id)
        if failed is not None:
            raise HarvestFailure(failed.message or "injected fault: the harvest job failed")
        super().harvest(job, endpoint, content)
        damage = self.faults.take({"harvest_damage"}, job_id)
        if damage is not None:
            dest = job.record["S3Destination"]
            damage_asset(self.sibling, dest["BucketName"], dest["ManifestKey"], damage.damage or "")

    def notify(self, region: str, job_id: str, detail: dict[str, Any], arn: str) -> None:
        if self.faults.take({"event_lost"}, job_id) is None:
            super().notify(region, job_id, detail, arn)

    def complete(self, job: Any, failure: str | None) -> None:
        with self._stuck_lock:
            stuck = self._stuck.pop(id(job), None)
        if stuck is None or not hold(stuck, super().complete, job, failure):
            super().complete(job, failure)


class FaultyV2HarvestRunner(v2.HarvestRunner):
    """The v2 harvest runner with the same harvest faults, picking jobs by ``HarvestJobName``."""

    def __init__(self, settings: Any, sibling: Any, faults: FaultRegistry):
        super().__init__(settings, sibling)
        self.faults = faults

    def harvest(self, job: v2.HarvestJob, endpoint: dict[str, Any], content: Any) -> None:
        failed = self.faults.take({"harvest_fail"}, job.name)
        if failed is not None:
            raise HarvestFailure(failed.message or "injected fault: the harvest job failed")
        super().harvest(job, endpoint, content)
        damage = self.faults.take({"harvest_damage"}, job.name)
        if damage is not None:
            s3 = job.record["Destination"]["S3Destination"]
            manifests = job.record["HarvestedManifests"]
            hls = (manifests.get("HlsManifests") or manifests.get("LowLatencyHlsManifests") or [None])[0]
            if hls is not None:
                key = f"{s3['DestinationPath'].strip('/')}/{hls['ManifestName']}.m3u8"
                damage_asset(self.sibling, s3["BucketName"], key, damage.damage or "")

    def notify(self, region: str, job_name: str, detail: dict[str, Any], arn: str) -> None:
        if self.faults.take({"event_lost"}, job_name) is None:
            super().notify(region, job_name, detail, arn)

    def complete(self, job: v2.HarvestJob, failure: str | None) -> None:
        stuck = self.faults.take({"harvest_stuck"}, job.name)
        if stuck is None or not hold(stuck, super().complete, job, failure):
            super().complete(job, failure)


class FaultyMediaPackageVod(MediaPackageVod):
    """MediaPackage VOD, with the registry's ``vod_fail`` faults applied per asset."""

    def __init__(self, settings: Any, sibling: Any, faults: FaultRegistry):
        super().__init__(settings, sibling)
        self.faults = faults

    def copy_source(self, asset: Asset) -> None:
        rule = self.faults.take({"vod_fail"}, asset.record["Id"])
        if rule is not None:
            raise SourceProblem(rule.message or "injected fault: the asset failed to ingest")
        super().copy_source(asset)


class FaultyMediaConvert(MediaConvert):
    """MediaConvert, with the registry's transcode faults applied per job (picked by its ``Id`` or
    any ``UserMetadata`` value): ``transcode_stuck`` holds the job ``PROGRESSING`` for ``seconds``
    (``CancelJob`` still stops it), ``transcode_fail`` ends it in ``ERROR``."""

    def __init__(self, settings: Any, sibling: Any, faults: FaultRegistry):
        super().__init__(settings, sibling)
        self.faults = faults

    def before_transcode(self, job: TranscodeJob) -> None:
        keys = (job.id, *job.record["UserMetadata"].values())
        stuck = self.faults.take({"transcode_stuck"}, *keys)
        if stuck is not None and job.cancel.wait(stuck.seconds or 0):
            raise Canceled
        rule = self.faults.take({"transcode_fail"}, *keys)
        if rule is not None:
            raise JobError(rule.code or 1999, rule.message or "injected fault: the transcode failed")
