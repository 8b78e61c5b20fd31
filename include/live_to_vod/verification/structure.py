"""Reading segments: probe their structure, decode the planned ones, compare them (HLS-20 to HLS-22).

For one rendition, :func:`read_segments` carries out its :class:`~.sampling.ReadPlan`:

1. each planned segment is read (whole when it is decoded, else its first
   :data:`~.probe.PROBE_BYTES`), its Content-Type checked, its bytes probed
   (:func:`~.probe.probe_segment`): a segment that is no MPEG-TS / fMP4 is an error;
2. decoded segments go through PyAV (:mod:`.decode`);
3. the probes are compared: every segment must carry the rendition's streams with the same
   codec parameters (the picture size also against the variant's RESOLUTION), so a segment of
   another rendition is an error;
4. media timestamps must continue: each probed segment's first timestamp minus its start on the
   playlist's timeline (the #EXTINF sums) is about the same as its neighbours' in the same
   discontinuity epoch, so a segment that repeats or skips time is an error;
5. segments that 3 or 4 found wrong and were only probed are read whole and decoded too
   (at most :data:`~.limits.MAX_SUSPECT_READS`).
"""

from __future__ import annotations

import statistics
from collections import Counter

from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition, SegmentRef
from live_to_vod.verification.decode import check_content_type, check_webvtt, decode_segment, fetch_whole, init_segment
from live_to_vod.verification.limits import MAX_SUSPECT_READS
from live_to_vod.verification.probe import PROBE_BYTES, InitInfo, Probe, parse_init_segment, probe_segment
from live_to_vod.verification.sampling import ReadPlan
from live_to_vod.verification.sizes import container_of
from live_to_vod.verification.uris import basename

__all__ = ["NEIGHBOURS", "read_segments", "time_tolerance", "timeline_offsets"]

#: A probe's timestamp offset is compared with the median of the probes around it in its epoch
#: (this many, half on each side, and itself): local, so slow drift of rounded #EXTINFs does not add up.
NEIGHBOURS = 6
_PROBLEM_CHECKS = {"sync": catalog.SYNC_BYTE, "tables": catalog.PAT_PMT, "boxes": catalog.SEGMENT_STRUCTURE}


def time_tolerance(rendition: Rendition) -> float:
    """How far a segment's media time may stray from its neighbours': a quarter of the target
    duration (at least 0.2 s). Repeating or skipping a segment moves it a whole segment."""
    target = rendition.target_duration or 0
    return max(0.2, 0.25 * target)


def read_segments(ctx: Context, rendition: Rendition, plan: ReadPlan) -> None:
    """Carry out ``plan`` for ``rendition`` and report what the segments hold."""
    if rendition.key is None or not (plan.decode or plan.probe):
        return
    reader = _RenditionReader(ctx, rendition)
    decode = set(plan.decode)
    for position in sorted(decode | set(plan.probe)):
        reader.read(position, whole=position in decode)
    wrong = reader.compare()
    extra = [p for p in sorted(wrong) if p not in decode][:MAX_SUSPECT_READS]
    for position in extra:
        reader.read(position, whole=True, probe_again=False)


