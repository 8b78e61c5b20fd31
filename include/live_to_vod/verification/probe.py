"""What the first bytes of a media segment say it is: pure parsing, no I/O (rule HLS-21).

:func:`probe_segment` reads the start of an MPEG-TS or fragmented-MP4 segment (a ranged read of
:data:`PROBE_BYTES`, or the whole object when it is decoded anyway) and returns a
:class:`Probe`: the container, the elementary streams and their codecs, the first media
timestamp, and the first thing that makes it something else. Nothing here decodes media:

* **MPEG-TS**: every 188-byte packet read starts with the sync byte; a PAT names a PMT; the PMT's
  streams (PID and stream type); the first PES timestamp of each stream; the H.264 sequence
  parameter set's picture size; the ADTS header's AAC profile, sample rate and channels.
* **fragmented MP4**: the top-level boxes (``styp``, ``sidx``, ``moof``, ``mdat``...) are whole and
  end inside the object; the ``moof``'s track ids are the init segment's; ``tfdt`` gives the
  first decode time; the init segment's ``tkhd``/``mdhd``/``hdlr`` give track kinds, picture
  size and timescales.

Two segments of one rendition must give the same :attr:`Probe.signature`: a segment of another
rendition (other picture size, other streams) or of nothing at all is told apart by the bytes
it starts with, at the cost of one small ranged GET.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = [
    "PROBE_BYTES",
    "TS_CLOCK",
    "TS_PACKET",
    "TS_WRAP",
    "InitInfo",
    "Probe",
    "StreamInfo",
    "parse_init_segment",
    "probe_segment",
    "sps_picture_size",
]

#: Bytes read from the start of a segment to probe it: PAT, PMT and the first PES of every stream
#: (with the H.264 SPS right after the access unit delimiter) fit in far less for every encoder
#: seen, at 1080p too. A stream whose first PES starts later is reported without its codec details.
PROBE_BYTES = 64 * 1024
TS_PACKET = 188
TS_CLOCK = 90_000
TS_WRAP = 1 << 33

#: MPEG-TS stream types (ISO/IEC 13818-1 table 2-34 and registered private types) by kind.
TS_STREAM_TYPES = {
    0x01: ("video", "MPEG-1 video"),
    0x02: ("video", "MPEG-2 video"),
    0x03: ("audio", "MPEG-1 audio"),
    0x04: ("audio", "MPEG-2 audio"),
    0x0F: ("audio", "AAC (ADTS)"),
    0x11: ("audio", "AAC (LATM)"),
    0x15: ("data", "ID3 timed metadata"),
    0x1B: ("video", "H.264"),
    0x24: ("video", "HEVC"),
    0x81: ("audio", "AC-3"),
    0x86: ("data", "SCTE-35"),
    0x87: ("audio", "E-AC-3"),
}
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
# mfra closes the last fragment of a file cut into segments (ffmpeg writes it); uuid boxes are extensions.
_MP4_TOP_LEVEL = frozenset(
    {b"styp", b"sidx", b"moof", b"mdat", b"emsg", b"prft", b"free", b"skip", b"ssix", b"mfra", b"uuid"}
)
_MP4_FIRST = frozenset({b"styp", b"sidx", b"moof", b"emsg", b"prft", b"free", b"skip"})


@dataclass(frozen=True)
class StreamInfo:
    """One elementary stream: ``kind`` (video/audio/data), ``codec`` in words, and its parameters
    (``1280x720``, ``AAC-LC 48000 Hz 2 ch``) when the probe got to them."""

    id: int
    kind: str
    codec: str
    params: str | None = None

    def describe(self) -> str:
        detail = f" {self.params}" if self.params else ""
        return f"{self.kind} {self.id} ({self.codec}{detail})"


@dataclass
class Probe:
    """What a segment's first bytes say. ``problem`` is why it is no segment of its claimed container."""

    container: str
    streams: list[StreamInfo] = field(default_factory=list)
    #: The first timestamp (seconds) of :attr:`clock_stream`, for continuity across segments; ``None``
    #: when the read did not reach one.
    first_time: float | None = None
    clock_stream: int | None = None
    #: The timestamps wrap (MPEG-TS: 2**33 ticks of 90 kHz, ~26.5 h); ``None`` for no wrap.
    wrap_seconds: float | None = None
    problem: str | None = None
    #: What kind of problem: ``sync`` (no TS packets), ``tables`` (no PAT/PMT), ``boxes`` (fMP4 boxes).
    problem_kind: str | None = None

    @property
    def signature(self) -> tuple:
        """What must be the same in every segment of a rendition: the streams, with the parameters
        known. Streams whose parameters the read did not reach compare by kind and codec only."""
        return tuple((s.id, s.kind, s.codec) for s in self.streams)

    def params(self) -> dict[int, str]:
        return {s.id: s.params for s in self.streams if s.params}

    def describe(self) -> str:
        return ", ".join(s.describe() for s in self.streams) or "no streams"


