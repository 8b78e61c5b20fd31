"""The pipeline's own metrics, through Airflow's ``Stats`` (StatsD or OpenTelemetry, as ``[metrics]``
says), so they travel the path Airflow's own do: the official Helm chart's statsd exporter turns
them into Prometheus series, which ``deploy/grafana/live-to-vod.json`` charts.

Names (after Airflow's ``statsd_prefix``, ``airflow.`` by default); tags carry the MediaPackage API
(``v1``/``v2``) and, for failures, the step. Event ids are never part of a name or a tag: one series
per game would swamp any metrics store.

=========================================  ======  =============================================
name                                       kind    what
=========================================  ======  =============================================
``live_to_vod.harvest_seconds``            timer   harvest job created -> completed
``live_to_vod.verify_seconds``             timer   one asset's verification
``live_to_vod.end_to_playable_seconds``    timer   the event's end -> its VOD published
``live_to_vod.outputs_published``          count   outputs published (the rate's denominator)
``live_to_vod.output_failures.<step>``     count   outputs failed, by the failing step
``live_to_vod.deadline_missed``            count   events whose VOD missed its deadline
``live_to_vod.last_chance_alerts``         count   harvests still running near the content's expiry
=========================================  ======  =============================================
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["METRICS", "count", "observe_harvest", "timing"]

PREFIX = "live_to_vod"
#: Every metric the pipeline emits: name -> kind (the docs' table and the dashboard use these).
METRICS: dict[str, str] = {
    "harvest_seconds": "timer",
    "verify_seconds": "timer",
    "end_to_playable_seconds": "timer",
    "outputs_published": "count",
    "output_failures.<step>": "count",
    "deadline_missed": "count",
    "last_chance_alerts": "count",
}


def _stats():
    from airflow.sdk.observability.stats import Stats

    return Stats


def timing(name: str, seconds: float, **tags: str) -> None:
    """Emit a timer; never raises (a metrics outage must not fail a harvest)."""
    try:
        _stats().timing(f"{PREFIX}.{name}", timedelta(seconds=max(seconds, 0)), tags=tags)
    except Exception:
        log.warning("Metric %s.%s not sent", PREFIX, name, exc_info=True)


def count(name: str, **tags: str) -> None:
    """Add one to a counter; never raises."""
    try:
        _stats().incr(f"{PREFIX}.{name}", tags=tags)
    except Exception:
        log.warning("Metric %s.%s not sent", PREFIX, name, exc_info=True)


def observe_harvest(job: Any, api: str) -> None:
    """The harvest's duration (job created -> seen complete) as ``harvest_seconds``; ``api`` is v1/v2."""
    import pendulum

    from live_to_vod.harvest_jobs import parse_job_time

    created = parse_job_time(job.get("CreatedAt")) if isinstance(job, dict) else None
    if created is not None:
        timing("harvest_seconds", (pendulum.now("UTC") - created).total_seconds(), api=api)
