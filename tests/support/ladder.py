"""A harvested asset as MediaPackage writes one: a real ladder, and the damages verify must see.

``ladder_asset()`` is three H.264 video renditions of other sizes and bitrates (320x180, 480x270,
640x360) and an AAC audio rendition, ``SEGMENTS`` x 2 s MPEG-TS segments with continuous
timestamps, encoded by the local stack's encoder (``devstack.encoder.SegmentFactory``, the one
the stack's harvester writes), with correct content types, PDTs and ENDLIST. Its options add the
shapes a real asset may have (I-frame playlists, WebVTT subtitles, closed captions, SCTE-35 ad
markers, a discontinuity). ``damage()`` applies one damage to one segment.
"""

from __future__ import annotations

import functools
import os
import random

from devstack.encoder.segments import DEFAULT_RENDITIONS, SegmentFactory
from tests.support.hls_assets import MANIFEST, PREFIX, T0, Asset, iso_z, media_playlist

__all__ = [
    "DAMAGES",
    "MANIFEST",
    "POSITIONS",
    "RENDITIONS",
    "SEGMENTS",
    "WINDOW_END",
    "WINDOW_START",
    "damage",
    "ladder_asset",
    "segment_name",
]

SEGMENTS = 8
FIRST_SEQ = 100
TS = "video/MP2T"
VTT = "text/vtt"
RENDITIONS = tuple(r.name for r in DEFAULT_RENDITIONS)  # video_180p, video_270p, video_360p, audio_aac
VIDEO = tuple(r for r in DEFAULT_RENDITIONS if r.kind == "video")
WINDOW_START = T0.add(seconds=1)
WINDOW_END = T0.add(seconds=2 * SEGMENTS - 1)
#: The damages issue 12 names: cut to its first 1,000 bytes, another rendition's segment of the
#: same number, 200 KB of random bytes after a sync byte.
DAMAGES = ("truncated", "foreign", "garbage")
POSITIONS = {"first": 0, "middle": SEGMENTS // 2, "last": SEGMENTS - 1}


@functools.cache
def factory() -> SegmentFactory:
    return SegmentFactory()


@functools.cache
def segment(rendition: str, index: int) -> bytes:
    return factory().segment(rendition, index)


def segment_name(rendition: str, position: int) -> str:
    return f"{rendition}_{FIRST_SEQ + position:05d}.ts"


def ladder_asset(
    *,
    segments: int = SEGMENTS,
    iframes: bool = False,
    subtitles: bool = False,
    captions: bool = False,
    ad_markers: bool = False,
    discontinuity_at: int | None = None,
) -> Asset:
    """The ladder, with the optional shapes; ``discontinuity_at`` restarts the encoder's timestamps
    at that segment (the media time jumps) with an #EXT-X-DISCONTINUITY before it."""
    asset = Asset()
    audio = next(r for r in DEFAULT_RENDITIONS if r.kind == "audio")
    audio_peak, audio_average = factory().bitrates(audio)
    media = [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,'
        f'URI="{audio.name}.m3u8"'
    ]
    extra = ',AUDIO="aac"'
    if subtitles:
        media.append(
            '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,'
            'URI="subs.m3u8"'
        )
        extra += ',SUBTITLES="subs"'
    if captions:
        media.append('#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="English",LANGUAGE="en",INSTREAM-ID="CC1"')
        extra += ',CLOSED-CAPTIONS="cc"'
    parent = ["#EXTM3U", "#EXT-X-VERSION:4" if iframes else "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS", *media]
    for rendition in VIDEO:
        peak, average = factory().bitrates(rendition)
        parent += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={peak + audio_peak},AVERAGE-BANDWIDTH={average + audio_average},"
            f'RESOLUTION={rendition.width}x{rendition.height},CODECS="{factory().codecs(rendition)},'
            f'{factory().codecs(audio)}",FRAME-RATE=25.000{extra}',
            f"{rendition.name}.m3u8",
        ]
        if iframes:
            parent.append(
                f"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={peak // 10},RESOLUTION={rendition.width}x{rendition.height},"
                f'CODECS="{factory().codecs(rendition)}",URI="{rendition.name}_iframes.m3u8"'
            )
    asset.put_text("index.m3u8", "\n".join(parent) + "\n")
    restart = 1000  # the encoder's segment count after a restart: timestamps jump
    for rendition in DEFAULT_RENDITIONS:
        text = media_playlist(rendition.name, durations=[2.0] * segments, first_seq=FIRST_SEQ)
        for i in range(segments):
            index = i + restart if discontinuity_at is not None and i >= discontinuity_at else i
            asset.put(segment_name(rendition.name, i), segment(rendition.name, index), TS)
        if discontinuity_at is not None:
            text = insert_before(text, segment_name(rendition.name, discontinuity_at), "#EXT-X-DISCONTINUITY")
        if ad_markers:
            text = _with_ad_markers(text, rendition.name)
        asset.put_text(f"{rendition.name}.m3u8", text)
        if iframes and rendition.kind == "video":
            asset.put_text(f"{rendition.name}_iframes.m3u8", _iframe_playlist(asset, rendition.name, segments))
    if subtitles:
        asset.put_text("subs.m3u8", media_playlist("subs", durations=[2.0] * segments, first_seq=FIRST_SEQ, ext="vtt"))
        for i in range(segments):
            cue = f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 1:02d}.500"
            body = f"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n{cue}\nLine {i}\n"
            asset.put(f"subs_{FIRST_SEQ + i:05d}.vtt", body.encode(), VTT)
    return asset


