"""The demo setup in the local media stack, as ``make run``, the tests and the benches use it.

:func:`seed` creates (or finds: it is idempotent) the bucket, the harvest and VOD source roles made
from the deployment's own IAM documents, the demo channel with two origin endpoints, the VOD
packaging group and configuration, the notification queue and its EventBridge rule, and starts the
synthetic encoder on the channel. ``python -m localrun seed`` runs it. Tests and benches that want
content without the background encoder push it with :func:`push_content`, and harvest it with
:func:`create_harvest_job` and :func:`wait_for_harvest_job`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.cli import healthy, pid_alive, start
from devstack.config import Settings

if TYPE_CHECKING:
    import pendulum

    from devstack.encoder import LiveHlsEncoder

DEMO = {
    "region": "us-east-1",
    "bucket": "live-to-vod-demo",
    "harvest_role": "mediapackage-harvest",
    "vod_role": "mediapackage-vod-source",
    "mediaconvert_role": "mediaconvert-demo",
    "channel_id": "demo-channel",
    "endpoint_id": "demo-hls",
    "world_endpoint_id": "demo-hls-world",  # a second endpoint on the channel: multi-endpoint events
    "packaging_group_id": "demo-vod",
    "packaging_configuration_id": "demo-vod-hls",
    "queue": "harvest-notifications",
    "rule": "mediapackage-harvest-notifications",
    "mediaconvert_rule": "mediaconvert-job-completions",
    "startover_seconds": 86400,
    "preroll_seconds": 900,
}

# MediaConvert jobs that ended, to the same queue (the CloudFormation template's second rule): a
# waiting transcode wakes on its job's event.
MEDIACONVERT_COMPLETIONS = {
    "source": ["aws.mediaconvert"],
    "detail-type": ["MediaConvert Job State Change"],
    "detail": {"status": ["COMPLETE", "ERROR", "CANCELED"]},
}

# MediaPackage v2: named resources, policies instead of roles. One CMAF endpoint with HLS, Low-Latency
# HLS and DASH manifests, one TS endpoint with HLS.
DEMO_V2 = {
    "channel_group": "demo-group",
    "channel": "demo-v2-channel",
    "cmaf_endpoint": "demo-cmaf",
    "ts_endpoint": "demo-ts",
    "startover_seconds": 86400,
}

# The seeded roles carry the deployment's own IAM documents (deploy/aws/iam/, also in the
# CloudFormation template), so the stack's policy checks exercise exactly what AWS gets.
# $DEVSTACK_IAM_DIR says where they are when the package is installed without the repository.
IAM_DIR = Path(os.environ.get("DEVSTACK_IAM_DIR") or Path(__file__).resolve().parents[1] / "deploy" / "aws" / "iam")


def iam_document(name: str, **values: str) -> dict[str, Any]:
    """The IAM document ``deploy/aws/iam/<name>`` with its ``${Placeholder}``s filled in from ``values``."""
    text = (IAM_DIR / name).read_text()
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text))


TRUST_MEDIAPACKAGE = iam_document("vod-source-role-trust.json")


def harvest_role_trust(account_id: str) -> dict[str, Any]:
    return iam_document("harvest-role-trust.json", AccountId=account_id)


def harvest_role_policy(bucket: str) -> dict[str, Any]:
    return iam_document("harvest-role-permissions.json", Partition="aws", BucketName=bucket)


def vod_role_policy(bucket: str) -> dict[str, Any]:
    return iam_document("vod-source-role-permissions.json", Partition="aws", BucketName=bucket)


def mediaconvert_role_trust(account_id: str) -> dict[str, Any]:
    return iam_document("mediaconvert-role-trust.json", AccountId=account_id)


def mediaconvert_role_policy(bucket: str) -> dict[str, Any]:
    return iam_document("mediaconvert-role-permissions.json", Partition="aws", BucketName=bucket)


def v2_endpoint_policy(account_id: str, region: str, group: str, channel: str, endpoint: str) -> dict[str, Any]:
    names = {"ChannelGroupName": group, "ChannelName": channel, "OriginEndpointName": endpoint}
    return iam_document("v2-endpoint-policy.json", Partition="aws", Region=region, AccountId=account_id, **names)


def v2_bucket_policy(account_id: str, region: str, bucket: str) -> dict[str, Any]:
    return iam_document(
        "v2-bucket-policy.json", Partition="aws", Region=region, AccountId=account_id, BucketName=bucket
    )


def v2_channel_policy(account_id: str, region: str, group: str, channel: str, encoder_arn: str) -> dict[str, Any]:
    return iam_document(
        "v2-channel-policy.json",
        Partition="aws",
        Region=region,
        AccountId=account_id,
        ChannelGroupName=group,
        ChannelName=channel,
        EncoderPrincipalArn=encoder_arn,
    )


def ingest_by_address(channel_arn: str, cidr: str) -> dict[str, Any]:
    """A v2 channel policy for an encoder that cannot sign (ffmpeg): anyone pushing from ``cidr``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowUnsignedPushesFromTheEncodersAddress",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "mediapackagev2:PutObject",
                "Resource": channel_arn,
                "Condition": {"IpAddress": {"aws:SourceIp": cidr}},
            }
        ],
    }


