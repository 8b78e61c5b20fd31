"""The AWS setup as code: deploy/aws/iam/*.json (the source of truth) and the CloudFormation template.

- cfn-lint finds nothing in the template, informational findings included;
- the IAM documents are least privilege: no wildcard action, wildcard resources only for the two
  actions AWS gives no resource-level permissions, iam:PassRole on the two roles only and only to
  the service that uses each, every resource built from the documented placeholders;
- the workers' policy allows exactly the AWS calls the project's code makes (found in the code);
- the template's policies say exactly what the JSON documents say, placeholders filled in;
- the local media stack seeds its roles with the same documents.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name
from botocore.session import get_session
from cfnlint.decode import decode

from devstack import harvest as v1_harvest
from devstack.mediapackagev2 import harvest as v2_harvest
from live_to_vod.config import ENV_VARIABLES  # every LIVE_TO_VOD_* variable the settings read
from localrun import seed as local_seed

ROOT = Path(__file__).resolve().parents[2]
AWS_DIR = ROOT / "deploy" / "aws"
IAM_DIR = AWS_DIR / "iam"
TEMPLATE = AWS_DIR / "live-to-vod.cfn.yaml"

DOCUMENTS = {
    "harvest-role-trust.json",
    "harvest-role-permissions.json",
    "vod-source-role-trust.json",
    "vod-source-role-permissions.json",
    "mediaconvert-role-trust.json",
    "mediaconvert-role-permissions.json",
    "airflow-worker-policy.json",
    # MediaPackage v2 has no roles: resource policies on the endpoint, the bucket and the channel.
    "v2-endpoint-policy.json",
    "v2-bucket-policy.json",
    "v2-channel-policy.json",
}
PLACEHOLDERS = {
    "Partition",
    "Region",
    "AccountId",
    "BucketName",
    "HarvestRoleName",
    "VodSourceRoleName",
    "MediaConvertRoleName",
    "QueueName",
    "ChannelGroupName",
    "ChannelName",
    "OriginEndpointName",
    "EncoderPrincipalArn",
}
# The only actions with Resource "*": AWS defines no resource type for them (Service Authorization
# Reference, MediaPackage and MediaPackage VOD: CreateHarvestJob and CreateAsset list none).
# MediaConvert's ListJobs names no resource type either.
NO_RESOURCE_LEVEL_PERMISSIONS = {
    "mediapackage:CreateHarvestJob",
    "mediapackage-vod:CreateAsset",
    "mediaconvert:ListJobs",
}
# iam:PassRole, per role placeholder: the service each role is passed to (iam:PassedToService of
# CreateHarvestJob and of CreateAsset in the Service Authorization Reference).
PASSED_TO = {
    "HarvestRoleName": "mediapackage.amazonaws.com",
    "VodSourceRoleName": "mediapackage-vod.amazonaws.com",
    "MediaConvertRoleName": "mediaconvert.amazonaws.com",
}
# The resource type each worker action may name (suffix wildcards only).
WORKER_RESOURCES = {
    "mediapackage:DescribeHarvestJob": "arn:${Partition}:mediapackage:${Region}:${AccountId}:harvest_jobs/*",
    "mediapackage:DescribeOriginEndpoint": "arn:${Partition}:mediapackage:${Region}:${AccountId}:origin_endpoints/*",
    "mediapackage-vod:DescribeAsset": "arn:${Partition}:mediapackage-vod:${Region}:${AccountId}:assets/*",
    "mediapackage-vod:DeleteAsset": "arn:${Partition}:mediapackage-vod:${Region}:${AccountId}:assets/*",
    "mediapackage-vod:TagResource": "arn:${Partition}:mediapackage-vod:${Region}:${AccountId}:assets/*",
    "mediapackagev2:CreateHarvestJob": "arn:${Partition}:mediapackagev2:${Region}:${AccountId}:channelGroup/*",
    "mediapackagev2:GetHarvestJob": "arn:${Partition}:mediapackagev2:${Region}:${AccountId}:channelGroup/*",
    "mediapackagev2:CancelHarvestJob": "arn:${Partition}:mediapackagev2:${Region}:${AccountId}:channelGroup/*",
    "mediapackagev2:GetOriginEndpoint": "arn:${Partition}:mediapackagev2:${Region}:${AccountId}:channelGroup/*",
    "mediapackagev2:GetOriginEndpointPolicy": "arn:${Partition}:mediapackagev2:${Region}:${AccountId}:channelGroup/*",
    "mediaconvert:GetJob": "arn:${Partition}:mediaconvert:${Region}:${AccountId}:jobs/*",
    "mediaconvert:CancelJob": "arn:${Partition}:mediaconvert:${Region}:${AccountId}:jobs/*",
    "mediaconvert:TagResource": "arn:${Partition}:mediaconvert:${Region}:${AccountId}:jobs/*",
    "mediaconvert:GetJobTemplate": "arn:${Partition}:mediaconvert:${Region}:${AccountId}:jobTemplates/*",
    "s3:GetObject": "arn:${Partition}:s3:::${BucketName}/*",
    "s3:ListBucket": "arn:${Partition}:s3:::${BucketName}",
    "s3:GetBucketPolicy": "arn:${Partition}:s3:::${BucketName}",
    "sqs:ReceiveMessage": "arn:${Partition}:sqs:${Region}:${AccountId}:${QueueName}",
    "sqs:DeleteMessage": "arn:${Partition}:sqs:${Region}:${AccountId}:${QueueName}",
}

# Concrete values to compare the template with the documents.
PARTITION, REGION, ACCOUNT, STACK, BUCKET = "aws", "eu-west-1", "111122223333", "live-to-vod", "test-vod-archive"


def load(name: str) -> dict[str, Any]:
    return json.loads((IAM_DIR / name).read_text())


def fill(name: str, **values: str) -> dict[str, Any]:
    text = (IAM_DIR / name).read_text()
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text))


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(document["Statement"])


def normalized(document: dict[str, Any]) -> dict[str, Any]:
    """Order and single-value lists do not matter to IAM."""
    result = dict(document)
    result["Statement"] = sorted(
        (
            {k: sorted(as_list(v)) if k in ("Action", "Resource") else v for k, v in st.items()}
            for st in statements(document)
        ),
        key=lambda st: st.get("Sid", ""),
    )
    return result


# -- cfn-lint ------------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--include-checks", "I", "--non-zero-exit-code", "informational", "--", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# -- least privilege ----------------------------------------------------------------------------


def test_the_documents_are_the_expected_ones_and_use_only_documented_placeholders():
    assert {p.name for p in IAM_DIR.glob("*.json")} == DOCUMENTS
    readme = (AWS_DIR / "README.md").read_text()
    for name in DOCUMENTS:
        used = set(re.findall(r"\$\{(\w+)\}", (IAM_DIR / name).read_text()))
        assert used <= PLACEHOLDERS, name
        assert load(name)["Version"] == "2012-10-17"
    for placeholder in PLACEHOLDERS:
        assert f"`${{{placeholder}}}`" in readme, f"deploy/aws/README.md does not document ${{{placeholder}}}"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_no_wildcard_action_no_negation_no_deny_needed(name):
    for st in statements(load(name)):
        assert st["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(st), st
        for action in as_list(st["Action"]):
            assert "*" not in action and "?" not in action, f"{name}: {action}"


TRUSTS = {"harvest-role-trust.json", "vod-source-role-trust.json", "mediaconvert-role-trust.json"}


@pytest.mark.parametrize("name", sorted(DOCUMENTS - TRUSTS))
def test_resources_are_placeholder_arns_and_star_only_where_aws_requires_it(name):
    for st in statements(load(name)):
        resources = as_list(st["Resource"])
        if "*" in resources:
            assert resources == ["*"] and set(as_list(st["Action"])) <= NO_RESOURCE_LEVEL_PERMISSIONS, st
            continue
        for arn in resources:
            assert arn.startswith("arn:${Partition}:"), arn
            assert not re.search(r"\d{12}", arn), f"literal account in {arn}"
            head, _, tail = arn.rpartition(":")
            assert "*" not in head, f"wildcard before the resource id in {arn}"
            assert tail.count("*") <= 1 and (tail.endswith("*") or "*" not in tail), arn


def test_pass_role_names_one_role_each_and_only_for_its_service():
    passes = [st for st in statements(load("airflow-worker-policy.json")) if "iam:PassRole" in as_list(st["Action"])]
    assert len(passes) == 3
    for st in passes:
        assert as_list(st["Action"]) == ["iam:PassRole"]
        [role] = as_list(st["Resource"])
        [placeholder] = re.fullmatch(r"arn:\$\{Partition\}:iam::\$\{AccountId\}:role/\$\{(\w+)\}", role).groups()
        assert st["Condition"] == {"StringEquals": {"iam:PassedToService": PASSED_TO[placeholder]}}
    assert {re.search(r"\$\{(\w+)\}$", as_list(st["Resource"])[0]).group(1) for st in passes} == set(PASSED_TO)
    others = [st for st in statements(load("airflow-worker-policy.json")) if st not in passes]
    assert not [a for st in others for a in as_list(st["Action"]) if a.startswith("iam:")]


def test_only_the_services_can_assume_their_roles_and_the_job_roles_only_for_this_account():
    for name, service in (
        ("harvest-role-trust.json", "mediapackage.amazonaws.com"),
        ("vod-source-role-trust.json", "mediapackage.amazonaws.com"),
        ("mediaconvert-role-trust.json", "mediaconvert.amazonaws.com"),
    ):
        [st] = statements(load(name))
        assert st["Principal"] == {"Service": service}
        assert st["Action"] == "sts:AssumeRole"
    # MediaPackage (harvest jobs) and MediaConvert set aws:SourceAccount (confused-deputy prevention).
    for name in ("harvest-role-trust.json", "mediaconvert-role-trust.json"):
        [st] = statements(load(name))
        assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": "${AccountId}"}}


def pairs(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(a, r) for st in statements(document) for a in as_list(st["Action"]) for r in as_list(st["Resource"])}


def test_the_roles_allow_what_mediapackage_documents_for_live_to_vod_and_vod_ingest():
    bucket, objects = "arn:${Partition}:s3:::${BucketName}", "arn:${Partition}:s3:::${BucketName}/*"
    assert pairs(load("harvest-role-permissions.json")) == {
        ("s3:PutObject", objects),
        ("s3:GetBucketLocation", bucket),
        ("s3:ListBucket", bucket),
    }
    # MediaConvert reads the harvest and writes under mediaconvert/ only: never over a harvested asset.
    assert pairs(load("mediaconvert-role-permissions.json")) == {
        ("s3:GetObject", objects),
        ("s3:PutObject", "arn:${Partition}:s3:::${BucketName}/mediaconvert/*"),
    }
    assert pairs(load("vod-source-role-permissions.json")) == {
        ("s3:GetObject", objects),
        ("s3:GetBucketLocation", bucket),
        ("s3:GetBucketRequestPayment", bucket),
        ("s3:ListBucket", bucket),
    }


# -- the workers' policy = the calls the code makes ---------------------------------------------

# client name -> IAM prefix; S3 and SQS operations map to actions of other names.
CLIENTS = {
    "mediapackage": "mediapackage",
    "mediapackage-vod": "mediapackage-vod",
    "mediapackagev2": "mediapackagev2",
    "mediaconvert": "mediaconvert",
    "s3": "s3",
    "sqs": "sqs",
}
OTHER_NAMES = {
    "s3": {
        "get_object": "s3:GetObject",
        "head_object": "s3:GetObject",
        "list_objects_v2": "s3:ListBucket",
        "list_objects": "s3:ListBucket",
        "get_bucket_policy": "s3:GetBucketPolicy",
    },
    "sqs": {"receive_message": "sqs:ReceiveMessage", "delete_message_batch": "sqs:DeleteMessage"},
}


def aws_calls_in(paths: list[Path]) -> dict[str, set[str]]:
    """IAM action -> the files calling it: every ``.<operation>(`` of the clients' operations."""
    session = get_session()
    operations = {
        client: {xform_name(op): op for op in session.get_service_model(client).operation_names} for client in CLIENTS
    }
    found: dict[str, set[str]] = {}
    for path in paths:
        for method in set(re.findall(r"\.([a-z][a-z0-9_]*)\(", path.read_text())):
            for client, ops in operations.items():
                if method not in ops:
                    continue
                if client in OTHER_NAMES:
                    action = OTHER_NAMES[client].get(method)
                    assert action, f"{path.name} calls {client}.{method}: add its IAM action here and to the policy"
                else:
                    action = f"{CLIENTS[client]}:{ops[method]}"
                found.setdefault(action, set()).add(path.name)
    return found


def test_the_worker_policy_allows_exactly_the_aws_calls_the_code_makes():
    code = [*sorted((ROOT / "include").rglob("*.py")), *sorted((ROOT / "dags").glob("*.py"))]
    code += sorted((ROOT / "plugins").glob("*.py"))
    # The harvest-notification DAG's asset watcher: the amazon provider's SQS trigger, in the triggerer.
    code.append(Path(importlib.import_module("airflow.providers.amazon.aws.triggers.sqs").__file__))
    calls = aws_calls_in(code)
    assert {"mediapackage:CreateHarvestJob", "mediapackage-vod:CreateAsset", "sqs:ReceiveMessage"} <= set(calls)
    # Validate reads a v2 endpoint, its policy and the bucket policy.
    assert {
        "mediapackagev2:GetOriginEndpoint",
        "mediapackagev2:GetOriginEndpointPolicy",
        "s3:GetBucketPolicy",
    } <= set(calls)
    # CreateAsset with Tags also authorizes mediapackage-vod:TagResource (tag on create).
    assert "Tags=" in (ROOT / "include" / "live_to_vod" / "aws" / "hooks" / "mediapackage.py").read_text()
    # So does MediaConvert's CreateJob with Tags (the job's event_id).
    assert '"Tags":' in (ROOT / "include" / "live_to_vod" / "aws" / "hooks" / "mediaconvert.py").read_text()
    expected = set(calls) | {"mediapackage-vod:TagResource", "mediaconvert:TagResource", "iam:PassRole"}
    policy = load("airflow-worker-policy.json")
    assert {a for st in statements(policy) for a in as_list(st["Action"])} == expected, calls
    for action, resource in pairs(policy):
        if action in WORKER_RESOURCES:
            assert resource == WORKER_RESOURCES[action], action


# -- the template says what the documents say ----------------------------------------------------


def resolve(node: Any, template: dict[str, Any]) -> Any:
    """Evaluate Ref, Fn::GetAtt and Fn::Sub as CloudFormation would for the test's account and stack."""
    parameters = {name: p.get("Default") for name, p in template["Parameters"].items()} | {"BucketName": BUCKET}
    pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK}
    resources = template["Resources"]

    def name_of(logical: str) -> str:
        props = resources[logical]["Properties"]
        for key in ("BucketName", "RoleName", "QueueName", "ManagedPolicyName", "Name"):
            if key in props:
                return resolve(props[key], template)
        raise KeyError(logical)

    def ref(target: str) -> str:
        if target in pseudo:
            return pseudo[target]
        if target in parameters:
            return parameters[target]
        kind = resources[target]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name_of(target)}"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{name_of(target)}"
        return name_of(target)

    def get_att(logical: str, attribute: str) -> str:
        assert attribute == "Arn"
        kind, name = resources[logical]["Type"], name_of(logical)
        return {
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::Events::Rule": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/{name}",
        }[kind]

    def sub(text: str) -> str:
        def one(match: re.Match) -> str:
            target = match.group(1)
            if "." in target and not target.startswith("AWS::"):
                return get_att(*target.split(".", 1))
            return ref(target)

        return re.sub(r"\$\{([\w:.]+)\}", one, text)

    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            return get_att(*(target.split(".", 1) if isinstance(target, str) else target))
        if set(node) == {"Fn::Sub"}:
            assert isinstance(node["Fn::Sub"], str)
            return sub(node["Fn::Sub"])
        return {key: resolve(value, template) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, template) for value in node]
    return node


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, problems = decode(str(TEMPLATE))
    assert not problems
    return json.loads(json.dumps(decoded))  # plain dicts, lists and strings


