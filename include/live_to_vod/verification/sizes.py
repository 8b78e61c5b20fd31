"""Segment sizes from the one listing, free of requests (rules HLS-20, HLS-21).

Every usable segment's bitrate (its listed size x 8 / its #EXTINF) is judged against what its
rendition says and does:

* its **declared peak**: a variant's BANDWIDTH is, by the HLS spec, the peak segment bitrate of the
  variant (its audio group included, so a video-only segment stays under it). A segment above
  :data:`PEAK_FACTOR` x BANDWIDTH is not a segment this encoder wrote for this variant.
* its **own distribution**: the median segment bitrate of the rendition, with a band widened by
  the rendition's own spread (its quartiles, which one damaged segment does not move). Real encoders vary: CBR video and
  AAC stay within ~15 % per segment; QVBR/VBR video drops to 5-10 % of its median on a static
  slate or a fade to black and reaches its peak (1.5-2x the average) on a scene cut; VBR audio
  in silence falls to a third. The base factors (:data:`LOW_FACTOR`, :data:`HIGH_FACTOR`) keep
  those inside the band for a rendition that shows no spread yet, and the spread widens it for
  one that does.
* a TS segment is a whole number of 188-byte packets (MediaPackage writes nothing else).

A segment outside is reported as a **warning** with the numbers, and becomes a *suspect*: the
structure and decode stages read it whole, and what they find there (no TS, another rendition's
picture, a span shorter than its #EXTINF) is the error. So a black slate that is small but
decodes is a warning, and a truncated segment is an error.
"""

from __future__ import annotations

import statistics

from live_to_vod.verification import catalog
from live_to_vod.verification.context import Context, Rendition, SegmentRef
from live_to_vod.verification.media_types import FMP4_EXTENSIONS, PACKED_AUDIO_TYPES, VTT_EXTENSIONS
from live_to_vod.verification.probe import TS_PACKET
from live_to_vod.verification.uris import basename, extension

__all__ = ["HIGH_FACTOR", "LOW_FACTOR", "PEAK_FACTOR", "check_segment_sizes", "container_of"]

#: Below median / (LOW_FACTOR x the rendition's low spread) is suspect. Video: a static slate under
#: QVBR reaches ~1/10 of the median; audio: VBR silence ~1/3.
LOW_FACTOR = {"video": 8.0, "audio": 4.0}
#: Above median x (HIGH_FACTOR x the rendition's high spread) is suspect. Video: a scene cut reaches
#: the peak, ~2x the average; CBR audio does not move.
HIGH_FACTOR = {"video": 3.0, "audio": 1.5}
#: Above this multiple of the variant's BANDWIDTH (its declared peak) is suspect.
PEAK_FACTOR = 1.5
#: The spread (upper quartile / median, median / lower quartile) widens the band up to this.
MAX_SPREAD = {"high": 3.0, "low": 4.0}
#: The band needs this many full-length segments; fewer are judged by the declared peak only.
MIN_SEGMENTS_FOR_BAND = 4


def container_of(ref: SegmentRef) -> str:
    """``ts``, ``fmp4``, ``packed`` or ``vtt``: how the segment is read, by its init segment and name."""
    ext = extension(ref.uri)
    if ref.init_key is not None or ext in FMP4_EXTENSIONS:
        return "fmp4"
    if ext in VTT_EXTENSIONS:
        return "vtt"
    if ext in PACKED_AUDIO_TYPES:
        return "packed"
    return "ts"


def check_segment_sizes(ctx: Context, rendition: Rendition) -> None:
    """Report (and mark as suspects) the segments whose size does not fit the rendition."""
    if rendition.kind not in ("video", "audio") or not rendition.media_segments or rendition.key is None:
        return
    key, add = rendition.key, ctx.defects.add
    segments = rendition.media_segments
    suspects = rendition.suspects
    for position, ref in enumerate(segments):
        if ref.size % TS_PACKET and container_of(ref) == "ts":
            add(
                catalog.TS_PACKET_SIZE,
                ref.where(key),
                f"{basename(ref.key)} is {ref.size} bytes, not a whole number of 188-byte TS packets "
                f"({ref.size // TS_PACKET} packets and {ref.size % TS_PACKET} bytes: truncated or padded?)",
                group=key,
            )
            suspects.setdefault(position, "not whole TS packets")
    durations = [ref.duration for ref in segments if ref.duration > 0]
    if not durations:
        return
    full_length = max(0.5, 0.5 * statistics.median(durations))
    judged = [(p, ref, ref.size * 8 / ref.duration) for p, ref in enumerate(segments) if ref.duration >= full_length]
    rates = sorted(rate for _, _, rate in judged)
    band = _band(rendition.kind, rates)
    peak = rendition.bandwidth
    if peak and band is not None and band[2] > PEAK_FACTOR * peak:
        # The whole rendition runs above its declaration: the BANDWIDTH is wrong, not each segment.
        add(
            catalog.SEGMENT_SIZE,
            key,
            f"the segments of {basename(key)} run at a median {band[2] / 1000:.0f} kbit/s, {band[2] / peak:.1f}x the "
            f"variant's declared peak BANDWIDTH={peak}: the declaration is wrong (players pick variants by it)",
            group=ctx.manifest_key,
        )
        peak = None
    for position, ref, rate in judged:
        problem = None
        if peak and rate > PEAK_FACTOR * peak:
            problem = f"{rate / peak:.1f}x the variant's declared peak BANDWIDTH={peak}"
        elif band is not None and not band[0] <= rate <= band[1]:
            median = band[2]
            ratio = rate / median if median else float("inf")
            problem = (
                f"{ratio:.2f}x the rendition's median {median / 1000:.0f} kbit/s ("
                f"{band[0] / 1000:.0f} to {band[1] / 1000:.0f} kbit/s is plausible for it)"
            )
        if problem is None:
            continue
        add(
            catalog.SEGMENT_SIZE,
            ref.where(key),
            f"{basename(ref.key)} is {ref.size} bytes for {ref.duration:g} s = {rate / 1000:.0f} kbit/s, {problem}; "
            "it is read and decoded to see why",
            group=key,
        )
        suspects.setdefault(position, "size")


def _band(kind: str, rates: list[float]) -> tuple[float, float, float] | None:
    """``(low, high, median)`` bitrates a segment of this rendition may have; ``None`` with too few."""
    if len(rates) < MIN_SEGMENTS_FOR_BAND:
        return None
    median = statistics.median(rates)
    if median <= 0:
        return None
    # Quartiles, not extremes: one damaged segment in eight must not widen the band that judges it.
    q1 = rates[len(rates) // 4]
    q3 = rates[(len(rates) * 3) // 4]
    high_spread = min(MAX_SPREAD["high"], max(1.0, q3 / median))
    low_spread = min(MAX_SPREAD["low"], max(1.0, median / q1)) if q1 > 0 else MAX_SPREAD["low"]
    return median / (LOW_FACTOR[kind] * low_spread), median * HIGH_FACTOR[kind] * high_spread, median
