"""The project's Airflow plugin: the season timetable and the deadline reference (the scheduler must
be able to deserialize the DAGs that use them), the listener that writes each run's outcome into its
note, and the live-to-VOD board in the UI (a FastAPI app the api-server mounts at ``/live-to-vod``,
shown as a page of the UI's navigation)."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from live_to_vod.pipeline import run_notes
from live_to_vod.pipeline.deadlines import LiveEventPlayableDeadline
from live_to_vod.timetables.season import SeasonScheduleTimetable

#: Where the api-server mounts the board's app, and the UI route its page shows under.
BOARD_PREFIX = "/live-to-vod"
BOARD_ROUTE = "live-to-vod-board"


class BoardApps:
    """``fastapi_apps``, imported when read. Every Airflow process loads the plugins, every task
    process included; only the api-server reads ``fastapi_apps``. Importing the board's app (FastAPI
    and Airflow's API modules) cost each task process about a second of CPU."""

    def __get__(self, instance: Any, owner: Any) -> list[dict[str, Any]]:
        from live_to_vod_board.app import app

        return [{"app": app, "url_prefix": BOARD_PREFIX, "name": "Live-to-VOD board"}]


class LiveToVodPlugin(AirflowPlugin):
    name = "live_to_vod"
    timetables = [SeasonScheduleTimetable]
    deadline_references = [LiveEventPlayableDeadline]
    listeners = [run_notes]  # each ended run's outcome in its note
    fastapi_apps = BoardApps()  # type: ignore[assignment]
    external_views = [
        {
            "name": "Live-to-VOD board",
            "href": f"{BOARD_PREFIX.lstrip('/')}/board",
            "destination": "nav",
            "url_route": BOARD_ROUTE,
        }
    ]
