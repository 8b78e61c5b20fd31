"""The MediaConvert hand-off, through ``dag.test()`` of ``live_event_harvest`` against the real local
stack: frame-accurate MP4s read back from the encoder's frame marks, thumbnails, one job per
output whatever reruns, and a failing job failing the right task with its error code."""

from __future__ import annotations

import io
import math

import av
import pytest

from devstack.encoder.pattern import read_frame_mark
from devstack.mediaconvert.transcode import jpeg_frame
from live_to_vod.harvest_request import HarvestWindow
from tests.support.harvest_pipeline import assert_succeeded, one_output, task_states, ti

pytestmark = pytest.mark.slow


def _ms(t) -> int:
    return round(t.timestamp() * 1000)


def _window(pipeline):
    """Neither end on a segment or a frame boundary: 31.37 s and 88.61 s into the stream."""
    return pipeline.start.add(microseconds=1_370_000), pipeline.end.subtract(microseconds=1_390_000)


def test_an_event_gets_a_frame_accurate_mp4_and_thumbnails_beside_its_vod_asset(pipeline, aws):
    start, end = _window(pipeline)
    conf = pipeline.conf(
        "game-mc",
        start_time=start.isoformat(),
        end_time=end.isoformat(),
        mediaconvert=["mp4", "thumbnails"],
        thumbnail_interval_seconds=20,
    )
    (run,) = pipeline.run(conf)
    assert_succeeded(run, transcoded=True)

    transcode = run["xcom"][ti("harvest.transcode")]
    clip = transcode["clip"]
    # The harvest starts on the segment holding 31.37 s (30 s); the first frame at or after 31.37 s
    # is 31.40 s, frame 35; the last before 88.61 s is 88.60 s, frame 1465.
    assert (clip["first_frame"], clip["last_frame"], clip["frames"]) == (35, 1465, 1431)
    assert (clip["start_timecode"], clip["end_timecode"]) == ("00:00:01:10", "00:00:58:15")
    (mp4_uri,) = transcode["mp4"]
    bucket = pipeline.demo["bucket"]
    assert mp4_uri == f"s3://{bucket}/mediaconvert/game-mc/index_proxy.mp4"

    s3 = aws["s3"]
    body = s3.get_object(Bucket=bucket, Key=mp4_uri.split("/", 3)[3])["Body"].read()
    with av.open(io.BytesIO(body)) as container:
        marks = [read_frame_mark(frame) for frame in container.decode(video=0)]
    factory = pipeline.encoder.factory
    first_instant, last_instant = _ms(start) + 30, _ms(end) - 10  # 31.40 s and 88.60 s
    assert len(marks) == 1431
    assert marks[0] == factory.mark_at(first_instant), "the first frame is the one at or after the start"
    assert marks[-1] == factory.mark_at(last_instant), "the last frame is the one before the end"
    assert marks == [(marks[0] + i) % factory.cycle_frames for i in range(len(marks))], "every frame, once, in order"

    checked = run["xcom"][ti("harvest.verify_transcode")]
    assert checked["mp4"] == [{"uri": mp4_uri, "frames": 1431, "duration_ms": 57_240, "width": 640, "height": 360}]
    seconds = 1431 / 25
    assert len(checked["thumbnails"]) == math.ceil(seconds / 20) == 3
    assert checked["poster"] == checked["thumbnails"][0]
    poster = jpeg_frame(s3.get_object(Bucket=bucket, Key=checked["poster"].split("/", 3)[3])["Body"].read())
    assert read_frame_mark(poster) == marks[0], "the poster is the first frame"

    summary = run["xcom"][ti("harvest.publish")]
    assert summary["mp4"] == checked["mp4"] and summary["poster"] == checked["poster"]
    assert summary["vod_playback_urls"], "the MediaPackage VOD hand-off ran beside it"
    (job,) = aws["mediaconvert"].list_jobs()["Jobs"]
    window = HarvestWindow(start, end)
    assert job["UserMetadata"]["live_to_vod_job"] == pipeline.job_id("game-mc", window=window)
    assert job["Id"] == transcode["job_id"]

    # The same event again: the job is found by its metadata, nothing is transcoded twice.
    (again,) = pipeline.run(conf)
    assert_succeeded(again, transcoded=True)
    assert again["xcom"][ti("harvest.transcode")]["job_id"] == job["Id"]
    assert len(aws["mediaconvert"].list_jobs()["Jobs"]) == 1


def test_a_failing_mediaconvert_job_fails_the_transcode_task_with_its_code(pipeline, faults, aws):
    job_key = pipeline.job_id("game-mc-fails")
    faults.add("transcode_fail", job=job_key, code=1030, message="Failed to decode the input: [bad slice]")
    (run,) = pipeline.run(pipeline.conf("game-mc-fails", mediaconvert=["mp4"]))
    assert run["state"] == "failed"
    assert one_output(run["tasks"]) == task_states(
        transcoded=True,
        **{
            "harvest.transcode": "failed",
            "harvest.verify_transcode": "upstream_failed",
            "harvest.publish": "upstream_failed",
            "summarize": "failed",
        },
    )
    message = run["errors"][ti("harvest.transcode")]
    assert "failed with error 1030: Failed to decode the input: [bad slice]" in message, message
    (job,) = aws["mediaconvert"].list_jobs()["Jobs"]
    assert job["Status"] == "ERROR"


def test_a_cmaf_harvest_or_no_outputs_asked_gets_no_job_and_the_run_says_why(pipeline, aws):
    (run,) = pipeline.run(pipeline.conf("game-no-mc"))
    assert_succeeded(run)  # the MediaConvert pair skipped by verify, without running
    assert run["xcom"].get(ti("harvest.transcode")) is None
    assert run["xcom"][ti("harvest.publish")]["not_transcoded"] == "no MediaConvert outputs asked for"
    assert aws["mediaconvert"].list_jobs()["Jobs"] == []
