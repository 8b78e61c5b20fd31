"""Tests for live_to_vod.schedule.destinations: destination overrides, and the manifest key as rendered."""

from __future__ import annotations

import pytest

from tests.live_to_vod.schedule.helpers import HEADER, assert_refused, entry, events_yaml, parse


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ("{s3_bucket: Bad_Bucket}", "destination.s3_bucket", "lowercase letters"),
        ("{s3_bucket: ''}", "destination.s3_bucket", "must not be empty"),
        ("{role_arn: 'arn:aws:iam::1:role/x'}", "destination.role_arn", "is not an IAM role ARN"),
        ("{packaging_group_id: 'a b'}", "destination.packaging_group_id", "1 to 256 characters"),
        ("{manifest_key: '{event}/index.m3u8'}", "destination.manifest_key", "unknown placeholder '{event}'"),
        ("{manifest_key: '{event_id}/index.mp4'}", "destination.manifest_key", "must end with '.m3u8'"),
        ("{manifest_key: '/{event_id}/x.m3u8'}", "destination.manifest_key", "leading '/'"),
        ("{manifest_key: '{event_id'}", "destination.manifest_key", "unbalanced braces"),
        ("{s3_bucket: 5}", "destination.s3_bucket", "must be text"),
        ("[a]", "destination", "must be a mapping"),
    ],
)
def test_destination_rules(value, field, words):
    assert_refused(entry(destination=value), ("game-1", field), words)


def test_good_destination_overrides_merge_over_the_defaults():
    header = HEADER + "defaults:\n  destination:\n    s3_bucket: archive\n    packaging_group_id: vod\n"
    value = "{packaging_group_id: '', role_arn: 'arn:aws-cn:iam::123456789012:role/h', manifest_key: '{date}/x.m3u8'}"
    events, errors = parse(events_yaml(entry(destination=value) + entry("plain", endpoint="b"), header))
    assert errors == []
    by_id = {e.event_id: e for e in events}
    assert dict(by_id["game-1"].destination) == {
        "s3_bucket": "archive",
        "packaging_group_id": "",
        "role_arn": "arn:aws-cn:iam::123456789012:role/h",
        "manifest_key": "{date}/x.m3u8",
    }
    assert dict(by_id["plain"].destination) == {"s3_bucket": "archive", "packaging_group_id": "vod"}


def test_a_role_arn_without_a_role_name_is_refused():
    text = entry(destination="{role_arn: 'arn:aws:iam::123456789012:role/service-role/'}")
    assert_refused(text, ("game-1", "destination.role_arn"), "is not an IAM role ARN")


def _long_key_entry(template: str, endpoints: str = "a", end: str = "2026-11-26 23:30", clips: str = "") -> str:
    text = entry(endpoint=endpoints, end=end, destination=f"{{manifest_key: '{template}'}}") + clips
    return text.replace("  endpoint: [", "  endpoints: [")


_KEY_1023 = "k" * 1012 + "/index.m3u8"  # 1023 bytes: S3 takes at most 1024
_CLIP = "  clips:\n    - {name: drive, start: 2026-11-26 20:20, end: 2026-11-26 20:30}\n"
_PER_ENDPOINT = "k" * 1000 + "/{origin_endpoint_id}/index.m3u8"  # 1013 bytes for endpoint "a"


def test_a_manifest_key_of_1023_bytes_loads():
    events, errors = parse(events_yaml(_long_key_entry(_KEY_1023)))
    assert errors == [] and len(events) == 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param(_long_key_entry(_PER_ENDPOINT, "[a, " + "b" * 40 + "]"), "(rendered)", id="second-endpoint"),
        pytest.param(_long_key_entry(_KEY_1023, "[a, b]"), "(output full from a,", id="endpoint-folder"),
        pytest.param(_long_key_entry(_KEY_1023, end="2026-11-27 23:30"), "(output part-01 from a,", id="part-folder"),
        pytest.param(_long_key_entry(_KEY_1023, clips=_CLIP), "(output clip-drive from a,", id="clip-folder"),
    ],
)
def test_the_manifest_key_is_checked_for_every_endpoint_and_output_it_names(text, words):
    """Every key the validate task derives is checked at load time: the template rendered per
    endpoint, then the outputs' folders (endpoint, part-NN, clips/<name>) under it. A key that only
    one of them pushed past S3's 1024 bytes used to load, then fail the run after the event."""
    error = assert_refused(text, ("game-1", "destination.manifest_key"), words)
    assert "S3 keys have at most 1024" in error.message, error.message
