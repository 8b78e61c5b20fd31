"""Media playlists (rules HLS-2 to HLS-9): the tags of each rendition playlist, then its segments.

:func:`check_media_playlist` runs one named step per rule on a parsed rendition playlist, then
hands its segment lines to :func:`~.segments.check_segments`. Checks of the fMP4/CMAF boxes
behind #EXT-X-MAP will live in ``fmp4.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition
from live_to_vod.verification.limits import MAX_KEY_TAGS
from live_to_vod.verification.playlists import LineFacts, parse, read_playlist
from live_to_vod.verification.segments import check_segments
from live_to_vod.verification.uris import basename, dirname, resolve

__all__ = ["check_key_uris", "check_media_playlist"]


@dataclass(frozen=True)
class _Playlist:
    """One parsed rendition playlist and how messages name it."""

    key: str
    what: str
    text: str
    data: dict
    facts: LineFacts

    @property
    def counts(self) -> dict[str, int]:
        return self.facts.tag_counts


def check_media_playlist(ctx: Context, rendition: Rendition, preparsed: tuple | None = None) -> None:
    """Check one rendition playlist (read and parsed here unless ``preparsed`` is its ``(text, data, facts)``)."""
    key = rendition.key
    assert key is not None
    what = f"rendition playlist {basename(key)}"
    if preparsed is None:
        text = read_playlist(ctx, key, what, catalog.MISSING_RENDITION)
        if text is None:
            return
        parsed = parse(ctx.defects, text, key, what)
        if parsed is None:
            return
        data, facts = parsed
    else:
        text, data, facts = preparsed
    if data.get("is_variant") or data.get("playlists"):
        ctx.defects.add(
            catalog.NOT_MEDIA_PLAYLIST,
            key,
            f"{what} is a multivariant playlist, not a media playlist; the playlists it names were not followed",
        )
        return
    rendition.parsed = True
    playlist = _Playlist(key, what, text, data, facts)
    _check_target_duration(ctx, rendition, playlist)
    _check_extinf_commas(ctx, playlist)
    _check_version(ctx, playlist)
    _check_vod_and_endlist(ctx, playlist)
    _check_sequences(ctx, playlist, timed=rendition.timed)
    _check_map_uris(ctx, playlist)
    _check_encryption(ctx, playlist)
    segments = data.get("segments") or []
    if not segments:
        ctx.defects.add(catalog.NO_SEGMENTS, key, f"{what} names no media segments")
        return
    check_segments(ctx, rendition, segments, what=what)


def _check_target_duration(ctx: Context, rendition: Rendition, p: _Playlist) -> None:
    """HLS-2: one valid #EXT-X-TARGETDURATION (each segment is held to it in the segment checks)."""
    target = p.data.get("targetduration")
    rendition.target_duration = target if isinstance(target, int) and 0 <= target < 2**64 else None
    if target is None:
        ctx.defects.add(catalog.TARGET_DURATION, p.key, f"{p.what} has no #EXT-X-TARGETDURATION")
    elif rendition.target_duration is None:
        ctx.defects.add(
            catalog.TARGET_DURATION, p.key, f"{p.what} has an invalid #EXT-X-TARGETDURATION:{clip(target, 40)}"
        )
    elif p.counts.get("#EXT-X-TARGETDURATION", 0) > 1:
        ctx.defects.add(
            catalog.TARGET_DURATION,
            p.key,
            f"{p.what} has {p.counts['#EXT-X-TARGETDURATION']} #EXT-X-TARGETDURATION tags",
        )


def _check_extinf_commas(ctx: Context, p: _Playlist) -> None:
    """HLS-3: #EXTINF with the comma after the duration."""
    facts = p.facts
    if not facts.extinf_without_comma_count:
        return
    lines = ", ".join(str(n) for n in facts.extinf_without_comma)
    more = facts.extinf_without_comma_count - len(facts.extinf_without_comma)
    ctx.defects.add(
        catalog.EXTINF,
        p.key,
        f"{p.what} has {facts.extinf_without_comma_count} #EXTINF tag(s) without the comma after the "
        f"duration (line(s) {lines}{f' and {more} more' if more > 0 else ''})",
    )


def _version_needs(p: _Playlist) -> list[tuple[int, str]]:
    """``(version, feature)`` for every feature the playlist uses that needs a minimum version."""
    facts, counts = p.facts, p.counts
    needs: list[tuple[int, str]] = []
    if facts.key_iv:
        needs.append((2, "an IV attribute on #EXT-X-KEY"))
    if facts.decimal_extinf:
        needs.append((3, "decimal #EXTINF durations"))
    if counts.get("#EXT-X-BYTERANGE") or counts.get("#EXT-X-I-FRAMES-ONLY"):
        needs.append((4, "#EXT-X-BYTERANGE / #EXT-X-I-FRAMES-ONLY"))
    if facts.key_format:
        needs.append((5, "KEYFORMAT on #EXT-X-KEY"))
    if counts.get("#EXT-X-MAP") and not p.data.get("is_i_frames_only"):
        needs.append((6, "#EXT-X-MAP"))
    return needs


def _check_version(ctx: Context, p: _Playlist) -> None:
    """HLS-4: exactly one #EXT-X-VERSION, at least what the features used need."""
    version = p.data.get("version")
    version_tags = p.counts.get("#EXT-X-VERSION", 0)
    if version is None:
        ctx.defects.add(catalog.VERSION, p.key, f"{p.what} has no #EXT-X-VERSION")
    elif version_tags > 1:
        ctx.defects.add(
            catalog.VERSION, p.key, f"{p.what} has {version_tags} #EXT-X-VERSION tags; exactly one is allowed"
        )
    needs = _version_needs(p)
    if isinstance(version, int) and needs:
        required, feature = max(needs)
        if version < required:
            ctx.defects.add(
                catalog.VERSION,
                p.key,
                f"{p.what} declares #EXT-X-VERSION:{version} but uses {feature}, which needs "
                f"version {required} or higher",
            )


