"""HLS assets for the verification tests: real media, an in-memory store, a good asset to damage.

Segments are real MPEG-TS / fragmented MP4 media encoded with PyAV, built once per session.
``good_asset()`` is three video renditions plus an audio group, 5 x 2 s segments from ``T0``;
tests damage it with ``Asset.edit``/``put``/``delete`` and verify it through ``MemoryStore``
(the storage boundary).
"""

from __future__ import annotations

import fractions
import functools
import io
import struct
from dataclasses import dataclass, field

import av
import pendulum

from live_to_vod.verification import FetchedObject, StoredObject, VerificationReport, verify_vod_asset

PREFIX = "thursdaynight/highlights/"


MANIFEST = PREFIX + "index.m3u8"


T0 = pendulum.datetime(2026, 11, 26, 19, 0, 0, tz="UTC")


WINDOW_START = T0.add(seconds=1)  # inside the first segment [0 s, 2 s)


WINDOW_END = T0.add(seconds=9)  # inside the last segment [8 s, 10 s)


MPEGURL = "application/vnd.apple.mpegurl"


TS = "video/MP2T"


FPS = 10


SEGMENT_SECONDS = 2


def _video_frame(value: int) -> av.VideoFrame:
    frame = av.VideoFrame(64, 48, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes([value]) * plane.buffer_size)
    return frame


def _video_stream(container: av.container.OutputContainer) -> av.video.stream.VideoStream:
    stream = container.add_stream("libx264", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    stream.codec_context.gop_size = FPS * SEGMENT_SECONDS
    stream.codec_context.options = {"preset": "ultrafast"}
    return stream


@functools.cache
def video_segments(count: int = 6) -> tuple[bytes, ...]:
    """2-second H.264 MPEG-TS segments whose timestamps continue across segments."""
    per_segment = FPS * SEGMENT_SECONDS
    segments = []
    for s in range(count):
        buf = io.BytesIO()
        with av.open(buf, mode="w", format="mpegts") as out:
            stream = _video_stream(out)
            for i in range(per_segment):
                frame = _video_frame((s * 40 + i * 3) % 256)
                frame.pts, frame.time_base = s * per_segment + i, fractions.Fraction(1, FPS)
                out.mux(stream.encode(frame))
            out.mux(stream.encode())
        segments.append(buf.getvalue())
    return tuple(segments)


@functools.cache
def audio_segments(count: int = 6, rate: int = 48000, frames_per_segment: int = 94) -> tuple[bytes, ...]:
    """~2-second AAC MPEG-TS segments (94 x 1024 samples = 2.005 s) with continuous timestamps."""
    segments = []
    for s in range(count):
        buf = io.BytesIO()
        with av.open(buf, mode="w", format="mpegts") as out:
            stream = out.add_stream("aac", rate=rate, layout="mono")
            for i in range(frames_per_segment):
                frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                for plane in frame.planes:
                    plane.update(bytes(plane.buffer_size))
                frame.sample_rate = rate
                frame.pts, frame.time_base = (s * frames_per_segment + i) * 1024, fractions.Fraction(1, rate)
                out.mux(stream.encode(frame))
            out.mux(stream.encode())
        segments.append(buf.getvalue())
    return tuple(segments)


def _mp4_boxes(data: bytes):
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        yield kind, offset, size
        offset += size


@functools.cache
def fmp4_media(count: int = 5) -> tuple[bytes, tuple[bytes, ...]]:
    """One fragmented MP4 split CMAF-style into an init segment and 2-second fragments."""
    buf = io.BytesIO()
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(buf, mode="w", format="mp4", options=options) as out:
        stream = _video_stream(out)
        for i in range(count * FPS * SEGMENT_SECONDS):
            frame = _video_frame(i % 256)
            frame.pts, frame.time_base = i, fractions.Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    data = buf.getvalue()
    moofs = [offset for kind, offset, _ in _mp4_boxes(data) if kind == b"moof"]
    assert len(moofs) == count, moofs
    bounds = moofs + [len(data)]
    return data[: moofs[0]], tuple(data[bounds[i] : bounds[i + 1]] for i in range(count))


class MemoryStore:
    """A dict-backed AssetStore that records every call."""

    def __init__(self, objects: dict[str, tuple[bytes, str | None]]):
        self.objects = objects
        self.listed: list[str] = []
        self.fetched: list[str] = []

    def list_objects(self, prefix: str):
        self.listed.append(prefix)
        return [StoredObject(k, len(body)) for k, (body, _) in self.objects.items() if k.startswith(prefix)]

    def get_object(self, key: str, max_bytes: int | None = None) -> FetchedObject:
        self.fetched.append(key)
        body, content_type = self.objects[key]  # KeyError when missing, as the protocol says
        return FetchedObject(key, body if max_bytes is None else body[:max_bytes], content_type)


def iso_z(t: pendulum.DateTime) -> str:
    return t.in_timezone("UTC").isoformat(timespec="milliseconds").replace("+00:00", "Z")


def media_playlist(
    stem: str,
    *,
    start: pendulum.DateTime = T0,
    durations: list[float] | None = None,
    first_seq: int = 100,
    target: int = 2,
    version: int = 3,
    ext: str = "ts",
    header: tuple[str, ...] = (),
) -> str:
    durations = durations if durations is not None else [2.0] * 5
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{version}",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{first_seq}",
        "#EXT-X-DISCONTINUITY-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        *header,
    ]
    t = start
    for i, d in enumerate(durations):
        lines += [
            f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(t)}",
            f"#EXTINF:{d:.3f},",
            f"{stem}_{first_seq + i:05d}.{ext}",
        ]
        t = t.add(microseconds=round(d * 1_000_000))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


