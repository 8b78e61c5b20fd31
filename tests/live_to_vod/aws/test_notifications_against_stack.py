"""``harvest_notifications``' read task against the real local stack, for MediaPackage v2 jobs: the
stack's v2 harvest puts each job's EventBridge notification on the seeded SQS queue (the seeded rule
matches v1 and v2), and the operator decides from it and from GetHarvestJob, as in the DAG.

(The v1 route, and the hand-off group after this task, run under a real Airflow in
``tests/e2e/test_harvest_notifications_airflow.py``.)
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from devstack.faults import FaultControl
from live_to_vod.aws.hooks.mediapackagev2 import MediaPackageV2Hook, V2HarvestJob
from live_to_vod.aws.operators.notifications import ReadHarvestNotificationsOperator
from live_to_vod.config import DeploymentConfig
from live_to_vod.harvest_request import HarvestRequest, HarvestWindow, V2Endpoint
from live_to_vod.notifications import OUTCOMES_KEY
from localrun.seed import DEMO_V2, push_content_v2, seed

TS = V2Endpoint(DEMO_V2["channel_group"], DEMO_V2["channel"], DEMO_V2["ts_endpoint"])
CMAF = V2Endpoint(DEMO_V2["channel_group"], DEMO_V2["channel"], DEMO_V2["cmaf_endpoint"])


@pytest.fixture
def media(stack, aws_connection) -> dict[str, Any]:
    demo = seed(stack.stack.settings, with_encoder=False)
    encoder = push_content_v2(stack.stack.settings, demo, preroll_seconds=60)
    return {**demo, "stream_start": encoder.start}


def window(media: dict[str, Any], end_in: float | None = None) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    start = media["stream_start"].add(seconds=10)
    return start, start.add(seconds=20) if end_in is None else start.add(seconds=60 + end_in)


def create_external_job(aws, media, name: str, endpoint: V2Endpoint, manifests: dict, end_in=None) -> None:
    """A v2 job made as the console would: plain boto3, our naming nowhere."""
    start, end = window(media, end_in)
    aws["mediapackagev2"].create_harvest_job(
        **endpoint.names(),
        HarvestJobName=name,
        HarvestedManifests=manifests,
        ScheduleConfiguration={"StartTime": start, "EndTime": end},
        Destination={"S3Destination": {"BucketName": media["bucket"], "DestinationPath": f"console/{name}/"}},
    )


def wait_ended(aws, endpoint: V2Endpoint, name: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = aws["mediapackagev2"].get_harvest_job(**endpoint.names(), HarvestJobName=name)
        if job["Status"] not in ("QUEUED", "IN_PROGRESS"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"harvest job {name} did not end within {timeout} s")


def queued_notifications(aws, media, names: set[str], timeout: float = 30) -> list[dict[str, Any]]:
    """The SQS messages (as the asset watcher's trigger hands them over) of these jobs' notifications."""
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while set(found) != names and time.monotonic() < deadline:
        reply = aws["sqs"].receive_message(QueueUrl=media["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in reply.get("Messages", []):
            event = json.loads(message["Body"])
            assert (event["source"], event["detail-type"]) == (
                "aws.mediapackagev2",
                "MediaPackageV2 HarvestJob Notification",
            )
            found[event["detail"]["harvestJob"]["harvestJobName"]] = message
    assert set(found) == names, f"notifications of {sorted(names - set(found))} never arrived"
    return list(found.values())


def read(media: dict[str, Any], messages: list[dict[str, Any]]) -> tuple[list[dict], dict[str, dict]]:
    """Run the read task on one asset event carrying ``messages``: (hand-offs, outcomes by job)."""
    operator = ReadHarvestNotificationsOperator(
        task_id="read_notifications",
        deployment=DeploymentConfig(
            packaging_group_id=media["packaging_group_id"], vod_source_role_arn=media["vod_role_arn"]
        ),
    )
    pushed: dict[str, Any] = {}
    asset_event = SimpleNamespace(extra={"payload": {"status": "success", "message_batch": messages}})
    context = {
        "triggering_asset_events": {"queue": [asset_event]},
        "ti": SimpleNamespace(xcom_push=lambda key, value: pushed.__setitem__(key, value)),
    }
    handoffs = operator.execute(context)
    return handoffs, {o["job_id"]: o for o in pushed[OUTCOMES_KEY]}


def test_external_v2_jobs_are_handed_off_from_their_notifications(media, aws):
    create_external_job(aws, media, "console-ts", TS, {"HlsManifests": [{"ManifestName": "index"}]})
    create_external_job(
        aws,
        media,
        "console-cmaf",
        CMAF,
        {"HlsManifests": [{"ManifestName": "index"}], "DashManifests": [{"ManifestName": "dash"}]},
    )
    for endpoint, name in ((TS, "console-ts"), (CMAF, "console-cmaf")):
        assert wait_ended(aws, endpoint, name)["Status"] == "COMPLETED"
    messages = queued_notifications(aws, media, {"console-ts", "console-cmaf"})

    handoffs, outcomes = read(media, messages)
    assert {o["action"] for o in outcomes.values()} == {"hand off"}, outcomes
    assert outcomes["console-ts"]["origin_endpoint_id"] == TS.ref
    requests = {h["harvest_job_id"]: HarvestRequest.from_dict(h["request"]) for h in handoffs}
    ts = requests["console-ts"]
    assert (ts.v2_endpoint, ts.container_type, ts.manifest_key) == (TS, "TS", "console/console-ts/index.m3u8")
    assert ts.harvested_manifests == {"HlsManifests": ("index",)} and ts.not_handed_off() is None
    # Every manifest it names is in S3: the verify task finds what the request says.
    for key in ts.manifest_keys():
        aws["s3"].head_object(Bucket=media["bucket"], Key=key)
    cmaf = requests["console-cmaf"]
    assert cmaf.manifest_keys() == ["console/console-cmaf/index.m3u8", "console/console-cmaf/dash.mpd"]
    assert cmaf.container_type == "CMAF" and "CMAF" in cmaf.not_handed_off()  # verified, not given to VOD


def test_failed_cancelled_and_the_dags_own_v2_jobs(media, aws, stack):
    FaultControl(stack.url).add("harvest_fail", job="console-broken", message="no content for the window")
    create_external_job(aws, media, "console-broken", TS, {"HlsManifests": [{"ManifestName": "index"}]})
    # The DAG's own job: named by live_event_harvest's rule.
    start, end = window(media)
    ours = V2HarvestJob(
        event_id="notified-game",
        endpoint=TS,
        window=HarvestWindow(start, end),
        manifests={"HlsManifests": [{"ManifestName": "index"}]},
        bucket=media["bucket"],
        destination_path="games/notified-game",
    )
    MediaPackageV2Hook().get_or_create_harvest_job(ours)
    # A cancelled job: the stack (as AWS documents) sends no event for it; one arrives by hand.
    create_external_job(aws, media, "console-cancelled", TS, {"HlsManifests": [{"ManifestName": "index"}]}, 600)
    aws["mediapackagev2"].cancel_harvest_job(**TS.names(), HarvestJobName="console-cancelled")
    assert wait_ended(aws, TS, "console-broken")["Status"] == "FAILED"
    assert wait_ended(aws, TS, ours.name())["Status"] == "COMPLETED"
    messages = queued_notifications(aws, media, {"console-broken", ours.name()})
    cancelled = json.loads(messages[0]["Body"])
    job = {**cancelled["detail"]["harvestJob"], "harvestJobName": "console-cancelled", "status": "CANCELLED"}
    cancelled["detail"] = {"harvestJob": job}
    messages.append({"MessageId": "cancelled", "Body": json.dumps(cancelled)})

    handoffs, outcomes = read(media, messages)
    assert handoffs == []
    assert outcomes["console-broken"]["action"] == "failed"
    assert outcomes["console-broken"]["reason"] == "no content for the window"
    assert (outcomes["console-cancelled"]["action"], outcomes["console-cancelled"]["reason"]) == ("failed", "cancelled")
    assert outcomes[ours.name()]["action"] == "skipped", outcomes
    assert outcomes[ours.name()]["reason"] == "live_event_harvest's job for event notified-game"
