"""MediaPackage VOD through unmodified boto3 clients: groups, configurations, assets and their outcomes."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import m3u8
import pytest

from localrun.seed import TRUST_MEDIAPACKAGE, vod_role_policy

BUCKET = "vod-source"
PARENT = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.64001e",RESOLUTION=320x180
index_1.m3u8
"""
CHILD = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T19:00:00.000+00:00
#EXTINF:2.000,
index_1_00001.ts
#EXTINF:2.000,
index_1_00002.ts
#EXT-X-ENDLIST
"""


@pytest.fixture
def vod(aws):
    return aws["mediapackage-vod"]


@pytest.fixture
def source(aws):
    """A small HLS asset in S3 and a role that may read it."""
    s3, iam = aws["s3"], aws["iam"]
    s3.create_bucket(Bucket=BUCKET)
    put_asset(s3, "game", PARENT, CHILD)
    role = iam.create_role(RoleName="vod-source", AssumeRolePolicyDocument=json.dumps(TRUST_MEDIAPACKAGE))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="vod-source", PolicyName="read", PolicyDocument=json.dumps(vod_role_policy(BUCKET)))
    return role


def put_asset(s3, prefix: str, parent: str, child: str) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key=f"{prefix}/index.m3u8",
        Body=parent.encode(),
        ContentType="application/vnd.apple.mpegurl",
    )
    s3.put_object(
        Bucket=BUCKET,
        Key=f"{prefix}/index_1.m3u8",
        Body=child.encode(),
        ContentType="application/vnd.apple.mpegurl",
    )
    for n in (1, 2):
        s3.put_object(
            Bucket=BUCKET,
            Key=f"{prefix}/index_1_0000{n}.ts",
            Body=b"\x47" * 188 * 10,
            ContentType="video/MP2T",
        )


@pytest.fixture
def group(vod):
    vod.create_packaging_group(Id="pg")
    vod.create_packaging_configuration(
        Id="hls", PackagingGroupId="pg", HlsPackage={"HlsManifests": [{"ManifestName": "main"}]}
    )
    return "pg"


def wait_settled(vod, asset_id: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        asset = vod.describe_asset(Id=asset_id)
        statuses = {e["Status"] for e in asset["EgressEndpoints"]}
        seen |= statuses
        if statuses <= {"PLAYABLE", "FAILED"}:
            asset["_seen"] = seen
            return asset
        time.sleep(0.05)
    raise AssertionError(f"asset {asset_id} did not settle: {statuses}")


def test_groups_and_configurations(vod, group):
    described = vod.describe_packaging_group(Id="pg")
    assert described["Arn"] == "arn:aws:mediapackage-vod:us-east-1:123456789012:packaging-groups/pg"
    assert [g["Id"] for g in vod.list_packaging_groups()["PackagingGroups"]] == ["pg"]
    config = vod.describe_packaging_configuration(Id="hls")
    assert config["HlsPackage"]["HlsManifests"][0]["ManifestName"] == "main"
    assert [c["Id"] for c in vod.list_packaging_configurations(PackagingGroupId="pg")["PackagingConfigurations"]] == [
        "hls"
    ]
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="already exists"):
        vod.create_packaging_group(Id="pg")
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="packaging group nope does not exist"):
        vod.create_packaging_configuration(Id="x", PackagingGroupId="nope", HlsPackage={"HlsManifests": [{}]})
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="still has packaging configurations"):
        vod.delete_packaging_group(Id="pg")
    vod.delete_packaging_configuration(Id="hls")
    vod.delete_packaging_group(Id="pg")
    with pytest.raises(vod.exceptions.NotFoundException):
        vod.describe_packaging_group(Id="pg")


def create_game_asset(vod, role: str, asset_id: str = "game", group: str = "pg") -> dict:
    """An asset of the ``game`` source in S3, read with ``role``."""
    return vod.create_asset(
        Id=asset_id, PackagingGroupId=group, SourceArn=f"arn:aws:s3:::{BUCKET}/game/index.m3u8", SourceRoleArn=role
    )


def test_asset_becomes_playable_and_plays(vod, group, source):
    created = create_game_asset(vod, source)
    assert [e["Status"] for e in created["EgressEndpoints"]] == ["QUEUED"]
    asset = wait_settled(vod, "game")
    assert "PROCESSING" in asset["_seen"]
    endpoint = asset["EgressEndpoints"][0]
    assert endpoint["Status"] == "PLAYABLE" and endpoint["PackagingConfigurationId"] == "hls"
    assert endpoint["Url"].endswith("/main.m3u8")
    parent = m3u8.loads(urllib.request.urlopen(endpoint["Url"]).read().decode(), uri=endpoint["Url"])
    assert parent.is_variant
    child_url = parent.playlists[0].absolute_uri
    child = m3u8.loads(urllib.request.urlopen(child_url).read().decode(), uri=child_url)
    assert child.is_endlist and len(child.segments) == 2
    with urllib.request.urlopen(child.segments[0].absolute_uri) as segment:
        assert segment.read().startswith(b"\x47")
        assert segment.headers["Access-Control-Allow-Origin"] == "*"  # a web page's player (hls.js) may read it
    assert [a["Id"] for a in vod.list_assets(PackagingGroupId="pg")["Assets"]] == ["game"]
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="asset game already exists"):
        create_game_asset(vod, source)
    vod.delete_asset(Id="game")
    with pytest.raises(vod.exceptions.NotFoundException):
        vod.describe_asset(Id="game")


def test_asset_failures(aws, vod, group, source):
    s3, iam = aws["s3"], aws["iam"]
    put_asset(s3, "media-only", CHILD, CHILD)
    put_asset(
        s3,
        "encrypted",
        PARENT,
        CHILD.replace("#EXT-X-PROGRAM", '#EXT-X-KEY:METHOD=AES-128,URI="https://k/1"\n#EXT-X-PROGRAM'),
    )
    put_asset(s3, "live", PARENT, CHILD.replace("#EXT-X-ENDLIST\n", "").replace("#EXT-X-PLAYLIST-TYPE:VOD\n", ""))
    iam.create_role(
        RoleName="untrusting", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    cases = {
        "missing": (f"arn:aws:s3:::{BUCKET}/nothing/index.m3u8", source),
        "media-only": (f"arn:aws:s3:::{BUCKET}/media-only/index.m3u8", source),
        "encrypted": (f"arn:aws:s3:::{BUCKET}/encrypted/index.m3u8", source),
        "live": (f"arn:aws:s3:::{BUCKET}/live/index.m3u8", source),
        "unreadable": (f"arn:aws:s3:::{BUCKET}/game/index.m3u8", "arn:aws:iam::123456789012:role/untrusting"),
        "no-role": (f"arn:aws:s3:::{BUCKET}/game/index.m3u8", "arn:aws:iam::123456789012:role/none"),
    }
    for asset_id, (arn, role) in cases.items():
        vod.create_asset(Id=asset_id, PackagingGroupId="pg", SourceArn=arn, SourceRoleArn=role)
    for asset_id in cases:
        asset = wait_settled(vod, asset_id)
        assert [e["Status"] for e in asset["EgressEndpoints"]] == ["FAILED"], asset_id
        assert urllib.request.urlopen  # the Url of a failed asset plays nothing
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(asset["EgressEndpoints"][0]["Url"])


CMAF_CHILD = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init_1.mp4"
#EXTINF:2.000,
index_1_00001.m4s
#EXTINF:2.000,
index_1_00002.m4s
#EXT-X-ENDLIST
"""