def insert_before(text: str, uri: str, *lines: str) -> str:
    """``lines`` inserted right before the tags of the segment ``uri`` (before its PDT)."""
    out = text.splitlines()
    at = out.index(uri)
    while at > 0 and out[at - 1].startswith("#") and not out[at - 1].startswith("#EXT-X-PLAYLIST-TYPE"):
        at -= 1
        if out[at].startswith("#EXT-X-PROGRAM-DATE-TIME"):
            break
    out[at:at] = lines
    return "\n".join(out) + "\n"


def _with_ad_markers(text: str, stem: str) -> str:
    """A 4 s SCTE-35 break over segments 2 and 3, marked the three ways MediaPackage passes them on."""
    start = T0.add(seconds=4)
    splice = "/DAlAAAAAAAAAP/wFAUAAAABf+/+AAAAAH4ACTqAAAEAAAAAXj/yBg=="
    text = insert_before(
        text,
        f"{stem}_{FIRST_SEQ + 2:05d}.ts",
        f'#EXT-X-DATERANGE:ID="splice-1",START-DATE="{iso_z(start)}",PLANNED-DURATION=4.000,'
        "SCTE35-OUT=0xFC302500000000000000FFF01405000000017FEFFE000000007E00093A800001000000005E3FF206",
        f"#EXT-OATCLS-SCTE35:{splice}",
        "#EXT-X-CUE-OUT:4.000",
    )
    text = insert_before(text, f"{stem}_{FIRST_SEQ + 3:05d}.ts", "#EXT-X-CUE-OUT-CONT:ElapsedTime=2.000,Duration=4.000")
    return insert_before(text, f"{stem}_{FIRST_SEQ + 4:05d}.ts", "#EXT-X-CUE-IN")


def _iframe_playlist(asset: Asset, stem: str, segments: int) -> str:
    """An I-frame playlist: each segment's key frame as a byte range at its start."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{FIRST_SEQ}"]
    lines += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-I-FRAMES-ONLY"]
    for i in range(segments):
        name = segment_name(stem, i)
        size = len(asset.objects[PREFIX + name][0])
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{iso_z(T0.add(seconds=2 * i))}", "#EXTINF:2.000,"]
        lines += [f"#EXT-X-BYTERANGE:{min(size, 188 * 40)}@0", name]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def damage(asset: Asset, kind: str, rendition: str, position: int) -> str:
    """Apply damage ``kind`` to segment ``position`` of ``rendition``; returns the segment's name."""
    name = segment_name(rendition, position)
    original = asset.objects[PREFIX + name][0]
    if kind == "truncated":
        body = original[:1000]
    elif kind == "foreign":
        other = next(r for r in RENDITIONS if r != rendition)
        body = asset.objects[PREFIX + segment_name(other, position)][0]
    elif kind == "garbage":
        body = b"\x47" + random.Random(f"{rendition}/{position}").randbytes(200 * 1024 - 1)
    elif kind == "garbage_same_size":  # not in the listing's view: only a read sees it
        body = b"\x47" + os.urandom(len(original) - 1)
    else:
        raise ValueError(kind)
    asset.put(name, body, TS)
    return name
