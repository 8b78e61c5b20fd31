"""Playlists the stack writes (live origin, harvested VOD assets), all through the m3u8 library."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import m3u8
import pendulum

from devstack.ingest import Rendition, Segment, Variant


def target_duration(segments: Sequence[Segment]) -> int:
    # RFC 8216 4.3.3.1: every EXTINF rounded to the nearest integer (half up) is <= the target.
    return max((math.floor(s.duration + 0.5) for s in segments), default=1) or 1


def multivariant(renditions: Sequence[tuple[Rendition, Variant]], child_uri: Callable[[int], str]) -> str:
    """The multivariant playlist naming each rendition by ``child_uri(i)`` (1-based)."""
    playlist = m3u8.M3U8()
    playlist.version = 3
    for i, (_, variant) in enumerate(renditions, start=1):
        if variant.kind == "media":
            attrs = dict(variant.attributes)
            playlist.add_media(m3u8.Media(uri=child_uri(i), **attrs))
    for i, (_, variant) in enumerate(renditions, start=1):
        if variant.kind == "stream":
            playlist.add_playlist(
                m3u8.Playlist(
                    uri=child_uri(i),
                    stream_info=dict(variant.attributes),
                    media=playlist.media,
                    base_uri=None,
                )
            )
    return playlist.dumps()


def media_playlist(
    segments: Sequence[Segment],
    segment_uri: Callable[[Segment], str],
    *,
    version: int = 3,
    vod: bool,
    pdt_interval_seconds: float | None,
    ended: bool = False,
    init_uri: str | None = None,
) -> str:
    """A media playlist over ``segments`` (fragmented MP4 ones name their init segment: ``init_uri``).

    ``vod`` writes a finished VOD playlist (PLAYLIST-TYPE VOD, ENDLIST, PDT on the first segment
    and after every discontinuity). Otherwise a live sliding window: PDT every
    ``pdt_interval_seconds`` (none when falsy), ENDLIST only when the encoder stopped.
    """
    playlist = m3u8.M3U8()
    playlist.version = max(3, version)
    playlist.target_duration = target_duration(segments)
    first = segments[0] if segments else None
    playlist.media_sequence = first.seq if first else 0
    # Count the discontinuities before the first listed segment (RFC 8216 6.2.2).
    playlist.discontinuity_sequence = (first.discontinuities_before - int(first.discontinuity)) if first else 0
    if vod:
        playlist.playlist_type = "vod"
    last_pdt_ms: int | None = None
    for index, segment in enumerate(segments):
        discontinuity = segment.discontinuity and index > 0
        if vod:
            with_pdt = index == 0 or discontinuity
        elif pdt_interval_seconds:
            with_pdt = (
                last_pdt_ms is None or discontinuity or segment.start_ms - last_pdt_ms >= pdt_interval_seconds * 1000
            )
        else:
            with_pdt = False
        if with_pdt:
            last_pdt_ms = segment.start_ms
        playlist.add_segment(
            m3u8.Segment(
                uri=segment_uri(segment),
                duration=segment.duration,
                discontinuity=discontinuity,
                program_date_time=pendulum.from_timestamp(segment.start_ms / 1000, tz="UTC") if with_pdt else None,
                init_section={"uri": init_uri} if init_uri and index == 0 else None,
            )
        )
    playlist.is_endlist = vod or ended
    text = playlist.dumps()
    if "#EXT-X-DISCONTINUITY-SEQUENCE" not in text:
        # m3u8 omits a zero discontinuity sequence; the checklist wants it stated (RFC 8216 4.3.3.3).
        text = text.replace("\n", "\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n", 1)
    return text
