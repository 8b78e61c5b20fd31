"""Shared fixtures: a real local media stack on a free loopback port, and boto3 clients for it."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from devstack.config import Settings
from devstack.net import free_port
from devstack.server import StackThread
from tests.support.reliability import RELIABILITY_RESULTS

REGION = "us-east-1"


#: Fixtures that start real services (the stack, Airflow, the Celery topology): a test using one is slow.
SERVICE_FIXTURES = frozenset({"stack", "aws", "media_stack", "deployment", "topology_infrastructure"})


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts services ``slow`` (``make test-fast`` skips them)."""
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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
        for name in (
            *("s3", "iam", "sts", "sqs", "events"),
            *("mediapackage", "mediapackage-vod", "mediapackagev2", "mediaconvert"),
        )
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