def encoder_identity(settings: Settings) -> str:
    """The IAM identity the local stack sees behind its first access key (how the encoder signs)."""
    key = next(iter(settings.credentials))
    return f"arn:aws:iam::{settings.account_id}:user/{key}"


def seed_v2(settings: Settings, c: dict[str, Any], bucket: str, region: str) -> dict[str, Any]:
    """The v2 half of the demo: channel group, channel (its policy lets the encoder push), a CMAF and a TS
    endpoint (their policies let harvest jobs read), and the bucket policy letting harvests write."""
    v2 = c["mediapackagev2"]
    demo = dict(DEMO_V2)
    group, channel_name = demo["channel_group"], demo["channel"]
    found_or_created(
        v2.exceptions.ResourceNotFoundException,
        lambda: v2.get_channel_group(ChannelGroupName=group),
        lambda: v2.create_channel_group(ChannelGroupName=group, Description="Demo channel group"),
    )
    channel = found_or_created(
        v2.exceptions.ResourceNotFoundException,
        lambda: v2.get_channel(ChannelGroupName=group, ChannelName=channel_name),
        lambda: v2.create_channel(ChannelGroupName=group, ChannelName=channel_name, InputType="HLS"),
    )
    policy = v2_channel_policy(settings.account_id, region, group, channel_name, encoder_identity(settings))
    v2.put_channel_policy(ChannelGroupName=group, ChannelName=channel_name, Policy=json.dumps(policy))
    endpoints = {
        demo["cmaf_endpoint"]: {
            "ContainerType": "CMAF",
            "HlsManifests": [
                {"ManifestName": "index", "ManifestWindowSeconds": 60, "ProgramDateTimeIntervalSeconds": 2}
            ],
            "LowLatencyHlsManifests": [{"ManifestName": "low-latency", "ManifestWindowSeconds": 60}],
            "DashManifests": [{"ManifestName": "dash", "ManifestWindowSeconds": 60}],
        },
        demo["ts_endpoint"]: {
            "ContainerType": "TS",
            "HlsManifests": [
                {"ManifestName": "index", "ManifestWindowSeconds": 60, "ProgramDateTimeIntervalSeconds": 2}
            ],
        },
    }
    made = {}
    for name, settings_of in endpoints.items():
        made[name] = found_or_created(
            v2.exceptions.ResourceNotFoundException,
            lambda name=name: v2.get_origin_endpoint(
                ChannelGroupName=group, ChannelName=channel_name, OriginEndpointName=name
            ),
            lambda name=name, settings_of=settings_of: v2.create_origin_endpoint(
                ChannelGroupName=group,
                ChannelName=channel_name,
                OriginEndpointName=name,
                StartoverWindowSeconds=demo["startover_seconds"],
                Segment={"SegmentDurationSeconds": 2, "SegmentName": "segment"},
                **settings_of,
            ),
        )
        endpoint_policy = v2_endpoint_policy(settings.account_id, region, group, channel_name, name)
        v2.put_origin_endpoint_policy(
            ChannelGroupName=group,
            ChannelName=channel_name,
            OriginEndpointName=name,
            Policy=json.dumps(endpoint_policy),
        )
    c["s3"].put_bucket_policy(Bucket=bucket, Policy=json.dumps(v2_bucket_policy(settings.account_id, region, bucket)))
    return {
        **demo,
        "ingest_url": channel["IngestEndpoints"][0]["Url"],
        "manifests": {
            name: [
                m["Url"]
                for kind in ("HlsManifests", "LowLatencyHlsManifests", "DashManifests")
                for m in e.get(kind, [])
            ]
            for name, e in made.items()
        },
    }


def clients(settings: Settings, region: str) -> dict[str, Any]:
    import boto3

    key, secret = next(iter(settings.credentials.items()))  # the stack refuses unsigned or unknown keys
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
    return {
        name: session.client(name, endpoint_url=settings.public_url)
        for name in ("s3", "iam", "mediapackage", "mediapackage-vod", "mediapackagev2", "mediaconvert", "sqs", "events")
    }


def found_or_created(missing: type[Exception], describe: Callable[[], Any], create: Callable[[], Any]) -> Any:
    """What ``describe`` finds, or, when it raises ``missing``, what ``create`` makes."""
    try:
        return describe()
    except missing:
        return create()


