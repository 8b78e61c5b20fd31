"""The board's web app: the page, its script, and the JSON it polls.

Mounted by the api-server (the project's plugin, ``fastapi_apps``) under ``/live-to-vod``. Every
route depends on Airflow's own security dependency (the UI's session cookie or a bearer token):
reading the board needs read access to ``live_event_harvest``'s runs. The rows are computed by
:mod:`live_to_vod.board` from the metadata database (runs, task instances, XComs) and the season
schedule (the day's events that have no run yet).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pendulum
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import Body, Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import and_, or_, select

from live_to_vod.board import STAGES, BoardRow, RunView, TaskView, filter_rows, rows_for_run, scheduled_row

DAG_ID = "live_event_harvest"
HERE = Path(__file__).parent
STATIC = HERE / "static"
#: Runs whose event may end on the asked day: created from a day before to a day after it.
RUN_SLACK = pendulum.duration(days=1)

can_read_runs = Depends(requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=DAG_ID))
can_trigger_runs = Depends(requires_access_dag("POST", DagAccessEntity.RUN, param_dag_id=DAG_ID))

app = FastAPI(title="Live-to-VOD board", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/board", response_class=HTMLResponse, dependencies=[can_read_runs])
def board_page() -> HTMLResponse:
    return HTMLResponse((HERE / "board.html").read_text())


@app.get("/static/board.js", dependencies=[can_read_runs])
def board_script() -> FileResponse:
    script = STATIC / "board.js"
    if not script.exists():
        raise HTTPException(
            503, "the board's script is not built: run `make setup` (npm ci && npm run build in ui/board)"
        )
    return FileResponse(script, media_type="text/javascript")


@app.get("/api/board", dependencies=[can_read_runs])
def board_rows(
    session: SessionDep,
    day: str | None = Query(None, description="YYYY-MM-DD; today when absent"),
    tz: str = Query("UTC", description="the zone the day is in"),
    channel: str | None = Query(None),
    stage: str | None = Query(None),
) -> dict[str, Any]:
    try:
        zone = pendulum.timezone(tz)
        the_day = pendulum.parse(day).date() if day else pendulum.now(zone).date()
    except Exception:
        raise HTTPException(400, f"day={day!r}, tz={tz!r}: expected YYYY-MM-DD and an IANA zone") from None
    if stage and stage not in STAGES:
        raise HTTPException(400, f"stage={stage!r}: expected one of {', '.join(STAGES)}")
    start = pendulum.datetime(the_day.year, the_day.month, the_day.day, tz=zone)
    runs = load_runs(session, start.subtract(days=1), start.add(days=2))
    rows = [row for run in runs for row in rows_for_run(run)]
    rows += scheduled_without_run(rows, start, start.add(days=1))
    every = filter_rows(rows, day=the_day, tz=tz)
    shown = filter_rows(every, channel=channel or None, stage=stage or None)
    return {
        "day": the_day.isoformat(),
        "tz": tz,
        "now": pendulum.now("UTC").to_iso8601_string(),
        "channels": sorted({r.channel for r in every if r.channel}),
        "stages": list(STAGES),
        "rows": [r.to_dict() for r in shown],
    }


def load_runs(session: Any, since: pendulum.DateTime, until: pendulum.DateTime) -> list[RunView]:
    """The board's view of every run of the DAG created (``run_after``) in [since, until)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel

    runs = session.scalars(
        select(DagRun).where(DagRun.dag_id == DAG_ID, DagRun.run_after >= since, DagRun.run_after < until)
    ).all()
    if not runs:
        return []
    run_ids = [r.run_id for r in runs]
    tis = session.execute(
        select(
            TaskInstance.run_id, TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state,
            TaskInstance.end_date,
        ).where(TaskInstance.dag_id == DAG_ID, TaskInstance.run_id.in_(run_ids))
    ).all()  # fmt: skip
    wanted = or_(
        and_(XComModel.task_id == "validate", XComModel.key == "return_value"),
        and_(XComModel.task_id == "harvest.publish", XComModel.key == "return_value"),
        and_(XComModel.task_id == "harvest.create_harvest_job", XComModel.key == "harvest_job_id"),
        XComModel.key == "failure_reason",
    )
    xcoms = session.scalars(
        select(XComModel).where(XComModel.dag_id == DAG_ID, XComModel.run_id.in_(run_ids), wanted)
    ).all()
    by_run: dict[str, dict[str, Any]] = {
        rid: {"plan": None, "summaries": {}, "reasons": {}, "jobs": {}} for rid in run_ids
    }
    for x in xcoms:
        value = XComModel.deserialize_value(x)
        slot = by_run[x.run_id]
        if x.key == "failure_reason":
            slot["reasons"][(x.task_id, x.map_index)] = value
        elif x.task_id == "validate":
            slot["plan"] = value if isinstance(value, list) else None
        elif x.task_id == "harvest.publish" and isinstance(value, dict):
            slot["summaries"][x.map_index] = value
        elif x.task_id == "harvest.create_harvest_job":
            slot["jobs"][x.map_index] = value
    tasks: dict[str, list[TaskView]] = {rid: [] for rid in run_ids}
    for run_id, task_id, map_index, state, end_date in tis:
        end = pendulum.instance(end_date) if end_date is not None else None
        tasks[run_id].append(TaskView(task_id, map_index, str(state) if state else None, end))
    views = []
    for r in runs:
        end = pendulum.instance(r.data_interval_end) if r.data_interval_end is not None else None
        views.append(
            RunView(
                dag_id=DAG_ID,
                run_id=r.run_id,
                state=str(r.state),
                conf=r.conf or {},
                window_end=end,
                tasks=tasks[r.run_id],
                **by_run[r.run_id],
            )  # fmt: skip
        )
    return views


