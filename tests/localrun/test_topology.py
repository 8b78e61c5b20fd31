"""The Celery topology harness, without starting it: what it says is missing, and what each topology
keeps to itself. (A topology running a harvest end to end: tests/e2e/test_celery_topology.py.)"""

from __future__ import annotations

from pathlib import Path

from devstack.net import free_port
from localrun.topology import CeleryTopology, unavailable_reason


def test_unavailable_reason_names_each_missing_service_and_its_address():
    postgres, redis = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"  # nothing listens there
    reason = unavailable_reason(postgres=postgres, redis=redis, timeout=2)
    assert reason is not None
    assert f"PostgreSQL does not answer at {postgres}" in reason
    assert f"Redis does not answer at {redis}" in reason


def test_each_topology_gets_its_own_database_broker_namespace_queue_and_secrets(tmp_path: Path):
    seed = {
        "region": "us-east-1",
        "bucket": "b",
        "harvest_role_arn": "arn:aws:iam::123456789012:role/h",
        "packaging_group_id": "g",
        "vod_role_arn": "arn:aws:iam::123456789012:role/v",
        "mediaconvert_role_arn": "arn:aws:iam::123456789012:role/m",
        "queue_url": "http://127.0.0.1:1/123456789012/q",
    }
    one, two = (
        CeleryTopology(tmp_path / name, stack_url="http://127.0.0.1:1", seed=seed, workers=3) for name in ("a", "b")
    )
    for topology in (one, two):
        env = topology.env
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith(f"/{topology.database}")
        assert env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] == topology.queue
        assert env["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX"] == topology.key_prefix
        assert topology.password not in str(env) and topology.password not in repr(topology)
        workers = {name: spec for name, spec in topology.services().items() if name.startswith("airflow-worker-")}
        assert len(workers) == 3
        assert len({env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] for _, env in workers.values()}) == 3
        for (command, _), hostname in zip(workers.values(), topology.worker_hostnames, strict=True):
            assert command[command.index("--celery-hostname") + 1] == hostname
            assert command[command.index("--queues") + 1] == topology.queue
    for attribute in ("name", "database", "queue", "key_prefix", "password"):
        assert getattr(one, attribute) != getattr(two, attribute), attribute
    for secret in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        assert one.env[secret] != two.env[secret], secret
    assert one.env["AIRFLOW__API__BASE_URL"] != two.env["AIRFLOW__API__BASE_URL"]
