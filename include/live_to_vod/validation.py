"""Validate the params of one ``live_event_harvest`` run into a :class:`HarvestRequest`, and those
of one ``reverify_vod_asset`` run into an :class:`AssetToVerify`.

Pure domain module. Params arrive from a trigger form or a REST ``conf`` and are untrusted:
:func:`validate_harvest_request` (and :func:`validate_reverify_request`) checks every field,
collects *all* problems and raises one :class:`InvalidParams` listing them (never any other
exception, whatever the input's types or sizes), so an operator fixes a run in one go. Messages
are written for an ops engineer and show offending values clipped and escaped
(:func:`live_to_vod.text.show`).

The rules themselves live where every entry point shares them: :mod:`live_to_vod.field_rules`
(ids, bucket names, role ARNs, manifest keys), :mod:`live_to_vod.times` (the time grammar),
:mod:`live_to_vod.limits` (the 24-hour harvest limit and the other AWS limits) and
:mod:`live_to_vod.manifest_keys` (the key template).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pendulum

from live_to_vod.config import DeploymentConfig
from live_to_vod.field_rules import (
    DEFAULT_VERIFY_SEGMENTS,
    EVENT_ID,
    RESOURCE_ID,
    IdRule,
    bucket_name_problems,
    manifest_key_problems,
    playable_within_problem,
    role_arn_problem,
    verify_segments_problem,
)
from live_to_vod.harvest_request import AssetToVerify, HarvestRequest, HarvestWindow, V2Endpoint
from live_to_vod.limits import MAX_HARVEST_DURATION
from live_to_vod.manifest_keys import TemplateError, render_manifest_key
from live_to_vod.text import show
from live_to_vod.times import EXAMPLE_TIME, aws_time, duration_text, parse_utc_time
from live_to_vod.transcode_jobs import PRODUCTS, load_template_file, template_problems
from live_to_vod.transcode_jobs import TemplateError as MediaConvertTemplateError

__all__ = [
    "KNOWN_FIELDS",
    "REVERIFY_DEFAULT_SEGMENTS",
    "V2_SOURCE_FIELDS",
    "REVERIFY_FIELDS",
    "FieldProblem",
    "InvalidParams",
    "parse_time",
    "validate_harvest_request",
    "validate_reverify_request",
]

#: The params this module reads; any other key (Airflow adds its own) is ignored.
KNOWN_FIELDS: tuple[str, ...] = (
    "event_id",
    "origin_endpoint_id",
    "channel_group",
    "channel",
    "origin_endpoint",
    "manifests",
    "start_time",
    "end_time",
    "s3_bucket",
    "manifest_key",
    "role_arn",
    "packaging_group_id",
    "verify_segments",
    "mediaconvert",
    "thumbnail_interval_seconds",
    "mediaconvert_template",
    "playable_within_minutes",
)
#: A MediaConvert job template's name (MediaConvert allows more; this keeps it safe to show and log).
MEDIACONVERT_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,127}")
#: The fields naming a MediaPackage v2 source (instead of ``origin_endpoint_id``, a v1 one).
V2_SOURCE_FIELDS: tuple[str, ...] = ("channel_group", "channel", "origin_endpoint")

#: The params of a re-verification (``reverify_vod_asset``): an asset already in S3 and its window.
REVERIFY_FIELDS: tuple[str, ...] = ("s3_bucket", "manifest_key", "start_time", "end_time", "verify_segments")
#: A re-verification is asked for when the asset is in doubt: every segment is decoded unless it says.
REVERIFY_DEFAULT_SEGMENTS = "full"


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one param: ``field`` is the param name, ``message`` plain words."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidParams(ValueError):
    """One or more params are invalid; ``str()`` lists every problem as ``field: message`` lines."""

    problems: tuple[FieldProblem, ...]

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        # args holds the problems so the exception pickles (Airflow ships exceptions between processes).
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the fields with problems, in order, without repeats."""
        return tuple(dict.fromkeys(p.field for p in self.problems))


