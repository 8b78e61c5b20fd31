"""Verify a harvested HLS VOD asset in object storage.

Pure domain logic: no Airflow, no boto3. All I/O goes through the small
:class:`AssetStore` protocol (``live_to_vod.s3_asset_store.S3AssetStore`` is the
S3 implementation). The checks follow ``hls-vod-asset-checklist.md`` (numbers in
the comments below are that checklist's items).

Rules this module keeps:

* The asset prefix is listed **once**; segment existence and size come from that
  listing (never a request per segment). Everything is O(number of objects).
* Every playlist is parsed with the ``m3u8`` library.
* Playlists read from storage are untrusted input: a URI that is absolute, escapes
  the prefix (``..``, percent-encoded or not), has a backslash or carries a query string
  is reported and **never fetched**, and only the parent's direct children are read (no
  recursion). Malformed, oversized (:data:`MAX_PLAYLIST_BYTES`, :data:`MAX_PLAYLIST_LINES`,
  :data:`MAX_RENDITIONS`), binary or non-UTF-8 playlists become defects, never exceptions.
* Errors raised by the store itself (other than ``KeyError`` for a missing object)
  propagate: an access-denied or throttled request is an infrastructure failure the
  caller should retry, not a defect of the asset.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import m3u8
import pendulum

__all__ = [
    "AssetStore",
    "Defect",
    "FetchedObject",
    "RenditionReport",
    "StoredObject",
    "VerificationReport",
    "verify_vod_asset",
]

MiB = 1024 * 1024
#: Default cap on one playlist's size. Checked against the listing before any read, and the
#: read itself asks for at most one byte more (a ranged GET), so a bigger object never
#: reaches the parser. A 24-hour playlist of 1-second segments, each with its own
#: #EXT-X-PROGRAM-DATE-TIME, is about 13 MB; ``max_playlist_bytes`` overrides it.
MAX_PLAYLIST_BYTES = 16 * MiB
#: A playlist with more lines than this is refused before parsing: m3u8 needs about 7 us
#: and 600 bytes of memory per segment, so this bounds one parse to a few seconds and a
#: few hundred MB (about 330,000 segments with a PDT each; 24 h of 1 s segments is 260,000 lines).
MAX_PLAYLIST_LINES = 1_000_000
#: At most this many distinct child playlists (variants, EXT-X-MEDIA, I-frame) are read
#: from one parent; the others are reported, not fetched.
MAX_RENDITIONS = 100
#: At most this many defects of one kind are listed per playlist; the rest are counted
#: in one closing "... and N more" defect so a systematically broken 24-hour asset
#: (43,200 segments per rendition) does not produce a report too big for XCom.
MAX_DEFECTS_PER_CHECK = 20
#: An EXT-X-KEY line beyond this many is not handed to m3u8 (its key de-duplication
#: is quadratic in the number of distinct keys). The playlist is reported encrypted anyway.
_MAX_KEY_TAGS = 16
_AUDIO_TOLERANCE_SECONDS = 0.1
_MPEGURL_TYPES = frozenset({"application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl"})
_TS_TYPES = frozenset({"video/mp2t"})
_MP4_TYPES = frozenset({"video/mp4", "audio/mp4"})
_VTT_TYPES = frozenset({"text/vtt"})
_PACKED_AUDIO_TYPES = {
    ".aac": frozenset({"audio/aac"}),
    ".ac3": frozenset({"audio/ac3"}),
    ".ec3": frozenset({"audio/eac3"}),
    ".mp3": frozenset({"audio/mpeg"}),
}
_FMP4_EXTENSIONS = frozenset({".m4s", ".mp4", ".m4a", ".m4v", ".cmfv", ".cmfa", ".cmft"})
_VTT_EXTENSIONS = frozenset({".vtt", ".webvtt"})
_AUDIO_CODEC_PREFIXES = ("mp4a", "ac-3", "ec-3", "ac-4", "opus", "flac", "fLaC", "mp3", "alac")
_SIMPLE_URI = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9._\-]*")
_BOM = b"\xef\xbb\xbf"
_BYTERANGE = re.compile(r"(?P<length>[0-9]{1,20})(?:@(?P<offset>[0-9]{1,20}))?", re.ASCII)
_TS_PACKET = 188
# Tags that belong to media playlists / media segments and must not be in a parent (item 11).
_MEDIA_ONLY_TAGS = frozenset(
    {
        "#EXTINF",
        "#EXT-X-TARGETDURATION",
        "#EXT-X-MEDIA-SEQUENCE",
        "#EXT-X-DISCONTINUITY-SEQUENCE",
        "#EXT-X-DISCONTINUITY",
        "#EXT-X-ENDLIST",
        "#EXT-X-PLAYLIST-TYPE",
        "#EXT-X-I-FRAMES-ONLY",
        "#EXT-X-BYTERANGE",
        "#EXT-X-KEY",
        "#EXT-X-MAP",
        "#EXT-X-PROGRAM-DATE-TIME",
        "#EXT-X-GAP",
        "#EXT-X-BITRATE",
        "#EXT-X-PART",
    }
)


# --------------------------------------------------------------------------- storage boundary


@dataclass(frozen=True)
class StoredObject:
    """One entry of a prefix listing."""

    key: str
    size: int


@dataclass(frozen=True)
class FetchedObject:
    """The body (or its first ``max_bytes``) and content type of one object."""

    key: str
    body: bytes
    content_type: str | None


class AssetStore(Protocol):
    """Where the asset lives. ``get_object`` raises ``KeyError`` for a missing key."""

    def list_objects(self, prefix: str) -> Iterable[StoredObject]:
        """Every object whose key starts with ``prefix`` (one logical listing)."""
        ...

    def get_object(self, key: str, max_bytes: int | None = None) -> FetchedObject:
        """The object's body, at most its first ``max_bytes`` bytes when given."""
        ...


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Defect:
    """One thing wrong with the asset.

    ``check`` is a short stable id (``missing-segment``, ``gap``...), ``location``
    the object key (plus segment number/URI where relevant), ``message`` a plain
    sentence with the numbers. Warnings do not make the report fail.
    """

    check: str
    location: str
    message: str
    severity: str = "error"

    def to_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "location": self.location,
            "message": self.message,
            "severity": self.severity,
        }


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
            "first_pdt": _iso(self.first_pdt),
            "end_pdt": _iso(self.end_pdt),
            "target_duration": self.target_duration,
            "bandwidth": self.bandwidth,
            "resolution": self.resolution,
            "codecs": self.codecs,
            "group_id": self.group_id,
            "name": self.name,
        }


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of :func:`verify_vod_asset`."""

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

    @property
    def errors(self) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.severity == "error")

    @property
    def warnings(self) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.severity != "error")

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
            f"  requested window: {_fmt(self.window_start)} -> {_fmt(self.window_end)}",
            f"  {len(self.renditions)} rendition(s), {self.segment_count} segment(s), "
            f"{self.total_bytes} bytes, {self.duration_seconds:.3f} s; "
            f"{self.objects_listed} object(s) listed under {self.prefix or '(bucket root)'}, "
            f"{self.requests} store request(s)",
        ]
        for r in self.renditions:
            extras = [
                f"{label}={value}"
                for label, value in (
                    ("BANDWIDTH", r.bandwidth),
                    ("RESOLUTION", r.resolution),
                    ("CODECS", r.codecs),
                    ("GROUP-ID", r.group_id),
                    ("NAME", r.name),
                )
                if value is not None
            ]
            lines.append(
                f"  - {r.kind} {r.uri}: {r.segments} segment(s), {r.bytes} bytes, "
                f"{r.duration_seconds:.3f} s, "
                f"{_fmt(r.first_pdt)} -> {_fmt(r.end_pdt)}" + (f" [{', '.join(extras)}]" if extras else "")
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
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "ok": self.ok,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "segment_count": self.segment_count,
            "total_bytes": self.total_bytes,
            "duration_seconds": self.duration_seconds,
            "objects_listed": self.objects_listed,
            "requests": self.requests,
            "renditions": [r.to_dict() for r in self.renditions],
            "defects": [d.to_dict() for d in self.defects],
        }


# --------------------------------------------------------------------------- helpers


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _fmt(value: datetime | None) -> str:
    return "unknown" if value is None else value.isoformat(timespec="milliseconds")


def _to_pendulum(ts: float | None) -> pendulum.DateTime | None:
    if ts is None:
        return None
    try:
        return pendulum.from_timestamp(ts, tz="UTC")
    except (OverflowError, ValueError, OSError):
        return None


def _fmt_ts(ts: float | None) -> str:
    return _fmt(_to_pendulum(ts)) if ts is not None else "unknown"


def _clip(text: Any, limit: int = 120) -> str:
    """A short, printable rendering of untrusted text for a message."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + f"... ({len(s)} characters)"
    if s.isprintable():
        return s
    return repr(s)[1:-1]


