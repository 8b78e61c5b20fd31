"""The event's deadline, as an Airflow Deadline Alert: "the VOD is playable within N minutes of the
event's end".

:class:`LiveEventPlayableDeadline` is a custom deadline reference (registered by the project's
plugin, as Airflow requires for the scheduler to load it). The scheduler evaluates it once, when it
creates the run: an ad-hoc run's deadline comes from its conf (``end_time``,
``playable_within_minutes``), a scheduled run's from its window end and its schedule entry. When
the run has not finished by then, the scheduler queues :func:`notify_deadline_missed` to the
triggerer, once; a run that finishes first never alerts (Airflow drops its deadline).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import pendulum
from airflow.sdk.definitions.deadline import BaseDeadlineReference

from live_to_vod.alerts import deadline_missed
from live_to_vod.config import DeploymentConfig
from live_to_vod.game_day import PlayableDeadline, event_id_of_run, playable_deadline, unfinished
from live_to_vod.pipeline.metrics import count

log = logging.getLogger(__name__)

__all__ = ["LiveEventPlayableDeadline", "notify_deadline_missed"]


@dataclass
class LiveEventPlayableDeadline(BaseDeadlineReference):
    """The moment the run's event is due playable (use with ``interval=timedelta(0)``).

    :param default_minutes: minutes after the end, when neither the conf nor the schedule says.
    """

    default_minutes: int = 30
    required_kwargs: ClassVar[set[str]] = {"dag_id", "run_id"}

    def serialize_reference(self) -> dict[str, Any]:
        return {**super().serialize_reference(), "default_minutes": self.default_minutes}

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> LiveEventPlayableDeadline:
        return cls(default_minutes=int(reference_data.get("default_minutes", 30)))

    def _evaluate_with(self, *, session: Any, dag_id: str, run_id: str, **kwargs: Any) -> datetime | None:
        from airflow.models.dagrun import DagRun
        from sqlalchemy import select

        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if run is None:
            return None
        conf = run.conf or {}
        scheduled_minutes, window_end = None, run.data_interval_end
        if not conf.get("end_time"):
            event = _scheduled_event(event_id_of_run(run_id, conf))
            if event is not None:
                scheduled_minutes = event.playable_within_minutes
                window_end = event.end  # revised on game day, where it is
        deadline = playable_deadline(
            conf, window_end, scheduled_minutes=scheduled_minutes, default_minutes=self.default_minutes
        )
        return deadline.due if deadline is not None else None


def _scheduled_event(event_id: str) -> Any:
    """The event's schedule entry as it is now (the schedule is cached by file stamps), or None."""
    from live_to_vod.schedule import load_schedule

    try:
        return load_schedule(DeploymentConfig.from_env().schedule_dir).get(event_id)
    except Exception:  # a broken schedule must not stop the scheduler from creating the run
        log.exception("The schedule could not be read for %s's deadline; the default applies", event_id)
        return None


async def notify_deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """Deadline callback (runs in the triggerer): one alert naming the deadline and what is still running.

    Returns a one-line outcome: Airflow stores it as the callback's output, a text column.
    """
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    from asgiref.sync import sync_to_async

    from live_to_vod.pipeline.alerting import run_link, send_alert_async

    context = context or {}
    dag_run = context.get("dag_run") or {}
    dag_id, run_id = dag_run.get("dag_id"), dag_run.get("dag_run_id") or dag_run.get("run_id")
    conf = dag_run.get("conf") or {}
    config = DeploymentConfig.from_env()
    window_end = dag_run.get("data_interval_end")
    deadline = playable_deadline(
        conf,
        _instant(window_end),
        scheduled_minutes=None,
        default_minutes=config.playable_within_minutes,
    )
    due = (context.get("deadline") or {}).get("deadline_time")
    # The event's end may have moved since the run was made (overtime): the deadline moves with it.
    moved_end = await sync_to_async(_latest_end)(dag_id, run_id, conf, config)
    if deadline is not None and _instant(due) is not None and moved_end is not None and moved_end > deadline.event_end:
        later = moved_end.add(seconds=int((_instant(due) - deadline.event_end).total_seconds()))
        log.info("%s's end moved to %s: its deadline is now %s", run_id, moved_end, later)
        await asyncio.sleep(max(0.0, (later - pendulum.now("UTC")).total_seconds()))
        state = await sync_to_async(RuntimeTaskInstance.get_dagrun_state)(dag_id=dag_id, run_id=run_id)
        if str(state) == "success":
            return f"met: the event's end moved to {moved_end.to_iso8601_string()} and the run finished by {later}"
        deadline, due = PlayableDeadline(moved_end, deadline.minutes), later
    states = await sync_to_async(RuntimeTaskInstance.get_task_states)(dag_id=dag_id, run_ids=[run_id])
    still_running = unfinished(states.get(run_id, {}))
    alert = deadline_missed(
        event_id=event_id_of_run(run_id, conf),
        deadline=str(_instant(due).to_iso8601_string() if _instant(due) else due),
        event_end=deadline.event_end.to_iso8601_string() if deadline else None,
        minutes=round((_instant(due) - deadline.event_end).total_minutes()) if deadline and _instant(due) else None,
        still_running=[_readable(key) for key in still_running],
        links=[("Run (Airflow)", run_link(dag_id, run_id))],
    )
    count("deadline_missed")
    outcome = await send_alert_async(alert, context, config)
    sent = ", ".join(f"{channel}: {error or 'sent'}" for channel, error in outcome.items()) or "no alert channels"
    return f"still running: {', '.join(still_running) or 'nothing'}; {sent}"


def _latest_end(dag_id: str, run_id: str, conf: dict[str, Any], config: DeploymentConfig) -> Any:
    """The event's end as it is now: an ad-hoc run's changed end (its Variable), a scheduled run's
    revised end (its schedule entry); None when unknown or unchanged."""
    from live_to_vod.late_changes import variable_key

    try:
        if conf.get("end_time"):
            from airflow.sdk import Variable

            change = Variable.get(variable_key(dag_id, run_id), default=None, deserialize_json=True)
            return _instant(change.get("end_time")) if change and change.get("end_time") else None
        from live_to_vod.schedule import load_schedule

        event = load_schedule(config.schedule_dir).get(event_id_of_run(run_id, conf))
        return event.end if event is not None and event.revised else None
    except Exception:  # the alert must still go out
        log.exception("Could not read %s's latest end; its deadline stays as it was", run_id)
        return None


def _instant(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return pendulum.instance(value).in_timezone("UTC")
    try:
        return pendulum.parse(str(value)).in_timezone("UTC")
    except Exception:
        return None


def _readable(key: str) -> str:
    """``harvest.wait_for_harvest_0`` (the task-states API's key) as ``harvest.wait_for_harvest[0]``."""
    head, _, index = key.rpartition("_")
    return f"{head}[{index}]" if head and index.isdigit() else key