# --------------------------------------------------------------------------- parsing


def parse_time(field: str, value: object) -> pendulum.DateTime:
    """A time with its UTC offset (the grammar of :mod:`live_to_vod.times`), in UTC.

    Raises :class:`InvalidParams` (one problem on ``field``) for anything else, in particular a
    time without an offset: guessing its zone would silently harvest the wrong hour.
    """
    parsed = parse_utc_time(value)
    if isinstance(parsed, str):
        raise InvalidParams([FieldProblem(field, parsed)])
    return parsed


# --------------------------------------------------------------------------- validation


#: Adds one problem message to the field a checker was given.
Report = Callable[[str], None]


def validate_harvest_request(
    params: Mapping[str, object],
    config: DeploymentConfig,
    now: pendulum.DateTime,
    *,
    max_duration: pendulum.Duration | None = MAX_HARVEST_DURATION,
) -> HarvestRequest:
    """Check ``params`` against ``config`` and return the request, or raise :class:`InvalidParams`.

    The source is either ``origin_endpoint_id`` (MediaPackage v1) or ``channel_group``,
    ``channel`` and ``origin_endpoint`` (v2) with optional ``manifests`` (a list of manifest
    names, or one comma-separated string; empty: every HLS and DASH manifest of the endpoint).
    Optional params (``s3_bucket``, ``manifest_key``, ``role_arn``) fall back to the config
    when absent, ``None`` or ``""``; a v2 source takes no ``role_arn`` (MediaPackage v2 writes
    with the bucket policy). ``packaging_group_id`` falls back when absent or
    ``None``; an explicit ``""`` means no VOD hand-off for this run, whatever the default
    (``packaging_group_id=None`` in the request), as does no group after the fallback.
    ``verify_segments`` is ``auto`` when absent, ``None`` or ``""``.
    ``now`` bounds how far ahead a window may end. ``max_duration`` is the harvest limit;
    scheduled events pass ``None`` (no limit here) because they are split into parts.

    Every problem names one of :data:`KNOWN_FIELDS`, except when ``params`` is not a
    mapping at all (one problem on ``"params"``).
    """
    problems, add = _collector(params)

    event_id = _check_id(params.get("event_id"), EVENT_ID, add("event_id"))
    origin, v2_endpoint, kind = _check_source(params, add)
    manifests = _check_manifests(params.get("manifests"), kind != "v1", add("manifests"))
    start = _check_time(params.get("start_time"), add("start_time"))
    end = _check_time(params.get("end_time"), add("end_time"))
    window = _check_window(start, end, config, pendulum.instance(now), add("end_time"), max_duration)
    bucket = _check_bucket(params.get("s3_bucket"), config, add("s3_bucket"))
    key_endpoint = v2_endpoint.origin_endpoint if v2_endpoint else origin
    manifest_key = _check_manifest_key(
        params.get("manifest_key"), config, event_id, key_endpoint, start, add("manifest_key")
    )
    if kind != "v2":
        role_arn = _check_role_arn(params.get("role_arn"), config, add("role_arn"))
    else:
        role_arn = _check_no_role(params.get("role_arn"), add("role_arn"))
    group, vod_role = _check_packaging(params, config, add("packaging_group_id"))
    verify_segments = _check_verify_segments(
        params.get("verify_segments"), DEFAULT_VERIFY_SEGMENTS, add("verify_segments")
    )
    transcode = check_mediaconvert(params, config, add)
    deadline = params.get("playable_within_minutes")
    if deadline is not None and (problem := playable_within_problem(deadline)):
        add("playable_within_minutes")(problem)  # the run's deadline alert reads it from the conf

    if problems:
        raise InvalidParams(problems)
    assert event_id and (origin or v2_endpoint) and window and bucket and manifest_key  # guaranteed by no problems
    return HarvestRequest(
        event_id=event_id,
        origin_endpoint_id=origin,
        window=window,
        s3_bucket=bucket,
        manifest_key=manifest_key,
        role_arn=role_arn or "",
        packaging_group_id=group,
        vod_source_role_arn=vod_role,
        verify_segments=verify_segments or DEFAULT_VERIFY_SEGMENTS,
        v2_endpoint=v2_endpoint,
        manifests=manifests,
        **transcode,
    )


