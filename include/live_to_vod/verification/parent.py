"""The multivariant playlist (rules HLS-11, HLS-12): its tags, its variants and the renditions it names.

:func:`check_parent` reads the parent manifest and fills ``ctx.renditions`` with its direct
children (variants, #EXT-X-MEDIA and I-frame playlists), at most :data:`~.limits.MAX_RENDITIONS`
of them and never recursively. A DASH MPD parent will have its own module (``dash.py``).
"""

from __future__ import annotations

from typing import Any

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition
from live_to_vod.verification.limits import MAX_RENDITIONS
from live_to_vod.verification.media_playlist import check_key_uris, check_media_playlist
from live_to_vod.verification.media_types import AUDIO_CODEC_PREFIXES
from live_to_vod.verification.playlists import LineFacts, parse, read_playlist
from live_to_vod.verification.uris import basename, resolve

__all__ = ["check_parent"]

#: Tags that belong to media playlists / media segments and must not be in a parent (HLS-11).
MEDIA_ONLY_TAGS = frozenset(
    {
        "#EXTINF",
        "#EXT-X-TARGETDURATION",
        "#EXT-X-MEDIA-SEQUENCE",
        "#EXT-X-DISCONTINUITY-SEQUENCE",
        "#EXT-X-DISCONTINUITY",
        "#EXT-X-ENDLIST",
        "#EXT-X-PLAYLIST-TYPE",
        "#EXT-X-I-FRAMES-ONLY",
        "#EXT-X-BYTERANGE",
        "#EXT-X-KEY",
        "#EXT-X-MAP",
        "#EXT-X-PROGRAM-DATE-TIME",
        "#EXT-X-GAP",
        "#EXT-X-BITRATE",
        "#EXT-X-PART",
    }
)
_MEDIA_KINDS = {"AUDIO": "audio", "VIDEO": "video", "SUBTITLES": "subtitles"}
_GROUP_ATTRIBUTES = (("audio", "AUDIO"), ("video", "VIDEO"), ("subtitles", "SUBTITLES"))


def check_parent(ctx: Context) -> None:
    """Check the parent manifest and collect the renditions it names into ``ctx.renditions``."""
    key = ctx.manifest_key
    text = read_playlist(ctx, key, "the parent manifest", catalog.MISSING_MANIFEST)
    if text is None:
        return
    parsed = parse(ctx.defects, text, key, "the parent manifest")
    if parsed is None:
        return
    data, facts = parsed
    stream_infs = facts.tag_counts.get("#EXT-X-STREAM-INF", 0)
    if not data.get("is_variant") or not stream_infs:
        _not_multivariant(ctx, text, data, facts)
        return
    _check_parent_tags(ctx, data, facts)
    playlists = data.get("playlists") or []
    if len(playlists) < stream_infs:
        ctx.defects.add(
            catalog.TRUNCATED_PLAYLIST,
            key,
            f"{stream_infs - len(playlists)} #EXT-X-STREAM-INF tag(s) are not followed by a playlist URI",
        )
    media = data.get("media") or []
    children = _Children(ctx)
    _check_variants(ctx, playlists, _media_groups(media), children)
    _add_media_renditions(media, children)
    _add_iframe_renditions(data.get("iframe_playlists") or [], children)
    _reference_session_data(ctx, data.get("session_data") or [])
    children.report_beyond_cap()


def _not_multivariant(ctx: Context, text: str, data: dict, facts: LineFacts) -> None:
    """A parent without #EXT-X-STREAM-INF: checked as the only rendition when it is a media playlist."""
    key = ctx.manifest_key
    if not data.get("segments"):
        ctx.defects.add(catalog.NOT_MULTIVARIANT, key, "the parent manifest names no renditions (no #EXT-X-STREAM-INF)")
        return
    ctx.defects.add(
        catalog.NOT_MULTIVARIANT,
        key,
        "the parent manifest is a media playlist, not a multivariant playlist with "
        "#EXT-X-STREAM-INF renditions; checking it as the only rendition",
    )
    rendition = Rendition(uri=basename(key), kind="video", key=key)
    ctx.renditions.append(rendition)
    rendition.checked = True
    check_media_playlist(ctx, rendition, (text, data, facts))


