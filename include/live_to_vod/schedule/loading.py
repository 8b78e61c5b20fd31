"""Loading the schedule: every ``*.yaml`` / ``*.yml`` file of a directory, read, validated and
combined, with a per-file and per-directory cache.

Pure domain module. Files are read in file-name order; names starting with ``.`` (editor lock
files) are skipped. Each file's result is cached by ``(path, mtime_ns, size, inode)`` and the
whole schedule by the directory's file list, so a repeated :func:`load_schedule` in one process
(the dag-processor parses the DAG file every 30 s) only scans the directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from live_to_vod.schedule.entries import ParsedFile, read_file
from live_to_vod.schedule.models import Schedule, ScheduledEvent, ScheduleError
from live_to_vod.schedule.rules import combine

__all__ = ["DEFAULT_DIRECTORY", "clear_schedule_cache", "load_schedule", "parse_schedule_text"]

#: ``include/schedules/`` next to the package (the project is installed editable).
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "schedules"

_FileKey = tuple[int, int, int]  # mtime_ns, size, inode
_Found = tuple[str, str, os.stat_result]  # name, path, stat
_CACHE_FILES: dict[str, tuple[_FileKey, ParsedFile]] = {}
_CACHE_DIRS: dict[str, tuple[tuple[tuple[str, int, int, int], ...], Schedule]] = {}


def clear_schedule_cache() -> None:
    """Forget every cached file and directory (tests; a process normally never needs it)."""
    _CACHE_FILES.clear()
    _CACHE_DIRS.clear()


def load_schedule(directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> Schedule:
    """Read and validate every ``*.yaml`` / ``*.yml`` file in ``directory`` (file-name order).

    Never raises for bad data: problems are in :attr:`Schedule.errors` (a missing or
    unreadable directory is one error). Parsed files are cached by path, mtime, size
    and inode, the whole result by the directory's file list, so repeated loads in one
    process cost a directory scan.
    """
    dir_path = os.path.abspath(os.fspath(directory))
    found = _schedule_files(dir_path)
    if isinstance(found, ScheduleError):
        return Schedule((), (found,))
    dir_key = tuple((name, st.st_mtime_ns, st.st_size, st.st_ino) for name, _, st in found)
    cached = _CACHE_DIRS.get(dir_path)
    if cached is not None and cached[0] == dir_key:
        return cached[1]
    parsed_files = [_read_cached(name, path, st) for name, path, st in found]
    current = {path for _, path, _ in found}
    for stale in [p for p in _CACHE_FILES if os.path.dirname(p) == dir_path and p not in current]:
        del _CACHE_FILES[stale]
    schedule = combine(parsed_files)
    _CACHE_DIRS[dir_path] = (dir_key, schedule)
    return schedule


def parse_schedule_text(text: str, source: str) -> tuple[list[ScheduledEvent], list[ScheduleError]]:
    """Validate one schedule file's text (``source`` names it in errors and events).

    Applies every rule, the duplicate-id and overlap checks included (within this file);
    :func:`load_schedule` applies those across all files. Never raises for bad data.
    """
    schedule = combine([read_file(text, source)])
    return list(schedule.events), list(schedule.errors)


def _schedule_files(dir_path: str) -> list[_Found] | ScheduleError:
    """The directory's schedule files in name order, or why it cannot be read."""
    try:
        with os.scandir(dir_path) as scan:
            found = [
                (entry.name, entry.path, entry.stat())
                for entry in scan
                if entry.name.endswith((".yaml", ".yml")) and not entry.name.startswith(".") and entry.is_file()
            ]
    except FileNotFoundError:
        return ScheduleError(dir_path, None, None, "the schedule directory does not exist")
    except OSError as err:
        return ScheduleError(dir_path, None, None, f"the schedule directory cannot be read: {err}")
    found.sort()
    return found


def _read_cached(name: str, path: str, st: os.stat_result) -> ParsedFile:
    """One file read and validated, or its cached result when the file has not changed."""
    file_key = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _CACHE_FILES.get(path)
    if hit is not None and hit[0] == file_key:
        return hit[1]
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except UnicodeDecodeError as err:
        parsed = ParsedFile(name, (), (ScheduleError(name, None, None, f"is not UTF-8 text ({err.reason})"),))
    except OSError as err:
        parsed = ParsedFile(name, (), (ScheduleError(name, None, None, f"cannot be read: {err}"),))
    else:
        parsed = read_file(text, name)
    _CACHE_FILES[path] = (file_key, parsed)
    return parsed
