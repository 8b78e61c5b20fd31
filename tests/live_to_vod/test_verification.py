"""Tests for live_to_vod.verification (and the S3 adapter's paging).

Assets live in an in-memory store (the storage boundary); segments are real
MPEG-TS / fragmented MP4 media encoded with PyAV, built once per session.
"""

from __future__ import annotations

import fractions
import functools
import io
import json
import math
import struct
from dataclasses import dataclass, field

import av
import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_to_vod.s3_asset_store import S3AssetStore
from live_to_vod.verification import (
    MAX_DEFECTS_PER_CHECK,
    FetchedObject,
    StoredObject,
    VerificationReport,
    verify_vod_asset,
)

PREFIX = "thursdaynight/highlights/"
MANIFEST = PREFIX + "index.m3u8"
T0 = pendulum.datetime(2026, 11, 26, 19, 0, 0, tz="UTC")
WINDOW_START = T0.add(seconds=1)  # inside the first segment [0 s, 2 s)
WINDOW_END = T0.add(seconds=9)  # inside the last segment [8 s, 10 s)
MPEGURL = "application/vnd.apple.mpegurl"
TS = "video/MP2T"
FPS = 10
SEGMENT_SECONDS = 2


# --------------------------------------------------------------------------- media fixtures (PyAV)


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


# --------------------------------------------------------------------------- the storage boundary


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


# --------------------------------------------------------------------------- asset builder


def _iso(t: pendulum.DateTime) -> str:
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
            f"#EXT-X-PROGRAM-DATE-TIME:{_iso(t)}",
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


# --------------------------------------------------------------------------- the good asset


def test_good_asset_passes_with_correct_stats():
    asset = good_asset()
    store = asset.store()
    report = verify(store)

    assert report.ok, report.summary()
    assert report.defects == ()
    assert [r.uri for r in report.renditions] == [
        "index_1.m3u8",
        "index_2.m3u8",
        "index_3.m3u8",
        "index_4.m3u8",
    ]
    assert [r.kind for r in report.renditions] == ["video", "video", "video", "audio"]
    assert report.segment_count == 20
    assert report.total_bytes == 15 * len(video_segments()[0]) + 5 * len(audio_segments()[0])
    assert report.duration_seconds == pytest.approx(10.0)
    for rendition in report.renditions:
        assert rendition.segments == 5
        assert rendition.first_pdt == T0
        assert rendition.end_pdt == T0.add(seconds=10)
        assert isinstance(rendition.first_pdt, pendulum.DateTime)
        assert rendition.target_duration == 2
    first = report.renditions[0]
    assert (first.bandwidth, first.resolution, first.codecs) == (2200000, "64x48", "avc1.64000a,mp4a.40.2")
    assert report.renditions[3].group_id == "aac"
    # one listing, the parent, four children, first+last segment of each rendition
    assert report.objects_listed == 25
    assert report.requests == 1 + 1 + 4 + 8 == len(store.listed) + len(store.fetched)
    assert_only_under_prefix(store)

    as_dict = report.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["ok"] is True and as_dict["window_start"] == "2026-11-26T19:00:01+00:00"
    assert as_dict["renditions"][0]["first_pdt"] == "2026-11-26T19:00:00+00:00"
    assert "OK" in report.summary() and "index_4.m3u8" in report.summary()


def test_good_asset_without_decoding_reads_only_playlists():
    store = good_asset().store()
    report = verify(store, decode_segments=False)
    assert report.ok and report.requests == 6
    assert sorted(store.fetched) == sorted([MANIFEST] + [f"{PREFIX}index_{i}.m3u8" for i in range(1, 5)])


def test_subtitles_and_iframe_playlists_are_checked_too():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        "#EXT-X-INDEPENDENT-SEGMENTS\n",
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subs/en.m3u8"\n'
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=64x48,CODECS="avc1.64000a",URI="iframe_1.m3u8"\n',
    )
    asset.edit("index.m3u8", 'AUDIO="aac"\nindex_1.m3u8', 'AUDIO="aac",SUBTITLES="subs"\nindex_1.m3u8')
    asset.put_text("subs/en.m3u8", media_playlist("en", ext="vtt"))
    for i in range(5):
        asset.put(f"subs/en_{100 + i:05d}.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n", "text/vtt")
    iframe = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:100"]
    iframe += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-I-FRAMES-ONLY"]
    for i in range(5):
        iframe += ["#EXTINF:2.000,", "#EXT-X-BYTERANGE:940@376", f"index_1_{100 + i:05d}.ts"]
    asset.put_text("iframe_1.m3u8", "\n".join([*iframe, "#EXT-X-ENDLIST", ""]))
    store = asset.store()
    report = verify(store)
    assert report.ok, report.summary()
    assert report.defects == ()
    kinds = {r.uri: r.kind for r in report.renditions}
    assert kinds["subs/en.m3u8"] == "subtitles" and kinds["iframe_1.m3u8"] == "iframe"
    assert report.segment_count == 25  # the I-frame playlist indexes segments already counted
    assert f"{PREFIX}subs/en_00104.vtt" in store.fetched


