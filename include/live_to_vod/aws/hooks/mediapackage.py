"""Thin hooks for MediaPackage v1 and MediaPackage VOD, with the project's custom waiters."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from botocore.waiter import WaiterModel

WAITERS = Path(__file__).resolve().parents[1] / "waiters"


class _WaiterStateMixin:
    """Evaluates one Describe response against a waiter's acceptors.

    The waiter JSON is the single definition of "done", "failed" and "keep waiting": the sync
    waiter, the reschedule-mode sensor and the async trigger all judge responses by it.
    """

    client_type: str

    @cached_property
    def waiter_path(self) -> Path:  # the provider looks next to its own hooks; ours live here
        return WAITERS / f"{self.client_type}.json"

    @cached_property
    def _waiter_model(self) -> WaiterModel:
        return WaiterModel(json.loads(self.waiter_path.read_text()))

    def waiter_state(self, waiter_name: str, response: dict[str, Any]) -> str:
        """``success``, ``failure`` or ``retry`` for ``response``, by the waiter's acceptors."""
        for acceptor in self._waiter_model.get_waiter(waiter_name).acceptors:
            if acceptor.matcher_func(response):
                return acceptor.state
        return "retry"


class MediaPackageHook(_WaiterStateMixin, AwsBaseHook):
    """Interact with AWS Elemental MediaPackage (v1): origin endpoints and harvest jobs.

    A thin wrapper: ``hook.conn`` is the boto3 ``mediapackage`` client. Waiters:
    ``harvest_job_complete``.

    :param aws_conn_id: the Airflow connection for AWS (``aws_default``).
    :param region_name: AWS region; the connection's region when not given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "mediapackage"
        super().__init__(*args, **kwargs)


class MediaPackageVodHook(_WaiterStateMixin, AwsBaseHook):
    """Interact with AWS Elemental MediaPackage VOD: packaging groups and assets.

    ``hook.conn`` is the boto3 ``mediapackage-vod`` client. Waiters: ``asset_playable``.

    :param aws_conn_id: the Airflow connection for AWS (``aws_default``).
    :param region_name: AWS region; the connection's region when not given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "mediapackage-vod"
        super().__init__(*args, **kwargs)
