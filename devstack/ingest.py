"""Live HLS ingest: what a channel has received, indexed by program date time.

An encoder pushes a multivariant playlist, sliding-window media playlists and segments to the
channel's ingest URL. Segments usually arrive before the playlist naming them (a segment named
before its upload lands is indexed when it does); each playlist is merged
into the rendition's index (the stack keeps what the encoder's window has dropped), and the
segment file moves from the upload area into the rendition's store, named by its start time.
Origin endpoints and harvest jobs read this index; eviction trims it to the longest startover
window of the channel's endpoints.
"""

from __future__ import annotations

import bisect
import io
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import m3u8
import pendulum
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

# A PDT jump bigger than this between consecutive segments is a discontinuity.
GAP_TOLERANCE_MS = 50


@dataclass
class Segment:
    seq: int  # the stack's own media sequence number: monotonic per rendition, never reset
    start_ms: int  # program date time of the first sample, epoch milliseconds
    duration: float  # EXTINF exactly as the encoder wrote it
    path: Path
    size: int
    discontinuity: bool  # a discontinuity precedes this segment
    discontinuities_before: int  # discontinuities from the first segment ever ingested up to this one

    @property
    def end_ms(self) -> int:
        return self.start_ms + round(self.duration * 1000)


@dataclass
class Rendition:
    """One media playlist of the ingested presentation."""

    name: str  # the encoder's playlist file name, e.g. ``channel_1.m3u8``
    directory: Path
    segments: list[Segment] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # start_ms of each segment, for bisect
    by_seq: dict[int, Segment] = field(default_factory=dict)
    next_seq: int = 1
    discontinuities: int = 0
    version: int = 3
    ended: bool = False
    codecs: str | None = None  # probed when the encoder sent no multivariant playlist
    resolution: str | None = None
    # (PDT ms, first PTS) of the first segment a v2 CMAF endpoint packaged: fixes the media clock to the wall clock.
    media_anchor: tuple[int, int] | None = None

    def window(self, start_ms: int, end_ms: int) -> list[Segment]:
        """Segments overlapping [start_ms, end_ms): the one containing start_ms through the one containing end_ms."""
        first = max(bisect.bisect_right(self.starts, start_ms) - 1, 0)
        last = bisect.bisect_left(self.starts, end_ms)
        return [s for s in self.segments[first:last] if s.end_ms > start_ms]

    def bandwidth(self) -> int:
        recent = self.segments[-10:]
        if not recent:
            return 0
        return max(int(s.size * 8 / max(s.duration, 0.001)) for s in recent)


@dataclass(frozen=True)
class Variant:
    """How the multivariant playlist presents a rendition."""

    kind: str  # "stream" (EXT-X-STREAM-INF) or "media" (EXT-X-MEDIA with URI)
    attributes: dict[str, Any]


