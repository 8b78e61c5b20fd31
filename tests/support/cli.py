"""A package's command line (``python -m <package> ...``), run as a user runs it."""

from __future__ import annotations

import subprocess
import sys


def run(env: dict[str, str], package: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m package args`` with ``env``; with ``check``, it must exit 0 (else its output is the failure)."""
    result = subprocess.run(
        [sys.executable, "-m", package, *args], env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result
