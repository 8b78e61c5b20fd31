"""Schedule texts for the tests: entries, files, and reading them back."""

from __future__ import annotations

import textwrap
from datetime import UTC as DT_UTC
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pendulum

from live_to_vod.schedule import ScheduledEvent, ScheduleError, parse_schedule_text

HEADER = "timezone: America/New_York\n"

FULL_EXAMPLE = """\
# Season 2026, week 12 (all times local unless they carry an offset)
timezone: America/New_York          # file default; entries may override
defaults:                           # optional, applied to every entry
  padding_before: 5m
  padding_after: 15m
  destination: {s3_bucket: live-archive, packaging_group_id: vod-group}
events:
  - id: nfl-2026-wk12-buf-kc
    endpoints: [buf-kc-clean-hls, buf-kc-world-hls]   # or `endpoint: one-id`
    start: 2026-11-26 20:15          # local wall time in the entry's/file's timezone
    end: 2026-11-26 23:30
    timezone: America/Chicago        # optional
    padding_before: 10m              # optional
    padding_after: 20m
    destination: {manifest_key: "nfl/{event_id}/index.m3u8"}
    cancelled: false
    clips:
      - name: opening-drive
        start: 2026-11-26 20:17
        end: 2026-11-26 20:24
      - name: last-play
        start: 2026-11-26T23:25:00-06:00
        end: 2026-11-27T05:31:00Z
  - id: early-game
    endpoint: other-hls
    start: 2026-11-26 12:30
    end: 2026-11-26 15:30
"""


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def parse(text: str, source: str = "week.yaml") -> tuple[list[ScheduledEvent], list[ScheduleError]]:
    return parse_schedule_text(textwrap.dedent(text), source)


def events_yaml(entries: str, header: str = HEADER) -> str:
    """A file with ``header`` and ``entries`` (YAML list items, dedented) under ``events:``."""
    body = textwrap.indent(textwrap.dedent(entries).strip("\n"), "  ")
    return f"{header}events:\n{body}\n"


def entry(
    event_id: str = "game-1",
    endpoint: str = "demo-hls",
    start: str = "2026-11-26 20:15",
    end: str = "2026-11-26 23:30",
    **extra: str,
) -> str:
    lines = [f"- id: {event_id}", f"  endpoint: {endpoint}", f"  start: {start}", f"  end: {end}"]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def clip_entry(*clips: str, **extra: str) -> str:
    return entry(**extra) + "  clips:\n" + "".join(f"    - {c}\n" for c in clips)


def only_error(text: str) -> ScheduleError:
    events, errors = parse(text)
    assert len(errors) == 1, errors
    return errors[0]


def entry_error(entry_text: str, header: str = HEADER) -> ScheduleError:
    """The single error of a file holding one entry (which must be refused)."""
    events, errors = parse(events_yaml(entry_text, header))
    assert events == [], events
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def assert_refused(entry_text: str, where: tuple[str, str], words: str, header: str = HEADER) -> ScheduleError:
    """The entry is refused with one error, on ``where`` (entry, field), saying ``words``."""
    error = entry_error(entry_text, header)
    assert (error.entry, error.field) == where, error
    assert words in error.message, error.message
    return error


def big_schedule(n: int) -> str:
    """A season of ``n`` events: 4 a day on 500 endpoints (no overlaps), a mix of local wall times
    (07:00/08:00 or 13:00/14:00 in New York, never near a DST change) and explicit offsets,
    every tenth event on two endpoints, every fiftieth with a clip."""
    lines = [
        "# generated season",
        "timezone: America/New_York",
        "defaults:",
        "  padding_before: 5m",
        "  padding_after: 15m",
        "  destination: {s3_bucket: live-archive}",
        "events:",
    ]
    zone = ZoneInfo("America/New_York")
    first = datetime(2026, 1, 1, 12, tzinfo=DT_UTC)
    for i in range(n):
        begin = first + timedelta(hours=6 * i)
        end = begin + timedelta(hours=3, minutes=15)
        if i % 4 < 2:
            start_text = begin.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        else:
            start_text = begin.strftime("%Y-%m-%d %H:%M+00:00")
        lines += [
            f"  - id: game-{i:05d}",
            f"    endpoint: ep-{i % 500:03d}" if i % 10 else f"    endpoints: [ep-{i % 500:03d}, world-{i % 7}]",
            f"    start: {start_text}",
            f"    end: {end.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        ]
        if i % 50 == 0:
            lines += [
                "    clips:",
                f"      - name: opening-{i}",
                f"        start: {(begin + timedelta(minutes=2)).strftime('%Y-%m-%d %H:%MZ')}",
                f"        end: {(begin + timedelta(minutes=9)).strftime('%Y-%m-%d %H:%MZ')}",
            ]
    return "\n".join(lines) + "\n"
