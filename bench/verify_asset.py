"""The verify step on a large harvested asset: the sampled mode against the listing-only pass and a
one-HEAD-per-segment loop, in the same run, and the full mode's cost per hour of content.

    .venv/bin/python bench/verify_asset.py [--hours 1] [--renditions 6] [--full-hours 0.25] [--no-head-loop]
    .venv/bin/python bench/verify_asset.py --hours 24 --renditions 6 --no-head-loop    # full size
    .venv/bin/python bench/verify_asset.py --hours 24 --renditions 6 --no-cmaf --s3-latency-ms 20 --head-sample 5000

1. Runs the local media stack in this process (``StackThread``) on a free port, temp data dir.
2. Builds a synthetic harvested asset of ``--hours`` x ``--renditions`` video renditions x 2 s
   segments in the exact layout the stack's harvester writes (``bench/index.m3u8``,
   ``bench/index_<i>.m3u8``, ``bench/index_<i>_<seq:05d>.ts``; playlists from
   ``devstack.playlists``, with the m3u8 library), written into S3 through moto's backend (no
   HTTP: 260,000 PUTs would take longer than the measurements). Every segment object of a
   rendition is the same real 2 s MPEG-TS segment made once by ``SegmentFactory``, with its
   timestamps moved to its place (``devstack.encoder.ts.shift_timestamps``), so every segment
   verify probes or decodes is real media at the right media time. A second asset of
   ``--full-hours`` is built the same way for the full mode.
3. Verify, as the pipeline runs it (``S3AssetStore`` over a boto3 client over HTTP, response times
   parsed as ``AssetS3Hook``'s clients parse them):
   ``segments="listing"`` (the baseline: the listing and the playlists, no segment read), then
   ``segments="sampled"`` (the default for an asset this size), then ``segments="full"`` on the
   short asset. Each must report OK.
4. Unless ``--no-cmaf``: the same window and ladder as a MediaPackage v2 CMAF harvest (an init and
   fragmented-MP4 segments per rendition, in the stack's v2 layout, shared by an HLS manifest with
   ``EXT-X-MAP`` and a static DASH MPD), each manifest verified listing-only then sampled, with
   the other as its companion. The same targets hold for each.
5. Unless ``--no-head-loop``: GET and parse the same playlists with m3u8, then ``HeadObject``
   every segment sequentially (the naive existence check; ~16 min at full size), or a seeded
   sample of ``--head-sample`` of them, the loop's time extrapolated from their mean.

``--s3-latency-ms`` adds that latency to every S3 call after the assets are built (the stack's
``latency`` fault), for verify and baseline alike: real S3's round trips, which a listing of 1,000
keys per call amortizes and a HEAD per segment pays every time (target: >= 100x with 20 ms).

Targets: the sampled mode makes <= 400 S3 requests (24 h x 6 renditions: 260 listing pages, 7
playlists, 120 segment reads) and takes <= 1.5x the listing-only pass. Exits 1 if a verification
does not report OK, 2 if a target is missed.

The boto3 client and the stack share this process (and its GIL) in every measurement alike,
so the ratios are fair; absolute times are higher than against a stack in its own process.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
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
FULL_MANIFEST_KEY = "bench-full/index.m3u8"
MAX_VERIFY_REQUESTS = 400
# The sampled mode may cost at most 1.5x what verify cost before it read more than the first and
# last segment; that was the listing and the playlists plus 12 decodes, so the listing-only pass of
# the same run is the baseline and 1.5x of it is the (slightly stricter) target.
MAX_RATIO = 1.5
# A compact ladder: every object holds a real segment, and moto keeps every object in memory
# (24 h x 6 renditions x ~21 KB = ~5.6 GB). Sizes do not enter the measurement: the listing
# returns sizes, HEAD returns no body, and verify reads only 2 segments per rendition.
LADDER = ((192, 108, 24_000), (224, 126, 28_000), (256, 144, 32_000), (288, 162, 36_000), (320, 180, 40_000),
          (352, 198, 44_000))  # fmt: skip


def build_asset(
    sibling, renditions, start: pendulum.DateTime, end: pendulum.DateTime, manifest_key: str = "bench/index.m3u8"
) -> dict:
    """Write the asset into S3 on the service side, as the harvester does; return what was written."""
    from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
    from devstack.encoder import FPS, SegmentFactory
    from devstack.encoder.ts import shift_timestamps, timestamp_fields
    from devstack.harvest import asset_layout
    from devstack.ingest import Rendition as StackRendition
    from devstack.ingest import Segment, Variant
    from devstack.playlists import media_playlist, multivariant

    factory = SegmentFactory(renditions, segment_seconds=SEGMENT_SECONDS)
    prefix, stem = asset_layout(manifest_key)
    # The stream's first segment starts on a segment boundary at or before the window start; the
    # harvest keeps the segment containing the start through the one containing the end.
    first_ms = int(start.timestamp()) // SEGMENT_SECONDS * SEGMENT_SECONDS * 1000
    count = math.ceil((end.timestamp() * 1000 - first_ms) / (SEGMENT_SECONDS * 1000))
    first_seq = 1
    objects = segments_written = total_bytes = 0
    variants = []
    for i, rendition in enumerate(renditions, start=1):
        body = factory.segment(rendition, 0)
        fields = timestamp_fields(body)  # each segment gets its own times: verify compares them
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
        for n, segment in enumerate(segments):
            timed = shift_timestamps(body, n * SEGMENT_SECONDS * 90_000, fields)
            sibling.put_object(BUCKET, f"{prefix}{stem}_{i}_{segment.seq:05d}.ts", timed, TS_CONTENT_TYPE)
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
    sibling.put_object(BUCKET, manifest_key, parent.encode(), HLS_CONTENT_TYPE)
    return {
        "objects": objects + 1,
        "segments": segments_written,
        "segments_per_rendition": count,
        "bytes": total_bytes + len(parent),
    }


CMAF_PREFIX = "bench-cmaf/"
CMAF_HLS_KEY = CMAF_PREFIX + "index.m3u8"
DASH_KEY = CMAF_PREFIX + "dash.mpd"


def _patch_offsets(fragment: bytes) -> tuple[int, int]:
    """Where a CMAF fragment holds its mfhd sequence number and its tfdt decode time."""
    return fragment.index(b"mfhd") + 8, fragment.index(b"tfdt") + 8


def build_cmaf_asset(sibling, renditions, start: pendulum.DateTime, end: pendulum.DateTime) -> dict:
    """The same ladder and window as a MediaPackage v2 CMAF harvest: one init and fragments per
    rendition, shared by an HLS manifest (``EXT-X-MAP``) and a DASH manifest, in the stack's v2
    layout (``devstack.mediapackagev2.origin``). Each rendition's fragment is made once by
    ``devstack.cmaf`` and its sequence number and decode time patched per segment."""
    import struct

    from devstack import cmaf
    from devstack.content_types import HLS_CONTENT_TYPE
    from devstack.encoder import FPS, SegmentFactory
    from devstack.ingest import Rendition as StackRendition
    from devstack.ingest import Segment, Variant
    from devstack.mediapackagev2 import origin
    from devstack.mediapackagev2.harvest import DASH_CONTENT_TYPE, MP4_CONTENT_TYPE

    factory = SegmentFactory(renditions, segment_seconds=SEGMENT_SECONDS)
    layout = origin.Layout("CMAF", "segment")
    first_ms = int(start.timestamp()) // SEGMENT_SECONDS * SEGMENT_SECONDS * 1000
    count = math.ceil((end.timestamp() * 1000 - first_ms) / (SEGMENT_SECONDS * 1000))
    variants, tracks, objects, total_bytes = [], [], 0, 0
    for i, rendition in enumerate(renditions, start=1):
        body = factory.segment(rendition, 0)
        track = cmaf.describe(body)
        fragment = bytearray(cmaf.media_segment(body, 1, 0))
        seq_at, time_at = _patch_offsets(bytes(fragment))
        sibling.put_object(BUCKET, CMAF_PREFIX + layout.init(i), cmaf.init_segment(body), MP4_CONTENT_TYPE)
        segments = []
        for n in range(count):
            segment = Segment(1 + n, first_ms + n * SEGMENT_SECONDS * 1000, float(SEGMENT_SECONDS), Path("/dev/null"),
                              len(fragment), False, 0)  # fmt: skip
            struct.pack_into(">I", fragment, seq_at, segment.seq)
            struct.pack_into(">Q", fragment, time_at, segment.start_ms * track.timescale // 1000)
            sibling.put_object(BUCKET, CMAF_PREFIX + layout.segment(i, segment), bytes(fragment), MP4_CONTENT_TYPE)
            segments.append(segment)
        stack_rendition = StackRendition(f"index_{i}.m3u8", Path("/dev/null"))
        child = origin.hls_media(layout, i, stack_rendition, segments, vod=True, pdt_interval_seconds=None)
        sibling.put_object(BUCKET, f"{CMAF_PREFIX}index_{i}.m3u8", child.encode(), HLS_CONTENT_TYPE)
        peak, average = factory.bitrates(rendition)
        attributes = {
            "bandwidth": peak,
            "average_bandwidth": average,
            "codecs": track.codecs,
            "resolution": f"{rendition.width}x{rendition.height}",
            "frame_rate": float(FPS),
        }
        variant = Variant("stream", attributes)
        variants.append((stack_rendition, variant))
        # Video only: every fragment is the same 2 s of samples, on the 2-second marks of the wall clock.
        times = [s.start_ms * track.timescale // 1000 for s in segments]
        tracks.append(origin.DashTrack(i, variant, track, segments, times, [SEGMENT_SECONDS * track.timescale] * count))
        objects += count + 2
        total_bytes += count * len(fragment) + len(child)
    parent = origin.hls_multivariant(variants, "index")
    sibling.put_object(BUCKET, CMAF_HLS_KEY, parent.encode(), HLS_CONTENT_TYPE)
    mpd = origin.dash_mpd(layout, tracks, static=True)
    sibling.put_object(BUCKET, DASH_KEY, mpd.encode(), DASH_CONTENT_TYPE)
    return {"objects": objects + 2, "segments": count * len(renditions), "bytes": total_bytes + len(parent) + len(mpd)}


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


def head_every_segment(s3, bucket: str, manifest_key: str, sample: int = 0) -> dict:
    """The naive existence check: parse the playlists, then one HeadObject per segment.

    ``sample`` > 0: HEAD only that many segments, drawn evenly across the renditions (seeded), and
    extrapolate the loop's time from their mean (``seconds``); what was measured is in the result.
    """
    prefix = manifest_key.rsplit("/", 1)[0] + "/"
    requests = 0
    t0 = time.perf_counter()

    def read(key: str) -> m3u8.M3U8:
        nonlocal requests
        requests += 1
        return m3u8.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())

    keys = [prefix + s.uri for variant in read(manifest_key).playlists for s in read(prefix + variant.uri).segments]
    playlist_seconds = time.perf_counter() - t0
    chosen = keys if not sample or sample >= len(keys) else random.Random(7).sample(keys, sample)
    missing = empty = 0
    t0 = time.perf_counter()
    for key in chosen:
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                missing += 1
                continue
            raise
        if head["ContentLength"] <= 0:
            empty += 1
    head_seconds = time.perf_counter() - t0
    return {
        "requests": requests + len(keys),
        "segments": len(keys),
        "missing": missing,
        "empty": empty,
        "heads_measured": len(chosen),
        "seconds": playlist_seconds + head_seconds * len(keys) / max(len(chosen), 1),
        "extrapolated": len(chosen) < len(keys),
    }


def timed_verify(store, manifest_key: str, start, end, mode: str) -> tuple[object, float]:
    from live_to_vod.verification import verify_vod_asset

    t0 = time.perf_counter()
    report = verify_vod_asset(store, manifest_key, start, end, segments=mode)
    return report, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1, help="window length (24 = full size)")
    parser.add_argument("--renditions", type=int, default=6, help=f"video renditions, 1-{len(LADDER)}")
    parser.add_argument("--full-hours", type=float, default=0.25, help="length of the asset read in full mode")
    parser.add_argument("--no-head-loop", action="store_true", help="skip the HEAD-per-segment loop (~16 min at 24 h)")
    parser.add_argument("--no-cmaf", action="store_true", help="skip the CMAF asset (HLS over CMAF and DASH)")
    parser.add_argument(
        "--s3-latency-ms", type=float, default=0, help="latency added to every S3 call (the stack's fault injection)"
    )
    parser.add_argument(
        "--head-sample", type=int, default=0, help="HEAD this many segments and extrapolate (0: every segment)"
    )
    args = parser.parse_args()
    if not 0 < args.hours <= 24 or not 1 <= args.renditions <= len(LADDER) or not 0 < args.full_hours <= 24:
        parser.error(f"--hours and --full-hours must be in (0, 24], --renditions in 1..{len(LADDER)}")

    from devstack.aws import Sibling
    from devstack.config import Settings
    from devstack.encoder import Rendition
    from devstack.server import StackThread

    renditions = [Rendition(f"video_{h}p", "video", w, h, b) for w, h, b in LADDER[: args.renditions]]
    home = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    settings = Settings.from_env(port=free_port(), home=str(home))
    from live_to_vod.aws.hooks.s3 import with_fast_timestamps

    with StackThread(settings) as stack:
        # Times parsed as the pipeline's AssetS3Hook parses them, for verify and the baseline alike.
        session = with_fast_timestamps(
            boto3.session.Session(
                aws_access_key_id="local-stack", aws_secret_access_key="local-stack", region_name="us-east-1"
            )
        )
        s3 = session.client(
            "s3", endpoint_url=stack.url, config=Config(retries={"max_attempts": 3, "mode": "standard"})
        )
        s3.create_bucket(Bucket=BUCKET)

        # A fake but consistent timeline: the window starts 1 s into a segment, a day ago.
        start = pendulum.now("UTC").start_of("hour").subtract(days=1, hours=math.ceil(args.hours)).add(seconds=1)
        end = start.add(seconds=round(args.hours * 3600))
        full_end = start.add(seconds=round(args.full_hours * 3600))
        t0 = time.perf_counter()
        sibling = Sibling(settings.account_id)
        asset = build_asset(sibling, renditions, start, end)
        short = build_asset(sibling, renditions, start, full_end, FULL_MANIFEST_KEY)
        build_seconds = time.perf_counter() - t0
        print(
            f"built {asset['objects']:,} objects ({asset['segments']:,} segments, {asset['bytes'] / 1e6:,.0f} MB) "
            f"and a {args.full_hours:g} h asset for the full mode in moto's backend in {build_seconds:.1f} s",
            flush=True,
        )
        # Hundreds of thousands of long-lived moto objects: keep the cyclic GC from rescanning
        # them during the measurements alike.
        gc.collect()
        gc.freeze()
        if args.s3_latency_ms:
            # Every S3 call from here on (verify's and the baseline's alike) waits this long first,
            # as a real S3 round trip does; building the assets above went through moto's backend.
            from devstack.faults import FaultControl

            FaultControl(stack.url).add("latency", service="s3", rate=1.0, seconds=args.s3_latency_ms / 1000)

        # One unmeasured listing first: the stack builds its sorted key index on the first page, a cost
        # S3 does not have and that would otherwise fall on whichever measurement runs first.
        sum(1 for _ in timed_store(s3, BUCKET).list_objects("bench/"))
        # The same-run baseline: the listing and the playlists only (segments="listing"), what every
        # mode does before it reads a segment.
        listing_store = timed_store(s3, BUCKET)
        listing, listing_seconds = timed_verify(listing_store, MANIFEST_KEY, start, end, "listing")
        store = timed_store(s3, BUCKET)
        report, verify_seconds = timed_verify(store, MANIFEST_KEY, start, end, "sampled")
        for name, r in (("listing", listing), ("sampled", report)):
            if not r.ok:
                print(f"{name}: {r.summary()}")
                return 1
        assert report.segment_count == asset["segments"], (report.segment_count, asset["segments"])
        reads = report.reads
        print(
            f"sampled: OK, {store.requests} S3 requests ({store.list_requests} ListObjectsV2 pages, "
            f"{store.get_requests} GetObject: {reads.probed} probed, {reads.decoded} decoded) in "
            f"{verify_seconds:.1f} s, {store.list_seconds:.1f} s of it listing; {reads.bytes_read:,} bytes read; "
            f"listing only: {listing_seconds:.1f} s",
            flush=True,
        )

        full_store = timed_store(s3, BUCKET)
        full, full_seconds = timed_verify(full_store, FULL_MANIFEST_KEY, start, full_end, "full")
        if not full.ok or full.reads.decoded != short["segments"]:
            print(f"full: {full.summary()}")
            return 1
        print(
            f"full: OK, {full.reads.decoded:,} segments decoded, {full.reads.bytes_read:,} bytes in "
            f"{full_seconds:.1f} s for {args.full_hours:g} h",
            flush=True,
        )

        formats = {}
        if not args.no_cmaf:
            from live_to_vod.verification import verify_vod_asset

            # The same window and ladder as a v2 CMAF harvest: HLS over CMAF and DASH on shared segments.
            t0 = time.perf_counter()
            cmaf_asset = build_cmaf_asset(sibling, renditions, start, end)
            print(f"built the CMAF asset ({cmaf_asset['objects']:,} objects) in {time.perf_counter() - t0:.1f} s")
            sum(1 for _ in timed_store(s3, BUCKET).list_objects(CMAF_PREFIX))  # unmeasured, as above
            for name, key in (("cmaf_hls", CMAF_HLS_KEY), ("dash", DASH_KEY)):
                other = DASH_KEY if key == CMAF_HLS_KEY else CMAF_HLS_KEY
                measured = {}
                for mode in ("listing", "sampled"):
                    mode_store = timed_store(s3, BUCKET)
                    t0 = time.perf_counter()
                    mode_report = verify_vod_asset(mode_store, key, start, end, segments=mode, companions=[other])
                    measured[mode] = (mode_report, time.perf_counter() - t0, mode_store)
                    if not mode_report.ok or mode_report.segment_count != cmaf_asset["segments"]:
                        print(f"{name} {mode}: {mode_report.summary()}")
                        return 1
                (_, listing_s, _), (sampled, sampled_s, sampled_store) = measured["listing"], measured["sampled"]
                formats[name] = {
                    "requests": sampled_store.requests,
                    "list_requests": sampled_store.list_requests,
                    "get_requests": sampled_store.get_requests,
                    "decoded": sampled.reads.decoded,
                    "probed": sampled.reads.probed,
                    "seconds": round(sampled_s, 2),
                    "listing_only_seconds": round(listing_s, 2),
                    "ratio_over_listing_only": round(sampled_s / listing_s, 2),
                }
                print(
                    f"{name}: OK, {sampled_store.requests} S3 requests ({sampled_store.list_requests} list pages), "
                    f"{sampled_s:.1f} s = {sampled_s / listing_s:.2f}x its listing-only pass ({listing_s:.1f} s)",
                    flush=True,
                )

        baseline = None
        baseline_seconds = None
        if not args.no_head_loop:
            baseline = head_every_segment(s3, BUCKET, MANIFEST_KEY, sample=args.head_sample)
            baseline_seconds = baseline["seconds"]
            if baseline["segments"] != asset["segments"] or baseline["missing"] or baseline["empty"]:
                print(f"baseline disagrees with the asset: {baseline}")
                return 1

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
            "verify_mode": "sampled",
            "verify_ok": report.ok,
            "verify_requests": store.requests,
            "verify_list_requests": store.list_requests,
            "verify_get_requests": store.get_requests,
            "verify_playlists": 1 + len(report.renditions),
            "verify_segments_probed": reads.probed,
            "verify_segments_decoded": reads.decoded,
            "verify_bytes_read": reads.bytes_read,
            "verify_seconds": round(verify_seconds, 2),
            "verify_list_seconds": round(store.list_seconds, 2),
            "listing_only_seconds": round(listing_seconds, 2),
            "ratio_verify_over_listing_only": round(verify_seconds / listing_seconds, 2),
            "full_hours": args.full_hours,
            "full_segments_decoded": full.reads.decoded,
            "full_bytes_read": full.reads.bytes_read,
            "full_seconds": round(full_seconds, 1),
            "full_seconds_per_hour": round(full_seconds / args.full_hours, 1),
            "full_bytes_per_hour": round(full.reads.bytes_read / args.full_hours),
            "full_requests_per_hour": round(full_store.requests / args.full_hours),
            "target_verify_requests_max": MAX_VERIFY_REQUESTS,
            "target_ratio_max": MAX_RATIO,
            "full_size": full_size,
            "note": "boto3 client and local stack share this process (one GIL) in every measurement",
            "s3_latency_ms": args.s3_latency_ms,
        }
        if formats:
            result["formats"] = formats
        if baseline is not None and baseline_seconds is not None:
            result |= {
                "baseline_requests": baseline["requests"],
                "baseline_seconds": round(baseline_seconds, 2),
                "ratio_baseline_over_verify": round(baseline_seconds / verify_seconds, 1),
                "baseline_heads_measured": baseline["heads_measured"],
                "baseline_extrapolated": baseline["extrapolated"],
            }
        print(json.dumps(result, indent=2))
        from recording import record  # bench/ is sys.path[0] when run as a script

        record("verify_asset", result, sys.argv)
        requests_ok = store.requests <= MAX_VERIFY_REQUESTS
        ratio = verify_seconds / listing_seconds
        ratio_ok = ratio <= MAX_RATIO
        for name, measured in formats.items():
            met = measured["requests"] <= MAX_VERIFY_REQUESTS and measured["ratio_over_listing_only"] <= MAX_RATIO
            print(
                f"{name}: {measured['requests']} requests, {measured['ratio_over_listing_only']:.2f}x its listing-only "
                f"pass (targets {'met' if met else 'MISSED'})"
            )
            requests_ok = requests_ok and measured["requests"] <= MAX_VERIFY_REQUESTS
            ratio_ok = ratio_ok and measured["ratio_over_listing_only"] <= MAX_RATIO
        print(
            f"sampled verify: {store.requests} requests, {verify_seconds:.1f} s = {ratio:.2f}x the listing-only "
            f"pass ({listing_seconds:.1f} s); full mode: {full_seconds / args.full_hours:.0f} s and "
            f"{full.reads.bytes_read / args.full_hours / 1e6:,.0f} MB per hour of content "
            f"(targets: <= {MAX_VERIFY_REQUESTS} requests {'met' if requests_ok else 'MISSED'}, <= {MAX_RATIO:g}x "
            f"{'met' if ratio_ok else 'MISSED'})"
        )
        return 0 if requests_ok and ratio_ok else 2


if __name__ == "__main__":
    sys.exit(main())
