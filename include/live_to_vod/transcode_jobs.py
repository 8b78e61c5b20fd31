"""The MediaConvert job of one harvested output: what it makes, which frames, from which settings.

Pure domain module. A harvest is segment-accurate; the MediaConvert job makes it frame-accurate:
its ``InputClippings`` start on the first frame at or after the output's requested start and end
on the last frame before its requested end, computed from the harvested asset's first
``EXT-X-PROGRAM-DATE-TIME`` (MediaConvert ignores PDT: with ``TimecodeSource: ZEROBASED`` the
asset's first frame is 00:00:00:00). One job per output makes every product asked for:

* ``mp4``: an MP4 (H.264 + AAC) of the output's window, the event's master for ``full`` and
  ``part-NN`` outputs, the highlight for ``clip-*`` outputs;
* ``thumbnails``: JPEG frame captures, the first (the poster) at the requested start, then one
  every ``thumbnail_interval_seconds``.

Its files go to ``s3://<bucket>/mediaconvert/<the manifest's folder>/``. The job's settings come
from a template (:data:`TEMPLATES_DIR` JSON files, or a MediaConvert job
template by name): the pipeline keeps the template's outputs for the products asked for and
fills in the input, clipping and destination; codecs, sizes and rates stay the template's.
"""

from __future__ import annotations

import copy
import json
import math
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TEMPLATE",
    "PRODUCTS",
    "TEMPLATES_DIR",
    "ClipFrames",
    "TemplateError",
    "clip_frames",
    "expected_mp4_keys",
    "job_settings",
    "load_template_file",
    "template_problems",
    "thumbnail_prefix",
]

PRODUCTS = ("mp4", "thumbnails")
TEMPLATES_DIR = Path(__file__).parent / "mediaconvert_templates"
DEFAULT_TEMPLATE = "broadcast_proxy.json"
#: The audio selector the pipeline defines and the templates' audio descriptions name.
AUDIO_SELECTOR = "Audio Selector 1"
#: The prefix every MediaConvert output goes under (the MediaConvert role may write there only).
OUTPUT_FOLDER = "mediaconvert"


class TemplateError(ValueError):
    """A template the pipeline cannot use; the message names the template and what is wrong."""


@dataclass(frozen=True)
class ClipFrames:
    """The frames of a requested span, counted from the asset's first frame (frame 0)."""

    first: int
    last: int
    rate: Fraction  # frames per second (30000/1001 for 29.97)

    @property
    def frames(self) -> int:
        return self.last - self.first + 1

    @property
    def timecode_rate(self) -> int:
        """Timecodes count whole frames at the nominal rate (30 for 29.97, non-drop-frame)."""
        return round(self.rate)

    @property
    def start_timecode(self) -> str:
        return timecode(self.first, self.timecode_rate)

    @property
    def end_timecode(self) -> str:
        return timecode(self.last, self.timecode_rate)

    @property
    def duration_seconds(self) -> Fraction:
        return self.frames / self.rate


def timecode(frames: int, rate: int) -> str:
    """``HH:MM:SS:FF`` of a frame count at ``rate`` whole frames per second."""
    seconds, ff = divmod(frames, rate)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(t: datetime) -> int:
    d = t - _EPOCH  # a pendulum Duration for pendulum times: exact fields, no division
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def clip_frames(asset_start: datetime, start: datetime, end: datetime, rate: Fraction) -> ClipFrames:
    """The first frame at or after ``start`` to the last frame before ``end``, for an asset whose
    frame 0 is shown at ``asset_start`` (its first PDT) and runs at ``rate`` frames per second.

    Raises ValueError when the asset starts after ``start`` (the harvest lost the span's
    beginning) or the span holds no frame.
    """
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {rate}")
    origin = _microseconds(asset_start)
    from_us, to_us = _microseconds(start) - origin, _microseconds(end) - origin
    if from_us < 0:
        raise ValueError(
            f"the asset starts at {asset_start.isoformat()}, after the requested start {start.isoformat()}"
        )
    first = math.ceil(Fraction(from_us, 1_000_000) * rate)
    last = math.ceil(Fraction(to_us, 1_000_000) * rate) - 1
    if last < first:
        raise ValueError(f"no frame lies between {start.isoformat()} and {end.isoformat()}")
    return ClipFrames(first, last, Fraction(rate))


def load_template_file(name: str, directory: Path = TEMPLATES_DIR) -> dict[str, Any]:
    """The ``Settings`` of a JSON template file (``{"Settings": {...}}``, as ``GetJobTemplate`` shows
    a template, or the bare settings)."""
    if "/" in name or "\\" in name or not name.endswith(".json"):
        raise TemplateError(f"mediaconvert template {name!r}: a file name in {directory.name}/ ending in .json")
    path = directory / name
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        known = ", ".join(sorted(p.name for p in directory.glob("*.json"))) or "none"
        raise TemplateError(f"mediaconvert template {name!r} does not exist (known: {known})") from None
    except ValueError as exc:
        raise TemplateError(f"mediaconvert template {name!r} is not valid JSON: {exc}") from None
    settings = document.get("Settings", document) if isinstance(document, dict) else None
    if not isinstance(settings, dict):
        raise TemplateError(f"mediaconvert template {name!r} must be a JSON object of job settings")
    return settings


