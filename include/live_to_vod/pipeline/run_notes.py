"""A listener (registered by the project's plugin) that writes each ended run's outcome into its
note, so the UI's list of runs reads as a list of games: the event, and per output its window,
renditions and playback URL, or why it failed.

Runs in the scheduler, inside Airflow's own ``on_dag_run_success``/``on_dag_run_failed`` hooks,
with the run's own database session: it reads ``validate``'s, ``publish``'s and the
``failure_reason`` XComs of the run and sets ``dag_run.note``. A note a person wrote is kept; the
outcome goes below it. Any error is logged by Airflow's listener manager, never raised into the
scheduler.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.listeners import hookimpl

from live_to_vod.game_day import event_id_of_run, outcome_note, with_outcome

log = logging.getLogger(__name__)

DAG_ID = "live_event_harvest"


def _write_outcome(dag_run: Any, state: str) -> None:
    if dag_run.dag_id != DAG_ID:
        return
    from airflow.models.xcom import XComModel
    from sqlalchemy import or_, select
    from sqlalchemy.orm import object_session

    session = object_session(dag_run)
    if session is None:
        return
    rows = session.scalars(
        select(XComModel).where(
            XComModel.dag_id == DAG_ID,
            XComModel.run_id == dag_run.run_id,
            or_(XComModel.task_id.in_(("validate", "harvest.publish")), XComModel.key == "failure_reason"),
        )
    ).all()
    plan, summaries, reasons = None, {}, {}
    for row in rows:
        value = XComModel.deserialize_value(row)
        if row.key == "failure_reason":
            reasons[(row.task_id, row.map_index)] = value
        elif row.key == "return_value" and row.task_id == "validate" and isinstance(value, list):
            plan = value
        elif row.key == "return_value" and row.task_id == "harvest.publish" and isinstance(value, dict):
            summaries[row.map_index] = value
    event_id = event_id_of_run(dag_run.run_id, dag_run.conf)
    dag_run.note = with_outcome(dag_run.note, outcome_note(event_id, state, plan, summaries, reasons))
    log.info("Run %s: outcome written to its note", dag_run.run_id)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _write_outcome(dag_run, "success")


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _write_outcome(dag_run, "failed")
