"""Verify a harvested HLS VOD asset in object storage.

Pure domain logic: no Airflow, no boto3 or botocore. All I/O goes through the small
:class:`AssetStore` protocol (:class:`S3AssetStore` is the S3 implementation). Every defect
the verifier can report is a check of :mod:`.catalog`, which also holds the checklist rules
(``HLS-1`` to ``HLS-22``) the checks enforce; ``docs/verification-checks.md`` is generated
from it.

Rules this package keeps:

* The asset prefix is listed **once**; segment existence and size come from that
  listing (never a request per segment). Everything is O(number of objects), and the
  segment reads are bounded: at most :data:`~.limits.MAX_PROBED_SEGMENTS` (plus a few
  suspects per rendition) in the sampled mode, every segment only in the full mode.
* Every playlist is parsed with the ``m3u8`` library.
* Playlists read from storage are untrusted input: a URI that is absolute, escapes
  the prefix (``..``, percent-encoded or not), has a backslash or carries a query string
  is reported and **never fetched**, and only the parent's direct children are read (no
  recursion). Malformed, oversized (:data:`MAX_PLAYLIST_BYTES`, :data:`MAX_PLAYLIST_LINES`,
  :data:`MAX_RENDITIONS`), binary or non-UTF-8 playlists become defects, never exceptions.
* Errors raised by the store itself (other than ``KeyError`` for a missing object)
  propagate: an access-denied or throttled request is an infrastructure failure the
  caller should retry, not a defect of the asset.

The modules, in the order a verification runs them (:mod:`.verifier`):

==================  ==========================================================================
``store``           the storage boundary; ``s3_store`` its S3 implementation
``uris``            URI confinement (HLS-13)
``playlists``       reading (caps, BOM, UTF-8, #EXTM3U, Content-Type) and parsing with m3u8
``parent``          the multivariant playlist (HLS-11, HLS-12)
``media_playlist``  each rendition playlist's tags (HLS-2 to HLS-9)
``segments``        each segment line against the listing (HLS-7, 17, 18)
``window``          the renditions against each other and the requested window (HLS-14 to 16)
``sizes``           every segment's size against its rendition's bitrate, from the listing (HLS-21)
``sampling``        which segments are read: a spread and every suspect, or all (``full``)
``structure``       reads them, ``probe`` parses their first bytes; streams and media time (HLS-21, 22)
``decode``          whole segments decoded with PyAV (HLS-20)
``report``          defects and reports; ``catalog`` the checks; ``limits`` the caps
==================  ==========================================================================

What comes next has an obvious place: deeper CMAF checks beside the fMP4 probe (``probe``),
DASH manifest checks in ``dash.py`` and MediaConvert MP4 output checks in ``mp4.py``, each a
stage of :mod:`.verifier` with its checks and rules (``CMAF-n``, ``DASH-n``, ``MP4-n``) in the
catalog. ``docs/verification.md`` explains the modes and their bounds.
"""

from __future__ import annotations

from live_to_vod.verification.limits import (
    MAX_DEFECTS_PER_CHECK,
    MAX_PLAYLIST_BYTES,
    MAX_PLAYLIST_LINES,
    MAX_RENDITIONS,
    MiB,
)
from live_to_vod.verification.report import Defect, RenditionReport, VerificationReport
from live_to_vod.verification.s3_store import S3AssetStore
from live_to_vod.verification.store import AssetStore, FetchedObject, StoredObject
from live_to_vod.verification.verifier import verify_vod_asset

__all__ = [
    "MAX_DEFECTS_PER_CHECK",
    "MAX_PLAYLIST_BYTES",
    "MAX_PLAYLIST_LINES",
    "MAX_RENDITIONS",
    "AssetStore",
    "Defect",
    "FetchedObject",
    "MiB",
    "RenditionReport",
    "S3AssetStore",
    "StoredObject",
    "VerificationReport",
    "verify_vod_asset",
]