def _basename(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _extension(uri_or_key: str) -> str:
    name = _basename(uri_or_key.split("?", 1)[0])
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _content_type(value: str | None) -> str | None:
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _dirname(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


# What str.splitlines (and so m3u8) treats as a line end.
_LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _line_count(text: str) -> int:
    """How many lines ``text.splitlines()`` would make, without making them."""
    return sum(text.count(c) for c in _LINE_BREAKS) - text.count("\r\n") + 1


def _stray_lines(text: str) -> tuple[int, list[tuple[int, str]]]:
    """Non-tag lines m3u8 silently drops: not after an #EXTINF/#EXT-X-BYTERANGE/#EXT-X-STREAM-INF.

    Mirrors m3u8's own line loop (same ``strip().splitlines()`` numbering); returns the
    count and the first :data:`MAX_DEFECTS_PER_CHECK` ``(line number, line)``.
    """
    count = 0
    first: list[tuple[int, str]] = []
    expect_segment = expect_playlist = False
    for lineno, line in enumerate(text.strip().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith(("#EXT-X-BYTERANGE", "#EXTINF")):
                expect_segment = True
            elif line.startswith("#EXT-X-STREAM-INF"):
                expect_playlist = True
        elif expect_segment:
            expect_segment = False
        elif expect_playlist:
            expect_playlist = False
        else:
            count += 1
            if len(first) < MAX_DEFECTS_PER_CHECK:
                first.append((lineno, line))
    return count, first


def _resolve(base_dir: str, uri: str, prefix: str) -> tuple[str | None, str | None, str | None]:
    """Map a playlist URI to an object key inside ``prefix``.

    Returns ``(key, None, None)`` or ``(None, check, reason)``. Never touches the store.
    """
    if _SIMPLE_URI.fullmatch(uri):
        return base_dir + uri, None, None
    if not uri.strip():
        return None, "uri-invalid", "is empty"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in uri):
        return None, "uri-invalid", "contains control characters"
    if "\\" in uri:
        return None, "uri-invalid", "contains a backslash"
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        return None, "uri-invalid", f"is not a valid URI ({exc})"
    if parts.scheme or parts.netloc or uri.startswith("//"):
        return None, "uri-outside-prefix", "is an absolute URL pointing outside the asset"
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        return None, "uri-query", "carries a query string or fragment (origin token?)"
    path = unquote(parts.path)
    if path.startswith("/"):
        return None, "uri-outside-prefix", "is an absolute path pointing outside the asset"
    if "\\" in path:
        return None, "uri-invalid", "contains a percent-encoded backslash"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return None, "uri-invalid", "contains percent-encoded control characters"
    if not path or path.endswith("/"):
        return None, "uri-invalid", "does not name an object"
    prefix_depth = prefix.count("/")
    stack = base_dir.split("/")[:-1]
    for part in path.split("/"):
        if part == ".":
            continue
        if part == "..":
            if len(stack) <= prefix_depth:
                return (
                    None,
                    "uri-outside-prefix",
                    f"climbs out of the asset prefix {prefix or '(bucket root)'}",
                )
            stack.pop()
        else:
            stack.append(part)
    key = "/".join(stack)
    if not key.startswith(prefix):
        return None, "uri-outside-prefix", f"resolves to {key}, outside the asset prefix {prefix}"
    if path.rsplit("/", 1)[-1] in (".", ".."):
        return None, "uri-invalid", "names a directory, not an object"
    return key, None, None


class _LineFacts:
    """What m3u8's parse result does not keep; filled through ``custom_tags_parser``."""

    def __init__(self) -> None:
        self.lineno = 0
        self.line = ""
        self.tag_counts: dict[str, int] = {}
        self.extinf_without_comma: list[int] = []
        self.extinf_without_comma_count = 0
        self.decimal_extinf = False
        self.late_media_sequence: int | None = None
        self.late_discontinuity_sequence: int | None = None
        self.key_tags = 0
        self.key_iv = False
        self.key_format = False
        self.endlist_lines: list[int] = []
        self.segments_at_endlist: int | None = None
        self.map_without_uri: list[int] = []

    def observe(self, line: str, lineno: int, data: dict, state: dict) -> bool:
        self.lineno = lineno
        self.line = line
        tag = line.split(":", 1)[0]
        counts = self.tag_counts
        counts[tag] = counts.get(tag, 0) + 1
        if tag == "#EXTINF":
            value = line[len("#EXTINF:") :]
            if "," not in value:
                self.extinf_without_comma_count += 1
                if len(self.extinf_without_comma) < MAX_DEFECTS_PER_CHECK:
                    self.extinf_without_comma.append(lineno)
            number = value.split(",", 1)[0].strip().lower()
            if "." in number or "e" in number:
                self.decimal_extinf = True
        elif tag == "#EXT-X-MEDIA-SEQUENCE":
            if self.late_media_sequence is None and (data["segments"] or "segment" in state):
                self.late_media_sequence = lineno
        elif tag == "#EXT-X-DISCONTINUITY-SEQUENCE":
            if self.late_discontinuity_sequence is None and (data["segments"] or "segment" in state):
                self.late_discontinuity_sequence = lineno
        elif tag == "#EXT-X-MAP":
            if "URI=" not in line.upper() and len(self.map_without_uri) < MAX_DEFECTS_PER_CHECK:
                self.map_without_uri.append(lineno)
        elif tag == "#EXT-X-ENDLIST":
            if len(self.endlist_lines) < MAX_DEFECTS_PER_CHECK:
                self.endlist_lines.append(lineno)
            if self.segments_at_endlist is None:
                self.segments_at_endlist = len(data["segments"])
        elif tag == "#EXT-X-KEY":
            self.key_tags += 1
            upper = line.upper()
            self.key_iv = self.key_iv or ",IV=" in upper or ":IV=" in upper
            self.key_format = self.key_format or "KEYFORMAT" in upper
            if self.key_tags > _MAX_KEY_TAGS:
                return True  # keep m3u8's quadratic key bookkeeping bounded
        return False


@dataclass
class _Rendition:
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
    # (index, uri, key, duration, init_key) of the first and last usable segments, for decoding
    sample_segments: list[tuple[int, str, str, float, str | None]] = field(default_factory=list)
    checked: bool = False
    parsed: bool = False
    first_pdt: pendulum.DateTime | None = None  # the first segment's own PDT, when it has one

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
            first_pdt=self.first_pdt if self.first_pdt is not None else _to_pendulum(self.first_time),
            end_pdt=_to_pendulum(self.end_time),
            bandwidth=self.bandwidth,
            resolution=self.resolution,
            codecs=self.codecs,
            kind=self.kind,
            target_duration=self.target_duration,
            group_id=self.group_id,
            name=self.name,
        )


class _StoreFailure(Exception):
    """A store error that is not "object missing": re-raised to the caller unchanged."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class _Defects:
    def __init__(self) -> None:
        self.items: list[Defect] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._overflow: dict[tuple[str, str], tuple[int, str]] = {}

    def add(self, check: str, location: str, message: str, severity: str = "error", *, group: str | None = None):
        """Record a defect; ``group`` (usually the playlist key) caps repeats of one check."""
        if group is not None:
            slot = (check, group)
            seen = self._counts.get(slot, 0)
            self._counts[slot] = seen + 1
            if seen >= MAX_DEFECTS_PER_CHECK:
                count, _ = self._overflow.get(slot, (0, severity))
                self._overflow[slot] = (count + 1, severity)
                return
        self.items.append(Defect(check=check, location=location, message=message, severity=severity))

    def finish(self) -> tuple[Defect, ...]:
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


# --------------------------------------------------------------------------- the verifier


def verify_vod_asset(
    store: AssetStore,
    manifest_key: str,
    window_start: pendulum.DateTime,
    window_end: pendulum.DateTime,
    *,
    decode_segments: bool = True,
    max_playlist_bytes: int = MAX_PLAYLIST_BYTES,
    pdt_tolerance_seconds: float = 0.05,
    max_segment_bytes: int = 64 * MiB,
) -> VerificationReport:
    """Verify the HLS VOD asset whose parent manifest is ``manifest_key``.

    ``[window_start, window_end)`` is the requested harvest window. The prefix
    (the manifest's "directory") is listed once; playlists are fetched (at most
    ``max_playlist_bytes`` each, :data:`MAX_PLAYLIST_LINES` lines, :data:`MAX_RENDITIONS`
    children of the parent); with ``decode_segments`` the first and last
    segment of every audio/video rendition are fetched (when at most
    ``max_segment_bytes``) and decoded with PyAV. Problems with the asset are
    returned as defects; only store failures other than ``KeyError`` raise.
    """
    if not manifest_key or manifest_key.endswith("/"):
        raise ValueError(f"manifest_key must name an object, got {manifest_key!r}")
    start = pendulum.instance(window_start)
    end = pendulum.instance(window_end)
    if end <= start:
        raise ValueError(f"window_end {end} must be after window_start {start}")
    if max_playlist_bytes <= 0 or pdt_tolerance_seconds < 0:
        raise ValueError("max_playlist_bytes must be positive and pdt_tolerance_seconds non-negative")
    verifier = _Verifier(
        store,
        manifest_key,
        start,
        end,
        decode_segments=decode_segments,
        max_playlist_bytes=max_playlist_bytes,
        tolerance=pdt_tolerance_seconds,
        max_segment_bytes=max_segment_bytes,
    )
    try:
        return verifier.run()
    except _StoreFailure as failure:
        raise failure.original from None


class _Verifier:
    def __init__(
        self,
        store: AssetStore,
        manifest_key: str,
        start: pendulum.DateTime,
        end: pendulum.DateTime,
        *,
        decode_segments: bool,
        max_playlist_bytes: int,
        tolerance: float,
        max_segment_bytes: int,
    ) -> None:
        self.store = store
        self.manifest_key = manifest_key
        self.prefix = _dirname(manifest_key)
        self.start = start
        self.end = end
        self.start_ts = start.timestamp()
        self.end_ts = end.timestamp()
        self.decode_segments = decode_segments
        self.max_playlist_bytes = max_playlist_bytes
        self.tolerance = tolerance
        self.max_segment_bytes = max_segment_bytes
        self.defects = _Defects()
        self.requests = 0
        self.objects: dict[str, int] = {}
        self.referenced: set[str] = set()
        self.renditions: list[_Rendition] = []

    # ----------------------------------------------------------------- I/O

    def _list(self) -> None:
        self.requests += 1
        objects = self.objects
        for obj in self.store.list_objects(self.prefix):
            objects[obj.key] = obj.size

    def _get(self, key: str, max_bytes: int | None = None) -> FetchedObject | None:
        """Fetch through the store; ``None`` when the store says the key is missing."""
        if not key.startswith(self.prefix):  # defence in depth: never read outside the asset
            raise AssertionError(f"refusing to fetch {key!r} outside {self.prefix!r}")
        self.requests += 1
        try:
            return self.store.get_object(key, max_bytes)
        except KeyError:
            return None
        except Exception as exc:
            raise _StoreFailure(exc) from exc

    def _guard(self, location: str, what: str, func, *args) -> Any:
        """Run one stage; a bug triggered by hostile input becomes a defect, not a crash."""
        try:
            return func(*args)
        except _StoreFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - last line of defence, reported below
            self.defects.add(
                "verifier-error",
                location,
                f"the verifier could not finish {what}: {type(exc).__name__}: {_clip(exc, 300)}",
            )
            return None

    # ----------------------------------------------------------------- driver

    def run(self) -> VerificationReport:
        self._list()
        self._guard(self.manifest_key, "checking the parent manifest", self._check_parent)
        for rendition in self.renditions:
            if rendition.key is not None and not rendition.checked:
                rendition.checked = True
                self._guard(rendition.key, "checking the rendition", self._check_media_playlist, rendition)
        self._guard(self.manifest_key, "comparing renditions", self._check_across_renditions)
        self._guard(self.manifest_key, "checking the window", self._check_window)
        if self.decode_segments:
            for rendition in self.renditions:
                self._guard(rendition.label(), "decoding segments", self._decode_rendition, rendition)
        self._guard(self.prefix or self.manifest_key, "listing unreferenced objects", self._check_unreferenced)
        return VerificationReport(
            manifest_key=self.manifest_key,
            window_start=self.start,
            window_end=self.end,
            renditions=tuple(r.report() for r in self.renditions),
            defects=self.defects.finish(),
            objects_listed=len(self.objects),
            requests=self.requests,
            prefix=self.prefix,
        )

    # ----------------------------------------------------------------- playlists

    def _read_playlist(self, key: str, what: str, missing_check: str) -> str | None:
        """Fetch and decode one playlist; ``None`` (with defects) when unusable."""
        self.referenced.add(key)
        add = self.defects.add
        size = self.objects.get(key)
        if size is None:
            add(
                missing_check,
                key,
                f"{what} {_basename(key)} does not exist in the bucket under {self.prefix}",
            )
            return None
        limit = self.max_playlist_bytes
        if size > limit:
            add(
                "playlist-too-large",
                key,
                f"{what} is {size} bytes, more than the {limit}-byte limit; not read",
            )
            return None
        fetched = self._get(key, limit + 1)
        if fetched is None:
            add(missing_check, key, f"{what} {_basename(key)} was listed but could not be found when read")
            return None
        body = fetched.body
        if len(body) > limit:
            add("playlist-too-large", key, f"{what} is larger than the {limit}-byte limit; not read")
            return None
        if not body:
            add("empty-playlist", key, f"{what} is empty (0 bytes)")
            return None
        if body.startswith(_BOM):
            add("bom", key, f"{what} starts with a UTF-8 byte order mark; playlists must be UTF-8 without BOM")
            body = body[len(_BOM) :]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            add("not-utf8", key, f"{what} is not valid UTF-8 (bad byte at offset {exc.start}); not a playlist")
            return None
        first_line = text.split("\n", 1)[0].strip()
        if first_line != "#EXTM3U":
            add("extm3u", key, f"{what} does not start with #EXTM3U (first line: '{_clip(first_line, 60)}')")
            return None
        lines = _line_count(text)
        if lines > MAX_PLAYLIST_LINES:
            add(
                "playlist-too-large",
                key,
                f"{what} has {lines} lines, more than the {MAX_PLAYLIST_LINES}-line limit; not parsed",
            )
            return None
        ctype = _content_type(fetched.content_type)
        if ctype not in _MPEGURL_TYPES:
            if not key.endswith(".m3u8"):
                add(
                    "playlist-content-type",
                    key,
                    f"{what} is stored with Content-Type {ctype or '(none)'} and its name does not end in "
                    ".m3u8; players need application/vnd.apple.mpegurl",
                )
            elif ctype is not None:
                add(
                    "playlist-content-type",
                    key,
                    f"{what} is stored with Content-Type {ctype}, not application/vnd.apple.mpegurl",
                    "warning",
                )
        return text

    def _parse(self, text: str, key: str, what: str) -> tuple[dict, _LineFacts] | None:
        facts = _LineFacts()
        try:
            data = m3u8.parse(text, strict=False, custom_tags_parser=facts.observe)
        except Exception as exc:  # noqa: BLE001 - m3u8 raises anything from ValueError to KeyError
            near = f" near line {facts.lineno} ('{_clip(facts.line, 80)}')" if facts.lineno else ""
            self.defects.add(
                "parse-error", key, f"{what} cannot be parsed{near}: {type(exc).__name__}: {_clip(exc, 200)}"
            )
            if not text.endswith("\n") and "#EXT-X-ENDLIST" not in text[-64:]:
                self.defects.add("truncated-playlist", key, f"{what} ends in the middle of a line")
            return None
        count, stray = _stray_lines(text)
        for lineno, line in stray:
            self.defects.add(
                "stray-line",
                f"{key} line {lineno}",
                f"line {lineno} of {what} ('{_clip(line, 80)}') is neither a tag nor a URI that follows "
                "#EXTINF or #EXT-X-STREAM-INF; players ignore it (garbage or a segment without #EXTINF?)",
            )
        if count > len(stray):
            self.defects.add(
                "stray-line",
                key,
                f"... and {count - len(stray)} more stray line(s) in {what} (only the first "
                f"{MAX_DEFECTS_PER_CHECK} are listed)",
            )
        return data, facts

    def _check_parent(self) -> None:
        key = self.manifest_key
        add = self.defects.add
        text = self._read_playlist(key, "the parent manifest", "missing-manifest")
        if text is None:
            return
        parsed = self._parse(text, key, "the parent manifest")
        if parsed is None:
            return
        data, facts = parsed
        stream_infs = facts.tag_counts.get("#EXT-X-STREAM-INF", 0)
        if not data.get("is_variant") or not stream_infs:
            if data.get("segments"):
                add(
                    "not-multivariant",
                    key,
                    "the parent manifest is a media playlist, not a multivariant playlist with "
                    "#EXT-X-STREAM-INF renditions; checking it as the only rendition",
                )
                rendition = _Rendition(uri=_basename(key), kind="video", key=key)
                self.renditions.append(rendition)
                rendition.checked = True
                self._check_media_playlist(rendition, (text, data, facts))
            else:
                add("not-multivariant", key, "the parent manifest names no renditions (no #EXT-X-STREAM-INF)")
            return

        # 11: no media-segment or media-playlist tags in a parent
        found = sorted(t for t in facts.tag_counts if t in _MEDIA_ONLY_TAGS)
        if found:
            add(
                "media-tag-in-parent",
                key,
                f"the parent manifest contains media playlist tags: {', '.join(found)}",
            )
        if data.get("session_keys"):
            add("encrypted", key, "the parent manifest declares #EXT-X-SESSION-KEY: the asset is encrypted")
            self._check_key_uris(data["session_keys"], "#EXT-X-SESSION-KEY", self.prefix, key, "the parent manifest")

        playlists = data.get("playlists") or []
        if len(playlists) < stream_infs:
            add(
                "truncated-playlist",
                key,
                f"{stream_infs - len(playlists)} #EXT-X-STREAM-INF tag(s) are not followed by a playlist URI",
            )

        media = data.get("media") or []
        groups: dict[str, set[str]] = {}
        for entry in media:
            mtype = str(entry.get("type") or "").upper()
            gid = entry.get("group_id")
            if gid is not None:
                groups.setdefault(mtype, set()).add(str(gid))

        seen_keys: dict[str, _Rendition] = {}
        beyond_cap: set[str] = set()

        def add_rendition(uri: Any, kind: str, what: str, **attrs: Any) -> None:
            if uri is None:
                add("uri-invalid", key, f"{what} has no URI attribute", group=key)
                return
            uri = str(uri)
            rkey, check, reason = _resolve(self.prefix, uri, self.prefix)
            if rkey is None:
                add(check, key, f"{what} URI '{_clip(uri)}' {reason}; it was not fetched", group=key)
                return
            if rkey == key:
                add(
                    "recursive-playlist",
                    key,
                    f"{what} URI '{_clip(uri)}' names the parent manifest itself; it was not read again",
                    group=key,
                )
                return
            if rkey in seen_keys:
                return
            if len(seen_keys) >= MAX_RENDITIONS:
                beyond_cap.add(rkey)
                return
            rendition = _Rendition(uri=uri, kind=kind, key=rkey, **attrs)
            seen_keys[rkey] = rendition
            self.renditions.append(rendition)
            if rkey not in self.objects:
                self.referenced.add(rkey)
                rendition.checked = True
                add(
                    "missing-rendition",
                    rkey,
                    f"rendition playlist {_clip(uri)} is named by {_basename(key)} but does not exist in the "
                    f"bucket under {self.prefix}",
                    group=key,
                )

        # 12: STREAM-INF attributes and groups
        for number, playlist in enumerate(playlists, 1):
            info = playlist.get("stream_info") or {}
            uri = playlist.get("uri")
            where = f"{key} #EXT-X-STREAM-INF {number} ({_clip(uri, 60)})"
            bandwidth = info.get("bandwidth")
            if bandwidth is None:
                add("stream-inf-bandwidth", where, "#EXT-X-STREAM-INF has no BANDWIDTH attribute", group=key)
            codecs = info.get("codecs")
            resolution = info.get("resolution")
            audio_only = bool(codecs) and all(
                c.strip().startswith(_AUDIO_CODEC_PREFIXES) for c in str(codecs).split(",")
            )
            if not codecs:
                add("stream-inf-codecs", where, "#EXT-X-STREAM-INF has no CODECS attribute", "warning", group=key)
            if not resolution and not audio_only:
                add(
                    "stream-inf-resolution",
                    where,
                    "#EXT-X-STREAM-INF has no RESOLUTION attribute",
                    "warning",
                    group=key,
                )
            for attr, mtype in (("audio", "AUDIO"), ("video", "VIDEO"), ("subtitles", "SUBTITLES")):
                gid = info.get(attr)
                if gid is not None and str(gid) not in groups.get(mtype, set()):
                    add(
                        "missing-media-group",
                        where,
                        f'{mtype}="{_clip(gid, 60)}" names a group with no #EXT-X-MEDIA TYPE={mtype} '
                        f'GROUP-ID="{_clip(gid, 60)}"',
                        group=key,
                    )
            cc = info.get("closed_captions")
            if cc is not None and str(cc) != "NONE":
                gid = str(cc).strip("\"'")
                if gid not in groups.get("CLOSED-CAPTIONS", set()):
                    add(
                        "missing-media-group",
                        where,
                        f'CLOSED-CAPTIONS="{_clip(gid, 60)}" names a group with no #EXT-X-MEDIA TYPE=CLOSED-CAPTIONS',
                        group=key,
                    )
            if uri is None:
                continue
            frame_rate = info.get("frame_rate")
            add_rendition(
                uri,
                "audio" if audio_only and not resolution else "video",
                "rendition",
                bandwidth=bandwidth if isinstance(bandwidth, int) else None,
                resolution=str(resolution).strip('"') if resolution else None,
                codecs=str(codecs) if codecs else None,
                frame_rate=frame_rate if isinstance(frame_rate, float) else None,
            )

        kinds = {"AUDIO": "audio", "VIDEO": "video", "SUBTITLES": "subtitles"}
        for entry in media:
            uri = entry.get("uri")
            if uri is None:
                continue
            mtype = str(entry.get("type") or "").upper()
            add_rendition(
                uri,
                kinds.get(mtype, "other"),
                f"#EXT-X-MEDIA TYPE={_clip(mtype, 20)}",
                group_id=str(entry["group_id"]) if entry.get("group_id") is not None else None,
                name=str(entry["name"]) if entry.get("name") is not None else None,
            )
        for entry in data.get("iframe_playlists") or []:
            info = entry.get("iframe_stream_info") or {}
            add_rendition(
                entry.get("uri"),
                "iframe",
                "#EXT-X-I-FRAME-STREAM-INF",
                bandwidth=info.get("bandwidth") if isinstance(info.get("bandwidth"), int) else None,
                codecs=str(info["codecs"]) if info.get("codecs") else None,
            )
        for entry in data.get("session_data") or []:
            uri = entry.get("uri")
            if uri is not None:
                skey, check, reason = _resolve(self.prefix, str(uri), self.prefix)
                if skey is None:
                    add(check, key, f"#EXT-X-SESSION-DATA URI '{_clip(uri)}' {reason}", group=key)
                else:
                    self.referenced.add(skey)
        if beyond_cap:
            add(
                "too-many-renditions",
                key,
                f"the parent manifest names {len(seen_keys) + len(beyond_cap)} distinct playlists; only the "
                f"first {MAX_RENDITIONS} were checked, the other {len(beyond_cap)} were not fetched",
            )

    def _check_media_playlist(self, rendition: _Rendition, preparsed: tuple | None = None) -> None:
        key = rendition.key
        assert key is not None
        add = self.defects.add
        name = _basename(key)
        what = f"rendition playlist {name}"
        if preparsed is None:
            text = self._read_playlist(key, what, "missing-rendition")
            if text is None:
                return
            parsed = self._parse(text, key, what)
            if parsed is None:
                return
            data, facts = parsed
        else:
            text, data, facts = preparsed
        if data.get("is_variant") or data.get("playlists"):
            add(
                "not-media-playlist",
                key,
                f"{what} is a multivariant playlist, not a media playlist; the playlists it names were not followed",
            )
            return
        rendition.parsed = True
        timed = rendition.kind in ("video", "audio", "subtitles")
        counts = facts.tag_counts

        # 2: target duration present
        target = data.get("targetduration")
        rendition.target_duration = target if isinstance(target, int) and 0 <= target < 2**64 else None
        if target is None:
            add("target-duration", key, f"{what} has no #EXT-X-TARGETDURATION")
        elif rendition.target_duration is None:
            add("target-duration", key, f"{what} has an invalid #EXT-X-TARGETDURATION:{_clip(target, 40)}")
        elif counts.get("#EXT-X-TARGETDURATION", 0) > 1:
            add(
                "target-duration",
                key,
                f"{what} has {counts['#EXT-X-TARGETDURATION']} #EXT-X-TARGETDURATION tags",
            )
        # 3: EXTINF with the comma
        if facts.extinf_without_comma_count:
            lines = ", ".join(str(n) for n in facts.extinf_without_comma)
            more = facts.extinf_without_comma_count - len(facts.extinf_without_comma)
            add(
                "extinf",
                key,
                f"{what} has {facts.extinf_without_comma_count} #EXTINF tag(s) without the comma after the "
                f"duration (line(s) {lines}{f' and {more} more' if more > 0 else ''})",
            )
        # 4: version
        version = data.get("version")
        version_tags = counts.get("#EXT-X-VERSION", 0)
        if version is None:
            add("version", key, f"{what} has no #EXT-X-VERSION")
        elif version_tags > 1:
            add("version", key, f"{what} has {version_tags} #EXT-X-VERSION tags; exactly one is allowed")
        needs: list[tuple[int, str]] = []
        if facts.key_iv:
            needs.append((2, "an IV attribute on #EXT-X-KEY"))
        if facts.decimal_extinf:
            needs.append((3, "decimal #EXTINF durations"))
        if counts.get("#EXT-X-BYTERANGE") or counts.get("#EXT-X-I-FRAMES-ONLY"):
            needs.append((4, "#EXT-X-BYTERANGE / #EXT-X-I-FRAMES-ONLY"))
        if facts.key_format:
            needs.append((5, "KEYFORMAT on #EXT-X-KEY"))
        if counts.get("#EXT-X-MAP") and not data.get("is_i_frames_only"):
            needs.append((6, "#EXT-X-MAP"))
        if isinstance(version, int) and needs:
            required, feature = max(needs)
            if version < required:
                add(
                    "version",
                    key,
                    f"{what} declares #EXT-X-VERSION:{version} but uses {feature}, which needs "
                    f"version {required} or higher",
                )
        # 5: VOD and ENDLIST; truncation
        playlist_type = data.get("playlist_type")
        if playlist_type != "vod":
            add(
                "playlist-type",
                key,
                f"{what} is not #EXT-X-PLAYLIST-TYPE:VOD "
                f"(found {_clip(playlist_type).upper() if playlist_type else 'none'})",
            )
        if counts.get("#EXT-X-ENDLIST", 0) > 1:
            lines = ", ".join(str(n) for n in facts.endlist_lines)
            add(
                "endlist",
                key,
                f"{what} has {counts['#EXT-X-ENDLIST']} #EXT-X-ENDLIST tags (line(s) {lines}); exactly one, "
                "at the end, is allowed",
            )
        if facts.segments_at_endlist is not None:
            after = sum(1 for seg in (data.get("segments") or [])[facts.segments_at_endlist :] if seg.get("uri"))
            if after:
                add(
                    "endlist",
                    key,
                    f"{what} has {after} segment(s) after #EXT-X-ENDLIST (line {facts.endlist_lines[0]}); "
                    "players stop at #EXT-X-ENDLIST",
                )
        if not data.get("is_endlist"):
            add("no-endlist", key, f"{what} has no #EXT-X-ENDLIST: it is not a finished VOD playlist")
            if not text.endswith("\n"):
                last = text.rstrip("\r").rsplit("\n", 1)[-1]
                add("truncated-playlist", key, f"{what} ends in the middle of a line ('{_clip(last, 80)}')")
        # 6: sequence numbers before the first segment
        if not counts.get("#EXT-X-MEDIA-SEQUENCE"):
            add("media-sequence", key, f"{what} has no #EXT-X-MEDIA-SEQUENCE")
        elif facts.late_media_sequence is not None:
            add(
                "media-sequence",
                key,
                f"{what} has #EXT-X-MEDIA-SEQUENCE after the first segment (line {facts.late_media_sequence})",
            )
        if facts.late_discontinuity_sequence is not None:
            add(
                "discontinuity-sequence",
                key,
                f"{what} has #EXT-X-DISCONTINUITY-SEQUENCE after the first segment "
                f"(line {facts.late_discontinuity_sequence})",
            )
        elif not counts.get("#EXT-X-DISCONTINUITY-SEQUENCE") and timed:
            add("discontinuity-sequence", key, f"{what} has no #EXT-X-DISCONTINUITY-SEQUENCE", "warning")
        # 9: an EXT-X-MAP m3u8 drops silently
        if facts.map_without_uri:
            lines = ", ".join(str(n) for n in facts.map_without_uri)
            add("missing-map", key, f"{what} has #EXT-X-MAP without a URI attribute (line(s) {lines})")
        # 8: encryption cannot be handed to MediaPackage VOD
        keys = [k for k in (data.get("keys") or []) if k and str(k.get("method", "")).upper() != "NONE"]
        if keys or facts.key_tags > _MAX_KEY_TAGS:
            methods = sorted({str(k.get("method")) for k in keys}) or ["?"]
            add(
                "encrypted",
                key,
                f"{what} is encrypted (#EXT-X-KEY METHOD={','.join(methods)}): MediaPackage VOD cannot "
                "ingest encrypted assets",
            )
        self._check_key_uris(keys, "#EXT-X-KEY", _dirname(key), key, what)

        segments = data.get("segments") or []
        if not segments:
            add("no-segments", key, f"{what} names no media segments")
            return
        self._check_segments(rendition, segments, timed=timed, what=what)

    def _check_segments(self, rendition: _Rendition, segments: list, *, timed: bool, what: str) -> None:
        key = rendition.key
        assert key is not None
        add = self.defects.add
        objects = self.objects
        referenced = self.referenced
        base_dir = _dirname(key)
        prefix = self.prefix
        target = rendition.target_duration
        tolerance = rendition.tolerance(self.tolerance)
        init_keys: dict[str, str | None] = {}
        byterange_ends: dict[str, int] = {}
        byterange_objects: set[str] = set()
        naive_pdt = False
        fmp4_without_map = False
        total_duration = 0.0
        seg_count = 0
        total_bytes = 0
        prev_time: float | None = None
        prev_duration = 0.0
        durations_before_first_pdt = 0.0
        backfill_ok = True
        first_time: float | None = None
        last_time: float | None = None
        first_usable: tuple | None = None
        last_usable: tuple | None = None
        first_duration = 0.0
        last_duration = 0.0
        playlist_keys = {r.key for r in self.renditions}

        for index, seg in enumerate(segments):
            uri = seg.get("uri")
            if uri is None:
                add(
                    "truncated-playlist",
                    key,
                    f"{what} ends with a segment that has no URI (the last #EXTINF is not followed by a segment line)",
                )
                continue
            uri = str(uri)
            seg_count += 1
            where = f"{key} segment #{index} ({_clip(uri, 80)})"
            # 2/3: duration
            duration = seg.get("duration")
            if duration is None:
                add("extinf", where, f"segment {_clip(uri)} has no #EXTINF duration", group=key)
                duration = 0.0
            elif not isinstance(duration, float) or not math.isfinite(duration) or duration < 0:
                add(
                    "extinf",
                    where,
                    f"segment {_clip(uri)} has an invalid #EXTINF duration {duration}",
                    group=key,
                )
                duration = 0.0
            elif target is not None and math.floor(duration + 0.5) > target:
                add(
                    "target-duration",
                    where,
                    f"segment {_clip(uri)} lasts {duration:g} s, which rounds to "
                    f"{math.floor(duration + 0.5)} s, more than #EXT-X-TARGETDURATION:{target}",
                    group=key,
                )
            total_duration += duration

            # 7/17: program date time, gaps
            discontinuity = bool(seg.get("discontinuity"))
            explicit = seg.get("program_date_time")
            current: float | None = None
            if isinstance(explicit, datetime):
                if explicit.tzinfo is None:
                    naive_pdt = True
                    explicit = explicit.replace(tzinfo=UTC)
                current = explicit.timestamp()
            if timed:
                if current is None and (index == 0 or discontinuity):
                    reason = "the first segment" if index == 0 else "a segment after #EXT-X-DISCONTINUITY"
                    add(
                        "missing-pdt",
                        where,
                        f"{reason} ({_clip(uri)}) has no #EXT-X-PROGRAM-DATE-TIME, so the asset loses its "
                        "wall-clock position",
                        group=key,
                    )
                if current is not None and prev_time is not None and not discontinuity:
                    expected = prev_time + prev_duration
                    delta = current - expected
                    if delta > tolerance:
                        add(
                            "gap",
                            where,
                            f"gap of {delta:.3f} s before segment {_clip(uri)}: "
                            f"it starts at {_fmt_ts(current)} "
                            f"but the previous segment ends at {_fmt_ts(expected)}",
                            group=key,
                        )
                    elif delta < -tolerance:
                        add(
                            "overlap",
                            where,
                            f"segment {_clip(uri)} starts at {_fmt_ts(current)}, {-delta:.3f} s before the "
                            f"previous segment ends ({_fmt_ts(expected)})",
                            group=key,
                        )
            if current is None and prev_time is not None:
                current = prev_time + prev_duration
            if first_time is None:
                if discontinuity and index > 0:
                    backfill_ok = False  # no extrapolating back across a discontinuity
                if current is not None:
                    if index == 0:
                        first_time = current
                        if isinstance(explicit, datetime):
                            rendition.first_pdt = pendulum.instance(explicit).in_timezone("UTC")
                    elif backfill_ok:
                        first_time = current - durations_before_first_pdt
                else:
                    durations_before_first_pdt += duration
            if index == 0:
                first_duration = duration
            prev_time, prev_duration = current, duration
            last_time, last_duration = current, duration

            if seg.get("gap_tag"):
                add(
                    "gap-tag",
                    where,
                    f"segment {_clip(uri)} is marked #EXT-X-GAP: the asset has no media for {duration:g} s",
                    group=key,
                )
                continue

            # 13/18: the segment object
            skey, check, reason = _resolve(base_dir, uri, prefix)
            if skey is None:
                add(check, where, f"segment URI '{_clip(uri)}' {reason}; it was not fetched", group=key)
                continue
            if skey == self.manifest_key or skey in playlist_keys:
                add(
                    "recursive-playlist",
                    where,
                    f"segment URI '{_clip(uri)}' names the playlist {_basename(skey)}, not a media segment; "
                    "it was not fetched",
                    group=key,
                )
                continue
            referenced.add(skey)
            size = objects.get(skey)
            if size is None:
                add(
                    "missing-segment",
                    where,
                    f"segment {_clip(uri)} is named by {_basename(key)} but does not exist in s3 (key {skey})",
                    group=key,
                )
                continue
            if size == 0:
                add(
                    "zero-byte-segment",
                    where,
                    f"segment {_clip(uri)} (key {skey}) is empty (0 bytes)",
                    group=key,
                )
                continue
            init_key: str | None = None
            init = seg.get("init_section")
            if isinstance(init, dict) and init.get("uri") is not None:
                init_uri = str(init["uri"])
                if init_uri not in init_keys:
                    init_keys[init_uri] = self._check_init(init_uri, base_dir, key, what)
                    if init_keys[init_uri] is not None:
                        total_bytes += objects[init_keys[init_uri]]
                init_key = init_keys[init_uri]
            elif _extension(uri) in _FMP4_EXTENSIONS:
                fmp4_without_map = True

            byterange = seg.get("byterange")
            if byterange is not None:
                if self._check_byterange(str(byterange), skey, size, byterange_ends, where, uri, key):
                    if skey not in byterange_objects:
                        byterange_objects.add(skey)
                        total_bytes += size
                continue  # a sub-range of an object: never fetched whole for decoding
            total_bytes += size
            if init is not None and init_key is None:
                continue  # its init segment is unusable (already reported)
            sample = (index, uri, skey, duration, init_key)
            if first_usable is None:
                first_usable = sample
            last_usable = sample

        if naive_pdt:
            add(
                "pdt-timezone",
                key,
                f"{what} has #EXT-X-PROGRAM-DATE-TIME values without a time zone; read as UTC",
                "warning",
            )
        if fmp4_without_map:
            add("missing-map", key, f"{what} names fragmented MP4 segments but has no #EXT-X-MAP init segment")

        rendition.segments = seg_count
        rendition.bytes = total_bytes
        rendition.duration = total_duration
        rendition.first_time = first_time
        rendition.first_duration = first_duration
        rendition.last_time = last_time
        rendition.last_duration = last_duration
        samples = [s for s in (first_usable, last_usable) if s is not None]
        if len(samples) == 2 and samples[0][0] == samples[1][0]:
            samples = samples[:1]
        rendition.sample_segments = samples

    def _check_byterange(self, value, skey, size, ends, where, uri, key) -> bool:
        match = _BYTERANGE.fullmatch(value.strip())
        if match is None:
            self.defects.add(
                "byterange",
                where,
                f"#EXT-X-BYTERANGE:{_clip(value, 40)} is malformed (expected <length>[@<offset>] in decimal digits)",
                group=key,
            )
            return False
        length = int(match["length"])
        offset = int(match["offset"]) if match["offset"] is not None else ends.get(skey, 0)
        ends[skey] = offset + length
        if length < 0 or offset < 0 or offset + length > size:
            self.defects.add(
                "byterange",
                where,
                f"#EXT-X-BYTERANGE {length}@{offset} of {_clip(uri)} reaches past the end of the {size}-byte object",
                group=key,
            )
            return False
        return True

    def _check_key_uris(self, keys: Iterable[Any], tag: str, base_dir: str, key: str, what: str) -> None:
        """Name every key URI that is not a plain object inside the prefix (keys are never fetched)."""
        seen: set[str] = set()
        for entry in keys:
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if uri is None or str(uri) in seen:
                continue
            uri = str(uri)
            seen.add(uri)
            kkey, check, reason = _resolve(base_dir, uri, self.prefix)
            if kkey is None:
                self.defects.add(
                    check, key, f"{tag} URI '{_clip(uri)}' in {what} {reason}; it was not fetched", group=key
                )
            else:
                self.referenced.add(kkey)

    def _check_init(self, init_uri: str, base_dir: str, key: str, what: str) -> str | None:
        add = self.defects.add
        ikey, check, reason = _resolve(base_dir, init_uri, self.prefix)
        if ikey is None:
            add(check, key, f"#EXT-X-MAP URI '{_clip(init_uri)}' in {what} {reason}; it was not fetched", group=key)
            return None
        self.referenced.add(ikey)
        size = self.objects.get(ikey)
        if size is None:
            add(
                "missing-init-segment",
                key,
                f"init segment {_clip(init_uri)} named by {what} does not exist in s3 (key {ikey})",
                group=key,
            )
            return None
        if size == 0:
            add(
                "zero-byte-segment",
                key,
                f"init segment {_clip(init_uri)} (key {ikey}) is empty (0 bytes)",
                group=key,
            )
            return None
        return ikey

    # ----------------------------------------------------------------- across renditions (14, 15, 16)

    def _timed_renditions(self) -> list[_Rendition]:
        return [r for r in self.renditions if r.kind in ("video", "audio", "subtitles") and r.segments]

    def _check_across_renditions(self) -> None:
        add = self.defects.add
        timed = self._timed_renditions()
        # 15: target durations agree (subtitles aside)
        targets = {r.label(): r.target_duration for r in timed if r.kind != "subtitles" and r.target_duration}
        if len(set(targets.values())) > 1:
            listing = ", ".join(f"{_basename(k)}={v}" for k, v in targets.items())
            add(
                "target-duration-mismatch",
                self.manifest_key,
                f"renditions disagree on #EXT-X-TARGETDURATION: {listing}",
            )
        # 14: same wall-clock window, cut by PDT
        comparable = [r for r in timed if r.kind != "subtitles" and r.first_time is not None]
        if len(comparable) < 2:
            return
        reference = next((r for r in comparable if r.kind == "video"), comparable[0])
        ref_end = reference.end_time
        for r in comparable:
            if r is reference:
                continue
            tol = max(r.tolerance(self.tolerance), reference.tolerance(self.tolerance))
            start_delta = r.first_time - reference.first_time
            end_delta = (r.end_time - ref_end) if (r.end_time is not None and ref_end is not None) else 0.0
            if abs(start_delta) <= tol and abs(end_delta) <= tol:
                continue
            parts = []
            if abs(start_delta) > tol:
                parts.append(f"starts {abs(start_delta):.3f} s {'later' if start_delta > 0 else 'earlier'}")
            if abs(end_delta) > tol:
                parts.append(f"ends {abs(end_delta):.3f} s {'later' if end_delta > 0 else 'earlier'}")
            add(
                "rendition-mismatch",
                r.label(),
                f"rendition {_basename(r.label())} covers {_fmt_ts(r.first_time)} -> "
                f"{_fmt_ts(r.end_time)} but "
                f"rendition {_basename(reference.label())} covers {_fmt_ts(reference.first_time)} -> "
                f"{_fmt_ts(ref_end)}: it {' and '.join(parts)} (tolerance {tol:.3f} s)",
            )

    def _check_window(self) -> None:
        add = self.defects.add
        s, e = self.start_ts, self.end_ts
        for r in self._timed_renditions():
            if r.first_time is None or r.last_time is None:
                continue  # missing-pdt already says why the window cannot be checked
            tol = r.tolerance(self.tolerance)
            name = _basename(r.label())
            first_end = r.first_time + r.first_duration
            last_end = r.last_time + r.last_duration
            if r.first_time - s > tol:
                add(
                    "window-start-late",
                    r.label(),
                    f"{name} starts at {_fmt_ts(r.first_time)}, {r.first_time - s:.3f} s after the requested "
                    f"window start {_fmt(self.start)}: the beginning of the window is missing",
                )
            elif s >= first_end:
                add(
                    "window-start-early",
                    r.label(),
                    f"{name} starts at {_fmt_ts(r.first_time)}, {s - r.first_time:.3f} s before the "
                    "requested "
                    f"window start {_fmt(self.start)}: more than its first segment "
                    f"({r.first_duration:g} s) lies before the window",
                )
            if e - last_end > tol:
                add(
                    "window-end-early",
                    r.label(),
                    f"{name} ends at {_fmt_ts(last_end)}, {e - last_end:.3f} s before the requested "
                    "window end "
                    f"{_fmt(self.end)}: the end of the window is missing",
                )
            elif r.last_time >= e:
                add(
                    "window-end-late",
                    r.label(),
                    f"{name} ends at {_fmt_ts(last_end)}, {last_end - e:.3f} s after the requested "
                    "window end "
                    f"{_fmt(self.end)}: its last segment starts at {_fmt_ts(r.last_time)}, at or after the "
                    "window end",
                )

    # ----------------------------------------------------------------- decoding (18, 20)

    def _decode_rendition(self, rendition: _Rendition) -> None:
        if rendition.kind not in ("video", "audio", "subtitles"):
            return
        init_cache: dict[str, bytes | None] = {}
        for index, uri, skey, duration, init_key in rendition.sample_segments:
            where = f"{skey} (segment #{index} of {_basename(rendition.label())})"
            self._decode_segment(rendition, where, skey, uri, duration, init_key, init_cache)

    def _fetch_for_decode(self, key: str, where: str) -> FetchedObject | None:
        size = self.objects.get(key, 0)
        if size > self.max_segment_bytes:
            self.defects.add(
                "segment-too-large",
                where,
                f"{_basename(key)} is {size} bytes, more than the {self.max_segment_bytes}-byte "
                "decode limit; "
                "not decoded",
                "warning",
            )
            return None
        fetched = self._get(key)
        if fetched is None:
            self.defects.add("missing-segment", where, f"{_basename(key)} was listed but could not be read")
        return fetched

    def _decode_segment(self, rendition, where, skey, uri, duration, init_key, init_cache) -> None:
        add = self.defects.add
        ext = _extension(uri)
        if rendition.kind == "subtitles" or ext in _VTT_EXTENSIONS:
            fetched = self._fetch_for_decode(skey, where)
            if fetched is None:
                return
            self._check_segment_type(fetched, where, _VTT_TYPES, "WebVTT")
            if not fetched.body.lstrip(_BOM).startswith(b"WEBVTT"):
                add("decode", where, f"{_basename(skey)} is not a WebVTT file (it does not start with WEBVTT)")
            return

        if init_key is not None or ext in _FMP4_EXTENSIONS:
            kind, allowed, container = "fragmented MP4", _MP4_TYPES, "mp4"
        elif ext in _PACKED_AUDIO_TYPES:
            kind, allowed, container = "packed audio", _PACKED_AUDIO_TYPES[ext], None
        else:
            kind, allowed, container = "MPEG-TS", _TS_TYPES, "mpegts"
        fetched = self._fetch_for_decode(skey, where)
        if fetched is None:
            return
        body = fetched.body
        self._check_segment_type(fetched, where, allowed, kind)
        prefix_bytes = b""
        if init_key is not None:
            if init_key not in init_cache:
                init = self._fetch_for_decode(init_key, f"{init_key} (init segment of {_basename(rendition.label())})")
                if init is not None:
                    self._check_segment_type(init, init_key, _MP4_TYPES, "fragmented MP4 init segment")
                init_cache[init_key] = None if init is None else init.body
            if init_cache[init_key] is None:
                return
            prefix_bytes = init_cache[init_key]
        if container == "mpegts":
            if not body.startswith(b"\x47"):
                add(
                    "sync-byte",
                    where,
                    f"{_basename(skey)} should be MPEG-TS but does not start with the sync byte 0x47 "
                    f"({f'first byte 0x{body[0]:02x}' if body else 'it is empty'})",
                )
            else:
                problem = _ts_pat_pmt_problem(body)
                if problem:
                    add("pat-pmt", where, f"{_basename(skey)}: {problem}")
                if len(body) % _TS_PACKET:
                    add(
                        "ts-packet-size",
                        where,
                        f"{_basename(skey)} is {len(body)} bytes, not a whole number of 188-byte TS packets "
                        "(truncated upload?)",
                        "warning",
                    )
        result = _decode_media(prefix_bytes + body, container, wraps=container == "mpegts")
        if result.error:
            add("decode", where, f"{_basename(skey)} cannot be decoded: {result.error}")
            return
        for problem in result.timestamp_problems:
            add("timestamps", where, f"{_basename(skey)}: {problem}")
        if result.span is not None and duration > 0:
            slack = max(0.25, 0.1 * duration)
            if abs(result.span - duration) > slack:
                add(
                    "segment-duration",
                    where,
                    f"{_basename(skey)} decodes to {result.span:.3f} s of media but its #EXTINF says "
                    f"{duration:g} s (truncated or mislabelled segment?)",
                )

    def _check_segment_type(self, fetched: FetchedObject, where: str, allowed: frozenset, kind: str) -> None:
        ctype = _content_type(fetched.content_type)
        if ctype not in allowed:
            self.defects.add(
                "content-type",
                where,
                f"{_basename(fetched.key)} is stored with Content-Type {fetched.content_type or '(none)'}; a "
                f"{kind} segment needs {' or '.join(sorted(allowed))}",
            )

    # ----------------------------------------------------------------- leftovers

    def _check_unreferenced(self) -> None:
        if not self.renditions or any(r.key in self.objects and not r.parsed for r in self.renditions):
            return  # a playlist could not be read: its segments would look like leftovers
        referenced = self.referenced
        stray = [k for k in self.objects if k not in referenced and not k.endswith("/")]
        if not stray:
            return
        stray.sort()
        shown = ", ".join(_clip(k, 80) for k in stray[:5])
        self.defects.add(
            "unreferenced-object",
            self.prefix or self.manifest_key,
            f"{len(stray)} object(s) under {self.prefix or '(bucket root)'} are not named by any playlist "
            f"(e.g. {shown}); leftovers from another harvest?",
            "warning",
        )


def _ts_pat_pmt_problem(data: bytes) -> str | None:
    """``None`` when a PAT and the PMT it names appear in the first packets, else why not."""
    packets = min(len(data) // _TS_PACKET, 64)
    if packets == 0:
        return "shorter than one 188-byte TS packet"
    pmt_pids: set[int] | None = None
    for i in range(packets):
        pkt = data[i * _TS_PACKET : (i + 1) * _TS_PACKET]
        if pkt[0] != 0x47:
            return f"TS packet {i} does not start with the sync byte 0x47"
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        if pid == 0 and pmt_pids is None and pkt[1] & 0x40:
            control = (pkt[3] >> 4) & 0x3
            if control in (0, 2):
                continue
            offset = 4 + (1 + pkt[4] if control == 3 else 0)
            if offset >= _TS_PACKET:
                continue
            offset += 1 + pkt[offset]  # pointer field
            if offset + 8 > _TS_PACKET:
                continue
            section_length = ((pkt[offset + 1] & 0x0F) << 8) | pkt[offset + 2]
            end = min(offset + 3 + section_length - 4, _TS_PACKET)
            pids = set()
            for j in range(offset + 8, end - 3, 4):
                program = (pkt[j] << 8) | pkt[j + 1]
                if program != 0:
                    pids.add(((pkt[j + 2] & 0x1F) << 8) | pkt[j + 3])
            pmt_pids = pids
        elif pmt_pids and pid in pmt_pids:
            return None
    if pmt_pids is None:
        return f"no Program Association Table (PAT) in the first {packets} TS packets"
    return f"no Program Map Table (PMT) in the first {packets} TS packets"


@dataclass
class _DecodeResult:
    error: str | None = None
    frames: int = 0
    span: float | None = None
    timestamp_problems: list[str] = field(default_factory=list)


def _decode_media(data: bytes, container_format: str | None, *, wraps: bool) -> _DecodeResult:
    """Demux and decode every frame; report errors, DTS order and the media span."""
    import av  # imported lazily: only the decode step needs FFmpeg

    result = _DecodeResult()
    try:
        with av.open(io.BytesIO(data), mode="r", format=container_format) as container:
            streams = [s for s in container.streams if s.type in ("video", "audio")]
            if not streams:
                result.error = "no audio or video stream found (no PAT/PMT or unknown format)"
                return result
            last_dts: dict[int, int] = {}
            first_pts: dict[int, int] = {}
            end_pts: dict[int, int] = {}
            last_pts: dict[int, int] = {}
            packets: dict[int, int] = {}
            frames: dict[int, int] = {}
            wrapped = False
            for packet in container.demux(*streams):
                index = packet.stream.index
                dts, pts = packet.dts, packet.pts
                if dts is not None:
                    prev = last_dts.get(index)
                    if prev is not None and dts <= prev:
                        if wraps and prev - dts > 2**32:
                            wrapped = True
                        elif len(result.timestamp_problems) < 5:
                            tb = packet.time_base or packet.stream.time_base
                            result.timestamp_problems.append(
                                f"{packet.stream.type} timestamps do not increase: "
                                f"DTS {float(dts * tb):.3f} s "
                                f"follows {float(prev * tb):.3f} s"
                            )
                    last_dts[index] = dts
                if pts is not None:
                    first_pts[index] = min(first_pts.get(index, pts), pts)
                    last_pts[index] = max(last_pts.get(index, pts), pts)
                    end = pts + (packet.duration or 0)
                    end_pts[index] = max(end_pts.get(index, end), end)
                    packets[index] = packets.get(index, 0) + 1
                for _frame in packet.decode():
                    frames[index] = frames.get(index, 0) + 1
            result.frames = sum(frames.values())
            silent = [s for s in streams if not frames.get(s.index)]
            if silent:
                kinds = ", ".join(f"{s.type} stream {s.index}" for s in silent)
                result.error = f"no frames could be decoded from {kinds}"
                return result
            if not wrapped:
                spans = []
                for s in streams:
                    i = s.index
                    if i not in first_pts or s.time_base is None:
                        continue
                    ticks = end_pts[i] - first_pts[i]
                    if end_pts[i] == last_pts[i] and packets[i] > 1:
                        # no packet durations: add one average frame for the last one
                        ticks = ticks * packets[i] / (packets[i] - 1)
                    spans.append(float(ticks * s.time_base))
                result.span = max(spans) if spans else None
    except Exception as exc:  # noqa: BLE001 - FFmpeg errors of every kind are defects of the segment
        result.error = f"{type(exc).__name__}: {_clip(exc, 200)}"
    return result
