"""The project's Airflow plugin: the season timetable and the deadline reference (the scheduler must
be able to deserialize the DAGs that use them), the listener that writes each run's outcome into its
note, and the live-to-VOD board in the UI (a FastAPI app the api-server mounts at ``/live-to-vod``,
shown as a page of the UI's navigation)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from live_to_vod_board.app import app as board_app

from live_to_vod.pipeline import run_notes
from live_to_vod.pipeline.deadlines import LiveEventPlayableDeadline
from live_to_vod.timetables.season import SeasonScheduleTimetable

#: Where the api-server mounts the board's app, and the UI route its page shows under.
BOARD_PREFIX = "/live-to-vod"
BOARD_ROUTE = "live-to-vod-board"


class LiveToVodPlugin(AirflowPlugin):
    name = "live_to_vod"
    timetables = [SeasonScheduleTimetable]
    deadline_references = [LiveEventPlayableDeadline]
    listeners = [run_notes]  # each ended run's outcome in its note
    fastapi_apps = [{"app": board_app, "url_prefix": BOARD_PREFIX, "name": "Live-to-VOD board"}]
    external_views = [
        {
            "name": "Live-to-VOD board",
            "href": f"{BOARD_PREFIX.lstrip('/')}/board",
            "destination": "nav",
            "url_route": BOARD_ROUTE,
        }
    ]
