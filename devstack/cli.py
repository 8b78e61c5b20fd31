"""``python -m devstack``: run, seed and inspect the local AWS media stack.

python -m devstack start     # in the background; logs in $DEVSTACK_HOME/devstack.log
python -m devstack seed      # bucket, roles, channel, endpoint, VOD group, encoder (idempotent)
python -m devstack status
python -m devstack stop      # stops the encoder and the stack
python -m devstack serve     # in the foreground
python -m devstack topology  # the compose topology as processes (Postgres, Redis, Celery), until Ctrl-C
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from devstack.config import Settings

DEMO = {
    "region": "us-east-1",
    "bucket": "live-to-vod-demo",
    "harvest_role": "mediapackage-harvest",
    "vod_role": "mediapackage-vod-source",
    "channel_id": "demo-channel",
    "endpoint_id": "demo-hls",
    "world_endpoint_id": "demo-hls-world",  # a second endpoint on the channel: multi-endpoint events
    "packaging_group_id": "demo-vod",
    "packaging_configuration_id": "demo-vod-hls",
    "queue": "harvest-notifications",
    "rule": "mediapackage-harvest-notifications",
    "startover_seconds": 86400,
    "preroll_seconds": 900,
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


def _pid_alive(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def healthy(settings: Settings, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.public_url}/_devstack/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def start(settings: Settings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    pid_file = settings.home / "devstack.pid"
    if healthy(settings):
        print(f"local media stack already running at {settings.public_url}")
        return
    log_file = settings.home / "devstack.log"
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "serve"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={
                **os.environ,
                "DEVSTACK_HOST": settings.host,
                "DEVSTACK_PORT": str(settings.port),
                "DEVSTACK_HOME": str(settings.home),
            },
        )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the local media stack exited at start; see {log_file}")
        if healthy(settings):
            print(f"local media stack running at {settings.public_url} (pid {process.pid}, log {log_file})")
            return
        time.sleep(0.2)
    sys.exit(f"the local media stack did not become healthy in 60 s; see {log_file}")


def stop(settings: Settings) -> None:
    for name in ("encoder", "devstack"):
        pid_file = settings.home / f"{name}.pid"
        pid = _pid_alive(pid_file)
        if pid:
            os.killpg(pid, signal.SIGTERM) if _is_group_leader(pid) else os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not _pid_alive(pid_file):
                    break
                time.sleep(0.1)
            print(f"stopped {name} (pid {pid})")
        pid_file.unlink(missing_ok=True)


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def status(settings: Settings) -> int:
    up = healthy(settings)
    encoder = _pid_alive(settings.home / "encoder.pid")
    print(f"stack:   {'running' if up else 'stopped'} at {settings.public_url}")
    print(f"encoder: {f'running (pid {encoder})' if encoder else 'stopped'}")
    print(f"data:    {settings.home}")
    print(f"logs:    {settings.home / 'devstack.log'}, {settings.home / 'encoder.log'}")
    seed_file = settings.home / "seed.json"
    if seed_file.exists():
        print(f"seed:    {seed_file}")
    return 0 if up else 1


def clients(settings: Settings, region: str) -> dict[str, Any]:
    import boto3

    key, secret = next(iter(settings.credentials.items()))  # the stack refuses unsigned or unknown keys
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
    return {
        name: session.client(name, endpoint_url=settings.public_url)
        for name in ("s3", "iam", "mediapackage", "mediapackage-vod", "sqs", "events")
    }


def seed(settings: Settings, *, preroll_seconds: int | None = None, with_encoder: bool = True) -> dict[str, Any]:
    """Create the demo setup, or find it: running it twice changes nothing."""
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
    ):
        try:
            roles[name] = iam.get_role(RoleName=name)["Role"]["Arn"]
        except ClientError:
            roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="s3-access", PolicyDocument=json.dumps(policy))
    try:
        channel = mp.describe_channel(Id=demo["channel_id"])
    except mp.exceptions.NotFoundException:
        channel = mp.create_channel(Id=demo["channel_id"], Description="Demo channel of the local media stack")
    try:
        endpoint = mp.describe_origin_endpoint(Id=demo["endpoint_id"])
    except mp.exceptions.NotFoundException:
        endpoint = mp.create_origin_endpoint(
            ChannelId=demo["channel_id"],
            Id=demo["endpoint_id"],
            StartoverWindowSeconds=demo["startover_seconds"],
            TimeDelaySeconds=0,
            Origination="ALLOW",
            ManifestName="index",
            HlsPackage={
                "SegmentDurationSeconds": 2,
                "PlaylistWindowSeconds": 60,
                "ProgramDateTimeIntervalSeconds": 2,
            },
        )
    try:
        mp.describe_origin_endpoint(Id=demo["world_endpoint_id"])
    except mp.exceptions.NotFoundException:
        mp.create_origin_endpoint(
            ChannelId=demo["channel_id"],
            Id=demo["world_endpoint_id"],
            StartoverWindowSeconds=demo["startover_seconds"],
            Origination="DENY",
            ManifestName="world",
            HlsPackage={"SegmentDurationSeconds": 2, "PlaylistWindowSeconds": 60, "ProgramDateTimeIntervalSeconds": 2},
        )
    try:
        vod.describe_packaging_group(Id=demo["packaging_group_id"])
    except vod.exceptions.NotFoundException:
        vod.create_packaging_group(Id=demo["packaging_group_id"])
    try:
        vod.describe_packaging_configuration(Id=demo["packaging_configuration_id"])
    except vod.exceptions.NotFoundException:
        vod.create_packaging_configuration(
            Id=demo["packaging_configuration_id"],
            PackagingGroupId=demo["packaging_group_id"],
            HlsPackage={"HlsManifests": [{"ManifestName": "index"}], "SegmentDurationSeconds": 6},
        )
    queue_url = c["sqs"].create_queue(QueueName=demo["queue"])["QueueUrl"]
    queue_arn = c["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    c["events"].put_rule(
        Name=demo["rule"],
        EventPattern=json.dumps(
            {"source": ["aws.mediapackage"], "detail-type": ["MediaPackage HarvestJob Notification"]}
        ),
    )
    c["events"].put_targets(Rule=demo["rule"], Targets=[{"Id": "sqs", "Arn": queue_arn}])
    ingest = channel["HlsIngest"]["IngestEndpoints"][0]
    result = {
        **demo,
        "endpoint_url": settings.public_url,
        "harvest_role_arn": roles[demo["harvest_role"]],
        "vod_role_arn": roles[demo["vod_role"]],
        "origin_url": endpoint["Url"],
        "ingest_url": ingest["Url"],
        "queue_url": queue_url,
    }
    if with_encoder:
        result["encoder_started"] = start_encoder(settings, ingest, preroll_seconds or demo["preroll_seconds"])
    (settings.home / "seed.json").write_text(json.dumps(result, indent=2))
    return result


def start_encoder(settings: Settings, ingest: dict[str, str], preroll_seconds: int) -> bool:
    """Start the synthetic encoder on the channel unless it already runs; True if started now."""
    pid_file = settings.home / "encoder.pid"
    if _pid_alive(pid_file):
        return False
    with open(settings.home / "encoder.log", "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack.encoder",
                "--ingest-url",
                ingest["Url"],
                "--preroll",
                str(preroll_seconds),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={
                **os.environ,
                "DEVSTACK_INGEST_USERNAME": ingest["Username"],
                "DEVSTACK_INGEST_PASSWORD": ingest["Password"],
            },
        )
    pid_file.write_text(str(process.pid))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "seed", "serve", "clock", "demo", "topology"])
    parser.add_argument("--preroll", type=int, default=None, help="seed: seconds of back-dated content to push first")
    parser.add_argument("--no-encoder", action="store_true", help="seed: do not start the synthetic encoder")
    parser.add_argument("--advance-days", type=float, default=0, help="clock: move the retention clock forward")
    parser.add_argument("--workers", type=int, default=2, help="topology: how many Celery workers")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        from devstack.server import make_stack_server

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        server, stack = make_stack_server(settings)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        logging.getLogger("devstack").info(
            "local media stack listening on %s, data in %s", settings.public_url, settings.home
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stack.close()
        return 0
    if args.command == "demo":
        from devstack import demo

        return demo.main()
    if args.command == "start":
        start(settings)
    elif args.command == "stop":
        from devstack import demo

        demo.stop()
        stop(settings)
    elif args.command == "status":
        return status(settings)
    elif args.command == "seed":
        if not healthy(settings):
            start(settings)
        print(json.dumps(seed(settings, preroll_seconds=args.preroll, with_encoder=not args.no_encoder), indent=2))
    elif args.command == "topology":
        from devstack.topology import serve

        if not healthy(settings):
            start(settings)
        demo = seed(settings)
        return serve(settings.home.parent / "topology", stack_url=settings.public_url, seed=demo, workers=args.workers)
    elif args.command == "clock":
        request = urllib.request.Request(
            f"{settings.public_url}/_devstack/clock",
            data=json.dumps({"advance_seconds": args.advance_days * 86400}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as response:
            print(response.read().decode())
    return 0
