"""Celery settings for the workers: Airflow's defaults, with the pipeline imported once per worker.

Set ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=live_to_vod.pipeline.celery_config.CELERY_CONFIG`` (the compose
file and the process topology do). On Linux a Celery worker forks a process per task instance; a
module imported here, when the worker starts, is already in memory in every fork, so a task does
not pay again for importing the amazon provider, boto3, m3u8, PyAV and our operators each time
(the DAG file's own imports then cost nothing). The plugins are loaded here too: each task process
would otherwise load them again (the task runner's listener manager, cached per process).
``bench/celery_events_in_flight.py`` measures the CPU seconds per event with and without all this.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

# What the DAG files import (airflow.sdk's names load their modules when first read).
from airflow.sdk import DAG, Asset, AssetWatcher, AsyncCallback, DeadlineAlert, task_group  # noqa: F401
from airflow.sdk.listener import get_listener_manager

import live_to_vod.aws.operators.notifications
import live_to_vod.pipeline.defaults
import live_to_vod.pipeline.event_end
import live_to_vod.pipeline.notification_report
import live_to_vod.pipeline.params
import live_to_vod.pipeline.reverify
import live_to_vod.pipeline.task_groups  # the operators and sensors of all three DAGs
import live_to_vod.timetables.season  # noqa: F401

get_listener_manager()  # loads the plugins, once per worker

CELERY_CONFIG = DEFAULT_CELERY_CONFIG
