"""Tests of the synthetic live HLS encoder: real media (decoded with PyAV), continuous timestamps, and the
MediaLive-style push over HTTP PUT to a real local HTTP server requiring basic auth."""

from __future__ import annotations

import base64
import http.server
import io
import logging
import posixpath
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import av
import m3u8
import pendulum
import pytest

from devstack.encoder import (
    DEFAULT_RENDITIONS,
    FPS,
    PTS_OFFSET,
    SEGMENT_SECONDS,
    IngestError,
    LiveHlsEncoder,
    Rendition,
    SegmentFactory,
    main,
)
from devstack.encoder.pattern import UnreadableMark, read_frame_mark

USER = "ingest-user"
PASSWORD = "s3cret-Passw0rd"
VIDEO = [r for r in DEFAULT_RENDITIONS if r.kind == "video"]
AUDIO = [r for r in DEFAULT_RENDITIONS if r.kind == "audio"]
SEG_TICKS = SEGMENT_SECONDS * 90_000
AAC_TICKS = 1024 * 90_000 // 48_000  # one AAC frame in 90 kHz
PDT_LINE = re.compile(r"^#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.fixture(scope="module")
def factory() -> SegmentFactory:
    return SegmentFactory()


def _decode(data: bytes) -> tuple[av.stream.Stream, list]:
    container = av.open(io.BytesIO(data))
    stream = container.streams[0]
    assert len(container.streams) == 1
    frames = list(container.decode(stream))
    return stream, frames


def _pid(ts: bytes, packet: int) -> int:
    offset = packet * 188
    assert ts[offset] == 0x47
    return (ts[offset + 1] & 0x1F) << 8 | ts[offset + 2]


def _pts(factory: SegmentFactory, rendition: Rendition, index: int) -> list[int]:
    return [frame.pts for frame in _decode(factory.segment(rendition, index))[1]]


# --------------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------------


def test_default_renditions():
    assert [(r.width, r.height) for r in VIDEO] == [(320, 180), (480, 270), (640, 360)]
    assert [r.bitrate for r in VIDEO] == [300_000, 600_000, 1_000_000]
    assert len(AUDIO) == 1 and AUDIO[0].bitrate == 96_000
    with pytest.raises(ValueError):
        Rendition("bad", "subtitle", bitrate=1)
    with pytest.raises(ValueError):
        Rendition("odd", "video", 321, 180, 300_000)


@pytest.mark.parametrize("index", [0, 1000])
@pytest.mark.parametrize("rendition", DEFAULT_RENDITIONS, ids=lambda r: r.name)
def test_segments_are_real_media(factory, rendition, index):
    data = factory.segment(rendition, index)
    assert data[0] == 0x47 and len(data) % 188 == 0
    # Starts with the PAT (PID 0), then the PMT it points to: the segment is decodable on its own.
    assert _pid(data, 0) == 0
    section = 5 + data[4]  # after the pointer field
    assert data[section] == 0x00  # table_id: program_association_section
    pmt_pid = (data[section + 10] & 0x1F) << 8 | data[section + 11]  # first program's PMT PID
    assert _pid(data, 1) == pmt_pid and data[188 + 5 + data[188 + 4]] == 0x02  # table_id: TS_program_map

    stream, frames = _decode(data)
    if rendition.kind == "video":
        assert stream.codec_context.name == "h264"
        assert len(frames) == 25 * SEGMENT_SECONDS
        assert all((f.width, f.height) == (rendition.width, rendition.height) for f in frames)
        assert frames[0].key_frame and frames[0].pict_type == av.video.frame.PictureType.I
        assert not any(f.key_frame for f in frames[1:])  # one GOP per segment
        assert stream.average_rate == 25
        # The picture changes from frame to frame (moving bar, counter, colour).
        assert len({bytes(f.planes[0]) for f in frames}) == len(frames)
    else:
        assert stream.codec_context.name == "aac"
        assert stream.codec_context.sample_rate == 48_000
        assert stream.codec_context.layout.name == "stereo"
        assert len(frames) in (93, 94)  # 2 s = 93.75 AAC frames
        assert all(f.samples == 1024 for f in frames)


def test_segment_zero_starts_at_the_offset(factory):
    for rendition in VIDEO:
        assert _pts(factory, rendition, 0)[0] == PTS_OFFSET
        assert _pts(factory, rendition, 7)[0] == PTS_OFFSET + 7 * SEG_TICKS
    assert 0 <= _pts(factory, AUDIO[0], 7)[0] - (PTS_OFFSET + 7 * SEG_TICKS) < AAC_TICKS


@pytest.mark.parametrize("n", [0, 2, 3, 4, 7, 998, 999])  # 4 segments per cycle: 3->4, 7->8 cross it
@pytest.mark.parametrize("rendition", DEFAULT_RENDITIONS, ids=lambda r: r.name)
def test_timestamps_are_continuous(factory, rendition, n):
    first, second = _pts(factory, rendition, n), _pts(factory, rendition, n + 1)
    both = first + second
    assert all(a < b for a, b in zip(both, both[1:], strict=False)), "pts must increase strictly"
    if rendition.kind == "video":
        assert second[0] == first[0] + SEG_TICKS
        assert second[0] == first[-1] + 90_000 // 25  # no gap, no overlap
        assert all(b - a == 3600 for a, b in zip(both, both[1:], strict=False))
    else:
        assert abs(second[0] - (first[0] + SEG_TICKS)) <= AAC_TICKS
        assert all(b - a == AAC_TICKS for a, b in zip(both, both[1:], strict=False))


def _check_continuity(ts: bytes, last: dict[int, int] | None = None) -> dict[int, int]:
    """Per PID, the 4-bit continuity counter advances by one on every packet with a payload and stays put on
    adaptation-field-only packets. ``last`` carries the counters on from the data checked before; returned."""
    last = {} if last is None else last
    for offset in range(0, len(ts), 188):
        pid = _pid(ts, offset // 188)
        flags = ts[offset + 3]
        cc = flags & 0x0F
        if pid in last:
            expected = (last[pid] + 1) % 16 if flags & 0x10 else last[pid]
            assert cc == expected, f"PID {pid:#x}: CC {cc} after {last[pid]} at byte {offset}"
        last[pid] = cc
    return last


@pytest.mark.parametrize("rendition", DEFAULT_RENDITIONS, ids=lambda r: r.name)
def test_continuity_counters_carry_on_across_segments(factory, rendition):
    for n in (0, 3, 7, 998):  # within a cycle and across cycle boundaries
        _check_continuity(factory.segment(rendition, n) + factory.segment(rendition, n + 1))
    _check_continuity(b"".join(factory.segment(rendition, n) for n in range(40, 60)))


def test_codecs_strings_match_the_streams(factory):
    profiles = {"Baseline": 66, "Constrained Baseline": 66, "Main": 77, "High": 100}
    for rendition in VIDEO:
        codecs = factory.codecs(rendition)
        match = re.fullmatch(r"avc1\.([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", codecs)
        assert match, codecs
        profile_idc, constraints, level_idc = (int(g, 16) for g in match.groups())
        container = av.open(io.BytesIO(factory.segment(rendition, 5)))
        ctx = container.streams.video[0].codec_context
        assert profiles[ctx.profile] == profile_idc
        assert bool(constraints & 0x40) == (ctx.profile == "Constrained Baseline")
        assert ctx.level == level_idc
    assert factory.codecs(AUDIO[0]) == "mp4a.40.2"
    assert av.open(io.BytesIO(factory.segment(AUDIO[0], 5))).streams.audio[0].profile == "LC"


def test_measured_bitrates(factory):
    for rendition in DEFAULT_RENDITIONS:
        peak, average = factory.bitrates(rendition)
        # The MPEG-TS rate: the encoder's target plus container overhead, never wildly off.
        assert rendition.bitrate * 0.8 < average <= peak < rendition.bitrate * 2


def test_other_segment_lengths():
    renditions = (VIDEO[0], AUDIO[0])
    factory = SegmentFactory(renditions, segment_seconds=6)
    assert factory.cycle_seconds == 24 and factory.cycle_segments == 4
    video = _pts(factory, VIDEO[0], 3) + _pts(factory, VIDEO[0], 4)
    assert len(video) == 300 and video[150] == PTS_OFFSET + 4 * 6 * 90_000
    with pytest.raises(ValueError):
        SegmentFactory(renditions, segment_seconds=0)


@pytest.mark.parametrize("rendition", VIDEO, ids=lambda r: r.name)
def test_every_frame_carries_its_mark(factory, rendition):
    """The mark is the frame's index in the cycle; it reads back from the encoded frame, from a copy
    scaled to a thumbnail, and from a JPEG of it."""
    marks = []
    for n in range(factory.cycle_segments + 1):  # one segment into the next cycle
        for frame in _decode(factory.segment(rendition, n))[1]:
            marks.append(read_frame_mark(frame))
            if len(marks) % 17 == 0:
                assert read_frame_mark(frame.reformat(width=160, height=90)) == marks[-1]
                assert read_frame_mark(_through_jpeg(frame, 192, 108)) == marks[-1]
    assert marks == list(range(factory.cycle_frames)) + list(range(FPS * SEGMENT_SECONDS))


def _through_jpeg(frame, width: int, height: int):
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = frame.time_base
    codec.options = {"qmin": "8", "qmax": "8"}  # a middling JPEG quality
    (packet,) = codec.encode(frame.reformat(width=width, height=height, format="yuvj420p"))
    return next(av.open(io.BytesIO(bytes(packet)), format="jpeg_pipe").decode(video=0))


def test_a_frame_without_a_mark_is_refused():
    blank = av.VideoFrame(320, 180, "yuv420p")
    for plane in blank.planes:
        plane.update(bytes([128]) * plane.buffer_size)
    with pytest.raises(UnreadableMark):
        read_frame_mark(blank)


def test_segment_lengths_whose_cycle_outgrows_the_mark_are_refused():
    with pytest.raises(ValueError, match="outgrows the mark"):
        SegmentFactory((VIDEO[0],), segment_seconds=21)


def test_a_pushed_frame_mark_is_its_capture_instant(server, factory):
    """The encoder lines its cycle up with the epoch clock: the frame captured at instant t shows
    ``mark_at(t)``, whatever the stream's start."""
    for start_seconds in (1_764_000_000, 1_764_000_002, 1_764_000_006):
        start = pendulum.from_timestamp(start_seconds, tz="UTC")
        encoder = LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory)
        encoder.start = start
        encoder.push_segments(3, 1)
        put = [p for p in server.puts if p.path.endswith("_1_00003.ts")][-1]
        frames = _decode(put.body)[1]
        captured = encoder.program_date_time(3)
        for i, frame in enumerate(frames):
            at_ms = round(captured.timestamp() * 1000) + i * 1000 // FPS
            assert read_frame_mark(frame) == factory.mark_at(at_ms)


def test_a_ten_minute_preroll_is_300_whole_segments_per_rendition(factory):
    """What the demo's pre-roll pushes (10 min of content, 300 segments per rendition): every segment a whole
    MPEG-TS starting with the PAT, the continuity counters carrying on across all 300, and the last one
    starting 598 s after the first."""
    for rendition in DEFAULT_RENDITIONS:
        counters = None
        for index in range(300):
            data = factory.segment(rendition, index)
            assert len(data) % 188 == 0 and _pid(data, 0) == 0, (rendition.name, index)
            counters = _check_continuity(data, counters)
        assert 0 <= _pts(factory, rendition, 299)[0] - (PTS_OFFSET + 299 * SEG_TICKS) < AAC_TICKS


# --------------------------------------------------------------------------------------------------
# Pushing to an ingest server
# --------------------------------------------------------------------------------------------------


@dataclass
class Put:
    path: str
    body: bytes
    content_type: str
    at: pendulum.DateTime


class IngestServer:
    """A WebDAV-ish PUT sink with basic auth, recording every accepted PUT in order."""

    def __init__(self, clock=None):
        self.clock = clock or (lambda: pendulum.now("UTC"))
        self.puts: list[Put] = []
        self.attempts: dict[str, int] = {}
        self.failures: dict[str, list[int]] = {}  # path -> statuses to answer first
        self.lock = threading.Lock()
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != expected:
                    self._answer(401, [("WWW-Authenticate", 'Basic realm="ingest"')])
                    return
                with server.lock:
                    server.attempts[self.path] = server.attempts.get(self.path, 0) + 1
                    queued = server.failures.get(self.path)
                    status = queued.pop(0) if queued else None
                    if status is None:
                        server.puts.append(Put(self.path, body, self.headers.get("Content-Type"), server.clock()))
                self._answer(status or 201)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.ingest_url = f"{self.base}/in/v2/chan-1/ingest-a/channel"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def playlists(self, name: str) -> list[Put]:
        return [p for p in self.puts if posixpath.basename(p.path) == name]


@pytest.fixture
def server():
    srv = IngestServer()
    yield srv
    srv.close()


def _check_push_order(puts: list[Put]) -> None:
    """Every segment (and media playlist) was uploaded before the first playlist naming it."""
    uploaded: set[str] = set()
    for put in puts:
        if put.path.endswith(".m3u8"):
            assert put.content_type == "application/vnd.apple.mpegurl"
            playlist = m3u8.loads(put.body.decode())
            names = [p.uri for p in playlist.playlists] + [m.uri for m in playlist.media if m.uri]
            names += [s.uri for s in playlist.segments]
            for name in names:
                assert "/" not in name, "URIs inside playlists are relative basenames"
                path = posixpath.join(posixpath.dirname(put.path), name)
                assert path in uploaded, f"{put.path} names {name} before it was uploaded"
        else:
            assert put.content_type == "video/MP2T"
        uploaded.add(put.path)


def _collect_segments(server: IngestServer, number: int) -> dict[int, tuple[str, pendulum.DateTime]]:
    """seq -> (uri, PDT) over every media playlist of rendition ``number`` the server received, checking
    each playlist's form on the way."""
    seen: dict[int, tuple[str, pendulum.DateTime]] = {}
    for put in server.playlists(f"channel_{number}.m3u8"):
        text = put.body.decode()
        lines = text.splitlines()
        assert lines[0] == "#EXTM3U"
        assert "#EXT-X-VERSION:3" in lines and f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}" in lines
        pdt_lines = [line for line in lines if line.startswith("#EXT-X-PROGRAM-DATE-TIME:")]
        uris = [line for line in lines if line and not line.startswith("#")]
        assert len(pdt_lines) == len(uris) > 0 and all(PDT_LINE.match(line) for line in pdt_lines)
        assert lines.count(f"#EXTINF:{SEGMENT_SECONDS}.000,") == len(uris)
        playlist = m3u8.loads(text)
        assert not playlist.is_variant
        sequences = [int(re.search(r"_(\d+)\.ts$", s.uri).group(1)) for s in playlist.segments]
        assert f"#EXT-X-MEDIA-SEQUENCE:{sequences[0]}" in lines
        assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
        for seq, segment in zip(sequences, playlist.segments, strict=True):
            assert segment.uri == f"channel_{number}_{seq:05d}.ts"
            pdt = pendulum.instance(segment.program_date_time)
            if seq in seen:
                assert seen[seq][1] == pdt, "a segment's PDT must not change between playlists"
            seen[seq] = (segment.uri, pdt)
    return seen