# --------------------------------------------------------------------------- entry point


def probe_segment(data: bytes, container: str, *, object_size: int, init: InitInfo | None = None) -> Probe:
    """Probe ``data`` (the first bytes of a segment of ``object_size`` bytes) as ``container``
    (``"ts"`` or ``"fmp4"``; ``init`` is the fMP4 init segment's :class:`InitInfo`)."""
    if container == "fmp4":
        return _probe_fmp4(data, object_size, init)
    return _probe_ts(data)


# --------------------------------------------------------------------------- MPEG-TS


def _probe_ts(data: bytes) -> Probe:
    probe = Probe("MPEG-TS", wrap_seconds=TS_WRAP / TS_CLOCK)
    if not data:
        probe.problem, probe.problem_kind = "it is empty", "sync"
        return probe
    if data[0] != 0x47:
        probe.problem = (
            f"it does not start with the MPEG-TS sync byte 0x47 (first byte 0x{data[0]:02x}): {_sniff(data)}"
        )
        probe.problem_kind = "sync"
        return probe
    packets = len(data) // TS_PACKET
    pmt_pids: set[int] = set()
    streams: dict[int, tuple[int, str, str]] = {}  # pid -> (stream type, kind, codec)
    order: list[int] = []
    first_pts: dict[int, int] = {}
    pes_payload: dict[int, bytearray] = {}  # the first PES's payload, for SPS / ADTS
    params: dict[int, str] = {}
    for i in range(packets):
        pkt = data[i * TS_PACKET : (i + 1) * TS_PACKET]
        if pkt[0] != 0x47:
            probe.problem = (
                f"MPEG-TS sync lost at byte {i * TS_PACKET} (packet {i} starts with 0x{pkt[0]:02x}, not 0x47): "
                "the bytes from there on are not TS packets"
            )
            probe.problem_kind = "sync"
            break
        pusi = bool(pkt[1] & 0x40)
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        payload = _ts_payload(pkt)
        if payload is None:
            continue
        if pid == 0 and pusi and not pmt_pids:
            pmt_pids = _pat_pmt_pids(payload)
        elif pid in pmt_pids and pusi and not streams:
            for spid, stype in _pmt_streams(payload):
                kind, codec = TS_STREAM_TYPES.get(stype, ("data", f"stream type 0x{stype:02x}"))
                streams[spid] = (stype, kind, codec)
                order.append(spid)
        elif pid in streams:
            if pusi and pid not in first_pts:
                pts, body = _pes_pts(payload)
                if pts is not None:
                    first_pts[pid] = pts
                pes_payload[pid] = bytearray(body)
            elif pid in pes_payload and len(pes_payload[pid]) < 8192 and pid not in params:
                pes_payload[pid] += payload
            if pid in pes_payload and pid not in params:
                found = _stream_params(streams[pid][0], bytes(pes_payload[pid]))
                if found:
                    params[pid] = found
    if probe.problem is None and not pmt_pids:
        probe.problem = f"no Program Association Table (PAT) in its first {packets} TS packets"
        probe.problem_kind = "tables"
    elif probe.problem is None and not streams:
        probe.problem = f"no Program Map Table (PMT) in its first {packets} TS packets"
        probe.problem_kind = "tables"
    probe.streams = [StreamInfo(pid, streams[pid][1], streams[pid][2], params.get(pid)) for pid in order]
    clock = next((pid for pid in order if streams[pid][1] == "video" and pid in first_pts), None)
    if clock is None:
        clock = next((pid for pid in order if streams[pid][1] == "audio" and pid in first_pts), None)
    if clock is not None:
        probe.clock_stream = clock
        probe.first_time = first_pts[clock] / TS_CLOCK
    return probe


