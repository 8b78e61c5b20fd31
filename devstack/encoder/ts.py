"""MPEG-TS surgery on the muxer's output: whole 188-byte packets, PIDs, continuity counters, the SPS."""

from __future__ import annotations

import re

TS_PACKET = 188
# Sync byte, then PID 0x0011 (with or without payload_unit_start_indicator, never error/priority flags).
_SDT_HEADER = re.compile(rb"\x47[\x00\x40]\x11")


def drop_sdt(ts: bytes) -> bytes:
    """Removes the DVB Service Description Table packets FFmpeg's muxer writes ahead of the PAT: HLS wants
    every segment to start with the PAT and the PMT (as Apple's segmenter and MediaLive write them), and an
    HLS client has no use for DVB SI."""
    view = memoryview(ts)
    kept = []
    position = 0
    for match in _SDT_HEADER.finditer(ts):
        start = match.start()
        if start % TS_PACKET == 0:
            kept.append(view[position:start])
            position = start + TS_PACKET
    kept.append(view[position:])
    return b"".join(kept)


def _pids(ts: bytes) -> list[int]:
    return [(high & 0x1F) << 8 | low for high, low in zip(ts[1::TS_PACKET], ts[2::TS_PACKET], strict=True)]


def payload_packets(ts: bytes) -> dict[int, int]:
    """PID -> number of packets carrying a payload (the ones that advance the continuity counter)."""
    counts: dict[int, int] = {}
    for pid, flags in zip(_pids(ts), ts[3::TS_PACKET], strict=True):
        if flags & 0x10:
            counts[pid] = counts.get(pid, 0) + 1
    return counts


def shift_continuity(ts: bytes, offsets: dict[int, int]) -> bytes:
    """Adds ``offsets[pid]`` (mod 16) to the continuity counter of every packet of each PID."""
    if not any(offsets.values()):
        return ts
    out = bytearray(ts)
    out[3::TS_PACKET] = bytes(
        (flags & 0xF0) | ((flags + offsets.get(pid, 0)) & 0x0F)
        for pid, flags in zip(_pids(ts), ts[3::TS_PACKET], strict=True)
    )
    return bytes(out)


def avc1_codecs(annexb: bytes) -> str:
    """``avc1.PPCCLL`` (profile_idc, constraint flags, level_idc) from the first SPS in an Annex B packet."""
    for match in re.finditer(b"\x00\x00\x01", annexb):
        start = match.end()
        if start < len(annexb) and annexb[start] & 0x1F == 7 and len(annexb) >= start + 4:
            profile, constraints, level = annexb[start + 1 : start + 4]
            return f"avc1.{profile:02x}{constraints:02x}{level:02x}"
    raise RuntimeError("no SPS in the first H.264 packet")
