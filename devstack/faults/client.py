"""The client of ``/_devstack/faults`` for tests and benches (urllib only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class FaultControl:
    """Client of ``/_devstack/faults`` for tests and benches (urllib only)."""

    def __init__(self, base_url: str, timeout: float = 10):
        self.url = base_url.rstrip("/") + "/_devstack/faults"
        self.timeout = timeout

    def _call(self, method: str, path: str = "", body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except ValueError:
                pass
            raise ValueError(f"{method} {self.url}{path}: HTTP {exc.code}: {detail}") from None
        return json.loads(raw) if raw else None

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        return self._call("POST", body={"kind": kind, **fields})

    def list(self) -> list[dict[str, Any]]:
        return self._call("GET")["faults"]

    def get(self, rule_id: str) -> dict[str, Any]:
        return self._call("GET", f"/{rule_id}")

    def remove(self, rule_id: str) -> None:
        self._call("DELETE", f"/{rule_id}")

    def clear(self) -> int:
        return self._call("DELETE")["removed"]