def _given(value: object) -> bool:
    return value is not None and value != ""


def _check_source(
    params: Mapping[str, object], add: Callable[[str], Report]
) -> tuple[str | None, V2Endpoint | None, str | None]:
    """(v1 id, v2 endpoint, which kind was asked for: ``v1``, ``v2`` or None when unclear): exactly
    one of the two kinds of source."""
    v1_given = _given(params.get("origin_endpoint_id"))
    v2_given = [f for f in V2_SOURCE_FIELDS if _given(params.get(f))]
    if v1_given and v2_given:
        add("origin_endpoint_id")(
            f"give either origin_endpoint_id (a MediaPackage v1 endpoint) or channel_group, channel and "
            f"origin_endpoint (a v2 endpoint), not both (got origin_endpoint_id and {', '.join(v2_given)})"
        )
        return None, None, None
    if not v2_given:
        if not v1_given:
            add("origin_endpoint_id")(
                "is required: the MediaPackage v1 origin endpoint id, or channel_group, channel and "
                "origin_endpoint for a v2 endpoint"
            )
            return None, None, None
        return _check_id(params.get("origin_endpoint_id"), RESOURCE_ID, add("origin_endpoint_id")), None, "v1"
    names = []
    for field in V2_SOURCE_FIELDS:
        if not _given(params.get(field)):
            add(field)(f"is required for a MediaPackage v2 source (with {', '.join(v2_given)})")
            names.append(None)
        else:
            names.append(_check_id(params.get(field), RESOURCE_ID, add(field)))
    if any(n is None for n in names):
        return None, None, "v2"
    return None, V2Endpoint(*names), "v2"  # type: ignore[arg-type]  # all str, checked above


def _check_manifests(value: object, v2: bool, report: Report) -> tuple[str, ...]:
    """The v2 manifest names asked for: a list of names or one comma-separated string; empty: all."""
    if value is None or value == "" or value == []:
        return ()
    if not v2:
        report("names MediaPackage v2 manifests; a v1 origin endpoint harvests its one HLS manifest: leave it empty")
        return ()
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        report(f"must be a list of manifest names (or one comma-separated string), got {show(value)}")
        return ()
    names: list[str] = []
    for i, name in enumerate(value):
        problem = RESOURCE_ID.problem(name)
        if problem:
            report(f"#{i + 1}: {problem}")
        elif name in names:
            report(f"names {show(name)} twice")
        else:
            names.append(name)
    return tuple(names)


def _check_no_role(value: object, report: Report) -> None:
    if _given(value):
        report(
            "MediaPackage v2 writes the harvest with the bucket's policy, not a role: leave role_arn empty "
            "for a v2 source (the bucket policy must allow mediapackagev2.amazonaws.com s3:PutObject)"
        )
    return None


def _collector(params: object) -> tuple[list[FieldProblem], Callable[[str], Report]]:
    """The problems of one validation and ``add(field)``, a reporter for each field; ``params`` that
    is no mapping at all is refused at once, on ``"params"``."""
    if not isinstance(params, Mapping):
        message = f"must be a mapping of param names to values, got {show(params)}"
        raise InvalidParams([FieldProblem("params", message)])
    problems: list[FieldProblem] = []

    def add(field: str) -> Report:
        return lambda message: problems.append(FieldProblem(field, message))

    return problems, add


