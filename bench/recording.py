"""The benches' record: one JSON line per run, appended to ``bench/results/<bench>.jsonl``.

Every bench calls :func:`record` where it prints its JSON result; ``bench/report.py`` renders the
tables of ``docs/benchmarks.md`` from these files, so a run that is recorded (and committed) is a
run the page shows. A line holds::

    {"bench": ..., "date": "YYYY-MM-DD", "recorded_at": ISO 8601 UTC, "commit": "abc1234[+dirty]",
     "machine": {"cpus": ..., "python": ..., "memory_gib": ...}, "command": "bench/... --flag value",
     "result": {...the bench's JSON result, as printed...}}

and, written by hand only: ``label`` (shown with the date), ``remark`` (shown after the ratio) and
``source`` (where a record not written by this function came from, e.g. a transcribed table).

Ad-hoc runs: ``BENCH_RECORD=0`` records nothing; ``BENCH_RESULTS_DIR=/some/dir`` records there
instead of ``bench/results/``.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pendulum

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"


def commit() -> str | None:
    """The short hash of HEAD, ``+dirty`` when the tree differs from it (the records aside); None without git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", ":(exclude)bench/results"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if changes else "") if head else None


def machine() -> dict[str, Any]:
    """What the numbers depend on most: cores, Python, memory (whole GiB)."""
    try:
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError, AttributeError):
        memory = None
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "memory_gib": memory}


def command(argv: list[str]) -> str:
    """The command line as run, the script's path relative to the repository when it is inside it."""
    if not argv:
        return ""
    script = Path(argv[0])
    try:
        script = script.resolve().relative_to(ROOT)
    except ValueError:
        pass
    return shlex.join([str(script), *argv[1:]])


def record(bench: str, result: dict[str, Any], argv: list[str]) -> Path | None:
    """Append one run of ``bench`` to its record; returns the file (None when ``BENCH_RECORD=0``)."""
    if os.environ.get("BENCH_RECORD", "1").strip().lower() in ("0", "false", "no", "off"):
        print(f"{bench}: not recorded (BENCH_RECORD={os.environ['BENCH_RECORD']})")
        return None
    now = pendulum.now("UTC")
    entry = {
        "bench": bench,
        "date": now.to_date_string(),
        "recorded_at": now.to_iso8601_string(),
        "commit": commit(),
        "machine": machine(),
        "command": command(argv),
        "result": result,
    }
    directory = Path(os.environ.get("BENCH_RESULTS_DIR") or RESULTS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{bench}.jsonl"
    with path.open("a") as out:
        out.write(json.dumps(entry) + "\n")
    print(f"recorded in {path}; `python bench/report.py` renders docs/benchmarks.md from the records")
    return path