def test_iframe_byterange_past_the_end_of_its_segment():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        "#EXT-X-INDEPENDENT-SEGMENTS\n",
        '#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="iframe_1.m3u8"\n',
    )
    iframe = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
    iframe += "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-I-FRAMES-ONLY\n#EXTINF:2,\n#EXT-X-BYTERANGE:999999@0\n"
    asset.put_text("iframe_1.m3u8", iframe + "index_1_00100.ts\n#EXT-X-ENDLIST\n")
    (defect,) = defects(verify(asset, decode_segments=False), "byterange")
    assert defect.location == f"{PREFIX}iframe_1.m3u8 segment #0 (index_1_00100.ts)"
    assert "999999@0" in defect.message


def test_fragmented_mp4_rendition_with_init_segment_passes():
    init, fragments = fmp4_media()
    asset = Asset()
    asset.put_text(
        "index.m3u8",
        '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=64x48,CODECS="avc1.64000a"\n'
        "video/index_1.m3u8\n",
    )
    asset.put_text(
        "video/index_1.m3u8",
        media_playlist("seg", version=6, ext="m4s", header=('#EXT-X-MAP:URI="../init/init_1.mp4"',)),
    )
    asset.put("init/init_1.mp4", init, "video/mp4")
    for i, fragment in enumerate(fragments):
        asset.put(f"video/seg_{100 + i:05d}.m4s", fragment, "video/mp4")
    store = asset.store()
    report = verify(store)
    assert report.ok, report.summary()
    assert report.defects == ()
    assert report.renditions[0].bytes == len(init) + sum(len(f) for f in fragments)
    assert f"{PREFIX}init/init_1.mp4" in store.fetched


# --------------------------------------------------------------------------- objects in S3 (18)


def test_missing_segment_is_reported_from_the_listing():
    asset = good_asset()
    asset.delete("index_1_00102.ts")
    store = asset.store()
    report = verify(store)
    assert not report.ok
    (defect,) = defects(report, "missing-segment")
    assert defect.location == f"{PREFIX}index_1.m3u8 segment #2 (index_1_00102.ts)"
    assert "segment index_1_00102.ts is named by index_1.m3u8 but does not exist in s3" in defect.message
    assert f"{PREFIX}index_1_00102.ts" not in store.fetched  # existence comes from the listing


def test_zero_byte_segment():
    asset = good_asset()
    asset.put("index_2_00102.ts", b"", TS)
    (defect,) = defects(verify(asset), "zero-byte-segment")
    assert defect.location == f"{PREFIX}index_2.m3u8 segment #2 (index_2_00102.ts)"
    assert "0 bytes" in defect.message


def test_repeated_defects_are_capped_per_playlist():
    asset = good_asset(durations=[2.0] * 30)
    for i in range(30):
        asset.delete(f"index_3_{100 + i:05d}.ts")
    report = verify(asset, window_end=T0.add(seconds=59), decode_segments=False)
    missing = [d for d in report.defects if d.check == "missing-segment"]
    assert len(missing) == MAX_DEFECTS_PER_CHECK + 1
    assert "and 10 more missing-segment defect(s)" in missing[-1].message


# --------------------------------------------------------------------------- media playlists (1-7)


def test_truncated_child_playlist_cut_mid_line():
    asset = good_asset()
    text = asset.text("index_1.m3u8")
    asset.put_text("index_1.m3u8", text[: text.index("index_1_00104.ts") + len("index_1_001")])
    report = verify(asset)
    (truncated,) = defects(report, "truncated-playlist")
    assert truncated.location == f"{PREFIX}index_1.m3u8" and "index_1_001" in truncated.message
    assert "no-endlist" in checks(report)
    assert any("index_1_001" in d.location for d in defects(report, "missing-segment"))


def test_truncated_child_playlist_ending_with_extinf_without_uri():
    asset = good_asset()
    text = asset.text("index_2.m3u8")
    asset.put_text("index_2.m3u8", text[: text.index("index_2_00104.ts")])
    report = verify(asset)
    (truncated,) = defects(report, "truncated-playlist")
    assert truncated.location == f"{PREFIX}index_2.m3u8" and "no URI" in truncated.message
    assert "no-endlist" in checks(report)
    assert report.renditions[1].segments == 4


