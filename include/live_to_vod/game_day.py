"""Game-day timing: when an event's VOD is due, when its content leaves the origin, which outputs
are still unharvested.

Pure domain module (no Airflow imports): the DAG's deadline reference and the startover-window
watch (:mod:`live_to_vod.pipeline.deadlines`) call these with what they read from Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pendulum

from live_to_vod.field_rules import playable_within_problem
from live_to_vod.times import parse_utc_time

__all__ = [
    "FINISHED_STATES",
    "RUNNING_STATES",
    "PlayableDeadline",
    "event_id_of_run",
    "last_chance_at",
    "playable_deadline",
    "unfinished",
]

#: Task instance states after which nothing more happens without an operator.
FINISHED_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
#: States of a task instance that has started (or is about to) and not finished.
RUNNING_STATES = frozenset(
    {"scheduled", "queued", "running", "deferred", "up_for_retry", "up_for_reschedule", "restarting"}
)


@dataclass(frozen=True)
class PlayableDeadline:
    """By when an event's VOD is due playable: ``minutes`` after the end of its window."""

    event_end: pendulum.DateTime
    minutes: int

    @property
    def due(self) -> pendulum.DateTime:
        return self.event_end.add(minutes=self.minutes)


def event_id_of_run(run_id: str, conf: Mapping[str, Any] | None) -> str:
    """The event a run is for: its conf's ``event_id``, else the ``<type>__<event_id>`` run id's."""
    event_id = (conf or {}).get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id
    return run_id.split("__", 1)[1] if "__" in run_id else run_id


def playable_deadline(
    conf: Mapping[str, Any] | None,
    window_end: pendulum.DateTime | None,
    *,
    scheduled_minutes: int | None,
    default_minutes: int,
) -> PlayableDeadline | None:
    """The deadline of a run: an ad-hoc run's from its conf (``end_time``, ``playable_within_minutes``),
    a scheduled one's from its window end (the data interval's) and its schedule entry's minutes;
    the deployment's default minutes otherwise. None when the conf's end is unreadable: such a run
    fails validate and there is nothing to be late for."""
    conf = conf or {}
    minutes = conf.get("playable_within_minutes")
    if minutes is None or playable_within_problem(minutes):
        minutes = scheduled_minutes if scheduled_minutes is not None else default_minutes
    if conf.get("end_time"):
        end = parse_utc_time(conf["end_time"])
        if isinstance(end, str):
            return None
    elif window_end is not None:
        end = pendulum.instance(window_end).in_timezone("UTC")
    else:
        return None
    return PlayableDeadline(event_end=end, minutes=int(minutes))


def unfinished(task_states: Mapping[str, Any]) -> list[str]:
    """Task instances (``task_id`` or ``task_id_<map index>``) under way: started or about to, not
    finished (those not yet reached are not listed), sorted."""
    return sorted(key for key, state in task_states.items() if str(state) in RUNNING_STATES)


def last_chance_at(content_expires_at: str | None, minutes: int) -> pendulum.DateTime | None:
    """When to alert that content is about to leave the startover window: ``minutes`` before it does."""
    if not content_expires_at:
        return None
    return pendulum.parse(content_expires_at).in_timezone("UTC").subtract(minutes=minutes)


#: Marks a run note (or the part of one) the pipeline wrote, so it is replaced, never repeated.
NOTE_MARK = "Outcome (live-to-VOD):"


def outcome_note(
    event_id: str,
    state: str,
    plan: list[Mapping[str, Any]] | None,
    summaries: Mapping[int, Mapping[str, Any]],
    reasons: Mapping[tuple[str, int], str],
) -> str:
    """The run's note when it ends: the event and, per output, its window, renditions and playback
    URL, or why it failed (Markdown, as the UI renders notes)."""
    ok = state == "success"
    lines = [NOTE_MARK, f"**{event_id}**: {'harvested' if ok else 'FAILED'}"]
    for index, unit in enumerate(plan or []):
        summary = summaries.get(index)
        name = unit.get("output", index)
        if summary:
            window = f"{summary.get('window_start')} to {summary.get('window_end')}"
            renditions = len(summary.get("renditions") or [])
            urls = summary.get("vod_playback_urls") or []
            where = (
                f"plays at {urls[0]}"
                if urls
                else f"in {summary.get('asset_uri')} ({summary.get('not_handed_off') or 'no VOD hand-off'})"
            )
            lines.append(f"- {name}: {window}, {renditions} renditions, {where}")
        else:
            reason = next((text for (task, i), text in reasons.items() if i == index), None)
            lines.append(f"- {name}: failed: {reason or 'see the run'}")
    if not plan:
        reason = reasons.get(("validate", -1)) or next(iter(reasons.values()), None)
        lines.append(f"- {reason or 'no output was planned: see validate'}")
    return "\n".join(lines)


def with_outcome(existing: str | None, outcome: str) -> str:
    """``existing`` (a person's note is kept) with the pipeline's outcome in place of an earlier one."""
    kept = (existing or "").split(NOTE_MARK, 1)[0].rstrip()
    return f"{kept}\n\n{outcome}" if kept else outcome
