"""The against-stack fixtures of ``tests/live_to_vod/aws`` (a migrated Airflow DB per module, a
scenario ``pipeline``, the stack's fault control), for the pipeline modules that run the DAG."""

from tests.live_to_vod.aws.conftest import airflow_db, faults, pipeline  # noqa: F401 (fixtures)
