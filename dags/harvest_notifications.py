"""
# Harvest notifications

Harvest jobs are also made outside Airflow (the MediaPackage console, other tools). An
EventBridge rule sends every `MediaPackage HarvestJob Notification` (v1) and `MediaPackageV2
HarvestJob Notification` (v2) to an SQS queue (`LIVE_TO_VOD_NOTIFICATION_QUEUE_URL`); an
**asset watcher** on that queue (`NotificationQueueTrigger`, in the triggerer: no worker slot
held), its only consumer, records every job completion in the asset's state store (it wakes the
waiting harvest and MediaConvert tasks of `live_event_harvest` within a second) and turns the
harvest notifications into asset events, all but the successes of jobs `live_event_harvest`
made (their runs' waits end on the completion); each batch runs this DAG.

**read_notifications** decides per job, with `DescribeHarvestJob` (v2: `GetHarvestJob`) as the
truth: jobs made by `live_event_harvest` are left to that DAG; a job that already has its VOD
asset is skipped (a duplicate notification creates nothing); a completed job is handed off
exactly as the per-event DAG does it, in the mapped **handoff** group (**verify_asset**,
**hand_off_to_vod**, **publish**; a v2 CMAF harvest is verified, not handed to VOD, which takes
TS only); a failed (or v2 cancelled) job is reported with the reason from its notification (v2:
else the job's `ErrorMessage`). **report** lists every job and fails the run when a job failed,
a message was not a usable notification, or a hand-off failed.

Not defined when `LIVE_TO_VOD_NOTIFICATION_QUEUE_URL` is empty. Notifications are best effort:
this DAG is a second route, never the only one (scheduled events run `live_event_harvest`).
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, task_group

from live_to_vod.aws.operators.notifications import ReadHarvestNotificationsOperator
from live_to_vod.aws.triggers.notifications import NotificationQueueTrigger
from live_to_vod.config import DeploymentConfig
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME
from live_to_vod.pipeline.defaults import default_args
from live_to_vod.pipeline.notification_report import ReportHarvestNotificationsOperator
from live_to_vod.pipeline.task_groups import PUBLISH, hand_off_harvest

config = DeploymentConfig.from_env()

if not config.notification_queue_url:
    # Opting out is a deployment choice, not a fault: no import warning on every parse.
    logging.getLogger(__name__).info("LIVE_TO_VOD_NOTIFICATION_QUEUE_URL is not set: harvest_notifications not defined")
else:
    notifications_queue = Asset(
        name=NOTIFICATIONS_ASSET_NAME,
        watchers=[
            AssetWatcher(
                name="harvest_notifications_queue",
                trigger=NotificationQueueTrigger(
                    sqs_queue=config.notification_queue_url,
                    asset_name=NOTIFICATIONS_ASSET_NAME,
                    aws_conn_id=config.aws_conn_id,
                    max_messages=10,
                    num_batches=5,  # up to 50 messages per asset event when a burst arrives
                    wait_time_seconds=10,  # long polling: one quiet request per 10 s, no busy loop
                    waiter_delay=1,
                ),
            )
        ],
    )

    with DAG(
        dag_id="harvest_notifications",
        description="Verify and hand off harvest jobs made anywhere, from their EventBridge notifications",
        doc_md=__doc__,
        schedule=[notifications_queue],
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=5,
        tags=["live-to-vod", "mediapackage"],
        default_args=default_args(config),
    ) as dag:
        read = ReadHarvestNotificationsOperator(task_id="read_notifications", deployment=config)

        @task_group(group_id="handoff")
        def handoff(request, harvest_job_id):
            """One completed harvest job: verify, hand off to VOD, publish (as in live_event_harvest)."""
            hand_off_harvest(request, harvest_job_id, config)

        handoffs = handoff.expand_kwargs(read.output)
        report = ReportHarvestNotificationsOperator(
            task_id="report", read_task_id="read_notifications", publish_task_id=f"handoff.{PUBLISH}"
        )
        read >> handoffs >> report
