"""Every check the verifier can report: its id, severity, what it means and which rule it enforces.

The code reports a defect only through one of the :class:`Check` constants below (never a bare
id string), and a defect's severity is its check's. ``docs/verification-checks.md`` is rendered
from this module by :func:`render_page`; ``tests/live_to_vod/verification/test_catalog.py``
fails when the page is stale or when a check is defined but never reported. Regenerate it with::

    python -m tests.support.verification_checks_page

**Rules.** :data:`RULES` is the project's own checklist for a harvested HLS VOD asset: one
numbered rule per line, ``HLS-1`` to ``HLS-22``. A check that enforces no numbered rule (input
caps, a verifier bug, leftovers) names :data:`ROBUSTNESS` instead.

**Two severities, one id.** An id stays the same for the same fault wherever it is found, but two
ids are reported at two severities, each for its own case, so each is two checks here with one
id: ``playlist-content-type`` (an error when nothing says the object is a playlist, a warning
when its ``.m3u8`` name does) and ``discontinuity-sequence`` (an error when the tag comes too late,
a warning when it is missing).

**DASH.** :data:`DASH_RULES` (``DASH-1`` to ``DASH-5``) are the checklist of a harvested DASH
manifest; the ``dash`` stage expands it into renditions, so the HLS segment, window, size and
decode checks apply to it too. Checks of MediaConvert MP4 outputs will go in an ``mp4`` stage
(``verification/mp4.py``) with rules of their own (``MP4-1``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from live_to_vod.verification import limits

__all__ = [
    "CHECKS",
    "DASH_RULES",
    "ERROR",
    "ROBUSTNESS",
    "RULES",
    "STAGES",
    "WARNING",
    "Check",
    "Rule",
    "Stage",
    "checks_with_id",
    "render_page",
]

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One rule a harvested asset must keep; ``number`` is ``None`` for :data:`ROBUSTNESS`."""

    family: str
    number: int | None
    title: str
    rule: str
    #: For a rule no check enforces on its own: how the verifier keeps it.
    unchecked: str = ""

    @property
    def name(self) -> str:
        """``HLS-2 target duration``: how the page and the catalog name the rule."""
        return self.title if self.number is None else f"{self.family}-{self.number} {self.title}"


def _hls(number: int, title: str, rule: str, unchecked: str = "") -> Rule:
    return Rule("HLS", number, title, rule, unchecked)


