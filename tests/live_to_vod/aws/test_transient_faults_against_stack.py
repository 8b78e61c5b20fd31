"""Transient AWS trouble during a run is absorbed: the local stack throttles, fails with 5xx and
drops connections on the calls every task makes, and the run still ends with exactly one harvest
job and one VOD asset, every fault having fired (botocore's standard retry mode, set on the
``aws_default`` connection as ``config_kwargs``; see ``devstack.airflow_local.AWS_RETRIES``)."""

from __future__ import annotations

import pytest
from harvest_pipeline import Pipeline, assert_succeeded, migrated_airflow_db

from devstack.faults import FaultControl

pytestmark = pytest.mark.slow

# (kind, service, operation, count): each call of the pipeline's path, hit more than once.
TRANSIENT = [
    ("throttle", "mediapackage", "DescribeOriginEndpoint", 3),
    ("throttle", "mediapackage", "CreateHarvestJob", 3),
    ("error", "mediapackage", "DescribeHarvestJob", 3),
    ("throttle", "s3", "ListObjectsV2", 2),
    ("error", "s3", "GetObject", 2),
    ("drop", "mediapackage-vod", "CreateAsset", 2),
    ("throttle", "mediapackage-vod", "DescribeAsset", 2),
]


@pytest.fixture(scope="module")
def airflow_db(tmp_path_factory):
    return migrated_airflow_db(tmp_path_factory.mktemp("airflow-template"))


def test_throttling_5xx_and_dropped_connections_are_absorbed(stack, aws, airflow_db, tmp_path):
    pipeline = Pipeline(stack, aws, airflow_db, tmp_path / "airflow")
    faults = FaultControl(stack.url)
    rules = [
        faults.add(kind, service=service, operation=operation, count=count)
        for kind, service, operation, count in TRANSIENT
    ]
    (run,) = pipeline.run(pipeline.conf("game-under-faults"))
    assert_succeeded(run)
    fired = {(r["service"], r["operation"]): faults.get(r["id"])["fired"] for r in rules}
    assert fired == {(service, operation): count for _, service, operation, count in TRANSIENT}
    assert list(pipeline.jobs()) == [pipeline.job_id("game-under-faults")]
    assert [a["Id"] for a in pipeline.assets()] == [pipeline.job_id("game-under-faults")]
