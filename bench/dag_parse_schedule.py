"""DAG file parse time with a season schedule of 1,000 and 10,000 events, against the same DAG
with an empty schedule, measured in the same run with ``airflow dags report``; and, in this
process, how long loading the 10,000-event schedule takes on its own (cold, cached, and
PyYAML's C loader reading the same text, for scale).

    .venv/bin/python bench/dag_parse_schedule.py [--repeat 3]

Target: under 1 second for 10,000 events. The result (printed last) is recorded in
``bench/results/dag_parse_schedule.jsonl`` for docs/benchmarks.md (``bench/report.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pendulum

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0


def season(events: int) -> str:
    """``events`` 3-hour games over 40 endpoints, back to back per endpoint (no overlaps)."""
    lines = ["timezone: America/New_York", "events:"]
    start = pendulum.datetime(2026, 9, 1, 12, tz="America/New_York")
    for i in range(events):
        endpoint, slot = i % 40, i // 40
        game = start.add(hours=4 * slot)
        lines += [
            f"  - id: game-{i:05d}",
            f"    endpoint: endpoint-{endpoint:02d}",
            f"    start: {game.format('YYYY-MM-DD HH:mm')}",
            f"    end: {game.add(hours=3).format('YYYY-MM-DD HH:mm')}",
        ]
    return "\n".join(lines) + "\n"


def parse_seconds(home: Path, schedule_dir: Path) -> float:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "LIVE_TO_VOD_SCHEDULE_DIR": str(schedule_dir),
    }
    out = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "dags", "report", "-o", "json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = json.loads(out[out.rindex("[{") :])  # warnings may precede the JSON
    (row,) = [r for r in rows if r["file"].endswith("live_event_harvest.py")]
    duration = str(row["duration"])  # "0:00:00.412345"
    h, m, s = re.fullmatch(r"(\d+):(\d+):([\d.]+)", duration).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def best_of(repeat: int, action) -> float:
    """The fastest of ``repeat`` timings of ``action()`` in seconds (the least disturbed by other load)."""
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return min(timings)


def loading_seconds(directory: Path, repeat: int) -> dict[str, float]:
    """In this process: ``load_schedule`` of ``directory`` cold and cached, and PyYAML's C loader
    reading the same text (what the schedule would cost with ``yaml.load``), best of ``repeat``."""
    import yaml

    from live_to_vod.schedule import clear_schedule_cache, load_schedule

    text = (directory / "season.yaml").read_text(encoding="utf-8")

    def cold() -> None:
        clear_schedule_cache()
        schedule = load_schedule(directory)
        assert not schedule.errors, schedule.errors[:3]

    result = {
        "load_cold": best_of(repeat, cold),
        "load_cached": best_of(repeat, lambda: load_schedule(directory)),
        "pyyaml_c_loader": best_of(repeat, lambda: yaml.load(text, Loader=yaml.CSafeLoader)),
    }
    try:  # the YAML reader alone (the package layout; a checkout before it has none)
        from live_to_vod.schedule.yaml_reader import read_yaml
    except ImportError:
        pass
    else:
        result["yaml_reader"] = best_of(repeat, lambda: read_yaml(text))
    return {name: round(seconds, 6) for name, seconds in result.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-parse-"))
    home = base / "airflow"
    home.mkdir()
    subprocess.run(  # `dags report` wants a migrated metadata DB, even though it only parses
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        env={**os.environ, "AIRFLOW_HOME": str(home)}, capture_output=True, check=True,
    )  # fmt: skip
    results = {}
    runs = {}
    for events in (0, 1000, 10000):
        directory = base / f"schedule-{events}"
        directory.mkdir()
        if events:
            (directory / "season.yaml").write_text(season(events))
        runs[events] = [round(t, 4) for t in (parse_seconds(home, directory) for _ in range(args.repeat))]
        results[events] = statistics.median(runs[events])
        median = results[events]
        print(f"{events:>6} events: median parse {median:.3f} s over {args.repeat} runs {runs[events]}", flush=True)
    loading = loading_seconds(base / "schedule-10000", args.repeat)
    print(f"10,000 events in-process (best of {args.repeat}): {loading}", flush=True)
    summary = {
        "bench": "dag_parse_schedule",
        "date": pendulum.now("UTC").to_date_string(),
        "repeat": args.repeat,
        "parse_seconds": results,
        "parse_runs_seconds": runs,
        "ratio_1000_over_empty": round(results[1000] / results[0], 2),
        "ratio_10000_over_empty": round(results[10000] / results[0], 2),
        "target_10000_seconds_max": TARGET_SECONDS,
        "target_met": results[10000] < TARGET_SECONDS,
        "loading_10000_seconds": loading,
    }
    print(json.dumps(summary, indent=2))
    from recording import record  # bench/ is sys.path[0] when run as a script

    record("dag_parse_schedule", summary, sys.argv)
    return 0 if summary["target_met"] else 2


if __name__ == "__main__":
    sys.exit(main())