def _check_pdts(seen: dict[int, tuple[str, pendulum.DateTime]]) -> None:
    sequences = sorted(seen)
    assert sequences == list(range(sequences[0], sequences[-1] + 1)), "no gaps"
    for seq in sequences:
        pdt = seen[seq][1]
        assert pdt.timestamp() % SEGMENT_SECONDS == 0, "PDTs are aligned to segment boundaries"
        if seq - 1 in seen:
            assert pdt == seen[seq - 1][1].add(seconds=SEGMENT_SECONDS)


def test_test_server_requires_basic_auth(server):
    import requests

    assert requests.put(server.ingest_url + ".m3u8", data=b"x").status_code == 401
    answer = requests.put(server.ingest_url + ".m3u8", data=b"x", auth=(USER, "wrong"))
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert server.puts == []


def test_preroll_push(server, factory, caplog):
    caplog.set_level(logging.INFO, logger="devstack.encoder")
    encoder = LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory)
    before = pendulum.now("UTC")
    started = time.perf_counter()
    encoder.run(preroll_seconds=60, duration_seconds=0)
    print(f"\npre-roll of 60 s x 4 renditions pushed in {time.perf_counter() - started:.2f} s")
    after = pendulum.now("UTC")

    # Start: now - 60 s, rounded down to a segment boundary.
    assert encoder.start.timestamp() % SEGMENT_SECONDS == 0
    assert before.subtract(seconds=60 + SEGMENT_SECONDS) < encoder.start <= after.subtract(seconds=60)

    _check_push_order(server.puts)
    prefix = urlsplit(server.ingest_url).path
    segment_puts = [p for p in server.puts if p.path.endswith(".ts")]
    assert len(segment_puts) == 30 * len(DEFAULT_RENDITIONS)
    assert all(re.fullmatch(re.escape(prefix) + r"_[1-4]_\d{5}\.ts", p.path) for p in segment_puts)
    assert len({p.path for p in segment_puts}) == len(segment_puts), "each segment uploaded once"

    # Multivariant playlist.
    (multivariant,) = server.playlists("channel.m3u8")
    text = multivariant.body.decode()
    variant = m3u8.loads(text)
    assert variant.is_variant and len(variant.playlists) == 3
    (audio,) = variant.media
    assert (audio.type, audio.group_id, audio.name, audio.language, audio.default, audio.autoselect) == (
        "AUDIO",
        "aac",
        "English",
        "en",
        "YES",
        "YES",
    )
    assert audio.uri == "channel_4.m3u8"
    assert 'URI="channel_4.m3u8"' in text and "FRAME-RATE=25.000" in text
    for number, (rendition, playlist) in enumerate(zip(VIDEO, variant.playlists, strict=True), 1):
        info = playlist.stream_info
        assert playlist.uri == f"channel_{number}.m3u8"
        assert info.resolution == (rendition.width, rendition.height)
        assert info.codecs == f"{factory.codecs(rendition)},mp4a.40.2"
        assert info.audio == "aac" and info.frame_rate == 25
        assert info.bandwidth >= info.average_bandwidth > rendition.bitrate

    # Media playlists: PDT on every segment, aligned and contiguous, the whole pre-roll named, ENDLIST last.
    for number in range(1, len(DEFAULT_RENDITIONS) + 1):
        seen = _collect_segments(server, number)
        assert sorted(seen) == list(range(30))
        _check_pdts(seen)
        assert seen[0][1] == encoder.start
        assert seen[29][1].add(seconds=SEGMENT_SECONDS) <= after, "only segments that have ended"
        final = server.playlists(f"channel_{number}.m3u8")[-1].body.decode()
        assert final.rstrip().endswith("#EXT-X-ENDLIST")
        assert m3u8.loads(final).is_endlist
        assert not any("#EXT-X-ENDLIST" in p.body.decode() for p in server.playlists(f"channel_{number}.m3u8")[:-1])

    # The uploaded bodies are the factory's segments, and they decode.
    last = {p.path: p.body for p in segment_puts}
    for number, rendition in enumerate(DEFAULT_RENDITIONS, 1):
        body = last[f"{prefix}_{number}_00029.ts"]
        assert body == factory.segment(rendition, 29 + encoder.cycle_offset)
        assert _decode(body)[1]

    assert any("pushed 1 min of content" in r.getMessage() for r in caplog.records)
    assert PASSWORD not in caplog.text


