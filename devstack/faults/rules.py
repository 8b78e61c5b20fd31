"""Fault rules: what a rule is, how it is checked, and the registry of a running stack."""

from __future__ import annotations

import fnmatch
import json
import os
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

API_KINDS = frozenset({"throttle", "error", "latency", "drop"})
HARVEST_KINDS = frozenset({"harvest_fail", "harvest_stuck", "harvest_damage", "event_lost"})
VOD_KINDS = frozenset({"vod_fail"})
TRANSCODE_KINDS = frozenset({"transcode_fail", "transcode_stuck"})
KINDS = API_KINDS | HARVEST_KINDS | VOD_KINDS | TRANSCODE_KINDS
DAMAGES = (
    "missing_segment",
    "truncated_child",
    "missing_endlist",
    "gap",
    "zero_byte_segment",
    "missing_rendition",
    "truncated_segment",
    "foreign_segment",
    "garbage_segment",
)
ENV_VAR = "DEVSTACK_FAULTS"
FIELDS = {
    "kind",
    "service",
    "operation",
    "rate",
    "count",
    "after",
    "seed",
    "seconds",
    "message",
    "job",
    "asset",
    "damage",
    "code",
}
OUTPUT_ORDER = ("id", *sorted(FIELDS), "matched", "fired")


