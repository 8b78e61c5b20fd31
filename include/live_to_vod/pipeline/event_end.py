"""Wait for a live event's content to be at the origin before harvesting it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pendulum
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.aws.operators.harvest import latest_outputs
from live_to_vod.config import DeploymentConfig


class WaitForLiveEventEndOperator(BaseOperator):
    """Wait until the event's content is at the origin: the end of its last output, plus the
    endpoint's time delay, plus a margin. Defers until then (no worker slot held), so ops can
    trigger a run mid-game.

    The end is the event's latest: at the start and at every wake-up the event is planned again
    from the run's params (and the change an operator made since) or its schedule entry as it is
    now, so overtime or a delayed start given while the run waits moves the wait (it defers again
    until the new moment).

    :param outputs: the planned outputs (``ValidateLiveEventOperator``'s XCom), each with ``ready_at``.
    :param deployment: the deployment configuration; read from the environment when not given.
    """

    template_fields: Sequence[str] = ("outputs",)

    def __init__(self, *, outputs: Any, deployment: DeploymentConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outputs = outputs
        self.deployment = deployment

    def execute(self, context: Any) -> None:
        self._wait_or_finish(context)

    def execute_complete(self, context: Any, event: Any = None) -> None:
        # DateTimeTrigger's event is the moment it waited for: anything else is not from it.
        if not isinstance(event, datetime) or event.utcoffset() is None:
            raise AirflowFailException(f"unexpected trigger event {event!r}: expected the moment waited for")
        self._wait_or_finish(context)

    def _wait_or_finish(self, context: Any) -> None:
        now = pendulum.now("UTC")
        outputs = latest_outputs(context, list(self.outputs), self.deployment or DeploymentConfig.from_env(), now)
        for before, after in zip(self.outputs, outputs, strict=True):
            if (before["start_time"], before["end_time"]) != (after["start_time"], after["end_time"]):
                self.log.info(
                    "The event's times changed: output %s is now %s to %s (planned %s to %s)",
                    after["output"], after["start_time"], after["end_time"], before["start_time"], before["end_time"],
                )  # fmt: skip
        ready_at = max(pendulum.parse(unit["ready_at"]) for unit in outputs)
        end = max(unit["end_time"] for unit in outputs)
        if ready_at <= now:
            self.log.info("The event ended at %s; its content is at the origin now", end)
            return
        self.log.info(
            "The event ends at %s; waiting until %s (%s from now) for its last segments, without holding a worker slot",
            end,
            ready_at.to_iso8601_string(),
            (ready_at - now).in_words(),
        )
        self.defer(trigger=DateTimeTrigger(moment=ready_at), method_name="execute_complete")
