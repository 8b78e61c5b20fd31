"""Operating the stack as a user does: start (twice), status, stop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devstack.net import free_port

pytestmark = pytest.mark.slow


def run(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "devstack", *args], env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_start_status_stop(tmp_path):
    env = {**os.environ, "DEVSTACK_PORT": str(free_port()), "DEVSTACK_HOME": str(tmp_path / "home")}
    try:
        assert "running at" in run(env, "start").stdout
        assert "already running" in run(env, "start").stdout
        status = run(env, "status")
        assert "stack:   running" in status.stdout and "encoder: stopped" in status.stdout
        assert (tmp_path / "home" / "devstack.log").stat().st_size > 0
    finally:
        run(env, "stop", check=False)
    assert run(env, "status", check=False).returncode == 1
