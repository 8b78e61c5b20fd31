"""Reading playlists: fetching within the caps, encoding and header (rule HLS-1), parsing with m3u8.

Every playlist, parent or child, comes through :func:`read_playlist` then :func:`parse`. Both
turn whatever the object holds into defects: an oversized (:data:`~.limits.MAX_PLAYLIST_BYTES`,
:data:`~.limits.MAX_PLAYLIST_LINES`), binary, non-UTF-8 or unparseable playlist is reported,
never raised. :class:`LineFacts` collects, line by line while m3u8 parses, what m3u8's result
does not keep (tag counts, line numbers, where sequence tags stand); :func:`stray_lines` finds
the lines m3u8 silently drops.
"""

from __future__ import annotations

import m3u8

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.catalog import Check
from live_to_vod.verification.context import Context
from live_to_vod.verification.limits import MAX_DEFECTS_PER_CHECK, MAX_KEY_TAGS, MAX_PLAYLIST_LINES
from live_to_vod.verification.media_types import MPEGURL_TYPES, content_type
from live_to_vod.verification.report import DefectLog
from live_to_vod.verification.store import FetchedObject
from live_to_vod.verification.uris import basename

__all__ = ["BOM", "LineFacts", "line_count", "parse", "read_playlist", "stray_lines"]

BOM = b"\xef\xbb\xbf"
# What str.splitlines (and so m3u8) treats as a line end.
_LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def line_count(text: str) -> int:
    """How many lines ``text.splitlines()`` would make, without making them."""
    return sum(text.count(c) for c in _LINE_BREAKS) - text.count("\r\n") + 1


