"""The deferrable triggers, run with asyncio against the real local stack.

``HarvestJobTrigger`` and ``VodAssetPlayableTrigger`` are the amazon provider's waiter trigger on
the project's waiter JSON: they poll MediaPackage through the provider's async (aiobotocore)
client over the AWS wire protocol; the stack does the harvesting and the VOD packaging. Each test
drives ``trigger.run()`` to its end and checks the single event it yields (status, message, the
resource id) and that the operators' own validation accepts it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import types
import urllib.request
from typing import Any

import pendulum
import pytest
from airflow.models.trigger import Trigger
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.module_loading import import_string
from airflow.sdk.serde import deserialize, serialize
from airflow.triggers.base import TaskSuccessEvent, TriggerEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from live_to_vod.aws.links.mediapackage import VodPlaybackLink
from live_to_vod.aws.operators.vod import CreateVodAssetOperator
from live_to_vod.aws.sensors.mediapackage import HarvestJobSensor
from live_to_vod.aws.triggers.harvest_wait import HarvestWaitTrigger
from live_to_vod.aws.triggers.mediapackage import (
    EVENT_STATUSES,
    HarvestJobTrigger,
    VodAssetPlayableTrigger,
    validate_trigger_event,
)
from live_to_vod.aws.triggers.mediapackagev2 import V2HarvestJobTrigger
from localrun.seed import create_harvest_job, push_content, seed, wait_for_harvest_job

FAST = {"waiter_delay": 0.05, "waiter_max_attempts": 1200}


# --------------------------------------------------------------------------- helpers


def run_to_end(trigger: Any, timeout: float = 60) -> list[TriggerEvent]:
    """Every event ``trigger.run()`` yields until it returns (bounded by ``timeout`` seconds)."""

    async def collect() -> list[TriggerEvent]:
        return [event async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(collect(), timeout))


def only_event(trigger: Any, resource_id: str, timeout: float = 60) -> dict[str, Any]:
    """The one event of a run: a trigger yields exactly one event, then stops."""
    events = run_to_end(trigger, timeout)
    assert len(events) == 1, events
    payload = events[0].payload
    assert isinstance(payload, dict) and payload["status"] in EVENT_STATUSES, payload
    assert payload["resource_id"] == resource_id
    if payload["status"] == "success":
        assert set(payload) == {"status", "resource_id"}, payload
    else:
        assert set(payload) == {"status", "resource_id", "message"}, payload
        assert isinstance(payload["message"], str) and resource_id in payload["message"]
    json.dumps(payload)  # the triggerer ships events between processes
    assert validate_trigger_event(payload, resource_id) is payload
    return payload


def create_job(mp: Any, media: dict[str, Any], job_id: str, **destination: str) -> None:
    start = media["stream_start"].add(seconds=10)
    create_harvest_job(mp, media, job_id, start, start.add(seconds=20), **destination)


# --------------------------------------------------------------------------- fixtures


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


def make(trigger_class: type, resource_id: str, **kwargs: Any) -> Any:
    key = "harvest_job_id" if trigger_class is HarvestJobTrigger else "asset_id"
    return trigger_class(**{key: resource_id}, **kwargs)


@pytest.mark.parametrize("trigger_class", [HarvestJobTrigger, VodAssetPlayableTrigger])
def test_serialize_round_trip_is_what_the_triggerer_rebuilds(trigger_class):
    trigger = make(
        trigger_class,
        "game-1-0123456789ab-r2",
        aws_conn_id="aws_media",
        region_name="eu-west-1",
        waiter_delay=15,
        waiter_max_attempts=480,
        verify="/etc/ssl/corp-ca.pem",
        botocore_config={"retries": {"mode": "standard", "total_max_attempts": 10}},
    )
    classpath, kwargs = trigger.serialize()
    assert import_string(classpath) is trigger_class  # the triggerer imports it by this path
    # Every constructor argument survives, so nothing falls back to a default in the triggerer:
    # the deferred half talks to AWS with the task's region, SSL verification and botocore config.
    assert set(kwargs) == set(inspect.signature(trigger_class.__init__).parameters) - {"self"}
    assert json.loads(json.dumps(kwargs)) == kwargs
    # The path Airflow takes: serde for the deferral, encrypted kwargs in the trigger table.
    assert deserialize(serialize(kwargs)) == kwargs
    stored = Trigger.from_object(trigger)
    assert stored.classpath == classpath and stored.kwargs == kwargs
    rebuilt = import_string(stored.classpath)(**stored.kwargs)
    assert type(rebuilt) is trigger_class
    assert rebuilt.serialize() == (classpath, kwargs)
    hook = rebuilt.hook()
    assert (hook.region_name, hook.verify, hook.config.retries) == (
        "eu-west-1",
        "/etc/ssl/corp-ca.pem",
        {"mode": "standard", "total_max_attempts": 10},
    )


@settings(max_examples=50, deadline=None)
@given(
    trigger_class=st.sampled_from([HarvestJobTrigger, VodAssetPlayableTrigger]),
    resource_id=st.from_regex(r"[A-Za-z0-9_-]{1,256}", fullmatch=True),
    conn_id=st.none() | st.text(min_size=1, max_size=40),
    region=st.none() | st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1"]),
    delay=st.integers(min_value=1, max_value=3600),
    attempts=st.integers(min_value=1, max_value=100_000),
)
def test_any_trigger_survives_the_round_trip(trigger_class, resource_id, conn_id, region, delay, attempts):
    trigger = make(
        trigger_class,
        resource_id,
        aws_conn_id=conn_id,
        region_name=region,
        waiter_delay=delay,
        waiter_max_attempts=attempts,
    )
    classpath, kwargs = trigger.serialize()
    kwargs = json.loads(json.dumps(kwargs))
    assert import_string(classpath)(**kwargs).serialize() == (classpath, kwargs)


@pytest.mark.parametrize(
    "event",
    [
        None,
        "failure",
        {"status": "done", "resource_id": "x"},
        {"status": "success", "resource_id": "other"},
        {"status": "failure", "resource_id": "x"},  # no message
    ],
)
def test_execute_complete_refuses_events_no_trigger_of_its_resource_sends(event):
    with pytest.raises(ValueError):
        validate_trigger_event(event, "x")
    with pytest.raises(AirflowFailException):
        HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="x").execute_complete(context={}, event=event)


# --------------------------------------------------------------------------- HarvestJobTrigger


@pytest.mark.parametrize("harvest_min_seconds", [1])  # so the trigger sees IN_PROGRESS first
def test_harvest_trigger_reports_success_of_a_real_harvest(aws, media):
    mp = aws["mediapackage"]
    create_job(mp, media, "trig-ok")
    assert mp.describe_harvest_job(Id="trig-ok")["Status"] == "IN_PROGRESS"
    trigger = HarvestJobTrigger(harvest_job_id="trig-ok", **FAST)

    event = only_event(trigger, "trig-ok")

    assert event == {"status": "success", "resource_id": "trig-ok"}
    # The harvest really landed.
    keys = aws["s3"].list_objects_v2(Bucket=media["bucket"], Prefix="games/trig-ok/")["Contents"]
    assert "games/trig-ok/index.m3u8" in {k["Key"] for k in keys}
    # The sensor resumes with the job's description.
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-ok")
    job = sensor.execute_complete(context={}, event=event)
    assert job["Id"] == "trig-ok" and job["Status"] == "SUCCEEDED"
    assert job["S3Destination"]["ManifestKey"] == "games/trig-ok/index.m3u8"
    # No side effects: a second run (the triggerer may run a trigger twice) says the same, creates nothing.
    again = only_event(HarvestJobTrigger(**trigger.serialize()[1]), "trig-ok")
    assert again == event
    assert [j["Id"] for j in mp.list_harvest_jobs()["HarvestJobs"]] == ["trig-ok"]


@pytest.mark.parametrize("harvest_min_seconds", [1])
def test_a_harvest_trigger_that_ends_its_task_carries_the_job_description_as_its_xcom(aws, media):
    mp = aws["mediapackage"]
    create_job(mp, media, "trig-ends")
    trigger = HarvestJobTrigger(harvest_job_id="trig-ends", end_task_on_success=True, **FAST)

    (event,) = run_to_end(trigger)

    # The triggerer marks the task success and pushes these XComs: no worker resumes it.
    assert isinstance(event, TaskSuccessEvent) and event.payload == "success"
    job = event.xcoms["return_value"]
    assert job["Id"] == "trig-ends" and job["Status"] == "SUCCEEDED" and "ResponseMetadata" not in job
    assert job == json.loads(json.dumps(job))  # XComs travel as JSON
    # A runner that resumes instead (dag.test()) passes the bare payload: still this job's success.
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-ends")
    assert sensor.execute_complete(context={}, event=event.payload)["Status"] == "SUCCEEDED"
    # A failure still resumes the task, so the worker can say why and alert.
    create_job(mp, media, "trig-ends-fail", BucketName="missing-bucket")
    failed = run_to_end(HarvestJobTrigger(harvest_job_id="trig-ends-fail", end_task_on_success=True, **FAST))
    assert [type(e) for e in failed] == [TriggerEvent] and failed[0].payload["status"] == "failure"


def test_a_vod_trigger_that_ends_its_task_returns_what_the_operator_returns(aws, media):
    mp, vod = aws["mediapackage"], aws["mediapackage-vod"]
    create_job(mp, media, "trig-vod-ends")
    assert wait_for_harvest_job(mp, "trig-vod-ends")["Status"] == "SUCCEEDED"
    vod.create_asset(
        Id="trig-vod-ends",
        PackagingGroupId=media["packaging_group_id"],
        SourceArn=f"arn:aws:s3:::{media['bucket']}/games/trig-vod-ends/index.m3u8",
        SourceRoleArn=media["vod_role_arn"],
    )

    (event,) = run_to_end(VodAssetPlayableTrigger(asset_id="trig-vod-ends", end_task_on_success=True, **FAST))

    assert isinstance(event, TaskSuccessEvent)
    result = event.xcoms["return_value"]
    described = vod.describe_asset(Id="trig-vod-ends")
    operator = CreateVodAssetOperator(task_id="hand_off_to_vod", request={}, harvest_job_id="trig-vod-ends")

    class TI:  # what _done pushes the playback link through
        pushed: dict = {}

        def xcom_push(self, key, value):
            self.pushed[key] = value

    ti = TI()
    assert result == operator._done({"ti": ti}, described)  # the same return value as on a worker
    assert event.xcoms[VodPlaybackLink.key] == ti.pushed[VodPlaybackLink.key] == result["playback_urls"][0]


def test_harvest_trigger_reports_a_failed_harvest_in_plain_words(aws, media):
    mp = aws["mediapackage"]
    create_job(mp, media, "trig-no-bucket", BucketName="missing-bucket")
    trigger = HarvestJobTrigger(harvest_job_id="trig-no-bucket", **FAST)

    event = only_event(trigger, "trig-no-bucket")

    assert event["status"] == "failure"
    assert event["message"].startswith("harvest job trig-no-bucket FAILED")
    assert "EventBridge" in event["message"]  # where the reason is, since the API does not carry it
    assert "FAILED" in event["message"].split(":", 1)[1]  # the status the waiter saw
    # The failure is the one this test set up (the stack says why at its convenience endpoint).
    with urllib.request.urlopen(f"{media['endpoint_url']}/_devstack/harvest_jobs/trig-no-bucket") as response:
        assert "missing-bucket" in response.read().decode()
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-no-bucket")
    with pytest.raises(AirflowFailException, match="trig-no-bucket FAILED"):
        sensor.execute_complete(context={}, event=event)


@pytest.mark.parametrize("harvest_min_seconds", [60])
def test_harvest_trigger_times_out_after_its_attempts_while_the_job_runs(stack, demo, aws):
    assert stack.stack.settings.harvest_min_seconds == 60
    mp = aws["mediapackage"]
    create_job(mp, {**demo, "stream_start": pendulum.now("UTC").subtract(minutes=5)}, "trig-slow")  # no content needed
    trigger = HarvestJobTrigger(harvest_job_id="trig-slow", waiter_delay=0.05, waiter_max_attempts=5)

    event = only_event(trigger, "trig-slow")

    assert event["status"] == "timeout"
    assert event["message"] == "harvest job trig-slow did not finish within 5 polls 0.05 s apart"
    assert mp.describe_harvest_job(Id="trig-slow")["Status"] == "IN_PROGRESS"  # gave up, the job runs on
    sensor = HarvestJobSensor(task_id="wait_for_harvest", harvest_job_id="trig-slow")
    with pytest.raises(AirflowFailException, match="trig-slow did not finish"):
        sensor.execute_complete(context={}, event=event)


def test_harvest_trigger_reports_an_unknown_job_as_an_error(stack, aws_connection):
    event = only_event(HarvestJobTrigger(harvest_job_id="no-such-job", **FAST), "no-such-job", timeout=30)

    assert event["status"] == "error"
    assert "no-such-job" in event["message"] and "NotFoundException" in event["message"]


# --------------------------------------------------------------------------- VodAssetPlayableTrigger


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
    trigger = VodAssetPlayableTrigger(asset_id="trig-vod", **FAST)

    event = only_event(trigger, "trig-vod")

    assert event == {"status": "success", "resource_id": "trig-vod"}
    endpoints = vod.describe_asset(Id="trig-vod")["EgressEndpoints"]
    assert [(e["PackagingConfigurationId"], e["Status"]) for e in endpoints] == [("demo-vod-hls", "PLAYABLE")]
    with urllib.request.urlopen(endpoints[0]["Url"]) as response:  # and it plays
        assert response.status == 200 and response.read().startswith(b"#EXTM3U")


def test_vod_trigger_reports_an_asset_whose_source_is_missing_as_failed(aws, demo):
    aws["mediapackage-vod"].create_asset(
        Id="trig-vod-missing",
        PackagingGroupId=demo["packaging_group_id"],
        SourceArn=f"arn:aws:s3:::{demo['bucket']}/games/never-harvested/index.m3u8",
        SourceRoleArn=demo["vod_role_arn"],
    )
    trigger = VodAssetPlayableTrigger(asset_id="trig-vod-missing", **FAST)

    event = only_event(trigger, "trig-vod-missing")

    assert event["status"] == "failure"
    assert event["message"].startswith("VOD asset trig-vod-missing FAILED on a packaging configuration")
    assert "demo-vod-hls" in event["message"] and "FAILED" in event["message"]


def test_vod_trigger_reports_an_unknown_asset_as_an_error(stack, aws_connection):
    event = only_event(VodAssetPlayableTrigger(asset_id="no-such-asset", **FAST), "no-such-asset")

    assert event["status"] == "error"
    assert "no-such-asset" in event["message"] and "NotFoundException" in event["message"]


# --------------------------------------------------------------------------- HarvestWaitTrigger


def expires_in(seconds: float, last_chance_minutes: int = 30) -> str:
    """A ``content_expires_at`` whose last-chance moment is ``seconds`` from now."""
    return pendulum.now("UTC").add(minutes=last_chance_minutes, seconds=seconds).to_iso8601_string()


def test_harvest_wait_trigger_round_trips_through_the_trigger_table():
    trigger = HarvestWaitTrigger(
        harvest_job_id="game-1-0123456789ab",
        v2_endpoint="live/channel-1/hls-ts",
        content_expires_at="2026-12-06T20:00:00+00:00",
        last_chance_minutes=20,
        last_chance_alerted=True,
        timeout_seconds=5400,
        waiter_delay=60,
        completion_asset="mediapackage-harvest-notifications",
        aws_conn_id="aws_media",
        region_name="eu-west-1",
        verify=False,
        botocore_config={"retries": {"mode": "standard"}},
    )
    classpath, kwargs = trigger.serialize()
    assert import_string(classpath) is HarvestWaitTrigger
    assert set(kwargs) == set(inspect.signature(HarvestWaitTrigger.__init__).parameters) - {"self"}
    stored = Trigger.from_object(trigger)
    assert import_string(stored.classpath)(**stored.kwargs).serialize() == (classpath, kwargs)
    # The v2 job's trigger, with the wait's connection and a give-up to match its timeout.
    job_trigger = trigger.job_trigger(120)
    assert isinstance(job_trigger, V2HarvestJobTrigger)
    assert job_trigger.endpoint.ref == "live/channel-1/hls-ts" and job_trigger.return_value == "game-1-0123456789ab"
    assert job_trigger.waiter_delay * (job_trigger.attempts - 1) >= 120
    assert job_trigger.end_task_on_success and job_trigger.completion_asset == "mediapackage-harvest-notifications"
    assert isinstance(HarvestWaitTrigger(harvest_job_id="j", timeout_seconds=60).job_trigger(60), HarvestJobTrigger)


def test_a_wait_started_in_the_triggerer_renders_the_jobs_xcoms_of_its_own_map_index():
    """``start_from_trigger``: the trigger's kwargs are templates over the create task's XComs, which
    the triggerer renders with the task's context; the trigger's templated fields are the sensor's."""
    from airflow.sdk import DAG, BaseOperator, task_group
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG("wait_start", start_date=pendulum.datetime(2026, 1, 1), schedule=None) as dag:

        @task_group(group_id="harvest")
        def harvest(request):
            create = BaseOperator(task_id="create_harvest_job")
            HarvestJobSensor(
                task_id="wait_for_harvest",
                harvest_job_id=create.output["harvest_job_id"],
                v2_endpoint=create.output["v2_endpoint"],
                content_expires_at=create.output["content_expires_at"],
                deferrable=True,
                timeout=3600,
                poll_interval=10,
            )

        harvest.expand(request=[1, 2])
    sensor = dag.get_task("harvest.wait_for_harvest")
    assert sensor.start_from_trigger is True
    args = sensor.start_trigger_args
    assert import_string(args.trigger_cls) is HarvestWaitTrigger and args.next_method == "execute_complete"
    assert args.timeout.total_seconds() == 3600 + 3 * 10  # after the trigger's own give-up
    kwargs = args.trigger_kwargs
    assert kwargs["harvest_job_id"] == (
        "{{ ti.xcom_pull(task_ids='harvest.create_harvest_job', key='harvest_job_id', map_indexes=ti.map_index)"
        " or '' }}"
    )
    assert kwargs["timeout_seconds"] == 3600
    # What the scheduler reads: the serialized task keeps both.
    task = DagSerialization.from_dict(DagSerialization.to_dict(dag)).get_task("harvest.wait_for_harvest")
    assert task.start_from_trigger is True and task.start_trigger_args.trigger_cls == args.trigger_cls

    xcoms = {
        ("harvest.create_harvest_job", "harvest_job_id", 0): "game-a",
        ("harvest.create_harvest_job", "harvest_job_id", 1): "game-b",
        ("harvest.create_harvest_job", "v2_endpoint", 1): None,  # a v1 job
        ("harvest.create_harvest_job", "content_expires_at", 1): "2026-12-06T20:00:00+00:00",
    }

    def xcom_pull(task_ids, key, map_indexes):
        return xcoms.get((task_ids, key, map_indexes))

    ti = types.SimpleNamespace(task=sensor, task_id=sensor.task_id, map_index=1, xcom_pull=xcom_pull)
    trigger = HarvestWaitTrigger(**kwargs)
    trigger.task_instance = ti  # as the triggerer does, which then renders
    assert {"harvest_job_id", "v2_endpoint", "content_expires_at"} <= set(trigger.template_fields)
    trigger.render_template_fields(context={"ti": ti})
    assert (trigger.harvest_job_id, trigger.v2_endpoint, trigger.content_expires_at) == (
        "game-b",
        "",
        "2026-12-06T20:00:00+00:00",
    )
    assert isinstance(trigger.job_trigger(60), HarvestJobTrigger)


