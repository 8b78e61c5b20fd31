"""Which segments a verification reads, and how: the plan of one rendition.

* ``full``: every segment is read whole, probed and decoded.
* ``sampled``: the first and last segment, :data:`DECODE_SAMPLES` more and every suspect of the
  size stage (at most :data:`~.limits.MAX_SUSPECT_READS`) are read whole and decoded; the rest of
  the rendition's share of :data:`~.limits.MAX_PROBED_SEGMENTS` are *probed* (their first
  :data:`~.probe.PROBE_BYTES` bytes, one ranged GET each). Probed segments are spread over the
  timeline: the rendition is cut into as many equal strata as there are probes and one segment is
  picked in each, so every part of the asset is looked at, and a gap between two probes is at most
  two strata wide.
* ``listing``: nothing is read (the listing-only checks still run).

The picks are deterministic per asset: the random generator is seeded from the rendition's
playlist key, so a re-verification reads the same segments, and two assets read different ones.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from live_to_vod.verification.context import Rendition
from live_to_vod.verification.limits import MAX_PROBED_SEGMENTS, MAX_SUSPECT_READS, MIN_PROBES_PER_RENDITION

__all__ = ["DECODE_SAMPLES", "MODES", "ReadPlan", "plan_reads"]

#: Segments decoded per rendition besides the first, the last and the suspects.
DECODE_SAMPLES = 2
#: ``auto`` picks ``full`` or ``sampled`` by the asset's size (``full_max_bytes``).
MODES = ("auto", "sampled", "full", "listing")


@dataclass(frozen=True)
class ReadPlan:
    """Positions in the rendition's ``media_segments``: to decode (read whole), to probe (read the start)."""

    decode: tuple[int, ...]
    probe: tuple[int, ...]


def plan_reads(rendition: Rendition, mode: str, timed_renditions: int) -> ReadPlan:
    """The rendition's reads in ``mode`` (``full``, ``sampled`` or ``listing``)."""
    count = len(rendition.media_segments)
    if mode == "listing" or count == 0:
        return ReadPlan((), ())
    if mode == "full":
        return ReadPlan(tuple(range(count)), ())
    rng = random.Random(int.from_bytes(hashlib.sha256((rendition.key or rendition.uri).encode()).digest()[:8], "big"))
    share = max(MIN_PROBES_PER_RENDITION, MAX_PROBED_SEGMENTS // max(1, timed_renditions))
    middle = _strata_picks(rng, 1, count - 1, max(0, min(share, count) - 2))
    decode = {0, count - 1}
    decode.update(rng.sample(middle, min(DECODE_SAMPLES, len(middle))))
    decode.update(sorted(rendition.suspects)[:MAX_SUSPECT_READS])
    probe = [p for p in middle if p not in decode]
    return ReadPlan(tuple(sorted(decode)), tuple(probe))


def _strata_picks(rng: random.Random, start: int, stop: int, picks: int) -> list[int]:
    """One position in each of ``picks`` equal strata of ``range(start, stop)``."""
    span = stop - start
    if picks <= 0 or span <= 0:
        return []
    if picks >= span:
        return list(range(start, stop))
    chosen = []
    for i in range(picks):
        low = start + (i * span) // picks
        high = start + ((i + 1) * span) // picks
        chosen.append(rng.randrange(low, high))
    return chosen
