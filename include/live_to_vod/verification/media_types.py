"""Which Content-Type each kind of object must be stored with, and how names say the kind.

Checklist item HLS-1 (playlists) and HLS-18 (segments). The fMP4/CMAF, DASH and MP4 checks
that come next read their types from here too.
"""

from __future__ import annotations

__all__ = [
    "AUDIO_CODEC_PREFIXES",
    "FMP4_EXTENSIONS",
    "MP4_TYPES",
    "MPEGURL_TYPES",
    "PACKED_AUDIO_TYPES",
    "TS_TYPES",
    "VTT_EXTENSIONS",
    "VTT_TYPES",
    "content_type",
]

MPEGURL_TYPES = frozenset({"application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl"})
TS_TYPES = frozenset({"video/mp2t"})
MP4_TYPES = frozenset({"video/mp4", "audio/mp4"})
VTT_TYPES = frozenset({"text/vtt"})
PACKED_AUDIO_TYPES = {
    ".aac": frozenset({"audio/aac"}),
    ".ac3": frozenset({"audio/ac3"}),
    ".ec3": frozenset({"audio/eac3"}),
    ".mp3": frozenset({"audio/mpeg"}),
}
FMP4_EXTENSIONS = frozenset({".m4s", ".mp4", ".m4a", ".m4v", ".cmfv", ".cmfa", ".cmft"})
VTT_EXTENSIONS = frozenset({".vtt", ".webvtt"})
#: A CODECS attribute made only of these is an audio-only variant (it needs no RESOLUTION).
AUDIO_CODEC_PREFIXES = ("mp4a", "ac-3", "ec-3", "ac-4", "opus", "flac", "fLaC", "mp3", "alac")


def content_type(value: str | None) -> str | None:
    """The media type of a Content-Type header, lower case, without parameters; ``None`` if absent."""
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None
