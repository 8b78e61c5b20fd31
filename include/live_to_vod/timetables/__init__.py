"""Airflow timetables of the project (registered by plugins/live_to_vod_plugin.py)."""