def test_missing_endlist():
    asset = good_asset()
    asset.edit("index_3.m3u8", "#EXT-X-ENDLIST\n", "")
    report = verify(asset)
    (defect,) = defects(report, "no-endlist")
    assert defect.location == f"{PREFIX}index_3.m3u8"
    assert "truncated-playlist" not in checks(report)


def test_not_vod_playlist_type_and_missing_media_sequence():
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-PLAYLIST-TYPE:EVENT")
    asset.edit("index_1.m3u8", "#EXT-X-MEDIA-SEQUENCE:100\n", "")
    report = verify(asset)
    assert "EVENT" in defects(report, "playlist-type")[0].message
    assert defects(report, "media-sequence")[0].location == f"{PREFIX}index_1.m3u8"


@pytest.mark.parametrize(
    ("third", "is_defect"),
    [(2.5, True), (2.49, False), (2.0, False)],
)
def test_extinf_rounded_half_up_against_target_duration(third, is_defect):
    durations = [2.0, 2.0, third, 4.0 - third, 2.0]
    asset = good_asset(durations=durations)
    report = verify(asset, decode_segments=False)
    found = [d for d in report.defects if d.check == "target-duration"]
    if is_defect:
        assert len(found) == 4  # one per rendition
        assert found[0].location == f"{PREFIX}index_1.m3u8 segment #2 (index_1_00102.ts)"
        assert "2.5 s, which rounds to 3 s, more than #EXT-X-TARGETDURATION:2" in found[0].message
    else:
        assert found == [] and report.ok, report.summary()


def test_decimal_extinf_needs_version_3():
    asset = good_asset(version=2)
    report = verify(asset, decode_segments=False)
    assert len(defects(report, "version")) == 4
    assert "needs version 3" in defects(report, "version")[0].message


def test_encrypted_rendition():
    asset = good_asset()
    asset.edit(
        "index_1.m3u8",
        "#EXT-X-PLAYLIST-TYPE:VOD\n",
        '#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k"\n',
    )
    (defect,) = defects(verify(asset, decode_segments=False), "encrypted")
    assert defect.location == f"{PREFIX}index_1.m3u8" and "AES-128" in defect.message


def test_missing_pdt_on_first_segment():
    asset = good_asset()
    asset.edit("index_1.m3u8", f"#EXT-X-PROGRAM-DATE-TIME:{_iso(T0)}\n", "")
    report = verify(asset)
    (defect,) = defects(report, "missing-pdt")
    assert defect.location == f"{PREFIX}index_1.m3u8 segment #0 (index_1_00100.ts)"
    # the start is still known from the next segment's PDT, so no window defect follows
    assert report.renditions[0].first_pdt == T0
    assert checks(report) == {"missing-pdt"}


def test_missing_pdt_after_discontinuity():
    asset = good_asset()
    asset.edit("index_2.m3u8", f"#EXT-X-PROGRAM-DATE-TIME:{_iso(T0.add(seconds=4))}\n", "#EXT-X-DISCONTINUITY\n")
    (defect,) = defects(verify(asset), "missing-pdt")
    assert defect.location == f"{PREFIX}index_2.m3u8 segment #2 (index_2_00102.ts)"
    assert "DISCONTINUITY" in defect.message


# --------------------------------------------------------------------------- gaps (17)


def test_gap_in_pdt_is_located_and_sized():
    asset = good_asset()
    asset.edit(
        "index_1.m3u8",
        f"#EXT-X-PROGRAM-DATE-TIME:{_iso(T0.add(seconds=6))}\n#EXTINF:2.000,\nindex_1_00103.ts\n",
        "",
    )
    report = verify(asset)
    (gap,) = defects(report, "gap")
    assert gap.location == f"{PREFIX}index_1.m3u8 segment #3 (index_1_00104.ts)"
    assert gap.message.startswith("gap of 2.000 s before segment index_1_00104.ts")
    assert "2026-11-26T19:00:08.000+00:00" in gap.message and "19:00:06.000" in gap.message


def test_gap_across_discontinuity_is_not_a_defect():
    asset = good_asset()
    old = f"#EXT-X-PROGRAM-DATE-TIME:{_iso(T0.add(seconds=6))}\n#EXTINF:2.000,\nindex_1_00103.ts\n"
    asset.edit("index_1.m3u8", old, "")
    asset.edit(
        "index_1.m3u8",
        f"#EXT-X-PROGRAM-DATE-TIME:{_iso(T0.add(seconds=8))}",
        f"#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:{_iso(T0.add(seconds=8))}",
    )
    assert "gap" not in checks(verify(asset))