def validate_reverify_request(
    params: Mapping[str, object], config: DeploymentConfig, now: pendulum.DateTime
) -> AssetToVerify:
    """Check the params of a re-verification and return the asset to verify, or raise
    :class:`InvalidParams` naming each field of :data:`REVERIFY_FIELDS` that is wrong.

    ``manifest_key`` is the key of an existing asset's parent manifest (a key, not a template);
    ``s3_bucket`` falls back to ``LIVE_TO_VOD_S3_BUCKET`` when absent, ``None`` or ``""``. The
    window (the grammar of :mod:`live_to_vod.times`) is what the asset must cover: it must end
    after it starts, be at most the 24-hour harvest limit long, and have ended by ``now``.
    ``verify_segments`` is ``full`` when absent, ``None`` or ``""``. Other keys are ignored.
    """
    problems, add = _collector(params)

    bucket = _check_bucket(params.get("s3_bucket"), config, add("s3_bucket"))
    manifest_key = _check_asset_key(params.get("manifest_key"), add("manifest_key"))
    start = _check_time(params.get("start_time"), add("start_time"))
    end = _check_time(params.get("end_time"), add("end_time"))
    window = _check_past_window(start, end, pendulum.instance(now), add("end_time"))
    segments = _check_verify_segments(params.get("verify_segments"), REVERIFY_DEFAULT_SEGMENTS, add("verify_segments"))
    if problems:
        raise InvalidParams(problems)
    assert bucket and manifest_key and window and segments  # guaranteed by no problems
    return AssetToVerify(s3_bucket=bucket, manifest_key=manifest_key, window=window, verify_segments=segments)


def _check_asset_key(value: object, report: Report) -> str | None:
    if value is None or value == "":
        report("is required: the key of the asset's parent manifest, like nfl-wk12/index.m3u8")
        return None
    if not isinstance(value, str):
        report(f"must be a string, got {show(value)}")
        return None
    reasons = manifest_key_problems(value)
    for reason in reasons:
        report(f"{show(value)} {reason}")
    return None if reasons else value


def _check_past_window(
    start: pendulum.DateTime | None, end: pendulum.DateTime | None, now: pendulum.DateTime, report: Report
) -> HarvestWindow | None:
    """The window an existing asset must cover: after its start, within the harvest limit, ended."""
    if start is None or end is None:
        return None
    if end <= start:
        report(f"ends at {aws_time(end)}, which is not after the start {aws_time(start)} (times in UTC)")
        return None
    if end - start > MAX_HARVEST_DURATION:
        report(
            f"the window is {duration_text(end - start)} long, longer than the 24-hour harvest limit: "
            "no harvested asset covers it"
        )
        return None
    if end > now:
        report(f"ends at {aws_time(end)}, in the future (now {aws_time(now)}): only an ended window can be verified")
        return None
    return HarvestWindow(start, end)


def _check_string(value: object, report: Report) -> str | None:
    """``value`` if it is a non-empty string; else report it and return None."""
    if value is None or value == "":
        report("is required")
        return None
    if not isinstance(value, str):
        report(f"must be a string, got {show(value)}")
        return None
    return value


def _check_verify_segments(value: object, default: str, report: Report) -> str | None:
    """``value`` if it is one of the verification modes, ``default`` when it is absent, None or
    ``""``; else report it and return None."""
    if value is None or value == "":
        return default
    problem = verify_segments_problem(value)
    if problem:
        report(problem)
        return None
    return value  # type: ignore[return-value]  # a valid mode is a str


def _check_id(value: object, rule: IdRule, report: Report) -> str | None:
    text = _check_string(value, report)
    if text is None:
        return None
    problem = rule.problem(text)
    if problem:
        report(problem)
        return None
    return text


def _check_time(value: object, report: Report) -> pendulum.DateTime | None:
    if value is None or value == "":
        report(f"is required; write it like {EXAMPLE_TIME}")
        return None
    parsed = parse_utc_time(value)
    if isinstance(parsed, str):
        report(parsed)
        return None
    return parsed


