"""Can this MediaPackage v2 origin endpoint deliver this harvest? Checked before the job is created.

Pure domain module, the v2 counterpart of :mod:`live_to_vod.endpoint_checks`. It reads a
``GetOriginEndpoint`` response and the endpoint's policy (``GetOriginEndpointPolicy``'s
``Policy``, or None when it has none) and names every reason CreateHarvestJob would refuse the
harvest: startover off or too short for the window, a manifest that is not on the endpoint or
carries a start/end/clip-start/time-delay filter, and an endpoint policy that does not let
MediaPackage read the endpoint (the message names the missing permission). The policy check is the
part of IAM's evaluation such a policy uses: an Allow for the service principal, the action and the
endpoint, whose ``aws:SourceAccount`` condition (if any) names this account; an explicit Deny of
the same wins.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pendulum

from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.limits import MAX_HARVEST_DURATION
from live_to_vod.times import duration_text

__all__ = [
    "HARVEST_READ_ACTIONS",
    "MANIFEST_KINDS",
    "SERVICE_PRINCIPAL",
    "V2EndpointAssessment",
    "assess_v2_endpoint",
    "default_manifests",
]

SERVICE_PRINCIPAL = "mediapackagev2.amazonaws.com"
#: What the endpoint policy must allow MediaPackage for a harvest job to read the endpoint.
HARVEST_READ_ACTIONS = ("mediapackagev2:HarvestObject", "mediapackagev2:GetObject")
#: The manifest lists of an endpoint a harvest can take, as CreateHarvestJob names them.
MANIFEST_KINDS = ("HlsManifests", "LowLatencyHlsManifests", "DashManifests")
#: Filter settings that move or cut the window: a harvested manifest must carry none.
WINDOW_FILTERS = ("Start", "End", "ClipStartTime", "TimeDelaySeconds")


@dataclass(frozen=True)
class V2EndpointAssessment:
    """What :func:`assess_v2_endpoint` found: problems block the harvest."""

    problems: tuple[str, ...]
    startover_seconds: int | None

    @property
    def ok(self) -> bool:
        return not self.problems


def default_manifests(endpoint: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Every HLS and DASH manifest of the endpoint, as ``HarvestedManifests`` (Low-Latency HLS
    only when asked for: harvested, it is the same VOD HLS as the HLS manifest)."""
    return {
        kind: [{"ManifestName": m["ManifestName"]} for m in endpoint.get(kind) or []]
        for kind in ("HlsManifests", "DashManifests")
        if endpoint.get(kind)
    }


def assess_v2_endpoint(
    endpoint: Mapping[str, Any],
    policy: str | None,
    manifests: Mapping[str, Sequence[Mapping[str, str]]],
    window: HarvestWindow,
    *,
    account_id: str,
    harvest_at: pendulum.DateTime,
) -> V2EndpointAssessment:
    """Check ``endpoint`` (GetOriginEndpoint) and its ``policy`` against a harvest of ``manifests``
    over ``window`` created at ``harvest_at`` (content keeps expiring while the run waits)."""
    name = f"{endpoint.get('ChannelGroupName')}/{endpoint.get('ChannelName')}/{endpoint.get('OriginEndpointName')}"
    problems: list[str] = []
    startover = endpoint.get("StartoverWindowSeconds")
    startover = startover if isinstance(startover, int) and not isinstance(startover, bool) and startover > 0 else None
    if startover is None:
        problems.append(
            f"endpoint {name} has no startover window: nothing can be harvested; set StartoverWindowSeconds"
        )
    elif window.start < harvest_at.subtract(seconds=startover):
        problems.append(
            f"the window starts at {_iso(window.start)} but endpoint {name} keeps only {startover} s: when the job is "
            f"created at {_iso(harvest_at)} content before {_iso(harvest_at.subtract(seconds=startover))} is gone"
        )
    if window.duration > MAX_HARVEST_DURATION:
        problems.append(f"the window is {duration_text(window.duration)} long, longer than the 24-hour harvest limit")
    problems += _manifest_problems(endpoint, manifests, name)
    problems += _policy_problems(policy, endpoint.get("Arn") or "", account_id, name)
    return V2EndpointAssessment(tuple(problems), startover)