class _RenditionReader:
    def __init__(self, ctx: Context, rendition: Rendition) -> None:
        self.ctx = ctx
        self.rendition = rendition
        self.key = rendition.key or rendition.uri
        self.segments = rendition.media_segments
        self.probes: dict[int, Probe] = {}
        self.init_bytes: dict[str, bytes | None] = {}
        self.init_info: dict[str, InitInfo] = {}

    def read(self, position: int, *, whole: bool, probe_again: bool = True) -> None:
        ctx, ref = self.ctx, self.segments[position]
        where = ref.where(self.key)
        container = container_of(ref)
        if whole:
            fetched = fetch_whole(ctx, ref.key, where)
            ctx.reads.decoded += fetched is not None
        else:
            fetched = ctx.reader.get(ref.key, PROBE_BYTES)
            ctx.reads.probed += fetched is not None
            if fetched is None:
                ctx.defects.add(catalog.MISSING_SEGMENT, where, f"{basename(ref.key)} was listed but could not be read")
        if fetched is None:
            return
        ctx.reads.bytes_read += len(fetched.body)
        if probe_again:
            check_content_type(ctx, fetched, where, ref)
        if container == "vtt":
            check_webvtt(ctx, where, fetched)
            return
        init = b""
        if ref.init_key is not None:
            cached = init_segment(ctx, self.rendition, ref.init_key, self.init_bytes)
            if cached is None:
                return
            init = cached
        if probe_again and container in ("ts", "fmp4"):
            probe = self._probe(ref, fetched.body, container)
            self.probes[position] = probe
            if probe.problem is not None:
                ctx.defects.add(
                    _PROBLEM_CHECKS[probe.problem_kind or "boxes"],
                    where,
                    f"{basename(ref.key)} is not a {probe.container} segment: {probe.problem}",
                    group=self.key,
                )
        if whole:
            decode_segment(ctx, where, ref, fetched.body, init)

    def _probe(self, ref: SegmentRef, body: bytes, container: str) -> Probe:
        info = None
        if container == "fmp4" and ref.init_key is not None:
            info = self.init_info.get(ref.init_key)
            if info is None:
                info = self.init_info[ref.init_key] = parse_init_segment(self.init_bytes.get(ref.init_key) or b"")
        return probe_segment(body, container, object_size=ref.size, init=info)

    # ------------------------------------------------------------------ across the segments read

    def compare(self) -> set[int]:
        """Report segments unlike the rendition's others; return their positions."""
        sound = {p: probe for p, probe in self.probes.items() if probe.problem is None}
        wrong = {p for p, probe in self.probes.items() if probe.problem is not None}
        wrong |= self._compare_streams(sound)
        wrong |= self._compare_times({p: probe for p, probe in sound.items() if p not in wrong})
        return wrong

    def _compare_streams(self, sound: dict[int, Probe]) -> set[int]:
        if not sound:
            return set()
        declared = self.rendition.resolution if self.rendition.kind == "video" else None
        signatures = Counter(probe.signature for probe in sound.values())
        usual, _ = signatures.most_common(1)[0]
        params = Counter(tuple(sorted(probe.params().items())) for probe in sound.values())
        usual_params = dict(params.most_common(1)[0][0])
        wrong = set()
        for position, probe in sorted(sound.items()):
            ref = self.segments[position]
            problem = None
            if probe.signature != usual:
                problem = f"it carries {probe.describe()}; the rendition's other segments carry " + _describe(
                    usual, usual_params
                )
            else:
                for stream_id, value in probe.params().items():
                    expected = usual_params.get(stream_id)
                    video = any(s.id == stream_id and s.kind == "video" for s in probe.streams)
                    if video and declared and "x" in value and value != declared:
                        problem = f"its video is {value}, the variant's RESOLUTION is {declared}"
                    elif expected is not None and value != expected:
                        problem = f"its stream {stream_id} is {value}, the rendition's other segments' is {expected}"
                    if problem:
                        break
            if problem:
                wrong.add(position)
                self.ctx.defects.add(
                    catalog.SEGMENT_STREAMS,
                    ref.where(self.key),
                    f"{basename(ref.key)} is not a segment of this rendition: {problem}",
                    group=self.key,
                )
        return wrong

    def _compare_times(self, sound: dict[int, Probe]) -> set[int]:
        """HLS-22: first media time minus playlist start is steady within an epoch."""
        tolerance = time_tolerance(self.rendition)
        by_epoch = timeline_offsets(self.segments, sound)
        wrong: set[int] = set()
        for offsets in by_epoch.values():
            if len(offsets) >= 3:  # two readings cannot say which one strayed
                wrong |= self._strays(offsets, tolerance)
            wrong |= self._jumps([o for o in offsets if o[0] not in wrong], tolerance)
        return wrong

    def _strays(self, offsets: list[tuple[int, float]], tolerance: float) -> set[int]:
        """Segments whose offset differs from the median of the window around them: one segment that
        repeats or skips time."""
        wrong = set()
        for i, (position, offset) in enumerate(offsets):
            # The median of a window around it, itself included: one stray reading cannot move it.
            window = offsets[max(0, i - NEIGHBOURS // 2) : i + 1 + NEIGHBOURS // 2]
            delta = offset - statistics.median(o for _, o in window)
            if abs(delta) <= tolerance:
                continue
            wrong.add(position)
            ref = self.segments[position]
            what = "repeats" if delta < 0 else "skips"
            self.ctx.defects.add(
                catalog.MEDIA_TIME,
                ref.where(self.key),
                f"{basename(ref.key)} starts {abs(delta):.3f} s {'earlier' if delta < 0 else 'later'} in media "
                f"time than the #EXTINF durations and its neighbouring segments say: the rendition {what} "
                f"{abs(delta):.3f} s there",
                group=self.key,
            )
        return wrong

    def _jumps(self, offsets: list[tuple[int, float]], tolerance: float) -> set[int]:
        """A step between two consecutive readings that the rest follow: the media time jumps
        (an encoder restart) with no #EXT-X-DISCONTINUITY to tell players."""
        wrong = set()
        for (before, first), (after, second) in zip(offsets, offsets[1:], strict=False):
            step = second - first
            if abs(step) <= tolerance:
                continue
            wrong.add(after)
            ref, prev = self.segments[after], self.segments[before]
            between = f"segment #{prev.index}" if after - before == 1 else f"segments #{prev.index} and #{ref.index}"
            self.ctx.defects.add(
                catalog.MEDIA_TIME,
                ref.where(self.key),
                f"media time jumps {step:+.3f} s against the #EXTINF durations by {basename(ref.key)} (after "
                f"{between}), with no #EXT-X-DISCONTINUITY: players lose sync there",
                group=self.key,
            )
        return wrong


def timeline_offsets(segments: list[SegmentRef], probes: dict[int, Probe]) -> dict[int, list[tuple[int, float]]]:
    """Per discontinuity epoch, ``(position, offset)`` for each probe with a first media time: how far
    its media time is from where the #EXTINF durations since the epoch's first probe put it. Steady
    offsets are a continuous timeline. A TS clock wraps every 2**33 ticks (~26.5 h): the offset is
    taken modulo the wrap, nearest to zero, so a day-long asset that crosses it reads continuous."""
    by_epoch: dict[int, list[tuple[int, float]]] = {}
    anchors: dict[int, tuple[float, float]] = {}
    for position, probe in sorted(probes.items()):
        if probe.first_time is None:
            continue
        ref = segments[position]
        anchor = anchors.setdefault(ref.epoch, (probe.first_time, ref.start))
        offset = (probe.first_time - anchor[0]) - (ref.start - anchor[1])
        if probe.wrap_seconds:
            half = probe.wrap_seconds / 2
            offset = (offset + half) % probe.wrap_seconds - half
        by_epoch.setdefault(ref.epoch, []).append((position, offset))
    return by_epoch


def _describe(signature: tuple, params: dict[int, str]) -> str:
    parts = []
    for stream_id, kind, codec in signature:
        detail = f" {params[stream_id]}" if stream_id in params else ""
        parts.append(f"{kind} {stream_id} ({codec}{detail})")
    return ", ".join(parts) or "no streams"