# ------------------------------------------------- window accuracy (16) and renditions (14, 15)


def test_window_start_late():
    report = verify(good_asset(start=T0.add(seconds=2), durations=[2.0] * 4))
    late = defects(report, "window-start-late")
    assert {d.location for d in late} == {f"{PREFIX}index_{i}.m3u8" for i in range(1, 5)}
    assert "1.000 s after the requested window start" in late[0].message
    assert "rendition-mismatch" not in checks(report)


def test_window_end_early():
    report = verify(good_asset(durations=[2.0] * 4))
    early = defects(report, "window-end-early")
    assert len(early) == 4
    assert "ends at 2026-11-26T19:00:08.000+00:00, 1.000 s before the requested window end" in early[0].message


def test_asset_starting_more_than_one_segment_early():
    report = verify(good_asset(start=T0.subtract(seconds=2), durations=[2.0] * 6))
    early = defects(report, "window-start-early")
    assert len(early) == 4 and "3.000 s before the requested window start" in early[0].message
    assert "window-end-late" not in checks(report)


def test_asset_ending_more_than_one_segment_late():
    report = verify(good_asset(durations=[2.0] * 6))
    assert len(defects(report, "window-end-late")) == 4


def test_window_start_exactly_on_a_segment_boundary():
    # S = T0+2 is the start of the second segment: starting at T0 is one segment too early
    report = verify(good_asset(), window_start=T0.add(seconds=2), decode_segments=False)
    assert len(defects(report, "window-start-early")) == 4
    assert verify(good_asset(), window_start=T0, decode_segments=False).ok


def test_rendition_starting_later_is_a_mismatch():
    asset = good_asset()
    asset.add_rendition("index_2", video_segments(), start=T0.add(seconds=2), durations=[2.0] * 4, first_seq=101)
    report = verify(asset)
    (mismatch,) = defects(report, "rendition-mismatch")
    assert mismatch.location == f"{PREFIX}index_2.m3u8"
    assert "index_2.m3u8 covers 2026-11-26T19:00:02.000+00:00" in mismatch.message
    assert "index_1.m3u8 covers 2026-11-26T19:00:00.000+00:00" in mismatch.message
    assert "starts 2.000 s later" in mismatch.message


def test_audio_boundaries_within_a_tenth_of_a_second_are_accepted():
    asset = good_asset()
    asset.add_rendition(AUDIO_STEM, audio_segments(), start=T0.add(microseconds=80_000))
    assert verify(asset).ok
    asset.add_rendition(AUDIO_STEM, audio_segments(), start=T0.add(microseconds=150_000))
    assert "rendition-mismatch" in checks(verify(asset))


def test_target_duration_mismatch_between_renditions():
    asset = good_asset()
    asset.add_rendition("index_3", video_segments(), target=3)
    (defect,) = defects(verify(asset), "target-duration-mismatch")
    assert "index_3.m3u8=3" in defect.message and "index_1.m3u8=2" in defect.message


# --------------------------------------------------------------------------- parent manifest (11-13)


def test_parent_naming_a_missing_rendition():
    asset = good_asset()
    asset.delete("index_3.m3u8")
    store = asset.store()
    report = verify(store)
    (defect,) = defects(report, "missing-rendition")
    assert defect.location == f"{PREFIX}index_3.m3u8"
    assert "index_3.m3u8 is named by index.m3u8 but does not exist" in defect.message
    assert f"{PREFIX}index_3.m3u8" not in store.fetched


def test_missing_audio_group():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        'FRAME-RATE=10.000,AUDIO="aac"\nindex_2.m3u8',
        'FRAME-RATE=10.000,AUDIO="stereo"\nindex_2.m3u8',
    )
    (defect,) = defects(verify(asset), "missing-media-group")
    assert "#EXT-X-STREAM-INF 2 (index_2.m3u8)" in defect.location
    assert 'AUDIO="stereo"' in defect.message


def test_stream_inf_without_bandwidth_is_an_error_without_codecs_a_warning():
    asset = good_asset()
    asset.edit("index.m3u8", "BANDWIDTH=600000,", "")
    asset.edit(
        "index.m3u8",
        ',CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"\nindex_2',
        ',AUDIO="aac"\nindex_2',
    )
    report = verify(asset, decode_segments=False)
    assert defects(report, "stream-inf-bandwidth")[0].severity == "error"
    assert defects(report, "stream-inf-codecs")[0].severity == "warning"
    assert not report.ok