#: The checklist for a harvested HLS VOD asset, in the project's own words.
RULES: tuple[Rule, ...] = (
    _hls(
        1,
        "playlist header",
        "A playlist's first line is #EXTM3U; it is UTF-8 without a byte order mark; it is stored with "
        "Content-Type application/vnd.apple.mpegurl or at least has a .m3u8 name.",
    ),
    _hls(
        2,
        "target duration",
        "#EXT-X-TARGETDURATION is present once, and every #EXTINF duration rounded half-up is at most it.",
    ),
    _hls(3, "EXTINF", "Every segment has #EXTINF:<duration>, with the comma after the duration."),
    _hls(
        4,
        "version",
        "There is one #EXT-X-VERSION, at least what the features used need: IV 2, decimal EXTINF 3, "
        "BYTERANGE 4, KEYFORMAT 5, EXT-X-MAP 6.",
    ),
    _hls(5, "VOD and ENDLIST", "Every media playlist says #EXT-X-PLAYLIST-TYPE:VOD and ends with #EXT-X-ENDLIST."),
    _hls(
        6,
        "sequence numbers",
        "#EXT-X-MEDIA-SEQUENCE and #EXT-X-DISCONTINUITY-SEQUENCE come before the first segment.",
    ),
    _hls(
        7,
        "program date time",
        "The first segment, and every segment after a discontinuity, has #EXT-X-PROGRAM-DATE-TIME.",
    ),
    _hls(
        8,
        "encryption",
        "An encrypted source repeats the key in force; MediaPackage VOD cannot ingest an encrypted asset, "
        "so the verifier reports any encryption.",
    ),
    _hls(9, "fMP4 init segment", "An fMP4 rendition repeats #EXT-X-MAP and its init segment is copied with it."),
    _hls(
        10,
        "discontinuities kept",
        "Every discontinuity of the source is kept as #EXT-X-DISCONTINUITY.",
        "no check of its own: a kept discontinuity needs a program date time after it (`missing-pdt`) and "
        "exempts the segment after it from `gap` and `overlap`",
    ),
    _hls(11, "clean multivariant playlist", "The multivariant playlist holds no media segment or media playlist tags."),
    _hls(
        12,
        "variant attributes",
        "Every #EXT-X-STREAM-INF has BANDWIDTH (and should have CODECS and RESOLUTION), and every group it "
        "names exists as #EXT-X-MEDIA.",
    ),
    _hls(
        13,
        "URIs inside the asset",
        "Every URI is relative and resolves inside the asset prefix: no scheme, host, absolute path, "
        "token or query string.",
    ),
    _hls(
        14,
        "renditions cover one window",
        "Every rendition covers the same wall-clock window, as its #EXT-X-PROGRAM-DATE-TIME says.",
    ),
    _hls(15, "target durations agree", "The renditions agree on #EXT-X-TARGETDURATION (subtitles aside)."),
    _hls(
        16,
        "window accuracy",
        "The first segment contains the requested start and the last contains the requested end: at most "
        "one segment early at the start and one late at the end.",
    ),
    _hls(
        17,
        "no gaps",
        "Each segment's program date time is the previous one's plus its duration, except across a discontinuity.",
    ),
    _hls(
        18,
        "segments exist",
        "Every segment named exists, is not empty and is stored with a media Content-Type (video/MP2T for "
        "TS, video/mp4 or audio/mp4 for fMP4).",
    ),
    _hls(
        19,
        "one listing",
        "Verifying lists the asset prefix (ListObjectsV2) instead of asking for each object (HEAD).",
        "no check: how the verifier reads (one listing of the prefix; existence and sizes come from it)",
    ),
    _hls(
        20,
        "TS segments decode",
        "A TS segment starts with the sync byte 0x47 and a PAT and PMT, decodes, and its timestamps increase.",
    ),
    _hls(
        21,
        "segments belong to their rendition",
        "Every media segment is a whole segment of its rendition: the container it claims (TS packets from "
        "the first byte, fMP4 boxes that end inside the object), the rendition's streams and codec parameters "
        "(the picture size the variant's RESOLUTION says), and a size that fits the rendition's bitrate.",
    ),
    _hls(
        22,
        "media time continues",
        "Each segment's first media timestamp is where the #EXTINF durations before it say (within a quarter "
        "of the target duration), except across a discontinuity: no segment repeats or skips time.",
    ),
)
_RULE = {rule.number: rule for rule in RULES}


def _dash(number: int, title: str, rule: str, unchecked: str = "") -> Rule:
    return Rule("DASH", number, title, rule, unchecked)


#: The checklist for a harvested DASH manifest (MediaPackage v2), beside the HLS one. A DASH
#: manifest is expanded into the same renditions and segments as a playlist, so the segment,
#: window, size, structure and decode checks of the HLS rules apply to it too.
DASH_STATIC = _dash(
    1,
    "static presentation",
    "A harvested DASH manifest is an MPD an MPD library can read (within the playlist byte limit), of type "
    "static, with a mediaPresentationDuration and one Period.",
)
DASH_ADDRESSING = _dash(
    2,
    "explicit addressing",
    "Every Representation is addressed by a SegmentTemplate with a timescale and a SegmentTimeline (no "
    "open-ended repeat), and initialization and media templates that use only $RepresentationID$, $Number$, "
    "$Time$ and $Bandwidth$ and name objects inside the asset prefix.",
)
DASH_OBJECTS = _dash(
    3,
    "every object exists",
    "Each Representation's init segment and every media segment its timeline expands to are in the one "
    "listing and not empty.",
    "enforced by the segment checks (`missing-init-segment`, `missing-segment`, `zero-byte-segment`) on the "
    "expanded timeline",
)
DASH_TIMELINE = _dash(
    4,
    "continuous timeline",
    "Each timeline runs without gaps or overlaps (every S starts where the one before it ends), and the "
    "mediaPresentationDuration is the timeline's span within one segment.",
)
DASH_WINDOW = _dash(
    5,
    "the window, on the wall clock",
    "Timeline times are wall-clock (seconds since 1970 times the timescale: MediaPackage v2's epoch-locked "
    "output), so every Representation covers the requested window segment-accurately, as HLS-16 asks of a "
    "rendition.",
)
DASH_RULES: tuple[Rule, ...] = (DASH_STATIC, DASH_ADDRESSING, DASH_OBJECTS, DASH_TIMELINE, DASH_WINDOW)

