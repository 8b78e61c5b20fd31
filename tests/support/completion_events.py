"""What the harvest wait's log says when a completion event ends it (the e2e tests read it)."""

from __future__ import annotations

import time
from typing import Any

PUSHED = "completion event (SUCCEEDED) received"  # the event woke the wait
ENDED_IN_TRIGGERER = "the task ends here, without a worker"  # no worker resumed the task


def wait_log(deployment: Any, run_id: str, missing_ok: bool = False) -> str:
    """The run's harvest wait log (its triggerer's lines included)."""
    return deployment.task_log(run_id, "harvest.wait_for_harvest", map_index=0, missing_ok=missing_ok)


def checks_of(deployment: Any, run_id: str, job_id: str) -> int:
    """How many times the run's harvest wait has asked AWS about the job (0 before the task exists)."""
    return wait_log(deployment, run_id, missing_ok=True).count(f"harvest job {job_id} is")


def wait_until_checked(deployment: Any, run_id: str, job_id: str, times: int = 1, timeout: float = 180) -> None:
    """Until the run's harvest wait has asked AWS about the job ``times`` times (it is deferred and
    running in a triggerer): a job released after that can only end the wait by its event or a poll."""
    deadline = time.monotonic() + timeout
    while checks_of(deployment, run_id, job_id) < times:
        assert time.monotonic() < deadline, f"the wait of {run_id} never asked AWS about {job_id} {times} times"
        time.sleep(1)
