"""Fault injection in the local stack, seen through unmodified boto3 clients."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import m3u8
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from devstack.config import Settings
from devstack.faults import DAMAGES, KINDS, FaultControl, FaultRegistry
from devstack.faults.damage import SEGMENT_DAMAGES
from devstack.net import free_port
from devstack.server import StackThread
from live_to_vod.verification import S3AssetStore, verify_vod_asset
from localrun.seed import TRUST_MEDIAPACKAGE, create_harvest_job, push_content, seed, vod_role_policy
from tests.support.damage import defect_named

REGION = "us-east-1"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})  # Config max_attempts counts retries
THREE_ATTEMPTS = Config(retries={"total_max_attempts": 3, "mode": "standard"})


def client(stack, name: str, config: Config = NO_RETRIES):
    session = boto3.session.Session(
        aws_access_key_id="local-stack", aws_secret_access_key="local-stack", region_name=REGION
    )
    return session.client(name, endpoint_url=stack.url, config=config)


@pytest.fixture
def faults(stack) -> FaultControl:
    return FaultControl(stack.url)


def error_of(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def refused(call: Callable[[], Any]) -> tuple[str, int]:
    """The error code and HTTP status ``call`` fails with."""
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised.value)


def test_no_faults_by_default(stack, faults):
    assert faults.list() == []
    assert stack.stack.faults.list() == []


# -- API faults --------------------------------------------------------------------------------------


def test_throttle_is_the_modeled_429(stack, faults):
    mp = client(stack, "mediapackage")
    rule = faults.add("throttle", service="mediapackage", operation="ListChannels", count=1)
    with pytest.raises(mp.exceptions.TooManyRequestsException) as raised:
        mp.list_channels()
    assert error_of(raised.value) == ("TooManyRequestsException", 429)
    assert mp.list_channels()["Channels"] == []  # count=1: the next call goes through
    assert faults.get(rule["id"])["fired"] == 1


def test_mediapackage_v2_faults_answer_with_its_own_modeled_errors(stack, faults):
    v2 = client(stack, "mediapackagev2")
    faults.add("throttle", service="mediapackagev2", operation="ListChannelGroups", count=1)
    with pytest.raises(v2.exceptions.ThrottlingException) as raised:
        v2.list_channel_groups()
    assert error_of(raised.value) == ("ThrottlingException", 429)
    faults.add("error", service="mediapackagev2", operation="ListChannelGroups", count=1)
    with pytest.raises(v2.exceptions.InternalServerException) as raised:
        v2.list_channel_groups()
    assert error_of(raised.value) == ("InternalServerException", 500)
    faults.add("throttle", service="mediapackagev2", count=2)
    retried = client(stack, "mediapackagev2", THREE_ATTEMPTS).list_channel_groups()
    assert retried["ResponseMetadata"]["RetryAttempts"] == 2  # botocore counts it as throttling


def test_throttle_is_retried_by_standard_mode(stack, faults):
    mp = client(stack, "mediapackage", THREE_ATTEMPTS)
    rule = faults.add("throttle", service="mediapackage", operation="ListChannels", count=2)
    response = mp.list_channels()
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert faults.get(rule["id"])["fired"] == 2


def test_error_is_a_5xx(stack, faults):
    vod = client(stack, "mediapackage-vod")
    faults.add("error", service="mediapackage-vod", operation="ListPackagingGroups", count=1, message="boom")
    with pytest.raises(vod.exceptions.InternalServerErrorException) as raised:
        vod.list_packaging_groups()
    assert error_of(raised.value) == ("InternalServerErrorException", 500)
    assert raised.value.response["Error"]["Message"] == "boom"
    # A 5xx is transient for botocore: retried.
    faults.add("error", service="mediapackage-vod", count=2)
    assert (
        client(stack, "mediapackage-vod", THREE_ATTEMPTS).list_packaging_groups()["ResponseMetadata"]["RetryAttempts"]
        == 2
    )


def test_s3_throttle_and_error(stack, faults):
    s3 = client(stack, "s3")
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="k", Body=b"data")
    faults.add("throttle", service="s3", operation="ListObjectsV2", count=1)
    assert refused(lambda: s3.list_objects_v2(Bucket="bkt")) == ("SlowDown", 503)
    faults.add("error", service="s3", operation="GetObject", count=1)
    assert refused(lambda: s3.get_object(Bucket="bkt", Key="k")) == ("InternalError", 500)
    assert s3.head_object(Bucket="bkt", Key="k")["ContentLength"] == 4  # GetObject rule, not HeadObject
    faults.add("throttle", service="s3", operation="HeadObject", count=1)
    assert refused(lambda: s3.head_object(Bucket="bkt", Key="k"))[1] == 503  # HEAD: no body, the status says it
    # SlowDown is throttling to botocore: retried, and the store's reads succeed.
    rule = faults.add("throttle", service="s3", operation="GetObject", count=2)
    retrying = client(stack, "s3", THREE_ATTEMPTS)
    assert retrying.get_object(Bucket="bkt", Key="k")["Body"].read() == b"data"
    assert faults.get(rule["id"])["fired"] == 2


def test_json_and_query_services_throttle(stack, faults):
    sqs, events, iam = client(stack, "sqs"), client(stack, "events"), client(stack, "iam")
    faults.add("throttle", service="sqs", operation="ListQueues", count=1)
    assert refused(sqs.list_queues) == ("ThrottlingException", 400)
    faults.add("throttle", service="events", operation="PutEvents", count=1)
    event = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    assert refused(lambda: events.put_events(Entries=[event])) == ("ThrottlingException", 400)
    faults.add("error", service="sqs", operation="CreateQueue", count=1)
    assert refused(lambda: sqs.create_queue(QueueName="q")) == ("InternalFailure", 500)
    faults.add("throttle", service="iam", operation="ListRoles", count=1)
    assert refused(iam.list_roles) == ("Throttling", 400)
    assert iam.list_roles()["Roles"] == []  # the body read for the Action is handed on intact
    # Each is classified as throttling by the retry handler: retried and then served.
    rule = faults.add("throttle", service="sqs", operation="CreateQueue", count=2)
    retrying = client(stack, "sqs", THREE_ATTEMPTS)
    assert retrying.create_queue(QueueName="q")["ResponseMetadata"]["RetryAttempts"] == 2
    assert faults.get(rule["id"])["fired"] == 2


def test_drop_closes_the_connection(stack, faults):
    mp = client(stack, "mediapackage")
    faults.add("drop", service="mediapackage", operation="ListChannels", count=1)
    with pytest.raises(ConnectionClosedError):  # what botocore raises when AWS hangs up
        mp.list_channels()
    rule = faults.add("drop", service="s3", count=2)
    s3 = client(stack, "s3", THREE_ATTEMPTS)
    s3.create_bucket(Bucket="bkt")  # two drops, then served
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["bkt"]
    assert faults.get(rule["id"])["fired"] == 2


def test_latency_adds_at_least_the_delay(stack, faults):
    mp = client(stack, "mediapackage")
    rule = faults.add("latency", service="mediapackage", operation="ListChannels", seconds=0.5, count=1)
    started = time.monotonic()
    assert mp.list_channels()["Channels"] == []
    assert time.monotonic() - started >= 0.5
    assert faults.get(rule["id"])["fired"] == 1


def test_rate_with_a_seed_is_reproducible(stack, faults):
    mp = client(stack, "mediapackage")

    def outcomes() -> list[bool]:
        out = []
        for _ in range(30):
            try:
                mp.list_channels()
                out.append(False)
            except mp.exceptions.TooManyRequestsException:
                out.append(True)
        return out

    rng = random.Random(42)
    expected = [rng.random() < 0.3 for _ in range(30)]
    first = faults.add("throttle", service="mediapackage", operation="ListChannels", rate=0.3, seed=42)
    assert outcomes() == expected
    assert faults.get(first["id"])["fired"] == sum(expected)
    faults.remove(first["id"])
    faults.add("throttle", service="mediapackage", operation="ListChannels", rate=0.3, seed=42)
    assert outcomes() == expected


def test_after_skips_and_rules_match_their_operation(stack, faults):
    mp = client(stack, "mediapackage")
    other = faults.add("throttle", service="mediapackage", operation="DescribeChannel", count=5)
    rule = faults.add("throttle", service="mediapackage", operation="List*", count=1, after=2)
    mp.list_channels()
    mp.list_origin_endpoints()
    with pytest.raises(mp.exceptions.TooManyRequestsException):
        mp.list_channels()
    mp.list_harvest_jobs()
    state = faults.get(rule["id"])
    assert (state["matched"], state["fired"]) == (4, 1)
    assert faults.get(other["id"])["fired"] == 0


# -- control -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"kind": "nope", "count": 1}, "kind"),
        ({"kind": {"not": "a name"}}, "kind"),
        ({"kind": "transcode_stuck"}, "seconds"),
        ({"kind": "transcode_fail", "code": 7}, "code"),
        ({"kind": "harvest_fail", "code": 1040}, "code"),
        ({"kind": "throttle"}, "count"),
        ({"kind": "throttle", "rate": 2}, "rate"),
        ({"kind": "throttle", "rate": 0.5, "count": 1}, "count"),
        ({"kind": "throttle", "count": 0}, "count"),
        ({"kind": "throttle", "count": 1, "after": -1}, "after"),
        ({"kind": "throttle", "count": 1, "service": 3}, "service"),
        ({"kind": "throttle", "count": 1, "bogus": 1}, "bogus"),
        ({"kind": "throttle", "count": 1, "job": "x"}, "job"),
        ({"kind": "latency", "count": 1}, "seconds"),
        ({"kind": "harvest_damage", "damage": "fire"}, "damage"),
        ({"kind": "harvest_stuck"}, "seconds"),
        ([1], "rule"),
    ],
)
def test_malformed_rules_are_refused_naming_the_field(stack, rule, field):
    request = urllib.request.Request(f"{stack.url}/_devstack/faults", data=json.dumps(rule).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 400
    body = json.loads(raised.value.read())
    assert body["field"] == field and field in body["message"]
    assert FaultControl(stack.url).list() == []


def test_admin_endpoints(stack, faults):
    request = urllib.request.Request(f"{stack.url}/_devstack/faults", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 400 and json.loads(raised.value.read())["field"] == "body"
    a = faults.add("throttle", service="s3", count=1)
    b = faults.add("harvest_damage", damage="gap")
    assert a["id"] != b["id"]
    assert b == {"id": b["id"], "kind": "harvest_damage", "damage": "gap", "job": "*", "count": 1, "after": 0,
                 "matched": 0, "fired": 0}  # fmt: skip
    assert [r["id"] for r in faults.list()] == [a["id"], b["id"]]
    faults.remove(a["id"])
    assert [r["id"] for r in faults.list()] == [b["id"]]
    with pytest.raises(ValueError, match="404"):
        faults.remove(a["id"])
    assert faults.clear() == 1
    assert faults.list() == []


def test_devstack_faults_environment(tmp_path, monkeypatch):
    rules = [
        {"kind": "throttle", "service": "mediapackage", "operation": "ListChannels", "count": 1},
        {"kind": "vod_fail", "asset": "bad-*", "message": "no"},
    ]
    registry = FaultRegistry.from_env({"DEVSTACK_FAULTS": json.dumps(rules)})
    assert [(r["kind"], r["count"]) for r in registry.list()] == [("throttle", 1), ("vod_fail", 1)]
    assert FaultRegistry.from_env({}).list() == []
    with pytest.raises(ValueError, match=r"DEVSTACK_FAULTS\[1\]\.rate"):
        FaultRegistry.from_env({"DEVSTACK_FAULTS": json.dumps([rules[0], {"kind": "drop", "rate": "x"}])})
    with pytest.raises(ValueError, match="not valid JSON"):
        FaultRegistry.from_env({"DEVSTACK_FAULTS": "[{"})
    # A stack started with the variable has the rules, and they act.
    monkeypatch.setenv("DEVSTACK_FAULTS", json.dumps(rules[:1]))
    with StackThread(Settings.from_env(port=free_port(), home=str(tmp_path / "env-stack"))) as running:
        mp = client(running, "mediapackage")
        with pytest.raises(mp.exceptions.TooManyRequestsException):
            mp.list_channels()
        assert FaultControl(running.url).list()[0]["fired"] == 1


# -- VOD ---------------------------------------------------------------------------------------------

CHILD = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T19:00:00.000+00:00
#EXTINF:2.000,
index_1_00001.ts
#EXT-X-ENDLIST
"""
PARENT = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.64001e",RESOLUTION=320x180\nindex_1.m3u8\n'