def test_a_wait_whose_job_id_rendered_empty_ends_with_an_error():
    (event,) = run_to_end(HarvestWaitTrigger(harvest_job_id="", timeout_seconds=60))
    assert event.payload["status"] == "error" and "no harvest job" in event.payload["message"]


@pytest.mark.parametrize("harvest_min_seconds", [1])
def test_a_harvest_wait_that_succeeds_ends_its_task_in_the_triggerer(aws, media):
    create_job(aws["mediapackage"], media, "wait-ok")
    trigger = HarvestWaitTrigger(
        harvest_job_id="wait-ok", content_expires_at=expires_in(3600), timeout_seconds=60, waiter_delay=0.05
    )

    (event,) = run_to_end(trigger)

    assert isinstance(event, TaskSuccessEvent)
    assert event.xcoms["return_value"]["Id"] == "wait-ok" and event.xcoms["return_value"]["Status"] == "SUCCEEDED"


@pytest.mark.parametrize("harvest_min_seconds", [60])  # the job runs on through the test
@pytest.mark.parametrize(
    ("last_chance_in", "alerted", "phase"),
    [
        (1.0, False, "until_last_chance"),  # the moment comes during the wait: it stops there
        (-60.0, False, "until_last_chance"),  # it had passed when the wait started: one check, then stop
        (1.0, True, None),  # alerted already: waits to its end
    ],
)
def test_a_harvest_wait_stops_at_the_last_chance_moment_while_the_job_runs(
    stack, demo, aws, last_chance_in, alerted, phase
):
    mp = aws["mediapackage"]
    create_job(mp, {**demo, "stream_start": pendulum.now("UTC").subtract(minutes=5)}, "wait-slow")
    trigger = HarvestWaitTrigger(
        harvest_job_id="wait-slow",
        content_expires_at=expires_in(last_chance_in),
        last_chance_alerted=alerted,
        timeout_seconds=3,
        waiter_delay=0.05,
    )

    started = pendulum.now("UTC")
    (event,) = run_to_end(trigger)
    took = (pendulum.now("UTC") - started).total_seconds()

    payload = event.payload
    assert payload["status"] == "timeout" and payload["resource_id"] == "wait-slow"
    assert payload.get("phase") == phase
    if phase:
        # What is left of the wait goes back to the sensor, which alerts and waits it out.
        assert 0 < payload["remaining_seconds"] <= 3
        assert took < 3
    assert mp.describe_harvest_job(Id="wait-slow")["Status"] == "IN_PROGRESS"
