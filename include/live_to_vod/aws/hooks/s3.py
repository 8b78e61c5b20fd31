"""The S3 hook the verify steps read assets with: the provider's ``S3Hook``, whose clients parse
response timestamps with a C-speed ISO 8601 parser.

Every key of a ListObjectsV2 page carries a ``LastModified`` time, and botocore parses each with
dateutil (~85 us): listing a 24-hour, six-rendition harvest (about 260,000 objects) cost ~22 s of
a worker's CPU on times the verification never reads. botocore lets a session choose the
timestamp parser of the response parsers it makes (its ``response_parser_factory`` defaults);
S3 sends ISO 8601 in UTC, which ``pendulum.DateTime.fromisoformat`` reads in ~1 us. Anything
else goes to botocore's own parser, so every time still parses as botocore would read it.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from live_to_vod.aws.hooks.user_agent import CallerFromFramesMixin


def parse_timestamp(value: Any) -> Any:
    """An AWS response time: ISO 8601 the fast way, anything else (epoch seconds, RFC 822) as botocore does."""
    if isinstance(value, str):
        try:
            return pendulum.DateTime.fromisoformat(value)
        except ValueError:
            pass
    return botocore_parse_timestamp(value)


def with_fast_timestamps(session: Any) -> Any:
    """``session`` (boto3's, or a botocore/aiobotocore session), its clients made from now on
    parsing times with :func:`parse_timestamp`."""
    botocore_session = getattr(session, "_session", session)  # boto3 keeps its botocore session there
    factory = botocore_session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    return session


class AssetS3Hook(CallerFromFramesMixin, S3Hook):
    """``S3Hook`` for reading harvested assets: the same connection, credentials and client, with
    response times parsed by :func:`parse_timestamp` (see the module's note). Takes every argument
    ``S3Hook`` takes."""

    def get_session(self, region_name: str | None = None, deferrable: bool = False) -> Any:
        return with_fast_timestamps(super().get_session(region_name=region_name, deferrable=deferrable))