def stray_lines(text: str) -> tuple[int, list[tuple[int, str]]]:
    """Non-tag lines m3u8 silently drops: not after an #EXTINF/#EXT-X-BYTERANGE/#EXT-X-STREAM-INF.

    Mirrors m3u8's own line loop (same ``strip().splitlines()`` numbering); returns the
    count and the first :data:`MAX_DEFECTS_PER_CHECK` ``(line number, line)``.
    """
    count = 0
    first: list[tuple[int, str]] = []
    expect_segment = expect_playlist = False
    for lineno, line in enumerate(text.strip().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith(("#EXT-X-BYTERANGE", "#EXTINF")):
                expect_segment = True
            elif line.startswith("#EXT-X-STREAM-INF"):
                expect_playlist = True
        elif expect_segment:
            expect_segment = False
        elif expect_playlist:
            expect_playlist = False
        else:
            count += 1
            if len(first) < MAX_DEFECTS_PER_CHECK:
                first.append((lineno, line))
    return count, first


class LineFacts:
    """What m3u8's parse result does not keep; filled through ``custom_tags_parser``."""

    def __init__(self) -> None:
        self.lineno = 0
        self.line = ""
        self.tag_counts: dict[str, int] = {}
        self.extinf_without_comma: list[int] = []
        self.extinf_without_comma_count = 0
        self.decimal_extinf = False
        self.late_media_sequence: int | None = None
        self.late_discontinuity_sequence: int | None = None
        self.key_tags = 0
        self.key_iv = False
        self.key_format = False
        self.endlist_lines: list[int] = []
        self.segments_at_endlist: int | None = None
        self.map_without_uri: list[int] = []

    def observe(self, line: str, lineno: int, data: dict, state: dict) -> bool:
        """m3u8's hook for every tag line; ``True`` tells m3u8 to skip the line."""
        self.lineno = lineno
        self.line = line
        tag = line.split(":", 1)[0]
        counts = self.tag_counts
        counts[tag] = counts.get(tag, 0) + 1
        if tag == "#EXTINF":  # the hot path: one per segment
            value = line[len("#EXTINF:") :]
            if "," not in value:
                self.extinf_without_comma_count += 1
                if len(self.extinf_without_comma) < MAX_DEFECTS_PER_CHECK:
                    self.extinf_without_comma.append(lineno)
            number = value.split(",", 1)[0].strip().lower()
            if "." in number or "e" in number:
                self.decimal_extinf = True
        elif tag == "#EXT-X-MEDIA-SEQUENCE":
            if self.late_media_sequence is None and (data["segments"] or "segment" in state):
                self.late_media_sequence = lineno
        elif tag == "#EXT-X-DISCONTINUITY-SEQUENCE":
            if self.late_discontinuity_sequence is None and (data["segments"] or "segment" in state):
                self.late_discontinuity_sequence = lineno
        elif tag == "#EXT-X-MAP":
            if "URI=" not in line.upper() and len(self.map_without_uri) < MAX_DEFECTS_PER_CHECK:
                self.map_without_uri.append(lineno)
        elif tag == "#EXT-X-ENDLIST":
            if len(self.endlist_lines) < MAX_DEFECTS_PER_CHECK:
                self.endlist_lines.append(lineno)
            if self.segments_at_endlist is None:
                self.segments_at_endlist = len(data["segments"])
        elif tag == "#EXT-X-KEY":
            return self._key(line)
        return False

    def _key(self, line: str) -> bool:
        self.key_tags += 1
        upper = line.upper()
        self.key_iv = self.key_iv or ",IV=" in upper or ":IV=" in upper
        self.key_format = self.key_format or "KEYFORMAT" in upper
        return self.key_tags > MAX_KEY_TAGS  # keep m3u8's quadratic key bookkeeping bounded


# --------------------------------------------------------------------------- reading


def read_playlist(ctx: Context, key: str, what: str, missing_check: Check) -> str | None:
    """Fetch and decode one playlist; ``None`` (with defects) when unusable.

    ``missing_check`` is reported when the key is not listed or gone when read.
    """
    ctx.referenced.add(key)
    fetched = _fetch(ctx, key, what, missing_check)
    if fetched is None:
        return None
    text = _decode(ctx.defects, fetched.body, key, what)
    if text is None:
        return None
    lines = line_count(text)
    if lines > MAX_PLAYLIST_LINES:
        ctx.defects.add(
            catalog.PLAYLIST_TOO_LARGE,
            key,
            f"{what} has {lines} lines, more than the {MAX_PLAYLIST_LINES}-line limit; not parsed",
        )
        return None
    _check_content_type(ctx.defects, fetched, key, what)
    return text


def fetch_text(ctx: Context, key: str, what: str, missing_check: Check) -> str | None:
    """Fetch and decode a manifest that is not a playlist (a DASH MPD): the same size and UTF-8 rules."""
    ctx.referenced.add(key)
    fetched = _fetch(ctx, key, what, missing_check)
    return None if fetched is None else _decode(ctx.defects, fetched.body, key, what, playlist=False)


def _fetch(ctx: Context, key: str, what: str, missing_check: Check) -> FetchedObject | None:
    """The object, when listed and within the byte limit (read ranged: never more than one byte over)."""
    add = ctx.defects.add
    size = ctx.objects.get(key)
    if size is None:
        add(missing_check, key, f"{what} {basename(key)} does not exist in the bucket under {ctx.prefix}")
        return None
    limit = ctx.max_playlist_bytes
    if size > limit:
        add(catalog.PLAYLIST_TOO_LARGE, key, f"{what} is {size} bytes, more than the {limit}-byte limit; not read")
        return None
    fetched = ctx.reader.get(key, limit + 1)
    if fetched is None:
        add(missing_check, key, f"{what} {basename(key)} was listed but could not be found when read")
        return None
    if len(fetched.body) > limit:
        add(catalog.PLAYLIST_TOO_LARGE, key, f"{what} is larger than the {limit}-byte limit; not read")
        return None
    return fetched


def _decode(defects: DefectLog, body: bytes, key: str, what: str, *, playlist: bool = True) -> str | None:
    """The text: not empty, UTF-8 (a BOM reported and skipped), and for a playlist first line #EXTM3U."""
    add = defects.add
    if not body:
        add(catalog.EMPTY_PLAYLIST, key, f"{what} is empty (0 bytes)")
        return None
    if body.startswith(BOM):
        add(catalog.BOM, key, f"{what} starts with a UTF-8 byte order mark; playlists must be UTF-8 without BOM")
        body = body[len(BOM) :]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        add(catalog.NOT_UTF8, key, f"{what} is not valid UTF-8 (bad byte at offset {exc.start}); not a playlist")
        return None
    first_line = text.split("\n", 1)[0].strip()
    if playlist and first_line != "#EXTM3U":
        add(catalog.EXTM3U, key, f"{what} does not start with #EXTM3U (first line: '{clip(first_line, 60)}')")
        return None
    return text


def _check_content_type(defects: DefectLog, fetched: FetchedObject, key: str, what: str) -> None:
    ctype = content_type(fetched.content_type)
    if ctype in MPEGURL_TYPES:
        return
    if not key.endswith(".m3u8"):
        defects.add(
            catalog.PLAYLIST_CONTENT_TYPE,
            key,
            f"{what} is stored with Content-Type {ctype or '(none)'} and its name does not end in "
            ".m3u8; players need application/vnd.apple.mpegurl",
        )
    elif ctype is not None:
        defects.add(
            catalog.PLAYLIST_CONTENT_TYPE_OF_M3U8,
            key,
            f"{what} is stored with Content-Type {ctype}, not application/vnd.apple.mpegurl",
        )


# --------------------------------------------------------------------------- parsing


def parse(defects: DefectLog, text: str, key: str, what: str) -> tuple[dict, LineFacts] | None:
    """m3u8's parse of ``text`` and the :class:`LineFacts`; ``None`` (with defects) when it cannot parse."""
    facts = LineFacts()
    try:
        data = m3u8.parse(text, strict=False, custom_tags_parser=facts.observe)
    except Exception as exc:  # noqa: BLE001 - m3u8 raises anything from ValueError to KeyError
        near = f" near line {facts.lineno} ('{clip(facts.line, 80)}')" if facts.lineno else ""
        defects.add(catalog.PARSE_ERROR, key, f"{what} cannot be parsed{near}: {type(exc).__name__}: {clip(exc, 200)}")
        if not text.endswith("\n") and "#EXT-X-ENDLIST" not in text[-64:]:
            defects.add(catalog.TRUNCATED_PLAYLIST, key, f"{what} ends in the middle of a line")
        return None
    _report_stray_lines(defects, text, key, what)
    return data, facts


def _report_stray_lines(defects: DefectLog, text: str, key: str, what: str) -> None:
    count, stray = stray_lines(text)
    for lineno, line in stray:
        defects.add(
            catalog.STRAY_LINE,
            f"{key} line {lineno}",
            f"line {lineno} of {what} ('{clip(line, 80)}') is neither a tag nor a URI that follows "
            "#EXTINF or #EXT-X-STREAM-INF; players ignore it (garbage or a segment without #EXTINF?)",
        )
    if count > len(stray):
        defects.add(
            catalog.STRAY_LINE,
            key,
            f"... and {count - len(stray)} more stray line(s) in {what} (only the first "
            f"{MAX_DEFECTS_PER_CHECK} are listed)",
        )
