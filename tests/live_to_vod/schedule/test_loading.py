"""Tests for live_to_vod.schedule.loading: directories of schedule files, and the caches."""

from __future__ import annotations

import os
from pathlib import Path

import pendulum

from live_to_vod.schedule import DEFAULT_DIRECTORY, Schedule, clear_schedule_cache, load_schedule
from tests.live_to_vod.schedule.helpers import big_schedule, entry, events_yaml

GOOD = events_yaml(
    entry("good-1", endpoint="a", start="2026-11-26 12:00", end="2026-11-26 14:00")
    + entry("good-2", endpoint="b", start="2026-11-26 12:00", end="2026-11-26 14:00")
)
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_directory_is_include_schedules():
    assert DEFAULT_DIRECTORY == Path(__file__).resolve().parents[3] / "include" / "schedules"


def test_a_broken_file_next_to_a_good_one(tmp_path):
    write(tmp_path, "b-good.yaml", GOOD)
    write(tmp_path, "a-broken.yaml", "events:\n  - id: x\n    start: [unclosed\n")
    write(
        tmp_path, "c-bad-entries.yml", events_yaml(entry("good-3", endpoint="c") + entry("bad", endpoint="d", end="x"))
    )
    schedule = load_schedule(tmp_path)
    assert {e.event_id for e in schedule.events} == {"good-1", "good-2", "good-3"}
    assert schedule.files == ("a-broken.yaml", "b-good.yaml", "c-bad-entries.yml")
    assert [(e.file, e.entry, e.field) for e in schedule.errors] == [
        ("a-broken.yaml", None, None),
        ("c-bad-entries.yml", "bad", "end"),
    ]
    assert str(schedule.errors[1]).startswith("c-bad-entries.yml: bad: end: 'x' is not an ISO 8601 date and time")


def test_cross_checks_span_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(
        tmp_path,
        "b.yaml",
        events_yaml(
            entry("good-1", endpoint="z")  # duplicate id of a.yaml's first entry
            + entry("clash", endpoint="b", start="2026-11-26 13:00", end="2026-11-26 15:00")  # b is busy
            + entry("fine", endpoint="a", start="2026-11-26 14:00", end="2026-11-26 15:00")
        ),
    )
    schedule = load_schedule(tmp_path)
    assert [e.event_id for e in schedule.events] == ["good-1", "good-2", "fine"]
    assert [(e.file, e.entry, e.field) for e in schedule.errors] == [
        ("b.yaml", "good-1", "id"),
        ("b.yaml", "clash", "endpoint"),
    ]
    assert "already used by entry #1 in a.yaml" in schedule.errors[0].message
    assert "overlaps event 'good-2' (in a.yaml) on endpoint 'b'" in schedule.errors[1].message


def test_only_yaml_files_are_read_and_dotfiles_are_skipped(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, ".#a.yaml", "not: [valid")
    write(tmp_path, "notes.txt", "not: [valid")
    write(tmp_path, "a.yaml.bak", "not: [valid")
    (tmp_path / "sub.yaml").mkdir()
    schedule = load_schedule(tmp_path)
    assert schedule.errors == () and len(schedule.events) == 2 and schedule.files == ("a.yaml",)


def test_unreadable_inputs_are_errors_not_exceptions(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes("timezone: Europe/Zürich\nevents: []\n".encode("latin-1"))
    schedule = load_schedule(tmp_path)
    assert [(e.file, e.entry) for e in schedule.errors] == [("latin1.yaml", None)]
    assert "is not UTF-8 text" in schedule.errors[0].message
    missing = load_schedule(tmp_path / "nope")
    assert missing.events == () and "does not exist" in missing.errors[0].message
    empty = tmp_path / "empty"
    empty.mkdir()
    assert load_schedule(empty) == Schedule((), (), ())


def test_loads_are_cached_until_a_file_changes(tmp_path):
    clear_schedule_cache()
    path = write(tmp_path, "a.yaml", GOOD)
    first = load_schedule(tmp_path)
    assert load_schedule(str(tmp_path)) is first
    path.write_text(GOOD.replace("good-2", "renamed"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_schedule(tmp_path)
    assert second is not first and {e.event_id for e in second.events} == {"good-1", "renamed"}
    write(tmp_path, "b.yaml", events_yaml(entry("new", endpoint="n")))
    third = load_schedule(tmp_path)
    assert len(third.events) == 3
    (tmp_path / "b.yaml").unlink()
    assert load_schedule(tmp_path) == second


def test_a_10000_event_schedule_loads_whole_and_is_cached(tmp_path):
    """What bench/dag_parse_schedule.py times: here only that it loads, every event, once."""
    (tmp_path / "season.yaml").write_text(big_schedule(10_000), encoding="utf-8")
    clear_schedule_cache()
    schedule = load_schedule(tmp_path)
    assert schedule.errors == ()
    assert len(schedule.events) == 10_000
    assert sum(len(e.endpoints) == 2 for e in schedule.events) == 1_000
    assert sum(len(e.clips) for e in schedule.events) == 200
    assert load_schedule(tmp_path) is schedule


def test_the_example_season_loads_cleanly():
    schedule = load_schedule(EXAMPLE)
    assert "season-2026.yaml" in schedule.files
    example = [e for e in schedule.events if e.source == "season-2026.yaml"]
    assert [e for e in schedule.errors if e.file == "season-2026.yaml"] == []
    by_id = {e.event_id: e for e in example}
    assert set(by_id) == {
        "nfl-2026-wk12-buf-kc",
        "endurance-2026-24h",
        "ncaa-2026-10-03-osu-mich",
        "ncaa-2026-10-03-usc-ucla",
        "nhl-2026-10-31-sea-vgk",
    }  # the cancelled game is not scheduled
    assert len(by_id["nfl-2026-wk12-buf-kc"].endpoints) == 2 and len(by_id["nfl-2026-wk12-buf-kc"].clips) == 2
    race = by_id["endurance-2026-24h"]
    assert race.scheduled_end - race.scheduled_start == pendulum.duration(hours=30)
    assert by_id["ncaa-2026-10-03-osu-mich"].end == by_id["ncaa-2026-10-03-usc-ucla"].end
    nhl = by_id["nhl-2026-10-31-sea-vgk"]
    assert nhl.scheduled_end - nhl.scheduled_start == pendulum.duration(hours=3, minutes=30)