def test_vod_fail_ends_the_asset_failed(stack, faults):
    s3, iam, vod = client(stack, "s3"), client(stack, "iam"), client(stack, "mediapackage-vod")
    s3.create_bucket(Bucket="src")
    for key, body in (("a/index.m3u8", PARENT), ("a/index_1.m3u8", CHILD), ("a/index_1_00001.ts", "\x47" * 188)):
        s3.put_object(Bucket="src", Key=key, Body=body.encode())
    role = iam.create_role(RoleName="vod", AssumeRolePolicyDocument=json.dumps(TRUST_MEDIAPACKAGE))["Role"]["Arn"]
    iam.put_role_policy(RoleName="vod", PolicyName="read", PolicyDocument=json.dumps(vod_role_policy("src")))
    vod.create_packaging_group(Id="pg")
    vod.create_packaging_configuration(Id="hls", PackagingGroupId="pg", HlsPackage={"HlsManifests": [{}]})
    rule = faults.add("vod_fail", asset="bad-*", message="injected: source unreadable")
    for asset_id in ("bad-1", "good-1"):
        vod.create_asset(Id=asset_id, PackagingGroupId="pg", SourceArn="arn:aws:s3:::src/a/index.m3u8",
                         SourceRoleArn=role)  # fmt: skip
    final = {}
    deadline = time.monotonic() + 30
    while len(final) < 2 and time.monotonic() < deadline:
        for asset_id in ("bad-1", "good-1"):
            statuses = [e["Status"] for e in vod.describe_asset(Id=asset_id)["EgressEndpoints"]]
            if all(s in ("PLAYABLE", "FAILED") for s in statuses):
                final[asset_id] = statuses
        time.sleep(0.1)
    assert final == {"bad-1": ["FAILED"], "good-1": ["PLAYABLE"]}
    assert stack.stack.vod.assets[(REGION, "bad-1")].failure == "injected: source unreadable"
    assert faults.get(rule["id"])["fired"] == 1


