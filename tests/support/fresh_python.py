"""Run code in a new interpreter with its own Airflow home: Airflow reads its configuration when it
is first imported, so a setting under test needs a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def fresh_python(
    code: str, tmp_path: Path, *, cwd: Path | str = ROOT, plugins: Path = ROOT / "plugins", **env: str
) -> dict[str, Any]:
    """Run ``code`` (it prints one JSON line last) with ``AIRFLOW_HOME`` under ``tmp_path``, the
    project's DAG folder and ``plugins``, and no ``AIRFLOW*``/``LIVE_TO_VOD_*``/``PYTHONPATH`` from
    this process; ``env`` adds variables. Returns the parsed JSON line."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LIVE_TO_VOD_")) and k != "PYTHONPATH"
    }
    environ.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(plugins),
    )
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
