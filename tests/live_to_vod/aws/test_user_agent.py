"""The user agent's ``Caller``: found from frames, the same answer as the amazon provider's."""

from __future__ import annotations

import inspect

import pytest
from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

from live_to_vod.aws.hooks.mediapackage import MediaPackageHook
from live_to_vod.aws.hooks.s3 import AssetS3Hook


def callers(hook):
    """(ours, the provider's) for the same stack."""
    return hook._get_caller(), AwsGenericHook._get_caller(hook)


class DescribeSomethingOperator:
    def __init__(self, hook):
        self.hook = hook

    def execute(self, context):
        return callers(self.hook)


class HarvestDoneSensor:
    def __init__(self, hook):
        self.hook = hook

    def poke(self, context):
        return callers(self.hook)


class BaseSensorOperator:  # named as the provider's: the caller is then the sensor that poked
    def __init__(self, sensor):
        self.sensor = sensor

    def execute(self, context):
        return self.sensor.poke(context)


@pytest.mark.parametrize("hook_class", [MediaPackageHook, AssetS3Hook])
def test_caller_is_the_operator_as_the_provider_finds_it(hook_class):
    ours, providers = DescribeSomethingOperator(hook_class(aws_conn_id=None)).execute({})
    assert ours == providers == "DescribeSomethingOperator"


def test_a_sensor_base_names_the_sensor_that_poked():
    ours, providers = BaseSensorOperator(HarvestDoneSensor(MediaPackageHook(aws_conn_id=None))).execute({})
    assert ours == providers == "HarvestDoneSensor"


def test_no_operator_on_the_stack_is_unknown():
    assert MediaPackageHook(aws_conn_id=None)._get_caller() == "Unknown"


def test_does_not_read_the_stack_with_inspect(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("inspect.stack() reads every frame's source")

    monkeypatch.setattr(inspect, "stack", refuse)
    hook = MediaPackageHook(aws_conn_id=None)

    class CreateOperator:
        def execute(self, context):
            return hook._get_caller()

    assert CreateOperator().execute({}) == "CreateOperator"
