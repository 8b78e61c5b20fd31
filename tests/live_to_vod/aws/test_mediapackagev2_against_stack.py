"""MediaPackage v2 harvest jobs from the Airflow side, against the real local stack: the hook's
exactly-once find-or-create and its cancel, and the deferrable trigger's events and ``on_kill``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from airflow.sdk.module_loading import import_string

from devstack.faults import FaultControl
from live_to_vod.aws.hooks.mediapackage import ResourceConflict
from live_to_vod.aws.hooks.mediapackagev2 import MediaPackageV2Hook, V2Endpoint, V2HarvestJob
from live_to_vod.aws.triggers.mediapackage import validate_trigger_event
from live_to_vod.aws.triggers.mediapackagev2 import V2HarvestJobTrigger
from live_to_vod.harvest_request import HarvestWindow
from localrun.seed import DEMO_V2, push_content_v2, seed

ENDPOINT = V2Endpoint(DEMO_V2["channel_group"], DEMO_V2["channel"], DEMO_V2["cmaf_endpoint"])
MANIFESTS = {"HlsManifests": [{"ManifestName": "index"}], "DashManifests": [{"ManifestName": "dash"}]}
FAST = {"waiter_delay": 0.05, "waiter_max_attempts": 1200}


@pytest.fixture
def media(stack, aws_connection) -> dict[str, Any]:
    demo = seed(stack.stack.settings, with_encoder=False)
    encoder = push_content_v2(stack.stack.settings, demo, preroll_seconds=60)
    return {**demo, "stream_start": encoder.start}


def harvest(media: dict[str, Any], event_id: str = "game-1", *, end_in: float | None = None, **changes) -> V2HarvestJob:
    start = media["stream_start"].add(seconds=10)
    end = start.add(seconds=20) if end_in is None else start.add(seconds=60 + end_in)
    fields = {
        "event_id": event_id,
        "endpoint": ENDPOINT,
        "window": HarvestWindow(start, end),
        "manifests": MANIFESTS,
        "bucket": media["bucket"],
        "destination_path": f"games/{event_id}",
    }
    return V2HarvestJob(**{**fields, **changes})


def run_trigger(trigger: V2HarvestJobTrigger, timeout: float = 60) -> dict[str, Any]:
    async def collect():
        return [event async for event in trigger.run()]

    (event,) = asyncio.run(asyncio.wait_for(collect(), timeout))
    return validate_trigger_event(event.payload, trigger.return_value)


def trigger_for(job_name: str, **kwargs: Any) -> V2HarvestJobTrigger:
    names = {"channel_group": ENDPOINT.channel_group, "channel": ENDPOINT.channel}
    return V2HarvestJobTrigger(**names, origin_endpoint=ENDPOINT.origin_endpoint, harvest_job_name=job_name, **kwargs)


def test_find_or_create_makes_one_job_per_event_and_window(media):
    hook = MediaPackageV2Hook()
    request = harvest(media)
    job, created = hook.get_or_create_harvest_job(request)
    again, created_again = hook.get_or_create_harvest_job(request)  # a retry, a re-triggered run
    assert (created, created_again) == (True, False)
    assert again["Arn"] == job["Arn"] and job["HarvestJobName"] == request.name()
    listed = hook.conn.list_harvest_jobs(ChannelGroupName=ENDPOINT.channel_group)["Items"]
    assert [j["HarvestJobName"] for j in listed] == [request.name()]

    # The same name asking for something else: refused, nothing created.
    with pytest.raises(ResourceConflict, match="DestinationPath"):
        hook.get_or_create_harvest_job(harvest(media, destination_path="elsewhere/game-1"))
    assert len(hook.conn.list_harvest_jobs(ChannelGroupName=ENDPOINT.channel_group)["Items"]) == 1


def test_a_cancelled_job_is_never_reused_the_next_attempt_takes_r2(media):
    hook = MediaPackageV2Hook()
    request = harvest(media, end_in=600)  # still running: its end is 10 minutes away
    job, _ = hook.get_or_create_harvest_job(request)
    assert job["Status"] in ("QUEUED", "IN_PROGRESS")
    assert hook.cancel_harvest_job(ENDPOINT, request.name()) is True
    assert hook.cancel_harvest_job(ENDPOINT, request.name()) is False  # already ended: nothing to stop
    retry, created = hook.get_or_create_harvest_job(request)
    assert created and retry["HarvestJobName"] == request.name(2)


def test_the_trigger_succeeds_on_completed_and_survives_serialization(media):
    hook = MediaPackageV2Hook()
    request = harvest(media)
    hook.get_or_create_harvest_job(request)
    trigger = trigger_for(request.name(), **FAST)
    classpath, kwargs = trigger.serialize()
    rebuilt = import_string(classpath)(**kwargs)  # what the triggerer runs
    assert rebuilt.serialize() == (classpath, kwargs)
    assert run_trigger(rebuilt) == {"status": "success", "resource_id": request.name()}


def test_a_cancelled_job_fails_the_wait_and_a_failed_one_quotes_its_error(media, stack):
    hook = MediaPackageV2Hook()
    running = harvest(media, "game-2", end_in=600)
    hook.get_or_create_harvest_job(running)
    hook.cancel_harvest_job(ENDPOINT, running.name())
    event = run_trigger(trigger_for(running.name(), **FAST))
    assert event["status"] == "failure" and "CANCELLED" in event["message"]

    FaultControl(stack.url).add("harvest_fail", job="game-3-*", message="no content for the window")
    failing = harvest(media, "game-3")
    hook.get_or_create_harvest_job(failing)
    event = run_trigger(trigger_for(failing.name(), **FAST))
    assert event["status"] == "failure"
    assert "FAILED" in event["message"] and "no content for the window" in event["message"]


def test_on_kill_cancels_a_running_job_and_leaves_an_ended_one(media):
    hook = MediaPackageV2Hook()
    running = harvest(media, "game-4", end_in=600)
    hook.get_or_create_harvest_job(running)
    asyncio.run(trigger_for(running.name()).on_kill())
    assert hook.get_harvest_job(ENDPOINT, running.name())["Status"] == "CANCELLED"

    done = harvest(media, "game-5")
    hook.get_or_create_harvest_job(done)
    deadline = time.monotonic() + 30
    while hook.get_harvest_job(ENDPOINT, done.name())["Status"] != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.1)
    asyncio.run(trigger_for(done.name()).on_kill())  # nothing to stop: no error
    assert hook.get_harvest_job(ENDPOINT, done.name())["Status"] == "COMPLETED"