def _ts_payload(pkt: bytes) -> bytes | None:
    control = (pkt[3] >> 4) & 0x3
    if control in (0, 2):
        return None
    offset = 4
    if control == 3:
        offset += 1 + pkt[4]
    return pkt[offset:] if offset < TS_PACKET else None


def _section(payload: bytes) -> bytes:
    """The PSI section after the pointer field (as much of it as the packet holds)."""
    start = 1 + payload[0] if payload else 1
    section = payload[start:]
    if len(section) < 3:
        return b""
    length = ((section[1] & 0x0F) << 8) | section[2]
    return section[: 3 + length]


def _pat_pmt_pids(payload: bytes) -> set[int]:
    section = _section(payload)
    pids = set()
    for j in range(8, len(section) - 4 - 3, 4):
        program = (section[j] << 8) | section[j + 1]
        if program != 0:
            pids.add(((section[j + 2] & 0x1F) << 8) | section[j + 3])
    return pids


def _pmt_streams(payload: bytes) -> list[tuple[int, int]]:
    section = _section(payload)
    if len(section) < 12:
        return []
    info_length = ((section[10] & 0x0F) << 8) | section[11]
    j = 12 + info_length
    end = len(section) - 4  # CRC
    found = []
    while j + 5 <= end:
        stype = section[j]
        pid = ((section[j + 1] & 0x1F) << 8) | section[j + 2]
        es_info = ((section[j + 3] & 0x0F) << 8) | section[j + 4]
        found.append((pid, stype))
        j += 5 + es_info
    return found


def _pes_pts(payload: bytes) -> tuple[int | None, bytes]:
    """The PES header's PTS (90 kHz ticks) and the bytes after the header."""
    if len(payload) < 9 or payload[:3] != b"\x00\x00\x01":
        return None, b""
    header_length = payload[8]
    body = payload[9 + header_length :]
    if payload[7] & 0x80 and len(payload) >= 14:
        p = payload[9:14]
        pts = ((p[0] >> 1) & 0x07) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1
        return pts, body
    return None, body


def _stream_params(stream_type: int, payload: bytes) -> str | None:
    if stream_type == 0x1B:
        size = sps_picture_size(payload)
        return f"{size[0]}x{size[1]}" if size else None
    if stream_type == 0x0F:
        return _adts_params(payload)
    return None


def _adts_params(payload: bytes) -> str | None:
    for i in range(min(len(payload) - 7, 64)):
        if payload[i] == 0xFF and payload[i + 1] & 0xF6 == 0xF0:
            profile = (payload[i + 2] >> 6) + 1
            rate_index = (payload[i + 2] >> 2) & 0x0F
            channels = ((payload[i + 2] & 0x01) << 2) | (payload[i + 3] >> 6)
            rate = _AAC_RATES[rate_index] if rate_index < len(_AAC_RATES) else None
            name = {1: "AAC-Main", 2: "AAC-LC", 3: "AAC-SSR", 4: "AAC-LTP"}.get(profile, f"AAC object type {profile}")
            return f"{name} {rate or '?'} Hz {channels} ch"
    return None


# --------------------------------------------------------------------------- H.264 SPS


