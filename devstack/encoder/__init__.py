"""Synthetic live HLS encoder for the local MediaPackage emulator.

It produces real media with PyAV -- H.264 (libx264) video renditions and one AAC-LC audio rendition, each
in its own MPEG-TS segments -- and pushes them to a MediaPackage channel's ingest URL the way AWS Elemental
MediaLive (or ``ffmpeg -f hls -method PUT``) does: WebDAV-style HTTP PUTs with basic auth, every segment
uploaded before the playlist that names it, and an ``EXT-X-PROGRAM-DATE-TIME`` on every segment.

Encoding is done once: :class:`SegmentFactory` encodes a short cycle of content per rendition (closed GOP,
an IDR at every segment start), keeps the encoded packets and re-muxes them into a fresh MPEG-TS for any
segment number with the timestamps shifted, so timestamps run on continuously across every segment while a
segment costs only a remux. A pre-roll of ten minutes back-dated content is therefore pushed in seconds.

Upload layout for an ingest URL ``<base>`` (for example ``http://127.0.0.1:4566/in/v2/ch/1/channel``)::

    <base>.m3u8               multivariant playlist
    <base>_<i>.m3u8           media playlist of rendition i (1-based, in rendition order)
    <base>_<i>_<seq>.ts       segment with media sequence number seq (zero padded to 5 digits)

Command line::

    python -m devstack.encoder --ingest-url URL --username U --password P [--preroll S] [--duration S]

(the credentials may come from $DEVSTACK_INGEST_USERNAME and $DEVSTACK_INGEST_PASSWORD instead).
"""

from devstack.encoder.cli import main
from devstack.encoder.pattern import FPS
from devstack.encoder.pusher import IngestError, LiveHlsEncoder
from devstack.encoder.segments import DEFAULT_RENDITIONS, PTS_OFFSET, SEGMENT_SECONDS, Rendition, SegmentFactory

__all__ = [
    "DEFAULT_RENDITIONS",
    "FPS",
    "PTS_OFFSET",
    "SEGMENT_SECONDS",
    "IngestError",
    "LiveHlsEncoder",
    "Rendition",
    "SegmentFactory",
    "main",
]
