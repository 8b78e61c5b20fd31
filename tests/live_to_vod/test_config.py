"""Tests for live_to_vod.config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from live_to_vod.config import ConfigError, DeploymentConfig, settings_table

ALL_VARS = {
    "LIVE_TO_VOD_AWS_CONN_ID": "aws_media",
    "LIVE_TO_VOD_S3_BUCKET": "vod-bucket",
    "LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE": "{date}/{event_id}/main.m3u8",
    "LIVE_TO_VOD_HARVEST_ROLE_ARN": "arn:aws:iam::123456789012:role/harvest",
    "LIVE_TO_VOD_PACKAGING_GROUP_ID": "pg-main",
    "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN": "arn:aws:iam::123456789012:role/vod-read",
    "LIVE_TO_VOD_END_MARGIN_SECONDS": "0",
    "LIVE_TO_VOD_MAX_FUTURE_HOURS": "72",
    "LIVE_TO_VOD_AWS_PARTITION": "aws-cn",
    "LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES": "30",
    "LIVE_TO_VOD_VOD_TIMEOUT_MINUTES": "15",
    "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/harvest-notifications",
    "LIVE_TO_VOD_SENSOR_MODE": "poke",
    "LIVE_TO_VOD_VERIFY_FULL_MAX_MIB": "64",
}
INT_VARS = [
    "LIVE_TO_VOD_END_MARGIN_SECONDS",
    "LIVE_TO_VOD_MAX_FUTURE_HOURS",
    "LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES",
    "LIVE_TO_VOD_VOD_TIMEOUT_MINUTES",
    "LIVE_TO_VOD_VERIFY_FULL_MAX_MIB",
]


def test_defaults_when_nothing_is_set():
    config = DeploymentConfig.from_env({})
    assert config == DeploymentConfig()
    assert config.aws_conn_id == "aws_default"
    assert config.s3_bucket == ""
    assert config.manifest_key_template == "{event_id}/index.m3u8"
    assert config.harvest_role_arn == config.packaging_group_id == config.vod_source_role_arn == ""
    assert (config.end_margin_seconds, config.max_future_hours) == (60, 48)
    assert config.aws_partition == "aws"
    assert (config.harvest_timeout_minutes, config.vod_timeout_minutes) == (120, 60)
    assert config.verify_full_max_mib == 512


def test_reads_every_variable():
    config = DeploymentConfig.from_env(ALL_VARS)
    assert config == DeploymentConfig(
        aws_conn_id="aws_media",
        s3_bucket="vod-bucket",
        manifest_key_template="{date}/{event_id}/main.m3u8",
        harvest_role_arn="arn:aws:iam::123456789012:role/harvest",
        packaging_group_id="pg-main",
        vod_source_role_arn="arn:aws:iam::123456789012:role/vod-read",
        end_margin_seconds=0,
        max_future_hours=72,
        aws_partition="aws-cn",
        harvest_timeout_minutes=30,
        vod_timeout_minutes=15,
        notification_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/harvest-notifications",
        sensor_mode="poke",
        verify_full_max_mib=64,
    )


def test_empty_and_blank_values_mean_default_and_values_are_stripped():
    env = {name: "  " for name in ALL_VARS} | {
        "LIVE_TO_VOD_S3_BUCKET": "  vod-bucket\n",
        "LIVE_TO_VOD_VOD_TIMEOUT_MINUTES": " 5 ",
    }
    config = DeploymentConfig.from_env(env)
    assert config == DeploymentConfig(s3_bucket="vod-bucket", vod_timeout_minutes=5)


def test_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("LIVE_TO_VOD_S3_BUCKET", "from-environ")
    monkeypatch.setenv("LIVE_TO_VOD_MAX_FUTURE_HOURS", "12")
    config = DeploymentConfig.from_env()
    assert (config.s3_bucket, config.max_future_hours) == ("from-environ", 12)


@pytest.mark.parametrize("name", INT_VARS)
@pytest.mark.parametrize("raw", ["abc", "1.5", "1e3", "1_000", "٣", "0x10", "99999999999"])
def test_bad_int_names_the_variable(name, raw):
    with pytest.raises(ConfigError, match=name) as caught:
        DeploymentConfig.from_env({name: raw})
    assert "whole number" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("LIVE_TO_VOD_END_MARGIN_SECONDS", "-1"),
        ("LIVE_TO_VOD_MAX_FUTURE_HOURS", "0"),
        ("LIVE_TO_VOD_HARVEST_TIMEOUT_MINUTES", "0"),
        ("LIVE_TO_VOD_VOD_TIMEOUT_MINUTES", "-5"),
        ("LIVE_TO_VOD_VERIFY_FULL_MAX_MIB", "-1"),
    ],
)
def test_int_below_minimum_names_the_variable(name, raw):
    with pytest.raises(ConfigError, match=f"{name}=.*too small"):
        DeploymentConfig.from_env({name: raw})


def test_verify_full_max_mib_may_be_zero_and_defaults_to_the_verifier_s_own_threshold():
    from live_to_vod.verification.limits import DEFAULT_FULL_MAX_BYTES, MiB

    assert DeploymentConfig().verify_full_max_mib * MiB == DEFAULT_FULL_MAX_BYTES
    # 0: only an asset without segment bytes is read in full; everything else is sampled.
    assert DeploymentConfig.from_env({"LIVE_TO_VOD_VERIFY_FULL_MAX_MIB": "0"}).verify_full_max_mib == 0


def test_huge_bad_value_is_clipped_in_the_message():
    with pytest.raises(ConfigError) as caught:
        DeploymentConfig.from_env({"LIVE_TO_VOD_MAX_FUTURE_HOURS": "x" * 100_000})
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("partition", ["AWS", "aws cn", "arn:aws", "-", "aws\n-cn"])
def test_bad_partition_is_refused(partition):
    with pytest.raises(ConfigError, match="LIVE_TO_VOD_AWS_PARTITION"):
        DeploymentConfig.from_env({"LIVE_TO_VOD_AWS_PARTITION": partition})


def test_config_error_is_a_value_error_and_config_is_frozen():
    assert issubclass(ConfigError, ValueError)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DeploymentConfig().s3_bucket = "x"  # type: ignore[misc]


def test_every_variable_has_its_meaning_in_the_settings_table():
    table = settings_table()
    for name in ALL_VARS:
        assert f"| `{name}` |" in table


def test_unknown_sensor_mode_is_refused_naming_the_variable():
    with pytest.raises(ConfigError, match="LIVE_TO_VOD_SENSOR_MODE='smart' is not one of reschedule, poke"):
        DeploymentConfig.from_env({"LIVE_TO_VOD_SENSOR_MODE": "smart"})
    assert DeploymentConfig.from_env({}).sensor_mode == "reschedule"


def test_the_settings_table_in_the_docs_is_rendered_from_the_config():
    page = (Path(__file__).resolve().parents[2] / "docs" / "pipeline.md").read_text()
    start = page.index("<!-- settings table: generated")
    block = page[page.index("\n", start) + 1 : page.index("<!-- end of settings table -->")].strip()
    assert block == settings_table(), "docs/pipeline.md is stale: paste `python -m live_to_vod.config` into it"
    # Every variable from_env reads is in it.
    assert {line.split("`")[1] for line in block.splitlines()[2:]} == {
        f.metadata["env"] for f in dataclasses.fields(DeploymentConfig)
    }
