"""A job's input, read from S3 with the job's role as MediaConvert reads it.

HLS (``.m3u8``): from a multivariant playlist the highest-``BANDWIDTH`` variant; its audio from an
alternate rendition when the variant names an audio group (the rendition an ``AudioSelector``'s
``HlsRenditionGroupSettings`` picks, else the group's ``DEFAULT=YES`` one, else its first). The
media playlists must be VOD (``EXT-X-ENDLIST`` or ``EXT-X-PLAYLIST-TYPE:VOD``), ``EXT-X-VERSION``
4 or lower, unencrypted, over MPEG-TS segments. Any other object is read as one media file.
The media is written to the job's work directory, one file per track source, for the transcoder.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import m3u8

from devstack.aws import AccessProblem, RoleNotAssumable, Sibling

S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")
MEDIACONVERT_PRINCIPAL = "mediaconvert.amazonaws.com"
MAX_HLS_VERSION = 4


class JobError(Exception):
    """Ends a job in ``ERROR`` with MediaConvert's ``code`` and ``message``."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class InputMedia:
    """Where the input's media is, on local disk."""

    video: Path  # the chosen variant's segments, concatenated (or the media file)
    audio: Path | None  # a separate audio rendition's segments, when the variant's audio is one
    basename: str  # the input's file name without its extension: the outputs are named after it


def split_s3_uri(uri: str) -> tuple[str, str]:
    match = S3_URI.match(uri)
    if match is None:
        raise JobError(1010, f"Unable to open input file [{uri}]: [the local stack reads s3://bucket/key inputs only]")
    return match["bucket"], match["key"]


class InputReader:
    """Reads one input through the sibling S3 backend, checking the role on every object it reads."""

    def __init__(self, sibling: Sibling, role: str, workdir: Path):
        self.sibling = sibling
        self.role = role
        self.workdir = workdir
        self.objects_read = 0

    def read(self, file_input: str, audio_selectors: dict[str, Any] | None) -> InputMedia:
        bucket, key = split_s3_uri(file_input)
        basename = posixpath.splitext(posixpath.basename(key))[0]
        if not key.lower().endswith(".m3u8"):
            path = self.workdir / "input.media"
            path.write_bytes(self._get(bucket, key, file_input))
            return InputMedia(path, None, basename)
        parent = self._playlist(bucket, key)
        video_key, audio_key = key, None
        if parent.is_variant:
            variant = max(parent.playlists, key=lambda p: p.stream_info.bandwidth or 0)
            video_key = _join(key, variant.uri)
            group = variant.stream_info.audio
            if group:
                audio_key = _join(key, _audio_rendition(parent, group, audio_selectors, file_input).uri)
        video = self._segments(bucket, video_key, "video.ts")
        audio = self._segments(bucket, audio_key, "audio.ts") if audio_key else None
        return InputMedia(video, audio, basename)

    # -- S3 -------------------------------------------------------------------------------------

    def _get(self, bucket: str, key: str, uri: str | None = None) -> bytes:
        uri = uri or f"s3://{bucket}/{key}"
        try:
            self.sibling.check_role(
                self.role, ["s3:GetObject"], [f"arn:aws:s3:::{bucket}/{key}"], principal=MEDIACONVERT_PRINCIPAL
            )
        except RoleNotAssumable as exc:
            raise JobError(1432, f"Unable to assume role [{self.role}]: [{exc}]") from None
        except AccessProblem as exc:
            raise JobError(1401, f"Unable to open input file [{uri}]: [Access Denied: {exc}]") from None
        found = self.sibling.get_object(bucket, key)
        if found is None:
            raise JobError(1404, f"Unable to open input file [{uri}]: [Failed probe/open: [Not Found]]")
        self.objects_read += 1
        return found[0]

    def _playlist(self, bucket: str, key: str) -> m3u8.M3U8:
        uri = f"s3://{bucket}/{key}"
        body = self._get(bucket, key)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if not text.lstrip().startswith("#EXTM3U"):
            raise JobError(1010, f"Unable to open input file [{uri}]: [Failed probe/open: [the manifest is not HLS]]")
        playlist = m3u8.loads(text, uri=uri)
        if (playlist.version or 1) > MAX_HLS_VERSION:
            raise JobError(
                1010,
                f"Unable to open input file [{uri}]: [Failed probe/open: [The manifest version is newer than we "
                f"support: [{uri}]. We support up to version [{MAX_HLS_VERSION}].]]",
            )
        return playlist

    def _segments(self, bucket: str, key: str, name: str) -> Path:
        uri = f"s3://{bucket}/{key}"
        playlist = self._playlist(bucket, key)
        if playlist.is_variant:
            raise JobError(1010, f"Unable to open input file [{uri}]: [a variant names another multivariant playlist]")
        if not playlist.is_endlist and (playlist.playlist_type or "").lower() != "vod":
            raise JobError(
                1010,
                f"Unable to open input file [{uri}]: [the manifest is not VOD: it has neither EXT-X-ENDLIST nor "
                "EXT-X-PLAYLIST-TYPE:VOD]",
            )
        if any(k is not None and (k.method or "NONE").upper() != "NONE" for k in playlist.keys):
            raise JobError(
                1010,
                f"Unable to open input file [{uri}]: [the input is encrypted (EXT-X-KEY); encrypted HLS is not "
                "supported]",
            )
        if playlist.segment_map or any(s.init_section for s in playlist.segments):
            raise JobError(
                1010,
                f"Unable to open input file [{uri}]: [the segments are fragmented MP4 (EXT-X-MAP); HLS inputs "
                "must be MPEG-TS]",
            )
        if not playlist.segments:
            raise JobError(1010, f"Unable to open input file [{uri}]: [the manifest lists no segments]")
        path = self.workdir / name
        with path.open("wb") as out:
            for segment in playlist.segments:
                body = self._get(bucket, _join(key, segment.uri))
                if body[:1] != b"\x47":
                    raise JobError(1010, f"Unable to open input file [{uri}]: [segment {segment.uri} is not MPEG-TS]")
                out.write(body)
        return path


def _join(playlist_key: str, uri: str) -> str:
    if "://" in uri:
        bucket_key = uri.split("://", 1)[1]
        return bucket_key.split("/", 1)[1] if uri.startswith("s3://") else bucket_key
    return posixpath.normpath(posixpath.join(posixpath.dirname(playlist_key), uri))


def _audio_rendition(parent: m3u8.M3U8, group: str, selectors: dict[str, Any] | None, uri: str) -> m3u8.Media:
    renditions = [m for m in parent.media if m.type == "AUDIO" and m.group_id == group and m.uri]
    if not renditions:
        raise JobError(1010, f"Unable to open input file [{uri}]: [audio group {group} names no rendition]")
    for selector in (selectors or {}).values():
        wanted = (selector or {}).get("HlsRenditionGroupSettings")
        if not wanted:
            continue
        for media in renditions:
            if wanted.get("RenditionGroupId") not in (None, media.group_id):
                continue
            if wanted.get("RenditionName") not in (None, media.name):
                continue
            if wanted.get("RenditionLanguageCode") not in (None, (media.language or "").upper(), media.language):
                continue
            return media
        raise JobError(1010, f"Unable to open input file [{uri}]: [no audio rendition matches {wanted}]")
    defaults = [m for m in renditions if (m.default or "").upper() == "YES"]
    return (defaults or renditions)[0]
