"""Game-day changes to an event's times after its run exists: overtime (a later end), a delayed
start. A change applies until the output's harvest job is created; after that the harvested window
is fixed, and the extra time is a second harvest of its own.

Where the change lives: a scheduled event's in its schedule entry (``revised_start`` /
``revised_end``, see :mod:`live_to_vod.schedule`); an ad-hoc run's in an Airflow Variable named by
the run (:func:`variable_key`), written by the board's API after :func:`check_times_change`. The
pipeline re-plans the event with the latest times where it matters (``wait_for_event_end`` and
``create_harvest_job``) and :func:`retarget`\\ s each output to them.

Pure domain module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pendulum

from live_to_vod.config import DeploymentConfig
from live_to_vod.harvest_request import HarvestRequest, HarvestWindow
from live_to_vod.v2_endpoint_checks import v2_create_at
from live_to_vod.validation import FieldProblem, InvalidParams, validate_harvest_request

__all__ = [
    "TIME_FIELDS",
    "VARIABLE_PREFIX",
    "LateChangeError",
    "TimesChange",
    "check_times_change",
    "extra_time_conf",
    "follows_event",
    "latest_params",
    "retarget",
    "variable_key",
    "window_fixed_message",
]

#: Airflow Variables holding ad-hoc runs' changed times start with this.
VARIABLE_PREFIX = "live_to_vod_times__"
TIME_FIELDS = ("start_time", "end_time")
_BODY_FIELDS = (*TIME_FIELDS, "reason")
MAX_REASON = 200


class LateChangeError(ValueError):
    """A change the run cannot take (its outputs would be planned differently)."""


def variable_key(dag_id: str, run_id: str) -> str:
    """The Variable holding an ad-hoc run's changed times."""
    return f"{VARIABLE_PREFIX}{dag_id}__{run_id}"


@dataclass(frozen=True)
class TimesChange:
    """An operator's change of an ad-hoc run's times (ISO 8601 with offsets; None: unchanged)."""

    start_time: str | None
    end_time: str | None
    reason: str
    changed_by: str
    changed_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_time": self.start_time,
            "end_time": self.end_time,
            "reason": self.reason,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TimesChange:
        return cls(
            d.get("start_time"),
            d.get("end_time"),
            d.get("reason") or "",
            d.get("changed_by") or "",
            d.get("changed_at") or "",
        )

    def describe(self, before: HarvestWindow, after: HarvestWindow) -> str:
        """One line for the run's note."""
        moved = []
        if after.start != before.start:
            moved.append(f"start {before.start.to_iso8601_string()} -> {after.start.to_iso8601_string()}")
        if after.end != before.end:
            moved.append(f"end {before.end.to_iso8601_string()} -> {after.end.to_iso8601_string()}")
        why = f" ({self.reason})" if self.reason else ""
        who = self.changed_by or "an operator"
        return f"Times changed{why} by {who} at {self.changed_at}: {', '.join(moved) or 'no change'}"


def latest_params(conf: Mapping[str, Any], change: Mapping[str, Any] | None) -> dict[str, Any]:
    """An ad-hoc run's params with its latest change of times over them."""
    merged = dict(conf)
    for field in TIME_FIELDS:
        if change and change.get(field):
            merged[field] = change[field]
    return merged


def check_times_change(
    body: object,
    conf: Mapping[str, Any],
    earlier: Mapping[str, Any] | None,
    config: DeploymentConfig,
    now: pendulum.DateTime,
    *,
    changed_by: str,
) -> tuple[TimesChange, HarvestRequest, HarvestRequest]:
    """A change asked for (``start_time`` and/or ``end_time``, optional ``reason``), checked as the
    trigger form's times are. Returns the change (merged over an earlier one), and the run's request
    before and after it. Raises :class:`InvalidParams` naming each bad field: nothing is stored then."""
    problems: list[FieldProblem] = []
    if not isinstance(body, Mapping):
        raise InvalidParams(
            [FieldProblem("body", f"must be a JSON object with start_time and/or end_time, got {body!r}")]
        )
    problems += [
        FieldProblem(str(k), f"is not a field of a change of times (one of {', '.join(_BODY_FIELDS)})")
        for k in body
        if k not in _BODY_FIELDS
    ]
    if not any(body.get(f) for f in TIME_FIELDS):
        problems.append(
            FieldProblem("end_time", "give the new end_time (overtime) and/or start_time (a delayed start)")
        )
    reason = body.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        problems.append(FieldProblem("reason", f"must be text of at most {MAX_REASON} characters"))
    if problems:
        raise InvalidParams(problems)
    before = validate_harvest_request(latest_params(conf, earlier), config, now)
    change = {f: body.get(f) or (earlier or {}).get(f) for f in TIME_FIELDS}
    after = validate_harvest_request(latest_params(conf, change), config, now)
    return (
        TimesChange(change["start_time"], change["end_time"], reason, changed_by, now.to_iso8601_string()),
        before,
        after,
    )


