"""What the emulated media services reach inside AWS: S3, IAM and EventBridge.

On AWS, MediaPackage (and MediaConvert) writes to S3, assumes roles and emits events on the service side, not
through a customer's client. The emulator does the same through moto's in-process backends
(the very ones the stack's moto server app serves), which keeps bulk segment writes off the
HTTP path. Policy evaluation is a small, documented subset of IAM's: explicit Deny wins,
otherwise an Allow statement must match the action and the resource (``*`` and ``?`` wildcards).
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any
from urllib.parse import unquote

from moto.events.models import events_backends
from moto.iam.models import iam_backends
from moto.s3.models import s3_backends

from devstack.resource_policy import Caller, allows

MEDIAPACKAGE_PRINCIPAL = "mediapackage.amazonaws.com"


class AccessProblem(Exception):
    """The service cannot do its work with the given bucket or role; the message says why."""


class RoleNotAssumable(AccessProblem):
    """The role does not exist, or does not trust the service to assume it."""


class Sibling:
    """Moto's S3, IAM and EventBridge backends for one account."""

    def __init__(self, account_id: str):
        self.account_id = account_id

    # -- S3 -------------------------------------------------------------------------------------

    @property
    def _s3(self) -> Any:
        return s3_backends[self.account_id]["aws"]

    def bucket_exists(self, bucket: str) -> bool:
        return bucket in self._s3.buckets

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        obj = self._s3.put_object(bucket, key, body)
        obj.set_metadata({"Content-Type": content_type})

    def delete_object(self, bucket: str, key: str) -> None:
        self._s3.delete_object(bucket, key)

    def bucket_write_problem(self, bucket: str, prefix: str, caller: Caller, region: str) -> str | None:
        """Why a service principal cannot write under ``prefix`` of ``bucket`` (its bucket policy), or None."""
        found = self._s3.buckets.get(bucket)
        if found is None:
            return f"S3 bucket {bucket} does not exist"
        if found.region_name != region:
            return f"S3 bucket {bucket} is in {found.region_name}, not in {region} with the channel"
        policy = found.policy.decode() if isinstance(found.policy, bytes) else found.policy
        resource = f"arn:aws:s3:::{bucket}/{prefix}"
        if not allows(policy, caller, "s3:PutObject", resource):
            return f"the bucket policy of {bucket} does not allow {caller.service} s3:PutObject on {resource}*"
        return None

    def get_object(self, bucket: str, key: str) -> tuple[bytes, str] | None:
        if not self.bucket_exists(bucket):
            return None
        obj = self._s3.get_object(bucket, key)
        if obj is None:
            return None
        return obj.value, obj.metadata.get("Content-Type", "binary/octet-stream")

    # -- IAM ------------------------------------------------------------------------------------

    def check_role(
        self, role_arn: str, actions: list[str], resources: list[str], principal: str = MEDIAPACKAGE_PRINCIPAL
    ) -> None:
        """Raise AccessProblem unless the role trusts ``principal`` (the service that assumes it) and
        allows every action on every resource."""
        iam = iam_backends[self.account_id]["global"]
        name = role_arn.rsplit("/", 1)[-1]
        if ":role/" not in role_arn:
            raise RoleNotAssumable(f"{role_arn} is not an IAM role ARN")
        try:
            role = iam.get_role(name)
        except Exception:
            raise RoleNotAssumable(f"role {role_arn} does not exist") from None
        trust = _document(role.assume_role_policy_document)
        if not _trusts(trust, principal):
            raise RoleNotAssumable(f"role {role_arn} does not trust {principal} (sts:AssumeRole)")
        documents = [_document(iam.get_role_policy(name, p)[1]) for p in iam.list_role_policies(name)]
        for attached in iam.list_attached_role_policies(name)[0]:
            policy = iam.get_policy(attached.arn)
            version = iam.get_policy_version(attached.arn, policy.default_version_id)
            documents.append(_document(version.document))
        for action in actions:
            for resource in resources:
                if not _allowed(documents, action, resource):
                    raise AccessProblem(f"role {role_arn} does not allow {action} on {resource}")

    # -- EventBridge ----------------------------------------------------------------------------

    def put_event(
        self, region: str, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
    ) -> None:
        events = events_backends[self.account_id][region]
        events.put_events(
            [
                {
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "Resources": resources,
                    "EventBusName": "default",
                }
            ]
        )


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    text = unquote(raw) if isinstance(raw, str) and raw.startswith("%7B") else raw
    return json.loads(text)


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _trusts(document: dict[str, Any], service: str) -> bool:
    for st in _statements(document):
        if st.get("Effect") != "Allow":
            continue
        actions = _as_list(st.get("Action", []))
        if not any(fnmatch.fnmatchcase("sts:assumerole", a.lower()) for a in actions):
            continue
        principal = st.get("Principal", {})
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        if service in services:
            return True
    return False


def _matches(patterns: list[str], value: str, *, ignore_case: bool) -> bool:
    if ignore_case:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _allowed(documents: list[dict[str, Any]], action: str, resource: str) -> bool:
    allowed = False
    for document in documents:
        for st in _statements(document):
            if not _matches(_as_list(st.get("Action", [])), action, ignore_case=True):
                continue
            if not _matches(_as_list(st.get("Resource", [])), resource, ignore_case=False):
                continue
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow":
                allowed = True
    return allowed