def test_missing_codecs_alone_is_only_a_warning():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        ',CODECS="avc1.64000a,mp4a.40.2",FRAME-RATE=10.000,AUDIO="aac"\nindex_2',
        ',AUDIO="aac"\nindex_2',
    )
    report = verify(asset, decode_segments=False)
    assert report.ok and checks(report) == {"stream-inf-codecs"}


def test_media_tags_in_parent():
    asset = good_asset()
    asset.edit(
        "index.m3u8",
        "#EXT-X-INDEPENDENT-SEGMENTS\n",
        "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:2\n",
    )
    assert "#EXT-X-TARGETDURATION" in defects(verify(asset), "media-tag-in-parent")[0].message


@pytest.mark.parametrize(
    ("uri", "check"),
    [
        ("https://origin.example.com/out/v1/abc/index_2.m3u8", "uri-outside-prefix"),
        ("s3://other-bucket/index_2.m3u8", "uri-outside-prefix"),
        ("//origin.example.com/index_2.m3u8", "uri-outside-prefix"),
        ("/thursdaynight/highlights/index_2.m3u8", "uri-outside-prefix"),
        ("../other-asset/index_2.m3u8", "uri-outside-prefix"),
        ("sub/../../../index_2.m3u8", "uri-outside-prefix"),
        ("%2e%2e/other-asset/index_2.m3u8", "uri-outside-prefix"),
        ("index_2.m3u8?token=s3cr3t", "uri-query"),
        ("index_2.m3u8#frag", "uri-query"),
    ],
)
def test_unsafe_rendition_uri_is_reported_and_never_fetched(uri, check):
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_2.m3u8\n", f"\n{uri}\n")
    store = asset.store()
    report = verify(store)
    (defect,) = defects(report, check)
    assert defect.location == MANIFEST and uri[:40] in defect.message and "not fetched" in defect.message
    assert_only_under_prefix(store)
    assert f"{PREFIX}index_2.m3u8" not in store.fetched


def test_unsafe_segment_uris_are_reported_and_never_fetched():
    asset = good_asset()
    asset.edit("index_1.m3u8", "\nindex_1_00100.ts\n", "\n../../other/index_1_00100.ts\n")
    asset.edit("index_1.m3u8", "\nindex_1_00101.ts\n", "\nhttp://origin.example.com/index_1_00101.ts\n")
    asset.edit("index_1.m3u8", "\nindex_1_00102.ts\n", "\nindex_1_00102.ts?aws_token=abc\n")
    store = asset.store()
    report = verify(store)
    outside = defects(report, "uri-outside-prefix")
    assert [d.location for d in outside] == [
        f"{PREFIX}index_1.m3u8 segment #0 (../../other/index_1_00100.ts)",
        f"{PREFIX}index_1.m3u8 segment #1 (http://origin.example.com/index_1_00101.ts)",
    ]
    assert defects(report, "uri-query")[0].location.endswith("segment #2 (index_1_00102.ts?aws_token=abc)")
    assert_only_under_prefix(store)


def test_dot_dot_that_stays_inside_the_prefix_is_fine():
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_2.m3u8\n", "\nsub/../index_2.m3u8\n")
    assert verify(asset).ok


# ------------------------------------------------- segments: content type and decoding (18, 20)


def test_non_decodable_segment_starting_with_sync_byte():
    asset = good_asset()
    garbage = b"\x47" + bytes((i * 7919) % 251 for i in range(188 * 20 - 1))
    asset.put("index_1_00100.ts", garbage, TS)
    report = verify(asset)
    (defect,) = defects(report, "decode")
    assert defect.location.startswith(f"{PREFIX}index_1_00100.ts (segment #0 of index_1.m3u8)")
    assert "cannot be decoded" in defect.message
    assert "pat-pmt" in checks(report)


def test_segment_without_sync_byte():
    asset = good_asset()
    asset.put("index_3_00104.ts", b"<html>AccessDenied</html>" * 10, TS)
    report = verify(asset)
    assert defects(report, "sync-byte")[0].location.startswith(f"{PREFIX}index_3_00104.ts")
    assert "decode" in checks(report)


def test_timestamps_going_backwards_inside_a_segment():
    asset = good_asset()
    asset.put("index_1_00100.ts", video_segments()[1] + video_segments()[0], TS)
    (defect,) = defects(verify(asset), "timestamps")
    assert defect.location.startswith(f"{PREFIX}index_1_00100.ts")
    assert "DTS 0.000 s follows 3.900 s" in defect.message


