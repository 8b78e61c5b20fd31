"""A job's ``Settings`` as the local stack transcodes them: validated at ``CreateJob`` (a
``BadRequestException`` names the field, as MediaConvert's do) and turned into transcoder specs.

Supported: one input (``FileInput`` on S3, ``TimecodeSource``, ``TimecodeStart``, ``InputClippings``,
``AudioSelectors``); file groups (``FILE_GROUP_SETTINGS``) of MP4 outputs (H.264 + AAC) and of
``RAW`` + ``FRAME_CAPTURE`` outputs (JPEG). Anything else is refused by name, never ignored.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from devstack.mediaconvert import timecode
from devstack.mediaconvert.inputs import S3_URI
from devstack.mediaconvert.transcode import AudioSpec, CaptureSpec, Mp4Spec, Span
from devstack.restjson import ServiceError

TIMECODE_SOURCES = ("EMBEDDED", "ZEROBASED", "SPECIFIEDSTART")
PRESETS = {"SINGLE_PASS": "superfast", "SINGLE_PASS_HQ": "veryfast", "MULTI_PASS_HQ": "faster"}


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


@dataclass(frozen=True)
class Destination:
    bucket: str
    prefix: str  # key prefix the output names are appended to ("clips/" or "clips/name")


@dataclass(frozen=True)
class OutputPlan:
    group: int
    output: int
    destination: Destination
    name: str  # the file name (MP4) or stem (captures) under the destination
    mp4: Mp4Spec | None
    capture: CaptureSpec | None


@dataclass(frozen=True)
class JobPlan:
    file_input: str
    audio_selectors: dict[str, Any]
    timecode_source: str
    timecode_start: str | None
    clippings: list[tuple[str | None, str | None]]
    outputs: list[OutputPlan]

    def spans(self, fps: int) -> list[Span]:
        """The clippings as input frame spans (frames counted from the input's first frame)."""
        origin = 0
        if self.timecode_source == "SPECIFIEDSTART":
            origin = timecode.parse(self.timecode_start or "", fps, "TimecodeStart")
        # EMBEDDED: the stack's inputs carry no embedded timecode, and MediaConvert then counts from zero.
        if not self.clippings:
            return [Span(0, None)]
        spans = []
        for i, (start, end) in enumerate(self.clippings):
            first = 0 if start is None else timecode.parse(start, fps, f"InputClippings[{i}].StartTimecode") - origin
            last = None if end is None else timecode.parse(end, fps, f"InputClippings[{i}].EndTimecode") - origin
            if first < 0 or (last is not None and last < first):
                raise timecode.TimecodeError(
                    f"InputClippings[{i}] ({start} to {end}) is outside the input's timecodes, which start at "
                    f"{timecode.format_frames(origin, fps)}"
                )
            spans.append(Span(first, last))
        return spans


def plan_job(settings: dict[str, Any]) -> JobPlan:
    """Validates ``settings`` (raising BadRequestException naming the field) and plans the job."""
    inputs = settings.get("Inputs") or []
    if len(inputs) != 1:
        raise bad_request(f"/inputs: the local stack transcodes exactly one input per job, got {len(inputs)}")
    source = inputs[0]
    file_input = source.get("FileInput")
    if not file_input:
        raise bad_request("/inputs/0/fileInput: is required")
    if not S3_URI.match(file_input):
        raise bad_request(f"/inputs/0/fileInput: {file_input!r} is not an s3://bucket/key URI")
    tc_source = source.get("TimecodeSource") or "EMBEDDED"
    tc_start = source.get("TimecodeStart")
    if tc_source == "SPECIFIEDSTART":
        if not tc_start:
            raise bad_request("/inputs/0/timecodeStart: is required when timecodeSource is SPECIFIEDSTART")
        if problem := timecode.syntax_problem(tc_start):
            raise bad_request(f"/inputs/0/timecodeStart: {problem}")
    clippings = []
    for i, clip in enumerate(source.get("InputClippings") or []):
        start, end = clip.get("StartTimecode"), clip.get("EndTimecode")
        if start is None and end is None:
            raise bad_request(f"/inputs/0/inputClippings/{i}: give startTimecode, endTimecode or both")
        for name, value in (("startTimecode", start), ("endTimecode", end)):
            if value is not None and (problem := timecode.syntax_problem(value)):
                raise bad_request(f"/inputs/0/inputClippings/{i}/{name}: {problem}")
        clippings.append((start, end))
    basename = posixpath.splitext(posixpath.basename(file_input.split("://", 1)[1]))[0]
    groups = settings.get("OutputGroups") or []
    if not groups:
        raise bad_request("/outputGroups: a job needs at least one output group")
    outputs: list[OutputPlan] = []
    for g, group in enumerate(groups):
        outputs.extend(_plan_group(g, group, basename, source.get("AudioSelectors") or {}))
    names = [(o.destination, o.name) for o in outputs]
    if len(set(names)) != len(names):
        raise bad_request("/outputGroups: two outputs write the same file: give them different nameModifiers")
    return JobPlan(file_input, source.get("AudioSelectors") or {}, tc_source, tc_start, clippings, outputs)


def _plan_group(g: int, group: dict[str, Any], basename: str, selectors: dict[str, Any]) -> list[OutputPlan]:
    where = f"/outputGroups/{g}"
    settings = group.get("OutputGroupSettings") or {}
    kind = settings.get("Type")
    if kind != "FILE_GROUP_SETTINGS":
        raise bad_request(
            f"{where}/outputGroupSettings/type: the local stack writes FILE_GROUP_SETTINGS only, not {kind}"
        )
    destination = (settings.get("FileGroupSettings") or {}).get("Destination")
    if not destination:
        raise bad_request(f"{where}/outputGroupSettings/fileGroupSettings/destination: is required")
    bucket, _, key = destination.removeprefix("s3://").partition("/")
    if not destination.startswith("s3://") or not S3_URI.match(f"s3://{bucket}/x"):
        raise bad_request(
            f"{where}/outputGroupSettings/fileGroupSettings/destination: {destination!r} is not s3://bucket/prefix"
        )
    # ``s3://b/dir/`` writes ``dir/<input name><modifier>``; ``s3://b/dir/name`` writes ``dir/name<modifier>``.
    if not key or key.endswith("/"):
        prefix, stem = key, basename
    else:
        prefix, stem = (posixpath.dirname(key) + "/").lstrip("/"), posixpath.basename(key)
    outputs = group.get("Outputs") or []
    if not outputs:
        raise bad_request(f"{where}/outputs: an output group needs at least one output")
    plans = []
    for o, output in enumerate(outputs):
        plans.append(_plan_output(f"{where}/outputs/{o}", g, o, output, Destination(bucket, prefix), stem, selectors))
    return plans


def _plan_output(
    where: str, g: int, o: int, output: dict[str, Any], destination: Destination, stem: str, selectors: dict[str, Any]
) -> OutputPlan:
    container = (output.get("ContainerSettings") or {}).get("Container") or "MP4"
    video = output.get("VideoDescription") or {}
    codec_settings = video.get("CodecSettings") or {}
    codec = codec_settings.get("Codec")
    width, height = video.get("Width"), video.get("Height")
    for name, value in (("width", width), ("height", height)):
        if value is not None and not 32 <= value <= 8192:
            raise bad_request(f"{where}/videoDescription/{name}: must be between 32 and 8192, got {value}")
    modifier = output.get("NameModifier") or ""
    if container == "MP4":
        if codec != "H_264":
            raise bad_request(
                f"{where}/videoDescription/codecSettings/codec: the local stack encodes MP4 as H_264, not {codec}"
            )
        h264 = codec_settings.get("H264Settings") or {}
        mode = h264.get("RateControlMode") or "CBR"
        bitrate, max_bitrate, crf = h264.get("Bitrate"), h264.get("MaxBitrate"), None
        if mode in ("CBR", "VBR") and not bitrate:
            raise bad_request(f"{where}/videoDescription/codecSettings/h264Settings/bitrate: is required for {mode}")
        if mode == "QVBR":
            if not max_bitrate:
                raise bad_request(
                    f"{where}/videoDescription/codecSettings/h264Settings/maxBitrate: is required for QVBR"
                )
            level = (h264.get("QvbrSettings") or {}).get("QvbrQualityLevel") or 7
            crf = 44 - 2 * level  # level 7 -> CRF 30, 10 -> 24
            bitrate = max_bitrate
        if mode == "CBR":
            max_bitrate = bitrate
        gop = h264.get("GopSize")
        if gop is not None and (h264.get("GopSizeUnits") or "FRAMES") == "SECONDS":
            gop = round(gop * 25)
        audio = _plan_audio(where, output.get("AudioDescriptions") or [], selectors)
        extension = output.get("Extension") or "mp4"
        spec = Mp4Spec(
            f"g{g}o{o}.{extension}",
            width,
            height,
            int(bitrate),
            int(max_bitrate) if max_bitrate else None,
            crf,
            int(gop) if gop else None,
            PRESETS.get(h264.get("QualityTuningLevel") or "SINGLE_PASS", "superfast"),
            audio,
        )
        return OutputPlan(g, o, destination, f"{stem}{modifier}.{extension}", spec, None)
    if container == "RAW":
        if codec != "FRAME_CAPTURE":
            raise bad_request(
                f"{where}/videoDescription/codecSettings/codec: a RAW output must be FRAME_CAPTURE, not {codec}"
            )
        if output.get("AudioDescriptions"):
            raise bad_request(f"{where}/audioDescriptions: a FRAME_CAPTURE output has no audio")
        fc = codec_settings.get("FrameCaptureSettings") or {}
        numerator, denominator = fc.get("FramerateNumerator") or 1, fc.get("FramerateDenominator") or 1
        quality = fc.get("Quality") or 80
        if not 1 <= quality <= 100:
            raise bad_request(f"{where}/videoDescription/codecSettings/frameCaptureSettings/quality: must be 1..100")
        spec = CaptureSpec(f"g{g}o{o}", width, height, Fraction(denominator, numerator), fc.get("MaxCaptures"), quality)
        return OutputPlan(g, o, destination, f"{stem}{modifier}", None, spec)
    raise bad_request(f"{where}/containerSettings/container: the local stack writes MP4 and RAW, not {container}")


def _plan_audio(where: str, descriptions: list[dict[str, Any]], selectors: dict[str, Any]) -> AudioSpec | None:
    if not descriptions:
        return None
    if len(descriptions) > 1:
        raise bad_request(f"{where}/audioDescriptions: the local stack writes one audio track per output")
    description = descriptions[0]
    source_name = description.get("AudioSourceName") or "Audio Selector 1"
    if selectors and source_name not in selectors:
        raise bad_request(f"{where}/audioDescriptions/0/audioSourceName: no audio selector is named {source_name!r}")
    codec_settings = description.get("CodecSettings") or {}
    if (codec := codec_settings.get("Codec")) != "AAC":
        raise bad_request(f"{where}/audioDescriptions/0/codecSettings/codec: the local stack encodes AAC, not {codec}")
    aac = codec_settings.get("AacSettings") or {}
    mode = aac.get("CodingMode") or "CODING_MODE_2_0"
    if mode not in ("CODING_MODE_1_0", "CODING_MODE_2_0"):
        raise bad_request(
            f"{where}/audioDescriptions/0/codecSettings/aacSettings/codingMode: mono or stereo only, not {mode}"
        )
    rate = aac.get("SampleRate") or 48_000
    if rate not in (32_000, 44_100, 48_000):
        raise bad_request(
            f"{where}/audioDescriptions/0/codecSettings/aacSettings/sampleRate: 32000, 44100 or 48000, not {rate}"
        )
    return AudioSpec(int(aac.get("Bitrate") or 96_000), int(rate), 2 if mode == "CODING_MODE_2_0" else 1)
