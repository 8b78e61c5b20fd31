"""Can this MediaPackage v2 origin endpoint deliver this harvest? Checked before the job is created.

Pure domain module, the v2 counterpart of :mod:`live_to_vod.endpoint_checks`. It reads a
``GetOriginEndpoint`` response and the endpoint's policy (``GetOriginEndpointPolicy``'s
``Policy``, or None when it has none) and names every reason CreateHarvestJob would refuse the
harvest: startover off or too short for the window, a manifest that is not on the endpoint or
carries a start/end/clip-start/time-delay filter, an endpoint policy that does not let
MediaPackage read the endpoint, and a bucket policy that does not let it write the destination
(each message names the missing permission). The policy check is the part of IAM's evaluation
such policies use: an Allow for the service principal, the action and the resource, whose
conditions on ``aws:SourceAccount`` / ``aws:SourceArn`` (the endpoint's ARN) hold; an explicit
Deny of the same wins; a condition on any other key is not counted on, so an unusual policy is
reported rather than trusted.
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
    "bucket_policy_problems",
    "default_manifests",
    "resolve_manifests",
    "v2_create_at",
]

SERVICE_PRINCIPAL = "mediapackagev2.amazonaws.com"
#: What the endpoint policy must allow MediaPackage for a harvest job to read the endpoint.
HARVEST_READ_ACTIONS = ("mediapackagev2:HarvestObject", "mediapackagev2:GetObject")
#: The manifest lists of an endpoint a harvest can take, as CreateHarvestJob names them.
MANIFEST_KINDS = ("HlsManifests", "LowLatencyHlsManifests", "DashManifests")
#: How long before the window's end a v2 job is created. MediaPackage v2 harvests in real time: a job
#: whose end is ahead finishes that much after the end. Ten minutes is ample for validate, the
#: create call and the job's start, yet late enough that a game running over its padded end has
#: almost always been decided (an overtime beyond the padding needs a new run or a later end).
REALTIME_CREATE_LEAD = pendulum.duration(minutes=10)
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


def v2_create_at(window: HarvestWindow, now: pendulum.DateTime) -> pendulum.DateTime:
    """When to create the v2 job of ``window``: :data:`REALTIME_CREATE_LEAD` before its end, never
    before its start (MediaPackage refuses a start in the future) and never before ``now``."""
    return max(window.end - REALTIME_CREATE_LEAD, window.start, now)


def resolve_manifests(
    endpoint: Mapping[str, Any], names: Sequence[str]
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The manifests to harvest by kind (``HarvestedManifests``' lists, names only) and the problems:
    ``names`` found among the endpoint's HLS, Low-Latency HLS and DASH manifests; no names: every HLS
    and DASH manifest (:func:`default_manifests`)."""
    if not names:
        return {k: tuple(m["ManifestName"] for m in v) for k, v in default_manifests(endpoint).items()}, []
    kinds = {m.get("ManifestName"): kind for kind in MANIFEST_KINDS for m in endpoint.get(kind) or []}
    found: dict[str, list[str]] = {}
    problems = []
    for name in names:
        kind = kinds.get(name)
        if kind is None:
            have = ", ".join(sorted(str(n) for n in kinds)) or "none"
            problems.append(f"manifests: {name!r} is not a manifest of the endpoint (its manifests: {have})")
        else:
            found.setdefault(kind, []).append(name)
    return {k: tuple(v) for k, v in found.items()}, problems


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
    problems += _endpoint_policy_problems(policy, endpoint.get("Arn") or "", account_id, name)
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


def bucket_policy_problems(policy: str | None, bucket: str, destination_path: str, endpoint_arn: str) -> list[str]:
    """Why MediaPackage cannot write the harvest under ``destination_path`` of ``bucket`` with this
    bucket ``policy`` (GetBucketPolicy's, None when the bucket has none); empty when it can."""
    account_id = _arn_account(endpoint_arn)
    resource = f"arn:aws:s3:::{bucket}/{destination_path.strip('/')}/"
    fix = (
        f"add a bucket policy statement allowing {SERVICE_PRINCIPAL} s3:PutObject on {resource}* "
        f"(conditions aws:SourceAccount {account_id}, aws:SourceArn of the channel group; "
        "deploy/aws/iam/v2-bucket-policy.json)"
    )
    return _policy_problems(
        policy, ("s3:PutObject",), resource + "index.m3u8", endpoint_arn, f"bucket {bucket}", "bucket policy", fix
    )


def _endpoint_policy_problems(policy: str | None, arn: str, account_id: str, name: str) -> list[str]:
    fix = (
        f"attach an endpoint policy allowing {SERVICE_PRINCIPAL} {', '.join(HARVEST_READ_ACTIONS)} on {arn} "
        f"(condition aws:SourceAccount {account_id}; deploy/aws/iam/v2-endpoint-policy.json)"
    )
    return _policy_problems(
        policy, HARVEST_READ_ACTIONS, arn, arn, f"endpoint {name}", "endpoint policy", fix, account_id
    )


def _policy_problems(
    policy: str | None,
    actions: Sequence[str],
    resource: str,
    source_arn: str,
    owner: str,
    kind: str,
    fix: str,
    account_id: str | None = None,
) -> list[str]:
    context = {"aws:sourceaccount": account_id or _arn_account(source_arn), "aws:sourcearn": source_arn}
    if not policy:
        return [f"{owner} has no {kind}: {fix}"]
    try:
        document = json.loads(policy)
    except ValueError:
        return [f"the {kind} of {owner} is not JSON: {fix}"]
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    statements = [statements] if isinstance(statements, Mapping) else statements
    if not isinstance(statements, list):
        return [f"the {kind} of {owner} has no statements: {fix}"]
    missing = [a for a in actions if not _allowed(statements, a, resource, context)]
    if missing:
        return [f"the {kind} of {owner} does not allow {SERVICE_PRINCIPAL} {', '.join(missing)}: {fix}"]
    return []


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _allowed(statements: list[Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    allowed = False
    for st in statements:
        if not isinstance(st, Mapping) or not _for_service(st.get("Principal")):
            continue
        if not _matches(st.get("Action"), action, fold=True) or not _matches(st.get("Resource"), resource, fold=False):
            continue
        if not _conditions_hold(st.get("Condition"), context):
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


_EXACT_OPERATORS = ("StringEquals", "ArnEquals")
_PATTERN_OPERATORS = ("StringLike", "ArnLike")


def _conditions_hold(condition: Any, context: Mapping[str, str]) -> bool:
    """Only the ``aws:SourceAccount`` and ``aws:SourceArn`` conditions the guide's policies use are
    judged; a statement with any other condition is not counted on."""
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        return False
    for operator, tests in condition.items():
        if operator not in _EXACT_OPERATORS + _PATTERN_OPERATORS or not isinstance(tests, Mapping):
            return False
        for key, expected in tests.items():
            value = context.get(str(key).lower())
            if value is None:
                return False
            if operator in _EXACT_OPERATORS and value not in _listed(expected):
                return False
            if operator in _PATTERN_OPERATORS and not any(fnmatch.fnmatchcase(value, e) for e in _listed(expected)):
                return False
    return True


def _iso(t: pendulum.DateTime) -> str:
    return t.in_timezone("UTC").to_iso8601_string()