def _outputs(settings: Mapping[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    for group in settings.get("OutputGroups") or []:
        for output in group.get("Outputs") or []:
            yield group, output


def _product(output: Mapping[str, Any]) -> str | None:
    container = (output.get("ContainerSettings") or {}).get("Container") or "MP4"
    codec = ((output.get("VideoDescription") or {}).get("CodecSettings") or {}).get("Codec")
    if container == "RAW" and codec == "FRAME_CAPTURE":
        return "thumbnails"
    if container == "MP4":
        return "mp4"
    return None


def template_problems(name: str, settings: Mapping[str, Any], products: Iterable[str]) -> list[str]:
    """Why ``settings`` cannot make ``products``: each product needs an output of its kind in a
    file group, and every MP4 output must take its audio from the pipeline's audio selector."""
    problems = []
    found: dict[str, int] = {}
    for group, output in _outputs(settings):
        kind = _product(output)
        if kind is None:
            continue
        if (group.get("OutputGroupSettings") or {}).get("Type") != "FILE_GROUP_SETTINGS":
            problems.append(f"template {name!r}: its {kind} output must be in a FILE_GROUP_SETTINGS output group")
        found[kind] = found.get(kind, 0) + 1
        for audio in output.get("AudioDescriptions") or []:
            source = audio.get("AudioSourceName", AUDIO_SELECTOR)
            if source != AUDIO_SELECTOR:
                problems.append(
                    f"template {name!r}: audio comes from {source!r}; the pipeline defines {AUDIO_SELECTOR!r}"
                )
    for product in products:
        if not found.get(product):
            kind = "MP4 output" if product == "mp4" else "RAW FRAME_CAPTURE output"
            problems.append(f"template {name!r} has no {kind}, which {product!r} needs")
    return problems


def destination_uri(bucket: str, manifest_key: str) -> str:
    """``s3://bucket/mediaconvert/<manifest folder>/``: outside the harvest's folder (which holds
    only what MediaPackage wrote, as verify expects), under one prefix the MediaConvert role may
    write and nothing else."""
    folder = posixpath.dirname(manifest_key)
    return f"s3://{bucket}/{OUTPUT_FOLDER}/{folder + '/' if folder else ''}"


def job_settings(
    template: Mapping[str, Any],
    *,
    input_uri: str,
    destination: str,
    products: Iterable[str],
    clip: ClipFrames,
    thumbnail_interval_seconds: int,
    audio_group: str | None = None,
) -> dict[str, Any]:
    """The job's ``Settings``: the template's outputs for ``products`` (others dropped, empty groups
    too), every file group writing to ``destination``, and one input clipped to ``clip``."""
    wanted = set(products)
    settings = copy.deepcopy(dict(template))
    groups = []
    for group in settings.get("OutputGroups") or []:
        group["Outputs"] = [o for o in group.get("Outputs") or [] if _product(o) in wanted]
        if not group["Outputs"]:
            continue
        file_group = group.setdefault("OutputGroupSettings", {}).setdefault("FileGroupSettings", {})
        file_group["Destination"] = destination
        for output in group["Outputs"]:
            if _product(output) == "thumbnails":
                capture = output["VideoDescription"]["CodecSettings"].setdefault("FrameCaptureSettings", {})
                capture.update(FramerateNumerator=1, FramerateDenominator=thumbnail_interval_seconds)
        groups.append(group)
    settings["OutputGroups"] = groups
    selector: dict[str, Any] = {"DefaultSelection": "DEFAULT"}
    if audio_group:
        selector["HlsRenditionGroupSettings"] = {"RenditionGroupId": audio_group}
    settings["Inputs"] = [
        {
            "FileInput": input_uri,
            "TimecodeSource": "ZEROBASED",
            "InputClippings": [{"StartTimecode": clip.start_timecode, "EndTimecode": clip.end_timecode}],
            "AudioSelectors": {AUDIO_SELECTOR: selector},
            "VideoSelector": {},
        }
    ]
    return settings


def _output_stems(settings: Mapping[str, Any], input_uri: str, product: str) -> list[tuple[str, dict[str, Any]]]:
    """(where it writes, without the extension; the output) of each ``product`` output of a job with
    ``settings``. MediaConvert's naming: a destination folder, the input's file name, the
    ``NameModifier``; a destination not ending in ``/`` names the file itself."""
    stem = posixpath.splitext(posixpath.basename(input_uri))[0]
    found = []
    for group, output in _outputs(settings):
        if _product(output) == product:
            destination = group["OutputGroupSettings"]["FileGroupSettings"]["Destination"]
            name = stem if destination.endswith("/") else ""
            found.append((f"{destination}{name}{output.get('NameModifier') or ''}", output))
    return found


def expected_mp4_keys(settings: Mapping[str, Any], input_uri: str) -> list[str]:
    """The S3 URIs of the MP4 files a job with ``settings`` writes."""
    return [f"{stem}.{o.get('Extension') or 'mp4'}" for stem, o in _output_stems(settings, input_uri, "mp4")]


def thumbnail_prefix(settings: Mapping[str, Any], input_uri: str) -> str | None:
    """The S3 URI prefix the job's thumbnails share (``<stem>.0000000.jpg``...); None without any."""
    stems = _output_stems(settings, input_uri, "thumbnails")
    return f"{stems[0][0]}." if stems else None
