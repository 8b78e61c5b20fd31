"""The Celery topology against an end-to-end module's media stack (tests/e2e/conftest.py ``media_stack``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from localrun.topology import CeleryTopology

DAG_ID = "live_event_harvest"


@contextmanager
def celery_topology(media_stack: Any, workers: int = 2, **extra: str) -> Iterator[CeleryTopology]:
    """A topology against the stack, up and with the DAG parsed; stopped when the block ends."""
    topology = CeleryTopology(
        media_stack.base / "topology",
        stack_url=media_stack.settings.public_url,
        seed=media_stack.demo,
        workers=workers,
        LIVE_TO_VOD_END_MARGIN_SECONDS="2",
        **extra,
    )
    try:
        topology.start()
        topology.wait_for_dag(DAG_ID)
        yield topology
    finally:
        topology.stop()