def test_truncated_segment_is_caught_by_its_decoded_duration():
    asset = good_asset()
    asset.put("index_2_00104.ts", video_segments()[4][: 188 * 20], TS)
    report = verify(asset)
    (defect,) = defects(report, "segment-duration")
    assert defect.location.startswith(f"{PREFIX}index_2_00104.ts") and "decodes to 0.500 s" in defect.message


@pytest.mark.parametrize("content_type", ["binary/octet-stream", None, "video/mp4"])
def test_wrong_or_missing_content_type(content_type):
    asset = good_asset()
    body, _ = asset.objects[PREFIX + "index_4_00100.ts"]
    asset.put("index_4_00100.ts", body, content_type)
    (defect,) = defects(verify(asset), "content-type")
    assert defect.location.startswith(f"{PREFIX}index_4_00100.ts")
    assert str(content_type or "(none)") in defect.message and "video/mp2t" in defect.message


def test_content_type_with_parameters_and_other_case_is_accepted():
    asset = good_asset()
    body, _ = asset.objects[PREFIX + "index_4_00100.ts"]
    asset.put("index_4_00100.ts", body, "VIDEO/mp2t; charset=binary")
    assert verify(asset).ok


# --------------------------------------------------------------------------- hostile playlists


def test_playlist_too_large_is_not_fetched():
    asset = good_asset()
    asset.put_text("index_1.m3u8", asset.text("index_1.m3u8") + "# padding\n" * 200_000)
    store = asset.store()
    report = verify(store, max_playlist_bytes=1024 * 1024)
    (defect,) = defects(report, "playlist-too-large")
    assert defect.location == f"{PREFIX}index_1.m3u8"
    assert f"{PREFIX}index_1.m3u8" not in store.fetched


def test_playlist_larger_than_listed_is_cut_by_max_bytes():
    class LyingStore(MemoryStore):
        def list_objects(self, prefix):
            return [StoredObject(o.key, min(o.size, 10)) for o in super().list_objects(prefix)]

    store = LyingStore(good_asset().objects)
    report = verify(store, max_playlist_bytes=300, decode_segments=False)
    assert "playlist-too-large" in checks(report)


