"""Resource-policy evaluation: the subset of IAM the stack's v2 ingest, endpoint and bucket checks use."""

from __future__ import annotations

import json

import pytest

from devstack.resource_policy import Caller, allows

ACCOUNT = "123456789012"
CHANNEL = f"arn:aws:mediapackagev2:us-east-1:{ACCOUNT}:channelGroup/g/channel/c"
ENCODER = Caller(arn=f"arn:aws:iam::{ACCOUNT}:user/encoder", account=ACCOUNT, context={"aws:sourceip": "10.0.0.5"})
ANONYMOUS = Caller(context={"aws:sourceip": "10.0.0.5"})
HARVESTER = Caller(service="mediapackagev2.amazonaws.com", context={"aws:sourceaccount": ACCOUNT})


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, action="mediapackagev2:PutObject", resource=CHANNEL, **extra) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("principal", "caller", "expected"),
    [
        ({"AWS": ENCODER.arn}, ENCODER, True),
        ({"AWS": ACCOUNT}, ENCODER, True),  # the account delegates to its identities
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ENCODER, True),
        ({"AWS": "arn:aws:iam::999999999999:root"}, ENCODER, False),
        ({"AWS": ENCODER.arn}, ANONYMOUS, False),
        ("*", ANONYMOUS, True),
        ({"Service": "mediapackagev2.amazonaws.com"}, HARVESTER, True),
        ({"Service": "mediapackagev2.amazonaws.com"}, ENCODER, False),
        ({"AWS": "*"}, HARVESTER, False),  # a service principal is not an AWS identity
    ],
)
def test_principals(principal, caller, expected):
    assert allows(policy(allow(principal)), caller, "mediapackagev2:PutObject", CHANNEL) is expected


def test_action_and_resource_must_match_with_wildcards_and_actions_ignore_case():
    document = policy(allow("*", action="MediaPackageV2:Put*", resource=CHANNEL.replace("channel/c", "channel/*")))
    assert allows(document, ANONYMOUS, "mediapackagev2:PutObject", CHANNEL)
    assert not allows(document, ANONYMOUS, "mediapackagev2:GetObject", CHANNEL)
    assert not allows(
        document, ANONYMOUS, "mediapackagev2:PutObject", CHANNEL.replace("channelGroup/g/", "channelGroup/h/")
    )


def test_explicit_deny_wins_and_no_policy_denies():
    document = policy(allow("*"), {**allow("*"), "Effect": "Deny"})
    assert not allows(document, ANONYMOUS, "mediapackagev2:PutObject", CHANNEL)
    assert not allows(None, ENCODER, "mediapackagev2:PutObject", CHANNEL)


@pytest.mark.parametrize(
    ("condition", "caller", "expected"),
    [
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}}, ANONYMOUS, True),
        ({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}, ANONYMOUS, False),
        ({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, ANONYMOUS, True),
        ({"StringEquals": {"AWS:SourceAccount": ACCOUNT}}, HARVESTER, True),  # keys ignore case
        ({"StringEquals": {"aws:SourceAccount": "999999999999"}}, HARVESTER, False),
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, ANONYMOUS, False),  # a missing key fails
        ({"ArnLike": {"aws:SourceArn": "arn:aws:mediapackagev2:*"}}, HARVESTER, False),
        ({"NumericLessThan": {"aws:SourceAccount": "1"}}, HARVESTER, False),  # unsupported: never allows
    ],
)
def test_conditions(condition, caller, expected):
    statement = allow("*" if caller is ANONYMOUS else {"Service": "mediapackagev2.amazonaws.com"}, Condition=condition)
    assert allows(policy(statement), caller, "mediapackagev2:PutObject", CHANNEL) is expected
