"""The live push: :class:`LiveHlsEncoder` sends segments and playlists to a channel's ingest URL as
MediaLive does (HTTP PUT with basic auth, every segment before the playlist naming it)."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

import m3u8
import pendulum
import requests

from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.encoder.pattern import AUDIO_CHANNELS, FPS
from devstack.encoder.segments import DEFAULT_RENDITIONS, SEGMENT_SECONDS, Rendition, SegmentFactory

log = logging.getLogger(__name__)


class IngestError(RuntimeError):
    """A PUT to the ingest endpoint failed (non-2xx answer, or the network kept failing)."""


_OFFSET_COLON = re.compile(r"^(#EXT-X-PROGRAM-DATE-TIME:.*[+-]\d\d):(\d\d)$", re.MULTILINE)
_FRAME_RATE = re.compile(r"FRAME-RATE=([0-9.]+)")


def _epoch_us(moment: pendulum.DateTime) -> int:
    return moment.int_timestamp * 1_000_000 + moment.microsecond


def _safe_url(url: str) -> str:
    """The URL without any user:password@ part, for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class LiveHlsEncoder:
    """Pushes a live HLS presentation to an ingest URL (MediaLive-style HLS output over WebDAV PUT).

    ``ingest_url`` is the channel's ingest base (a trailing ``.m3u8`` is tolerated and dropped; any
    ``user:password@`` in it is dropped too -- credentials are sent only as basic auth from ``username``
    and ``password``, or by ``auth``, e.g. :class:`devstack.encoder.signing.SigV4PushAuth` for a v2
    channel). ``playlist_window`` is the number of segments in the live media playlists.
    ``clock`` returns the current time (default ``pendulum.now("UTC")``). ``factory`` lets several encoders
    share one :class:`SegmentFactory` (its renditions and segment length then apply; ``renditions`` and
    ``segment_seconds`` must be left at their defaults or match it).
    """

    RETRIES = 2  # extra attempts for a failed PUT (network error, 5xx or 429)
    RETRY_BACKOFF = 0.25  # seconds, doubled every attempt
    TIMEOUT = 30  # seconds per request
    POLL = 0.25  # longest sleep between clock checks in real time

    def __init__(
        self,
        ingest_url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        auth: requests.auth.AuthBase | None = None,
        renditions: Sequence[Rendition] = DEFAULT_RENDITIONS,
        segment_seconds: int = SEGMENT_SECONDS,
        playlist_window: int = 6,
        session: requests.Session | None = None,
        clock: Callable[[], pendulum.DateTime] | None = None,
        factory: SegmentFactory | None = None,
    ):
        if playlist_window < 1:
            raise ValueError("playlist_window must be at least 1")
        if factory is None:
            factory = SegmentFactory(renditions, segment_seconds)
        elif tuple(renditions) != factory.renditions and renditions is not DEFAULT_RENDITIONS:
            raise ValueError("renditions differ from the factory's")
        elif segment_seconds != factory.segment_seconds and segment_seconds != SEGMENT_SECONDS:
            raise ValueError("segment_seconds differs from the factory's")
        self.factory = factory
        self.renditions = factory.renditions
        self.segment_seconds = factory.segment_seconds
        self.playlist_window = playlist_window
        url = _safe_url(ingest_url)  # credentials travel in the Authorization header only
        self.base_url = url[: -len(".m3u8")] if url.endswith(".m3u8") else url
        self.basename = self.base_url.rsplit("/", 1)[-1]
        if not self.basename or not urlsplit(self.base_url).netloc:
            raise ValueError(f"ingest URL {self.base_url!r} must end with a name, e.g. .../channel")
        # v1 channels: basic auth; v2: the channel policy decides (``auth`` signs, or nothing is sent).
        self._auth = auth or ((username, password) if username is not None else None)
        self._session = session or requests.Session()
        self._clock = clock or (lambda: pendulum.now("UTC"))
        self._start: pendulum.DateTime | None = None
        self._next = 0  # first segment index not pushed yet
        self._run_start = 0  # first index of the current contiguous run of pushed segments
        self._pushed = False
        self._multivariant_pushed = False
        self._finished = False
        self._logged_minutes = 0

    # -- public --------------------------------------------------------------------------------------

    @property
    def start(self) -> pendulum.DateTime:
        """PDT of segment 0 (set by :meth:`run`, or on the first push: now, rounded down)."""
        if self._start is None:
            self._start = self._aligned(self._now())
        return self._start

    @start.setter
    def start(self, value: pendulum.DateTime) -> None:
        if self._pushed:
            raise RuntimeError("the start cannot change once segments were pushed")
        self._start = pendulum.instance(value).in_timezone("UTC")

    @property
    def next_segment(self) -> int:
        """Index of the next segment :meth:`run` would push."""
        return self._next

    @property
    def cycle_offset(self) -> int:
        """The factory segment pushed as segment 0: the one at the start's place in a cycle counted from
        the Unix epoch, so every frame's mark is its capture instant in frames since the epoch, modulo the
        cycle (``SegmentFactory.mark_at``)."""
        seconds = round(self.start.timestamp() * 1000) // 1000
        return (seconds // self.segment_seconds) % self.factory.cycle_segments

    def program_date_time(self, index: int) -> pendulum.DateTime:
        return self.start.add(seconds=index * self.segment_seconds)

    def run(
        self,
        preroll_seconds: float = 0,
        duration_seconds: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        """Pre-roll: back-fill ``preroll_seconds`` of back-dated content as fast as possible; the stream's
        start (PDT of segment 0) is now - preroll_seconds rounded down to a whole segment of the epoch clock.
        Then continue in real time: segment n is pushed as soon as its end (PDT + duration) is <= now.
        Stops after ``duration_seconds`` of content past the pre-roll point (the segments that end by
        then), when ``stop_event`` is set, or never (None). On stop, pushes final playlists with
        #EXT-X-ENDLIST."""
        if preroll_seconds < 0:
            raise ValueError("preroll_seconds must not be negative")
        now = self._now()
        if not self._pushed:
            self._start = self._aligned(now.subtract(microseconds=round(preroll_seconds * 1e6)))
        elif preroll_seconds:
            log.warning("run(): segments were already pushed, ignoring preroll_seconds=%s", preroll_seconds)
        limit = None
        if duration_seconds is not None:
            limit = self._ended_by(now.add(microseconds=round(duration_seconds * 1e6)))

        def stopped() -> bool:
            return stop_event is not None and stop_event.is_set()

        ready = self._ended_by(now)
        if limit is not None:
            ready = min(ready, limit)
        if ready > self._next:
            log.info(
                "pre-roll: pushing %d segments (%s s) from %s",
                ready - self._next,
                (ready - self._next) * self.segment_seconds,
                self.program_date_time(self._next),
            )
        while self._next < ready and not stopped():
            self.push_segments(self._next, min(self.playlist_window, ready - self._next))

        while not stopped() and (limit is None or self._next < limit):
            now = self._now()
            ready = self._ended_by(now)
            if limit is not None:
                ready = min(ready, limit)
            if ready > self._next:
                self.push_segments(self._next, min(self.playlist_window, ready - self._next))
                continue
            due = self.program_date_time(self._next + 1)
            wait = min(self.POLL, max(0.0, (due - now).total_seconds()))
            if stop_event is not None:
                stop_event.wait(wait)
            else:
                time.sleep(wait)
        self.finish()

    def push_segments(self, first: int, count: int) -> None:
        """Pushes segments [first, first+count) of every rendition, then the media playlists naming them
        (a sliding window of at least ``playlist_window`` segments ending with the last one pushed), then,
        the first time, the multivariant playlist."""
        if first < 0 or count < 1:
            raise ValueError("need first >= 0 and count >= 1")
        if self._finished:
            raise RuntimeError("the presentation was finished")
        self.start  # noqa: B018 -- fixes the start if nobody did
        if not self._pushed or first != self._next:
            self._run_start = first
        self._pushed = True
        end = first + count
        for number, rendition in enumerate(self.renditions, 1):
            for index in range(first, end):
                body = self.factory.segment(rendition, index + self.cycle_offset)
                self._put(self._segment_url(number, index), body, TS_CONTENT_TYPE)
        low = max(self._run_start, min(first, end - self.playlist_window))
        for number, _ in enumerate(self.renditions, 1):
            self._put(
                self._playlist_url(number),
                self.media_playlist(number, low, end).encode(),
                HLS_CONTENT_TYPE,
            )
        self._next = end
        if not self._multivariant_pushed:
            self._put(f"{self.base_url}.m3u8", self.multivariant_playlist().encode(), HLS_CONTENT_TYPE)
            self._multivariant_pushed = True
        minutes = int(end * self.segment_seconds // 60)
        if minutes > self._logged_minutes:
            self._logged_minutes = minutes
            lag = (self._now() - self.program_date_time(end)).total_seconds()
            log.info(
                "pushed %d min of content: segments up to %d, PDT up to %s (%.1f s behind now)",
                minutes,
                end - 1,
                self.program_date_time(end).isoformat(),
                lag,
            )

    def finish(self) -> None:
        """Pushes the final media playlists (the last window, with #EXT-X-ENDLIST). Idempotent."""
        if self._finished:
            return
        self._finished = True
        if not self._pushed:
            log.warning("finish(): no segment was pushed, nothing to end")
            return
        low = max(self._run_start, self._next - self.playlist_window)
        for number, _ in enumerate(self.renditions, 1):
            self._put(
                self._playlist_url(number),
                self.media_playlist(number, low, self._next, final=True).encode(),
                HLS_CONTENT_TYPE,
            )
        log.info(
            "finished after segment %d (PDT %s)",
            self._next - 1,
            self.program_date_time(self._next).isoformat(),
        )

    # -- playlists -----------------------------------------------------------------------------------

    def segment_name(self, number: int, index: int) -> str:
        return f"{self.basename}_{number}_{index:05d}.ts"

    def playlist_name(self, number: int | None = None) -> str:
        return f"{self.basename}.m3u8" if number is None else f"{self.basename}_{number}.m3u8"

    def media_playlist(self, number: int, first: int, end: int, *, final: bool = False) -> str:
        """Media playlist of rendition ``number`` (1-based) listing segments [first, end)."""
        playlist = m3u8.M3U8()
        playlist.version = 3
        playlist.target_duration = self.segment_seconds
        playlist.media_sequence = first
        for index in range(first, end):
            playlist.add_segment(
                m3u8.Segment(
                    uri=self.segment_name(number, index),
                    duration=float(self.segment_seconds),
                    program_date_time=self.program_date_time(index),
                )
            )
        playlist.is_endlist = final
        text = playlist.dumps(timespec="milliseconds", infspec="milliseconds")
        # m3u8 leaves out EXT-X-MEDIA-SEQUENCE when it is 0, and writes the UTC offset as +00:00; encoders
        # always write the sequence and MediaLive writes the offset in the basic form (+0000).
        if first == 0:
            text = text.replace("#EXTM3U\n", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n", 1)
        return _OFFSET_COLON.sub(r"\1\2", text)

    def multivariant_playlist(self) -> str:
        videos = [(i, r) for i, r in enumerate(self.renditions, 1) if r.kind == "video"]
        audios = [(i, r) for i, r in enumerate(self.renditions, 1) if r.kind == "audio"]
        playlist = m3u8.M3U8()
        playlist.version = 3
        playlist.is_independent_segments = True
        media = []
        for position, (number, rendition) in enumerate(audios):
            media.append(
                m3u8.Media(
                    uri=self.playlist_name(number),
                    type="AUDIO",
                    group_id="aac",
                    name="English" if position == 0 else rendition.name,
                    language="en",
                    default="YES" if position == 0 else "NO",
                    autoselect="YES",
                    channels=str(AUDIO_CHANNELS),
                )
            )
        for item in media:
            playlist.add_media(item)
        audio_codecs = self.factory.codecs(audios[0][1]) if audios else None
        audio_peak, audio_average = self.factory.bitrates(audios[0][1]) if audios else (0, 0)
        for number, rendition in videos:
            peak, average = self.factory.bitrates(rendition)
            codecs = self.factory.codecs(rendition)
            info = {
                "bandwidth": peak + audio_peak,
                "average_bandwidth": average + audio_average,
                "codecs": f"{codecs},{audio_codecs}" if audio_codecs else codecs,
                "resolution": f"{rendition.width}x{rendition.height}",
                "frame_rate": float(FPS),
            }
            if audios:
                info["audio"] = "aac"
            playlist.add_playlist(m3u8.Playlist(self.playlist_name(number), info, media, None))
        if not videos:  # audio-only presentation: the audio renditions are the variants
            for number, rendition in audios:
                peak, average = self.factory.bitrates(rendition)
                info = {
                    "bandwidth": peak,
                    "average_bandwidth": average,
                    "codecs": self.factory.codecs(rendition),
                }
                playlist.add_playlist(m3u8.Playlist(self.playlist_name(number), info, [], None))
        # m3u8 writes FRAME-RATE with %g ("25"); encoders write three decimals.
        return _FRAME_RATE.sub(lambda m: f"FRAME-RATE={float(m.group(1)):.3f}", playlist.dumps())

    # -- internals -----------------------------------------------------------------------------------

    def _now(self) -> pendulum.DateTime:
        return pendulum.instance(self._clock()).in_timezone("UTC")

    def _aligned(self, moment: pendulum.DateTime) -> pendulum.DateTime:
        seconds = math.floor(moment.timestamp())
        return pendulum.from_timestamp(seconds - seconds % self.segment_seconds, tz="UTC")

    def _ended_by(self, moment: pendulum.DateTime) -> int:
        """Number of segments (from 0) whose end is <= moment."""
        elapsed = _epoch_us(moment) - _epoch_us(self.start)
        return max(0, elapsed // (self.segment_seconds * 1_000_000))

    def _segment_url(self, number: int, index: int) -> str:
        return f"{self.base_url}_{number}_{index:05d}.ts"

    def _playlist_url(self, number: int) -> str:
        return f"{self.base_url}_{number}.m3u8"

    def _put(self, url: str, body: bytes, content_type: str) -> None:
        error: Exception | None = None
        for attempt in range(self.RETRIES + 1):
            if attempt:
                time.sleep(self.RETRY_BACKOFF * 2 ** (attempt - 1))
            try:
                response = self._session.put(
                    url,
                    data=body,
                    auth=self._auth,
                    headers={"Content-Type": content_type},
                    timeout=self.TIMEOUT,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = exc
                log.warning(
                    "PUT %s failed (%s), attempt %d of %d",
                    url,
                    type(exc).__name__,
                    attempt + 1,
                    self.RETRIES + 1,
                )
                continue
            status = response.status_code
            if 200 <= status < 300:
                return
            detail = response.text[:200].strip()
            error = IngestError(
                f"PUT {url} failed: HTTP {status} {response.reason or ''}".rstrip() + (f": {detail}" if detail else "")
            )
            if status < 500 and status != 429:
                raise error
            log.warning("PUT %s answered HTTP %d, attempt %d of %d", url, status, attempt + 1, self.RETRIES + 1)
        if isinstance(error, IngestError):
            raise error
        raise IngestError(f"PUT {url} failed after {self.RETRIES + 1} attempts: {error}") from error