def test_non_utf8_playlist():
    asset = good_asset()
    asset.put("index_2.m3u8", b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:2.0,\nindex_2_\xff\xfe.ts\n", MPEGURL)
    (defect,) = defects(verify(asset), "not-utf8")
    assert defect.location == f"{PREFIX}index_2.m3u8" and "offset" in defect.message


def test_bom_and_missing_extm3u():
    asset = good_asset()
    asset.put("index_2.m3u8", b"\xef\xbb\xbf" + asset.objects[PREFIX + "index_2.m3u8"][0], MPEGURL)
    asset.put_text("index_3.m3u8", "<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>")
    report = verify(asset)
    assert defects(report, "bom")[0].location == f"{PREFIX}index_2.m3u8"
    assert defects(report, "extm3u")[0].location == f"{PREFIX}index_3.m3u8"


@pytest.mark.parametrize(
    ("bad_line", "near"),
    [
        ("#EXT-X-TARGETDURATION:two", "#EXT-X-TARGETDURATION:two"),
        ("#EXT-X-PROGRAM-DATE-TIME:yesterday", "#EXT-X-PROGRAM-DATE-TIME:yesterday"),
        ("#EXTINF:fast,", "#EXTINF:fast,"),
        ("#EXT-X-KEY:METHOD", "#EXT-X-KEY:METHOD"),
    ],
)
def test_m3u8_garbage_becomes_a_parse_error_defect(bad_line, near):
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXT-X-PLAYLIST-TYPE:VOD\n", f"#EXT-X-PLAYLIST-TYPE:VOD\n{bad_line}\n")
    (defect,) = defects(verify(asset), "parse-error")
    assert defect.location == f"{PREFIX}index_1.m3u8"
    assert "near line 7" in defect.message and near in defect.message


def test_negative_and_missing_extinf():
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXTINF:2.000,\nindex_1_00101.ts", "#EXTINF:-2,\nindex_1_00101.ts")
    asset.edit("index_1.m3u8", "#EXTINF:2.000,\nindex_1_00102.ts", "#EXTINF:2.000\nindex_1_00102.ts")
    report = verify(asset, decode_segments=False)
    found = defects(report, "extinf")
    assert [d.location for d in found] == [
        f"{PREFIX}index_1.m3u8",  # the EXTINF without its comma (line 14)
        f"{PREFIX}index_1.m3u8 segment #1 (index_1_00101.ts)",
    ]
    assert "line(s) 14" in found[0].message


def test_nan_extinf_with_pdt_is_a_parse_error_at_its_line():
    asset = good_asset()
    asset.edit("index_1.m3u8", "#EXTINF:2.000,\nindex_1_00101.ts", "#EXTINF:nan,\nindex_1_00101.ts")
    report = verify(asset, decode_segments=False)
    (defect,) = defects(report, "parse-error")
    assert "near line 11 ('#EXTINF:nan,')" in defect.message
    assert "unreferenced-object" not in checks(report)


def test_missing_parent_manifest():
    asset = good_asset()
    asset.delete("index.m3u8")
    store = asset.store()
    report = verify(store)
    assert checks(report) == {"missing-manifest"} and store.fetched == []


def test_parent_that_is_a_media_playlist():
    asset = good_asset()
    asset.put_text("index.m3u8", asset.text("index_1.m3u8"))
    report = verify(asset)
    assert defects(report, "not-multivariant")[0].location == MANIFEST
    # it is still checked as the only rendition
    assert [(r.playlist_key, r.segments) for r in report.renditions] == [(MANIFEST, 5)]


def test_store_failures_propagate():
    class DeniedStore(MemoryStore):
        def get_object(self, key, max_bytes=None):
            raise PermissionError("AccessDenied")

    with pytest.raises(PermissionError):
        verify(DeniedStore(good_asset().objects))


def test_window_must_be_ordered():
    with pytest.raises(ValueError):
        verify(good_asset(), window_start=WINDOW_END, window_end=WINDOW_START)


def test_large_asset_is_checked_from_one_listing():
    """6 hours of 2 s segments in two renditions: 21,600 segments, four store calls."""
    count = 6 * 3600 // 2
    asset = Asset()
    asset.put_text("index.m3u8", PARENT.split("#EXT-X-STREAM-INF:BANDWIDTH=1200000")[0])
    for stem in ("index_1", "index_4"):
        asset.put_text(f"{stem}.m3u8", media_playlist(stem, durations=[2.0] * count))
        for i in range(count):
            asset.put(f"{stem}_{100 + i:05d}.ts", b"\x47", TS)
    store = asset.store()
    report = verify(store, window_end=T0.add(seconds=2 * count - 1), decode_segments=False)
    assert report.ok, report.summary()
    assert report.segment_count == 2 * count and report.requests == 4 and report.objects_listed == 2 * count + 3


# --------------------------------------------------------------------------- property: never crash


_TAGS = [
    "#EXTINF:",
    "#EXT-X-TARGETDURATION:",
    "#EXT-X-VERSION:",
    "#EXT-X-MEDIA-SEQUENCE:",
    "#EXT-X-DISCONTINUITY-SEQUENCE:",
    "#EXT-X-PROGRAM-DATE-TIME:",
    "#EXT-X-DISCONTINUITY",
    "#EXT-X-ENDLIST",
    "#EXT-X-PLAYLIST-TYPE:",
    "#EXT-X-KEY:",
    "#EXT-X-MAP:",
    "#EXT-X-BYTERANGE:",
    "#EXT-X-STREAM-INF:",
    "#EXT-X-I-FRAME-STREAM-INF:",
    "#EXT-X-MEDIA:",
    "#EXT-X-GAP",
    "#EXT-X-BITRATE:",
    "#EXT-X-DATERANGE:",
    "#EXT-X-PART:",
    "#EXT-X-SESSION-DATA:",
    "#EXT-X-SESSION-KEY:",
    "#EXT-X-CUE-OUT:",
    "#EXT-X-CUE-OUT-CONT:",
    "#EXT-X-START:",
    "#EXT-X-SKIP:",
    "#EXT-X-SERVER-CONTROL:",
    "#EXT-X-PRELOAD-HINT:",
    "#EXT-X-RENDITION-REPORT:",
    "#EXT-X-TILES:",
    "#EXT-X-IMAGE-STREAM-INF:",
]
_VALUES = [
    "2",
    "2.5,",
    "2.000,",
    "nan,",
    "inf,",
    "-1,",
    "1e308,",
    "VOD",
    "EVENT",
    "2026-11-26T19:00:00.000Z",
    "2026-11-26T19:00:00",
    "0001-01-01T00:00:00+00:00",
    "BANDWIDTH=1",
    "BANDWIDTH=nan",
    'BANDWIDTH=1,RESOLUTION=axb,CODECS="x"',
    'BANDWIDTH=1,AUDIO="aac",URI="index_1.m3u8"',
    'METHOD=AES-128,URI="k",IV=0x1',
    "METHOD=NONE",
    'URI="init.mp4"',
    'URI="../../x.mp4"',
    'TYPE=AUDIO,GROUP-ID="aac",URI="index_4.m3u8"',
    'TYPE=SUBTITLES,GROUP-ID="s",URI="http://h/s.m3u8"',
    "100@0",
    "5@",
    "abc",
    "",
    '"',
    "=",
]
_URIS = [
    "index_1_00100.ts",
    "index_1.m3u8",
    "index.m3u8",
    "../x.ts",
    "http://h/x.ts",
    "a?b=c",
    "%2e%2e/x",
    "%zz",
    "http://[::1",
    "x.m4s",
    "x.vtt",
    ".",
    "..",
]
_playlist_line = st.one_of(
    st.builds(lambda t, v: t + v, st.sampled_from(_TAGS), st.one_of(st.sampled_from(_VALUES), st.text(max_size=12))),
    st.sampled_from(_URIS),
    st.text(max_size=20),
)
_playlist_like = st.builds(
    lambda head, lines, newline: (("#EXTM3U\n" if head else "") + "\n".join(lines) + ("\n" if newline else "")).encode(
        "utf-8", "surrogatepass"
    ),
    st.booleans(),
    st.lists(_playlist_line, max_size=40),
    st.booleans(),
)
_hostile = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")),
    _playlist_like,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_hostile, target=st.sampled_from(["index.m3u8", "index_1.m3u8", "index_4.m3u8"]))
