"""Loopback ports for the stack, the local Airflow and the tests that start them."""

from __future__ import annotations

import socket


def free_port(span: int = 1) -> int:
    """A loopback port ``p`` with ``p .. p+span-1`` all free at the time of asking.

    ``span`` > 1 is for servers that take neighbouring ports too (Airflow's log servers take
    the API port + 1 and + 2). Free when asked is all a port number can promise: bind soon.
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        try:
            for extra in range(1, span):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port + extra))
            return port
        except OSError:
            continue
