"""The numbers that bound one verification: what a hostile or huge asset can cost.

Playlists read from storage are untrusted input, so every read and every parse is capped; a
cap that is hit becomes a defect (see the catalog), never an exception or an unbounded report.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_FULL_MAX_BYTES",
    "DEFAULT_MAX_SEGMENT_BYTES",
    "MAX_DEFECTS_PER_CHECK",
    "MAX_KEY_TAGS",
    "MAX_PLAYLIST_BYTES",
    "MAX_PLAYLIST_LINES",
    "MAX_PROBED_SEGMENTS",
    "MAX_RENDITIONS",
    "MAX_SUSPECT_READS",
    "MIN_PROBES_PER_RENDITION",
    "MiB",
]

MiB = 1024 * 1024
#: Default cap on one playlist's size. Checked against the listing before any read, and the
#: read itself asks for at most one byte more (a ranged GET), so a bigger object never
#: reaches the parser. A 24-hour playlist of 1-second segments, each with its own
#: #EXT-X-PROGRAM-DATE-TIME, is about 13 MB; ``max_playlist_bytes`` overrides it.
MAX_PLAYLIST_BYTES = 16 * MiB
#: A playlist with more lines than this is refused before parsing: m3u8 needs about 7 us
#: and 600 bytes of memory per segment, so this bounds one parse to a few seconds and a
#: few hundred MB (about 330,000 segments with a PDT each; 24 h of 1 s segments is 260,000 lines).
MAX_PLAYLIST_LINES = 1_000_000
#: At most this many distinct child playlists (variants, EXT-X-MEDIA, I-frame) are read
#: from one parent; the others are reported, not fetched.
MAX_RENDITIONS = 100
#: At most this many defects of one kind are listed per playlist; the rest are counted
#: in one closing "... and N more" defect so a systematically broken 24-hour asset
#: (43,200 segments per rendition) does not produce a report too big for XCom.
MAX_DEFECTS_PER_CHECK = 20
#: An EXT-X-KEY line beyond this many is not handed to m3u8 (its key de-duplication
#: is quadratic in the number of distinct keys). The playlist is reported encrypted anyway.
MAX_KEY_TAGS = 16
#: Default cap on a segment fetched for decoding (``max_segment_bytes`` overrides it).
DEFAULT_MAX_SEGMENT_BYTES = 64 * MiB
#: Segments read per asset in the sampled mode (probed or decoded), shared by the timed renditions:
#: 24 h x 6 renditions then costs 260 listing pages + 7 playlists + ~120 segment reads, under 400.
MAX_PROBED_SEGMENTS = 120
#: ... but at least this many per rendition (first, last and a spread between them).
MIN_PROBES_PER_RENDITION = 8
#: Suspects of the size stage, and segments the probes found wrong, read whole and decoded per
#: rendition; the listing's warnings still name every suspect.
MAX_SUSPECT_READS = 8
#: ``auto`` decodes every segment of an asset whose segments total at most this (clips, short events).
DEFAULT_FULL_MAX_BYTES = 512 * MiB