#: For checks that enforce no numbered rule: caps on hostile input, verifier faults, housekeeping.
ROBUSTNESS = Rule(
    "HLS",
    None,
    "robustness",
    "No numbered rule: the verifier refuses input it cannot check safely and points out what it could not "
    "check or what does not belong to the asset.",
)


@dataclass(frozen=True)
class Stage:
    """A part of the verification, named after the module that runs it."""

    module: str
    title: str
    summary: str


URIS = Stage("uris", "URI confinement", "Every URI a playlist names, before anything is fetched.")
PLAYLISTS = Stage("playlists", "Reading playlists", "Every playlist as it is read and parsed: size, encoding, header.")
PARENT = Stage("parent", "The multivariant playlist", "The parent manifest and the renditions it names.")
MEDIA_PLAYLIST = Stage("media_playlist", "Media playlists", "The tags of each rendition playlist.")
SEGMENTS = Stage("segments", "Segments", "Each segment line of a media playlist, against the listing.")
WINDOW = Stage("window", "Renditions and the window", "The renditions against each other and the requested window.")
SIZES = Stage(
    "sizes",
    "Segment sizes",
    "Every segment's size from the one listing, against its rendition's bitrate: no request.",
)
STRUCTURE = Stage(
    "structure",
    "Segment structure",
    "The first bytes of a spread of segments (all of them in the full mode), probed for their container, "
    "streams, codec parameters and first media timestamp, and compared across the rendition.",
)
DECODE = Stage(
    "decode",
    "Decoding",
    "Whole segments decoded with PyAV: the first, the last, a deterministic sample and every suspect (all of "
    "them in the full mode).",
)
VERIFIER = Stage("verifier", "The whole asset", "What the orchestration finds about the asset as a whole.")
#: In the order the verifier runs them (URIs are checked wherever one is read).
DASH = Stage(
    "dash",
    "DASH manifests",
    "A harvested MPD, read with mpegdash and expanded into renditions and segment objects for the stages below.",
)

STAGES: tuple[Stage, ...] = (
    URIS,
    PLAYLISTS,
    PARENT,
    DASH,
    MEDIA_PLAYLIST,
    SEGMENTS,
    WINDOW,
    SIZES,
    STRUCTURE,
    DECODE,
    VERIFIER,
)


@dataclass(frozen=True)
class Check:
    """One kind of defect. ``stage`` is the part that owns it (others may report it too)."""

    id: str
    severity: str
    meaning: str
    checklist_item: Rule
    stage: Stage


_checks: list[Check] = []


def _check(check_id: str, severity: str, meaning: str, rule: int | Rule, stage: Stage) -> Check:
    check = Check(check_id, severity, meaning, _RULE[rule] if isinstance(rule, int) else rule, stage)
    _checks.append(check)
    return check


