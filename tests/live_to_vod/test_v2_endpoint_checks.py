"""v2 endpoint checks: what CreateHarvestJob would refuse, found before anything is created, each
problem naming the endpoint and the fix; and the verdicts agree with the local stack's."""

from __future__ import annotations

import json

import pendulum
import pytest

from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.v2_endpoint_checks import assess_v2_endpoint, default_manifests
from localrun.seed import v2_endpoint_policy

ACCOUNT = "123456789012"
NOW = pendulum.datetime(2026, 12, 4, 21, 0, tz="UTC")
WINDOW = HarvestWindow(NOW.subtract(hours=3), NOW.subtract(minutes=10))
ARN = f"arn:aws:mediapackagev2:us-east-1:{ACCOUNT}:channelGroup/g/channel/c/originEndpoint/cmaf"
POLICY = json.dumps(v2_endpoint_policy(ACCOUNT, "us-east-1", "g", "c", "cmaf"))


def endpoint(**changes):
    base = {
        "Arn": ARN,
        "ChannelGroupName": "g",
        "ChannelName": "c",
        "OriginEndpointName": "cmaf",
        "ContainerType": "CMAF",
        "StartoverWindowSeconds": 86_400,
        "HlsManifests": [{"ManifestName": "index"}],
        "LowLatencyHlsManifests": [{"ManifestName": "low-latency"}],
        "DashManifests": [{"ManifestName": "dash"}],
    }
    return {**base, **changes}


def assess(ep=None, policy=POLICY, manifests=None, window=WINDOW, harvest_at=NOW):
    ep = ep or endpoint()
    wanted = default_manifests(ep) if manifests is None else manifests
    return assess_v2_endpoint(ep, policy, wanted, window, account_id=ACCOUNT, harvest_at=harvest_at)


def test_the_seeded_endpoint_and_its_policy_pass_and_every_hls_and_dash_manifest_is_the_default():
    assert default_manifests(endpoint()) == {
        "HlsManifests": [{"ManifestName": "index"}],
        "DashManifests": [{"ManifestName": "dash"}],
    }
    result = assess()
    assert result.ok and result.startover_seconds == 86_400


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"ep": endpoint(StartoverWindowSeconds=None)}, "has no startover window"),
        ({"ep": endpoint(StartoverWindowSeconds=3600)}, "keeps only 3600 s"),
        ({"window": HarvestWindow(NOW.subtract(hours=26), NOW.subtract(hours=1))}, "longer than the 24-hour"),
        (
            {"manifests": {"HlsManifests": [{"ManifestName": "nope"}]}},
            "HlsManifests 'nope' is not on endpoint g/c/cmaf",
        ),
        ({"ep": endpoint(HlsManifests=[], DashManifests=[])}, "no manifest to harvest"),
        (
            {"ep": endpoint(HlsManifests=[{"ManifestName": "index", "FilterConfiguration": {"Start": NOW}}])},
            "has Start in its FilterConfiguration",
        ),
        ({"policy": None}, "has no endpoint policy"),
        ({"policy": "{not json"}, "is not JSON"),
        (
            {"policy": POLICY.replace('"mediapackagev2:GetObject"', '"mediapackagev2:ListObjects"')},
            "does not allow mediapackagev2.amazonaws.com mediapackagev2:GetObject",
        ),
        ({"policy": POLICY.replace(ACCOUNT + '"', '999999999999"')}, "does not allow"),  # another account's
        ({"policy": POLICY.replace("originEndpoint/cmaf", "originEndpoint/other")}, "does not allow"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_refusal_is_named_with_its_fix(kwargs, expected):
    result = assess(**kwargs)
    assert not result.ok
    assert any(expected in problem for problem in result.problems), result.problems


def test_a_rendition_filter_is_fine_and_a_deny_wins():
    filtered = endpoint(
        HlsManifests=[{"ManifestName": "index", "FilterConfiguration": {"ManifestFilter": "height:720"}}]
    )
    assert assess(filtered).ok
    document = json.loads(POLICY)
    deny = {**document["Statement"][0], "Effect": "Deny", "Action": "mediapackagev2:HarvestObject"}
    document["Statement"].append(deny)
    assert "mediapackagev2:HarvestObject" in assess(policy=json.dumps(document)).problems[0]


def test_startover_is_judged_when_the_job_will_be_created():
    window = HarvestWindow(NOW.subtract(minutes=50), NOW.add(minutes=30))  # a game still on
    ep = endpoint(StartoverWindowSeconds=3600)
    assert assess(ep, window=window).ok
    assert not assess(ep, window=window, harvest_at=NOW.add(minutes=20)).ok


def test_the_verdict_agrees_with_the_local_stack(stack, aws):
    from localrun.seed import DEMO_V2, seed

    seed(stack.stack.settings, with_encoder=False)
    v2 = aws["mediapackagev2"]
    names = {"ChannelGroupName": DEMO_V2["channel_group"], "ChannelName": DEMO_V2["channel"]}
    names["OriginEndpointName"] = DEMO_V2["cmaf_endpoint"]
    live = v2.get_origin_endpoint(**names)
    policy = v2.get_origin_endpoint_policy(**names)["Policy"]
    now = pendulum.now("UTC")
    window = HarvestWindow(now.subtract(minutes=5), now.add(minutes=5))
    check = {"account_id": ACCOUNT, "harvest_at": now}
    assert assess_v2_endpoint(live, policy, default_manifests(live), window, **check).ok
    v2.delete_origin_endpoint_policy(**names)
    (problem,) = assess_v2_endpoint(live, None, default_manifests(live), window, **check).problems
    assert "has no endpoint policy" in problem
    with pytest.raises(v2.exceptions.ValidationException) as refused:
        v2.create_harvest_job(
            **names,
            HarvestedManifests=default_manifests(live),
            ScheduleConfiguration={"StartTime": window.start, "EndTime": window.end},
            Destination={"S3Destination": {"BucketName": "live-to-vod-demo", "DestinationPath": "x"}},
        )
    assert refused.value.response["ValidationExceptionType"] == "HARVEST_JOB_CUSTOMER_ENDPOINT_READ_ACCESS_DENIED"
