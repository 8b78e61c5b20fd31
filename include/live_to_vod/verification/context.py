"""What the stages of one verification share: the asset's objects, the defects, the renditions found."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import pendulum

from live_to_vod.verification.report import DefectLog, RenditionReport, to_pendulum
from live_to_vod.verification.store import AssetReader
from live_to_vod.verification.uris import dirname

__all__ = ["Context", "Rendition", "SampleSegment"]

_AUDIO_TOLERANCE_SECONDS = 0.1
#: The kinds of rendition that carry media on the timeline (I-frame playlists do not).
TIMED_KINDS = ("video", "audio", "subtitles")


class SampleSegment(NamedTuple):
    """A segment the decode stage fetches: the first and the last usable one of a rendition."""

    index: int
    uri: str
    key: str
    duration: float
    init_key: str | None


@dataclass
class Rendition:
    """One child playlist: what the parent says of it, then what its own check found."""

    uri: str
    kind: str
    key: str | None
    bandwidth: int | None = None
    resolution: str | None = None
    codecs: str | None = None
    frame_rate: float | None = None
    group_id: str | None = None
    name: str | None = None
    # filled by the media playlist check
    segments: int = 0
    bytes: int = 0
    duration: float = 0.0
    target_duration: int | None = None
    first_time: float | None = None
    first_duration: float = 0.0
    last_time: float | None = None
    last_duration: float = 0.0
    sample_segments: list[SampleSegment] = field(default_factory=list)
    checked: bool = False
    parsed: bool = False
    first_pdt: pendulum.DateTime | None = None  # the first segment's own PDT, when it has one

    @property
    def timed(self) -> bool:
        return self.kind in TIMED_KINDS

    @property
    def end_time(self) -> float | None:
        return None if self.last_time is None else self.last_time + self.last_duration

    def tolerance(self, base: float) -> float:
        if self.kind == "audio":
            return max(base, _AUDIO_TOLERANCE_SECONDS)
        if self.frame_rate and math.isfinite(self.frame_rate) and self.frame_rate > 0:
            return max(base, 0.5 / self.frame_rate)
        return base

    def label(self) -> str:
        return self.key or self.uri

    def report(self) -> RenditionReport:
        return RenditionReport(
            playlist_key=self.key,
            uri=self.uri,
            segments=self.segments,
            bytes=self.bytes,
            duration_seconds=round(self.duration, 6),
            first_pdt=self.first_pdt if self.first_pdt is not None else to_pendulum(self.first_time),
            end_pdt=to_pendulum(self.end_time),
            bandwidth=self.bandwidth,
            resolution=self.resolution,
            codecs=self.codecs,
            kind=self.kind,
            target_duration=self.target_duration,
            group_id=self.group_id,
            name=self.name,
        )


@dataclass
class Context:
    """One verification in progress: the request, the limits, and what the stages found so far."""

    reader: AssetReader
    manifest_key: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    max_playlist_bytes: int
    tolerance: float
    max_segment_bytes: int
    defects: DefectLog = field(default_factory=DefectLog)
    renditions: list[Rendition] = field(default_factory=list)
    #: The asset prefix: the parent manifest's "directory".
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        self.prefix = dirname(self.manifest_key)

    @property
    def objects(self) -> dict[str, int]:
        """Every listed key and its size."""
        return self.reader.objects

    @property
    def referenced(self) -> set[str]:
        """The keys some playlist names."""
        return self.reader.referenced
