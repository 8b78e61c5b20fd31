"""What a verification returns: defects, one report per rendition, and the report of the asset.

Also the :class:`DefectLog` the stages report into: it takes a :class:`~.catalog.Check` (the
defect's id and severity come from it) and caps the repeats of one check in one playlist.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pendulum

from live_to_vod.verification.catalog import ERROR, Check
from live_to_vod.verification.limits import MAX_DEFECTS_PER_CHECK

__all__ = ["Defect", "DefectLog", "RenditionReport", "SegmentReads", "VerificationReport"]


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def fmt(value: datetime | None) -> str:
    """A time in a message, to the millisecond."""
    return "unknown" if value is None else value.isoformat(timespec="milliseconds")


def to_pendulum(ts: float | None) -> pendulum.DateTime | None:
    """A POSIX timestamp as a UTC time; ``None`` for none or one out of range."""
    if ts is None:
        return None
    try:
        return pendulum.from_timestamp(ts, tz="UTC")
    except (OverflowError, ValueError, OSError):
        return None


def fmt_ts(ts: float | None) -> str:
    """A POSIX timestamp in a message."""
    return fmt(to_pendulum(ts)) if ts is not None else "unknown"


@dataclass(frozen=True)
class Defect:
    """One thing wrong with the asset.

    ``check`` is a short stable id from the catalog (``missing-segment``, ``gap``...),
    ``location`` the object key (plus segment number/URI where relevant), ``message`` a plain
    sentence with the numbers. Warnings do not make the report fail.
    """

    check: str
    location: str
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class RenditionReport:
    """What one rendition (child playlist) of the asset holds."""

    playlist_key: str | None
    uri: str
    segments: int
    bytes: int
    duration_seconds: float
    first_pdt: pendulum.DateTime | None
    end_pdt: pendulum.DateTime | None
    bandwidth: int | None = None
    resolution: str | None = None
    codecs: str | None = None
    kind: str = "video"
    target_duration: int | None = None
    group_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "playlist_key": self.playlist_key,
            "uri": self.uri,
            "kind": self.kind,
            "segments": self.segments,
            "bytes": self.bytes,
            "duration_seconds": self.duration_seconds,
            "first_pdt": iso(self.first_pdt),
            "end_pdt": iso(self.end_pdt),
            "target_duration": self.target_duration,
            "bandwidth": self.bandwidth,
            "resolution": self.resolution,
            "codecs": self.codecs,
            "group_id": self.group_id,
            "name": self.name,
        }

    def attributes(self) -> list[str]:
        """``BANDWIDTH=...`` and the like for the parent's attributes it has, as the summary lists them."""
        return [
            f"{label}={value}"
            for label, value in (
                ("BANDWIDTH", self.bandwidth),
                ("RESOLUTION", self.resolution),
                ("CODECS", self.codecs),
                ("GROUP-ID", self.group_id),
                ("NAME", self.name),
            )
            if value is not None
        ]