# --------------------------------------------------------------------------- uris
URI_INVALID = _check(
    "uri-invalid",
    ERROR,
    "A URI is missing or empty, holds control characters or a backslash (plain or percent-encoded), is not "
    "a valid URI, or names a directory rather than an object. It is not fetched.",
    13,
    URIS,
)
URI_OUTSIDE_PREFIX = _check(
    "uri-outside-prefix",
    ERROR,
    "A URI is absolute (a scheme, a host or a leading slash) or climbs out of the asset prefix with `..` "
    "(plain or percent-encoded). It is not fetched.",
    13,
    URIS,
)
URI_QUERY = _check(
    "uri-query",
    ERROR,
    "A URI carries a query string or a fragment (an origin token or a signature, say). It is not fetched.",
    13,
    URIS,
)

# --------------------------------------------------------------------------- playlists
PLAYLIST_TOO_LARGE = _check(
    "playlist-too-large",
    ERROR,
    f"A playlist is bigger than the byte limit ({limits.MAX_PLAYLIST_BYTES // limits.MiB} MiB by default) by "
    f"its listing or when read, or has more than {limits.MAX_PLAYLIST_LINES:,} lines; it is not parsed.",
    ROBUSTNESS,
    PLAYLISTS,
)
EMPTY_PLAYLIST = _check("empty-playlist", ERROR, "A playlist object holds 0 bytes.", 1, PLAYLISTS)
BOM = _check(
    "bom",
    ERROR,
    "A playlist starts with a UTF-8 byte order mark (it is read on without it).",
    1,
    PLAYLISTS,
)
NOT_UTF8 = _check("not-utf8", ERROR, "A playlist is not valid UTF-8; it is not parsed.", 1, PLAYLISTS)
EXTM3U = _check("extm3u", ERROR, "A playlist's first line is not #EXTM3U; it is not parsed.", 1, PLAYLISTS)
PLAYLIST_CONTENT_TYPE = _check(
    "playlist-content-type",
    ERROR,
    "A playlist is stored without a playlist Content-Type and its name does not end in .m3u8: nothing "
    "tells a player it is a playlist.",
    1,
    PLAYLISTS,
)
PLAYLIST_CONTENT_TYPE_OF_M3U8 = _check(
    "playlist-content-type",
    WARNING,
    "A playlist named .m3u8 is stored with a Content-Type that is not a playlist type; its name still "
    "tells players what it is.",
    1,
    PLAYLISTS,
)
PARSE_ERROR = _check(
    "parse-error",
    ERROR,
    "The m3u8 library cannot parse a playlist (the defect names the line it stopped at); it is not checked further.",
    ROBUSTNESS,
    PLAYLISTS,
)
TRUNCATED_PLAYLIST = _check(
    "truncated-playlist",
    ERROR,
    "A playlist looks cut short: it ends in the middle of a line, or an #EXT-X-STREAM-INF or the last "
    "#EXTINF is not followed by its URI.",
    ROBUSTNESS,
    PLAYLISTS,
)
STRAY_LINE = _check(
    "stray-line",
    ERROR,
    "A line is neither a tag nor a URI following #EXTINF or #EXT-X-STREAM-INF; players ignore it "
    "(garbage, or a segment without #EXTINF).",
    3,
    PLAYLISTS,
)

