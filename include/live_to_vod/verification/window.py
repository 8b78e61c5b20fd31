"""The renditions against each other (rules HLS-14, HLS-15) and against the requested window (HLS-16).

Runs after every media playlist is checked, on the times the segment walk recorded: the wall
clock comes from #EXT-X-PROGRAM-DATE-TIME, so a rendition without one is left out (its
``missing-pdt`` already says why).
"""

from __future__ import annotations

from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition
from live_to_vod.verification.report import fmt, fmt_ts
from live_to_vod.verification.uris import basename

__all__ = ["check_across_renditions", "check_window", "timed_renditions"]


def timed_renditions(ctx: Context) -> list[Rendition]:
    """The audio, video and subtitle renditions that have segments."""
    return [r for r in ctx.renditions if r.timed and r.segments]


def check_across_renditions(ctx: Context) -> None:
    timed = timed_renditions(ctx)
    _check_target_durations_agree(ctx, timed)
    _check_same_window(ctx, [r for r in timed if r.kind != "subtitles" and r.first_time is not None])


def _check_target_durations_agree(ctx: Context, timed: list[Rendition]) -> None:
    """HLS-15: one #EXT-X-TARGETDURATION across the renditions (subtitles aside)."""
    targets = {r.label(): r.target_duration for r in timed if r.kind != "subtitles" and r.target_duration}
    if len(set(targets.values())) > 1:
        listing = ", ".join(f"{basename(k)}={v}" for k, v in targets.items())
        ctx.defects.add(
            catalog.TARGET_DURATION_MISMATCH,
            ctx.manifest_key,
            f"renditions disagree on #EXT-X-TARGETDURATION: {listing}",
        )


def _check_same_window(ctx: Context, comparable: list[Rendition]) -> None:
    """HLS-14: every rendition starts and ends with the reference one (the first video rendition)."""
    if len(comparable) < 2:
        return
    reference = next((r for r in comparable if r.kind == "video"), comparable[0])
    ref_end = reference.end_time
    for r in comparable:
        if r is reference:
            continue
        tol = max(r.tolerance(ctx.tolerance), reference.tolerance(ctx.tolerance))
        start_delta = r.first_time - reference.first_time
        end_delta = (r.end_time - ref_end) if (r.end_time is not None and ref_end is not None) else 0.0
        if abs(start_delta) <= tol and abs(end_delta) <= tol:
            continue
        parts = []
        if abs(start_delta) > tol:
            parts.append(f"starts {abs(start_delta):.3f} s {'later' if start_delta > 0 else 'earlier'}")
        if abs(end_delta) > tol:
            parts.append(f"ends {abs(end_delta):.3f} s {'later' if end_delta > 0 else 'earlier'}")
        ctx.defects.add(
            catalog.RENDITION_MISMATCH,
            r.label(),
            f"rendition {basename(r.label())} covers {fmt_ts(r.first_time)} -> {fmt_ts(r.end_time)} but "
            f"rendition {basename(reference.label())} covers {fmt_ts(reference.first_time)} -> "
            f"{fmt_ts(ref_end)}: it {' and '.join(parts)} (tolerance {tol:.3f} s)",
        )


def check_window(ctx: Context) -> None:
    """HLS-16: each rendition's first segment holds the window start, its last the window end."""
    for r in timed_renditions(ctx):
        if r.first_time is None or r.last_time is None:
            continue  # missing-pdt already says why the window cannot be checked
        _check_start(ctx, r)
        _check_end(ctx, r)


def _check_start(ctx: Context, r: Rendition) -> None:
    s, tol, name = ctx.start.timestamp(), r.tolerance(ctx.tolerance), basename(r.label())
    if r.first_time - s > tol:
        ctx.defects.add(
            catalog.WINDOW_START_LATE,
            r.label(),
            f"{name} starts at {fmt_ts(r.first_time)}, {r.first_time - s:.3f} s after the requested "
            f"window start {fmt(ctx.start)}: the beginning of the window is missing",
        )
    elif s >= r.first_time + r.first_duration:
        ctx.defects.add(
            catalog.WINDOW_START_EARLY,
            r.label(),
            f"{name} starts at {fmt_ts(r.first_time)}, {s - r.first_time:.3f} s before the requested "
            f"window start {fmt(ctx.start)}: more than its first segment "
            f"({r.first_duration:g} s) lies before the window",
        )


def _check_end(ctx: Context, r: Rendition) -> None:
    e, tol, name = ctx.end.timestamp(), r.tolerance(ctx.tolerance), basename(r.label())
    last_end = r.last_time + r.last_duration
    if e - last_end > tol:
        ctx.defects.add(
            catalog.WINDOW_END_EARLY,
            r.label(),
            f"{name} ends at {fmt_ts(last_end)}, {e - last_end:.3f} s before the requested window end "
            f"{fmt(ctx.end)}: the end of the window is missing",
        )
    elif r.last_time >= e:
        ctx.defects.add(
            catalog.WINDOW_END_LATE,
            r.label(),
            f"{name} ends at {fmt_ts(last_end)}, {last_end - e:.3f} s after the requested window end "
            f"{fmt(ctx.end)}: its last segment starts at {fmt_ts(r.last_time)}, at or after the "
            "window end",
        )