class _Bits:
    """Exp-Golomb reader over an RBSP (emulation-prevention bytes already removed)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]  # IndexError past the end: the caller gives up
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("exp-Golomb code too long")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


def sps_picture_size(annexb: bytes) -> tuple[int, int] | None:
    """The cropped picture size in the first H.264 SPS (NAL type 7) of an Annex B byte stream."""
    start = 0
    while True:
        at = annexb.find(b"\x00\x00\x01", start)
        if at < 0 or at + 3 >= len(annexb):
            return None
        if annexb[at + 3] & 0x1F == 7:
            end = annexb.find(b"\x00\x00\x01", at + 4)
            nal = annexb[at + 4 : end if end > 0 else len(annexb)]
            try:
                return _sps_size(nal.replace(b"\x00\x00\x03", b"\x00\x00"))
            except (IndexError, ValueError):
                return None
        start = at + 3


def _sps_size(rbsp: bytes) -> tuple[int, int]:
    b = _Bits(rbsp)
    profile = b.u(8)
    b.u(16)  # constraint flags, level
    b.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in _HIGH_PROFILES:
        chroma = b.ue()
        if chroma == 3:
            b.u(1)
        b.ue()
        b.ue()
        b.u(1)
        if b.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if b.u(1):
                    last, nxt = 8, 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt:
                            nxt = (last + b.se() + 256) % 256
                        last = nxt or last
    b.ue()  # log2_max_frame_num_minus4
    poc_type = b.ue()
    if poc_type == 0:
        b.ue()
    elif poc_type == 1:
        b.u(1)
        b.se()
        b.se()
        for _ in range(b.ue()):
            b.se()
    b.ue()  # max_num_ref_frames
    b.u(1)
    width_mbs = b.ue() + 1
    height_units = b.ue() + 1
    frame_mbs_only = b.u(1)
    if not frame_mbs_only:
        b.u(1)
    b.u(1)
    width, height = width_mbs * 16, height_units * 16 * (2 - frame_mbs_only)
    if b.u(1):  # frame_cropping_flag
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        unit_x = 1 if chroma in (0, 3) else 2
        unit_y = (2 - frame_mbs_only) * (2 if chroma == 1 else 1)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    return width, height


# --------------------------------------------------------------------------- fragmented MP4


@dataclass(frozen=True)
class InitInfo:
    """An fMP4 init segment's tracks: id -> (kind, picture size or None, timescale)."""

    tracks: dict[int, tuple[str, str | None, int]]
    problem: str | None = None


