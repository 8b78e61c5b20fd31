"""Resource-based policies (a bucket policy, a MediaPackage v2 channel or endpoint policy), evaluated.

A small, documented subset of IAM's evaluation, enough for the policies the guides write:
explicit Deny wins; otherwise an Allow statement must match the principal, the action, the
resource and every condition. Principals: ``*``, ``{"AWS": account id | arn:aws:iam::ACCOUNT:root |
an IAM ARN}``, ``{"Service": name}``. Conditions: ``StringEquals``, ``StringLike``, ``ArnEquals``,
``ArnLike``, ``IpAddress``, ``NotIpAddress``, keys compared case-insensitively (AWS does), values
matched against the request context (``aws:SourceAccount``, ``aws:SourceArn``, ``aws:SourceIp``).
An unknown operator never matches, so an unsupported policy denies rather than allows.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who asks: an AWS identity (``arn``, ``account``), a service principal (``service``), or anonymous."""

    arn: str | None = None
    account: str | None = None
    service: str | None = None
    context: dict[str, str] = field(default_factory=dict)  # condition keys, lower-cased


def allows(policy: str | dict[str, Any] | None, caller: Caller, action: str, resource: str) -> bool:
    """Whether ``policy`` lets ``caller`` do ``action`` on ``resource``."""
    if not policy:
        return False
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    allowed = False
    for st in statements:
        if not isinstance(st, dict):
            continue
        if not (_principal(st.get("Principal"), caller) and _any(st.get("Action"), action, fold=True)):
            continue
        if not (_any(st.get("Resource"), resource, fold=False) and _conditions(st.get("Condition"), caller)):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _any(patterns: Any, value: str, *, fold: bool) -> bool:
    if fold:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in _list(patterns))
    return any(fnmatch.fnmatchcase(value, p) for p in _list(patterns))


def _principal(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if caller.service is not None:
        return caller.service in _list(principal.get("Service"))
    for name in _list(principal.get("AWS")):
        if name == "*" or name == caller.arn:
            return True
        if caller.account and name in (caller.account, f"arn:aws:iam::{caller.account}:root"):
            return True
    return False


def _conditions(condition: Any, caller: Caller) -> bool:
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            actual = caller.context.get(key.lower())
            if not _test(operator, actual, _list(expected)):
                return False
    return True


def _test(operator: str, actual: str | None, expected: list[str]) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return actual is not None and actual in expected
    if operator in ("StringLike", "ArnLike"):
        return actual is not None and any(fnmatch.fnmatchcase(actual, e) for e in expected)
    if operator in ("IpAddress", "NotIpAddress"):
        if actual is None:
            return False
        address = ipaddress.ip_address(actual)
        inside = any(address in ipaddress.ip_network(e, strict=False) for e in expected)
        return inside if operator == "IpAddress" else not inside
    return False
