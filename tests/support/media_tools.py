"""Debian's ffmpeg and ffprobe, the independent judges of media: found, or the test skipped (failed in
CI, where ``.ci/run`` installs them); and ffmpeg as a live encoder pushing HLS over HTTP PUT."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def media_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing: .ci/run installs Debian's ffmpeg so this test runs in CI")
        pytest.skip(f"{name} is not installed (apt-get install ffmpeg)")
    return path


def ffmpeg_push(ffmpeg: str, target: str, seconds: int = 12) -> None:
    """``seconds`` of a 320x180 test pattern and a tone, in real time, as HLS (2 s segments, PDT) PUT to
    ``target`` (an ingest ``.m3u8`` URL, credentials in it for v1)."""
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
        "-c:a", "aac",
        "-f", "hls", "-hls_time", "2", "-hls_list_size", "3",
        "-hls_flags", "program_date_time+delete_segments", "-method", "PUT", target,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