def _check_window(
    start: pendulum.DateTime | None,
    end: pendulum.DateTime | None,
    config: DeploymentConfig,
    now: pendulum.DateTime,
    report: Report,
    max_duration: pendulum.Duration | None = MAX_HARVEST_DURATION,
) -> HarvestWindow | None:
    ok = start is not None and end is not None
    if start is not None and end is not None:
        if end <= start:
            report(f"ends at {aws_time(end)}, which is not after the start {aws_time(start)} (times in UTC)")
            ok = False
        elif max_duration is not None and end - start > max_duration:
            report(f"the window is {duration_text(end - start)} long, longer than the 24-hour harvest limit")
            ok = False
    if end is not None:
        try:
            latest = now.add(hours=config.max_future_hours)
        except (OverflowError, ValueError):  # an absurd config value: nothing is "too far ahead"
            latest = None
        if latest is not None and end > latest:
            report(
                f"ends more than {config.max_future_hours} hours ahead ({aws_time(end)}, "
                "limit set by LIVE_TO_VOD_MAX_FUTURE_HOURS); trigger the run closer to the event"
            )
            ok = False
    return HarvestWindow(start, end) if ok and start is not None and end is not None else None


def _param_or_default(
    value: object, default: str, env_name: str, missing: str, report: Report
) -> tuple[str, str] | None:
    """(value, " (from ENV)" or "") using the config default for None/""; None (reported) if unusable."""
    if value is None or value == "":
        if not default:
            report(missing)
            return None
        return default, f" (from {env_name})"
    if not isinstance(value, str):
        report(f"must be a string, got {show(value)}")
        return None
    return value, ""


def _check_bucket(value: object, config: DeploymentConfig, report: Report) -> str | None:
    picked = _param_or_default(
        value, config.s3_bucket, "LIVE_TO_VOD_S3_BUCKET", "no bucket: set s3_bucket or LIVE_TO_VOD_S3_BUCKET", report
    )
    if picked is None:
        return None
    bucket, source = picked
    reasons = bucket_name_problems(bucket)
    for reason in reasons:
        report(f"{show(bucket)}{source} {reason}")
    return None if reasons else bucket


def _check_manifest_key(
    value: object,
    config: DeploymentConfig,
    event_id: str | None,
    origin: str | None,
    start: pendulum.DateTime | None,
    report: Report,
) -> str | None:
    missing = "no manifest key template: set manifest_key or LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE"
    picked = _param_or_default(
        value, config.manifest_key_template, "LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE", missing, report
    )
    if picked is None:
        return None
    template, source = picked
    try:
        key = render_manifest_key(template, event_id=event_id, origin_endpoint_id=origin, start=start)
    except TemplateError as exc:
        report(f"template {show(template)}{source} {exc}")
        return None
    if key is None:
        return None  # a placeholder's value is itself invalid and already reported
    reasons = manifest_key_problems(key)
    shown = show(key) + (f" (rendered from {show(template)}{source})" if key != template else source)
    for reason in reasons:
        report(f"{shown} {reason}")
    return None if reasons else key


def _check_role_arn(value: object, config: DeploymentConfig, report: Report) -> str | None:
    missing = "no role: set role_arn or LIVE_TO_VOD_HARVEST_ROLE_ARN"
    picked = _param_or_default(value, config.harvest_role_arn, "LIVE_TO_VOD_HARVEST_ROLE_ARN", missing, report)
    if picked is None:
        return None
    arn, source = picked
    reason = role_arn_problem(arn, config.aws_partition)
    if reason:
        report(f"{show(arn)}{source} {reason}")
        return None
    return arn