def follows_event(output: str) -> bool:
    """Whether an output follows the event's times (the whole event, or a part of it); a clip keeps its own."""
    return output == "full" or output.startswith("part-")


def retarget(
    unit: Mapping[str, Any],
    latest: Sequence[Mapping[str, Any]],
    *,
    end_margin_seconds: int,
    now: pendulum.DateTime,
) -> dict[str, Any]:
    """``unit`` (a validated output) with the window the event's latest plan gives it, and the times
    that follow from it (``ready_at``, ``content_expires_at``); ``unit`` itself when unchanged.

    Raises :class:`LateChangeError` when the latest plan has no such output (a change that would
    split the event into other parts): the run cannot take it."""
    name = unit["output"]
    found = next((u for u in latest if u["output"] == name), None)
    if found is None:
        outputs = ", ".join(u["output"] for u in latest)
        raise LateChangeError(
            f"the changed times plan other outputs ({outputs}) than this run's ({name} among them); "
            "start a new harvest for the changed times"
        )
    if (found["start_time"], found["end_time"]) == (unit["start_time"], unit["end_time"]) or not follows_event(name):
        return dict(unit)
    window = HarvestWindow(pendulum.parse(found["start_time"]), pendulum.parse(found["end_time"]))
    changed = {**unit, "start_time": found["start_time"], "end_time": found["end_time"]}
    if unit.get("v2_endpoint"):
        changed["ready_at"] = v2_create_at(window, now).to_iso8601_string()
    else:
        changed["ready_at"] = window.ready_at(
            int(unit.get("time_delay_seconds") or 0), end_margin_seconds
        ).to_iso8601_string()
    startover = unit.get("startover_seconds")
    if startover:
        changed["content_expires_at"] = window.start.add(seconds=int(startover)).to_iso8601_string()
    changed["planned_window"] = [unit["start_time"], unit["end_time"]]
    return changed


def window_fixed_message(harvested: Sequence[Mapping[str, Any]], latest_end: pendulum.DateTime | None) -> str:
    """What an operator is told when a change comes after the harvest job exists."""
    windows = "; ".join(f"{u['output']}: {u['start_time']} to {u['end_time']}" for u in harvested)
    extra = ""
    if latest_end is not None:
        extra = f" The event now ends at {latest_end.to_iso8601_string()}:"
    return (
        f"The harvest job exists, so the harvested window is fixed ({windows}).{extra} "
        "harvest the extra time as a second harvest (the board's 'Harvest extra time', or POST "
        "/live-to-vod/api/runs/<run_id>/extra-time with its end_time)."
    )


def extra_time_conf(
    unit: Mapping[str, Any], new_end: pendulum.DateTime, *, playable_within_minutes: Any = None
) -> dict[str, Any]:
    """The conf of an ad-hoc harvest of [the harvested end, ``new_end``) from ``unit``'s endpoint into
    its own folder beside the first asset (``.../extra-<end>/<file>``), so nothing is overwritten."""
    start = pendulum.parse(unit["end_time"])
    if new_end <= start:
        raise InvalidParams(
            [
                FieldProblem(
                    "end_time",
                    f"{new_end.to_iso8601_string()} is not after the harvested end {start.to_iso8601_string()}",
                )
            ]
        )
    folder, _, name = str(unit["manifest_key"]).rpartition("/")
    marker = f"extra-{new_end.in_timezone('UTC').format('YYYYMMDDTHHmmss')}"
    conf: dict[str, Any] = {
        "event_id": unit["event_id"],
        "start_time": start.to_iso8601_string(),
        "end_time": new_end.to_iso8601_string(),
        "s3_bucket": unit["s3_bucket"],
        "manifest_key": f"{folder}/{marker}/{name}" if folder else f"{marker}/{name}",
        # Resolved values, explicit: the deployment's defaults may have changed since.
        "packaging_group_id": unit.get("packaging_group_id") or "",
        "verify_segments": unit.get("verify_segments") or "auto",
        "mediaconvert": list(unit.get("mediaconvert") or []),
    }
    if unit.get("v2_endpoint"):
        group, channel, endpoint = str(unit["v2_endpoint"]).split("/")
        conf.update(channel_group=group, channel=channel, origin_endpoint=endpoint)
        conf["manifests"] = list(unit.get("manifests") or [])
    else:
        conf.update(origin_endpoint_id=unit["origin_endpoint_id"], role_arn=unit["role_arn"])
    if conf["mediaconvert"]:
        for key in ("mediaconvert_template", "thumbnail_interval_seconds"):
            if unit.get(key) is not None:
                conf[key] = unit[key]
    if playable_within_minutes is not None:
        conf["playable_within_minutes"] = playable_within_minutes
    return conf
