"""The calling operator's name for the boto3 user agent, found without ``inspect.stack()``.

Every client the amazon provider's hooks create carries ``Caller/<operator class>`` in its user
agent. The provider finds that class with ``inspect.stack()``, which reads the source lines of
every frame on the stack: in a task process, about 60 ms of CPU per client, a third of what
creating the client costs (measured with py-spy on the Celery topology). This walks the frames
themselves and gives the same answer.
"""

from __future__ import annotations

import sys


def caller_class_name(target_function_name: str = "execute") -> str | None:
    """The class of ``self`` in the innermost frame running ``target_function_name``; None if none is."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == target_function_name and "self" in frame.f_locals:
            return type(frame.f_locals["self"]).__name__
        frame = frame.f_back
    return None


class CallerFromFramesMixin:
    """For an ``AwsGenericHook`` subclass: the provider's user-agent ``Caller`` from frames alone."""

    def _get_caller(self, target_function_name: str = "execute") -> str:
        caller = caller_class_name(target_function_name)
        if caller == "BaseSensorOperator":  # as the provider does: the sensor that called poke
            caller = caller_class_name("poke")
        return caller or "Unknown"