# --------------------------------------------------------------------------- parent
MISSING_MANIFEST = _check(
    "missing-manifest",
    ERROR,
    "The parent manifest is not in the listing of its prefix, or was gone when it was read: there is no "
    "asset to verify.",
    ROBUSTNESS,
    PARENT,
)
NOT_MULTIVARIANT = _check(
    "not-multivariant",
    ERROR,
    "The parent manifest has no #EXT-X-STREAM-INF: either it is a media playlist (checked as the only "
    "rendition) or it names no renditions at all.",
    12,
    PARENT,
)
MEDIA_TAG_IN_PARENT = _check(
    "media-tag-in-parent",
    ERROR,
    "The multivariant playlist holds tags that belong to media playlists or media segments.",
    11,
    PARENT,
)
TOO_MANY_RENDITIONS = _check(
    "too-many-renditions",
    ERROR,
    f"The parent manifest names more than {limits.MAX_RENDITIONS} distinct playlists; the others are not fetched.",
    ROBUSTNESS,
    PARENT,
)
RECURSIVE_PLAYLIST = _check(
    "recursive-playlist",
    ERROR,
    "A rendition URI names the parent manifest itself, or a segment URI names a playlist of the asset; "
    "it is not read (again).",
    ROBUSTNESS,
    PARENT,
)
MISSING_RENDITION = _check(
    "missing-rendition",
    ERROR,
    "A rendition playlist the parent names is not in the listing, or was gone when it was read.",
    13,
    PARENT,
)
STREAM_INF_BANDWIDTH = _check(
    "stream-inf-bandwidth", ERROR, "An #EXT-X-STREAM-INF has no BANDWIDTH attribute.", 12, PARENT
)
STREAM_INF_CODECS = _check("stream-inf-codecs", WARNING, "An #EXT-X-STREAM-INF has no CODECS attribute.", 12, PARENT)
STREAM_INF_RESOLUTION = _check(
    "stream-inf-resolution",
    WARNING,
    "An #EXT-X-STREAM-INF that is not audio-only (by its CODECS) has no RESOLUTION attribute.",
    12,
    PARENT,
)
MISSING_MEDIA_GROUP = _check(
    "missing-media-group",
    ERROR,
    "An #EXT-X-STREAM-INF names an AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS group that no #EXT-X-MEDIA "
    "of that type declares.",
    12,
    PARENT,
)

# --------------------------------------------------------------------------- media_playlist
NOT_MEDIA_PLAYLIST = _check(
    "not-media-playlist",
    ERROR,
    "A rendition playlist is itself a multivariant playlist; the playlists it names are not followed.",
    ROBUSTNESS,
    MEDIA_PLAYLIST,
)
TARGET_DURATION = _check(
    "target-duration",
    ERROR,
    "#EXT-X-TARGETDURATION is missing, invalid or repeated, or a segment's #EXTINF duration rounded "
    "half-up is longer than it.",
    2,
    MEDIA_PLAYLIST,
)
EXTINF = _check(
    "extinf",
    ERROR,
    "An #EXTINF has no comma after the duration, or a segment's duration is missing, negative or not finite.",
    3,
    MEDIA_PLAYLIST,
)
VERSION = _check(
    "version",
    ERROR,
    "#EXT-X-VERSION is missing, repeated, or lower than a feature the playlist uses needs.",
    4,
    MEDIA_PLAYLIST,
)
PLAYLIST_TYPE = _check("playlist-type", ERROR, "A media playlist is not #EXT-X-PLAYLIST-TYPE:VOD.", 5, MEDIA_PLAYLIST)
ENDLIST = _check(
    "endlist",
    ERROR,
    "A media playlist has more than one #EXT-X-ENDLIST, or segments after it.",
    5,
    MEDIA_PLAYLIST,
)
NO_ENDLIST = _check(
    "no-endlist",
    ERROR,
    "A media playlist has no #EXT-X-ENDLIST: it is not a finished VOD playlist.",
    5,
    MEDIA_PLAYLIST,
)
MEDIA_SEQUENCE = _check(
    "media-sequence",
    ERROR,
    "#EXT-X-MEDIA-SEQUENCE is missing, or comes after the first segment.",
    6,
    MEDIA_PLAYLIST,
)
DISCONTINUITY_SEQUENCE = _check(
    "discontinuity-sequence",
    ERROR,
    "#EXT-X-DISCONTINUITY-SEQUENCE comes after the first segment.",
    6,
    MEDIA_PLAYLIST,
)
NO_DISCONTINUITY_SEQUENCE = _check(
    "discontinuity-sequence",
    WARNING,
    "An audio, video or subtitle playlist has no #EXT-X-DISCONTINUITY-SEQUENCE (players assume 0).",
    6,
    MEDIA_PLAYLIST,
)
MISSING_MAP = _check(
    "missing-map",
    ERROR,
    "An #EXT-X-MAP has no URI attribute, or a playlist names fragmented MP4 segments without any #EXT-X-MAP.",
    9,
    MEDIA_PLAYLIST,
)
ENCRYPTED = _check(
    "encrypted",
    ERROR,
    "The asset is encrypted: #EXT-X-SESSION-KEY in the parent, or #EXT-X-KEY with a METHOD other than "
    "NONE in a rendition. MediaPackage VOD cannot ingest it.",
    8,
    MEDIA_PLAYLIST,
)
NO_SEGMENTS = _check("no-segments", ERROR, "A media playlist names no media segments.", 14, MEDIA_PLAYLIST)

