"""The first bytes of a segment, read as MPEG-TS or fragmented MP4, with real media."""

from __future__ import annotations

import fractions
import io

import av
import pytest

from live_to_vod.verification.probe import PROBE_BYTES, parse_init_segment, probe_segment, sps_picture_size
from tests.support.hls_assets import audio_segments, fmp4_media
from tests.support.ladder import segment


def test_a_ladder_segment_gives_its_stream_picture_size_and_first_time():
    data = segment("video_270p", 3)
    probe = probe_segment(data[:PROBE_BYTES], "ts", object_size=len(data))
    assert probe.problem is None
    assert probe.describe() == "video 256 (H.264 480x270)"
    assert probe.first_time == pytest.approx(10 + 3 * 2)  # the encoder's offset, then 2 s a segment


def test_an_audio_segment_gives_its_aac_format():
    data = audio_segments()[1]
    probe = probe_segment(data, "ts", object_size=len(data))
    assert probe.describe() == "audio 256 (AAC (ADTS) AAC-LC 48000 Hz 1 ch)"


@pytest.mark.parametrize("size", [(100, 58), (1920, 1080), (64, 48)])
def test_sps_picture_size_applies_the_cropping(size):
    """1080 lines are coded as 1088 and cropped: the SPS says so."""
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="h264") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.options = {"preset": "ultrafast", "profile": "high"}
        frame = av.VideoFrame(size[0], size[1], "yuv420p")
        frame.pts, frame.time_base = 0, fractions.Fraction(1, 25)
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    assert sps_picture_size(buf.getvalue()) == size


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "it is empty"),
        (b"<html>AccessDenied</html>" * 20, "does not start with the MPEG-TS sync byte 0x47 (first byte 0x3c)"),
        (b"\x47" + bytes(187) + b"\x00" * 188, "sync lost at byte 188 (packet 1 starts with 0x00"),
        (b"\x47\x1f\xff\x10" + bytes(184), "no Program Association Table (PAT) in its first 1 TS packets"),
    ],
    ids=["empty", "an error page", "garbage after one packet", "null packets only"],
)
def test_what_is_not_mpeg_ts_says_why(data, words):
    probe = probe_segment(data, "ts", object_size=len(data))
    assert words in (probe.problem or ""), probe.problem


def test_an_mp4_where_ts_is_expected_is_named():
    init, fragments = fmp4_media()
    probe = probe_segment(fragments[0], "ts", object_size=len(fragments[0]))
    assert probe.problem_kind == "sync" and "it looks like MP4" in (probe.problem or "")


def test_fmp4_fragments_give_their_track_and_decode_time():
    init, fragments = fmp4_media()
    info = parse_init_segment(init)
    assert info.tracks == {1: ("video", "64x48", 10240)}
    times = [probe_segment(f, "fmp4", object_size=len(f), init=info).first_time for f in fragments]
    assert times == [0.0, 2.0, 4.0, 6.0, 8.0]


@pytest.mark.parametrize(
    ("cut", "words"),
    [
        (lambda f: (f[:-10], len(f) - 10), "past the end of the"),
        (lambda f: (f + b"\0\0\0", len(f) + 3), "3 byte(s) after its last box are no box (padded)"),
        (lambda f: (b"junk" * 10 + f, len(f) + 40), "does not start with an fMP4 segment box"),
    ],
    ids=["truncated", "padded", "garbage first"],
)
def test_broken_fmp4_fragments_say_why(cut, words):
    init, fragments = fmp4_media()
    data, size = cut(fragments[1])
    probe = probe_segment(data, "fmp4", object_size=size, init=parse_init_segment(init))
    assert probe.problem_kind == "boxes" and words in (probe.problem or ""), probe.problem


def test_a_fragment_of_a_track_the_init_segment_lacks_is_named():
    init, fragments = fmp4_media()
    info = parse_init_segment(init)
    other = type(info)({2: info.tracks[1]})
    probe = probe_segment(fragments[0], "fmp4", object_size=len(fragments[0]), init=other)
    assert "name track 1, which the init segment does not have" in (probe.problem or "")
