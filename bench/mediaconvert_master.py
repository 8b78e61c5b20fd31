"""The MP4 master of a harvested window: the local MediaConvert's transcode speed, and what the
pipeline's MediaConvert tasks add around the job against a plain boto3 script, in the same run.

    .venv/bin/python bench/mediaconvert_master.py [--minutes 10]

1. Starts the stack as its own process, pushes ``--minutes`` (+1) of back-dated live content (3
   H.264 renditions + AAC) and harvests a ``--minutes`` window of it (MediaPackage v1).
2. Baseline, a plain boto3 script: ``CreateJob`` (the default template's MP4 output, the whole
   window), ``GetJob`` every second until it finishes, ``HeadObject`` on the MP4.
3. The pipeline: ``MediaConvertJobOperator`` (reads the asset's clock, plans the frame-accurate
   clip, looks for an earlier job by its metadata, creates the job, waits with the project's
   waiter, polling every second) and ``VerifyMediaConvertOutputsOperator`` (the MP4 through
   ranged reads), on the same asset, called as a worker calls them.
Prints the transcode's realtime factor (window seconds over the job's own START -> FINISH) and
the pipeline's wall time against the script's, with the difference.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_stack, recording


class _Store:
    """``task_state_store``, in memory (one try of one task)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value


class _TaskInstance:
    try_number = 1

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    window_seconds = int(args.minutes * 60)
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))

    from bench_stack import seeded_stack
    from recording import record

    from localrun.seed import create_harvest_job, wait_for_harvest_job

    with seeded_stack("bench-mediaconvert-", harvest_seconds=0, preroll_seconds=window_seconds + 60) as stack:
        demo, c = stack.demo, stack.clients
        start = stack.content_start.add(seconds=30)
        end = start.add(seconds=window_seconds)
        job_id = "bench-master"
        create_harvest_job(c["mediapackage"], demo, job_id, start, end, manifest_key=f"{job_id}/index.m3u8")
        wait_for_harvest_job(c["mediapackage"], job_id, timeout=600)
        bucket, key = demo["bucket"], f"{job_id}/index.m3u8"
        mc = c["mediaconvert"]
        role = demo["mediaconvert_role_arn"]
        os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
            {
                "conn_type": "aws",
                "login": "local-stack",
                "password": "local-stack",
                "extra": {"endpoint_url": stack.settings.public_url, "region_name": demo["region"]},
            }
        )

        from live_to_vod.aws.operators.mediaconvert import MediaConvertJobOperator, VerifyMediaConvertOutputsOperator
        from live_to_vod.harvest_request import HarvestRequest, HarvestWindow
        from live_to_vod.transcode_jobs import (
            DEFAULT_TEMPLATE,
            clip_frames,
            destination_uri,
            job_settings,
            load_template_file,
        )

        # -- the plain script ---------------------------------------------------------------
        clip = clip_frames(start, start, end, Fraction(25))
        settings = job_settings(
            load_template_file(DEFAULT_TEMPLATE),
            input_uri=f"s3://{bucket}/{key}",
            destination=f"s3://{bucket}/mediaconvert/script/",
            products=["mp4"],
            clip=clip,
            thumbnail_interval_seconds=10,
            audio_group="aac",
        )
        t0 = time.perf_counter()
        job = mc.create_job(Role=role, Settings=settings)["Job"]
        while (job := mc.get_job(Id=job["Id"])["Job"])["Status"] in ("SUBMITTED", "PROGRESSING"):
            time.sleep(1)
        mc_head = c["s3"].head_object(Bucket=bucket, Key="mediaconvert/script/index_proxy.mp4")
        script_seconds = time.perf_counter() - t0
        if job["Status"] != "COMPLETE":
            print(f"the script's job ended {job['Status']}: {job.get('ErrorMessage')}")
            return 1
        timing = job["Timing"]
        transcode_seconds = (timing["FinishTime"] - timing["StartTime"]).total_seconds()

        # -- the pipeline's tasks -----------------------------------------------------------
        request = HarvestRequest(
            event_id="bench",
            origin_endpoint_id=demo["endpoint_id"],
            window=HarvestWindow(start, end),
            s3_bucket=bucket,
            manifest_key=key,
            role_arn=demo["harvest_role_arn"],
            packaging_group_id=None,
            vod_source_role_arn=None,
            mediaconvert=("mp4",),
            mediaconvert_role_arn=role,
        )
        context = {"task_state_store": _Store(), "ti": _TaskInstance()}
        transcode = MediaConvertJobOperator(
            task_id="transcode", request=request.to_dict(), harvest_job_id=job_id, deferrable=False, poll_interval=1,
        )  # fmt: skip
        verify = VerifyMediaConvertOutputsOperator(task_id="verify_transcode", transcode=None)
        t0 = time.perf_counter()
        plan = transcode.execute(context)
        verify.transcode = plan
        checked = verify.execute(context)
        pipeline_seconds = time.perf_counter() - t0
        assert checked and checked["mp4"][0]["frames"] == clip.frames, checked

    result = {
        "date": time.strftime("%Y-%m-%d"),
        "window_seconds": window_seconds,
        "renditions": 3,
        "frames": clip.frames,
        "mp4_bytes": int(mc_head["ContentLength"]),
        "transcode_seconds": round(transcode_seconds, 1),
        "realtime_factor": round(window_seconds / transcode_seconds, 2),
        "script_seconds": round(script_seconds, 1),
        "pipeline_seconds": round(pipeline_seconds, 1),
        "overhead_seconds": round(pipeline_seconds - script_seconds, 1),
        "ratio_pipeline_over_script": round(pipeline_seconds / script_seconds, 3),
        "verify_destination": destination_uri(bucket, key),
    }
    print(json.dumps(result, indent=2))
    record("mediaconvert_master", result, sys.argv)
    return 0 if math.isfinite(result["ratio_pipeline_over_script"]) else 1


if __name__ == "__main__":
    sys.exit(main())