def _check_vod_and_endlist(ctx: Context, p: _Playlist) -> None:
    """HLS-5: #EXT-X-PLAYLIST-TYPE:VOD and one #EXT-X-ENDLIST at the end; a missing one may mean truncation."""
    add, key, what, facts = ctx.defects.add, p.key, p.what, p.facts
    playlist_type = p.data.get("playlist_type")
    if playlist_type != "vod":
        found = clip(playlist_type).upper() if playlist_type else "none"
        add(catalog.PLAYLIST_TYPE, key, f"{what} is not #EXT-X-PLAYLIST-TYPE:VOD (found {found})")
    if p.counts.get("#EXT-X-ENDLIST", 0) > 1:
        lines = ", ".join(str(n) for n in facts.endlist_lines)
        add(
            catalog.ENDLIST,
            key,
            f"{what} has {p.counts['#EXT-X-ENDLIST']} #EXT-X-ENDLIST tags (line(s) {lines}); exactly one, "
            "at the end, is allowed",
        )
    if facts.segments_at_endlist is not None:
        after = sum(1 for seg in (p.data.get("segments") or [])[facts.segments_at_endlist :] if seg.get("uri"))
        if after:
            add(
                catalog.ENDLIST,
                key,
                f"{what} has {after} segment(s) after #EXT-X-ENDLIST (line {facts.endlist_lines[0]}); "
                "players stop at #EXT-X-ENDLIST",
            )
    if not p.data.get("is_endlist"):
        add(catalog.NO_ENDLIST, key, f"{what} has no #EXT-X-ENDLIST: it is not a finished VOD playlist")
        if not p.text.endswith("\n"):
            last = p.text.rstrip("\r").rsplit("\n", 1)[-1]
            add(catalog.TRUNCATED_PLAYLIST, key, f"{what} ends in the middle of a line ('{clip(last, 80)}')")


def _check_sequences(ctx: Context, p: _Playlist, *, timed: bool) -> None:
    """HLS-6: #EXT-X-MEDIA-SEQUENCE and #EXT-X-DISCONTINUITY-SEQUENCE before the first segment."""
    add, key, what, facts = ctx.defects.add, p.key, p.what, p.facts
    if not p.counts.get("#EXT-X-MEDIA-SEQUENCE"):
        add(catalog.MEDIA_SEQUENCE, key, f"{what} has no #EXT-X-MEDIA-SEQUENCE")
    elif facts.late_media_sequence is not None:
        add(
            catalog.MEDIA_SEQUENCE,
            key,
            f"{what} has #EXT-X-MEDIA-SEQUENCE after the first segment (line {facts.late_media_sequence})",
        )
    if facts.late_discontinuity_sequence is not None:
        add(
            catalog.DISCONTINUITY_SEQUENCE,
            key,
            f"{what} has #EXT-X-DISCONTINUITY-SEQUENCE after the first segment "
            f"(line {facts.late_discontinuity_sequence})",
        )
    elif not p.counts.get("#EXT-X-DISCONTINUITY-SEQUENCE") and timed:
        add(catalog.NO_DISCONTINUITY_SEQUENCE, key, f"{what} has no #EXT-X-DISCONTINUITY-SEQUENCE")


def _check_map_uris(ctx: Context, p: _Playlist) -> None:
    """HLS-9: an #EXT-X-MAP without a URI, which m3u8 drops silently."""
    if p.facts.map_without_uri:
        lines = ", ".join(str(n) for n in p.facts.map_without_uri)
        ctx.defects.add(
            catalog.MISSING_MAP, p.key, f"{p.what} has #EXT-X-MAP without a URI attribute (line(s) {lines})"
        )


def _check_encryption(ctx: Context, p: _Playlist) -> None:
    """HLS-8: encryption cannot be handed to MediaPackage VOD; key URIs are confined all the same."""
    keys = [k for k in (p.data.get("keys") or []) if k and str(k.get("method", "")).upper() != "NONE"]
    if keys or p.facts.key_tags > MAX_KEY_TAGS:
        methods = sorted({str(k.get("method")) for k in keys}) or ["?"]
        ctx.defects.add(
            catalog.ENCRYPTED,
            p.key,
            f"{p.what} is encrypted (#EXT-X-KEY METHOD={','.join(methods)}): MediaPackage VOD cannot "
            "ingest encrypted assets",
        )
    check_key_uris(ctx, keys, "#EXT-X-KEY", dirname(p.key), p.key, p.what)


def check_key_uris(ctx: Context, keys: Iterable[Any], tag: str, base_dir: str, key: str, what: str) -> None:
    """Name every key URI that is not a plain object inside the prefix (keys are never fetched)."""
    seen: set[str] = set()
    for entry in keys:
        uri = entry.get("uri") if isinstance(entry, dict) else None
        if uri is None or str(uri) in seen:
            continue
        uri = str(uri)
        seen.add(uri)
        kkey, check, reason = resolve(base_dir, uri, ctx.prefix)
        if kkey is None:
            ctx.defects.add(check, key, f"{tag} URI '{clip(uri)}' in {what} {reason}; it was not fetched", group=key)
        else:
            ctx.referenced.add(kkey)
