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
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Body, Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
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
        and_(XComModel.task_id == "harvest.create_harvest_job", XComModel.key.in_(("harvest_job_id", "request"))),
        XComModel.key == "failure_reason",
    )
    xcoms = session.scalars(
        select(XComModel).where(XComModel.dag_id == DAG_ID, XComModel.run_id.in_(run_ids), wanted)
    ).all()
    by_run: dict[str, dict[str, Any]] = {
        rid: {"plan": None, "summaries": {}, "reasons": {}, "jobs": {}, "requests": {}} for rid in run_ids
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
        elif x.task_id == "harvest.create_harvest_job" and x.key == "request":
            slot["requests"][x.map_index] = value
        elif x.task_id == "harvest.create_harvest_job":
            slot["jobs"][x.map_index] = value
    tasks: dict[str, list[TaskView]] = {rid: [] for rid in run_ids}
    for run_id, task_id, map_index, state, end_date in tis:
        end = pendulum.instance(end_date) if end_date is not None else None
        tasks[run_id].append(TaskView(task_id, map_index, str(state) if state else None, end))
    latest = latest_ends(session, runs)
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
                latest_end=latest.get(r.run_id),
                manual=str(r.run_type) == "manual",
                **by_run[r.run_id],
            )  # fmt: skip
        )
    return views


def latest_ends(session: Any, runs: list[Any]) -> dict[str, pendulum.DateTime]:
    """Each run's event end as it is now, where it moved: an ad-hoc run's changed end (its
    Variable), a scheduled run's revised schedule entry."""
    import json

    from airflow.models.variable import Variable

    from live_to_vod.config import DeploymentConfig
    from live_to_vod.game_day import event_id_of_run
    from live_to_vod.late_changes import variable_key
    from live_to_vod.schedule import load_schedule

    found: dict[str, pendulum.DateTime] = {}
    manual = {variable_key(DAG_ID, r.run_id): r.run_id for r in runs if str(r.run_type) == "manual"}
    if manual:
        for var in session.scalars(select(Variable).where(Variable.key.in_(list(manual)))).all():
            run_id = manual.get(var.key)
            change = json.loads(var.val) if run_id and var.val else None
            if change and change.get("end_time"):
                found[run_id] = pendulum.parse(change["end_time"]).in_timezone("UTC")
    if any(str(r.run_type) != "manual" for r in runs):
        schedule = load_schedule(DeploymentConfig.from_env().schedule_dir)
        for r in runs:
            event = schedule.get(event_id_of_run(r.run_id, r.conf)) if str(r.run_type) != "manual" else None
            if event is not None and event.revised:
                found[r.run_id] = event.end
    return found


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


#: How long a presigned MP4 link lasts: enough to watch a game's master.
MEDIA_LINK_SECONDS = 4 * 3600


@app.get("/api/media", dependencies=[can_read_runs])
def output_mp4(session: SessionDep, run_id: str = Query(...), map_index: int = Query(...)) -> RedirectResponse:
    """The output's MP4 master (its MediaConvert output in S3) through a presigned S3 link, for the
    board's player. Only an MP4 the run's publish recorded: the board never signs an arbitrary key.
    The api-server's AWS identity needs s3:GetObject on the bucket (docs/game-day.md)."""
    from airflow.models.xcom import XComModel
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from botocore.config import Config

    found = session.scalar(
        select(XComModel).where(
            XComModel.dag_id == DAG_ID,
            XComModel.run_id == run_id,
            XComModel.task_id == "harvest.publish",
            XComModel.map_index == map_index,
            XComModel.key == "return_value",
        )
    )
    summary = XComModel.deserialize_value(found) if found is not None else None
    mp4s = (summary or {}).get("mp4") or [] if isinstance(summary, dict) else []
    uri = mp4s[0].get("uri") if mp4s and isinstance(mp4s[0], dict) else None
    if not uri or not str(uri).startswith("s3://"):
        raise HTTPException(404, f"{run_id} output {map_index} has no MP4")
    bucket, _, key = str(uri).removeprefix("s3://").partition("/")
    # SigV4 query auth (botocore may otherwise sign S3 links with the deprecated SigV2).
    hook = S3Hook(aws_conn_id="aws_default", config=Config(signature_version="s3v4"))
    link = hook.conn.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=MEDIA_LINK_SECONDS
    )
    return RedirectResponse(link, status_code=307)


