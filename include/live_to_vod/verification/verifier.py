"""The orchestration: :func:`verify_vod_asset` runs the stages in order on one listing of the asset.

1. list the prefix once (:class:`~.store.AssetReader`);
2. the parent manifest (:mod:`.parent`), which finds the renditions;
3. each rendition playlist (:mod:`.media_playlist`, then :mod:`.segments`);
4. the renditions against each other and the window (:mod:`.window`);
5. every segment's size from the listing (:mod:`.sizes`);
6. unless ``segments="listing"``, the segments :mod:`.sampling` plans are read, probed, decoded
   and compared (:mod:`.structure`, :mod:`.decode`): a spread of them (``sampled``) or every one
   (``full``); ``auto`` is ``full`` for an asset of at most ``full_max_bytes``;
7. objects no playlist names.

A DASH manifest (a key ending ``.mpd``) replaces steps 2 and 3 with :mod:`.dash`, which expands
each Representation into a rendition and its segment objects; steps 4 to 7 are the same.

Each stage runs guarded: a bug that hostile input triggers becomes a ``verifier-error`` defect
and the other stages still run. Store errors other than a missing key propagate unchanged.
MP4 outputs (``mp4.py``) will be a stage of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import m3u8
import pendulum

from live_to_vod.text import clip
from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context
from live_to_vod.verification.dash import check_dash_manifest
from live_to_vod.verification.limits import DEFAULT_FULL_MAX_BYTES, DEFAULT_MAX_SEGMENT_BYTES, MAX_PLAYLIST_BYTES
from live_to_vod.verification.media_playlist import check_media_playlist
from live_to_vod.verification.parent import check_parent
from live_to_vod.verification.report import VerificationReport
from live_to_vod.verification.sampling import MODES, plan_reads
from live_to_vod.verification.sizes import check_segment_sizes
from live_to_vod.verification.store import AssetReader, AssetStore, StoreFailure
from live_to_vod.verification.structure import read_segments
from live_to_vod.verification.uris import dirname, resolve
from live_to_vod.verification.window import check_across_renditions, check_window

__all__ = ["verify_vod_asset"]


def verify_vod_asset(
    store: AssetStore,
    manifest_key: str,
    window_start: pendulum.DateTime,
    window_end: pendulum.DateTime,
    *,
    segments: str = "auto",
    full_max_bytes: int = DEFAULT_FULL_MAX_BYTES,
    max_playlist_bytes: int = MAX_PLAYLIST_BYTES,
    pdt_tolerance_seconds: float = 0.05,
    max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES,
    companions: Sequence[str] = (),
) -> VerificationReport:
    """Verify the VOD asset whose manifest is ``manifest_key``: an HLS parent, or a DASH MPD (``.mpd``).

    ``[window_start, window_end)`` is the requested harvest window. The prefix
    (the manifest's "directory") is listed once; playlists are fetched (at most
    ``max_playlist_bytes`` each, :data:`MAX_PLAYLIST_LINES` lines, :data:`MAX_RENDITIONS`
    children of the parent). ``segments`` says how media segments are read:
    ``sampled`` (the first and last of each rendition, a spread between them and every
    segment the listing finds odd), ``full`` (every one, decoded), ``auto`` (``full`` when the
    asset's segments total at most ``full_max_bytes``, else ``sampled``) or ``listing`` (none).
    A segment is decoded only when at most ``max_segment_bytes``. ``companions`` are the other
    manifests one harvest wrote beside this one over the same segments (a MediaPackage v2 job's
    HLS, LL-HLS and DASH manifests): they and the playlists they name are not leftovers. Problems
    with the asset are returned as defects; only store failures other than ``KeyError`` raise.
    """
    if segments not in MODES:
        raise ValueError(f"segments must be one of {', '.join(MODES)}, got {segments!r}")
    if full_max_bytes < 0:
        raise ValueError("full_max_bytes must not be negative")
    if not manifest_key or manifest_key.endswith("/"):
        raise ValueError(f"manifest_key must name an object, got {manifest_key!r}")
    start = pendulum.instance(window_start)
    end = pendulum.instance(window_end)
    if end <= start:
        raise ValueError(f"window_end {end} must be after window_start {start}")
    if max_playlist_bytes <= 0 or pdt_tolerance_seconds < 0:
        raise ValueError("max_playlist_bytes must be positive and pdt_tolerance_seconds non-negative")
    ctx = Context(
        reader=AssetReader(store, dirname(manifest_key)),
        manifest_key=manifest_key,
        start=start,
        end=end,
        max_playlist_bytes=max_playlist_bytes,
        tolerance=pdt_tolerance_seconds,
        max_segment_bytes=max_segment_bytes,
    )
    try:
        return _run(ctx, segments, full_max_bytes, tuple(companions))
    except StoreFailure as failure:
        raise failure.original from None


def _run(ctx: Context, segments: str, full_max_bytes: int, companions: tuple[str, ...]) -> VerificationReport:
    manifest_key, prefix = ctx.manifest_key, ctx.prefix
    ctx.reader.list()
    if manifest_key.endswith(".mpd"):
        _guard(ctx, manifest_key, "checking the DASH manifest", check_dash_manifest, ctx)
    else:
        _guard(ctx, manifest_key, "checking the parent manifest", check_parent, ctx)
    for rendition in ctx.renditions:
        if rendition.key is not None and not rendition.checked:
            rendition.checked = True
            _guard(ctx, rendition.key, "checking the rendition", check_media_playlist, ctx, rendition)
    _guard(ctx, manifest_key, "comparing renditions", check_across_renditions, ctx)
    _guard(ctx, manifest_key, "checking the window", check_window, ctx)
    timed = [r for r in ctx.renditions if r.timed]
    for rendition in timed:
        _guard(ctx, rendition.label(), "judging segment sizes", check_segment_sizes, ctx, rendition)
    if segments == "auto":
        segments = "full" if sum(r.bytes for r in timed) <= full_max_bytes else "sampled"
    ctx.reads.mode = segments
    ctx.reads.bytes_listed = sum(r.bytes for r in timed)
    for rendition in timed:
        plan = plan_reads(rendition, segments, len(timed))
        _guard(ctx, rendition.label(), "reading segments", read_segments, ctx, rendition, plan)
    _guard(ctx, prefix or manifest_key, "reading the companion manifests", _note_companions, ctx, companions)
    _guard(ctx, prefix or manifest_key, "listing unreferenced objects", _check_unreferenced, ctx)
    return VerificationReport(
        manifest_key=manifest_key,
        window_start=ctx.start,
        window_end=ctx.end,
        renditions=tuple(r.report() for r in ctx.renditions),
        defects=ctx.defects.finish(),
        objects_listed=len(ctx.objects),
        requests=ctx.reader.requests,
        prefix=prefix,
        reads=ctx.reads,
    )


def _guard(ctx: Context, location: str, what: str, func: Callable[..., Any], *args: Any) -> Any:
    """Run one stage; a bug triggered by hostile input becomes a defect, not a crash."""
    try:
        return func(*args)
    except StoreFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence, reported below
        ctx.defects.add(
            catalog.VERIFIER_ERROR,
            location,
            f"the verifier could not finish {what}: {type(exc).__name__}: {clip(exc, 300)}",
        )
        return None


def _note_companions(ctx: Context, companions: tuple[str, ...]) -> None:
    """Mark the companion manifests, and the playlists an HLS one names, as referenced (one GET each)."""
    for key in companions:
        if not key.startswith(ctx.prefix) or key not in ctx.objects:
            continue
        ctx.referenced.add(key)
        if not key.endswith(".m3u8"):
            continue  # an MPD names only the segments this asset shares
        fetched = ctx.reader.get(key, ctx.max_playlist_bytes)
        if fetched is None:
            continue
        try:
            parent = m3u8.loads(fetched.body.decode("utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - a broken companion is verified on its own
            continue
        for uri in [p.uri for p in parent.playlists] + [m.uri for m in parent.media if m.uri]:
            child, _, _ = resolve(dirname(key), uri or "", ctx.prefix)
            if child is not None:
                ctx.referenced.add(child)


def _check_unreferenced(ctx: Context) -> None:
    """Objects under the prefix that no playlist names (only when every playlist could be read)."""
    if not ctx.renditions or any(r.key in ctx.objects and not r.parsed for r in ctx.renditions):
        return  # a playlist could not be read: its segments would look like leftovers
    referenced = ctx.referenced
    stray = [k for k in ctx.objects if k not in referenced and not k.endswith("/")]
    if not stray:
        return
    stray.sort()
    shown = ", ".join(clip(k, 80) for k in stray[:5])
    ctx.defects.add(
        catalog.UNREFERENCED_OBJECT,
        ctx.prefix or ctx.manifest_key,
        f"{len(stray)} object(s) under {ctx.prefix or '(bucket root)'} are not named by any playlist "
        f"(e.g. {shown}); leftovers from another harvest?",
    )