def test_fmp4_source_fails_before_any_segment_is_copied(aws, stack, vod, group, source, monkeypatch):
    """AWS ingests HLS over MPEG-TS (or MP4 through .smil): fMP4/CMAF renditions fail the asset."""
    s3 = aws["s3"]
    put_asset(s3, "cmaf", PARENT, CMAF_CHILD)
    for name in ("init_1.mp4", "index_1_00001.m4s", "index_1_00002.m4s"):
        s3.put_object(Bucket=BUCKET, Key=f"cmaf/{name}", Body=b"\0\0\0\x18ftypiso6", ContentType="video/mp4")
    # No EXT-X-MAP, but .mp4 segments: fragmented MP4 all the same.
    put_asset(s3, "mp4", PARENT, CHILD.replace(".ts", ".mp4"))
    # A TS rendition listed before the fMP4 one: its segments must not be read either.
    s3.put_object(
        Bucket=BUCKET,
        Key="mixed/index.m3u8",
        Body=(PARENT + '#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.64001f"\nindex_2.m3u8\n').encode(),
    )
    s3.put_object(Bucket=BUCKET, Key="mixed/index_1.m3u8", Body=CHILD.encode())
    s3.put_object(Bucket=BUCKET, Key="mixed/index_2.m3u8", Body=CMAF_CHILD.replace("index_1", "index_2").encode())
    backend = stack.stack.vod
    read: list[str] = []
    get_object = backend.sibling.get_object
    monkeypatch.setattr(backend.sibling, "get_object", lambda b, k: read.append(k) or get_object(b, k))
    for asset_id in ("cmaf", "mp4", "mixed"):
        vod.create_asset(
            Id=asset_id,
            PackagingGroupId="pg",
            SourceArn=f"arn:aws:s3:::{BUCKET}/{asset_id}/index.m3u8",
            SourceRoleArn=source,
        )
    expected = {"cmaf": "index_1.m3u8", "mp4": "index_1.m3u8", "mixed": "index_2.m3u8"}
    for asset_id, rendition in expected.items():
        asset = wait_settled(vod, asset_id)
        assert [e["Status"] for e in asset["EgressEndpoints"]] == ["FAILED"], asset_id
        assert backend.assets[("us-east-1", asset_id)].failure == (
            f"{rendition} has fMP4 (CMAF) segments: MediaPackage VOD ingests HLS over MPEG-TS"
            " or MP4 through a .smil manifest"
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(asset["EgressEndpoints"][0]["Url"])
    assert all(k.endswith(".m3u8") for k in read), read


def test_create_asset_rejects_bad_input(vod, group, source):
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="SourceArn"):
        vod.create_asset(Id="a", PackagingGroupId="pg", SourceArn="s3://bucket/key.m3u8", SourceRoleArn=source)
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="SourceRoleArn"):
        create_game_asset(vod, "role", asset_id="a")
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="packaging group nope"):
        create_game_asset(vod, source, asset_id="a", group="nope")
    assert vod.list_assets()["Assets"] == []


def test_remaining_vod_operations(vod, group):
    updated = vod.update_packaging_group(
        Id="pg",
        Authorization={
            "CdnIdentifierSecret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
            "SecretsRoleArn": "arn:aws:iam::123456789012:role/s",
        },
    )
    assert updated["Authorization"]["SecretsRoleArn"].endswith("role/s")
    logged = vod.configure_logs(Id="pg", EgressAccessLogs={"LogGroupName": "/aws/MediaPackage/VodEgress"})
    assert logged["EgressAccessLogs"] == {"LogGroupName": "/aws/MediaPackage/VodEgress"}
    arn = vod.describe_packaging_group(Id="pg")["Arn"]
    vod.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
    vod.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert vod.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    with pytest.raises(vod.exceptions.UnprocessableEntityException, match="exactly one of"):
        vod.create_packaging_configuration(Id="none", PackagingGroupId="pg")
    dash = vod.create_packaging_configuration(Id="dash", PackagingGroupId="pg", DashPackage={"DashManifests": [{}]})
    assert dash["DashPackage"]
    for i in range(5):
        vod.create_packaging_group(Id=f"g{i}")
    pages = list(vod.get_paginator("list_packaging_groups").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and sum(len(p["PackagingGroups"]) for p in pages) == 6