PARENT = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="index_4.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2200000,RESOLUTION=64x48,CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"
index_1.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=64x48,CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"
index_2.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=64x48,CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"
index_3.m3u8
"""


VIDEO_STEMS = ("index_1", "index_2", "index_3")


AUDIO_STEM = "index_4"


@dataclass
class Asset:
    objects: dict[str, tuple[bytes, str | None]] = field(default_factory=dict)

    def put(self, name: str, body: bytes, content_type: str | None) -> None:
        self.objects[PREFIX + name] = (body, content_type)

    def text(self, name: str) -> str:
        return self.objects[PREFIX + name][0].decode()

    def put_text(self, name: str, text: str) -> None:
        self.put(name, text.encode(), MPEGURL)

    def edit(self, name: str, old: str, new: str) -> None:
        text = self.text(name)
        assert old in text, (old, text)
        self.put_text(name, text.replace(old, new, 1))

    def add_to_parent(self, *lines: str) -> None:
        """Insert tag lines into the parent manifest, right after #EXT-X-INDEPENDENT-SEGMENTS (line 3)."""
        self.edit(
            "index.m3u8",
            "#EXT-X-INDEPENDENT-SEGMENTS\n",
            "".join(f"{line}\n" for line in ("#EXT-X-INDEPENDENT-SEGMENTS", *lines)),
        )

    def delete(self, name: str) -> None:
        del self.objects[PREFIX + name]

    def add_rendition(self, stem: str, media: tuple[bytes, ...], **playlist_args) -> None:
        text = media_playlist(stem, **playlist_args)
        self.put_text(f"{stem}.m3u8", text)
        uris = [line for line in text.splitlines() if line and not line.startswith("#")]
        for i, uri in enumerate(uris):
            self.put(uri, media[i % len(media)], TS)

    def store(self) -> MemoryStore:
        return MemoryStore(self.objects)


def good_asset(**playlist_args) -> Asset:
    """Three video renditions plus an audio group, 5 x 2 s segments from T0 (window T0+1 .. T0+9)."""
    asset = Asset()
    asset.put_text("index.m3u8", PARENT)
    for stem in VIDEO_STEMS:
        asset.add_rendition(stem, video_segments(), **playlist_args)
    asset.add_rendition(AUDIO_STEM, audio_segments(), **playlist_args)
    return asset


def verify(asset_or_store, **kwargs) -> VerificationReport:
    store = asset_or_store.store() if isinstance(asset_or_store, Asset) else asset_or_store
    kwargs.setdefault("window_start", WINDOW_START)
    kwargs.setdefault("window_end", WINDOW_END)
    return verify_vod_asset(store, MANIFEST, **kwargs)


def checks(report: VerificationReport) -> set[str]:
    return {d.check for d in report.defects}


def defects(report: VerificationReport, check: str):
    found = [d for d in report.defects if d.check == check]
    assert found, f"no {check!r} defect in:\n{report.summary()}"
    return found


def assert_only_under_prefix(store: MemoryStore) -> None:
    assert store.listed == [PREFIX]
    assert all(key.startswith(PREFIX) for key in store.fetched), store.fetched