# --------------------------------------------------------------------------- segments
MISSING_PDT = _check(
    "missing-pdt",
    ERROR,
    "The first segment, or a segment after #EXT-X-DISCONTINUITY, of an audio, video or subtitle playlist "
    "has no #EXT-X-PROGRAM-DATE-TIME: the asset loses its wall-clock position.",
    7,
    SEGMENTS,
)
PDT_TIMEZONE = _check(
    "pdt-timezone",
    WARNING,
    "#EXT-X-PROGRAM-DATE-TIME values carry no time zone; they are read as UTC.",
    7,
    SEGMENTS,
)
GAP = _check(
    "gap",
    ERROR,
    "A segment starts later than the previous one ends (by its program date time), with no discontinuity between them.",
    17,
    SEGMENTS,
)
OVERLAP = _check(
    "overlap",
    ERROR,
    "A segment starts before the previous one ends (by its program date time), with no discontinuity between them.",
    17,
    SEGMENTS,
)
GAP_TAG = _check("gap-tag", ERROR, "A segment is marked #EXT-X-GAP: the asset has no media for it.", 17, SEGMENTS)
MISSING_SEGMENT = _check(
    "missing-segment",
    ERROR,
    "A segment a playlist names is not in the listing, or could not be read when it was fetched to decode.",
    18,
    SEGMENTS,
)
ZERO_BYTE_SEGMENT = _check("zero-byte-segment", ERROR, "A media or init segment object is empty.", 18, SEGMENTS)
MISSING_INIT_SEGMENT = _check(
    "missing-init-segment",
    ERROR,
    "The init segment an #EXT-X-MAP names is not in the listing.",
    9,
    SEGMENTS,
)
BYTERANGE = _check(
    "byterange",
    ERROR,
    "An #EXT-X-BYTERANGE is malformed (not <length>[@<offset>] in decimal digits) or reaches past the "
    "end of its object.",
    18,
    SEGMENTS,
)

# --------------------------------------------------------------------------- window
TARGET_DURATION_MISMATCH = _check(
    "target-duration-mismatch",
    ERROR,
    "The audio and video renditions do not all have the same #EXT-X-TARGETDURATION.",
    15,
    WINDOW,
)
RENDITION_MISMATCH = _check(
    "rendition-mismatch",
    ERROR,
    "A rendition starts or ends at another wall-clock time than the reference rendition (the first video "
    "one), beyond the tolerance.",
    14,
    WINDOW,
)
WINDOW_START_LATE = _check(
    "window-start-late",
    ERROR,
    "A rendition starts after the requested window start: the beginning of the window is missing.",
    16,
    WINDOW,
)
WINDOW_START_EARLY = _check(
    "window-start-early",
    ERROR,
    "More than a rendition's first segment lies before the requested window start.",
    16,
    WINDOW,
)
WINDOW_END_EARLY = _check(
    "window-end-early",
    ERROR,
    "A rendition ends before the requested window end: the end of the window is missing.",
    16,
    WINDOW,
)
WINDOW_END_LATE = _check(
    "window-end-late",
    ERROR,
    "A rendition's last segment starts at or after the requested window end.",
    16,
    WINDOW,
)

