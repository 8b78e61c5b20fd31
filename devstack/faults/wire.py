"""API faults on the wire: a signed call the rules pick is delayed, dropped, or answered with the
throttling or 5xx error of its service's protocol (:mod:`devstack.protocols`), before it is served."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from devstack.faults.rules import FaultRegistry, FaultRule
from devstack.protocols import error_response, internal_error, operation_name, throttling_error


def intercept(registry: FaultRegistry, service: str, environ: dict[str, Any]) -> Callable | None:
    """A WSGI app answering this signed call with a fault, or None to serve it (maybe late)."""
    if not registry.wants(service):
        return None
    delay, rule = registry.api_faults(service, operation_name(service, environ))
    if delay:
        time.sleep(delay)
    if rule is None:
        return None
    if rule.kind == "drop":
        return _drop
    return fault_response(rule, service)


def _drop(environ: dict[str, Any], start_response: Any) -> Any:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # werkzeug treats a ConnectionError as a dropped connection: no response, no 500.
    raise ConnectionAbortedError("devstack fault: connection dropped")


def fault_response(rule: FaultRule, service: str) -> Response:
    """The ``throttle`` or ``error`` answer of ``rule`` in the shape of ``service``'s protocol."""
    error = throttling_error(service) if rule.kind == "throttle" else internal_error(service)
    return error_response(
        service, error.code, rule.message or error.message, error.status, request_id=f"devstack-fault-{rule.id}"
    )