# -- harvest jobs ------------------------------------------------------------------------------------


@pytest.fixture
def demo(stack, aws):
    """The seeded demo with 40 s of content, the stream ended."""
    setup = seed(stack.stack.settings, with_encoder=False)
    encoder = push_content(aws["mediapackage"], setup, preroll_seconds=40)
    setup["start"] = encoder.start.add(seconds=10)
    setup["end"] = encoder.start.add(seconds=20)
    return setup


def start_harvest(mp, demo, job_id: str) -> None:
    create_harvest_job(mp, demo, job_id, demo["start"], demo["end"])


def wait_for_jobs(mp, job_ids, timeout: float = 60) -> dict[str, str]:
    done: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(job_ids) and time.monotonic() < deadline:
        for job_id in set(job_ids) - set(done):
            status = mp.describe_harvest_job(Id=job_id)["Status"]
            if status != "IN_PROGRESS":
                done[job_id] = status
        time.sleep(0.05)
    return done


@pytest.mark.slow
def test_harvest_fail_and_stuck(stack, aws, demo, faults):
    mp, s3, sqs = aws["mediapackage"], aws["s3"], aws["sqs"]
    fail = faults.add("harvest_fail", job="fail-*", message="injected: the origin went away")
    stuck = faults.add("harvest_stuck", job="stuck-*", seconds=3)
    created = time.monotonic()
    for job_id in ("fail-1", "stuck-1", "ok-1"):
        start_harvest(mp, demo, job_id)
    # The stuck job's asset is complete while the job still reports IN_PROGRESS.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if s3.list_objects_v2(Bucket=demo["bucket"], Prefix="games/stuck-1/index.m3u8").get("KeyCount"):
            break
        time.sleep(0.05)
    assert mp.describe_harvest_job(Id="stuck-1")["Status"] == "IN_PROGRESS"
    assert wait_for_jobs(mp, ["fail-1", "stuck-1", "ok-1"]) == {
        "fail-1": "FAILED",
        "stuck-1": "SUCCEEDED",
        "ok-1": "SUCCEEDED",
    }
    assert time.monotonic() - created >= 3
    assert s3.list_objects_v2(Bucket=demo["bucket"], Prefix="games/fail-1/").get("KeyCount", 0) == 0
    messages = {}
    deadline = time.monotonic() + 20
    while len(messages) < 3 and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=demo["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            detail = json.loads(message["Body"])["detail"]
            messages[detail["harvest_job"]["id"]] = detail
    assert messages["fail-1"]["harvest_job"]["status"] == "FAILED"
    assert messages["fail-1"]["message"] == "injected: the origin went away"
    assert "message" not in messages["stuck-1"]
    assert (faults.get(fail["id"])["fired"], faults.get(stuck["id"])["fired"]) == (1, 1)


def test_a_stuck_job_is_released_when_its_rule_is_removed(stack, aws, demo, faults):
    mp, s3 = aws["mediapackage"], aws["s3"]
    stuck = faults.add("harvest_stuck", job="held-1", seconds=600)
    start_harvest(mp, demo, "held-1")
    deadline = time.monotonic() + 30
    while not s3.list_objects_v2(Bucket=demo["bucket"], Prefix="games/held-1/index.m3u8").get("KeyCount"):
        assert time.monotonic() < deadline, "the held job never wrote its asset"
        time.sleep(0.05)
    time.sleep(1)  # written, and held: the job would stay IN_PROGRESS ten minutes
    assert mp.describe_harvest_job(Id="held-1")["Status"] == "IN_PROGRESS"
    faults.remove(stuck["id"])
    assert wait_for_jobs(mp, ["held-1"], timeout=10) == {"held-1": "SUCCEEDED"}


@pytest.mark.slow
def test_harvest_damage(stack, aws, demo, faults):
    mp, s3 = aws["mediapackage"], aws["s3"]
    bucket = demo["bucket"]
    rules = {damage: faults.add("harvest_damage", job=f"dmg-{damage}", damage=damage) for damage in DAMAGES}
    for damage in (*DAMAGES, "intact"):
        start_harvest(mp, demo, f"dmg-{damage}")
    statuses = wait_for_jobs(mp, [f"dmg-{d}" for d in (*DAMAGES, "intact")])
    assert set(statuses.values()) == {"SUCCEEDED"}, statuses

    def text(key: str) -> str:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

    def keys(prefix: str) -> dict[str, int]:
        return {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}

    intact = m3u8.loads(text("games/dmg-intact/index_1.m3u8"))
    n = len(intact.segments)
    assert n >= 3
    middle = intact.segments[n // 2].uri
    for damage in DAMAGES:
        prefix = f"games/dmg-{damage}/"
        objects = keys(prefix)
        child_text = text(prefix + "index_1.m3u8") if prefix + "index_1.m3u8" in objects else ""
        if damage == "missing_segment":
            assert [s.uri for s in m3u8.loads(child_text).segments] == [s.uri for s in intact.segments]
            assert prefix + middle not in objects
        elif damage == "zero_byte_segment":
            assert objects[prefix + middle] == 0
        elif damage == "truncated_child":
            assert len(child_text) < len(text("games/dmg-intact/index_1.m3u8"))
            assert not child_text.endswith("\n") and "#EXT-X-ENDLIST" not in child_text
        elif damage == "missing_endlist":
            child = m3u8.loads(child_text)
            assert not child.is_endlist and len(child.segments) == n
        elif damage == "gap":
            child = m3u8.loads(child_text)
            assert [s.uri for s in child.segments] == [s.uri for s in intact.segments if s.uri != middle]
            after = child.segments[n // 2]
            before = child.segments[n // 2 - 1]
            assert after.program_date_time is not None and not after.discontinuity
            expected_end = before.current_program_date_time.timestamp() + before.duration
            assert after.program_date_time.timestamp() - expected_end >= intact.segments[n // 2].duration - 0.01
            assert prefix + middle not in objects
        elif damage == "missing_rendition":
            parent = m3u8.loads(text(prefix + "index.m3u8"))
            named = [p.uri for p in parent.playlists] + [m.uri for m in parent.media if m.uri]
            assert [u for u in named if prefix + u not in objects]
        elif damage == "truncated_segment":
            assert objects[prefix + middle] == 1000
        elif damage == "foreign_segment":
            assert objects[prefix + middle] != keys("games/dmg-intact/")["games/dmg-intact/" + middle]
        elif damage == "garbage_segment":
            assert objects[prefix + middle] == 200 * 1024
            assert s3.get_object(Bucket=bucket, Key=prefix + middle)["Body"].read(1) == b"\x47"
        # the damage inside a segment's bytes takes reading it; the rest shows in the listing
        segments = "full" if damage in SEGMENT_DAMAGES else "listing"
        report = verify_vod_asset(
            S3AssetStore(s3, bucket), prefix + "index.m3u8", demo["start"], demo["end"], segments=segments
        )
        assert defect_named(damage, {d.check for d in report.errors}), (damage, report.summary())
        assert faults.get(rules[damage]["id"])["fired"] == 1
    report = verify_vod_asset(
        S3AssetStore(s3, bucket), "games/dmg-intact/index.m3u8", demo["start"], demo["end"], segments="listing"
    )
    assert report.ok, report.summary()


def test_the_fault_page_names_every_kind_and_damage():
    page = (Path(__file__).resolve().parents[2] / "docs" / "devstack.md").read_text()
    for field_name, names in (("kind", KINDS), ("damage", DAMAGES)):
        row = next(line for line in page.splitlines() if line.startswith(f"| `{field_name}` |"))
        assert all(f"`{name}`" in row for name in names), row


def test_event_lost_ends_the_job_without_its_notification(stack, aws, demo, faults):
    mp, sqs = aws["mediapackage"], aws["sqs"]
    lost = faults.add("event_lost", job="lost-1")
    for job_id in ("lost-1", "told-1"):
        start_harvest(mp, demo, job_id)
    assert wait_for_jobs(mp, ["lost-1", "told-1"]) == {"lost-1": "SUCCEEDED", "told-1": "SUCCEEDED"}
    seen: set[str] = set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # long enough for the told job's message, and any other
        for message in sqs.receive_message(QueueUrl=demo["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            seen.add(json.loads(message["Body"])["detail"]["harvest_job"]["id"])
    assert "told-1" in seen and "lost-1" not in seen, seen
    assert faults.get(lost["id"])["fired"] == 1
