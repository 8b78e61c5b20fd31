"""TS -> CMAF repackaging: one init per rendition, fragments at the decode time asked for, every frame kept."""

from __future__ import annotations

import io
import json
import struct
import subprocess

import av
import pytest

from devstack import cmaf
from devstack.encoder.pattern import FPS, video_frame
from devstack.encoder.segments import DEFAULT_RENDITIONS, SegmentFactory
from tests.support.media_tools import media_tool

EPOCH_MS = 1_800_000_000_000  # a wall-clock start, as the origin passes it: tfdt beyond 32 bits
FIRST = 5  # segments FIRST.. of the encoder's stream: any run of segments, not only the first
COUNT = 3
FRAME = {"video": 90_000 // FPS, "audio": 1024}  # one frame in the track's timescale


@pytest.fixture(scope="module")
def factory() -> SegmentFactory:
    return SegmentFactory()


def segments_of(factory: SegmentFactory, rendition, count: int = COUNT) -> list[bytes]:
    return [factory.segment(rendition, FIRST + i) for i in range(count)]


def boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    out, i = [], 0
    while i < len(data):
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        assert size >= 8 and i + size <= len(data), f"box {kind!r} overruns its parent"
        out.append((kind, data[i + 8 : i + size]))
        i += size
    return out


def decoded_pts(data: bytes) -> list[int]:
    """Presentation timestamps of every decoded frame (track timescale), in presentation order."""
    with av.open(io.BytesIO(data), format="mp4") as container:
        return sorted(frame.pts for frame in container.decode(container.streams[0]))


def ts_frames(ts: bytes) -> int:
    with av.open(io.BytesIO(ts), format="mpegts") as container:
        return sum(1 for _ in container.decode(container.streams[0]))


def trun_samples(fragment: bytes) -> tuple[int, int, list[tuple[int, int, int, int]], int]:
    """(tfdt, trun data offset, [(duration, size, flags, composition offset)], where the samples begin relative to
    the moof) of a fragment."""
    moof = dict(boxes(fragment))[b"moof"]
    traf = dict(boxes(moof))[b"traf"]
    tfdt = dict(boxes(traf))[b"tfdt"]
    trun = dict(boxes(traf))[b"trun"]
    flags = int.from_bytes(trun[1:4], "big")
    count, offset = struct.unpack(">Ii", trun[4:12])
    entry = ">IIIi" if flags & 0x800 else ">III"
    width = struct.calcsize(entry)
    rows = [struct.unpack(entry, trun[12 + n * width : 12 + (n + 1) * width]) for n in range(count)]
    samples = [(*row, 0) if len(row) == 3 else row for row in rows]
    return struct.unpack(">Q", tfdt[4:12])[0], offset, samples, 8 + len(moof) + 8  # moof, then mdat's header


@pytest.mark.parametrize("rendition", DEFAULT_RENDITIONS, ids=lambda r: r.name)
def test_init_is_the_same_for_every_segment_and_describes_the_track(factory, rendition):
    segments = segments_of(factory, rendition)
    assert len({cmaf.init_segment(s) for s in segments}) == 1  # fetched once, used with every fragment
    assert len({cmaf.describe(s) for s in segments}) == 1
    track = cmaf.describe(segments[0])
    assert track.kind == rendition.kind
    assert track.codecs == factory.codecs(rendition)
    if rendition.kind == "video":
        assert (track.timescale, track.width, track.height) == (90_000, rendition.width, rendition.height)
    else:
        assert (track.timescale, track.sample_rate, track.channels) == (48_000, 48_000, 2)
    assert [kind for kind, _ in boxes(cmaf.init_segment(segments[0]))] == [b"ftyp", b"moov"]


@pytest.mark.parametrize("rendition", DEFAULT_RENDITIONS, ids=lambda r: r.name)
def test_init_plus_fragments_decode_every_frame_at_the_given_times(factory, rendition):
    segments = segments_of(factory, rendition)
    track = cmaf.describe(segments[0])
    init = cmaf.init_segment(segments[0])
    spans = [cmaf.span(s) for s in segments]
    if rendition.kind == "video":  # video segments are exactly 2 s: wall-clock decode times are seamless
        assert [s.duration for s in spans] == [2 * track.timescale] * COUNT
    # Decode times that follow each other exactly (a wall-clock start, then the segments' own durations).
    starts = [EPOCH_MS * track.timescale // 1000]
    for s in spans[:-1]:
        starts.append(starts[-1] + s.duration)
    fragments = [cmaf.media_segment(s, FIRST + n, starts[n]) for n, s in enumerate(segments)]

    step = FRAME[rendition.kind]
    for segment, fragment, start, s in zip(segments, fragments, starts, spans, strict=True):
        alone = decoded_pts(init + fragment)  # init + any one fragment plays
        assert len(alone) == ts_frames(segment) == s.duration // step
        assert alone == [start + i * step for i in range(len(alone))]  # from its decode time, no gaps
    together = decoded_pts(init + b"".join(fragments))
    assert len(together) == sum(ts_frames(s) for s in segments)
    assert together == [starts[0] + i * step for i in range(len(together))]  # continuous across boundaries


@pytest.mark.parametrize("rendition", [DEFAULT_RENDITIONS[0], DEFAULT_RENDITIONS[-1]], ids=lambda r: r.name)
def test_fragment_boxes_carry_the_given_numbers(factory, rendition):
    segment = segments_of(factory, rendition, 1)[0]
    decode_time = EPOCH_MS * cmaf.describe(segment).timescale // 1000
    fragment = cmaf.media_segment(segment, 4242, decode_time)

    assert [kind for kind, _ in boxes(fragment)] == [b"styp", b"moof", b"mdat"]
    moof = dict(boxes(fragment))[b"moof"]
    assert [kind for kind, _ in boxes(moof)] == [b"mfhd", b"traf"]
    assert struct.unpack(">I", dict(boxes(moof))[b"mfhd"][4:8]) == (4242,)
    traf = dict(boxes(moof))[b"traf"]
    assert [kind for kind, _ in boxes(traf)] == [b"tfhd", b"tfdt", b"trun"]
    tfhd = dict(boxes(traf))[b"tfhd"]
    assert struct.unpack(">II", tfhd) == (0x020000, 1)  # default-base-is-moof only; track 1
    assert dict(boxes(traf))[b"tfdt"][0] == 1  # version 1: 64-bit decode time

    tfdt, offset, samples, payload = trun_samples(fragment)
    assert tfdt == decode_time
    mdat = dict(boxes(fragment))[b"mdat"]
    assert offset == payload  # default-base-is-moof: the data offset counts from the moof
    assert sum(size for _, size, _, _ in samples) == len(mdat)
    assert len(samples) == ts_frames(segment)
    sync = [not flags & 0x10000 for _, _, flags, _ in samples]
    if rendition.kind == "video":
        assert sync == [True] + [False] * (len(samples) - 1)  # one IDR, first
        assert mdat[:4] != b"\x00\x00\x00\x01"  # AVCC lengths, not Annex B start codes
    else:
        assert all(sync) and mdat[:2] != b"\xff\xf1"  # raw AAC, ADTS headers stripped


def test_b_frames_present_from_the_decode_time():
    """Frames reordered by B-frames: signed composition offsets put the earliest at ``tfdt``, and all decode."""
    out = io.BytesIO()
    with av.open(out, "w", format="mpegts") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"x264-params": "keyint=50:bframes=2"})
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(50):
            frame = video_frame(160, 96, i, 50, 50)
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    ts = out.getvalue()

    fragment = cmaf.media_segment(ts, 1, 900_000)
    tfdt, _, samples, _ = trun_samples(fragment)
    times, dts = [], tfdt
    for duration, _, _, cto in samples:
        times.append(dts + cto)
        dts += duration
    assert min(cto for *_, cto in samples) < 0  # there is reordering to account for
    assert sorted(times) == [900_000 + i * 3600 for i in range(50)]
    # FFmpeg's mp4 demuxer shifts presentation by the largest negative offset (its pts >= dts rule), so only
    # the spacing is checked through it.
    pts = decoded_pts(cmaf.init_segment(ts) + fragment)
    assert pts == [pts[0] + i * 3600 for i in range(50)]


