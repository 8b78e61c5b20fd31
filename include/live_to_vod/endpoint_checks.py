"""Can this origin endpoint deliver this harvest? Checked before the job is created.

Pure domain module. :func:`assess_endpoint` reads a
``DescribeOriginEndpoint`` response (the boto3 dict) and names every reason the
harvest would fail or produce an asset the rest of the pipeline cannot use, so the
run fails early with a clear message instead of a bare FAILED job status (the
harvest API gives no failure reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pendulum

from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.limits import MAX_HARVEST_DURATION
from live_to_vod.times import duration_text

__all__ = ["EndpointAssessment", "assess_endpoint"]

_OTHER_PACKAGES = ("DashPackage", "CmafPackage", "MssPackage")


@dataclass(frozen=True)
class EndpointAssessment:
    """What :func:`assess_endpoint` found: problems block the harvest, warnings do not."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    #: The endpoint's ``TimeDelaySeconds`` (0 when absent): the harvest waits this long after the end.
    time_delay_seconds: int
    #: The endpoint's ``StartoverWindowSeconds``; None when startover is off.
    startover_seconds: int | None

    @property
    def ok(self) -> bool:
        return not self.problems


def assess_endpoint(
    endpoint: Mapping,
    window: HarvestWindow,
    now: pendulum.DateTime,
    *,
    vod_handoff: bool,
    ready_at: pendulum.DateTime | None = None,
) -> EndpointAssessment:
    """Check ``endpoint`` (a DescribeOriginEndpoint response) against ``window``.

    ``ready_at`` is when the harvest will be created (end + delay + margin); the
    startover check uses the later of ``now`` and ``ready_at``, because content
    keeps expiring while the pipeline waits. ``vod_handoff`` says whether the asset
    goes to MediaPackage VOD, which cannot ingest an encrypted asset.
    """
    endpoint_id = endpoint.get("Id") or "(no Id)"
    startover = _whole_seconds(endpoint.get("StartoverWindowSeconds")) or None  # absent or 0: off
    delay = _whole_seconds(endpoint.get("TimeDelaySeconds")) or 0
    hls = endpoint.get("HlsPackage")
    harvest_at = max(now, ready_at) if ready_at is not None else now
    problems: list[str] = []
    warnings: list[str] = []

    if startover is None:
        problems.append(
            f"startover is off on endpoint {endpoint_id}: nothing can be harvested; set StartoverWindowSeconds"
        )
    if not isinstance(hls, Mapping):
        others = [name for name in _OTHER_PACKAGES if endpoint.get(name)]
        kind = f" (it has {', '.join(others)})" if others else ""
        problems.append(
            f"endpoint {endpoint_id} has no HlsPackage{kind}: only HLS endpoints are harvested by this pipeline"
        )

    if startover is not None:
        # MediaPackage keeps the last `startover` seconds: the window must start inside them.
        earliest = harvest_at.subtract(seconds=startover)
        if window.start < earliest:
            lost_at = window.start.add(seconds=startover)
            if harvest_at <= now:
                when = (
                    f"content before {_iso(earliest)} is gone, "
                    f"so this window can no longer be harvested since {_iso(lost_at)}"
                )
            else:
                when = (
                    f"when the harvest runs at {_iso(harvest_at)} content before {_iso(earliest)} will be gone, "
                    f"so this window cannot be harvested after {_iso(lost_at)}"
                )
            problems.append(
                f"the window starts at {_iso(window.start)} but endpoint {endpoint_id} keeps only {startover} s: {when}"
            )

    if window.duration > MAX_HARVEST_DURATION:
        problems.append(f"the window is {duration_text(window.duration)} long, longer than the 24-hour harvest limit")

    if isinstance(hls, Mapping):
        if hls.get("Encryption") and vod_handoff:
            problems.append(
                f"endpoint {endpoint_id} is encrypted: MediaPackage VOD cannot ingest an encrypted asset; "
                "harvest from an unencrypted endpoint of the same channel (Origination=DENY) "
                "or clear packaging_group_id"
            )
        if not _whole_seconds(hls.get("ProgramDateTimeIntervalSeconds")):
            warnings.append(
                f"endpoint {endpoint_id} sends no EXT-X-PROGRAM-DATE-TIME: the harvest cuts by PDT, "
                "so windows may be inaccurate; set HlsPackage.ProgramDateTimeIntervalSeconds"
            )
    # Origination=DENY is fine: harvesting does not go through playback, and it is the
    # recommended setup for a clear endpoint kept only for live-to-VOD.

    return EndpointAssessment(
        problems=tuple(problems),
        warnings=tuple(warnings),
        time_delay_seconds=delay,
        startover_seconds=startover,
    )


def _whole_seconds(value: object) -> int | None:
    """An int setting from the response, or None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _iso(t: pendulum.DateTime) -> str:
    return t.in_timezone("UTC").to_iso8601_string()