# --------------------------------------------------------------------------- sizes
TS_PACKET_SIZE = _check(
    "ts-packet-size",
    WARNING,
    "A TS segment's listed size is not a whole number of 188-byte packets (truncated or padded?); it is read "
    "and decoded to see.",
    20,
    SIZES,
)
SEGMENT_SIZE = _check(
    "segment-size",
    WARNING,
    "A segment's bitrate (listed size x 8 / #EXTINF) is far outside its rendition's: below or above the "
    "band around the rendition's median (widened by its own spread), or above 1.5 x the variant's "
    "declared peak BANDWIDTH; it is read and decoded to see why.",
    21,
    SIZES,
)

# --------------------------------------------------------------------------- structure
SYNC_BYTE = _check(
    "sync-byte",
    ERROR,
    "A TS segment does not start with the sync byte 0x47, or loses it: a packet does not start 188 bytes "
    "after the previous one (garbage or another format).",
    21,
    STRUCTURE,
)
PAT_PMT = _check(
    "pat-pmt",
    ERROR,
    "A TS segment has no PAT, or no PMT it names, in its first packets.",
    20,
    STRUCTURE,
)
SEGMENT_STRUCTURE = _check(
    "segment-structure",
    ERROR,
    "An fMP4 segment does not start with a segment box (styp, sidx, moof), holds a box no media segment "
    "holds, has a box that ends past the object (truncated) or bytes after its last box (padded), or a "
    "track fragment of a track its init segment does not have.",
    21,
    STRUCTURE,
)
SEGMENT_STREAMS = _check(
    "segment-streams",
    ERROR,
    "A segment carries other streams or codec parameters than its rendition's other segments (another "
    "rendition's segment), or a picture size other than the variant's RESOLUTION.",
    21,
    STRUCTURE,
)
MEDIA_TIME = _check(
    "media-time",
    ERROR,
    "A segment's first media timestamp is not where the #EXTINF durations and its neighbouring segments put "
    "it (by more than a quarter of the target duration): the rendition repeats or skips time there.",
    22,
    STRUCTURE,
)

# --------------------------------------------------------------------------- decode
SEGMENT_TOO_LARGE = _check(
    "segment-too-large",
    WARNING,
    "A segment (or init segment) to decode is bigger than the decode limit "
    f"({limits.DEFAULT_MAX_SEGMENT_BYTES // limits.MiB} MiB by default); it is not decoded.",
    ROBUSTNESS,
    DECODE,
)
CONTENT_TYPE = _check(
    "content-type",
    ERROR,
    "A segment is stored with a Content-Type that does not fit its kind (MPEG-TS, fragmented MP4, packed "
    "audio, WebVTT).",
    18,
    DECODE,
)
DECODE_FAILED = _check(
    "decode",
    ERROR,
    "A segment cannot be demuxed or decoded, has no audio or video frames, or a WebVTT segment does not "
    "start with WEBVTT.",
    20,
    DECODE,
)
TIMESTAMPS = _check(
    "timestamps",
    ERROR,
    "Decoding timestamps do not increase within a stream of a segment (a 33-bit wrap excepted).",
    20,
    DECODE,
)
SEGMENT_DURATION = _check(
    "segment-duration",
    ERROR,
    "A segment decodes to a media span that differs from its #EXTINF by more than 0.25 s or 10 %.",
    20,
    DECODE,
)

# --------------------------------------------------------------------------- verifier
VERIFIER_ERROR = _check(
    "verifier-error",
    ERROR,
    "The verifier itself failed on a stage (a bug hostile input found); the rest of the asset is still checked.",
    ROBUSTNESS,
    VERIFIER,
)
UNREFERENCED_OBJECT = _check(
    "unreferenced-object",
    WARNING,
    "Objects under the asset prefix that no playlist names (leftovers from another harvest?).",
    ROBUSTNESS,
    VERIFIER,
)

