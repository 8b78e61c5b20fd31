"""A harvested DASH asset in memory, as MediaPackage v2 (the local stack) writes one: CMAF init and
media segments made from the synthetic encoder's renditions, and the MPD the stack's origin module
renders over them (epoch-locked timeline, ``presentationTimeOffset`` at the first segment)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pendulum

from devstack import cmaf
from devstack.encoder.segments import DEFAULT_RENDITIONS, SegmentFactory
from devstack.ingest import Rendition as StackRendition
from devstack.ingest import Segment, Variant
from devstack.mediapackagev2 import origin
from live_to_vod.verification import verify_vod_asset
from live_to_vod.verification.report import VerificationReport
from tests.support.hls_assets import MemoryStore

PREFIX = "v2/game-7/"
MPD = PREFIX + "dash.mpd"
T0 = pendulum.datetime(2026, 11, 26, 19, 0, 0, tz="UTC")
COUNT = 5  # 2 s segments: [T0, T0 + 10 s)
WINDOW = (T0.add(seconds=1), T0.add(seconds=9))
#: One video and the audio rendition: enough for every check, quick to build.
RENDITIONS = (DEFAULT_RENDITIONS[0], DEFAULT_RENDITIONS[-1])


@functools.cache
def _built() -> tuple[tuple[str, bytes, str], ...]:
    factory = SegmentFactory()
    layout = origin.Layout("CMAF", "segment")
    store = Path(tempfile.mkdtemp(prefix="dash-asset-"))  # the origin reads ingested segments from files
    objects: list[tuple[str, bytes, str]] = []
    tracks = []
    for index, rendition in enumerate(RENDITIONS, start=1):
        segments = []
        ts = [factory.segment(rendition, n) for n in range(COUNT)]
        track = cmaf.describe(ts[0])
        objects.append((PREFIX + layout.init(index), cmaf.init_segment(ts[0]), "video/mp4"))
        for n, body in enumerate(ts):
            path = store / f"{rendition.name}_{n}.ts"
            path.write_bytes(body)
            segments.append(Segment(100 + n, int(T0.timestamp() * 1000) + n * 2000, 2.0, path, len(body), False, 0))
        times, durations = origin.media_times(StackRendition(rendition.name, store), segments, track.timescale)
        for segment, decode_time in zip(segments, times, strict=True):
            media = origin.segment_bytes(layout, segment, decode_time)
            objects.append((PREFIX + layout.segment(index, segment), media, "video/mp4"))
        bandwidth = sum(factory.bitrates(rendition)) // 2 or rendition.bitrate
        variant = Variant("stream", {"bandwidth": bandwidth})
        tracks.append(origin.DashTrack(index, variant, track, segments, times, durations))
    mpd = origin.dash_mpd(layout, tracks, static=True)
    objects.append((MPD, mpd.encode(), "application/dash+xml"))
    return tuple(objects)


def dash_store(edit=None) -> MemoryStore:
    """The asset's objects; ``edit(objects)`` may change them first (a dict key -> (body, content type))."""
    objects = {key: (body, kind) for key, body, kind in _built()}
    if edit is not None:
        edit(objects)
    return MemoryStore(objects)


def edit_mpd(old: str, new: str):
    def edit(objects: dict) -> None:
        text = objects[MPD][0].decode()
        assert old in text, (old, text)
        objects[MPD] = (text.replace(old, new, 1).encode(), "application/dash+xml")

    return edit


def verify_dash(store: MemoryStore, **kwargs) -> VerificationReport:
    start, end = kwargs.pop("window", WINDOW)
    kwargs.setdefault("segments", "full")
    return verify_vod_asset(store, MPD, start, end, **kwargs)
