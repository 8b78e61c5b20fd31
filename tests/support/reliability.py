"""The reliability record: one row per fault-injection test, rendered into ``docs/reliability.md``."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

# --------------------------------------------------------------------------- reliability record

RELIABILITY_RESULTS = Path(__file__).resolve().parents[2] / "var" / "reliability" / "results.jsonl"


@functools.cache
def _commit() -> str:
    """The commit the suite runs on (the report names it)."""
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=RELIABILITY_RESULTS.parents[2], capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def retries_used(try_numbers: Iterable[int]) -> str:
    """The Airflow task retries behind these try numbers, in words (an unexpanded task has try 0)."""
    count = sum(max(n - 1, 0) for n in try_numbers)
    return f"{count} task {'retry' if count == 1 else 'retries'}"


def record_reliability(
    *,
    fault: str,
    group: str,
    outcome: str,
    harvest_jobs: int,
    vod_assets: int,
    events: int = 1,
    retries: str = "",
    test: str = "",
) -> None:
    """One row of ``docs/reliability.md``: what a fault-injection test injected and saw, written once
    its assertions passed (``tests/support/reliability_report.py`` renders the rows).

    ``duplicates`` is what a retry or a crash made twice: harvest jobs or VOD assets beyond one
    per event.
    """
    row = {
        "group": group,
        "fault": fault,
        "outcome": outcome,
        "retries": retries,
        "harvest_jobs": harvest_jobs,
        "vod_assets": vod_assets,
        "duplicates": max(harvest_jobs - events, 0) + max(vod_assets - events, 0),
        "test": test or os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
        "commit": _commit(),
    }
    RELIABILITY_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RELIABILITY_RESULTS.open("a") as out:  # one short line per write: appends from xdist workers don't mix
        out.write(json.dumps(row) + "\n")
