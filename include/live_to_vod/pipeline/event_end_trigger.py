"""The wait for a live event's content to be at the origin, started in the triggerer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pendulum
from airflow.triggers.base import BaseTrigger, TaskSuccessEvent, TriggerEvent

#: The longest single sleep: a wait of hours still wakes to notice a cancelled trigger.
MAX_SLEEP_SECONDS = 60.0


class LiveEventEndTrigger(BaseTrigger):
    """Wait until ``ready_at``, the moment the event's last segments are at the origin.

    ``WaitForLiveEventEndOperator`` starts in the triggerer with this trigger (``ready_at`` rendered
    there from validate's plan). When that moment has already passed (a scheduled run, a backfill,
    a run triggered after the game) the task ends here, with no worker execution: validate planned
    it moments ago, so there is nothing to plan again. Otherwise it fires at that moment with the
    moment itself, as ``DateTimeTrigger`` does, and the task resumes on a worker, which plans the
    event again from its latest times (overtime given meanwhile moves the wait).

    :param ready_at: ISO 8601 moment (templated); anything else fires at once with an ``error``
        event, which the task refuses.
    """

    def __init__(self, *, ready_at: str) -> None:
        super().__init__()
        self.ready_at = ready_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", {"ready_at": self.ready_at}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            moment = pendulum.parse(self.ready_at)
        except (TypeError, ValueError, pendulum.parsing.exceptions.ParserError):
            yield TriggerEvent({"status": "error", "message": f"ready_at {self.ready_at!r} is not a moment"})
            return
        if not isinstance(moment, pendulum.DateTime):  # a date, a duration
            yield TriggerEvent({"status": "error", "message": f"ready_at {self.ready_at!r} is not a moment"})
            return
        if moment <= pendulum.now("UTC"):
            self.log.info("The event's content has been at the origin since %s: the task ends here", moment)
            yield TaskSuccessEvent()
            return
        self.log.info("Waiting until %s for the event's last segments, without holding a worker slot", moment)
        while (remaining := (moment - pendulum.now("UTC")).total_seconds()) > 0:
            await asyncio.sleep(min(remaining, MAX_SLEEP_SECONDS))
        yield TriggerEvent(moment)