@pytest.fixture(scope="module")
def values(template) -> dict[str, str]:
    """The documents' placeholders, as the template fills them for the test's account and stack."""
    defaults = {name: p.get("Default") for name, p in template["Parameters"].items()}
    return {
        "Partition": PARTITION,
        "Region": REGION,
        "AccountId": ACCOUNT,
        "BucketName": BUCKET,
        "HarvestRoleName": defaults["HarvestRoleName"],
        "VodSourceRoleName": defaults["VodSourceRoleName"],
        "MediaConvertRoleName": defaults["MediaConvertRoleName"],
        "QueueName": defaults["QueueName"],
    }


def test_the_roles_in_the_template_are_the_json_documents(template, values):
    roles = (
        ("HarvestRole", "harvest-role"),
        ("VodSourceRole", "vod-source-role"),
        ("MediaConvertRole", "mediaconvert-role"),
    )
    for logical, prefix in roles:
        props = resolve(template["Resources"][logical]["Properties"], template)
        assert normalized(props["AssumeRolePolicyDocument"]) == normalized(fill(f"{prefix}-trust.json", **values))
        [inline] = props["Policies"]
        assert normalized(inline["PolicyDocument"]) == normalized(fill(f"{prefix}-permissions.json", **values))


def test_the_worker_policy_in_the_template_is_the_json_document(template, values):
    props = resolve(template["Resources"]["AirflowWorkerPolicy"]["Properties"], template)
    assert normalized(props["PolicyDocument"]) == normalized(fill("airflow-worker-policy.json", **values))