def _manifest_problems(endpoint: Mapping[str, Any], manifests: Mapping[str, Any], name: str) -> list[str]:
    problems = []
    if not any(manifests.get(kind) for kind in MANIFEST_KINDS):
        problems.append(f"no manifest to harvest: endpoint {name} has no HLS or DASH manifest, and none was named")
    for kind in MANIFEST_KINDS:
        defined = {m.get("ManifestName"): m for m in endpoint.get(kind) or []}
        for wanted in manifests.get(kind) or []:
            manifest = defined.get(wanted.get("ManifestName"))
            if manifest is None:
                have = ", ".join(sorted(str(n) for n in defined)) or "none"
                problems.append(f"{kind} {wanted.get('ManifestName')!r} is not on endpoint {name} (its {kind}: {have})")
                continue
            filters = manifest.get("FilterConfiguration") or {}
            used = [f for f in WINDOW_FILTERS if filters.get(f) is not None]
            if used:
                problems.append(
                    f"manifest {wanted.get('ManifestName')!r} of endpoint {name} has {', '.join(used)} in its "
                    "FilterConfiguration; MediaPackage harvests only manifests without start, end, clip-start or "
                    "time-delay filters (a rendition filter is fine): harvest another manifest"
                )
    return problems


def _policy_problems(policy: str | None, arn: str, account_id: str, name: str) -> list[str]:
    fix = (
        f"attach an endpoint policy allowing {SERVICE_PRINCIPAL} {', '.join(HARVEST_READ_ACTIONS)} on {arn} "
        f"(condition aws:SourceAccount {account_id}; deploy/aws/iam/v2-endpoint-policy.json)"
    )
    if not policy:
        return [f"endpoint {name} has no endpoint policy, so harvest jobs cannot read it: {fix}"]
    try:
        document = json.loads(policy)
    except ValueError:
        return [f"the endpoint policy of {name} is not JSON: {fix}"]
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    statements = [statements] if isinstance(statements, Mapping) else statements
    if not isinstance(statements, list):
        return [f"the endpoint policy of {name} has no statements: {fix}"]
    missing = [a for a in HARVEST_READ_ACTIONS if not _allowed(statements, a, arn, account_id)]
    if missing:
        return [f"the endpoint policy of {name} does not allow {SERVICE_PRINCIPAL} {', '.join(missing)}: {fix}"]
    return []


def _allowed(statements: list[Any], action: str, arn: str, account_id: str) -> bool:
    allowed = False
    for st in statements:
        if not isinstance(st, Mapping) or not _for_service(st.get("Principal")):
            continue
        if not _matches(st.get("Action"), action, fold=True) or not _matches(st.get("Resource"), arn, fold=False):
            continue
        if not _account_condition_holds(st.get("Condition"), account_id):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _for_service(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and SERVICE_PRINCIPAL in _listed(principal.get("Service"))


def _matches(patterns: Any, value: str, *, fold: bool) -> bool:
    if fold:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in _listed(patterns))
    return any(fnmatch.fnmatchcase(value, p) for p in _listed(patterns))


def _account_condition_holds(condition: Any, account_id: str) -> bool:
    """Only ``aws:SourceAccount`` conditions are judged (the ones the guide's policy uses); a statement
    with any other condition is not counted on, so an unusual policy is reported rather than trusted."""
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        return False
    for operator, tests in condition.items():
        if operator not in ("StringEquals", "StringLike") or not isinstance(tests, Mapping):
            return False
        for key, expected in tests.items():
            if key.lower() != "aws:sourceaccount":
                return False
            if operator == "StringEquals" and account_id not in _listed(expected):
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(account_id, e) for e in _listed(expected)):
                return False
    return True


def _iso(t: pendulum.DateTime) -> str:
    return t.in_timezone("UTC").to_iso8601_string()
