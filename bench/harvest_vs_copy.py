"""Harvest throughput of the local media stack against a plain S3 copy loop, measured in the same run.

    .venv/bin/python bench/harvest_vs_copy.py [--minutes 60] [--renditions 3]

1. Starts the stack as its own process (``python -m devstack serve``) on a free port.
2. Pushes ``--minutes`` of back-dated live content (``--renditions`` video renditions, 2 s
   segments) through the ingest URL with the synthetic encoder.
3. Harvests the whole window and times CreateHarvestJob -> SUCCEEDED.
4. Baseline: a plain loop of S3 CopyObject calls over exactly the objects the harvest wrote.
Prints segments/s and bytes/s for both and their ratio (target: harvest >= 1.0x the copy loop).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pendulum

from devstack.net import free_port

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--renditions", type=int, default=3, help="video renditions (no audio), 1-3")
    args = parser.parse_args()

    from devstack.cli import healthy
    from devstack.config import Settings
    from devstack.encoder import DEFAULT_RENDITIONS, LiveHlsEncoder
    from localrun.seed import create_harvest_job, seed, wait_for_harvest_job

    port = free_port()
    home = Path(tempfile.mkdtemp(prefix="bench-devstack-"))
    env = {**os.environ, "DEVSTACK_PORT": str(port), "DEVSTACK_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "devstack", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(home / "devstack.log", "wb"),
    )
    try:
        settings = Settings.from_env(port=port, home=str(home))
        while not healthy(settings):
            time.sleep(0.1)
        demo = seed(settings, with_encoder=False)
        session = boto3.session.Session(
            aws_access_key_id="local-stack", aws_secret_access_key="local-stack", region_name="us-east-1"
        )
        mp = session.client("mediapackage", endpoint_url=settings.public_url)
        s3 = session.client("s3", endpoint_url=settings.public_url)
        ingest = mp.describe_channel(Id=demo["channel_id"])["HlsIngest"]["IngestEndpoints"][0]

        videos = tuple(r for r in DEFAULT_RENDITIONS if r.kind == "video")[: args.renditions]
        encoder = LiveHlsEncoder(ingest["Url"], ingest["Username"], ingest["Password"], renditions=videos)
        t0 = time.perf_counter()
        encoder.run(preroll_seconds=args.minutes * 60 + 4, duration_seconds=0)
        push_seconds = time.perf_counter() - t0
        start = encoder.start.add(seconds=1)
        end = start.add(seconds=int(args.minutes * 60))
        print(f"pushed {args.minutes:g} min x {len(videos)} renditions through ingest in {push_seconds:.1f} s")

        t0 = time.perf_counter()
        create_harvest_job(mp, demo, "bench", start, end, manifest_key="bench/index.m3u8")
        status = wait_for_harvest_job(mp, "bench", timeout=3600)["Status"]
        harvest_seconds = time.perf_counter() - t0
        if status != "SUCCEEDED":
            print(f"harvest {status}; see {home / 'devstack.log'}")
            return 1

        objects = [
            o
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=demo["bucket"], Prefix="bench/")
            for o in page.get("Contents", [])
        ]
        segments = [o for o in objects if o["Key"].endswith(".ts")]
        total_bytes = sum(o["Size"] for o in objects)

        t0 = time.perf_counter()
        for obj in objects:
            s3.copy_object(
                Bucket=demo["bucket"],
                Key="copy/" + obj["Key"],
                CopySource={"Bucket": demo["bucket"], "Key": obj["Key"]},
            )
        copy_seconds = time.perf_counter() - t0

        result = {
            "date": pendulum.now("UTC").to_date_string(),
            "window_minutes": args.minutes,
            "renditions": len(videos),
            "objects": len(objects),
            "segments": len(segments),
            "bytes": total_bytes,
            "harvest_seconds": round(harvest_seconds, 2),
            "copy_loop_seconds": round(copy_seconds, 2),
            "harvest_segments_per_second": round(len(segments) / harvest_seconds, 1),
            "copy_segments_per_second": round(len(segments) / copy_seconds, 1),
            "harvest_mb_per_second": round(total_bytes / harvest_seconds / 1e6, 1),
            "copy_mb_per_second": round(total_bytes / copy_seconds / 1e6, 1),
            "ratio_harvest_over_copy": round(copy_seconds / harvest_seconds, 2),
            "target_ratio_min": 1.0,
        }
        print(json.dumps(result, indent=2))
        from recording import record  # bench/ is sys.path[0] when run as a script

        record("harvest_vs_copy", result, sys.argv)
        print(
            f"harvest: {result['harvest_segments_per_second']} segments/s, {result['harvest_mb_per_second']} MB/s; "
            f"copy loop: {result['copy_segments_per_second']} segments/s, {result['copy_mb_per_second']} MB/s; "
            f"ratio {result['ratio_harvest_over_copy']}x (target >= {result['target_ratio_min']})"
        )
        return 0 if result["ratio_harvest_over_copy"] >= result["target_ratio_min"] else 2
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
