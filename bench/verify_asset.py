"""The verify step on a large harvested asset against a one-HEAD-per-segment loop, in the same run.

    .venv/bin/python bench/verify_asset.py [--hours 1] [--renditions 6]
    .venv/bin/python bench/verify_asset.py --hours 24 --renditions 6    # full size, ~260,000 objects

1. Runs the local media stack in this process (``StackThread``) on a free port, temp data dir.
2. Builds a synthetic harvested asset of ``--hours`` x ``--renditions`` video renditions x 2 s
   segments in the exact layout the stack's harvester writes (``bench/index.m3u8``,
   ``bench/index_<i>.m3u8``, ``bench/index_<i>_<seq:05d>.ts``; playlists from
   ``devstack.playlists``, with the m3u8 library), written into S3 through moto's backend (no
   HTTP: 260,000 PUTs would take longer than the measurements). Every segment object of a
   rendition holds the same real 2 s MPEG-TS segment made once by ``SegmentFactory``, so the
   first and last segment, which verify decodes, are real media.
3. Verify: ``verify_vod_asset(S3AssetStore(s3, bucket), ..., segments="sampled")`` with a
   boto3 client over HTTP, as the pipeline runs it; it must report OK.
4. Baseline: GET and parse the same playlists with m3u8, then ``HeadObject`` every segment
   sequentially, checking it exists and is not empty (verify's existence check, the naive way).

Prints both request counts and times and the ratio (baseline seconds / verify seconds).
Targets: verify makes <= 300 S3 requests (the full size needs 279) and is >= 10x faster than
the baseline. Exits 1 if verify does not report OK, 2 if a target is missed.

The boto3 client and the stack share this process (and its GIL) for both measurements alike,
so the ratio is fair; absolute times are higher than against a stack in its own process.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import boto3
import m3u8
import pendulum
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.net import free_port

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "bench-verify"
MANIFEST_KEY = "bench/index.m3u8"
SEGMENT_SECONDS = 2
MAX_VERIFY_REQUESTS = 300
MIN_RATIO = 10.0
# A compact ladder: every object holds a real segment, and moto keeps every object in memory
# (24 h x 6 renditions x ~21 KB = ~5.6 GB). Sizes do not enter the measurement: the listing
# returns sizes, HEAD returns no body, and verify reads only 2 segments per rendition.
LADDER = ((192, 108, 24_000), (224, 126, 28_000), (256, 144, 32_000), (288, 162, 36_000), (320, 180, 40_000),
          (352, 198, 44_000))  # fmt: skip


def build_asset(sibling, renditions, start: pendulum.DateTime, end: pendulum.DateTime) -> dict:
    """Write the asset into S3 on the service side, as the harvester does; return what was written."""
    from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
    from devstack.encoder import FPS, SegmentFactory
    from devstack.harvest import asset_layout
    from devstack.ingest import Rendition as StackRendition
    from devstack.ingest import Segment, Variant
    from devstack.playlists import media_playlist, multivariant

    factory = SegmentFactory(renditions, segment_seconds=SEGMENT_SECONDS)
    prefix, stem = asset_layout(MANIFEST_KEY)
    # The stream's first segment starts on a segment boundary at or before the window start; the
    # harvest keeps the segment containing the start through the one containing the end.
    first_ms = int(start.timestamp()) // SEGMENT_SECONDS * SEGMENT_SECONDS * 1000
    count = math.ceil((end.timestamp() * 1000 - first_ms) / (SEGMENT_SECONDS * 1000))
    first_seq = 1
    objects = segments_written = total_bytes = 0
    variants = []
    for i, rendition in enumerate(renditions, start=1):
        body = factory.segment(rendition, 0)
        segments = [
            Segment(
                seq=first_seq + n,
                start_ms=first_ms + n * SEGMENT_SECONDS * 1000,
                duration=float(SEGMENT_SECONDS),
                path=Path("/dev/null"),
                size=len(body),
                discontinuity=False,
                discontinuities_before=0,
            )
            for n in range(count)
        ]
        for segment in segments:
            sibling.put_object(BUCKET, f"{prefix}{stem}_{i}_{segment.seq:05d}.ts", body, TS_CONTENT_TYPE)
        child = media_playlist(
            segments, lambda s, i=i: f"{stem}_{i}_{s.seq:05d}.ts", version=3, vod=True, pdt_interval_seconds=None
        )
        sibling.put_object(BUCKET, f"{prefix}{stem}_{i}.m3u8", child.encode(), HLS_CONTENT_TYPE)
        peak, average = factory.bitrates(rendition)
        attributes = {
            "bandwidth": peak,
            "average_bandwidth": average,
            "codecs": factory.codecs(rendition),
            "resolution": f"{rendition.width}x{rendition.height}",
            "frame_rate": float(FPS),
        }
        variants.append((StackRendition(f"{stem}_{i}.m3u8", Path("/dev/null")), Variant("stream", attributes)))
        objects += count + 1
        segments_written += count
        total_bytes += count * len(body) + len(child)
    parent = multivariant(variants, lambda i: f"{stem}_{i}.m3u8")
    sibling.put_object(BUCKET, MANIFEST_KEY, parent.encode(), HLS_CONTENT_TYPE)
    return {
        "objects": objects + 1,
        "segments": segments_written,
        "segments_per_rendition": count,
        "bytes": total_bytes + len(parent),
    }


def timed_store(s3, bucket: str):
    """An S3AssetStore that also adds up the seconds spent in ListObjectsV2 calls."""
    from live_to_vod.verification import S3AssetStore

    class TimedStore(S3AssetStore):
        list_seconds = 0.0

        def list_objects(self, prefix):
            pages = super().list_objects(prefix)
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(pages)
                except StopIteration:
                    self.list_seconds += time.perf_counter() - t0
                    return
                self.list_seconds += time.perf_counter() - t0
                yield item

    return TimedStore(s3, bucket)


def head_every_segment(s3, bucket: str, manifest_key: str) -> dict:
    """The naive existence check: parse the playlists, then one HeadObject per segment."""
    prefix = manifest_key.rsplit("/", 1)[0] + "/"
    requests = 0

    def read(key: str) -> m3u8.M3U8:
        nonlocal requests
        requests += 1
        return m3u8.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())

    segments = missing = empty = 0
    for variant in read(manifest_key).playlists:
        for segment in read(prefix + variant.uri).segments:
            segments += 1
            requests += 1
            try:
                head = s3.head_object(Bucket=bucket, Key=prefix + segment.uri)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    missing += 1
                    continue
                raise
            if head["ContentLength"] <= 0:
                empty += 1
    return {"requests": requests, "segments": segments, "missing": missing, "empty": empty}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1, help="window length (24 = full size)")
    parser.add_argument("--renditions", type=int, default=6, help=f"video renditions, 1-{len(LADDER)}")
    args = parser.parse_args()
    if not 0 < args.hours <= 24 or not 1 <= args.renditions <= len(LADDER):
        parser.error(f"--hours must be in (0, 24], --renditions in 1..{len(LADDER)}")

    from devstack.aws import Sibling
    from devstack.config import Settings
    from devstack.encoder import Rendition
    from devstack.server import StackThread
    from live_to_vod.verification import verify_vod_asset

    renditions = [Rendition(f"video_{h}p", "video", w, h, b) for w, h, b in LADDER[: args.renditions]]
    home = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    settings = Settings.from_env(port=free_port(), home=str(home))
    with StackThread(settings) as stack:
        session = boto3.session.Session(
            aws_access_key_id="local-stack", aws_secret_access_key="local-stack", region_name="us-east-1"
        )
        s3 = session.client(
            "s3", endpoint_url=stack.url, config=Config(retries={"max_attempts": 3, "mode": "standard"})
        )
        s3.create_bucket(Bucket=BUCKET)

        # A fake but consistent timeline: the window starts 1 s into a segment, a day ago.
        start = pendulum.now("UTC").start_of("hour").subtract(days=1, hours=math.ceil(args.hours)).add(seconds=1)
        end = start.add(seconds=round(args.hours * 3600))
        t0 = time.perf_counter()
        asset = build_asset(Sibling(settings.account_id), renditions, start, end)
        build_seconds = time.perf_counter() - t0
        print(
            f"built {asset['objects']:,} objects ({asset['segments']:,} segments, {asset['bytes'] / 1e6:,.0f} MB) "
            f"in moto's backend in {build_seconds:.1f} s",
            flush=True,
        )
        # Hundreds of thousands of long-lived moto objects: keep the cyclic GC from rescanning
        # them during both measurements alike.
        gc.collect()
        gc.freeze()

        store = timed_store(s3, BUCKET)
        t0 = time.perf_counter()
        report = verify_vod_asset(store, MANIFEST_KEY, start, end, segments="sampled")
        verify_seconds = time.perf_counter() - t0
        if not report.ok:
            print(report.summary())
            return 1
        assert report.segment_count == asset["segments"], (report.segment_count, asset["segments"])
        print(
            f"verify: OK, {store.requests} S3 requests ({store.list_requests} ListObjectsV2 pages, "
            f"{store.get_requests} GetObject) in {verify_seconds:.1f} s, {store.list_seconds:.1f} s of it listing",
            flush=True,
        )

        t0 = time.perf_counter()
        baseline = head_every_segment(s3, BUCKET, MANIFEST_KEY)
        baseline_seconds = time.perf_counter() - t0
        if baseline["segments"] != asset["segments"] or baseline["missing"] or baseline["empty"]:
            print(f"baseline disagrees with the asset: {baseline}")
            return 1

        ratio = baseline_seconds / verify_seconds
        full_size = args.hours >= 24 and args.renditions >= 6
        result = {
            "date": pendulum.now("UTC").to_date_string(),
            "hours": args.hours,
            "renditions": len(renditions),
            "segment_seconds": SEGMENT_SECONDS,
            "objects": asset["objects"],
            "segments": asset["segments"],
            "bytes": asset["bytes"],
            "build_seconds": round(build_seconds, 1),
            "verify_ok": report.ok,
            "verify_requests": store.requests,
            "verify_list_requests": store.list_requests,
            "verify_get_requests": store.get_requests,
            # The GETs: the multivariant playlist and one per rendition, then the decoded segments.
            "verify_playlists": 1 + len(report.renditions),
            "verify_segments_decoded": store.get_requests - 1 - len(report.renditions),
            "verify_seconds": round(verify_seconds, 2),
            "verify_list_seconds": round(store.list_seconds, 2),
            "baseline_requests": baseline["requests"],
            "baseline_seconds": round(baseline_seconds, 2),
            "ratio_baseline_over_verify": round(ratio, 1),
            "target_verify_requests_max": MAX_VERIFY_REQUESTS,
            "target_ratio_min": MIN_RATIO,
            "full_size": full_size,
            "note": "boto3 client and local stack share this process (one GIL) in both measurements",
        }
        print(json.dumps(result, indent=2))
        from recording import record  # bench/ is sys.path[0] when run as a script

        record("verify_asset", result, sys.argv)
        requests_ok = store.requests <= MAX_VERIFY_REQUESTS
        ratio_ok = ratio >= MIN_RATIO
        print(
            f"verify: {store.requests} requests, {verify_seconds:.1f} s; "
            f"HEAD loop: {baseline['requests']:,} requests, {baseline_seconds:.1f} s; "
            f"ratio {ratio:.1f}x (targets: <= {MAX_VERIFY_REQUESTS} requests "
            f"{'met' if requests_ok else 'MISSED'}, >= {MIN_RATIO:g}x {'met' if ratio_ok else 'MISSED'})"
        )
        return 0 if requests_ok and ratio_ok else 2


if __name__ == "__main__":
    sys.exit(main())