def test_a_segment_without_media_is_refused():
    with pytest.raises(ValueError, match="MPEG-TS"):
        cmaf.describe(b"\x47" + bytes(187))


@pytest.fixture
def ffprobe() -> str:
    return media_tool("ffprobe")


@pytest.mark.ffmpeg
@pytest.mark.parametrize("rendition", [DEFAULT_RENDITIONS[0], DEFAULT_RENDITIONS[-1]], ids=lambda r: r.name)
def test_ffprobe_reads_init_and_fragments_as_mp4(ffprobe, factory, rendition, tmp_path):
    """An independent reader (another FFmpeg version than PyAV's) finds no fault and the right length."""
    segments = segments_of(factory, rendition, 2)
    track = cmaf.describe(segments[0])
    durations = [cmaf.span(s).duration for s in segments]
    path = tmp_path / "rendition.mp4"
    path.write_bytes(
        cmaf.init_segment(segments[0])
        + cmaf.media_segment(segments[0], 1, 0)  # from 0: ffprobe's duration counts from the timeline's zero
        + cmaf.media_segment(segments[1], 2, durations[0])
    )
    result = subprocess.run(
        [ffprobe, "-v", "error", "-count_frames", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == ""
    probe = json.loads(result.stdout)
    (stream,) = probe["streams"]
    assert probe["format"]["format_name"].startswith("mov,mp4")
    assert stream["codec_name"] == ("h264" if rendition.kind == "video" else "aac")
    assert int(stream["nb_read_frames"]) == sum(ts_frames(s) for s in segments)
    assert float(stream["duration"]) == pytest.approx(sum(durations) / track.timescale, abs=1e-3)
    if rendition.kind == "video":
        assert (stream["width"], stream["height"]) == (rendition.width, rendition.height)
    else:
        assert (stream["sample_rate"], stream["channels"]) == ("48000", 2)
