"""Operating the stack as a user does: start, seed (twice), status, encoder in the background, stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import m3u8
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


def test_start_seed_status_stop(tmp_path):
    env = {**os.environ, "DEVSTACK_PORT": str(free_port()), "DEVSTACK_HOME": str(tmp_path / "home")}
    try:
        assert "running at" in run(env, "start").stdout
        assert "already running" in run(env, "start").stdout
        first = json.loads(run(env, "seed", "--preroll", "60").stdout)
        assert first["encoder_started"] is True
        second = json.loads(run(env, "seed").stdout)
        assert second["encoder_started"] is False  # idempotent: same setup, one encoder
        for key in ("harvest_role_arn", "origin_url", "ingest_url", "queue_url"):
            assert first[key] == second[key]
        status = run(env, "status")
        assert "stack:   running" in status.stdout and "encoder: running" in status.stdout
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the pre-roll reaches the origin within seconds
            try:
                child_url = first["origin_url"].replace("index.m3u8", "index_1.m3u8")
                child = m3u8.loads(urllib.request.urlopen(child_url).read().decode())
                if len(child.segments) >= 25:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert len(child.segments) >= 25  # PlaylistWindowSeconds 60 of 2 s segments
        assert (tmp_path / "home" / "devstack.log").stat().st_size > 0
        assert (tmp_path / "home" / "encoder.log").stat().st_size > 0
    finally:
        run(env, "stop", check=False)
    assert run(env, "status", check=False).returncode == 1
