"""What every task of the project's DAGs shares: the AWS connection, the retry policy and the alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from live_to_vod.config import DeploymentConfig
from live_to_vod.pipeline.alerting import OutputFailureAlert, OutputRecoveryNote


def default_args(config: DeploymentConfig) -> dict[str, Any]:
    """The DAGs' ``default_args``.

    Three retries with exponential back-off (30 s, 1 min, 2 min... at most 10) ride out what
    botocore's own retries did not (an executor hiccup, a worker lost mid-task). Failures that
    cannot heal (bad input, a FAILED harvest, a rejected asset) raise ``AirflowFailException``
    and skip them.

    A task that fails for good sends one alert (``on_failure_callback`` runs after the last try
    only); one that succeeds after failed tries sends a "recovered" note if the deployment asks.
    """
    return {
        "aws_conn_id": config.aws_conn_id,
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "on_failure_callback": [OutputFailureAlert(config)],
        "on_success_callback": [OutputRecoveryNote(config)],
    }
