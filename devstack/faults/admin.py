"""``/_devstack/faults``: the HTTP API that lists, adds and removes a running stack's rules."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack.faults.rules import FaultError, FaultRegistry


def handle(registry: FaultRegistry, request: Request) -> Response:
    """``/_devstack/faults`` (GET list, POST add, DELETE clear) and ``/_devstack/faults/{id}``."""
    rest = request.path[len("/_devstack/faults") :].strip("/")
    if not rest:
        if request.method == "GET":
            return _json({"faults": registry.list()})
        if request.method == "DELETE":
            return _json({"removed": registry.clear()})
        if request.method == "POST":
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError as exc:
                return _json({"message": f"body: not valid JSON: {exc}", "field": "body"}, 400)
            try:
                if isinstance(body, list):
                    return _json({"faults": [registry.add(rule) for rule in body]}, 201)
                return _json(registry.add(body), 201)
            except FaultError as exc:
                return _json({"message": str(exc), "field": exc.field}, 400)
        return _json({"message": f"method {request.method} not allowed"}, 405)
    if request.method == "GET":
        found = registry.get(rest)
        return _json(found) if found else _json({"message": f"fault {rest} does not exist"}, 404)
    if request.method == "DELETE":
        if registry.remove(rest):
            return Response(status=204)
        return _json({"message": f"fault {rest} does not exist"}, 404)
    return _json({"message": f"method {request.method} not allowed"}, 405)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