def test_hostile_playlists_never_crash(payload, target):
    asset = good_asset()
    asset.put(target, payload, MPEGURL)
    store = asset.store()
    report = verify(store, decode_segments=False)
    assert report.defects, report.summary()
    assert "verifier-error" not in checks(report), report.summary()
    assert_only_under_prefix(store)
    json.dumps(report.to_dict())
    assert report.summary()


_mutation = st.tuples(st.sampled_from(["delete", "insert", "replace", "duplicate"]), st.integers(0, 60), _playlist_line)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["index.m3u8", "index_1.m3u8", "index_4.m3u8"]), st.lists(_mutation, max_size=5)),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_playlists_never_crash(edits):
    asset = good_asset()
    for name, mutations in edits:
        lines = asset.text(name).splitlines()
        for op, position, line in mutations:
            i = position % (len(lines) + 1)
            if op == "insert":
                lines.insert(i, line)
            elif i < len(lines):
                if op == "delete":
                    del lines[i]
                elif op == "replace":
                    lines[i] = line
                else:
                    lines.insert(i, lines[i])
        asset.put(name, ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), MPEGURL)
    store = asset.store()
    report = verify(store, decode_segments=False)
    assert "verifier-error" not in checks(report), report.summary()
    assert_only_under_prefix(store)
    json.dumps(report.to_dict())


# --------------------------------------------------------------------------- the S3 adapter (moto)


def test_s3_asset_store_pages_the_listing_and_reads_ranges():
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="vod-assets")
        asset = good_asset()
        for key, (body, content_type) in asset.objects.items():
            extra = {"ContentType": content_type} if content_type else {}
            client.put_object(Bucket="vod-assets", Key=key, Body=body, **extra)
        strays = 1000
        for i in range(strays):
            client.put_object(Bucket="vod-assets", Key=f"{PREFIX}old/{i:04d}.ts", Body=b"\x47")
        client.put_object(Bucket="vod-assets", Key="thursdaynight/other/index.m3u8", Body=b"#EXTM3U\n")

        store = S3AssetStore(client, "vod-assets")
        report = verify_vod_asset(store, MANIFEST, WINDOW_START, WINDOW_END)

        total = len(asset.objects) + strays
        assert report.objects_listed == total
        assert store.list_requests == math.ceil(total / 1000) == 2
        assert store.get_requests == report.requests - 1 == 13
        assert report.ok, report.summary()
        (stray,) = defects(report, "unreferenced-object")
        assert stray.severity == "warning" and "1000 object(s)" in stray.message

        first = store.get_object(MANIFEST, max_bytes=7)
        assert first.body == b"#EXTM3U" and first.content_type == MPEGURL
        client.put_object(Bucket="vod-assets", Key=f"{PREFIX}empty.ts", Body=b"")
        assert store.get_object(f"{PREFIX}empty.ts", max_bytes=100).body == b""
        with pytest.raises(KeyError):
            store.get_object(f"{PREFIX}nope.ts")
        small = S3AssetStore(client, "vod-assets", page_size=10)
        assert len(list(small.list_objects(PREFIX))) == total + 1 and small.list_requests == math.ceil((total + 1) / 10)