def _accelerated_clock(speed: float):
    base = pendulum.now("UTC")
    t0 = time.monotonic()
    return lambda: base.add(microseconds=int((time.monotonic() - t0) * speed * 1e6))


def test_realtime_pushes_each_segment_once_it_has_ended(factory):
    clock = _accelerated_clock(20)  # 2 s segments every 0.1 s of wall time
    server = IngestServer(clock)
    try:
        encoder = LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory, clock=clock, playlist_window=3)
        t0 = clock()
        encoder.run(preroll_seconds=4, duration_seconds=12)
        _check_push_order(server.puts)
        # Every segment that ended by (run's now + 12 s); run() read its clock a moment after t0.
        earliest = int((t0.add(seconds=12) - encoder.start).total_seconds() // SEGMENT_SECONDS)
        expected = encoder.next_segment
        assert expected - earliest in (0, 1) and expected >= 8
        for number in range(1, len(DEFAULT_RENDITIONS) + 1):
            seen = _collect_segments(server, number)
            assert sorted(seen) == list(range(expected))
            _check_pdts(seen)
            playlists = server.playlists(f"channel_{number}.m3u8")
            assert playlists[-1].body.decode().rstrip().endswith("#EXT-X-ENDLIST")
            # Live playlists are sliding windows of at most playlist_window segments (catch-up batches too).
            assert all(len(m3u8.loads(p.body.decode()).segments) <= 3 for p in playlists)
        for put in server.puts:
            match = re.search(r"_\d_(\d+)\.ts$", put.path)
            if match:
                end = encoder.program_date_time(int(match.group(1)) + 1)
                assert put.at >= end, f"{put.path} pushed before its end"
    finally:
        server.close()


def test_stop_event_ends_the_presentation(factory):
    clock = _accelerated_clock(20)
    server = IngestServer(clock)
    try:
        encoder = LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory, clock=clock)
        stop = threading.Event()
        thread = threading.Thread(target=encoder.run, kwargs={"stop_event": stop}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while len([p for p in server.puts if p.path.endswith("_4.m3u8")]) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()
        _check_push_order(server.puts)
        for number in range(1, len(DEFAULT_RENDITIONS) + 1):
            seen = _collect_segments(server, number)
            assert len(seen) >= 3
            _check_pdts(seen)
            assert server.playlists(f"channel_{number}.m3u8")[-1].body.decode().rstrip().endswith("#EXT-X-ENDLIST")
    finally:
        server.close()


def test_push_segments_then_finish(server, factory):
    encoder = LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory, playlist_window=4)
    encoder.start = pendulum.datetime(2026, 11, 26, 14, 32, 0, tz="UTC")
    encoder.push_segments(0, 2)
    encoder.push_segments(2, 5)
    encoder.finish()
    encoder.finish()  # idempotent
    _check_push_order(server.puts)
    windows = [[s.uri for s in m3u8.loads(p.body.decode()).segments] for p in server.playlists("channel_2.m3u8")]
    assert windows == [
        ["channel_2_00000.ts", "channel_2_00001.ts"],
        [f"channel_2_{i:05d}.ts" for i in range(2, 7)],  # the whole batch, even beyond the window
        [f"channel_2_{i:05d}.ts" for i in range(3, 7)],  # final: the last window + ENDLIST
    ]
    final = server.playlists("channel_1.m3u8")[-1].body.decode()
    assert "#EXT-X-MEDIA-SEQUENCE:3" in final and final.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-26T14:32:06.000+0000" in final
    first = server.playlists("channel_1.m3u8")[0].body.decode()
    assert "#EXT-X-MEDIA-SEQUENCE:0" in first
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-26T14:32:00.000+0000" in first
    with pytest.raises(RuntimeError):
        encoder.push_segments(7, 1)


