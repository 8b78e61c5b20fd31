"""Wait for a live event's content to be at the origin before harvesting it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pendulum
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException


class WaitForLiveEventEndOperator(BaseOperator):
    """Wait until the event's content is at the origin: the end of its last output, plus the
    endpoint's time delay, plus a margin. Defers until then (no worker slot held), so ops can
    trigger a run mid-game.

    :param outputs: the planned outputs (``ValidateLiveEventOperator``'s XCom), each with ``ready_at``.
    """

    template_fields: Sequence[str] = ("outputs",)

    def __init__(self, *, outputs: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outputs = outputs

    def _ready_at(self) -> pendulum.DateTime:
        return max(pendulum.parse(unit["ready_at"]) for unit in self.outputs)

    def execute(self, context: Any) -> None:
        ready_at = self._ready_at()
        end = max(unit["end_time"] for unit in self.outputs)
        now = pendulum.now("UTC")
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

    def execute_complete(self, context: Any, event: Any = None) -> None:
        # DateTimeTrigger's event is the moment it waited for: anything else is not from it.
        if not isinstance(event, datetime) or event.utcoffset() is None:
            raise AirflowFailException(f"unexpected trigger event {event!r}: expected the moment waited for")
        ready_at = self._ready_at()
        if pendulum.instance(event) < ready_at:
            raise AirflowFailException(f"the trigger fired at {event}, before the content is ready ({ready_at})")
        self.log.info("The event's content is at the origin; harvesting")
