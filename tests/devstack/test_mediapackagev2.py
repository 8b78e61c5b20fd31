"""MediaPackage v2's control plane in the local stack, through an unmodified boto3 client."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def error(excinfo) -> tuple[str, dict]:
    response = excinfo.value.response
    return response["Error"]["Code"], response


def endpoint_policy(arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "mediapackagev2.amazonaws.com"},
                    "Action": ["mediapackagev2:GetObject", "mediapackagev2:HarvestObject"],
                    "Resource": arn,
                    "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}},
                }
            ],
        }
    )


@pytest.fixture
def v2(aws):
    return aws["mediapackagev2"]


@pytest.fixture
def channel(v2):
    v2.create_channel_group(ChannelGroupName="sports")
    return v2.create_channel(ChannelGroupName="sports", ChannelName="court-1", InputType="HLS")


def test_the_hierarchy_is_created_read_listed_and_deleted(v2, channel):
    assert channel["Arn"] == f"arn:aws:mediapackagev2:us-east-1:{ACCOUNT}:channelGroup/sports/channel/court-1"
    assert [e["Id"] for e in channel["IngestEndpoints"]] == ["1", "2"]  # two, for redundancy
    endpoint = v2.create_origin_endpoint(
        ChannelGroupName="sports",
        ChannelName="court-1",
        OriginEndpointName="cmaf",
        ContainerType="CMAF",
        StartoverWindowSeconds=86_400,
        HlsManifests=[{"ManifestName": "index"}],
        DashManifests=[{"ManifestName": "dash"}],
    )
    assert endpoint["Arn"].endswith(":channelGroup/sports/channel/court-1/originEndpoint/cmaf")
    assert endpoint["HlsManifests"][0]["Url"].endswith("/cmaf/index.m3u8")
    assert endpoint["DashManifests"][0]["Url"].endswith("/cmaf/dash.mpd")
    assert endpoint["CreatedAt"].tzinfo is not None  # a timestamp on the wire, parsed by botocore
    got = v2.get_origin_endpoint(ChannelGroupName="sports", ChannelName="court-1", OriginEndpointName="cmaf")
    assert got["StartoverWindowSeconds"] == 86_400 and got["ContainerType"] == "CMAF"
    assert [g["ChannelGroupName"] for g in v2.list_channel_groups()["Items"]] == ["sports"]
    assert [c["ChannelName"] for c in v2.list_channels(ChannelGroupName="sports")["Items"]] == ["court-1"]
    listed = v2.list_origin_endpoints(ChannelGroupName="sports", ChannelName="court-1")["Items"]
    assert [(e["OriginEndpointName"], e["DashManifests"][0]["ManifestName"]) for e in listed] == [("cmaf", "dash")]

    with pytest.raises(ClientError) as excinfo:  # a channel with endpoints is in use
        v2.delete_channel(ChannelGroupName="sports", ChannelName="court-1")
    code, response = error(excinfo)
    assert (code, response["ConflictExceptionType"]) == ("ConflictException", "RESOURCE_IN_USE")
    v2.delete_origin_endpoint(ChannelGroupName="sports", ChannelName="court-1", OriginEndpointName="cmaf")
    v2.delete_channel(ChannelGroupName="sports", ChannelName="court-1")
    v2.delete_channel_group(ChannelGroupName="sports")
    assert v2.list_channel_groups()["Items"] == []


def test_a_missing_resource_names_its_type(v2, channel):
    with pytest.raises(v2.exceptions.ResourceNotFoundException) as excinfo:
        v2.get_channel(ChannelGroupName="sports", ChannelName="nope")
    assert excinfo.value.response["ResourceTypeNotFound"] == "CHANNEL"
    with pytest.raises(v2.exceptions.ResourceNotFoundException) as excinfo:
        v2.get_origin_endpoint(ChannelGroupName="nope", ChannelName="court-1", OriginEndpointName="x")
    assert excinfo.value.response["ResourceTypeNotFound"] == "CHANNEL_GROUP"


def test_client_token_makes_a_create_idempotent_and_refuses_another_request(v2):
    token = str(uuid.uuid4())
    first = v2.create_channel_group(ChannelGroupName="g1", ClientToken=token, Description="a")
    again = v2.create_channel_group(ChannelGroupName="g1", ClientToken=token, Description="a")
    assert again["Arn"] == first["Arn"] and again["ETag"] == first["ETag"]
    with pytest.raises(v2.exceptions.ConflictException) as excinfo:
        v2.create_channel_group(ChannelGroupName="g1", ClientToken=token, Description="b")
    assert excinfo.value.response["ConflictExceptionType"] == "IDEMPOTENT_PARAMETER_MISMATCH"
    with pytest.raises(v2.exceptions.ConflictException) as excinfo:
        v2.create_channel_group(ChannelGroupName="g1")  # no token: the name is taken
    assert excinfo.value.response["ConflictExceptionType"] == "RESOURCE_ALREADY_EXISTS"


def ts_endpoint(v2, **settings):
    """CreateOriginEndpoint of a TS endpoint ``ts`` on the fixture's channel, with ``settings``."""
    names = {"ChannelGroupName": "sports", "ChannelName": "court-1", "OriginEndpointName": "ts"}
    return v2.create_origin_endpoint(**names, ContainerType="TS", **settings)


def test_quotas_and_endpoint_rules(v2, channel):
    for name in ("g2", "g3"):
        v2.create_channel_group(ChannelGroupName=name)
    with pytest.raises(v2.exceptions.ServiceQuotaExceededException):
        v2.create_channel_group(ChannelGroupName="g4")
    with pytest.raises(v2.exceptions.ValidationException) as excinfo:
        ts_endpoint(v2, DashManifests=[{"ManifestName": "dash"}])
    assert excinfo.value.response["ValidationExceptionType"] == "TS_CONTAINER_TYPE_WITH_DASH_MANIFEST"
    with pytest.raises(v2.exceptions.ValidationException, match="StartoverWindowSeconds must be between"):
        ts_endpoint(v2, StartoverWindowSeconds=1_209_601)
    with pytest.raises(v2.exceptions.ValidationException) as excinfo:
        ts_endpoint(v2, HlsManifests=[{"ManifestName": "index"}], LowLatencyHlsManifests=[{"ManifestName": "index"}])
    assert excinfo.value.response["ValidationExceptionType"] == "MANIFEST_NAME_COLLISION"


def test_policies_are_stored_and_must_name_their_resource(v2, channel):
    endpoint = ts_endpoint(v2)
    names = {"ChannelGroupName": "sports", "ChannelName": "court-1", "OriginEndpointName": "ts"}
    with pytest.raises(v2.exceptions.ResourceNotFoundException):
        v2.get_origin_endpoint_policy(**names)
    v2.put_origin_endpoint_policy(**names, Policy=endpoint_policy(endpoint["Arn"]))
    assert json.loads(v2.get_origin_endpoint_policy(**names)["Policy"])["Statement"][0]["Resource"] == endpoint["Arn"]
    with pytest.raises(v2.exceptions.ValidationException) as excinfo:
        v2.put_origin_endpoint_policy(**names, Policy=endpoint_policy(channel["Arn"]))
    assert excinfo.value.response["ValidationExceptionType"] == "INVALID_POLICY"
    v2.delete_origin_endpoint_policy(**names)
    with pytest.raises(v2.exceptions.ResourceNotFoundException):
        v2.get_origin_endpoint_policy(**names)
