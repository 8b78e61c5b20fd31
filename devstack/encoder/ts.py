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


def timestamp_fields(ts: bytes) -> list[tuple[int, int]]:
    """``(offset, kind)`` of every PTS/DTS (kind 0) and PCR (kind 1) field of a TS: what
    :func:`shift_timestamps` rewrites, found once for a segment that is shifted many times."""
    fields = []
    for start in range(0, len(ts) - TS_PACKET + 1, TS_PACKET):
        control = (ts[start + 3] >> 4) & 0x3
        payload = start + 4
        if control & 0x2:
            length = ts[start + 4]
            if length and ts[start + 5] & 0x10:  # PCR_flag
                fields.append((start + 6, 1))
            payload = start + 5 + length
        if not control & 0x1 or not ts[start + 1] & 0x40 or payload + 14 > start + TS_PACKET:
            continue
        if ts[payload : payload + 3] != b"\x00\x00\x01" or ts[payload + 3] in (0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xFF):
            continue
        flags = ts[payload + 7] >> 6
        if flags & 0x2:
            fields.append((payload + 9, 0))
        if flags == 0x3:
            fields.append((payload + 14, 0))
    return fields


def shift_timestamps(ts: bytes, ticks: int, fields: list[tuple[int, int]] | None = None) -> bytes:
    """The TS with every PTS, DTS and PCR moved by ``ticks`` (90 kHz, modulo 2**33): the same media,
    later on the clock. ``fields`` from :func:`timestamp_fields` saves finding them again."""
    out = bytearray(ts)
    for offset, kind in fields if fields is not None else timestamp_fields(ts):
        if kind == 0:
            b = out[offset : offset + 5]
            value = ((b[0] >> 1) & 0x7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1
            value = (value + ticks) % (1 << 33)
            out[offset : offset + 5] = bytes(
                (
                    (b[0] & 0xF1) | ((value >> 29) & 0x0E),
                    (value >> 22) & 0xFF,
                    ((value >> 14) & 0xFE) | 1,
                    (value >> 7) & 0xFF,
                    ((value << 1) & 0xFE) | 1,
                )
            )
        else:
            b = out[offset : offset + 6]
            base = b[0] << 25 | b[1] << 17 | b[2] << 9 | b[3] << 1 | b[4] >> 7
            base = (base + ticks) % (1 << 33)
            out[offset : offset + 5] = bytes(
                (
                    (base >> 25) & 0xFF,
                    (base >> 17) & 0xFF,
                    (base >> 9) & 0xFF,
                    (base >> 1) & 0xFF,
                    ((base & 1) << 7) | (b[4] & 0x7F),
                )
            )
    return bytes(out)
