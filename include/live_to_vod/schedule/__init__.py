"""The season schedule: live events kept as YAML files in the repo, validated into :class:`ScheduledEvent`\\ s.

Pure domain package: no Airflow, no boto3. Broadcast ops edit the schedule, not code:
one or more ``*.yaml`` / ``*.yml`` files in a directory (default ``include/schedules/``),
read in file-name order (names starting with ``.`` are skipped: editor lock files).

File format::

    # Season 2026, week 12 (all times local unless they carry an offset)
    timezone: America/New_York          # file default; entries may override
    defaults:                           # optional, applied to every entry
      padding_before: 5m                # "90s", "5m", "1h30m", or whole seconds
      padding_after: 15m
      destination: {s3_bucket: live-archive}   # s3_bucket, manifest_key, role_arn, packaging_group_id
      verify_segments: auto             # how outputs' segments are verified: auto, sampled or full
      mediaconvert: [mp4]               # MediaConvert outputs: mp4, thumbnails; [] for none
    events:
      - id: nfl-2026-wk12-buf-kc                # letters, digits, _ and -, at most 64
        endpoints: [buf-kc-clean-hls, buf-kc-world-hls]   # or `endpoint: one-id`
        # A MediaPackage v2 endpoint is group/channel/endpoint, e.g. endpoint: sports/buf-kc/cmaf;
        # manifests: [hls, dash] picks its manifests (optional; default every HLS and DASH manifest)
        start: 2026-11-26 20:15                 # local wall time, or ISO with an offset
        end: 2026-11-26 23:30
        timezone: America/Chicago               # optional, overrides the file's
        padding_before: 10m                     # optional, overrides the defaults (0 to 6 h)
        padding_after: 20m
        destination: {manifest_key: "nfl/{event_id}/index.m3u8"}   # optional, per-key overrides
        verify_segments: full                   # optional, overrides the defaults
        mediaconvert: [mp4, thumbnails]         # optional, overrides the defaults; also
        thumbnail_interval_seconds: 30          # thumbnail_interval_seconds, mediaconvert_template
        cancelled: false                        # true: kept for the record, schedules nothing
        clips:                                  # optional highlight clips
          - name: opening-drive                 # [a-z0-9-]{1,40}, unique in the event
            start: 2026-11-26 20:17
            end: 2026-11-26 20:24
            mediaconvert: [mp4]                 # optional: this clip's own MediaConvert outputs

Rules, all reported as :class:`ScheduleError` naming file, entry and field (never raised):

* Unknown fields at any level (with the closest known name suggested), fields given
  twice (with the lines), missing ``id`` / ``endpoint(s)`` / ``start`` / ``end``, malformed ids and
  endpoint ids, bad times, unknown time zones (and ``localtime``, ``posixrules``,
  ``Factory``, ``right/...``, which name no place), ``end`` not after ``start``, paddings
  below 0 or above 6 h, padded windows longer than 14 days (the longest startover
  window MediaPackage keeps), bad destination values (a ``manifest_key`` template is
  checked as rendered for every endpoint and every output's key: endpoint folder,
  ``part-NN/``, ``clips/<name>/``), and clips with bad or repeated
  names, ``end`` not after ``start``, outside the event's padded window, longer than
  24 h, or with the same window as another output of the event (harvest job ids are
  derived from endpoint and window, so it would not be harvested on its own), and a
  ``verify_segments`` other than ``auto``, ``sampled`` or ``full``, and ``mediaconvert`` that is
  not a list of ``mp4``/``thumbnails``, ``thumbnail_interval_seconds`` outside 1 to 3600, or an
  empty ``mediaconvert_template``.
* Times follow the pipeline's one grammar (:func:`live_to_vod.times.read_wall_time`): ISO 8601
  date and time, ``T`` or a space between them, seconds optional, up to 9 fractional digits
  (kept to the microsecond), an offset (``Z``, ``-05:00``, ``+0530``, ``-05``) written right
  after the time. A wall time without an offset is read in the entry's ``timezone`` (else the
  file's). A wall time that does not exist (the spring-forward gap) is an error; one
  that happens twice (the fall-back hour) is an error unless written with an offset,
  e.g. ``2026-11-01 01:30-04:00`` (the first) or ``-05:00`` (the second). Years are 2000 to
  2199. Everything is stored and computed in UTC.
* One bad entry never stops the others: it is refused alone. A file that is not valid
  YAML, or whose top level (``timezone``, ``defaults``, ``events``) has errors, is
  refused whole, since its settings apply to every entry in it.
* Across the directory: an event id used twice keeps the first occurrence (file order,
  then entry order; even when that entry is refused for another reason, so fixing it
  never silently swaps which one runs) and refuses the others; two events whose *padded* windows overlap
  on the same endpoint keep the earlier-starting one and refuse the other. Events on
  different endpoints may overlap or end at the same moment freely. Cancelled entries
  are validated but take part in neither check: they schedule nothing.
* Entries and list items are numbered from 1, as an editor shows them: an entry whose
  id is unusable is named ``#3``, a clip ``clips[#2]`` (or ``clips[<name>]``).

YAML is read by libyaml (PyYAML's C parser): anchors, aliases, merge keys, block scalars and
flow collections all work, typed as ``yaml.safe_load`` types them except that timestamps and
``1:30``-style numbers stay text (:mod:`~live_to_vod.schedule.yaml_reader` says why and how).
A 10,000-event directory loads in a fraction of a second; results are cached per file and per
directory, so a repeated :func:`load_schedule` in one process only stats the files.

The modules, in the order a file goes through them:

=========================  ==========================================================================
``loading``                :func:`load_schedule` and :func:`parse_schedule_text`, the caches
``yaml_reader``            YAML text to values, with repeated keys and their lines
``entries``                one file's settings, entries and clips, each validated on its own
``times``                  the entry's zone, wall times in it (DST gaps and folds), years
``durations``              ``90s`` / ``5m`` / ``1h30m`` and the padding rule
``destinations``           ``destination:`` overrides, the manifest key as rendered per output
``rules``                  across entries and files: unique ids, one event per endpoint at a time
``models``                 :class:`ScheduledEvent`, :class:`Clip`, :class:`Schedule`, :class:`ScheduleError`
=========================  ==========================================================================
"""

from __future__ import annotations

from live_to_vod.schedule.durations import MAX_PADDING, parse_duration
from live_to_vod.schedule.entries import EVENT_FIELDS
from live_to_vod.schedule.loading import DEFAULT_DIRECTORY, clear_schedule_cache, load_schedule, parse_schedule_text
from live_to_vod.schedule.models import Clip, DestinationOverrides, Schedule, ScheduledEvent, ScheduleError

__all__ = [
    "DEFAULT_DIRECTORY",
    "EVENT_FIELDS",
    "MAX_PADDING",
    "Clip",
    "DestinationOverrides",
    "Schedule",
    "ScheduleError",
    "ScheduledEvent",
    "clear_schedule_cache",
    "load_schedule",
    "parse_duration",
    "parse_schedule_text",
]