@dataclass
class SegmentReads:
    """What a verification read of the media segments: ``mode`` (``full``, ``sampled`` or ``listing``),
    segments ``probed`` (their first bytes) and ``decoded`` (whole), and their bytes against the
    bytes the listing says the segments hold."""

    mode: str = "listing"
    probed: int = 0
    decoded: int = 0
    bytes_read: int = 0
    bytes_listed: int = 0

    def describe(self) -> str:
        return (
            f"segments read ({self.mode}): {self.probed} probed, {self.decoded} decoded whole; "
            f"{self.bytes_read} of {self.bytes_listed} segment bytes"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of :func:`~live_to_vod.verification.verify_vod_asset`."""

    manifest_key: str
    window_start: pendulum.DateTime
    window_end: pendulum.DateTime
    renditions: tuple[RenditionReport, ...]
    defects: tuple[Defect, ...]
    objects_listed: int
    #: Calls made through the store: one per ``list_objects`` call plus one per
    #: ``get_object`` call. (The S3 adapter also counts its ListObjectsV2 pages.)
    requests: int
    prefix: str = ""
    reads: SegmentReads = field(default_factory=SegmentReads)

    @property
    def errors(self) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.severity == ERROR)

    @property
    def warnings(self) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.severity != ERROR)

    @property
    def ok(self) -> bool:
        return not self.errors

    def _media(self) -> list[RenditionReport]:
        # I-frame playlists index the same segments as their video rendition.
        return [r for r in self.renditions if r.kind != "iframe"]

    @property
    def segment_count(self) -> int:
        return sum(r.segments for r in self._media())

    @property
    def total_bytes(self) -> int:
        return sum(r.bytes for r in self._media())

    @property
    def duration_seconds(self) -> float:
        return max((r.duration_seconds for r in self._media()), default=0.0)

    def summary(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        verdict = "OK" if self.ok else "FAILED"
        lines = [
            f"VOD asset {self.manifest_key}: {verdict} ({errors} error(s), {warnings} warning(s))",
            f"  requested window: {fmt(self.window_start)} -> {fmt(self.window_end)}",
            f"  {len(self.renditions)} rendition(s), {self.segment_count} segment(s), "
            f"{self.total_bytes} bytes, {self.duration_seconds:.3f} s; "
            f"{self.objects_listed} object(s) listed under {self.prefix or '(bucket root)'}, "
            f"{self.requests} store request(s)",
            f"  {self.reads.describe()}",
        ]
        for r in self.renditions:
            extras = r.attributes()
            lines.append(
                f"  - {r.kind} {r.uri}: {r.segments} segment(s), {r.bytes} bytes, "
                f"{r.duration_seconds:.3f} s, "
                f"{fmt(r.first_pdt)} -> {fmt(r.end_pdt)}" + (f" [{', '.join(extras)}]" if extras else "")
            )
        if self.defects:
            lines.append("  defects:")
            for d in self.defects:
                lines.append(f"  - {d.severity.upper()} {d.check} at {d.location}: {d.message}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest_key": self.manifest_key,
            "prefix": self.prefix,
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "ok": self.ok,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "segment_count": self.segment_count,
            "total_bytes": self.total_bytes,
            "duration_seconds": self.duration_seconds,
            "objects_listed": self.objects_listed,
            "requests": self.requests,
            "reads": self.reads.to_dict(),
            "renditions": [r.to_dict() for r in self.renditions],
            "defects": [d.to_dict() for d in self.defects],
        }


class DefectLog:
    """The defects found so far, at most :data:`MAX_DEFECTS_PER_CHECK` of one check per group."""

    def __init__(self) -> None:
        self.items: list[Defect] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._overflow: dict[tuple[str, str], tuple[int, str]] = {}

    def add(self, check: Check, location: str, message: str, *, group: str | None = None) -> None:
        """Record a defect of ``check``; ``group`` (usually the playlist key) caps repeats of one check."""
        severity = check.severity
        if group is not None:
            slot = (check.id, group)
            seen = self._counts.get(slot, 0)
            self._counts[slot] = seen + 1
            if seen >= MAX_DEFECTS_PER_CHECK:
                count, _ = self._overflow.get(slot, (0, severity))
                self._overflow[slot] = (count + 1, severity)
                return
        self.items.append(Defect(check=check.id, location=location, message=message, severity=severity))

    def finish(self) -> tuple[Defect, ...]:
        """Every defect, then one "... and N more" defect per capped check and group."""
        for (check, group), (count, severity) in self._overflow.items():
            self.items.append(
                Defect(
                    check=check,
                    location=group,
                    message=f"... and {count} more {check} defect(s) in {group} (only the first "
                    f"{MAX_DEFECTS_PER_CHECK} are listed)",
                    severity=severity,
                )
            )
        return tuple(self.items)