def seed(
    settings: Settings,
    *,
    preroll_seconds: int | None = None,
    with_encoder: bool = True,
    with_v2_encoder: bool | None = None,
) -> dict[str, Any]:
    """Create the demo setup, or find it: running it twice changes nothing. ``with_encoder`` starts
    the v1 channel's encoder; ``with_v2_encoder`` (default: the same) the v2 channel's."""
    from botocore.exceptions import ClientError

    demo = dict(DEMO)
    c = clients(settings, demo["region"])
    s3, iam, mp, vod = c["s3"], c["iam"], c["mediapackage"], c["mediapackage-vod"]
    bucket = demo["bucket"]
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    roles = {}
    for name, trust, policy in (
        (demo["harvest_role"], harvest_role_trust(settings.account_id), harvest_role_policy(bucket)),
        (demo["vod_role"], TRUST_MEDIAPACKAGE, vod_role_policy(bucket)),
        (demo["mediaconvert_role"], mediaconvert_role_trust(settings.account_id), mediaconvert_role_policy(bucket)),
    ):
        try:
            roles[name] = iam.get_role(RoleName=name)["Role"]["Arn"]
        except ClientError:
            roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="s3-access", PolicyDocument=json.dumps(policy))
    channel = found_or_created(
        mp.exceptions.NotFoundException,
        lambda: mp.describe_channel(Id=demo["channel_id"]),
        lambda: mp.create_channel(Id=demo["channel_id"], Description="Demo channel of the local media stack"),
    )

    def origin_endpoint(endpoint_id: str, manifest: str, origination: str) -> dict[str, Any]:
        return found_or_created(
            mp.exceptions.NotFoundException,
            lambda: mp.describe_origin_endpoint(Id=endpoint_id),
            lambda: mp.create_origin_endpoint(
                ChannelId=demo["channel_id"],
                Id=endpoint_id,
                StartoverWindowSeconds=demo["startover_seconds"],
                TimeDelaySeconds=0,
                Origination=origination,
                ManifestName=manifest,
                HlsPackage={
                    "SegmentDurationSeconds": 2,
                    "PlaylistWindowSeconds": 60,
                    "ProgramDateTimeIntervalSeconds": 2,
                },
            ),
        )

    endpoint = origin_endpoint(demo["endpoint_id"], "index", "ALLOW")
    origin_endpoint(demo["world_endpoint_id"], "world", "DENY")
    found_or_created(
        vod.exceptions.NotFoundException,
        lambda: vod.describe_packaging_group(Id=demo["packaging_group_id"]),
        lambda: vod.create_packaging_group(Id=demo["packaging_group_id"]),
    )
    found_or_created(
        vod.exceptions.NotFoundException,
        lambda: vod.describe_packaging_configuration(Id=demo["packaging_configuration_id"]),
        lambda: vod.create_packaging_configuration(
            Id=demo["packaging_configuration_id"],
            PackagingGroupId=demo["packaging_group_id"],
            HlsPackage={"HlsManifests": [{"ManifestName": "index"}], "SegmentDurationSeconds": 6},
        ),
    )
    queue_url = c["sqs"].create_queue(QueueName=demo["queue"])["QueueUrl"]
    queue_arn = c["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    c["events"].put_rule(
        Name=demo["rule"],
        # v1 and v2 harvest jobs, as the CloudFormation template's rule.
        EventPattern=json.dumps(
            {
                "source": ["aws.mediapackage", "aws.mediapackagev2"],
                "detail-type": ["MediaPackage HarvestJob Notification", "MediaPackageV2 HarvestJob Notification"],
            }
        ),
    )
    c["events"].put_targets(Rule=demo["rule"], Targets=[{"Id": "sqs", "Arn": queue_arn}])
    c["events"].put_rule(Name=demo["mediaconvert_rule"], EventPattern=json.dumps(MEDIACONVERT_COMPLETIONS))
    c["events"].put_targets(Rule=demo["mediaconvert_rule"], Targets=[{"Id": "sqs", "Arn": queue_arn}])
    ingest = channel["HlsIngest"]["IngestEndpoints"][0]
    v2 = seed_v2(settings, c, bucket, demo["region"])
    result = {
        **demo,
        "endpoint_url": settings.public_url,
        "harvest_role_arn": roles[demo["harvest_role"]],
        "vod_role_arn": roles[demo["vod_role"]],
        "mediaconvert_role_arn": roles[demo["mediaconvert_role"]],
        "origin_url": endpoint["Url"],
        "ingest_url": ingest["Url"],
        "queue_url": queue_url,
        "v2": v2,
    }
    if with_encoder:
        result["encoder_started"] = start_encoder(settings, ingest, preroll_seconds or demo["preroll_seconds"])
    if with_encoder if with_v2_encoder is None else with_v2_encoder:
        result["v2_encoder_started"] = start_encoder_v2(settings, result, preroll_seconds or demo["preroll_seconds"])
    settings.seed_file.write_text(json.dumps(result, indent=2))
    return result


