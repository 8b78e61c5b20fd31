"""TS -> CMAF repackaging: one init per rendition, fragments at the decode time asked for, every frame kept."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess

import av
import pytest

from devstack import cmaf
from devstack.encoder.segments import DEFAULT_RENDITIONS, SegmentFactory

EPOCH_MS = 1_800_000_000_000  # a wall-clock start, as the origin passes it


@pytest.fixture(scope="module")
def factory() -> SegmentFactory:
    return SegmentFactory()


def boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    out, i = [], 0
    while i < len(data):
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        out.append((kind, data[i + 8 : i + size]))
        i += size
    return out


@pytest.mark.parametrize("rendition", DEFAULT_RENDITIONS, ids=lambda r: r.name)
def test_init_plus_fragments_decode_every_frame_at_the_given_times(factory, rendition):
    segments = [factory.segment(rendition, i) for i in range(3)]
    track = cmaf.describe(segments[0])
    inits = {cmaf.init_segment(s) for s in segments}
    assert len(inits) == 1  # fetched once per rendition, so identical for every segment
    step = 2 * track.timescale
    start = EPOCH_MS * track.timescale // 1000
    fragments = [cmaf.media_segment(s, n + 7, start + n * step) for n, s in enumerate(segments)]

    with av.open(io.BytesIO(inits.pop() + b"".join(fragments)), format="mp4") as container:
        stream = container.streams[0]
        assert stream.type == rendition.kind
        frames = list(container.decode(stream))
    with av.open(io.BytesIO(b"".join(segments)), format="mpegts") as source:
        expected = sum(1 for _ in source.decode(source.streams[0]))
    assert len(frames) == expected
    assert frames[0].pts == start
    if rendition.kind == "video":
        assert track.codecs.startswith("avc1.") and (track.width, track.height) == (rendition.width, rendition.height)
        assert [f.pts for f in frames] == [start + i * 3600 for i in range(len(frames))]  # 25 fps, no gaps
    else:
        assert (track.codecs, track.sample_rate, track.channels) == ("mp4a.40.2", 48000, 2)

    kinds = [kind for kind, _ in boxes(fragments[1])]
    assert kinds == [b"styp", b"moof", b"mdat"]
    moof = dict(boxes(fragments[1]))[b"moof"]
    (mfhd, traf) = [body for _, body in boxes(moof)]
    assert struct.unpack(">I", mfhd[4:8]) == (8,)  # the sequence number given
    tfdt = dict(boxes(traf))[b"tfdt"]
    assert tfdt[0] == 1 and struct.unpack(">Q", tfdt[4:12]) == (start + step,)


def test_a_segment_without_media_is_refused():
    with pytest.raises(ValueError, match="MPEG-TS"):
        cmaf.describe(b"\x47" + bytes(187))


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="Debian's ffprobe judges the MP4 independently")
def test_ffprobe_reads_init_and_fragments_as_mp4(factory, tmp_path):
    video = DEFAULT_RENDITIONS[0]
    segments = [factory.segment(video, i) for i in range(2)]
    path = tmp_path / "rendition.mp4"
    path.write_bytes(
        cmaf.init_segment(segments[0])
        + b"".join(cmaf.media_segment(s, n + 1, n * 180_000) for n, s in enumerate(segments))
    )
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-count_frames",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stderr == ""
    assert result.stdout.strip() == "h264,100"
