"""The deferrable triggers, run with asyncio against the real local stack.

``HarvestJobTrigger`` and ``VodAssetPlayableTrigger`` poll MediaPackage through the project's
hooks with unmodified boto3 clients over the AWS wire protocol; the stack does the harvesting and
the VOD packaging. Each test drives ``trigger.run()`` to its end and checks the single event it
yields: status, message, detail, and that the operators' own validation accepts it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import urllib.request
from typing import Any

import pendulum
import pytest
from airflow.models.trigger import Trigger
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.module_loading import import_string
from airflow.sdk.serde import deserialize, serialize
from airflow.triggers.base import TriggerEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from live_to_vod.aws.sensors.mediapackage import EVENT_STATUSES, HarvestJobSensor, validate_trigger_event
from live_to_vod.aws.triggers.mediapackage import HarvestJobTrigger, VodAssetPlayableTrigger
from localrun.seed import create_harvest_job, push_content, seed, wait_for_harvest_job

TRIGGERS = (HarvestJobTrigger, VodAssetPlayableTrigger)
EVENT_KEYS = {"status", "resource_id", "message", "detail"}
FAST = {"poll_interval": 0.05, "max_poll_interval": 0.2}


# --------------------------------------------------------------------------- helpers


def run_to_end(trigger: Any, timeout: float = 60) -> list[TriggerEvent]:
    """Every event ``trigger.run()`` yields until it returns (bounded by ``timeout`` seconds)."""

    async def collect() -> list[TriggerEvent]:
        return [event async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(collect(), timeout))


def only_event(trigger: Any, timeout: float = 60) -> dict[str, Any]:
    """The one event of a run: a trigger yields exactly one event, then stops."""
    events = run_to_end(trigger, timeout)
    assert len(events) == 1, events
    payload = events[0].payload
    assert isinstance(payload, dict) and set(payload) == EVENT_KEYS, payload
    assert payload["status"] in EVENT_STATUSES
    assert payload["resource_id"] == trigger.resource_id
    assert isinstance(payload["message"], str) and trigger.resource_id in payload["message"]
    assert isinstance(payload["detail"], dict)
    assert "ResponseMetadata" not in payload["detail"]
    json.dumps(payload)  # the triggerer ships events between processes
    assert validate_trigger_event(payload, trigger.resource_id) is payload
    return payload


def create_job(mp: Any, media: dict[str, Any], job_id: str, **destination: str) -> None:
    start = media["stream_start"].add(seconds=10)
    create_harvest_job(mp, media, job_id, start, start.add(seconds=20), **destination)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def aws_connection(stack, monkeypatch) -> None:
    """``aws_default`` for the hooks, pointing at this test's stack (as a deployment's env would)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "local-stack",
                "password": "local-stack",
                "extra": {"endpoint_url": stack.url, "region_name": "us-east-1"},
            }
        ),
    )


@pytest.fixture
def demo(stack, aws_connection) -> dict[str, Any]:
    """The seeded setup (bucket, roles, channel, endpoint, VOD group), no content pushed."""
    return seed(stack.stack.settings, with_encoder=False)


@pytest.fixture
def media(demo, aws) -> dict[str, Any]:
    """The seeded setup with a minute of real content pushed to the channel by the encoder."""
    encoder = push_content(aws["mediapackage"], demo, preroll_seconds=60)
    return {**demo, "stream_start": encoder.start}


@pytest.fixture
def harvest_min_seconds() -> float:
    """How long the stack keeps every harvest job IN_PROGRESS; parametrize a test to change it."""
    return 0


@pytest.fixture(autouse=True)
def _harvest_duration(harvest_min_seconds, monkeypatch) -> None:
    # Autouse, so it runs before ``stack`` builds its Settings from the environment.
    monkeypatch.setenv("DEVSTACK_HARVEST_MIN_SECONDS", str(harvest_min_seconds))


# --------------------------------------------------------------------------- serialization


@pytest.mark.parametrize("trigger_class", TRIGGERS)
@pytest.mark.parametrize("deadline", [None, 1_790_000_000.25])
def test_serialize_round_trip_is_what_the_triggerer_rebuilds(trigger_class, deadline):
    trigger = trigger_class(
        resource_id="game-1-0123456789ab-r2",
        aws_conn_id="aws_media",
        region_name="eu-west-1",
        poll_interval=2.5,
        max_poll_interval=45,
        deadline=deadline,
    )
    classpath, kwargs = trigger.serialize()
    assert import_string(classpath) is trigger_class  # the triggerer imports it by this path
    # Every constructor argument survives, so nothing falls back to a default in the triggerer.
    assert set(kwargs) == set(inspect.signature(trigger_class.__init__).parameters) - {"self"}
    assert json.loads(json.dumps(kwargs)) == kwargs
    # The path Airflow takes: serde for the deferral, encrypted kwargs in the trigger table.
    assert deserialize(serialize(kwargs)) == kwargs
    stored = Trigger.from_object(trigger)
    assert stored.classpath == classpath and stored.kwargs == kwargs
    rebuilt = import_string(stored.classpath)(**stored.kwargs)
    assert type(rebuilt) is trigger_class
    assert rebuilt.serialize() == (classpath, kwargs)