def _check_parent_tags(ctx: Context, data: dict, facts: LineFacts) -> None:
    """No media playlist tags (HLS-11); a session key means an encrypted asset (HLS-8)."""
    key = ctx.manifest_key
    found = sorted(t for t in facts.tag_counts if t in MEDIA_ONLY_TAGS)
    if found:
        ctx.defects.add(
            catalog.MEDIA_TAG_IN_PARENT,
            key,
            f"the parent manifest contains media playlist tags: {', '.join(found)}",
        )
    if data.get("session_keys"):
        ctx.defects.add(
            catalog.ENCRYPTED, key, "the parent manifest declares #EXT-X-SESSION-KEY: the asset is encrypted"
        )
        check_key_uris(ctx, data["session_keys"], "#EXT-X-SESSION-KEY", ctx.prefix, key, "the parent manifest")


def _media_groups(media: list[dict]) -> dict[str, set[str]]:
    """The GROUP-IDs the #EXT-X-MEDIA tags declare, by TYPE."""
    groups: dict[str, set[str]] = {}
    for entry in media:
        mtype = str(entry.get("type") or "").upper()
        gid = entry.get("group_id")
        if gid is not None:
            groups.setdefault(mtype, set()).add(str(gid))
    return groups


class _Children:
    """The distinct child playlists named so far, up to :data:`MAX_RENDITIONS` (rule HLS-13 on each URI)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seen: dict[str, Rendition] = {}
        self.beyond_cap: set[str] = set()

    def add(self, uri: Any, kind: str, what: str, **attrs: Any) -> None:
        ctx, key = self.ctx, self.ctx.manifest_key
        add = ctx.defects.add
        if uri is None:
            add(catalog.URI_INVALID, key, f"{what} has no URI attribute", group=key)
            return
        uri = str(uri)
        rkey, check, reason = resolve(ctx.prefix, uri, ctx.prefix)
        if rkey is None:
            add(check, key, f"{what} URI '{clip(uri)}' {reason}; it was not fetched", group=key)
            return
        if rkey == key:
            add(
                catalog.RECURSIVE_PLAYLIST,
                key,
                f"{what} URI '{clip(uri)}' names the parent manifest itself; it was not read again",
                group=key,
            )
            return
        if rkey in self.seen:
            return
        if len(self.seen) >= MAX_RENDITIONS:
            self.beyond_cap.add(rkey)
            return
        rendition = Rendition(uri=uri, kind=kind, key=rkey, **attrs)
        self.seen[rkey] = rendition
        ctx.renditions.append(rendition)
        if rkey not in ctx.objects:
            ctx.referenced.add(rkey)
            rendition.checked = True
            add(
                catalog.MISSING_RENDITION,
                rkey,
                f"rendition playlist {clip(uri)} is named by {basename(key)} but does not exist in the "
                f"bucket under {ctx.prefix}",
                group=key,
            )

    def report_beyond_cap(self) -> None:
        if self.beyond_cap:
            self.ctx.defects.add(
                catalog.TOO_MANY_RENDITIONS,
                self.ctx.manifest_key,
                f"the parent manifest names {len(self.seen) + len(self.beyond_cap)} distinct playlists; only the "
                f"first {MAX_RENDITIONS} were checked, the other {len(self.beyond_cap)} were not fetched",
            )


def _check_variants(ctx: Context, playlists: list[dict], groups: dict[str, set[str]], children: _Children) -> None:
    """Each #EXT-X-STREAM-INF: its attributes and groups (HLS-12), then its playlist as a rendition."""
    for number, playlist in enumerate(playlists, 1):
        info = playlist.get("stream_info") or {}
        uri = playlist.get("uri")
        where = f"{ctx.manifest_key} #EXT-X-STREAM-INF {number} ({clip(uri, 60)})"
        audio_only = _check_stream_inf_attributes(ctx, info, where)
        _check_stream_inf_groups(ctx, info, groups, where)
        if uri is None:
            continue
        bandwidth, resolution, codecs = info.get("bandwidth"), info.get("resolution"), info.get("codecs")
        frame_rate, average = info.get("frame_rate"), info.get("average_bandwidth")
        children.add(
            uri,
            "audio" if audio_only and not resolution else "video",
            "rendition",
            bandwidth=bandwidth if isinstance(bandwidth, int) else None,
            average_bandwidth=average if isinstance(average, int) else None,
            resolution=str(resolution).strip('"') if resolution else None,
            codecs=str(codecs) if codecs else None,
            frame_rate=frame_rate if isinstance(frame_rate, float) else None,
        )


