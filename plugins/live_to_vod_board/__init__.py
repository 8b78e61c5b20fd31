"""The live-to-VOD board: a FastAPI app the api-server mounts (``/live-to-vod``) behind Airflow's
own auth, and the page it serves (built from ``ui/board`` by ``make setup``)."""