@settings(max_examples=50, deadline=None)
@given(
    trigger_class=st.sampled_from(TRIGGERS),
    resource_id=st.from_regex(r"[A-Za-z0-9_-]{1,256}", fullmatch=True),
    conn_id=st.none() | st.text(min_size=1, max_size=40),
    region=st.none() | st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1"]),
    intervals=st.tuples(
        st.floats(min_value=0.01, max_value=3600, allow_nan=False),
        st.floats(min_value=0.01, max_value=3600, allow_nan=False),
    ),
    deadline=st.none() | st.floats(min_value=0, max_value=4e9, allow_nan=False),
)
def test_any_trigger_survives_the_round_trip(trigger_class, resource_id, conn_id, region, intervals, deadline):
    trigger = trigger_class(
        resource_id=resource_id,
        aws_conn_id=conn_id,
        region_name=region,
        poll_interval=intervals[0],
        max_poll_interval=intervals[1],
        deadline=deadline,
    )
    classpath, kwargs = trigger.serialize()
    kwargs = json.loads(json.dumps(kwargs))
    assert import_string(classpath)(**kwargs).serialize() == (classpath, kwargs)


# --------------------------------------------------------------------------- HarvestJobTrigger


@pytest.mark.slow
@pytest.mark.parametrize("harvest_min_seconds", [1])  # so the trigger sees IN_PROGRESS first
def test_harvest_trigger_reports_success_of_a_real_harvest(aws, media):
    mp = aws["mediapackage"]
    create_job(mp, media, "trig-ok")
    assert mp.describe_harvest_job(Id="trig-ok")["Status"] == "IN_PROGRESS"
    trigger = HarvestJobTrigger(resource_id="trig-ok", deadline=time.time() + 60, **FAST)

    event = only_event(trigger)

    assert event["status"] == "success"
    assert event["detail"]["Id"] == "trig-ok" and event["detail"]["Status"] == "SUCCEEDED"
    assert event["detail"]["S3Destination"]["ManifestKey"] == "games/trig-ok/index.m3u8"
    assert "SUCCEEDED" in event["message"] and event["detail"]["StartTime"] in event["message"]
    # The harvest really landed where the event says.
    keys = aws["s3"].list_objects_v2(Bucket=media["bucket"], Prefix="games/trig-ok/")["Contents"]
    assert "games/trig-ok/index.m3u8" in {k["Key"] for k in keys}
    # The sensor resumes with the job's description.
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-ok")
    assert sensor.execute_complete(context={}, event=event) == event["detail"]
    # No side effects: a second run (the triggerer may run a trigger twice) says the same, creates nothing.
    again = only_event(HarvestJobTrigger(**trigger.serialize()[1]))
    assert again == event
    assert [j["Id"] for j in mp.list_harvest_jobs()["HarvestJobs"]] == ["trig-ok"]


@pytest.mark.slow
def test_harvest_trigger_reports_a_failed_harvest_in_plain_words(aws, media):
    mp = aws["mediapackage"]
    create_job(mp, media, "trig-no-bucket", BucketName="missing-bucket")
    trigger = HarvestJobTrigger(resource_id="trig-no-bucket", deadline=time.time() + 60, **FAST)

    event = only_event(trigger)

    assert event["status"] == "failure"
    assert event["detail"]["Status"] == "FAILED"
    assert event["message"].startswith("harvest job trig-no-bucket FAILED")
    assert "EventBridge" in event["message"]  # where the reason is, since the API does not carry it
    # The failure is the one this test set up (the stack says why at its convenience endpoint).
    with urllib.request.urlopen(f"{media['endpoint_url']}/_devstack/harvest_jobs/trig-no-bucket") as response:
        assert "missing-bucket" in response.read().decode()
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-no-bucket")
    with pytest.raises(AirflowFailException, match="trig-no-bucket FAILED"):
        sensor.execute_complete(context={}, event=event)


