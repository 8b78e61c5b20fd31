"""Fixtures of the modules that run ``live_event_harvest`` with ``dag.test()`` against the stack."""

from __future__ import annotations

import json

import pytest

from devstack.faults import FaultControl
from tests.support.harvest_pipeline import Pipeline, migrated_airflow_db


@pytest.fixture(scope="module")
def airflow_db(tmp_path_factory):
    """One migrated Airflow database per module; each scenario runs on a copy."""
    return migrated_airflow_db(tmp_path_factory.mktemp("airflow-template"))


@pytest.fixture
def pipeline(stack, aws, airflow_db, tmp_path) -> Pipeline:
    return Pipeline(stack, aws, airflow_db, tmp_path / "airflow")


@pytest.fixture
def faults(stack) -> FaultControl:
    return FaultControl(stack.url)


@pytest.fixture
def aws_connection(stack, monkeypatch) -> None:
    """``aws_default`` for the hooks, pointing at this test's stack (as a deployment's env would)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "local-stack",
                "password": "local-stack",
                "extra": {"endpoint_url": stack.url, "region_name": "us-east-1"},
            }
        ),
    )