def _check_stream_inf_attributes(ctx: Context, info: dict, where: str) -> bool:
    """BANDWIDTH, CODECS and RESOLUTION; returns whether the variant is audio-only by its CODECS."""
    add, key = ctx.defects.add, ctx.manifest_key
    if info.get("bandwidth") is None:
        add(catalog.STREAM_INF_BANDWIDTH, where, "#EXT-X-STREAM-INF has no BANDWIDTH attribute", group=key)
    codecs = info.get("codecs")
    audio_only = bool(codecs) and all(c.strip().startswith(AUDIO_CODEC_PREFIXES) for c in str(codecs).split(","))
    if not codecs:
        add(catalog.STREAM_INF_CODECS, where, "#EXT-X-STREAM-INF has no CODECS attribute", group=key)
    if not info.get("resolution") and not audio_only:
        add(catalog.STREAM_INF_RESOLUTION, where, "#EXT-X-STREAM-INF has no RESOLUTION attribute", group=key)
    return audio_only


def _check_stream_inf_groups(ctx: Context, info: dict, groups: dict[str, set[str]], where: str) -> None:
    """Every AUDIO/VIDEO/SUBTITLES/CLOSED-CAPTIONS group the variant names is declared by #EXT-X-MEDIA."""
    add, key = ctx.defects.add, ctx.manifest_key
    for attr, mtype in _GROUP_ATTRIBUTES:
        gid = info.get(attr)
        if gid is not None and str(gid) not in groups.get(mtype, set()):
            add(
                catalog.MISSING_MEDIA_GROUP,
                where,
                f'{mtype}="{clip(gid, 60)}" names a group with no #EXT-X-MEDIA TYPE={mtype} GROUP-ID="{clip(gid, 60)}"',
                group=key,
            )
    cc = info.get("closed_captions")
    if cc is not None and str(cc) != "NONE":
        gid = str(cc).strip("\"'")
        if gid not in groups.get("CLOSED-CAPTIONS", set()):
            add(
                catalog.MISSING_MEDIA_GROUP,
                where,
                f'CLOSED-CAPTIONS="{clip(gid, 60)}" names a group with no #EXT-X-MEDIA TYPE=CLOSED-CAPTIONS',
                group=key,
            )


def _add_media_renditions(media: list[dict], children: _Children) -> None:
    for entry in media:
        uri = entry.get("uri")
        if uri is None:
            continue
        mtype = str(entry.get("type") or "").upper()
        children.add(
            uri,
            _MEDIA_KINDS.get(mtype, "other"),
            f"#EXT-X-MEDIA TYPE={clip(mtype, 20)}",
            group_id=str(entry["group_id"]) if entry.get("group_id") is not None else None,
            name=str(entry["name"]) if entry.get("name") is not None else None,
        )


def _add_iframe_renditions(iframe_playlists: list[dict], children: _Children) -> None:
    for entry in iframe_playlists:
        info = entry.get("iframe_stream_info") or {}
        children.add(
            entry.get("uri"),
            "iframe",
            "#EXT-X-I-FRAME-STREAM-INF",
            bandwidth=info.get("bandwidth") if isinstance(info.get("bandwidth"), int) else None,
            codecs=str(info["codecs"]) if info.get("codecs") else None,
        )


def _reference_session_data(ctx: Context, session_data: list[dict]) -> None:
    """#EXT-X-SESSION-DATA URIs: confined like any other (HLS-13), their objects are the asset's."""
    key = ctx.manifest_key
    for entry in session_data:
        uri = entry.get("uri")
        if uri is None:
            continue
        skey, check, reason = resolve(ctx.prefix, str(uri), ctx.prefix)
        if skey is None:
            ctx.defects.add(check, key, f"#EXT-X-SESSION-DATA URI '{clip(uri)}' {reason}", group=key)
        else:
            ctx.referenced.add(skey)
