"""Shared fixtures: a real local media stack on a free loopback port, and boto3 clients for it."""

from __future__ import annotations

import importlib
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config


def _import_installed_packages() -> None:
    """Import the project's packages from their installed (editable) location before any test does.

    pytest puts ``tests/`` and every test folder on ``sys.path`` (rootdir conftest, no
    ``__init__.py``), and ``tests/`` mirrors the code: without this, ``live_to_vod`` would be the
    namespace package ``tests/live_to_vod`` (its ``__init__`` never run), and the test folder
    ``tests/live_to_vod/aws`` would hide the real ``live_to_vod.aws`` (ModuleNotFoundError).
    """
    tests_dir = Path(__file__).resolve().parent
    saved = sys.path[:]
    sys.path[:] = [p for p in saved if not Path(p or ".").resolve().is_relative_to(tests_dir)]
    try:
        for name in ("live_to_vod", "devstack"):
            module = sys.modules.get(name)
            if module is not None and getattr(module, "__file__", None) is None:  # a tests/ namespace
                del sys.modules[name]
            importlib.import_module(name)
    finally:
        sys.path[:] = saved


_import_installed_packages()

from devstack.config import Settings  # noqa: E402 -- after the packages resolve to the installed ones
from devstack.server import StackThread  # noqa: E402
from tests_support import RELIABILITY_RESULTS, free_port  # noqa: E402

REGION = "us-east-1"


def pytest_sessionstart(session: pytest.Session) -> None:
    """A fresh reliability record per run (the controller's session start, before any xdist worker)."""
    if not hasattr(session.config, "workerinput"):
        RELIABILITY_RESULTS.unlink(missing_ok=True)


def make_clients(endpoint_url: str) -> dict[str, object]:
    session = boto3.session.Session(
        aws_access_key_id="local-stack", aws_secret_access_key="local-stack", region_name=REGION
    )
    config = Config(retries={"max_attempts": 2, "mode": "standard"})
    return {
        name: session.client(name, endpoint_url=endpoint_url, config=config)
        for name in ("s3", "iam", "sts", "sqs", "events", "mediapackage", "mediapackage-vod")
    }


@pytest.fixture
def stack(tmp_path, monkeypatch) -> Iterator[StackThread]:
    """A fresh stack per test: its own port, data dir and (moto) state."""
    from moto.core import DEFAULT_ACCOUNT_ID

    monkeypatch.setenv("DEVSTACK_HARVEST_WAIT_SECONDS", "5")
    monkeypatch.setenv("DEVSTACK_VOD_MIN_SECONDS", "0.5")
    monkeypatch.delenv("DEVSTACK_FAULTS", raising=False)  # no injected faults unless a test adds them
    settings = Settings.from_env(port=free_port(), home=str(tmp_path / "devstack"))
    assert settings.account_id == DEFAULT_ACCOUNT_ID
    with StackThread(settings) as running:
        # moto's backends are process-wide: each test's stack starts from empty S3/IAM/SQS/EventBridge.
        urllib.request.urlopen(urllib.request.Request(f"{running.url}/moto-api/reset", method="POST")).read()
        yield running


@pytest.fixture
def aws(stack: StackThread) -> dict[str, object]:
    return make_clients(stack.url)
