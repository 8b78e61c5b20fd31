"""The plugin as the Airflow processes load it: every process (each task process included) loads the
plugins, but only the api-server reads ``fastapi_apps``, so only it imports the board's app."""

from __future__ import annotations

from tests.support.fresh_python import fresh_python


def test_loading_the_plugins_does_not_import_the_board_and_the_api_server_gets_it(tmp_path):
    result = fresh_python(
        """
        import json, sys
        from airflow import plugins_manager
        from airflow.sdk import plugins_manager as task_plugins_manager  # what a task process loads
        plugins = plugins_manager._get_plugins()[0]
        loaded = [p.name for p in plugins]
        task_loaded = [p.name for p in task_plugins_manager._get_plugins()[0]]
        # Airflow imports each .py it walks to under its file's stem ("app"), not its package's name.
        board = [m for m, mod in list(sys.modules.items())
                 if "live_to_vod_board" in (getattr(mod, "__file__", None) or "")]
        apps, _ = plugins_manager.get_fastapi_plugins()
        print(json.dumps({
            "loaded": loaded,
            "task_loaded": task_loaded,
            "board_modules_after_loading": board,
            "apps": [(a["url_prefix"], a["name"], type(a["app"]).__name__) for a in apps],
        }))
        """,
        tmp_path,
    )
    assert "live_to_vod" in result["loaded"] and "live_to_vod" in result["task_loaded"]
    assert result["board_modules_after_loading"] == []  # a task process never pays for the board
    assert result["apps"] == [["/live-to-vod", "Live-to-VOD board", "FastAPI"]]
