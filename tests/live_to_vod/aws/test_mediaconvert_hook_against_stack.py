"""The MediaConvert hook and trigger against the real local stack: find-or-create by UserMetadata
(a failed job is not reused), the deferrable trigger's events, and the cancels of ``on_kill``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pendulum
import pytest

from devstack.faults import FaultControl
from live_to_vod.aws.hooks.mediaconvert import JOB_KEY, MediaConvertHook
from live_to_vod.aws.operators.mediaconvert import MediaConvertJobOperator
from live_to_vod.aws.triggers.mediaconvert import MediaConvertJobTrigger
from live_to_vod.aws.triggers.mediapackage import validate_trigger_event
from localrun.seed import create_harvest_job, push_content, seed, wait_for_harvest_job

FAST = {"waiter_delay": 0.05, "waiter_max_attempts": 2400}


@pytest.fixture
def media(stack, aws, aws_connection) -> dict[str, Any]:
    """A harvested 20 s asset of the demo channel and the job settings of its MP4."""
    demo = seed(stack.stack.settings, with_encoder=False)
    encoder = push_content(aws["mediapackage"], demo, preroll_seconds=40)
    start = encoder.start.add(seconds=10)
    create_harvest_job(
        aws["mediapackage"], demo, "clip-1", start, start.add(seconds=20), manifest_key="clip-1/index.m3u8"
    )
    wait_for_harvest_job(aws["mediapackage"], "clip-1")
    settings = {
        "Inputs": [{"FileInput": f"s3://{demo['bucket']}/clip-1/index.m3u8", "TimecodeSource": "ZEROBASED"}],
        "OutputGroups": [
            {
                "OutputGroupSettings": {
                    "Type": "FILE_GROUP_SETTINGS",
                    "FileGroupSettings": {"Destination": f"s3://{demo['bucket']}/mediaconvert/clip-1/"},
                },
                "Outputs": [
                    {
                        "NameModifier": "_mp4",
                        "ContainerSettings": {"Container": "MP4"},
                        "VideoDescription": {"CodecSettings": {"Codec": "H_264", "H264Settings": {"Bitrate": 500_000}}},
                    }
                ],
            }
        ],
    }
    return {**demo, "settings": settings, "since": start, "stack_url": stack.url}


def create(hook: MediaConvertHook, media: dict[str, Any], key: str, token: str) -> tuple[dict[str, Any], bool]:
    return hook.get_or_create_job(
        key,
        since=media["since"],
        role=media["mediaconvert_role_arn"],
        settings=media["settings"],
        user_metadata={"event_id": "clip"},
        client_request_token=token,
        tags={"event_id": "clip"},
    )


def run_trigger(job_id: str, timeout: float = 120) -> dict[str, Any]:
    async def collect():
        return [event async for event in MediaConvertJobTrigger(job_id=job_id, **FAST).run()]

    (event,) = asyncio.run(asyncio.wait_for(collect(), timeout))
    return validate_trigger_event(event.payload, job_id)


def test_find_or_create_makes_one_job_per_key_and_a_failed_one_is_replaced(media):
    hook = MediaConvertHook()
    job, created = create(hook, media, "clip-1", "clip-1-t1")
    assert created and job["UserMetadata"][JOB_KEY] == "clip-1"
    again, created = create(hook, media, "clip-1", "clip-1-t2")  # another try, a new token: found by metadata
    assert not created and again["Id"] == job["Id"]
    assert run_trigger(job["Id"])["status"] == "success"
    assert hook.get_job(job["Id"])["Status"] == "COMPLETE"
    # Jobs made before ``since`` are not looked at (the scan stops at the first older one).
    assert hook.find_job("clip-1", pendulum.now("UTC").add(minutes=1)) is None

    FaultControl(media["stack_url"]).add("transcode_fail", job="clip-2", code=1010, message="Unable to open input")
    failed, _ = create(hook, media, "clip-2", "clip-2-t1")
    event = run_trigger(failed["Id"])
    assert event["status"] == "failure"
    assert hook.get_job(failed["Id"])["ErrorCode"] == 1010
    retried, created = create(hook, media, "clip-2", "clip-2-t2")
    assert created and retried["Id"] != failed["Id"], "an ERROR job is not reused"


def test_on_kill_cancels_a_running_job_and_leaves_a_finished_one(media):
    hook = MediaConvertHook()
    FaultControl(media["stack_url"]).add("transcode_stuck", job="clip-3", seconds=60)
    running, _ = create(hook, media, "clip-3", "clip-3-t1")
    asyncio.run(MediaConvertJobTrigger(job_id=running["Id"]).on_kill())
    deadline = time.monotonic() + 10
    while hook.get_job(running["Id"])["Status"] != "CANCELED" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hook.get_job(running["Id"])["Status"] == "CANCELED"
    assert run_trigger(running["Id"])["status"] == "failure"

    FaultControl(media["stack_url"]).add("transcode_stuck", job="clip-4", seconds=60)
    other, _ = create(hook, media, "clip-4", "clip-4-t1")
    operator = MediaConvertJobOperator(task_id="transcode", request={}, harvest_job_id="clip-4")
    operator._job_id = other["Id"]  # what execute() keeps before it waits
    operator.on_kill()
    assert hook.get_job(other["Id"])["Status"] == "CANCELED"

    done, _ = create(hook, media, "clip-5", "clip-5-t1")
    assert run_trigger(done["Id"])["status"] == "success"
    asyncio.run(MediaConvertJobTrigger(job_id=done["Id"]).on_kill())  # nothing to stop: no error
    assert hook.cancel_job(done["Id"]) is False
    assert hook.get_job(done["Id"])["Status"] == "COMPLETE"


def test_a_mediaconvert_job_template_named_instead_of_a_file_gives_its_settings(media, aws):
    template = {k: v for k, v in media["settings"].items() if k != "Inputs"}
    aws["mediaconvert"].create_job_template(Name="house-proxy", Settings=template)
    assert MediaConvertHook().job_template_settings("house-proxy") == template
