"""The MediaConvert job of a harvested output: frame-accurate clipping, settings from templates."""

from __future__ import annotations

from fractions import Fraction

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_to_vod.transcode_jobs import (
    DEFAULT_TEMPLATE,
    TemplateError,
    clip_frames,
    destination_uri,
    expected_mp4_keys,
    job_settings,
    load_template_file,
    template_problems,
    timecode,
)

T0 = pendulum.datetime(2026, 11, 26, 20, 0, 0, tz="UTC")  # the asset's first PDT: frame 0
RATE = Fraction(25)


def test_the_clip_starts_on_the_first_frame_at_or_after_the_start_and_ends_before_the_end():
    # 20:17:00.010 is 4 ms past frame 25 500 (40 ms frames): the first frame at or after it is 25 501.
    clip = clip_frames(T0, T0.add(minutes=17, microseconds=10_000), T0.add(minutes=24), RATE)
    assert (clip.first, clip.last, clip.frames) == (25_501, 35_999, 10_499)
    assert (clip.start_timecode, clip.end_timecode) == ("00:17:00:01", "00:23:59:24")
    # A start on a frame boundary is that frame; an end on a boundary excludes it.
    exact = clip_frames(T0, T0.add(seconds=2), T0.add(seconds=4), RATE)
    assert (exact.first, exact.last, exact.duration_seconds) == (50, 99, 2)


def test_29_97_counts_frames_at_the_true_rate_and_timecodes_at_the_nominal_one():
    rate = Fraction(30000, 1001)
    clip = clip_frames(T0, T0.add(seconds=10), T0.add(seconds=20), rate)
    assert (clip.first, clip.last) == (300, 599)  # ceil(10 * 29.97) = 300; 20 s is frame 599.4
    assert (clip.start_timecode, clip.end_timecode) == ("00:00:10:00", "00:00:19:29")


@given(
    start_us=st.integers(0, 3_600_000_000),
    length_us=st.integers(40_000, 3_600_000_000),
    rate=st.sampled_from([Fraction(25), Fraction(50), Fraction(30000, 1001), Fraction(24)]),
)
def test_every_clip_frame_lies_inside_the_span_and_no_frame_inside_is_left_out(start_us, length_us, rate):
    start, end = T0.add(microseconds=start_us), T0.add(microseconds=start_us + length_us)
    try:
        clip = clip_frames(T0, start, end, rate)
    except ValueError:
        assert length_us * rate < 1_000_000 * 2  # only a span shorter than two frames may hold none
        return

    def at(frame: int) -> Fraction:  # microseconds since T0
        return Fraction(frame * 1_000_000) / rate

    assert start_us <= at(clip.first) < start_us + 1_000_000 / rate
    assert at(clip.last) < start_us + length_us <= at(clip.last + 1)


def test_a_span_the_asset_does_not_reach_is_refused():
    with pytest.raises(ValueError, match="after the requested start"):
        clip_frames(T0, T0.subtract(seconds=1), T0.add(seconds=5), RATE)
    with pytest.raises(ValueError, match="no frame"):
        clip_frames(T0, T0.add(microseconds=1), T0.add(microseconds=30_000), RATE)


def test_timecodes_roll_over_hours():
    assert timecode(25 * 3600 + 25 * 61 + 3, 25) == "01:01:01:03"


def test_the_default_template_is_a_broadcast_proxy_and_fits_every_product():
    settings = load_template_file(DEFAULT_TEMPLATE)
    assert template_problems(DEFAULT_TEMPLATE, settings, ["mp4", "thumbnails"]) == []
    (group,) = settings["OutputGroups"]
    mp4 = next(o for o in group["Outputs"] if o["ContainerSettings"]["Container"] == "MP4")
    assert "Width" not in mp4["VideoDescription"]  # the source's top rendition's size
    aac = mp4["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]
    assert (aac["SampleRate"], aac["CodingMode"]) == (48_000, "CODING_MODE_2_0")


def test_job_settings_keep_the_asked_outputs_and_fill_in_input_clip_and_destination():
    template = load_template_file(DEFAULT_TEMPLATE)
    clip = clip_frames(T0, T0.add(seconds=1), T0.add(seconds=9), RATE)
    destination = destination_uri("vod-archive", "game-1/clips/opening/index.m3u8")
    assert destination == "s3://vod-archive/mediaconvert/game-1/clips/opening/"
    settings = job_settings(
        template,
        input_uri="s3://vod-archive/game-1/clips/opening/index.m3u8",
        destination=destination,
        products=["mp4"],
        clip=clip,
        thumbnail_interval_seconds=5,
        audio_group="aac",
    )
    (source,) = settings["Inputs"]
    assert source["TimecodeSource"] == "ZEROBASED"
    assert source["InputClippings"] == [{"StartTimecode": "00:00:01:00", "EndTimecode": "00:00:08:24"}]
    assert source["AudioSelectors"]["Audio Selector 1"]["HlsRenditionGroupSettings"] == {"RenditionGroupId": "aac"}
    (group,) = settings["OutputGroups"]
    assert [o["ContainerSettings"]["Container"] for o in group["Outputs"]] == ["MP4"]
    assert group["OutputGroupSettings"]["FileGroupSettings"]["Destination"] == destination
    assert expected_mp4_keys(settings, source["FileInput"]) == [f"{destination}index_proxy.mp4"]
    assert "Inputs" not in template  # the template is not changed
    thumbs = job_settings(
        template, input_uri=source["FileInput"], destination=destination, products=["thumbnails"], clip=clip,
        thumbnail_interval_seconds=5,
    )  # fmt: skip
    (output,) = thumbs["OutputGroups"][0]["Outputs"]
    capture = output["VideoDescription"]["CodecSettings"]["FrameCaptureSettings"]
    assert (capture["FramerateNumerator"], capture["FramerateDenominator"]) == (1, 5)
    assert "HlsRenditionGroupSettings" not in thumbs["Inputs"][0]["AudioSelectors"]["Audio Selector 1"]


def test_a_template_without_the_asked_output_or_with_foreign_audio_is_refused(tmp_path):
    settings = load_template_file(DEFAULT_TEMPLATE)
    only_mp4 = {"OutputGroups": [dict(settings["OutputGroups"][0], Outputs=settings["OutputGroups"][0]["Outputs"][:1])]}
    assert template_problems("t.json", only_mp4, ["thumbnails"]) == [
        "template 't.json' has no RAW FRAME_CAPTURE output, which 'thumbnails' needs"
    ]
    only_mp4["OutputGroups"][0]["Outputs"][0]["AudioDescriptions"][0]["AudioSourceName"] = "Audio Selector 2"
    assert any("Audio Selector 2" in p for p in template_problems("t.json", only_mp4, ["mp4"]))
    with pytest.raises(TemplateError, match="does not exist"):
        load_template_file("missing.json")
    with pytest.raises(TemplateError, match="ending in .json"):
        load_template_file("../etc/passwd")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(TemplateError, match="not valid JSON"):
        load_template_file("bad.json", tmp_path)