def test_transient_failures_are_retried(server, factory):
    encoder = LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory)
    encoder.RETRY_BACKOFF = 0.01
    path = urlsplit(server.ingest_url).path + "_1_00000.ts"
    server.failures[path] = [503, 500]
    encoder.push_segments(0, 1)
    assert server.attempts[path] == 3
    assert len([p for p in server.puts if p.path == path]) == 1


def test_http_errors_are_reported_without_credentials(server, factory):
    url = server.ingest_url.replace("http://", f"http://{USER}:{PASSWORD}@")
    encoder = LiveHlsEncoder(url, USER, PASSWORD, factory=factory)
    path = urlsplit(server.ingest_url).path + "_1_00000.ts"
    server.failures[path] = [403]
    with pytest.raises(IngestError) as error:
        encoder.push_segments(0, 1)
    message = str(error.value)
    assert "403" in message and server.ingest_url + "_1_00000.ts" in message
    assert PASSWORD not in message and USER not in message
    assert server.attempts[path] == 1, "a 4xx is not retried"

    wrong = LiveHlsEncoder(server.ingest_url, USER, "wrong", factory=factory)
    with pytest.raises(IngestError, match="401"):
        wrong.push_segments(0, 1)


def test_unreachable_ingest_fails_after_retries(factory):
    server = IngestServer()
    url = server.ingest_url
    server.close()  # nothing listens there any more
    encoder = LiveHlsEncoder(url, USER, PASSWORD, factory=factory)
    encoder.RETRY_BACKOFF = 0.01
    with pytest.raises(IngestError, match="after 3 attempts") as error:
        encoder.push_segments(0, 1)
    assert PASSWORD not in str(error.value)


