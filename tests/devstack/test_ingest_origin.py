"""Live ingest over HTTP the way encoders push, and the origin endpoints' live playlists."""

from __future__ import annotations

import base64
import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request

import m3u8
import pendulum
import pytest

SEGMENT = b"\x47" + bytes(187)  # one TS packet is enough for the ingest path; media is tested elsewhere


@pytest.fixture
def channel(aws):
    mp = aws["mediapackage"]
    created = mp.create_channel(Id="live")
    mp.create_origin_endpoint(
        ChannelId="live",
        Id="hls",
        StartoverWindowSeconds=600,
        HlsPackage={
            "SegmentDurationSeconds": 2,
            "PlaylistWindowSeconds": 20,
            "ProgramDateTimeIntervalSeconds": 2,
        },
    )
    return created["HlsIngest"]["IngestEndpoints"][0]


def auth_header(ingest) -> str:
    return "Basic " + base64.b64encode(f"{ingest['Username']}:{ingest['Password']}".encode()).decode()


def put(ingest, name: str, body: bytes, *, auth: bool = True) -> int:
    url = urllib.parse.urlsplit(ingest["Url"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Authorization": auth_header(ingest)} if auth else {}
    conn.request("PUT", url.path.rsplit("/", 1)[0] + "/" + name, body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def media_playlist(first_seq: int, count: int, start: pendulum.DateTime, *, ended: bool = False) -> bytes:
    """A sliding-window playlist as encoders write it, PDT with a +0000 offset."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{first_seq}"]
    for seq in range(first_seq, first_seq + count):
        pdt = start.add(seconds=2 * seq).format("YYYY-MM-DDTHH:mm:ss.SSSZZ")
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{pdt}", "#EXTINF:2.000,", f"channel_1_{seq:05d}.ts"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


def push_window(ingest, start, seqs, window=3, ended=False):
    for seq in seqs:
        assert put(ingest, f"channel_1_{seq:05d}.ts", SEGMENT) == 201
        first = max(seqs[0], seq - window + 1)
        assert put(ingest, "channel_1.m3u8", media_playlist(first, seq - first + 1, start)) == 201
    if ended:
        assert put(ingest, "channel_1.m3u8", media_playlist(seqs[-1] - window + 1, window, start, ended=True)) == 201


def origin(aws, path: str = "") -> str:
    url = aws["mediapackage"].describe_origin_endpoint(Id="hls")["Url"]
    if path:
        url = url.rsplit("/", 1)[0] + "/" + path
    return urllib.request.urlopen(url).read().decode()


def test_expect_100_continue_gets_401_before_the_body(channel):
    url = urllib.parse.urlsplit(channel["Url"])
    path = url.path.rsplit("/", 1)[0] + "/channel_1_00000.ts"
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        reply = sock.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 401") and "WWW-Authenticate: Basic" in reply
    # The encoder answers the challenge: 100 Continue, then a chunked body.
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth_header(channel)}\r\n"
            "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 100")
        sock.sendall(b"%x\r\n" % len(SEGMENT) + SEGMENT + b"\r\n0\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 201")


def test_unauthenticated_put_is_refused_and_the_connection_stays_usable(channel):
    url = urllib.parse.urlsplit(channel["Url"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    base = url.path.rsplit("/", 1)[0]
    conn.request("PUT", f"{base}/channel_1_00000.ts", body=iter([SEGMENT, SEGMENT]), encode_chunked=True)
    response = conn.getresponse()
    response.read()
    assert response.status == 401
    wrong = dict(channel, Password="wrong")
    assert put(wrong, "channel_1_00000.ts", SEGMENT) == 401
    assert put(channel, "channel_1_00000.ts", SEGMENT) == 201


def test_sliding_windows_accumulate_and_origin_serves_live_playlists(aws, channel, stack):
    start = pendulum.now("UTC").subtract(seconds=30).replace(microsecond=0)
    push_window(channel, start, list(range(0, 15)))
    content = next(iter(stack.stack.mediapackage.regions["us-east-1"].channels.values())).content
    rendition = content.renditions["channel_1.m3u8"]
    assert len(rendition.segments) == 15  # the encoder's window held 3; the stack kept all
    assert rendition.segments[0].start_ms == int(start.timestamp() * 1000)  # +0000 offsets parsed
    parent = m3u8.loads(origin(aws))
    assert parent.is_variant and parent.playlists[0].uri == "index_1.m3u8"
    child = m3u8.loads(origin(aws, "index_1.m3u8"))
    # PlaylistWindowSeconds=20: the last 10 segments that ended before now.
    assert 9 <= len(child.segments) <= 11
    assert not child.is_endlist
    assert all(s.program_date_time is not None for s in child.segments)  # PDT every 2 s
    assert child.media_sequence == rendition.segments[-len(child.segments)].seq
    body = urllib.request.urlopen(
        aws["mediapackage"].describe_origin_endpoint(Id="hls")["Url"].rsplit("/", 1)[0] + "/" + child.segments[-1].uri
    ).read()
    assert body == SEGMENT


def test_endlist_delete_and_pdt_interval(aws, channel):
    start = pendulum.now("UTC").subtract(seconds=30).replace(microsecond=0)
    push_window(channel, start, list(range(0, 10)), ended=True)
    url = urllib.parse.urlsplit(channel["Url"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request(
        "DELETE",
        url.path.rsplit("/", 1)[0] + "/channel_1_00000.ts",
        headers={"Authorization": auth_header(channel)},
    )
    assert conn.getresponse().status == 204
    child = m3u8.loads(origin(aws, "index_1.m3u8"))
    assert child.is_endlist
    aws["mediapackage"].update_origin_endpoint(
        Id="hls", HlsPackage={"ProgramDateTimeIntervalSeconds": 0, "PlaylistWindowSeconds": 60}
    )
    child = m3u8.loads(origin(aws, "index_1.m3u8"))
    assert len(child.segments) == 10  # the deleted upload was already the stack's
    assert all(s.program_date_time is None for s in child.segments)
    aws["mediapackage"].update_origin_endpoint(
        Id="hls", HlsPackage={"ProgramDateTimeIntervalSeconds": 6, "PlaylistWindowSeconds": 60}
    )
    tagged = [s for s in m3u8.loads(origin(aws, "index_1.m3u8")).segments if s.program_date_time is not None]
    assert len(tagged) == 4  # every third 2 s segment


def test_time_delay_holds_back_the_live_edge(aws, channel):
    start = pendulum.now("UTC").subtract(seconds=30).replace(microsecond=0)
    push_window(channel, start, list(range(0, 15)))  # 0..30 s: up to now
    aws["mediapackage"].update_origin_endpoint(Id="hls", TimeDelaySeconds=10)
    child = m3u8.loads(origin(aws, "index_1.m3u8"))
    last_end = pendulum.instance(child.segments[-1].current_program_date_time).add(seconds=2)
    assert last_end <= pendulum.now("UTC").subtract(seconds=10)


def test_eviction_keeps_the_startover_window(aws, channel, stack):
    old = pendulum.now("UTC").subtract(minutes=30).replace(microsecond=0)
    push_window(channel, old, list(range(0, 5)))  # 30 minutes ago: outside the 600 s startover window
    recent = pendulum.now("UTC").subtract(seconds=60).replace(microsecond=0)
    push_window(channel, recent, list(range(0, 5)))
    content = next(iter(stack.stack.mediapackage.regions["us-east-1"].channels.values())).content
    files = list((content.root / "renditions").rglob("*.ts"))
    assert len(files) == 10
    assert stack.stack.evict_once() == 5
    assert len(list((content.root / "renditions").rglob("*.ts"))) == 5


def test_unknown_ingest_and_origin_paths(channel):
    bad = dict(channel, Url=channel["Url"].replace("/in/v2/", "/in/v2/00").rsplit("/", 1)[0] + "/channel")
    assert put(bad, "channel.m3u8", b"#EXTM3U\n") == 404
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(channel["Url"].split("/in/")[0] + "/out/v1/0123/index.m3u8")
    assert info.value.code == 404


def test_a_segment_named_before_its_upload_lands_is_ingested_when_it_does(aws, channel):
    """An encoder uploads the playlist and the segment on two connections: under load the playlist
    can win, and for the last segment (ENDLIST) no later playlist names it again."""
    start = pendulum.now("UTC").subtract(seconds=10).replace(microsecond=0)  # inside the 20 s live window
    push_window(channel, start, [0, 1, 2])
    assert put(channel, "channel_1.m3u8", media_playlist(1, 3, start, ended=True)) == 201  # names 00003 first
    assert put(channel, "channel_1_00003.ts", SEGMENT) == 201
    child = m3u8.loads(origin(aws, "index_1.m3u8"))
    assert len(child.segments) == 4 and child.is_endlist
    assert pendulum.instance(child.segments[-1].program_date_time) == start.add(seconds=6)
