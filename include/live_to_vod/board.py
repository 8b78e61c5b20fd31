"""The live-to-VOD board's rows: per event and output, its stage, its times and what to open.

Pure domain module (no Airflow imports). The board's web app (``plugins/live_to_vod_board``)
reads runs, task instances and XComs from Airflow's database and hands them here as plain data;
the scheduled events with no run yet come from the season schedule.

A row's stage is read from the output's task instances, latest step first:

========================  ===================================================================
stage                     when
========================  ===================================================================
``failed``                any of the output's tasks (or the event's ``validate``/wait) failed
``playable``              ``publish`` succeeded and the asset has a VOD playback URL
``harvested``             ``publish`` succeeded without a VOD hand-off (MP4s only, or none)
``handing off``           the VOD hand-off, MediaConvert or its check is under way
``verifying``             ``verify_asset`` is under way
``harvesting``            the harvest job is being created or waited for
``waiting for the end``   the run waits for the event's content to be at the origin
``scheduled``             no run yet (a schedule entry), or the run has not started
========================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pendulum

from live_to_vod.late_changes import follows_event

__all__ = ["STAGES", "BoardRow", "RunView", "TaskView", "filter_rows", "rows_for_run", "scheduled_row"]

#: Every stage, in the order an output goes through them (failed last).
STAGES = ("scheduled", "waiting for the end", "harvesting", "verifying", "handing off", "playable",
          "harvested", "failed")  # fmt: skip

_ACTIVE = frozenset({"scheduled", "queued", "running", "deferred", "up_for_retry", "up_for_reschedule", "restarting"})
_FAILED = frozenset({"failed"})
# Group tasks by the stage they stand for (the group prefix dropped).
_STEP_STAGE = (
    (("hand_off_to_vod", "transcode", "verify_transcode", "publish"), "handing off"),
    (("verify_asset",), "verifying"),
    (("create_harvest_job", "wait_for_harvest"), "harvesting"),
)


@dataclass(frozen=True)
class TaskView:
    """One task instance as the board needs it."""

    task_id: str
    map_index: int
    state: str | None
    end_date: pendulum.DateTime | None = None


@dataclass(frozen=True)
class RunView:
    """One run of ``live_event_harvest``, with what its tasks returned.

    :param plan: ``validate``'s XCom (the planned outputs), or None if it has not run.
    :param summaries: ``publish``'s XCom per map index.
    :param reasons: each failed task's reason (``failure_reason`` XCom), by (task id, map index).
    :param jobs: the harvest job id per map index (``create_harvest_job``'s XCom).
    :param requests: the request each harvest job was made for, per map index (its window is final).
    :param latest_end: the event's end as it is now (changed by an operator, or revised in the
        schedule), where it differs from the planned one; None when unchanged or unknown.
    :param manual: an ad-hoc run (its times change through the board; a scheduled run's, the schedule).
    """

    dag_id: str
    run_id: str
    state: str
    conf: Mapping[str, Any]
    window_end: pendulum.DateTime | None
    tasks: Sequence[TaskView]
    plan: Sequence[Mapping[str, Any]] | None = None
    summaries: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    reasons: Mapping[tuple[str, int], str] = field(default_factory=dict)
    jobs: Mapping[int, str] = field(default_factory=dict)
    requests: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    latest_end: pendulum.DateTime | None = None
    manual: bool = False


@dataclass(frozen=True)
class BoardRow:
    """One line of the board: an output of an event (or the event, before its outputs are planned)."""

    event_id: str
    output: str
    channel: str
    stage: str
    run_id: str | None = None
    end: str | None = None
    job_done: str | None = None
    playable: str | None = None
    latency_seconds: float | None = None
    reason: str | None = None
    harvest_job_id: str | None = None
    asset_uri: str | None = None
    playback_url: str | None = None
    mp4_uri: str | None = None
    #: The board's own link to the MP4 (a presigned redirect), for the player.
    mp4_url: str | None = None
    #: Said when the event's end moved after the job was made: the extra time is not in this asset.
    window_note: str | None = None
    #: What an operator can do from the row: ``{"label", "method", "url", "end_time"}`` (the API's
    #: path relative to the board, and the end to offer).
    actions: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(moment: pendulum.DateTime | None) -> str | None:
    return moment.in_timezone("UTC").to_iso8601_string() if moment is not None else None


def _short(task_id: str) -> str:
    return task_id.rsplit(".", 1)[-1]


def _event_id(run: RunView) -> str:
    event_id = run.conf.get("event_id") if run.conf else None
    if isinstance(event_id, str) and event_id:
        return event_id
    return run.run_id.split("__", 1)[1] if "__" in run.run_id else run.run_id


def rows_for_run(run: RunView) -> list[BoardRow]:
    """The run's rows: one per planned output; one for the event while nothing is planned."""
    event_tasks = {t.task_id: t for t in run.tasks if t.map_index < 0}
    event_id = _event_id(run)
    if not run.plan:
        validate = event_tasks.get("validate")
        failed = validate is not None and validate.state in _FAILED
        channel = str(run.conf.get("origin_endpoint_id") or run.conf.get("origin_endpoint") or "")
        return [
            BoardRow(
                event_id=event_id,
                output="(event)",
                channel=channel,
                stage="failed" if failed else "scheduled",
                run_id=run.run_id,
                end=_iso(run.window_end),
                reason=run.reasons.get(("validate", -1)) if failed else None,
            )
        ]
    wait_end = event_tasks.get("wait_for_event_end")
    ends = [u["end_time"] for u in run.plan if _follows_event(u) and u.get("end_time")]
    last_end = max(ends) if ends else None
    rows = []
    for index, unit in enumerate(run.plan):
        mine = {_short(t.task_id): t for t in run.tasks if t.map_index == index}
        row = _output_row(run, event_id, index, run.requests.get(index) or unit, mine, wait_end)
        if _follows_event(unit) and unit.get("end_time") == last_end:
            row = _with_late_change(run, index, row)
        rows.append(row)
    return rows


def _follows_event(unit: Mapping[str, Any]) -> bool:
    return follows_event(str(unit.get("output") or ""))


def _with_late_change(run: RunView, index: int, row: BoardRow) -> BoardRow:
    """The row of the output that ends the event, with what a late change means for it."""
    latest = run.latest_end.in_timezone("UTC") if run.latest_end is not None else None
    end = pendulum.parse(row.end) if row.end else None
    made = index in run.requests
    if not made:
        if latest is not None:
            row = replace(row, end=_iso(latest))  # what the job will be made for
        if run.manual and run.state not in ("success", "failed"):
            action = {"label": "Change times", "method": "PUT", "url": f"api/runs/{run.run_id}/times"}
            row = replace(row, actions=({**action, "end_time": row.end},))
        return row
    action = {"label": "Harvest extra time", "method": "POST", "url": f"api/runs/{run.run_id}/extra-time"}
    if latest is not None and end is not None and latest > end:
        note = (
            f"Harvested to {_iso(end)}, fixed when its job was made; the event now ends at {_iso(latest)}: "
            "harvest the extra time"
        )
        return replace(row, window_note=note, actions=({**action, "end_time": _iso(latest)},))
    if run.manual and row.stage != "failed":  # an ad-hoc run's operator may ask for more at any time
        return replace(row, actions=({**action, "end_time": row.end},))
    return row  # a scheduled event: revise the schedule, and the row offers the rest


def _output_row(
    run: RunView,
    event_id: str,
    index: int,
    unit: Mapping[str, Any],
    mine: Mapping[str, TaskView],
    wait_end: TaskView | None,
) -> BoardRow:
    end = pendulum.parse(unit["end_time"]).in_timezone("UTC") if unit.get("end_time") else run.window_end
    summary = run.summaries.get(index)
    failed = next((t for t in mine.values() if t.state in _FAILED), None)
    if failed is None and wait_end is not None and wait_end.state in _FAILED:
        failed = wait_end
    stage = _stage(mine, wait_end, summary, failed)
    wait = mine.get("wait_for_harvest")
    job_done = wait.end_date if wait is not None and wait.state == "success" else None
    playable_at = None
    if stage in ("playable", "harvested"):
        hand_off = mine.get("hand_off_to_vod")
        last = hand_off if stage == "playable" and hand_off is not None else mine.get("publish")
        playable_at = last.end_date if last is not None else None
    reason = None
    if failed is not None:
        map_index = failed.map_index
        reason = run.reasons.get((failed.task_id, map_index)) or f"{_short(failed.task_id)} failed (see its log)"
    urls = list((summary or {}).get("vod_playback_urls") or [])
    mp4s = list((summary or {}).get("mp4") or [])
    mp4_uri = mp4s[0].get("uri") if mp4s and isinstance(mp4s[0], Mapping) else None
    return BoardRow(
        event_id=event_id,
        output=str(unit.get("output") or index),
        channel=str(unit.get("v2_endpoint") or unit.get("origin_endpoint_id") or ""),
        stage=stage,
        run_id=run.run_id,
        end=_iso(end),
        job_done=_iso(job_done),
        playable=_iso(playable_at),
        latency_seconds=(playable_at - end).total_seconds() if playable_at is not None and end is not None else None,
        reason=reason,
        harvest_job_id=run.jobs.get(index),
        asset_uri=(summary or {}).get("asset_uri") or _asset_uri(unit),
        playback_url=next((u for u in urls if u.endswith(".m3u8")), urls[0] if urls else None),
        mp4_uri=mp4_uri,
        mp4_url=f"api/media?{urlencode({'run_id': run.run_id, 'map_index': index})}" if mp4_uri else None,
    )


def _asset_uri(unit: Mapping[str, Any]) -> str | None:
    if unit.get("s3_bucket") and unit.get("manifest_key"):
        return f"s3://{unit['s3_bucket']}/{unit['manifest_key']}"
    return None


def _stage(
    mine: Mapping[str, TaskView],
    wait_end: TaskView | None,
    summary: Mapping[str, Any] | None,
    failed: TaskView | None,
) -> str:
    if failed is not None:
        return "failed"
    publish = mine.get("publish")
    if publish is not None and publish.state == "success":
        return "playable" if summary and summary.get("vod_playback_urls") else "harvested"
    for steps, stage in _STEP_STAGE:
        if any(mine.get(step) is not None and mine[step].state in _ACTIVE | {"success"} for step in steps):
            return stage
    if wait_end is not None and wait_end.state in _ACTIVE | {"success"}:
        return "waiting for the end"
    return "scheduled"


def scheduled_row(event_id: str, channel: str, end: pendulum.DateTime) -> BoardRow:
    """A schedule entry whose run does not exist yet."""
    return BoardRow(event_id=event_id, output="(event)", channel=channel, stage="scheduled", end=_iso(end))


def filter_rows(
    rows: Iterable[BoardRow],
    *,
    day: pendulum.Date | None = None,
    tz: str = "UTC",
    channel: str | None = None,
    stage: str | None = None,
) -> list[BoardRow]:
    """The rows of one day (by the end, in ``tz``), one channel and one stage, as asked; ordered by end."""
    kept = []
    for row in rows:
        if day is not None and row.end is not None:
            if pendulum.parse(row.end).in_timezone(tz).date() != day:
                continue
        if channel and row.channel != channel:
            continue
        if stage and row.stage != stage:
            continue
        kept.append(row)
    return sorted(kept, key=lambda r: (r.end or "", r.event_id, r.output))
