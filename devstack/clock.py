"""The stack's clock: real time, plus an offset tests can move to age records (90-day retention)."""

from __future__ import annotations

import threading

import pendulum


class RetentionClock:
    """Ages records. Only record retention reads it; media and harvest windows use real time,
    because the encoder's content is stamped with real time."""

    def __init__(self) -> None:
        self._offset = pendulum.duration()
        self._lock = threading.Lock()

    def now(self) -> pendulum.DateTime:
        with self._lock:
            return pendulum.now("UTC") + self._offset

    def advance(self, seconds: float) -> pendulum.DateTime:
        with self._lock:
            self._offset += pendulum.duration(seconds=seconds)
        return self.now()
