"""live_to_vod.pipeline.celery_config: Airflow's Celery settings unchanged, the pipeline imported with them."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_celery_config_is_airflows_and_preloads_the_pipeline():
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
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