# --------------------------------------------------------------------------- dash
DASH_UNREADABLE = _check(
    "dash-unreadable",
    ERROR,
    "The MPD is not well-formed XML an MPD library can read, or is not UTF-8; nothing in it is checked.",
    DASH_STATIC,
    DASH,
)
DASH_NOT_STATIC = _check(
    "dash-not-static",
    ERROR,
    "The MPD is not type static, has no mediaPresentationDuration, or not exactly one Period: a player "
    "treats it as live or cannot place it.",
    DASH_STATIC,
    DASH,
)
DASH_ADDRESSING_UNSUPPORTED = _check(
    "dash-addressing",
    ERROR,
    "A Representation has no SegmentTemplate with a timescale and a SegmentTimeline, an S repeats without "
    "end (r=-1), or a template uses another identifier: its segments cannot all be named.",
    DASH_ADDRESSING,
    DASH,
)
DASH_TIMELINE_GAP = _check(
    "dash-timeline-gap",
    ERROR,
    "An S of a SegmentTimeline starts later (a gap) or earlier (an overlap) than the one before it ends.",
    DASH_TIMELINE,
    DASH,
)
DASH_DURATION_MISMATCH = _check(
    "dash-duration-mismatch",
    ERROR,
    "The mediaPresentationDuration differs from a Representation's timeline span by more than one segment.",
    DASH_TIMELINE,
    DASH,
)
DASH_NOT_WALL_CLOCK = _check(
    "dash-not-wall-clock",
    WARNING,
    "A timeline's times are not wall-clock (before 2001 in seconds since 1970): the window cannot be "
    "checked from the manifest.",
    DASH_WINDOW,
    DASH,
)

#: Every check, in the order the page lists them.
CHECKS: tuple[Check, ...] = tuple(_checks)


def checks_with_id(check_id: str) -> tuple[Check, ...]:
    """The checks reported under ``check_id`` (two where an id has an error and a warning case)."""
    return tuple(c for c in CHECKS if c.id == check_id)


# --------------------------------------------------------------------------- the page

PAGE_COMMAND = "python -m tests.support.verification_checks_page"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_page() -> str:
    """``docs/verification-checks.md``: the rules, then the checks grouped by the stage that runs them."""
    lines = [
        "# Verification checks",
        "",
        "<!-- Generated from include/live_to_vod/verification/catalog.py: do not edit by hand. -->",
        f"<!-- Regenerate with `{PAGE_COMMAND}`. -->",
        "",
        "What `verify_vod_asset` (`include/live_to_vod/verification/`) reports about a harvested VOD asset: "
        "an HLS multivariant playlist (TS or CMAF segments) or a DASH manifest. Each defect names its check "
        "id, where it is (object key, segment number and URI) and the "
        "numbers. An error fails the verify task; a warning is reported and does not. At most "
        f"{limits.MAX_DEFECTS_PER_CHECK} defects of one check are listed per playlist, the rest counted in one more.",
        "",
        "## Rules",
        "",
    ]
    enforced: dict[Rule, list[str]] = {}
    for check in CHECKS:
        ids = enforced.setdefault(check.checklist_item, [])
        if f"`{check.id}`" not in ids:
            ids.append(f"`{check.id}`")
    rule_rows = [
        (rule.name, rule.rule, ", ".join(enforced.get(rule, [])) or rule.unchecked)
        for rule in (*RULES, *DASH_RULES, ROBUSTNESS)
    ]
    lines += _table(("rule", "what it asks", "checks"), rule_rows)
    for stage in STAGES:
        lines += ["", f"## {stage.title} (`{stage.module}`)", "", stage.summary, ""]
        rows = [(f"`{c.id}`", c.severity, c.meaning, c.checklist_item.name) for c in CHECKS if c.stage is stage]
        lines += _table(("check", "severity", "what it means", "rule"), rows)
    lines += [
        "",
        f"{len(CHECKS)} checks, {len({c.id for c in CHECKS})} ids. MP4 checks (MediaConvert outputs) will come "
        "with a stage of their own (`mp4`). How segments are read (sampled and full modes): "
        "[verification.md](verification.md).",
    ]
    return "\n".join(lines) + "\n"