def start_encoder(settings: Settings, ingest: dict[str, str], preroll_seconds: int) -> bool:
    """Start the synthetic encoder on the v1 channel unless it already runs; True if started now."""
    env = {"DEVSTACK_INGEST_USERNAME": ingest["Username"], "DEVSTACK_INGEST_PASSWORD": ingest["Password"]}
    return _start_encoder_process(settings, "encoder", ["--ingest-url", ingest["Url"]], env, preroll_seconds)


def start_encoder_v2(settings: Settings, demo: dict[str, Any], preroll_seconds: int) -> bool:
    """Start the synthetic encoder on the v2 channel, signing its pushes with the stack's credentials
    (the channel policy names that identity, as MediaLive's would be), unless it already runs."""
    key, secret = next(iter(settings.credentials.items()))
    args = ["--ingest-url", demo["v2"]["ingest_url"], "--sigv4", demo["region"]]
    env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    return _start_encoder_process(settings, "encoder-v2", args, env, preroll_seconds)


def _start_encoder_process(
    settings: Settings, name: str, args: list[str], env: dict[str, str], preroll_seconds: int
) -> bool:
    pid_file = settings.pid_file(name)
    if pid_alive(pid_file):
        return False
    with open(settings.log_file(name), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.encoder", *args, "--preroll", str(preroll_seconds)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **env},
        )
    pid_file.write_text(str(process.pid))
    return True


def seeded(settings: Settings, **options: Any) -> dict[str, Any]:
    """:func:`seed` (``options``), the stack started first unless it runs."""
    if not healthy(settings):
        start(settings)
    return seed(settings, **options)


# -- using the demo setup -------------------------------------------------------------------------


def push_content(mp: Any, demo: dict[str, Any], preroll_seconds: float) -> LiveHlsEncoder:
    """Push ``preroll_seconds`` of back-dated content through the demo channel's ingest URL and end the
    stream; the returned encoder says where the content starts (``encoder.start``)."""
    from devstack.encoder import LiveHlsEncoder

    ingest = mp.describe_channel(Id=demo["channel_id"])["HlsIngest"]["IngestEndpoints"][0]
    encoder = LiveHlsEncoder(ingest["Url"], ingest["Username"], ingest["Password"])
    encoder.run(preroll_seconds=preroll_seconds, duration_seconds=0)
    return encoder


def push_content_v2(settings: Settings, demo: dict[str, Any], preroll_seconds: float) -> LiveHlsEncoder:
    """:func:`push_content` for the v2 channel: the encoder signs its pushes (SigV4), as MediaLive does."""
    from devstack.encoder import LiveHlsEncoder
    from devstack.encoder.signing import SigV4PushAuth

    key, secret = next(iter(settings.credentials.items()))
    auth = SigV4PushAuth(key, secret, demo["region"])
    encoder = LiveHlsEncoder(demo["v2"]["ingest_url"], auth=auth)
    encoder.run(preroll_seconds=preroll_seconds, duration_seconds=0)
    return encoder


def create_harvest_job(
    mp: Any,
    demo: dict[str, Any],
    job_id: str,
    start: pendulum.DateTime,
    end: pendulum.DateTime,
    manifest_key: str | None = None,
    **destination: str,
) -> dict[str, Any]:
    """A harvest job of [start, end) on the demo endpoint into the demo bucket, with the demo's harvest role;
    the manifest at ``games/<job id>/index.m3u8`` unless given, ``destination`` overriding S3Destination."""
    return mp.create_harvest_job(
        Id=job_id,
        OriginEndpointId=demo["endpoint_id"],
        StartTime=start.to_iso8601_string(),
        EndTime=end.to_iso8601_string(),
        S3Destination={
            "BucketName": demo["bucket"],
            "ManifestKey": manifest_key or f"games/{job_id}/index.m3u8",
            "RoleArn": demo["harvest_role_arn"],
            **destination,
        },
    )


def wait_for_harvest_job(mp: Any, job_id: str, timeout: float = 60, poll: float = 0.05) -> dict[str, Any]:
    """The job once it has left IN_PROGRESS; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = mp.describe_harvest_job(Id=job_id)
        if job["Status"] != "IN_PROGRESS":
            return job
        time.sleep(poll)
    raise TimeoutError(f"harvest job {job_id} still IN_PROGRESS after {timeout} s")
