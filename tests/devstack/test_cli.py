"""Operating the stack as a user does: start (twice), status, stop."""

from __future__ import annotations

import os

import pytest

from devstack.net import free_port
from tests.support.cli import run

pytestmark = pytest.mark.slow


def test_start_status_stop(tmp_path):
    env = {**os.environ, "DEVSTACK_PORT": str(free_port()), "DEVSTACK_HOME": str(tmp_path / "home")}
    try:
        assert "running at" in run(env, "devstack", "start").stdout
        assert "already running" in run(env, "devstack", "start").stdout
        status = run(env, "devstack", "status")
        assert "stack:   running" in status.stdout and "encoder: stopped" in status.stdout
        assert (tmp_path / "home" / "devstack.log").stat().st_size > 0
    finally:
        run(env, "devstack", "stop", check=False)
    assert run(env, "devstack", "status", check=False).returncode == 1