class ChannelContent:
    """Everything one channel has ingested."""

    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.RLock()
        self.renditions: dict[str, Rendition] = {}
        self.variants: dict[str, Variant] = {}  # by rendition name, in multivariant order
        self.first_received: pendulum.DateTime | None = None
        # Segments a playlist named before their upload finished (an encoder uploads the playlist and
        # the segment on separate connections): (ingest id, file) -> (rendition, segment, start ms).
        self.pending: dict[tuple[str, str], tuple[str, Any, int]] = {}

    # -- uploads --------------------------------------------------------------------------------

    def upload_dir(self, ingest_id: str) -> Path:
        path = self.root / "incoming" / ingest_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, ingest_id: str, filename: str, body: bytes) -> None:
        if filename.endswith(".m3u8"):
            self._put_playlist(ingest_id, filename, body)
            return
        target = self.upload_dir(ingest_id) / filename
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(body)
        os.replace(tmp, target)
        with self.lock:
            named = self.pending.pop((ingest_id, filename), None)
            if named is not None:  # its playlist came first: index it now, as the playlist said
                rendition_name, segment, start_ms = named
                self._index_if_new(self.renditions[rendition_name], segment, target, start_ms)

    def delete(self, ingest_id: str, filename: str) -> None:
        """Encoders delete segments that left their window; indexed segments are the stack's now."""
        (self.upload_dir(ingest_id) / filename).unlink(missing_ok=True)
        with self.lock:
            self.pending.pop((ingest_id, filename), None)

    def _put_playlist(self, ingest_id: str, filename: str, body: bytes) -> None:
        text = body.decode("utf-8-sig")
        playlist = m3u8.loads(text)
        with self.lock:
            if self.first_received is None:
                self.first_received = pendulum.now("UTC")
            if playlist.is_variant:
                self._merge_variants(playlist)
            else:
                self._merge_media(ingest_id, filename, playlist)

    def _merge_variants(self, playlist: m3u8.M3U8) -> None:
        variants: dict[str, Variant] = {}
        # Video variants first, then renditions (audio), so child numbering follows the encoder's.
        for variant in playlist.playlists:
            info = variant.stream_info
            attrs = {
                "bandwidth": info.bandwidth,
                "average_bandwidth": info.average_bandwidth,
                "codecs": info.codecs,
                "resolution": "x".join(map(str, info.resolution)) if info.resolution else None,
                "frame_rate": info.frame_rate,
                "audio": info.audio,
                "subtitles": info.subtitles,
            }
            variants[_basename(variant.uri)] = Variant("stream", {k: v for k, v in attrs.items() if v})
        for media in playlist.media:
            if media.uri:
                attrs = {
                    "type": media.type,
                    "group_id": media.group_id,
                    "name": media.name,
                    "language": media.language,
                    "default": media.default,
                    "autoselect": media.autoselect,
                    "channels": media.channels,
                }
                variants[_basename(media.uri)] = Variant("media", {k: v for k, v in attrs.items() if v})
        self.variants = variants

    def _merge_media(self, ingest_id: str, filename: str, playlist: m3u8.M3U8) -> None:
        rendition = self.renditions.get(filename)
        if rendition is None:
            directory = self.root / "renditions" / filename.removesuffix(".m3u8")
            directory.mkdir(parents=True, exist_ok=True)
            rendition = self.renditions[filename] = Rendition(filename, directory)
        rendition.version = max(rendition.version, playlist.version or 3)
        upload_dir = self.upload_dir(ingest_id)
        for segment in playlist.segments:
            source = upload_dir / _basename(segment.uri)
            pdt = segment.current_program_date_time
            if pdt is not None:
                start_ms = int(pendulum.instance(pdt).timestamp() * 1000 + 0.5)
            elif source.exists():
                # No PDT from the encoder: arrival time is the best clock there is.
                start_ms = int((source.stat().st_mtime - segment.duration) * 1000)
            else:
                continue
            if not source.exists():
                # Not uploaded yet: indexed when its upload lands (the last playlist names it only once).
                if self._is_new(rendition, start_ms):
                    log.info("ingest: %s names %s, which is not uploaded yet", filename, segment.uri)
                    self.pending[(ingest_id, source.name)] = (filename, segment, start_ms)
                continue
            self._index_if_new(rendition, segment, source, start_ms)
        if playlist.is_endlist:
            rendition.ended = True
        elif playlist.segments:
            rendition.ended = False

    @staticmethod
    def _is_new(rendition: Rendition, start_ms: int) -> bool:
        """Whether no indexed segment starts at ``start_ms`` (sliding windows repeat segments)."""
        index = bisect.bisect_left(rendition.starts, start_ms)
        if index < len(rendition.starts) and abs(rendition.starts[index] - start_ms) < GAP_TOLERANCE_MS:
            return False
        return not (index > 0 and abs(rendition.starts[index - 1] - start_ms) < GAP_TOLERANCE_MS)

    def _index_if_new(self, rendition: Rendition, segment: Any, source: Path, start_ms: int) -> None:
        if self._is_new(rendition, start_ms):
            self._index(rendition, bisect.bisect_left(rendition.starts, start_ms), segment, source, start_ms)

    def _index(self, rendition: Rendition, index: int, segment: Any, source: Path, start_ms: int) -> None:
        target = rendition.directory / f"{start_ms}{source.suffix or '.ts'}"
        os.replace(source, target)
        previous = rendition.segments[index - 1] if index > 0 else None
        jump = previous is not None and abs(previous.end_ms - start_ms) > GAP_TOLERANCE_MS
        discontinuity = bool(segment.discontinuity) or jump
        if index != len(rendition.segments):
            # Late, out-of-order arrival: keep order by time; numbering stays monotonic by arrival.
            log.warning("ingest: %s segment %s arrived out of order", rendition.name, segment.uri)
        if discontinuity:
            rendition.discontinuities += 1
        stored = Segment(
            seq=rendition.next_seq,
            start_ms=start_ms,
            duration=float(segment.duration),
            path=target,
            size=target.stat().st_size,
            discontinuity=discontinuity and previous is not None,
            discontinuities_before=rendition.discontinuities,
        )
        rendition.next_seq += 1
        rendition.segments.insert(index, stored)
        rendition.starts.insert(index, start_ms)
        rendition.by_seq[stored.seq] = stored
        if rendition.codecs is None and not self.variants:
            codecs, rendition.resolution = probe_codecs(target)
            rendition.codecs = codecs or ""  # probe once, even when it fails

    # -- reading --------------------------------------------------------------------------------

    def ordered_renditions(self) -> list[tuple[Rendition, Variant]]:
        """Renditions with how to present them, in the encoder's multivariant order."""
        with self.lock:
            out = []
            for name, variant in self.variants.items():
                if name in self.renditions:
                    out.append((self.renditions[name], variant))
            if out:
                return out
            # A single media playlist and no multivariant (e.g. ``ffmpeg -f hls``): present it as one variant.
            for rendition in self.renditions.values():
                attrs = {"bandwidth": rendition.bandwidth() or 1, "codecs": rendition.codecs or None}
                if rendition.resolution:
                    attrs["resolution"] = rendition.resolution
                out.append((rendition, Variant("stream", {k: v for k, v in attrs.items() if v})))
            return out

    def evict(self, keep_after_ms: int) -> int:
        """Drop segments that ended before keep_after_ms; return how many."""
        dropped = 0
        with self.lock:
            for rendition in self.renditions.values():
                cut = 0
                while cut < len(rendition.segments) and rendition.segments[cut].end_ms < keep_after_ms:
                    old = rendition.segments[cut]
                    old.path.unlink(missing_ok=True)
                    rendition.by_seq.pop(old.seq, None)
                    cut += 1
                if cut:
                    del rendition.segments[:cut]
                    del rendition.starts[:cut]
                    dropped += cut
        return dropped

    def earliest_ms(self) -> int | None:
        with self.lock:
            starts = [r.starts[0] for r in self.renditions.values() if r.starts]
            return max(starts) if starts else None


