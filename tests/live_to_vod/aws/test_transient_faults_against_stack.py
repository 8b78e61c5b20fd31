"""Transient AWS trouble during a run is absorbed: the local stack throttles, fails with 5xx, adds
latency and drops connections on the calls every task makes, and the run still ends with exactly
one harvest job and one VOD asset, every fault having fired (botocore's standard retry mode, set on
the ``aws_default`` connection as ``config_kwargs``; see ``localrun.standalone.AWS_RETRIES``).
One test per kind of fault, each recorded for ``docs/reliability.md``."""

from __future__ import annotations

import pytest

from tests.support.harvest_pipeline import assert_succeeded
from tests.support.reliability import record_reliability, retries_used

pytestmark = pytest.mark.slow

# Each call of the pipeline's path, from validate to the VOD hand-off: (service, operation).
PATH = [
    ("mediapackage", "DescribeOriginEndpoint"),
    ("mediapackage", "CreateHarvestJob"),
    ("mediapackage", "DescribeHarvestJob"),
    ("s3", "ListObjectsV2"),
    ("s3", "GetObject"),
    ("mediapackage-vod", "CreateAsset"),
    ("mediapackage-vod", "DescribeAsset"),
]
# fault (as docs/reliability.md names it) -> (kind, extra rule fields, times per call)
FAULTS = {
    "throttling (429 TooManyRequestsException)": ("throttle", {}, 3),
    "5xx errors": ("error", {}, 3),
    "added latency": ("latency", {"seconds": 2}, 1),
    "dropped connections": ("drop", {}, 2),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_transient_fault_is_absorbed(fault, pipeline, faults):
    kind, fields, count = FAULTS[fault]
    rules = [
        faults.add(kind, service=service, operation=operation, count=count, **fields) for service, operation in PATH
    ]
    event = f"game-{kind}"
    (run,) = pipeline.run(pipeline.conf(event))
    assert_succeeded(run)
    fired = {(r["service"], r["operation"]): faults.get(r["id"])["fired"] for r in rules}
    assert fired == dict.fromkeys(PATH, count)  # every call of the path met the fault, `count` times
    assert list(pipeline.jobs()) == [pipeline.job_id(event)]
    assert [a["Id"] for a in pipeline.assets()] == [pipeline.job_id(event)]
    record_reliability(
        group="transient",
        fault=fault,
        outcome=f"run succeeded; {sum(fired.values())} calls faulted on {len(PATH)} operations",
        retries=("none needed (slower calls)" if kind == "latency" else f"{sum(fired.values())} botocore retries")
        + f", {retries_used(run['tries'].values())}",
        harvest_jobs=len(pipeline.jobs()),
        vod_assets=len(pipeline.assets()),
    )