@app.post("/api/harvests", dependencies=[can_trigger_runs], status_code=201)
def start_harvest(session: SessionDep, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """An ad-hoc harvest whose run id names the event: ``manual__<event_id>`` (``.2``, ``.3``... when
    the event was harvested ad hoc before). The body is the run's conf, checked first: a bad field
    is refused here (400, naming it) and nothing is triggered."""
    request = _checked_conf(body)
    window = request.window
    note = f"**{request.event_id}**: {window.start.to_iso8601_string()} to {window.end.to_iso8601_string()}"
    run_id = trigger_named_run(session, request.event_id, body, note)
    return {"dag_id": DAG_ID, "dag_run_id": run_id, "event_id": request.event_id}


def _checked_conf(conf: dict[str, Any]) -> Any:
    from live_to_vod.config import DeploymentConfig
    from live_to_vod.validation import InvalidParams, validate_harvest_request

    try:
        return validate_harvest_request(conf, DeploymentConfig.from_env(), pendulum.now("UTC"))
    except InvalidParams as exc:
        problems = [str(p) for p in exc.problems]
        raise HTTPException(400, {"message": "the harvest was not started", "problems": problems}) from None


def trigger_named_run(session: Any, event_id: str, conf: dict[str, Any], note: str) -> str:
    """Trigger ``live_event_harvest`` with ``conf`` as ``manual__<event_id>`` (or ``.N``); its run id."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    run_id = free_run_id(session, f"manual__{event_id}")
    run = trigger_dag(
        DAG_ID, triggered_by=DagRunTriggeredByType.REST_API, run_id=run_id, conf=conf, note=note, session=session
    )
    return run.run_id if run else run_id


def free_run_id(session: Any, wanted: str) -> str:
    """``wanted``, or ``wanted.N`` with the first N not taken."""
    from airflow.models.dagrun import DagRun

    taken = set(
        session.scalars(select(DagRun.run_id).where(DagRun.dag_id == DAG_ID, DagRun.run_id.startswith(wanted))).all()
    )
    if wanted not in taken:
        return wanted
    return next(f"{wanted}.{n}" for n in range(2, len(taken) + 3) if f"{wanted}.{n}" not in taken)


# -- late changes: overtime, a delayed start, the extra time ----------------------------------------

FINISHED = ("success", "failed")


def _run(session: Any, run_id: str) -> Any:
    from airflow.models.dagrun import DagRun

    run = session.scalar(select(DagRun).where(DagRun.dag_id == DAG_ID, DagRun.run_id == run_id))
    if run is None:
        raise HTTPException(404, f"{DAG_ID} has no run {run_id!r}")
    return run


def harvested_requests(session: Any, run_id: str) -> dict[int, dict[str, Any]]:
    """The requests the run's harvest jobs were made for (``create_harvest_job``'s ``request`` XCom), by map index."""
    from airflow.models.xcom import XComModel

    from live_to_vod.aws.operators.harvest import REQUEST_KEY

    rows = session.scalars(
        select(XComModel).where(
            XComModel.dag_id == DAG_ID,
            XComModel.run_id == run_id,
            XComModel.task_id == "harvest.create_harvest_job",
            XComModel.key == REQUEST_KEY,
        )
    ).all()
    return {x.map_index: XComModel.deserialize_value(x) for x in rows}


def _variable(session: Any, key: str) -> Any:
    import json

    from airflow.models.variable import Variable

    found = session.scalar(select(Variable).where(Variable.key == key))
    return json.loads(found.val) if found is not None and found.val else None


def _add_to_note(run: Any, line: str, session: Any) -> None:
    kept = run.note or ""
    run.note = f"{kept}\n\n{line}" if kept else line
    session.flush()


@app.put("/api/runs/{run_id}/times", dependencies=[can_trigger_runs])
def change_times(run_id: str, session: SessionDep, user: GetUserDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    """Move an ad-hoc run's end (overtime) or start (a delayed start) until its harvest job is made.

    400 names each bad field (nothing stored); 409 when the run cannot take the change: a scheduled
    run (revise its schedule entry), a run that ended, or one whose harvest job exists (the window is
    fixed; the answer says how to harvest the extra time)."""
    from airflow.models.variable import Variable

    from live_to_vod.config import DeploymentConfig
    from live_to_vod.late_changes import check_times_change, variable_key, window_fixed_message
    from live_to_vod.validation import InvalidParams

    run = _run(session, run_id)
    if str(run.run_type) != "manual":
        raise HTTPException(
            409,
            f"{run_id} is a scheduled run: change its times in the season schedule (revised_start / revised_end "
            "in its entry); the run picks them up until its harvest job is made",
        )
    harvested = harvested_requests(session, run_id)
    if harvested or str(run.state) in FINISHED:
        new_end = body.get("end_time") if isinstance(body, dict) else None
        end = _parse_end(new_end) if new_end else None
        message = window_fixed_message(list(harvested.values()), end) if harvested else (
            f"{run_id} has ended ({run.state}): its window is fixed; harvest more time with POST "
            f"/live-to-vod/api/runs/{run_id}/extra-time"
        )  # fmt: skip
        raise HTTPException(409, {"message": message, "extra_time": f"api/runs/{run_id}/extra-time"})
    key = variable_key(DAG_ID, run_id)
    earlier = _variable(session, key)
    try:
        change, before, after = check_times_change(
            body, run.conf or {}, earlier, DeploymentConfig.from_env(), pendulum.now("UTC"), changed_by=user.get_name()
        )
    except InvalidParams as exc:
        problems = [str(p) for p in exc.problems]
        raise HTTPException(400, {"message": "the times were not changed", "problems": problems}) from None
    Variable.set(key, change.to_dict(), description=f"Changed times of {run_id}", serialize_json=True, session=session)
    _add_to_note(run, change.describe(before.window, after.window), session)
    return {
        "dag_run_id": run_id,
        "start_time": after.window.start.to_iso8601_string(),
        "end_time": after.window.end.to_iso8601_string(),
        "message": "the harvest will use these times (its job is not made yet)",
    }


def _parse_end(value: Any) -> pendulum.DateTime:
    from live_to_vod.validation import InvalidParams, parse_time

    try:
        return parse_time("end_time", value)
    except InvalidParams as exc:
        raise HTTPException(
            400, {"message": "nothing was started", "problems": [str(p) for p in exc.problems]}
        ) from None


@app.post("/api/runs/{run_id}/extra-time", dependencies=[can_trigger_runs], status_code=201)
def harvest_extra_time(run_id: str, session: SessionDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    """A second harvest of an event's extra time: from the end the run harvested to ``end_time``, per
    endpoint, as ad-hoc runs (``manual__<event_id>.N``) into a folder beside the first asset. Asking
    twice for the same extra time answers with the runs already started."""
    from live_to_vod.late_changes import extra_time_conf, follows_event
    from live_to_vod.validation import InvalidParams

    run = _run(session, run_id)
    if not isinstance(body, dict) or not body.get("end_time"):
        raise HTTPException(400, {"message": "nothing was started", "problems": ["end_time: is required"]})
    reason = body.get("reason") or "extra time"
    new_end = _parse_end(body["end_time"])
    harvested = [u for u in harvested_requests(session, run_id).values() if follows_event(str(u.get("output")))]
    if not harvested:
        raise HTTPException(
            409,
            f"{run_id} has made no harvest job yet: change its times instead "
            f"(PUT /live-to-vod/api/runs/{run_id}/times)",
        )
    last: dict[str, dict[str, Any]] = {}  # per endpoint, the output that ends last
    for unit in harvested:
        channel = unit.get("v2_endpoint") or unit["origin_endpoint_id"]
        if channel not in last or unit["end_time"] > last[channel]["end_time"]:
            last[channel] = unit
    confs = []
    for unit in last.values():
        try:
            conf = extra_time_conf(
                unit, new_end, playable_within_minutes=(run.conf or {}).get("playable_within_minutes")
            )
        except InvalidParams as exc:
            raise HTTPException(
                400, {"message": "nothing was started", "problems": [str(p) for p in exc.problems]}
            ) from None
        _checked_conf(conf)
        confs.append(conf)
    started = []
    for conf in confs:
        existing = _same_harvest(session, conf)
        if existing:
            started.append({"dag_run_id": existing, "existing": True})
            continue
        note = f"**{conf['event_id']}**: extra time of {run_id} ({reason}), {conf['start_time']} to {conf['end_time']}"
        started.append({"dag_run_id": trigger_named_run(session, conf["event_id"], conf, note), "existing": False})
    return {"runs": started}


def _same_harvest(session: Any, conf: dict[str, Any]) -> str | None:
    """An ad-hoc run already started with this conf's source, window and destination."""
    from airflow.models.dagrun import DagRun

    same = (
        "origin_endpoint_id",
        "channel_group",
        "channel",
        "origin_endpoint",
        "start_time",
        "end_time",
        "manifest_key",
    )
    runs = session.scalars(
        select(DagRun).where(DagRun.dag_id == DAG_ID, DagRun.run_id.startswith(f"manual__{conf['event_id']}"))
    ).all()
    return next((r.run_id for r in runs if all((r.conf or {}).get(k) == conf.get(k) for k in same)), None)
