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

Scheduled runs come from the season schedule (`include/schedules/*.yaml`, one run per event
after it ends; backfills re-run events in a range). Ad-hoc harvests: trigger from the form
(times need an offset, e.g. `2026-11-26T19:00:00-05:00`) or the REST API with the same keys as
`conf`. Empty destination fields take the deployment defaults (`LIVE_TO_VOD_*` environment
variables, see `include/live_to_vod/config.py`); `packaging_group_id: ""` means no VOD hand-off.

Re-running is safe: the harvest job and VOD asset ids derive from the event and its window, so a
retry or a cleared task finds its own job and asset instead of creating more.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, Param, task_group

from live_to_vod.aws.operators.harvest import (
    CreateHarvestJobOperator,
    ValidateLiveEventOperator,
    WaitForLiveEventEndOperator,
)
from live_to_vod.aws.operators.publish import PublishHarvestedAssetOperator, SummarizeLiveEventOperator
from live_to_vod.aws.operators.verify import VerifyHarvestedAssetOperator
from live_to_vod.aws.operators.vod import CreateVodAssetOperator
from live_to_vod.aws.sensors.mediapackage import HarvestJobSensor
from live_to_vod.config import DeploymentConfig
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME
from live_to_vod.schedule import load_schedule
from live_to_vod.timetables.season import SeasonScheduleTimetable
from live_to_vod.validation import EVENT_ID_RE, RESOURCE_ID_RE

config = DeploymentConfig.from_env()
RUN_TIMEOUT_MARGIN_HOURS = 3  # retries' back-off, queueing, the end margin
schedule = load_schedule(config.schedule_dir)
for error in schedule.errors:  # refused entries show as the DAG's import warnings; valid ones still run
    warnings.warn(f"season schedule: {error}", stacklevel=1)


def _default(value: str) -> str:
    return f"Empty: the deployment default ({value or 'none set'})."


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
    tags=["live-to-vod", "mediapackage"],
    default_args={
        "aws_conn_id": config.aws_conn_id,
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
    },
    params={
        "event_id": Param(
            default=None,
            type=["null", "string"],
            pattern=f"^{EVENT_ID_RE.pattern}$",
            title="Event id",
            description="Required for manual runs. Names the run's harvest job and VOD asset: "
            "letters, digits, _ and -, up to 64.",
            section="Event",
        ),
        "origin_endpoint_id": Param(
            default=None,
            type=["null", "string"],
            pattern=f"^{RESOURCE_ID_RE.pattern}$",
            title="Origin endpoint",
            description="The MediaPackage (v1) HLS origin endpoint to harvest; it needs a startover window.",
            section="Event",
        ),
        "start_time": Param(
            default=None,
            type=["null", "string"],
            format="date-time",
            title="Start",
            description="ISO 8601 with an offset, e.g. 2026-11-26T19:00:00-05:00.",
            section="Event",
        ),
        "end_time": Param(
            default=None,
            type=["null", "string"],
            format="date-time",
            title="End",
            description="ISO 8601 with an offset; at most 24 h after the start. May be in the future: the run waits.",
            section="Event",
        ),
        "s3_bucket": Param(
            default=None,
            type=["null", "string"],
            title="S3 bucket",
            description=_default(config.s3_bucket),
            section="Destination",
        ),
        "manifest_key": Param(
            default=None,
            type=["null", "string"],
            title="Manifest key",
            description="Template for the parent manifest's key; placeholders {event_id}, {date}, "
            "{origin_endpoint_id}. " + _default(config.manifest_key_template),
            section="Destination",
        ),
        "role_arn": Param(
            default=None,
            type=["null", "string"],
            title="Harvest role ARN",
            description="Role MediaPackage assumes to write to S3. " + _default(config.harvest_role_arn),
            section="Destination",
        ),
        "packaging_group_id": Param(
            default=None,
            type=["null", "string"],
            title="VOD packaging group",
            description="MediaPackage VOD packaging group for the hand-off. " + _default(config.packaging_group_id),
            section="VOD hand-off",
        ),
    },  # fmt: skip
) as dag:
    validate = ValidateLiveEventOperator(task_id="validate", deployment=config)
    wait_for_event_end = WaitForLiveEventEndOperator(task_id="wait_for_event_end", outputs=validate.output)

    @task_group(group_id="harvest")
    def harvest(request):
        """One output of the event (an endpoint's whole window or part, or a clip), on its own."""
        create_harvest_job = CreateHarvestJobOperator(task_id="create_harvest_job", request=request)
        wait_for_harvest = HarvestJobSensor(
            task_id="wait_for_harvest",
            harvest_job_id=create_harvest_job.output["harvest_job_id"],
            timeout=config.harvest_timeout_minutes * 60,
            mode=config.sensor_mode,  # only when not deferrable
            # With the notification queue, a FAILED job's message quotes the reason from its notification.
            # A reference, not a second definition: that would drop the asset's watcher (harvest_notifications).
            inlets=[Asset.ref(name=NOTIFICATIONS_ASSET_NAME)] if config.notification_queue_url else [],
            # A FAILED job fails at once (no retry); retries cover an executor hiccup around the deferral.
        )
        verify_asset = VerifyHarvestedAssetOperator(task_id="verify_asset", request=request)
        hand_off_to_vod = CreateVodAssetOperator(
            task_id="hand_off_to_vod",
            request=request,
            harvest_job_id=create_harvest_job.output["harvest_job_id"],
            wait_timeout=config.vod_timeout_minutes * 60,
        )
        publish = PublishHarvestedAssetOperator(
            task_id="publish",
            request=request,
            harvest=create_harvest_job.output,
            verification=verify_asset.output,
            vod=hand_off_to_vod.output,
        )
        create_harvest_job >> wait_for_harvest >> verify_asset >> hand_off_to_vod >> publish

    outputs = harvest.expand(request=validate.output)
    summarize = SummarizeLiveEventOperator(
        task_id="summarize", outputs=validate.output, publish_task_id="harvest.publish"
    )
    validate >> wait_for_event_end >> outputs >> summarize