def ingest_request(content: ChannelContent, ingest_id: str, method: str, name: str, body: bytes) -> Response:
    """An authorized encoder request on one ingest endpoint (v1 and v2 alike): PUT/POST stores, DELETE acknowledges."""
    if method in ("PUT", "POST"):
        try:
            content.put(ingest_id, name, body)
        except Exception as exc:
            log.warning("ingest of %s refused: %s", name, exc)
            return Response(f"cannot ingest {name}: {exc}\n", status=400)
        return Response(status=201)
    if method == "DELETE":
        content.delete(ingest_id, name)
        return Response(status=204)
    return Response(status=405)


def _basename(uri: str) -> str:
    return uri.split("?", 1)[0].rsplit("/", 1)[-1]


_PROFILE_IDC = {"Baseline": 66, "Constrained Baseline": 66, "Main": 77, "Extended": 88, "High": 100}


def probe_codecs(path: Path) -> tuple[str | None, str | None]:
    """RFC 6381 codec strings and resolution of a TS segment, read with PyAV."""
    import av

    try:
        with av.open(io.BytesIO(path.read_bytes()), format="mpegts") as container:
            codecs, resolution = [], None
            for stream in container.streams:
                ctx = stream.codec_context
                if ctx.name == "h264":
                    profile = _PROFILE_IDC.get(ctx.profile or "", 100)
                    constraints = 0xC0 if ctx.profile == "Constrained Baseline" else 0
                    level = ctx.level if ctx.level and ctx.level > 0 else 30
                    codecs.append(f"avc1.{profile:02x}{constraints:02x}{level:02x}")
                    resolution = f"{ctx.width}x{ctx.height}"
                elif ctx.name == "aac":
                    codecs.append("mp4a.40.2")
            return (",".join(codecs) or None), resolution
    except Exception as exc:  # a probe failure only costs the CODECS attribute
        log.warning("ingest: could not probe %s: %s", path.name, exc)
        return None, None
