"""Registers the project's timetable so the scheduler can deserialize DAGs that use it."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from live_to_vod.timetables.season import SeasonScheduleTimetable


class LiveToVodPlugin(AirflowPlugin):
    name = "live_to_vod"
    timetables = [SeasonScheduleTimetable]
