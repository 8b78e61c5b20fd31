"""From a run's event (its trigger conf, or its entry in the season schedule) to the validated
:class:`HarvestRequest` of every output (:mod:`live_to_vod.outputs`): one per endpoint and part,
plus one per endpoint and clip, as the dicts the harvest group is mapped over.

Pure domain module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pendulum

from live_to_vod.config import DeploymentConfig
from live_to_vod.field_rules import manifest_key_problems
from live_to_vod.harvest_request import HarvestRequest, V2Endpoint
from live_to_vod.manifest_keys import output_manifest_key
from live_to_vod.naming import clip_output
from live_to_vod.outputs import OutputPlanError, plan_outputs
from live_to_vod.schedule import ScheduledEvent
from live_to_vod.validation import FieldProblem, InvalidParams, check_mediaconvert, validate_harvest_request


def plan_from_params(params: Mapping[str, Any], config: DeploymentConfig, now: pendulum.DateTime) -> list[dict]:
    """An ad-hoc run (trigger form or REST conf): one endpoint, one window of at most 24 h."""
    request = validate_harvest_request(params, config, now)
    return [_unit(request, "full")]


def plan_from_schedule(event: ScheduledEvent, config: DeploymentConfig, now: pendulum.DateTime) -> list[dict]:
    """A scheduled event: every endpoint, split into parts past 24 h, and its clips.

    Each endpoint's destination is validated like a trigger conf (the schedule entry's
    destination overrides, then the deployment defaults); problems of all endpoints are
    raised together as one :class:`InvalidParams`.
    """
    requests: dict[str, HarvestRequest] = {}
    problems = []
    for endpoint in event.endpoints:
        v2 = V2Endpoint.from_ref(endpoint)
        source: dict[str, Any] = {"origin_endpoint_id": endpoint}
        if v2 is not None:
            source = {"channel_group": v2.channel_group, "channel": v2.channel, "origin_endpoint": v2.origin_endpoint}
            source["manifests"] = list(event.manifests)
        params = {
            "event_id": event.event_id,
            **source,
            "start_time": event.start.isoformat(),
            "end_time": event.end.isoformat(),
            **dict(event.destination),
            "verify_segments": event.verify_segments,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in event.transcode},
        }
        try:
            requests[endpoint] = validate_harvest_request(params, config, now, max_duration=None)
        except InvalidParams as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidParams(dict.fromkeys(problems))  # a problem every endpoint shares, once
    first = requests[event.endpoints[0]]
    multi = len(event.endpoints) > 1
    clips = {clip_output(c.name): c for c in event.clips}
    units = []
    try:
        planned = plan_outputs(event.event_id, event.endpoints, first.window, event.clip_windows, first.manifest_key)
    except OutputPlanError as exc:  # a plan that cannot be made fails the run now, without retries
        raise InvalidParams([FieldProblem(exc.field, str(exc))]) from None
    for unit in planned:
        request = requests[unit.origin_endpoint_id]
        key = unit.manifest_key
        if request.manifest_key != first.manifest_key:  # the template names the endpoint
            endpoint = unit.origin_endpoint_id if multi else None
            try:
                key = output_manifest_key(request.manifest_key, endpoint=endpoint, output=unit.output)
            except ValueError as exc:
                problems.append(FieldProblem("manifest_key", f"{unit.output}: {exc}"))
                continue
        # Parts and clips add folders to the key: each output's own key must still be a valid one.
        problems.extend(FieldProblem("manifest_key", f"{unit.output}: {p}") for p in manifest_key_problems(key))
        request = dataclasses.replace(request, window=unit.window, manifest_key=key)
        clip = clips.get(unit.output)
        if clip is not None and clip.mediaconvert is not None:  # the clip's own MediaConvert outputs
            request = _with_products(request, clip.mediaconvert, event, config, problems, unit.output)
        units.append(_unit(request, unit.output))
    if problems:
        raise InvalidParams(dict.fromkeys(problems))
    return units


def _with_products(
    request: HarvestRequest,
    products: tuple[str, ...],
    event: ScheduledEvent,
    config: DeploymentConfig,
    problems: list[FieldProblem],
    output: str,
) -> HarvestRequest:
    """``request`` with a clip's own MediaConvert outputs, checked as the event's are (role, template)."""
    found: list[FieldProblem] = []

    def add(field: str) -> Callable[[str], None]:
        return lambda message: found.append(FieldProblem(field, f"{output}: {message}"))

    fields = check_mediaconvert({**dict(event.transcode), "mediaconvert": list(products)}, config, add)
    problems.extend(found)
    return dataclasses.replace(request, **fields)


def _unit(request: HarvestRequest, output: str) -> dict[str, Any]:
    return {**request.to_dict(), "output": output}