def _check_packaging(
    params: Mapping[str, object], config: DeploymentConfig, report: Report
) -> tuple[str | None, str | None]:
    value = params.get("packaging_group_id")
    source = ""
    if value is None:  # absent or null takes the deployment's default; "" asks for no hand-off
        value, source = config.packaging_group_id, " (from LIVE_TO_VOD_PACKAGING_GROUP_ID)"
    if not isinstance(value, str):
        report(f"must be a string, got {show(value)}")
        return None, None
    if value == "":
        return None, None
    if RESOURCE_ID.problem(value):
        report(
            f"{show(value)}{source} must be 1 to 256 ASCII letters, digits, underscores or hyphens "
            "(leave it unset for the deployment default, or empty for no VOD hand-off)"
        )
        return None, None
    vod_role = config.vod_source_role_arn
    reason = "is not set" if not vod_role else role_arn_problem(vod_role, config.aws_partition)
    if reason:
        report(
            f"a VOD hand-off to {show(value)} needs LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN, the role MediaPackage VOD "
            f"assumes to read the asset, but {show(vod_role) if vod_role else 'it'} {reason}"
        )
        return None, None
    return value, vod_role


def check_mediaconvert(
    params: Mapping[str, object], config: DeploymentConfig, add: Callable[[str], Report]
) -> dict[str, Any]:
    """The MediaConvert fields of a request (``mediaconvert``, ``mediaconvert_template``,
    ``thumbnail_interval_seconds``), each falling back to the deployment's default when absent or
    None; ``mediaconvert: []`` (or ``""``) asks for no MediaConvert job. A template file is read
    and checked here: it must have an output for every product asked for."""
    products = _check_products(params.get("mediaconvert"), config, add("mediaconvert"))
    role = None
    if products:
        role = config.mediaconvert_role_arn
        reason = "is not set" if not role else role_arn_problem(role, config.aws_partition)
        if reason:
            add("mediaconvert")(
                f"a MediaConvert job needs LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN, the role MediaConvert assumes to read "
                f"the asset and write its outputs, but {show(role) if role else 'it'} {reason}"
            )
    interval = params.get("thumbnail_interval_seconds")
    if interval is None or interval == "":
        interval = config.thumbnail_interval_seconds
    elif isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 3600:
        add("thumbnail_interval_seconds")(f"must be a whole number of seconds from 1 to 3600, got {show(interval)}")
        interval = config.thumbnail_interval_seconds
    template = params.get("mediaconvert_template")
    source = ""
    if template is None or template == "":
        template, source = config.mediaconvert_template, " (from LIVE_TO_VOD_MEDIACONVERT_TEMPLATE)"
    report = add("mediaconvert_template")
    if not isinstance(template, str):
        report(f"must be a string, got {show(template)}")
        template = config.mediaconvert_template
    elif products and template.endswith(".json"):
        try:
            settings = load_template_file(template)
        except MediaConvertTemplateError as exc:
            report(f"{exc}{source}")
        else:
            for problem in template_problems(template, settings, products):
                report(problem + source)
    elif not MEDIACONVERT_TEMPLATE_NAME.fullmatch(template):
        report(f"{show(template)}{source} is neither a .json template file nor a MediaConvert job template name")
    return {
        "mediaconvert": products,
        "mediaconvert_role_arn": role or None,
        "mediaconvert_template": template,
        "thumbnail_interval_seconds": interval,
    }


def _check_products(value: object, config: DeploymentConfig, report: Report) -> tuple[str, ...]:
    source = ""
    if value is None:
        value, source = config.mediaconvert_outputs, " (from LIVE_TO_VOD_MEDIACONVERT_OUTPUTS)"
    if isinstance(value, str):
        items: list[object] = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        report(f"must be a list of {', '.join(PRODUCTS)} (or empty for none), got {show(value)}")
        return ()
    wrong = [v for v in items if v not in PRODUCTS]
    if wrong:
        report(f"{show(wrong[0])}{source} is not one of {', '.join(PRODUCTS)}")
        return ()
    return tuple(p for p in PRODUCTS if p in items)
