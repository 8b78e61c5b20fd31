"""Seeding the stack as a user does: seeding twice changes nothing, the encoder runs in the background and
fills the origin, the stack's status shows it and the stack's stop ends it."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable

import m3u8
import pytest

from devstack.net import free_port
from tests.support.cli import run

pytestmark = pytest.mark.slow


def playlist_when(url: str, ready: Callable[[m3u8.M3U8], bool], timeout: float = 60) -> m3u8.M3U8:
    """The playlist at ``url`` once ``ready`` says so (or the last one read, or raise, at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            playlist = m3u8.loads(urllib.request.urlopen(url).read().decode())
            if ready(playlist) or time.monotonic() > deadline:
                return playlist
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def test_seed_twice_one_encoder_then_stop(tmp_path):
    env = {**os.environ, "DEVSTACK_PORT": str(free_port()), "DEVSTACK_HOME": str(tmp_path / "home")}
    try:
        run(env, "devstack", "start")
        first = json.loads(run(env, "localrun", "seed", "--preroll", "60").stdout)
        assert first["encoder_started"] is True and first["v2_encoder_started"] is True
        second = json.loads(run(env, "localrun", "seed").stdout)
        assert second["encoder_started"] is False  # idempotent: same setup, one encoder per channel
        assert second["v2_encoder_started"] is False
        for key in ("harvest_role_arn", "origin_url", "ingest_url", "queue_url"):
            assert first[key] == second[key]
        status = run(env, "devstack", "status")
        assert "stack:   running" in status.stdout and "encoder: running" in status.stdout
        assert "encoder-v2: running" in status.stdout
        assert "seed.json" in status.stdout
        # The pre-rolls reach the origins within seconds (longer on a loaded machine).
        child_url = first["origin_url"].replace("index.m3u8", "index_1.m3u8")
        child = playlist_when(child_url, lambda p: len(p.segments) >= 25)
        assert len(child.segments) >= 25  # PlaylistWindowSeconds 60 of 2 s segments
        assert (tmp_path / "home" / "encoder.log").stat().st_size > 0
        # The v2 channel's encoder signs its pushes; its CMAF endpoint serves what it pushed.
        parent_url = first["v2"]["manifests"]["demo-cmaf"][0]
        parent = playlist_when(parent_url, lambda p: p.is_variant)
        child_url = parent_url.rsplit("/", 1)[0] + "/" + parent.playlists[0].uri
        assert len(playlist_when(child_url, lambda p: len(p.segments) > 0).segments) > 0
    finally:
        run(env, "devstack", "stop", check=False)
    status = run(env, "devstack", "status", check=False)
    assert status.returncode == 1 and "encoder: stopped" in status.stdout and "encoder-v2: stopped" in status.stdout
