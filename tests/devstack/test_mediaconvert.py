"""MediaConvert through unmodified boto3 clients: jobs that really transcode a harvested HLS asset
(frame-accurate clips read back from the encoder's frame marks), templates, errors, events, faults."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import time

import av
import pytest
from botocore.exceptions import ClientError

from devstack.encoder.pattern import read_frame_mark
from devstack.faults import FaultControl
from devstack.mediaconvert.transcode import jpeg_frame
from tests.support.hls_assets import PREFIX
from tests.support.ladder import ladder_asset

SOURCE = "mc-source"
OUT = "mc-out"
INPUT = f"s3://{SOURCE}/{PREFIX}index.m3u8"
SEGMENTS = 8  # 16 s at 25 fps: frames 0..399, marks (n % 200)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "mediaconvert.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _role(iam, name: str, statements: list[dict], trust: dict = TRUST) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name, PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    return arn


READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{SOURCE}/*"}
WRITE = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{OUT}/*"}


@pytest.fixture
def mc(aws):
    return aws["mediaconvert"]


@pytest.fixture
def role(aws):
    """The harvested asset in S3 and a MediaConvert role that reads it and writes the outputs."""
    s3 = aws["s3"]
    s3.create_bucket(Bucket=SOURCE)
    s3.create_bucket(Bucket=OUT)
    for key, (body, content_type) in ladder_asset(segments=SEGMENTS).objects.items():
        s3.put_object(Bucket=SOURCE, Key=key, Body=body, ContentType=content_type or "binary/octet-stream")
    return _role(aws["iam"], "mediaconvert", [READ, WRITE])


def mp4_output(modifier: str, *, width: int | None = None, height: int | None = None) -> dict:
    video: dict = {"CodecSettings": {"Codec": "H_264", "H264Settings": {"RateControlMode": "CBR", "Bitrate": 800_000}}}
    if width:
        video.update(Width=width, Height=height)
    return {
        "NameModifier": modifier,
        "ContainerSettings": {"Container": "MP4"},
        "VideoDescription": video,
        "AudioDescriptions": [
            {
                "AudioSourceName": "Audio Selector 1",
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {"Bitrate": 96_000, "CodingMode": "CODING_MODE_2_0", "SampleRate": 48_000},
                },
            }
        ],
    }


def capture_output(modifier: str, every_seconds: int, max_captures: int | None = None) -> dict:
    settings = {"FramerateNumerator": 1, "FramerateDenominator": every_seconds, "Quality": 80}
    if max_captures:
        settings["MaxCaptures"] = max_captures
    return {
        "NameModifier": modifier,
        "ContainerSettings": {"Container": "RAW"},
        "VideoDescription": {
            "Width": 320,
            "Height": 180,
            "CodecSettings": {"Codec": "FRAME_CAPTURE", "FrameCaptureSettings": settings},
        },
    }


def job_settings(*outputs: dict, source: str = INPUT, destination: str = f"s3://{OUT}/game/", **input_fields) -> dict:
    return {
        "Inputs": [
            {
                "FileInput": source,
                "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}},
                "VideoSelector": {},
                **input_fields,
            }
        ],
        "OutputGroups": [
            {
                "Name": "File Group",
                "OutputGroupSettings": {
                    "Type": "FILE_GROUP_SETTINGS",
                    "FileGroupSettings": {"Destination": destination},
                },
                "Outputs": list(outputs) or [mp4_output("_master")],
            }
        ],
    }


def wait(mc, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = mc.get_job(Id=job_id)["Job"]
        if job["Status"] in ("COMPLETE", "ERROR", "CANCELED"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def read_mp4(s3, key: str) -> tuple[list[int], av.container.InputContainer]:
    body = s3.get_object(Bucket=OUT, Key=key)["Body"].read()
    container = av.open(io.BytesIO(body))
    marks = [read_frame_mark(frame) for frame in container.decode(video=0)]
    container.seek(0)
    return marks, container


def test_a_master_mp4_and_thumbnails_of_the_whole_asset(mc, aws, role):
    settings = job_settings(mp4_output("_master"), capture_output("_thumb", every_seconds=4))
    job = mc.create_job(Role=role, Settings=settings, UserMetadata={"event_id": "game-1"})["Job"]
    assert job["Status"] == "SUBMITTED" and job["Queue"].endswith(":queues/Default")
    assert job["Arn"] == f"arn:aws:mediaconvert:us-east-1:123456789012:jobs/{job['Id']}"
    done = wait(mc, job["Id"])
    assert done["Status"] == "COMPLETE", done.get("ErrorMessage")
    assert done["JobPercentComplete"] == 100 and done["UserMetadata"] == {"event_id": "game-1"}
    assert done["Timing"]["SubmitTime"] <= done["Timing"]["StartTime"] <= done["Timing"]["FinishTime"]
    master, thumbs = done["OutputGroupDetails"][0]["OutputDetails"]
    # The highest-bandwidth variant of the ladder is the 640x360 one.
    assert master == {"DurationInMs": 16_000, "VideoDetails": {"WidthInPx": 640, "HeightInPx": 360}}
    assert thumbs["VideoDetails"] == {"WidthInPx": 320, "HeightInPx": 180}

    s3 = aws["s3"]
    marks, container = read_mp4(s3, "game/index_master.mp4")
    assert marks == [n % 200 for n in range(400)], "every source frame, in order, once"
    video, audio = container.streams.video[0], container.streams.audio[0]
    assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
    assert audio.sample_rate == 48_000 and audio.channels == 2
    assert float(audio.duration * audio.time_base) == pytest.approx(16.0, abs=0.03)
    listed = s3.list_objects_v2(Bucket=OUT, Prefix="game/")["Contents"]
    jpegs = sorted(o["Key"] for o in listed if o["Key"].endswith(".jpg"))
    assert jpegs == [f"game/index_thumb.{n:07d}.jpg" for n in range(4)]
    shown = [read_frame_mark(jpeg_frame(s3.get_object(Bucket=OUT, Key=k)["Body"].read())) for k in jpegs]
    assert shown == [0, 100, 0, 100]  # one every 4 s = 100 frames; the cycle is 200 frames
    head = s3.head_object(Bucket=OUT, Key="game/index_master.mp4")
    assert head["ContentType"] == "video/mp4"


@pytest.mark.parametrize(
    ("source", "start", "clip"),
    [
        ("ZEROBASED", None, ("00:00:01:12", "00:00:07:11")),
        ("EMBEDDED", None, ("00:00:01:12", "00:00:07:11")),  # no embedded timecode: counts from zero
        ("SPECIFIEDSTART", "01:00:00:00", ("01:00:01:12", "01:00:07:11")),
    ],
)
def test_input_clippings_are_frame_accurate_in_each_timecode_source(mc, aws, role, source, start, clip):
    """Start and end frames both included: frames 37 (1 s + 12) to 186 (7 s + 11), 150 frames."""
    fields = {"TimecodeSource": source, "InputClippings": [{"StartTimecode": clip[0], "EndTimecode": clip[1]}]}
    if start:
        fields["TimecodeStart"] = start
    job = mc.create_job(Role=role, Settings=job_settings(mp4_output("_clip"), **fields))["Job"]
    done = wait(mc, job["Id"])
    assert done["Status"] == "COMPLETE", done.get("ErrorMessage")
    assert done["OutputGroupDetails"][0]["OutputDetails"][0]["DurationInMs"] == 6_000
    marks, container = read_mp4(aws["s3"], "game/index_clip.mp4")
    assert marks == list(range(37, 187))
    audio = container.streams.audio[0]
    assert float(audio.duration * audio.time_base) == pytest.approx(6.0, abs=0.03)


def test_clips_string_together_and_a_destination_names_the_file(mc, aws, role):
    clips = [
        {"StartTimecode": "00:00:00:05", "EndTimecode": "00:00:00:09"},
        {"StartTimecode": "00:00:10:00"},  # to the end of the input
    ]
    settings = job_settings(
        mp4_output("-cut"), destination=f"s3://{OUT}/clips/final", InputClippings=clips, TimecodeSource="ZEROBASED"
    )
    done = wait(mc, mc.create_job(Role=role, Settings=settings)["Job"]["Id"])
    assert done["Status"] == "COMPLETE", done.get("ErrorMessage")
    marks, _ = read_mp4(aws["s3"], "clips/final-cut.mp4")
    assert marks == [5, 6, 7, 8, 9] + [n % 200 for n in range(250, 400)]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs Debian's ffprobe")
def test_ffprobe_reads_the_mp4_as_h264_and_aac_of_the_requested_span(mc, aws, role, tmp_path):
    fields = {
        "TimecodeSource": "ZEROBASED",
        "InputClippings": [{"StartTimecode": "00:00:02:03", "EndTimecode": "00:00:09:21"}],
    }
    done = wait(mc, mc.create_job(Role=role, Settings=job_settings(mp4_output("_clip"), **fields))["Job"]["Id"])
    assert done["Status"] == "COMPLETE", done.get("ErrorMessage")
    path = tmp_path / "clip.mp4"
    path.write_bytes(aws["s3"].get_object(Bucket=OUT, Key="game/index_clip.mp4")["Body"].read())
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    codecs = {s["codec_type"]: s for s in probe["streams"]}
    assert codecs["video"]["codec_name"] == "h264" and codecs["audio"]["codec_name"] == "aac"
    frames = (9 * 25 + 21) - (2 * 25 + 3) + 1
    assert int(codecs["video"]["nb_frames"]) == frames
    assert abs(float(probe["format"]["duration"]) - frames / 25) <= 1 / 25


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s.update(Inputs=[]), "/inputs"),
        (lambda s: s["Inputs"][0].update(FileInput="https://example.com/index.m3u8"), "/inputs/0/fileInput"),
        (
            lambda s: s["Inputs"][0].update(InputClippings=[{"StartTimecode": "1:00"}]),
            "/inputs/0/inputClippings/0/startTimecode",
        ),
        (lambda s: s["Inputs"][0].update(TimecodeSource="SPECIFIEDSTART"), "/inputs/0/timecodeStart"),
        (
            lambda s: s["OutputGroups"][0]["OutputGroupSettings"].update(Type="HLS_GROUP_SETTINGS"),
            "/outputGroups/0/outputGroupSettings/type",
        ),
        (lambda s: s["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"].pop("Destination"), "destination"),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"].update(Codec="PRORES"),
            "/outputGroups/0/outputs/0/videoDescription/codecSettings/codec",
        ),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"]["H264Settings"].pop(
                "Bitrate"
            ),
            "h264Settings/bitrate",
        ),
        (
            lambda s: s["OutputGroups"][0]["Outputs"][0]["AudioDescriptions"][0].update(
                AudioSourceName="Audio Selector 9"
            ),
            "audioSourceName",
        ),
        (lambda s: s["OutputGroups"][0]["Outputs"].append(mp4_output("_master")), "/outputGroups"),
    ],
)
def test_settings_it_cannot_run_are_refused_naming_the_field(mc, role, change, field):
    settings = job_settings(mp4_output("_master"))
    change(settings)
    with pytest.raises(mc.exceptions.BadRequestException, match=field):
        mc.create_job(Role=role, Settings=settings)
    assert mc.list_jobs()["Jobs"] == [], "nothing was created"


def test_a_wire_level_misfit_is_a_bad_request(mc, role):
    with pytest.raises(mc.exceptions.BadRequestException):
        mc.create_job(Role=role, Settings=job_settings(), Priority=99)
    with pytest.raises(mc.exceptions.BadRequestException, match="role"):
        mc.create_job(Role="not-a-role", Settings=job_settings())


LIVE_CHILD = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nvideo_360p_00100.ts\n"
ENCRYPTED_CHILD = (
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
    '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k"\n#EXTINF:2.0,\nvideo_360p_00100.ts\n#EXT-X-ENDLIST\n'
)


@pytest.mark.parametrize(
    ("setup", "source", "code", "words"),
    [
        (None, f"s3://{SOURCE}/nothing/here.m3u8", 1404, "Not Found"),
        ("live", f"s3://{SOURCE}/live/child.m3u8", 1010, "not VOD"),
        ("encrypted", f"s3://{SOURCE}/enc/child.m3u8", 1010, "encrypted"),
        ("garbage", f"s3://{SOURCE}/junk/child.m3u8", 1010, "not HLS"),
    ],
)
def test_inputs_it_cannot_read_end_the_job_in_error(mc, aws, role, setup, source, code, words):
    s3 = aws["s3"]
    bodies = {"live": LIVE_CHILD, "encrypted": ENCRYPTED_CHILD, "garbage": "\x00\x01 not a playlist"}
    if setup:
        s3.put_object(Bucket=SOURCE, Key=source.split("/", 3)[3], Body=bodies[setup].encode())
    done = wait(mc, mc.create_job(Role=role, Settings=job_settings(source=source))["Job"]["Id"])
    assert done["Status"] == "ERROR" and done["ErrorCode"] == code
    assert words in done["ErrorMessage"] and source in done["ErrorMessage"]
    assert "OutputGroupDetails" not in done
    assert s3.list_objects_v2(Bucket=OUT).get("KeyCount") == 0


@pytest.mark.parametrize(
    ("statements", "trust", "code", "words"),
    [
        ([READ, WRITE], {"Version": "2012-10-17", "Statement": []}, 1432, "does not trust mediaconvert.amazonaws.com"),
        ([WRITE], TRUST, 1401, "does not allow s3:GetObject"),
        ([READ], TRUST, 1401, "Unable to write to output file"),
    ],
)
def test_a_role_that_cannot_read_or_write_ends_the_job_in_error(mc, aws, role, statements, trust, code, words):
    weak = _role(aws["iam"], "weak", statements, trust)
    done = wait(mc, mc.create_job(Role=weak, Settings=job_settings())["Job"]["Id"])
    assert done["Status"] == "ERROR" and done["ErrorCode"] == code and words in done["ErrorMessage"]
    assert aws["s3"].list_objects_v2(Bucket=OUT).get("KeyCount") == 0


def test_a_client_request_token_makes_one_job(mc, role):
    first = mc.create_job(Role=role, Settings=job_settings(), ClientRequestToken="game-1-master")["Job"]
    again = mc.create_job(Role=role, Settings=job_settings(), ClientRequestToken="game-1-master")["Job"]
    assert again["Id"] == first["Id"]
    other = mc.create_job(Role=role, Settings=job_settings())["Job"]  # boto3 fills a fresh token
    assert other["Id"] != first["Id"]
    assert len(mc.list_jobs()["Jobs"]) == 2


def test_cancel_stops_a_running_job_and_writes_nothing(mc, aws, role, stack):
    FaultControl(stack.url).add("transcode_stuck", job="game-9", seconds=30)
    job = mc.create_job(Role=role, Settings=job_settings(), UserMetadata={"event_id": "game-9"})["Job"]
    deadline = time.monotonic() + 10
    while mc.get_job(Id=job["Id"])["Job"]["Status"] != "PROGRESSING" and time.monotonic() < deadline:
        time.sleep(0.05)
    mc.cancel_job(Id=job["Id"])
    done = wait(mc, job["Id"])
    assert done["Status"] == "CANCELED" and "ErrorCode" not in done
    assert aws["s3"].list_objects_v2(Bucket=OUT).get("KeyCount") == 0
    with pytest.raises(mc.exceptions.ConflictException, match="CANCELED"):
        mc.cancel_job(Id=job["Id"])
    with pytest.raises(mc.exceptions.NotFoundException):
        mc.cancel_job(Id="1700000000000-nosuch")


def test_jobs_report_progress_and_the_stack_answers_while_they_run(mc, aws, role):
    s3 = aws["s3"]
    for key, (body, content_type) in ladder_asset(segments=25).objects.items():  # 50 s
        s3.put_object(Bucket=SOURCE, Key="long/" + key, Body=body, ContentType=content_type or "")
    settings = job_settings(mp4_output("_master"), source=f"s3://{SOURCE}/long/{PREFIX}index.m3u8")
    job = mc.create_job(Role=role, Settings=settings)["Job"]
    seen = []
    while (current := mc.get_job(Id=job["Id"])["Job"])["Status"] in ("SUBMITTED", "PROGRESSING"):
        if current.get("CurrentPhase") == "TRANSCODING":
            seen.append(current["JobPercentComplete"])
        time.sleep(0.02)
    assert current["Status"] == "COMPLETE", current.get("ErrorMessage")
    assert any(0 < p < 100 for p in seen), seen
    assert seen == sorted(seen)


def test_listing_jobs_by_status_and_order(mc, role):
    ids = [mc.create_job(Role=role, Settings=job_settings())["Job"]["Id"] for _ in range(3)]
    for job_id in ids:
        wait(mc, job_id)
    assert [j["Id"] for j in mc.list_jobs(Order="ASCENDING")["Jobs"]] == ids
    assert [j["Id"] for j in mc.list_jobs()["Jobs"]] == ids[::-1]
    assert len(mc.list_jobs(Status="COMPLETE", Queue="Default")["Jobs"]) == 3
    assert mc.list_jobs(Status="ERROR")["Jobs"] == []
    page = mc.list_jobs(MaxResults=2)
    assert len(page["Jobs"]) == 2 and len(mc.list_jobs(MaxResults=2, NextToken=page["NextToken"])["Jobs"]) == 1
    assert len(mc.search_jobs(InputFile="index.m3u8")["Jobs"]) == 3


def test_job_templates(mc, aws, role):
    template = job_settings(mp4_output("_proxy", width=320, height=180))
    template.pop("Inputs")
    created = mc.create_job_template(Name="broadcast-proxy", Settings=template, Description="proxy")["JobTemplate"]
    assert created["Arn"].endswith(":jobTemplates/broadcast-proxy") and created["Type"] == "CUSTOM"
    with pytest.raises(mc.exceptions.ConflictException):
        mc.create_job_template(Name="broadcast-proxy", Settings=template)
    assert [t["Name"] for t in mc.list_job_templates()["JobTemplates"]] == ["broadcast-proxy"]
    inputs_only = {"Inputs": job_settings()["Inputs"]}
    done = wait(mc, mc.create_job(Role=role, JobTemplate="broadcast-proxy", Settings=inputs_only)["Job"]["Id"])
    assert done["Status"] == "COMPLETE", done.get("ErrorMessage")
    assert done["JobTemplate"].endswith(":jobTemplates/broadcast-proxy")
    assert done["OutputGroupDetails"][0]["OutputDetails"][0]["VideoDetails"] == {"WidthInPx": 320, "HeightInPx": 180}
    assert aws["s3"].head_object(Bucket=OUT, Key="game/index_proxy.mp4")["ContentLength"] > 0
    mc.update_job_template(Name="broadcast-proxy", Description="changed")
    assert mc.get_job_template(Name="broadcast-proxy")["JobTemplate"]["Description"] == "changed"
    mc.delete_job_template(Name="broadcast-proxy")
    with pytest.raises(mc.exceptions.NotFoundException):
        mc.get_job_template(Name="broadcast-proxy")
    with pytest.raises(mc.exceptions.BadRequestException, match="jobTemplate"):
        mc.create_job(Role=role, JobTemplate="broadcast-proxy", Settings=inputs_only)


def test_queue_and_endpoints_as_aws_answers_old_clients(mc, stack):
    assert mc.describe_endpoints()["Endpoints"] == [{"Url": stack.url}]
    queue = mc.get_queue(Name="Default")["Queue"]
    assert queue["Name"] == "Default" and queue["Status"] == "ACTIVE"
    assert [q["Name"] for q in mc.list_queues()["Queues"]] == ["Default"]
    with pytest.raises(mc.exceptions.NotFoundException):
        mc.get_queue(Name="reserved")


def test_state_changes_reach_eventbridge(mc, aws, role):
    sqs, events = aws["sqs"], aws["events"]
    queue = sqs.create_queue(QueueName="mediaconvert-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.mediaconvert"], "detail-type": ["MediaConvert Job State Change"]}
    events.put_rule(Name="mediaconvert", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="mediaconvert", Targets=[{"Id": "q", "Arn": queue_arn}])
    job = mc.create_job(Role=role, Settings=job_settings(), UserMetadata={"event_id": "game-7"})["Job"]
    assert wait(mc, job["Id"])["Status"] == "COMPLETE"
    seen = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not seen or seen[-1]["detail"]["status"] != "COMPLETE"):
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            seen.append(json.loads(message["Body"]))
    assert [e["detail"]["status"] for e in seen] == ["PROGRESSING", "INPUT_INFORMATION", "COMPLETE"]
    complete = seen[-1]
    assert complete["resources"] == [job["Arn"]] and complete["detail"]["jobId"] == job["Id"]
    assert complete["detail"]["userMetadata"] == {"event_id": "game-7"}
    (output,) = complete["detail"]["outputGroupDetails"][0]["outputDetails"]
    assert output["outputFilePaths"] == [f"s3://{OUT}/game/index_master.mp4"] and output["durationInMs"] == 16_000


def test_an_injected_transcode_fault_fails_the_job_it_picks(mc, role, stack):
    FaultControl(stack.url).add("transcode_fail", job="game-3", code=1040, message="decoder hiccup")
    other = mc.create_job(Role=role, Settings=job_settings(), UserMetadata={"event_id": "game-2"})["Job"]
    picked = mc.create_job(Role=role, Settings=job_settings(), UserMetadata={"event_id": "game-3"})["Job"]
    assert wait(mc, other["Id"])["Status"] == "COMPLETE"
    failed = wait(mc, picked["Id"])
    assert (failed["Status"], failed["ErrorCode"], failed["ErrorMessage"]) == ("ERROR", 1040, "decoder hiccup")


def test_api_faults_apply_to_mediaconvert(mc, role, stack):
    FaultControl(stack.url).add("throttle", service="mediaconvert", operation="GetJob", count=5)
    job = mc.create_job(Role=role, Settings=job_settings())["Job"]
    with pytest.raises(ClientError) as raised:
        mc.get_job(Id=job["Id"])  # the fixture's clients retry twice
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
