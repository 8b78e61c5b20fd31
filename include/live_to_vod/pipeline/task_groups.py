"""The task chains the DAGs wire: one output's harvest, the hand-off of a finished harvest, and the
verify task (which ``reverify_vod_asset`` runs alone).

``live_event_harvest`` maps :func:`harvest_output` over an event's outputs; ``harvest_notifications``
maps :func:`hand_off_harvest` over the jobs made elsewhere. The hand-off (verify the asset, hand it
to MediaPackage VOD, publish it) is the same chain in both, built here once.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset

from live_to_vod.aws.operators.harvest import (
    CONTENT_EXPIRES_KEY,
    REQUEST_KEY,
    V2_ENDPOINT_KEY,
    CreateHarvestJobOperator,
)
from live_to_vod.aws.operators.mediaconvert import MediaConvertJobOperator, VerifyMediaConvertOutputsOperator
from live_to_vod.aws.operators.verify import VerifyHarvestedAssetOperator
from live_to_vod.aws.operators.vod import CreateVodAssetOperator
from live_to_vod.aws.sensors.mediapackage import HarvestJobSensor
from live_to_vod.config import DeploymentConfig
from live_to_vod.notifications import NOTIFICATIONS_ASSET_NAME
from live_to_vod.pipeline.publish import PublishHarvestedAssetOperator
from live_to_vod.verification import MiB

#: Task ids inside the groups (the report and summary tasks read XComs by them).
VERIFY, HAND_OFF, PUBLISH = "verify_asset", "hand_off_to_vod", "publish"
TRANSCODE, VERIFY_TRANSCODE = "transcode", "verify_transcode"


def verify_asset_task(
    request: Any, config: DeploymentConfig, transcode_task_id: str | None = None
) -> VerifyHarvestedAssetOperator:
    """The verify task of every DAG: segments read as the request's ``verify_segments`` says, ``auto``
    decoding every segment up to ``LIVE_TO_VOD_VERIFY_FULL_MAX_MIB``; ``transcode_task_id`` is
    skipped for an output that gets no MediaConvert job."""
    return VerifyHarvestedAssetOperator(
        task_id=VERIFY,
        request=request,
        full_max_bytes=config.verify_full_max_mib * MiB,
        transcode_task_id=transcode_task_id,
    )


def hand_off_harvest(request: Any, harvest_job_id: Any, config: DeploymentConfig) -> tuple[Any, Any]:
    """verify_asset >> (hand_off_to_vod | transcode >> verify_transcode) >> publish for one finished
    harvest; (first, last) task. MediaPackage VOD and MediaConvert work from the verified asset side
    by side. The MediaConvert pair is skipped (verify_asset says why) for an output that gets no
    MediaConvert job; the VOD hand-off returns None (and says why) when it is not asked for."""
    hand_off_to_vod = CreateVodAssetOperator(
        task_id=HAND_OFF,
        request=request,
        harvest_job_id=harvest_job_id,
        wait_timeout=config.vod_timeout_minutes * 60,
    )
    transcode = MediaConvertJobOperator(
        task_id=TRANSCODE,
        request=request,
        harvest_job_id=harvest_job_id,
        wait_timeout=config.mediaconvert_timeout_minutes * 60,
        # Job state changes reach the notification queue's index only where the deployment has it.
        completion_asset=NOTIFICATIONS_ASSET_NAME if config.notification_queue_url else None,
    )
    verify_transcode = VerifyMediaConvertOutputsOperator(task_id=VERIFY_TRANSCODE, transcode=transcode.output)
    verify_asset = verify_asset_task(request, config, transcode_task_id=transcode.task_id)
    publish = PublishHarvestedAssetOperator(
        task_id=PUBLISH,
        request=request,
        harvest_job_id=harvest_job_id,
        verification=verify_asset.output,
        vod=hand_off_to_vod.output,
        transcode=transcode.output,
        transcode_outputs=verify_transcode.output,
    )
    verify_asset >> [hand_off_to_vod, transcode]
    transcode >> verify_transcode
    [hand_off_to_vod, verify_transcode] >> publish
    return verify_asset, publish


def harvest_output(request: Any, config: DeploymentConfig) -> None:
    """create_harvest_job >> wait_for_harvest >> the hand-off, for one output of an event. The job is
    made for the event's latest times; the hand-off reads the request the job was made for."""
    create_harvest_job = CreateHarvestJobOperator(task_id="create_harvest_job", request=request, deployment=config)
    harvest_job_id = create_harvest_job.output["harvest_job_id"]
    wait_for_harvest = HarvestJobSensor(
        task_id="wait_for_harvest",
        harvest_job_id=harvest_job_id,
        v2_endpoint=create_harvest_job.output[V2_ENDPOINT_KEY],
        content_expires_at=create_harvest_job.output[CONTENT_EXPIRES_KEY],
        last_chance_minutes=config.last_chance_minutes,
        timeout=config.harvest_timeout_minutes * 60,
        mode=config.sensor_mode,  # only when not deferrable
        # With the notification queue, a FAILED job's message quotes the reason from its notification.
        # A reference, not a second definition: that would drop the asset's watcher (harvest_notifications).
        inlets=[Asset.ref(name=NOTIFICATIONS_ASSET_NAME)] if config.notification_queue_url else [],
    )
    first, _ = hand_off_harvest(create_harvest_job.output[REQUEST_KEY], harvest_job_id, config)
    create_harvest_job >> wait_for_harvest >> first
