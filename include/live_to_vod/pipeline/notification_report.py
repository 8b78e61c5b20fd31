"""The report of a ``harvest_notifications`` run: every job it saw, and whether any needs attention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.notifications import OUTCOMES_KEY, outcome_reason


class ReportHarvestNotificationsOperator(BaseOperator):
    """Report every job the run saw; fail the run if any job failed, was rejected or its hand-off failed.

    Runs after the mapped hand-offs whatever their state (``trigger_rule=all_done``).

    :param read_task_id: the ReadHarvestNotificationsOperator's task id.
    :param publish_task_id: the mapped publish task of the hand-off group.
    """

    template_fields: Sequence[str] = ()

    def __init__(self, *, read_task_id: str, publish_task_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        super().__init__(**kwargs)
        self.read_task_id = read_task_id
        self.publish_task_id = publish_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        outcomes = ti.xcom_pull(task_ids=self.read_task_id, key=OUTCOMES_KEY)
        if outcomes is None:
            raise AirflowFailException(f"{self.read_task_id} did not finish: no notification was processed")
        handoffs = ti.xcom_pull(task_ids=self.read_task_id) or []
        summaries: list[Any] = []
        if handoffs:
            pulled = ti.xcom_pull(task_ids=self.publish_task_id, map_indexes=list(range(len(handoffs))), default=None)
            summaries = pulled if isinstance(pulled, list) else [pulled]
        done = {s["harvest_job_id"]: s for s in summaries if isinstance(s, dict)}
        lines, bad = [], []
        for outcome in outcomes:
            if outcome["action"] == "hand off":
                summary = done.get(outcome["job_id"])
                if summary:
                    line = f"handed off  {outcome['job_id']}: {summary['segment_count']} segments"
                    if summary.get("vod_asset_id"):
                        line += f", VOD asset {summary['vod_asset_id']}"
                else:
                    line = f"FAILED      {outcome['job_id']}: the hand-off failed (see the harvest group's tasks)"
                    bad.append(line)
            else:
                line = f"{outcome['action']:<11} {outcome['job_id'] or '-'}{outcome_reason(outcome)}"
                if outcome["action"] in ("failed", "rejected"):
                    bad.append(line)
            lines.append(line)
        self.log.info("Harvest notifications:\n%s", "\n".join(lines) or "(none)")
        if bad:
            raise AirflowFailException("Harvest jobs need attention:\n" + "\n".join(bad))
        return {"outcomes": outcomes, "handed_off": sorted(done)}
