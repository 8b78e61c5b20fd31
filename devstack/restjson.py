"""The rest-json wire protocol, driven by botocore's own service models.

Routing (method + ``requestUri``), parsing (path, query string and body members by their
``locationName``) and serialization (output members back to wire names) all come from the model,
so the emulated services speak exactly what boto3 sends and expects. Modeled errors are raised
as :class:`ServiceError`; :mod:`devstack.protocols` writes them, with their modeled HTTP status,
so botocore raises its modeled exceptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pendulum
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from werkzeug.wrappers import Response


class ServiceError(Exception):
    """A modeled error: ``code`` is the error shape's name (e.g. ``NotFoundException``); ``fields`` its
    other modeled members (e.g. MediaPackage v2's ``ValidationExceptionType``), sent in the body."""

    def __init__(self, code: str, message: str, **fields: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields


def unprocessable(message: str) -> ServiceError:
    return ServiceError("UnprocessableEntityException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message)


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    pattern: re.Pattern[str]
    method: str
    labels: tuple[str, ...]  # URI labels by group position (labels may hold '-', group names can't)


def _uri_pattern(request_uri: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    path = request_uri.split("?", 1)[0]
    regex = ""
    labels: list[str] = []
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            labels.append(name.rstrip("+"))
            regex += "(.+)" if name.endswith("+") else "([^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}/?$"), tuple(labels)


class RestRoutes:
    """The operations of a REST model (rest-json, rest-xml), found by HTTP method and raw path."""

    def __init__(self, model: ServiceModel):
        self.model = model
        self.routes: list[Route] = []
        for name in model.operation_names:
            op = model.operation_model(name)
            pattern, labels = _uri_pattern(op.http["requestUri"])
            self.routes.append(Route(op, pattern, op.http["method"], labels))
        # Literal paths before templated ones, longer before shorter.
        self.routes.sort(key=lambda r: (len(r.labels), -len(r.pattern.pattern)))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route of ``method path`` and its URI labels (decoded); ServiceError when none fits."""
        path_matched = False
        for route in self.routes:
            match = route.pattern.match(path)
            if match:
                path_matched = True
                if route.method == method:
                    return route, {k: unquote(v) for k, v in zip(route.labels, match.groups(), strict=True)}
        if path_matched:
            raise ServiceError("ForbiddenException", f"method {method} is not allowed on {path}")
        raise not_found(f"no {self.model.service_name} operation at {method} {path}")


class RestJsonService:
    """Dispatches rest-json requests of one botocore service to a handler object.

    The handler has one method per operation, named in snake case (``create_harvest_job``),
    taking the input as boto3-style keyword arguments and returning the output as a
    boto3-style dict. Raise :class:`ServiceError` for modeled errors.
    """

    def __init__(self, model: ServiceModel, handler: object, invalid_code: str = "UnprocessableEntityException"):
        self.model = model
        self.handler = handler
        self.routes = RestRoutes(model)
        self.invalid_code = invalid_code  # the service's error for a request that does not fit its model

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any = None) -> Response:
        """The operation's answer; raises :class:`ServiceError` for a modeled error."""
        route, path_params = self.routes.match(method, path)
        params = self._parse(route.operation, path_params, query, body, headers or {})
        func: Callable[..., dict[str, Any]] = getattr(self.handler, _snake(route.operation.name))
        result = func(**params) or {}
        return Response(
            json.dumps(self._serialize(route.operation.output_shape, result)),
            status=route.operation.http.get("responseCode", 200),
            content_type="application/json",
        )

    # -- parsing ---------------------------------------------------------------------------------

    def _invalid(self, message: str) -> ServiceError:
        return ServiceError(self.invalid_code, message)

    def _parse(
        self, op: OperationModel, path_params: dict[str, str], query: dict[str, list[str]], body: bytes, headers: Any
    ) -> dict[str, Any]:
        shape = op.input_shape
        if shape is None:
            return {}
        params: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        if body:
            try:
                payload = json.loads(body)
            except ValueError as exc:
                raise self._invalid(f"request body is not valid JSON: {exc}") from None
            if not isinstance(payload, dict):
                raise self._invalid("request body must be a JSON object")
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri":
                if wire in path_params:
                    params[name] = self._coerce(member, path_params[wire], name)
            elif location == "querystring":
                if wire in query:
                    values = query[wire]
                    raw = values if member.type_name == "list" else values[-1]
                    params[name] = self._coerce(member, raw, name)
            elif location == "header":
                if headers.get(wire) is not None:
                    params[name] = self._coerce(member, headers.get(wire), name)
            elif wire in payload:
                params[name] = self._from_wire(member, payload[wire], name)
        for required in shape.required_members:
            if required not in params:
                raise self._invalid(f"{required} is required")
        return params

    def _coerce(self, shape: Shape, raw: Any, field: str) -> Any:
        if shape.type_name in ("integer", "long"):
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise self._invalid(f"{field} must be an integer, got {raw!r}") from None
        if shape.type_name == "boolean":
            return str(raw).lower() == "true"
        return raw

    def _from_wire(self, shape: Shape, value: Any, field: str) -> Any:
        kind = shape.type_name
        if value is None:
            return None
        if kind == "structure":
            if not isinstance(value, dict):
                raise self._invalid(f"{field} must be an object")
            assert isinstance(shape, StructureShape)
            out = {}
            for name, member in shape.members.items():
                wire = member.serialization.get("name", name)
                if wire in value:
                    out[name] = self._from_wire(member, value[wire], f"{field}.{name}")
            for required in shape.required_members:
                if required not in out:
                    raise self._invalid(f"{field}.{required} is required")
            return out
        if kind == "list":
            if not isinstance(value, list):
                raise self._invalid(f"{field} must be a list")
            return [self._from_wire(shape.member, v, f"{field}[{i}]") for i, v in enumerate(value)]
        if kind == "map":
            if not isinstance(value, dict):
                raise self._invalid(f"{field} must be an object")
            return {k: self._from_wire(shape.value, v, f"{field}.{k}") for k, v in value.items()}
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._invalid(f"{field} must be an integer, got {value!r}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise self._invalid(f"{field} must be a boolean, got {value!r}")
            return value
        if kind == "timestamp":  # rest-json sends epoch seconds; ISO 8601 is accepted too
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise self._invalid(f"{field} must be a timestamp, got {value!r}")
            try:
                if isinstance(value, str):
                    return pendulum.parse(value).in_timezone("UTC")
                return pendulum.from_timestamp(value, tz="UTC")
            except Exception:
                raise self._invalid(f"{field} is not a valid timestamp: {value!r}") from None
        if kind == "string":
            if not isinstance(value, str):
                raise self._invalid(f"{field} must be a string, got {value!r}")
            enum = shape.enum
            if enum and value not in enum:
                raise self._invalid(f"{field} must be one of {', '.join(enum)}, got {value!r}")
            return value
        return value

    # -- serialization ---------------------------------------------------------------------------

    def _serialize(self, shape: Shape | None, value: Any) -> Any:
        if shape is None or value is None:
            return value
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            out = {}
            for name, member in shape.members.items():
                if name in value and value[name] is not None:
                    if member.serialization.get("location"):
                        continue
                    out[member.serialization.get("name", name)] = self._serialize(member, value[name])
            return out
        if kind == "list":
            return [self._serialize(shape.member, v) for v in value]
        if kind == "map":
            return {k: self._serialize(shape.value, v) for k, v in value.items()}
        if kind == "timestamp" and isinstance(value, datetime):
            return value.timestamp()
        return value


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