def test_the_bucket_is_private_encrypted_and_tls_only(template):
    resources = resolve(template["Resources"], template)
    bucket = resources["DestinationBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    assert set(bucket["Properties"]["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["Properties"]["PublicAccessBlockConfiguration"]) == 4
    [rule] = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [deny] = resources["DestinationBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = f"arn:{PARTITION}:s3:::{BUCKET}"
    assert sorted(deny["Resource"]) == [arn, f"{arn}/*"]


def test_harvest_notifications_reach_the_queue_from_the_rule_only(template, values):
    resources = resolve(template["Resources"], template)
    queue = resources["NotificationQueue"]["Properties"]
    queue_arn = f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{values['QueueName']}"
    assert queue["SqsManagedSseEnabled"] is True
    assert resources["NotificationDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == f"{queue_arn}-dlq"
    rule = resources["HarvestNotificationRule"]["Properties"]
    # v1 and v2 notifications (what the local stack emits for each), the pattern the seed puts on its rule.
    assert rule["EventPattern"] == {
        "source": ["aws.mediapackage", "aws.mediapackagev2"],
        "detail-type": ["MediaPackage HarvestJob Notification", "MediaPackageV2 HarvestJob Notification"],
    }
    assert {v1_harvest.EVENT_SOURCE, v2_harvest.EVENT_SOURCE} == set(rule["EventPattern"]["source"])
    assert {v1_harvest.EVENT_DETAIL_TYPE, v2_harvest.EVENT_DETAIL_TYPE} == set(rule["EventPattern"]["detail-type"])
    assert [t["Arn"] for t in rule["Targets"]] == [queue_arn]
    [allow] = resources["NotificationQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage" and allow["Resource"] == queue_arn
    completions = resources["MediaConvertCompletionRule"]["Properties"]
    # MediaConvert's final states only, the pattern the seed puts on its second rule.
    assert completions["EventPattern"] == local_seed.MEDIACONVERT_COMPLETIONS
    assert [t["Arn"] for t in completions["Targets"]] == [queue_arn]
    rule_arns = [f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/{r['Name']}" for r in (rule, completions)]
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arns}}


def test_the_outputs_name_the_settings_they_feed(template):
    outputs = template["Outputs"]
    settings = {o["Description"] for o in outputs.values() if o["Description"].startswith("LIVE_TO_VOD_")}
    assert settings == {
        "LIVE_TO_VOD_S3_BUCKET",
        "LIVE_TO_VOD_HARVEST_ROLE_ARN",
        "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN",
        "LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN",
        "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL",
    }
    assert settings <= set(ENV_VARIABLES.values())
    assert outputs["AirflowWorkerPolicyArn"]["Value"] == {"Ref": "AirflowWorkerPolicy"}


# -- the local media stack ------------------------------------------------------------------------


def test_the_local_stack_seeds_its_roles_with_these_documents():
    assert local_seed.IAM_DIR.resolve() == IAM_DIR.resolve()
    assert local_seed.harvest_role_policy("b") == fill("harvest-role-permissions.json", Partition="aws", BucketName="b")
    assert local_seed.vod_role_policy("b") == fill("vod-source-role-permissions.json", Partition="aws", BucketName="b")
    assert local_seed.harvest_role_trust("123456789012") == fill("harvest-role-trust.json", AccountId="123456789012")
    assert load("vod-source-role-trust.json") == local_seed.TRUST_MEDIAPACKAGE
    assert local_seed.mediaconvert_role_policy("b") == fill(
        "mediaconvert-role-permissions.json", Partition="aws", BucketName="b"
    )
    assert local_seed.mediaconvert_role_trust("123456789012") == fill(
        "mediaconvert-role-trust.json", AccountId="123456789012"
    )