@pytest.mark.ffmpeg
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")
def test_ffmpeg_reads_the_pushed_presentation_cleanly(server, factory, tmp_path):
    """A real HLS client (FFmpeg's) plays the pushed presentation without a single warning: no corrupt
    packets, no continuity or timestamp complaints."""
    LiveHlsEncoder(server.ingest_url, USER, PASSWORD, factory=factory).run(preroll_seconds=20, duration_seconds=0)
    for put in server.puts:
        (tmp_path / posixpath.basename(put.path)).write_bytes(put.body)
    result = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-v",
            "warning",
            "-i",
            str(tmp_path / "channel.m3u8"),
            "-map",
            "0",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_cli(server, caplog):
    caplog.set_level(logging.INFO, logger="devstack.encoder")
    main(
        ["--ingest-url", server.ingest_url, "--username", USER, "--password", PASSWORD,
         "--preroll", "6", "--duration", "0"]
    )  # fmt: skip
    _check_push_order(server.puts)
    assert len([p for p in server.puts if p.path.endswith(".ts")]) == 3 * len(DEFAULT_RENDITIONS)
    assert server.playlists("channel_4.m3u8")[-1].body.decode().rstrip().endswith("#EXT-X-ENDLIST")
    assert PASSWORD not in caplog.text


def test_cli_takes_credentials_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("DEVSTACK_INGEST_USERNAME", USER)
    monkeypatch.setenv("DEVSTACK_INGEST_PASSWORD", PASSWORD)
    main(["--ingest-url", server.ingest_url, "--preroll", "2", "--duration", "0", "--segment-seconds", "1"])
    assert len([p for p in server.puts if p.path.endswith(".ts")]) == 2 * len(DEFAULT_RENDITIONS)
    monkeypatch.delenv("DEVSTACK_INGEST_PASSWORD")
    with pytest.raises(SystemExit):
        main(["--ingest-url", server.ingest_url, "--username", USER])


def test_shift_timestamps_moves_the_clock_and_keeps_the_media():
    from devstack.encoder.segments import SegmentFactory
    from devstack.encoder.ts import shift_timestamps, timestamp_fields
    from live_to_vod.verification.decode import decode_media
    from live_to_vod.verification.probe import probe_segment

    factory = SegmentFactory()
    for rendition in ("video_180p", "audio_aac"):
        first = factory.segment(rendition, 0)
        fields = timestamp_fields(first)
        assert fields, rendition
        moved = shift_timestamps(first, 7 * 2 * 90_000, fields)
        assert len(moved) == len(first) and moved != first
        times = [probe_segment(s, "ts", object_size=len(s)).first_time for s in (moved, factory.segment(rendition, 7))]
        assert abs(times[0] - times[1]) < 0.05, (rendition, times)
        decoded = decode_media(moved, "mpegts", wraps=True)
        assert decoded.error is None and abs(decoded.span - 2.0) < 0.05
    wrapped = shift_timestamps(first, (1 << 33) - 90_000)  # past the 33-bit wrap: modulo, no overflow
    assert probe_segment(wrapped, "ts", object_size=len(wrapped)).first_time < 10
