"""What the stages of one verification share: the asset's objects, the defects, the renditions found."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import pendulum

from live_to_vod.text import clip
from live_to_vod.verification.report import DefectLog, RenditionReport, SegmentReads, to_pendulum
from live_to_vod.verification.store import AssetReader
from live_to_vod.verification.uris import dirname

__all__ = ["Context", "Rendition", "SegmentRef", "segment_where"]

_AUDIO_TOLERANCE_SECONDS = 0.1
#: The kinds of rendition that carry media on the timeline (I-frame playlists do not).
TIMED_KINDS = ("video", "audio", "subtitles")


class SegmentRef(NamedTuple):
    """A usable media segment of a rendition, as the segment walk found it in the listing.

    ``index`` is its position in the playlist, ``start`` its start on the playlist's own
    timeline (the #EXTINF durations before it) and ``epoch`` the number of discontinuities
    before it: media timestamps are only compared within one epoch.
    """

    index: int
    uri: str
    key: str
    duration: float
    size: int
    init_key: str | None
    epoch: int
    start: float

    def where(self, playlist_key: str) -> str:
        return segment_where(playlist_key, self.index, self.uri)


def segment_where(playlist_key: str, index: int, uri: str) -> str:
    """Where a defect of a segment is: its playlist, its number there and its URI."""
    return f"{playlist_key} segment #{index} ({clip(uri, 80)})"


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
    average_bandwidth: int | None = None
    #: Every usable segment (listed, not empty, not a byte range), in playlist order.
    media_segments: list[SegmentRef] = field(default_factory=list)
    #: Positions in ``media_segments`` the listing found odd, and why: read and decoded whole.
    suspects: dict[int, str] = field(default_factory=dict)
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
    reads: SegmentReads = field(default_factory=SegmentReads)
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
