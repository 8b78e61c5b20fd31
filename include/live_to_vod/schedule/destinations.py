"""Where a schedule entry's outputs land: its ``destination:`` overrides, each checked on its own
when read, and the manifest key template checked as rendered for the event.

Pure domain module. The rules are the shared ones (:mod:`live_to_vod.field_rules`,
:mod:`live_to_vod.manifest_keys`): a schedule refuses at load time what a run would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from live_to_vod.field_rules import RESOURCE_ID, bucket_name_problems, manifest_key_problems, role_arn_problem
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.manifest_keys import TemplateError, output_manifest_key, render_manifest_key
from live_to_vod.naming import FULL_OUTPUT, clip_output, part_output
from live_to_vod.outputs import split_window
from live_to_vod.schedule.yaml_reader import quote_hint
from live_to_vod.text import show
from live_to_vod.times import utc_datetime

__all__ = ["DESTINATION_FIELDS", "destination_problem", "rendered_key_problems"]

DESTINATION_FIELDS = ("s3_bucket", "manifest_key", "role_arn", "packaging_group_id")
_SAMPLE_START = datetime(2026, 1, 1)


def destination_problem(key: str, value: object) -> str | None:
    """Why ``value`` cannot be the destination setting ``key`` (one of :data:`DESTINATION_FIELDS`)."""
    if not isinstance(value, str):
        return f"must be text, got {show(value)}{quote_hint(value)}"
    if value == "" and key != "packaging_group_id":
        return "must not be empty; remove the line to use the deployment default"
    if len(value) > 2048:
        return f"{show(value)} is far too long"
    return _text_problem(key, value)


@lru_cache(maxsize=256)
def _text_problem(key: str, value: str) -> str | None:
    if key == "s3_bucket":
        reasons = bucket_name_problems(value)
        return f"{show(value)} " + "; ".join(reasons) if reasons else None
    if key == "role_arn":  # the form only: the run checks the deployment's partition
        reason = role_arn_problem(value, None)
        return f"{show(value)} {reason}" if reason else None
    if key == "packaging_group_id":
        reason = RESOURCE_ID.problem(value) if value else None
        return f'{reason} (or "" for no VOD hand-off)' if reason else None
    # manifest_key: a template, rendered per event later; here its placeholders and literal text
    try:
        sample = render_manifest_key(value, event_id="event", origin_endpoint_id="endpoint", start=_SAMPLE_START)
    except TemplateError as err:
        return f"template {show(value)} {err}"
    assert sample is not None  # every placeholder has a value
    reasons = manifest_key_problems(sample)
    return f"template {show(value)} " + "; ".join(reasons) if reasons else None


def rendered_key_problems(
    template: str,
    event_id: str,
    endpoints: Sequence[str],
    padded: tuple[datetime, datetime],
    clip_names: Sequence[str],
) -> list[str]:
    """Why the manifest key ``template`` fails for this event: rendered for each endpoint, and
    for every output key the harvest plan derives from it (endpoint folder, ``part-NN/``,
    ``clips/<name>/``), it must be a usable S3 key. The validate task renders them the same
    way, with ``{date}`` of the padded start (naive UTC). Stops at the first endpoint with a
    problem."""
    window = HarvestWindow(utc_datetime(padded[0]), utc_datetime(padded[1]))
    parts = len(split_window(window))
    outputs = [FULL_OUTPUT] if parts == 1 else [part_output(i) for i in range(1, parts + 1)]
    outputs += [clip_output(name) for name in clip_names]
    multi = len(endpoints) > 1
    for endpoint in endpoints:
        # {origin_endpoint_id} of a v2 group/channel/endpoint is the endpoint's name, as validate renders it.
        name = endpoint.rsplit("/", 1)[-1]
        rendered = render_manifest_key(template, event_id=event_id, origin_endpoint_id=name, start=padded[0])
        assert rendered is not None  # every placeholder has a value
        reasons = manifest_key_problems(rendered)
        if reasons:
            return [f"{show(rendered)} (rendered) {reason}" for reason in reasons]
        # The outputs' keys only add safe folders to a usable key: only their length can break.
        for output in outputs:
            key = output_manifest_key(rendered, endpoint=endpoint if multi else None, output=output)
            for reason in manifest_key_problems(key):
                return [f"{show(key)} (output {output} from {endpoint}, rendered from {show(template)}) {reason}"]
    return []
