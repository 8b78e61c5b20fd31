"""What the harvest wait's log says when a completion event ends it (the e2e tests read it)."""

from __future__ import annotations

from typing import Any

PUSHED = "completion event (SUCCEEDED) received"  # the event woke the wait
ENDED_IN_TRIGGERER = "the task ends here, without a worker"  # no worker resumed the task


def wait_log(deployment: Any, run_id: str) -> str:
    """The run's harvest wait log (its triggerer's lines included)."""
    return deployment.task_log(run_id, "harvest.wait_for_harvest", map_index=0)
