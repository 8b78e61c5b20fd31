"""live_to_vod.pipeline.celery_config: Airflow's Celery settings unchanged, the pipeline and the plugins
loaded with them (each task process forks from the worker and finds them loaded)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.support.fresh_python import ROOT, fresh_python


def test_celery_config_is_airflows_and_preloads_the_pipeline_and_plugins():
    # A fresh interpreter: this test process has long imported everything.
    code = textwrap.dedent(
        """
        import sys
        from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
        from live_to_vod.pipeline.celery_config import CELERY_CONFIG
        assert CELERY_CONFIG == DEFAULT_CELERY_CONFIG
        for name in ("live_to_vod.aws.operators.harvest", "live_to_vod.aws.operators.verify",
                     "live_to_vod.aws.triggers.mediapackage", "airflow.providers.amazon.aws.hooks.s3", "m3u8"):
            assert name in sys.modules, name
        from airflow.sdk import plugins_manager
        from airflow.sdk.listener import get_listener_manager
        assert plugins_manager._get_plugins.cache_info().currsize == 1  # what a task's startup would load
        assert get_listener_manager.cache_info().currsize == 1
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (ROOT / "dags").glob("*.py")))
def test_a_task_process_parses_its_dag_file_without_importing_anything(dag_file, tmp_path):
    """A task process parses its DAG file after forking from the worker: everything the file imports
    must already be loaded there, or every task pays to import it again."""
    result = fresh_python(
        f"""
        import json, sys
        from pathlib import Path
        import live_to_vod.pipeline.celery_config
        from airflow.dag_processing.dagbag import BundleDagBag
        dags = Path("dags").resolve()
        before = set(sys.modules)
        bag = BundleDagBag(dag_folder=str(dags / {dag_file!r}), safe_mode=False, load_op_links=False,
                           bundle_path=dags, bundle_name="dags-folder")
        new = sorted(m for m in set(sys.modules) - before if not m.startswith("unusual_prefix_"))
        print(json.dumps({{"dags": sorted(bag.dag_ids), "errors": bag.import_errors, "imported": new}}))
        """,
        tmp_path,
        LIVE_TO_VOD_NOTIFICATION_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/notifications",
    )
    assert result["errors"] == {} and len(result["dags"]) == 1
    assert result["imported"] == []
