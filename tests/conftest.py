"""Shared fixtures: a real local media stack on a free loopback port, and boto3 clients for it."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from devstack.config import Settings
from devstack.server import StackThread
from tests_support import free_port

REGION = "us-east-1"


def make_clients(endpoint_url: str) -> dict[str, object]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
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
    settings = Settings.from_env(port=free_port(), home=str(tmp_path / "devstack"))
    assert settings.account_id == DEFAULT_ACCOUNT_ID
    with StackThread(settings) as running:
        # moto's backends are process-wide: each test's stack starts from empty S3/IAM/SQS/EventBridge.
        urllib.request.urlopen(urllib.request.Request(f"{running.url}/moto-api/reset", method="POST")).read()
        yield running


@pytest.fixture
def aws(stack: StackThread) -> dict[str, object]:
    return make_clients(stack.url)
