"""
# Live event harvest

One run per live event (a game). **validate** resolves the event and plans its outputs (per
origin endpoint: the whole window, split into parts past 24 h, and each highlight clip), then
checks every endpoint; **wait_for_event_end** defers until the content is at the origin. Each
output then runs on its own in the mapped **harvest** group: **create** the harvest job
(exactly once), **wait** for it in the triggerer, **verify** the asset in S3 against the HLS VOD
checklist, **hand it off** to MediaPackage VOD and wait until it plays, **publish** an Airflow
asset event (`harvested-vod-assets` alias). **summarize** reports every output and fails the
run if any failed.

Game day: a task that fails for good sends one alert (Slack and/or email, `LIVE_TO_VOD_ALERT_*`)
with the reason and the next step. The run's deadline (a Deadline Alert) is "playable within
`playable_within_minutes` of the event's end"; a miss alerts once, naming what is still running.
**wait_for_harvest** alerts once if the content is about to leave the origin's startover window
while its harvest job is still running.

Scheduled runs come from the season schedule (`include/schedules/*.yaml`, one run per event
after it ends; backfills re-run events in a range). Ad-hoc harvests: trigger from the form
(times need an offset, e.g. `2026-11-26T19:00:00-05:00`) or the REST API with the same keys as
`conf`. Empty destination fields take the deployment defaults (`LIVE_TO_VOD_*` environment
variables, see `docs/pipeline.md`); `packaging_group_id: ""` means no VOD hand-off.
`verify_segments` says how verify reads the media segments: `auto` (default: all of them decoded
up to `LIVE_TO_VOD_VERIFY_FULL_MAX_MIB`, else sampled), `sampled` or `full`. To verify an asset
again later: `reverify_vod_asset`.

Re-running is safe: the harvest job and VOD asset ids derive from the event and its window, so a
retry or a cleared task finds its own job and asset instead of creating more.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, AsyncCallback, DeadlineAlert, task_group

from live_to_vod.aws.operators.harvest import ValidateLiveEventOperator
from live_to_vod.config import DeploymentConfig
from live_to_vod.pipeline.deadlines import LiveEventPlayableDeadline, notify_deadline_missed
from live_to_vod.pipeline.defaults import default_args
from live_to_vod.pipeline.event_end import WaitForLiveEventEndOperator
from live_to_vod.pipeline.params import harvest_params
from live_to_vod.pipeline.publish import SummarizeLiveEventOperator
from live_to_vod.pipeline.task_groups import PUBLISH, harvest_output
from live_to_vod.schedule import load_schedule
from live_to_vod.timetables.season import SeasonScheduleTimetable

config = DeploymentConfig.from_env()
RUN_TIMEOUT_MARGIN_HOURS = 3  # retries' back-off, queueing, the end margin
schedule = load_schedule(config.schedule_dir)
for error in schedule.errors:  # refused entries show as the DAG's import warnings; valid ones still run
    warnings.warn(f"season schedule: {error}", stacklevel=1)

with DAG(
    dag_id="live_event_harvest",
    description="Harvest one live event from MediaPackage into a verified VOD asset",
    doc_md=__doc__,
    schedule=SeasonScheduleTimetable.from_schedule(
        schedule, margin_seconds=config.end_margin_seconds, source=config.schedule_dir
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=True,  # events missed while the scheduler was down still run (validate refuses expired ones)
    # A waiting event holds no worker slot (the wait is deferred), so a full slate of games can be
    # in flight at once; worker slots and max_active_tasks_per_dag bound the work actually running.
    max_active_runs=256,
    # A backstop, never the normal way out: every wait has its own timeout, so a run that outlives
    # its longest legitimate wait (event end up to the horizon, harvest, VOD, retries) is stuck.
    dagrun_timeout=timedelta(
        hours=config.max_future_hours + RUN_TIMEOUT_MARGIN_HOURS,
        minutes=config.harvest_timeout_minutes + config.vod_timeout_minutes,
    ),
    # "Playable within N minutes of the end": evaluated once when the run is created, alerting once.
    deadline=DeadlineAlert(
        reference=LiveEventPlayableDeadline(default_minutes=config.playable_within_minutes),
        interval=timedelta(0),
        callback=AsyncCallback(notify_deadline_missed),
    ),
    tags=["live-to-vod", "mediapackage"],
    default_args=default_args(config),
    params=harvest_params(config),
) as dag:
    validate = ValidateLiveEventOperator(task_id="validate", deployment=config)
    wait_for_event_end = WaitForLiveEventEndOperator(
        task_id="wait_for_event_end", outputs=validate.output, deployment=config
    )

    @task_group(group_id="harvest")
    def harvest(request):
        """One output of the event (an endpoint's whole window or part, or a clip), on its own."""
        harvest_output(request, config)

    outputs = harvest.expand(request=validate.output)
    summarize = SummarizeLiveEventOperator(
        task_id="summarize", outputs=validate.output, publish_task_id=f"harvest.{PUBLISH}"
    )
    validate >> wait_for_event_end >> outputs >> summarize