def scheduled_without_run(rows: list[BoardRow], since: pendulum.DateTime, until: pendulum.DateTime) -> list[BoardRow]:
    """The schedule's events ending in [since, until) that no run covers yet."""
    from live_to_vod.config import DeploymentConfig
    from live_to_vod.schedule import load_schedule

    seen = {r.event_id for r in rows}
    schedule = load_schedule(DeploymentConfig.from_env().schedule_dir)
    return [
        scheduled_row(e.event_id, ", ".join(e.endpoints), e.end)
        for e in schedule.events
        if e.event_id not in seen and since <= e.end < until
    ]


@app.post("/api/harvests", dependencies=[can_trigger_runs], status_code=201)
def start_harvest(session: SessionDep, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """An ad-hoc harvest whose run id names the event: ``manual__<event_id>`` (``.2``, ``.3``... when
    the event was harvested ad hoc before). The body is the run's conf, checked first: a bad field
    is refused here (400, naming it) and nothing is triggered."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    from live_to_vod.config import DeploymentConfig
    from live_to_vod.validation import InvalidParams, validate_harvest_request

    try:
        request = validate_harvest_request(body, DeploymentConfig.from_env(), pendulum.now("UTC"))
    except InvalidParams as exc:
        problems = [str(p) for p in exc.problems]
        raise HTTPException(400, {"message": "the harvest was not started", "problems": problems}) from None
    run_id = free_run_id(session, f"manual__{request.event_id}")
    run = trigger_dag(
        DAG_ID,
        triggered_by=DagRunTriggeredByType.REST_API,
        run_id=run_id,
        conf=body,
        note=f"**{request.event_id}**: {request.window.start.to_iso8601_string()} to "
        f"{request.window.end.to_iso8601_string()}",
        session=session,
    )
    return {"dag_id": DAG_ID, "dag_run_id": run.run_id if run else run_id, "event_id": request.event_id}


def free_run_id(session: Any, wanted: str) -> str:
    """``wanted``, or ``wanted.N`` with the first N not taken."""
    from airflow.models.dagrun import DagRun

    taken = set(
        session.scalars(select(DagRun.run_id).where(DagRun.dag_id == DAG_ID, DagRun.run_id.startswith(wanted))).all()
    )
    if wanted not in taken:
        return wanted
    return next(f"{wanted}.{n}" for n in range(2, len(taken) + 3) if f"{wanted}.{n}" not in taken)