def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """``(type, offset, size, header)`` of each box in ``data[start:end]`` (a box may end past the data)."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1 and offset + 16 <= end:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            yield kind, offset, size, header
            return
        yield kind, offset, size, header
        offset += size


def _child(data: bytes, offset: int, size: int, header: int, kind: bytes) -> tuple[int, int, int] | None:
    for k, o, s, h in _boxes(data, offset + header, min(offset + size, len(data))):
        if k == kind:
            return o, s, h
    return None


def parse_init_segment(data: bytes) -> InitInfo:
    """The tracks of an fMP4 init segment (``moov/trak``)."""
    moov = next(((o, s, h) for k, o, s, h in _boxes(data) if k == b"moov"), None)
    if moov is None:
        return InitInfo({}, "the init segment has no moov box")
    tracks: dict[int, tuple[str, str | None, int]] = {}
    for k, o, s, h in _boxes(data, moov[0] + moov[2], min(moov[0] + moov[1], len(data))):
        if k != b"trak":
            continue
        tkhd = _child(data, o, s, h, b"tkhd")
        mdia = _child(data, o, s, h, b"mdia")
        if tkhd is None or mdia is None:
            continue
        t = tkhd[0] + tkhd[2]
        version = data[t]
        track_id = struct.unpack(">I", data[t + (20 if version == 1 else 12) : t + (24 if version == 1 else 16)])[0]
        box_end = tkhd[0] + tkhd[1]
        w, hgt = struct.unpack(">II", data[box_end - 8 : box_end])
        mdhd = _child(data, *mdia, b"mdhd")
        hdlr = _child(data, *mdia, b"hdlr")
        timescale = 0
        if mdhd is not None:
            m = mdhd[0] + mdhd[2]
            at = m + (20 if data[m] == 1 else 12)
            timescale = struct.unpack(">I", data[at : at + 4])[0]
        handler = data[hdlr[0] + hdlr[2] + 8 : hdlr[0] + hdlr[2] + 12] if hdlr else b""
        kind = {b"vide": "video", b"soun": "audio", b"text": "text", b"subt": "text"}.get(handler, "data")
        size = f"{w >> 16}x{hgt >> 16}" if kind == "video" and w and hgt else None
        tracks[track_id] = (kind, size, timescale)
    return InitInfo(tracks, None if tracks else "the init segment's moov has no usable trak")


def _probe_fmp4(data: bytes, object_size: int, init: InitInfo | None) -> Probe:
    probe = _read_fmp4(data, object_size, init)
    if probe.problem is not None:
        probe.problem_kind = "boxes"
    return probe


def _read_fmp4(data: bytes, object_size: int, init: InitInfo | None) -> Probe:
    probe = Probe("fragmented MP4")
    boxes = list(_boxes(data))
    if not boxes or boxes[0][0] not in _MP4_FIRST:
        first = boxes[0][0] if boxes else data[:8]
        probe.problem = (
            f"it does not start with an fMP4 segment box (styp, sidx or moof; got {first!r}): {_sniff(data)}"
        )
        return probe
    track_ids: list[int] = []
    base_time: dict[int, int] = {}
    for kind, offset, size, header in boxes:
        if kind not in _MP4_TOP_LEVEL:
            probe.problem = f"box {kind!r} at byte {offset} is not a box an fMP4 media segment holds"
            break
        if offset + size > object_size:
            probe.problem = (
                f"its {kind.decode(errors='replace')} box at byte {offset} is {size} bytes long and ends at byte "
                f"{offset + size}, past the end of the {object_size}-byte object (truncated)"
            )
            break
        if kind == b"moof":
            for k, o, s, h in _boxes(data, offset + header, min(offset + size, len(data))):
                if k != b"traf":
                    continue
                tfhd = _child(data, o, s, h, b"tfhd")
                tfdt = _child(data, o, s, h, b"tfdt")
                if tfhd is None:
                    continue
                p = tfhd[0] + tfhd[2]
                tid = struct.unpack(">I", data[p + 4 : p + 8])[0]
                track_ids.append(tid)
                if tfdt is not None:
                    q = tfdt[0] + tfdt[2]
                    fmt = ">Q" if data[q] == 1 else ">I"
                    width = 8 if data[q] == 1 else 4
                    base_time[tid] = struct.unpack(fmt, data[q + 4 : q + 4 + width])[0]
    _, last_offset, last_size, _ = boxes[-1]
    last_end = last_offset + last_size
    if probe.problem is None and len(data) >= object_size and last_end < object_size:
        probe.problem = f"{object_size - last_end} byte(s) after its last box are no box (padded)"
    if probe.problem is None and not track_ids:
        probe.problem = f"no moof box with a track fragment in its first {len(data)} bytes"
    tracks = init.tracks if init is not None else {}
    for tid in dict.fromkeys(track_ids):
        kind, size, _ = tracks.get(tid, ("unknown", None, 0))
        probe.streams.append(StreamInfo(tid, kind, "track", size))
    if probe.problem is None and tracks:
        unknown = [tid for tid in track_ids if tid not in tracks]
        if unknown:
            probe.problem = f"its track fragment(s) name track {unknown[0]}, which the init segment does not have"
    clock = next((t for t in track_ids if tracks.get(t, ("",))[0] == "video" and t in base_time), None)
    clock = clock if clock is not None else next((t for t in track_ids if t in base_time), None)
    if clock is not None and tracks.get(clock, ("", None, 0))[2]:
        probe.clock_stream = clock
        probe.first_time = base_time[clock] / tracks[clock][2]
    return probe


def _sniff(data: bytes) -> str:
    head = data[:12]
    if head[4:8] in (b"ftyp", b"moov", b"styp", b"moof"):
        return f"it looks like MP4 (box {head[4:8].decode()})"
    if head.startswith(b"\xff\xf1") or head.startswith(b"\xff\xf9"):
        return "it looks like raw AAC (ADTS)"
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        return "it looks like WebVTT"
    if head.startswith(b"#EXTM3U"):
        return "it looks like a playlist"
    return f"first bytes {head[:8].hex(' ')}"