@pytest.mark.slow
@pytest.mark.parametrize("harvest_min_seconds", [60])
def test_harvest_trigger_times_out_at_its_deadline_while_the_job_runs(stack, demo, aws):
    assert stack.stack.settings.harvest_min_seconds == 60
    mp = aws["mediapackage"]
    create_job(mp, {**demo, "stream_start": pendulum.now("UTC").subtract(minutes=5)}, "trig-slow")  # no content needed
    started = time.monotonic()
    trigger = HarvestJobTrigger(resource_id="trig-slow", deadline=time.time() + 1.0, **FAST)

    event = only_event(trigger)

    elapsed = time.monotonic() - started
    assert event["status"] == "timeout"
    assert event["detail"] == {}
    assert event["message"].startswith("harvest job trig-slow did not finish before the deadline")
    polls = int(event["message"].rsplit("polled ", 1)[1].split()[0])
    # It kept polling until the deadline, backing off: 0.05 s, 0.075 s, ... up to 0.2 s between
    # polls is 6 or 7 polls in a second (a load-slowed run polls less, never more); without the
    # back-off it would be about 16.
    assert 3 <= polls <= 10
    assert elapsed < 5  # and gave up at the deadline, not when the job ended
    assert mp.describe_harvest_job(Id="trig-slow")["Status"] == "IN_PROGRESS"
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-slow")
    with pytest.raises(AirflowFailException, match="did not finish before the deadline"):
        sensor.execute_complete(context={}, event=event)

    # A deadline already past: one look, then the timeout event.
    past = only_event(HarvestJobTrigger(resource_id="trig-slow", deadline=time.time() - 1, **FAST))
    assert past["status"] == "timeout" and "(polled 1 times)" in past["message"]


@pytest.mark.slow
@pytest.mark.parametrize("harvest_min_seconds", [1])
def test_harvest_trigger_sees_a_job_that_finishes_before_its_deadline(stack, media, aws):
    create_job(aws["mediapackage"], media, "trig-late")  # SUCCEEDED about 1 s from now
    deadline = time.time() + 3
    trigger = HarvestJobTrigger(resource_id="trig-late", poll_interval=5, max_poll_interval=60, deadline=deadline)

    event = only_event(trigger)

    assert event["status"] == "success", event["message"]


def test_harvest_trigger_reports_an_unknown_job_as_an_error(stack, aws_connection):
    event = only_event(HarvestJobTrigger(resource_id="no-such-job", deadline=time.time() + 30, **FAST), timeout=30)

    assert event["status"] == "error"
    assert event["detail"] == {}
    assert "could not describe harvest job no-such-job" in event["message"]
    assert "NotFoundException" in event["message"]


# --------------------------------------------------------------------------- VodAssetPlayableTrigger


@pytest.mark.slow
def test_vod_trigger_reports_a_playable_asset(aws, media):
    mp, vod = aws["mediapackage"], aws["mediapackage-vod"]
    create_job(mp, media, "trig-vod")
    assert wait_for_harvest_job(mp, "trig-vod")["Status"] == "SUCCEEDED"
    created = vod.create_asset(
        Id="trig-vod",
        PackagingGroupId=media["packaging_group_id"],
        SourceArn=f"arn:aws:s3:::{media['bucket']}/games/trig-vod/index.m3u8",
        SourceRoleArn=media["vod_role_arn"],
    )
    assert [e["Status"] for e in created["EgressEndpoints"]] == ["QUEUED"]  # the trigger waits for it
    trigger = VodAssetPlayableTrigger(resource_id="trig-vod", deadline=time.time() + 60, **FAST)

    event = only_event(trigger)

    assert event["status"] == "success"
    endpoints = event["detail"]["EgressEndpoints"]
    assert [(e["PackagingConfigurationId"], e["Status"]) for e in endpoints] == [("demo-vod-hls", "PLAYABLE")]
    assert event["message"] == "VOD asset trig-vod is PLAYABLE on 1 endpoint(s)"
    with urllib.request.urlopen(endpoints[0]["Url"]) as response:  # and it plays
        assert response.status == 200 and response.read().startswith(b"#EXTM3U")


@pytest.mark.slow
def test_vod_trigger_reports_an_asset_whose_source_is_missing_as_failed(aws, demo):
    aws["mediapackage-vod"].create_asset(
        Id="trig-vod-missing",
        PackagingGroupId=demo["packaging_group_id"],
        SourceArn=f"arn:aws:s3:::{demo['bucket']}/games/never-harvested/index.m3u8",
        SourceRoleArn=demo["vod_role_arn"],
    )
    trigger = VodAssetPlayableTrigger(resource_id="trig-vod-missing", deadline=time.time() + 60, **FAST)

    event = only_event(trigger)

    assert event["status"] == "failure"
    assert [e["Status"] for e in event["detail"]["EgressEndpoints"]] == ["FAILED"]
    assert event["message"] == "VOD asset trig-vod-missing FAILED on packaging configuration(s) demo-vod-hls"


def test_vod_trigger_reports_an_unknown_asset_as_an_error(stack, aws_connection):
    event = only_event(VodAssetPlayableTrigger(resource_id="no-such-asset", deadline=time.time() + 30, **FAST))

    assert event["status"] == "error"
    assert "could not describe VOD asset no-such-asset" in event["message"]
    assert "NotFoundException" in event["message"]
