"""DAG file parse time with a season schedule of 1,000 and 10,000 events, against the same DAG
with an empty schedule, measured in the same run with ``airflow dags report``.

    .venv/bin/python bench/dag_parse_schedule.py [--repeat 3]

Target: under 1 second for 10,000 events.
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
from pathlib import Path

import pendulum

ROOT = Path(__file__).resolve().parents[1]


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
    for events in (0, 1000, 10000):
        directory = base / f"schedule-{events}"
        directory.mkdir()
        if events:
            (directory / "season.yaml").write_text(season(events))
        times = [parse_seconds(home, directory) for _ in range(args.repeat)]
        results[events] = statistics.median(times)
        print(f"{events:>6} events: median parse {results[events]:.3f} s over {args.repeat} runs {times}", flush=True)
    summary = {
        "date": pendulum.now("UTC").to_date_string(),
        "parse_seconds": results,
        "ratio_1000_over_empty": round(results[1000] / results[0], 2),
        "ratio_10000_over_empty": round(results[10000] / results[0], 2),
        "target_10000_seconds_max": 1.0,
    }
    print(json.dumps(summary, indent=2))
    from recording import record  # bench/ is sys.path[0] when run as a script

    record("dag_parse_schedule", summary, sys.argv)
    return 0 if results[10000] < summary["target_10000_seconds_max"] else 2


if __name__ == "__main__":
    sys.exit(main())