class FaultError(ValueError):
    """A malformed rule; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class FaultRule:
    id: str
    kind: str
    service: str | None = None
    operation: str | None = None
    rate: float | None = None
    count: int | None = None
    after: int = 0
    seed: int | None = None
    seconds: float | None = None
    message: str | None = None
    job: str | None = None
    asset: str | None = None
    damage: str | None = None
    code: int | None = None
    matched: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    released: threading.Event = field(default_factory=threading.Event, repr=False)  # set on removal

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in OUTPUT_ORDER}
        return {k: v for k, v in out.items() if v is not None}

    def decide(self) -> bool:
        """One matching call: does the rule fire on it? (Caller holds the registry lock.)"""
        self.matched += 1
        if self.matched <= self.after:
            return False
        if self.count is not None:
            fire = self.fired < self.count
        else:
            fire = self.rng.random() < (self.rate or 0.0)
        if fire:
            self.fired += 1
        return fire


def parse_rule(data: Any, rule_id: str) -> FaultRule:
    """Validate one rule; FaultError names the first bad field."""
    if not isinstance(data, dict):
        raise FaultError("rule", "must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise FaultError(unknown[0], f"unknown field (known: {', '.join(sorted(FIELDS))})")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FaultError("kind", f"must be one of {', '.join(sorted(KINDS))}, got {kind!r}")
    allowed = {"kind", "rate", "count", "after", "seed"}
    if kind in API_KINDS:
        allowed |= {"service", "operation"}
    if kind in ("throttle", "error", "harvest_fail", "vod_fail", "transcode_fail"):
        allowed.add("message")
    if kind in ("latency", "harvest_stuck", "transcode_stuck"):
        allowed.add("seconds")
    if kind in HARVEST_KINDS | TRANSCODE_KINDS:
        allowed.add("job")
    if kind == "transcode_fail":
        allowed.add("code")
    if kind == "harvest_damage":
        allowed.add("damage")
    if kind in VOD_KINDS:
        allowed.add("asset")
    for name in data:
        if name not in allowed:
            raise FaultError(name, f"does not apply to kind {kind}")

    def text(name: str, default: str | None = None) -> str | None:
        value = data.get(name, default)
        if value is not None and (not isinstance(value, str) or not value):
            raise FaultError(name, f"must be a non-empty string, got {value!r}")
        return value

    def integer(name: str, minimum: int) -> int | None:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
            raise FaultError(name, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def number(name: str) -> float | None:
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
            raise FaultError(name, f"must be a number >= 0, got {value!r}")
        return None if value is None else float(value)

    rule = FaultRule(
        id=rule_id,
        kind=kind,
        service=text("service", "*") if kind in API_KINDS else None,
        operation=text("operation", "*") if kind in API_KINDS else None,
        rate=number("rate"),
        count=integer("count", 1),
        after=integer("after", 0) or 0,
        seed=integer("seed", -(2**63)),
        seconds=number("seconds"),
        message=text("message"),
        job=text("job", "*") if kind in HARVEST_KINDS | TRANSCODE_KINDS else None,
        asset=text("asset", "*") if kind in VOD_KINDS else None,
        damage=data.get("damage"),
        code=integer("code", 1000) if kind == "transcode_fail" else None,
    )
    if rule.rate is not None and rule.rate > 1:
        raise FaultError("rate", f"must be between 0 and 1, got {rule.rate!r}")
    if rule.rate is not None and rule.count is not None:
        raise FaultError("count", "give either rate or count, not both")
    if rule.rate is None and rule.count is None:
        if kind in API_KINDS:
            raise FaultError("count", "give either rate (0..1) or count (the next N matching calls)")
        rule.count = 1  # a harvest or VOD fault hits the next matching job or asset by default
    if kind in ("latency", "harvest_stuck", "transcode_stuck") and rule.seconds is None:
        raise FaultError("seconds", f"is required for kind {kind}")
    if kind == "harvest_damage" and rule.damage not in DAMAGES:
        raise FaultError("damage", f"must be one of {', '.join(DAMAGES)}, got {rule.damage!r}")
    rule.rng = random.Random(rule.seed)
    return rule


class FaultRegistry:
    """The stack's rules, thread-safe."""

    def __init__(self, rules: Iterable[dict[str, Any]] = ()):
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._next = 0
        for rule in rules:
            self.add(rule)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> FaultRegistry:
        raw = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        if not raw:
            return cls()
        try:
            rules = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_VAR} is not valid JSON: {exc}") from None
        if isinstance(rules, dict):
            rules = [rules]
        if not isinstance(rules, list):
            raise ValueError(f"{ENV_VAR} must be a JSON list of rules")
        registry = cls()
        for index, rule in enumerate(rules):
            try:
                registry.add(rule)
            except FaultError as exc:
                raise ValueError(f"{ENV_VAR}[{index}].{exc}") from None
        return registry

    # -- rules ----------------------------------------------------------------------------------

    def add(self, data: Any) -> dict[str, Any]:
        with self._lock:
            rule = parse_rule(data, f"f{self._next + 1}")
            self._next += 1
            self._rules[rule.id] = rule
            return rule.to_dict()

    def get(self, rule_id: str) -> dict[str, Any] | None:
        with self._lock:
            rule = self._rules.get(rule_id)
            return None if rule is None else rule.to_dict()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules.values()]

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            rule = self._rules.pop(rule_id, None)
        if rule is None:
            return False
        rule.released.set()  # a job the rule holds goes on now
        return True

    def clear(self) -> int:
        with self._lock:
            rules = list(self._rules.values())
            self._rules.clear()
        for rule in rules:
            rule.released.set()
        return len(rules)

    def take(self, kinds: frozenset[str] | set[str], key: str, *aliases: str) -> FaultRule | None:
        """The first job/asset rule of ``kinds`` matching ``key`` (or one of its ``aliases``) that fires
        (counted), if any."""
        with self._lock:
            for rule in self._rules.values():
                pattern = (rule.asset if rule.kind in VOD_KINDS else rule.job) or "*"
                if rule.kind not in kinds or not any(fnmatch.fnmatchcase(k, pattern) for k in (key, *aliases)):
                    continue
                if rule.decide():
                    return rule
        return None

    # -- API calls ------------------------------------------------------------------------------

    def wants(self, service: str) -> bool:
        if not self._rules:  # the common case, without the lock
            return False
        with self._lock:
            return any(
                r.kind in API_KINDS and fnmatch.fnmatchcase(service, r.service or "*") for r in self._rules.values()
            )

    def api_faults(self, service: str, operation: str) -> tuple[float, FaultRule | None]:
        """(latency to add, the blocking rule that fired) for one call; at most one blocking rule fires."""
        delay = 0.0
        blocking: FaultRule | None = None
        with self._lock:
            for rule in self._rules.values():
                if rule.kind not in API_KINDS or (blocking is not None and rule.kind != "latency"):
                    continue
                if not fnmatch.fnmatchcase(service, rule.service or "*"):
                    continue
                if not fnmatch.fnmatchcase(operation, rule.operation or "*"):
                    continue
                if rule.decide():
                    if rule.kind == "latency":
                        delay += rule.seconds or 0.0
                    else:
                        blocking = rule
        return delay, blocking
