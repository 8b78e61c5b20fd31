"""Validate the params of one ``live_event_harvest`` run into a :class:`HarvestRequest`.

Pure domain module: no Airflow, no boto3. Params arrive from a trigger form or a
REST ``conf`` and are untrusted: :func:`validate_harvest_request` checks every
field, collects *all* problems and raises one :class:`InvalidParams` listing them
(never any other exception, whatever the input's types or sizes), so an operator
fixes a run in one go. Messages are written for an ops engineer and show offending
values clipped and escaped (``repr``, about 80 characters) so a huge or binary
value cannot flood the logs.

Rules follow the MediaPackage v1 harvest limits (window at most 24 h, job ids of
letters, digits, ``_`` and ``-``), the S3 bucket naming rules and IAM role ARNs.
"""

from __future__ import annotations

import re
import reprlib
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum

from live_to_vod.config import DeploymentConfig

__all__ = [
    "KNOWN_FIELDS",
    "MAX_HARVEST_DURATION",
    "FieldProblem",
    "HarvestRequest",
    "HarvestWindow",
    "InvalidParams",
    "bucket_name_problems",
    "manifest_key_problems",
    "parse_time",
    "role_arn_problem",
    "validate_harvest_request",
]

#: The params this module reads; any other key (Airflow adds its own) is ignored.
KNOWN_FIELDS: tuple[str, ...] = (
    "event_id",
    "origin_endpoint_id",
    "start_time",
    "end_time",
    "s3_bucket",
    "manifest_key",
    "role_arn",
    "packaging_group_id",
)
#: MediaPackage v1 refuses harvest windows longer than this.
MAX_HARVEST_DURATION = pendulum.duration(hours=24)
#: S3 refuses object keys longer than this many UTF-8 bytes.
MAX_KEY_BYTES = 1024
_PLACEHOLDERS = ("event_id", "date", "origin_endpoint_id")
_EXAMPLE_TIME = "2026-11-26T19:00:00-05:00"
_CLIP = 80

# The identifier rules, defined once: the schedule, the harvest plan and the DAG's params use them too.
EVENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
RESOURCE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,256}", re.ASCII)  # MediaPackage ids: endpoints, groups, jobs
CLIP_NAME_RE = re.compile(r"[a-z0-9-]{1,40}", re.ASCII)
# Extended ISO 8601 date-time only: week/ordinal dates, durations, intervals and epoch
# numbers (all of which pendulum.parse would accept) are refused before parsing.
_TIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
# role/ + an optional path (IAM: at most 512 characters with its slashes) + the role name (1 to 64
# characters, so never empty: "role/x/" names no role).
ROLE_ARN_RE = re.compile(
    r"arn:(?P<partition>[a-z0-9-]+):iam::\d{12}:role/(?:[\w+=,.@/-]{1,510}/)?[\w+=,.@-]{1,64}", re.ASCII
)
_BUCKET_CHARS_RE = re.compile(r"[a-z0-9.-]*", re.ASCII)
_IP_LIKE_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}", re.ASCII)
# Reserved by S3 (access point aliases, directory/table buckets, multi-region access
# points, internal names): CreateBucket refuses them, so refuse them here first.
_BUCKET_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_BAD_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap")
# Control characters, invisible format characters (bidi overrides, zero-width),
# lone surrogates and line/paragraph separators: legal in S3 keys, trouble everywhere else.
_BAD_KEY_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_reprs = reprlib.Repr()
_reprs.maxstring = _CLIP
_reprs.maxother = _CLIP
_reprs.maxlong = 40


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


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class HarvestWindow:
    """The time window of the live stream to harvest, held in UTC.

    Any timezone-aware datetime is accepted and converted to a UTC
    ``pendulum.DateTime``; a naive one is a programming error (``ValueError``).
    The window's own rules (end after start, at most 24 h) are checked by
    :func:`validate_harvest_request`, not here.
    """

    start: pendulum.DateTime
    end: pendulum.DateTime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ValueError(f"HarvestWindow.{name} must be a timezone-aware datetime, got {value!r}")
            object.__setattr__(self, name, pendulum.instance(value).in_timezone("UTC"))

    @property
    def duration(self) -> pendulum.Duration:
        delta = self.end - self.start
        return pendulum.duration(days=delta.days, seconds=delta.seconds, microseconds=delta.microseconds)

    def ready_at(self, time_delay_seconds: int, margin_seconds: int) -> pendulum.DateTime:
        """When the window's end has certainly been packaged: end + endpoint delay + safety margin."""
        return self.end.add(seconds=time_delay_seconds + margin_seconds)

    def harvest_times(self) -> tuple[str, str]:
        """``StartTime``/``EndTime`` for CreateHarvestJob, e.g. ``2026-11-27T00:00:00Z``."""
        return _aws_time(self.start), _aws_time(self.end)


@dataclass(frozen=True)
class HarvestRequest:
    """A validated harvest: everything the DAG needs to create and hand off one harvest job."""

    event_id: str
    origin_endpoint_id: str
    window: HarvestWindow
    s3_bucket: str
    manifest_key: str
    role_arn: str
    packaging_group_id: str | None
    vod_source_role_arn: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (times as ISO 8601 strings) for XCom; :meth:`from_dict` reverses it."""
        return {
            "event_id": self.event_id,
            "origin_endpoint_id": self.origin_endpoint_id,
            "start_time": self.window.start.isoformat(),
            "end_time": self.window.end.isoformat(),
            "s3_bucket": self.s3_bucket,
            "manifest_key": self.manifest_key,
            "role_arn": self.role_arn,
            "packaging_group_id": self.packaging_group_id,
            "vod_source_role_arn": self.vod_source_role_arn,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HarvestRequest:
        """Rebuild a request from :meth:`to_dict` output (trusted: it was validated before)."""
        return cls(
            event_id=d["event_id"],
            origin_endpoint_id=d["origin_endpoint_id"],
            window=HarvestWindow(parse_time("start_time", d["start_time"]), parse_time("end_time", d["end_time"])),
            s3_bucket=d["s3_bucket"],
            manifest_key=d["manifest_key"],
            role_arn=d["role_arn"],
            packaging_group_id=d.get("packaging_group_id") or None,
            vod_source_role_arn=d.get("vod_source_role_arn") or None,
        )

    @property
    def asset_uri(self) -> str:
        """Where the parent manifest lands: ``s3://bucket/key``."""
        return f"s3://{self.s3_bucket}/{self.manifest_key}"

    @property
    def asset_source_arn(self) -> str:
        """The manifest's S3 ARN, as MediaPackage VOD ``CreateAsset`` wants it in ``SourceArn``.

        The partition is the role's (validation made it the deployment's).
        """
        partition = self.role_arn.split(":", 2)[1]
        return f"arn:{partition}:s3:::{self.s3_bucket}/{self.manifest_key}"


# --------------------------------------------------------------------------- parsing


def parse_time(field: str, value: object) -> pendulum.DateTime:
    """Parse an ISO 8601 date-time with an explicit UTC offset (or ``Z``) into UTC.

    Accepts ``2026-11-26T19:00:00-05:00``, ``2026-11-27T00:00:00Z``, a space instead
    of ``T``, minutes-only times and up to 9 fractional digits (kept to the
    microsecond). Raises :class:`InvalidParams` (one problem on ``field``) for
    anything else, in particular a time without an offset: guessing its zone would
    silently harvest the wrong hour.
    """
    problem = _time_problem(value)
    if isinstance(problem, str):
        raise InvalidParams([FieldProblem(field, problem)])
    return problem


def _time_problem(value: object) -> pendulum.DateTime | str:
    """The parsed UTC time, or a message saying why ``value`` is not one."""
    if not isinstance(value, str):
        return f"must be a string like {_EXAMPLE_TIME}, got {_show(value)}"
    hint = f"write it like {_EXAMPLE_TIME}"
    if len(value) > 40:  # longer than any accepted form: don't even upper-case a megabyte
        return f"{_show(value)} is not a date and time; {hint}"
    text = value.upper()  # RFC 3339 allows lowercase t and z
    match = _TIME_RE.fullmatch(text)
    if match is None:
        return f"{_show(value)} is not an ISO 8601 date and time; {hint}"
    if match.group("offset") is None:
        return f"{_show(value)} has no UTC offset; {hint}"
    try:
        parsed = pendulum.parse(text, exact=True)
        if not isinstance(parsed, pendulum.DateTime) or parsed.utcoffset() is None:
            return f"{_show(value)} is not a date and time; {hint}"
        return parsed.in_timezone("UTC")
    except Exception:  # pendulum raises several types (ParserError, ValueError, OverflowError)
        return f"{_show(value)} is not a valid date and time (check the day, hour and offset); {hint}"


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

    Optional params (``s3_bucket``, ``manifest_key``, ``role_arn``) fall back to the config
    when absent, ``None`` or ``""``. ``packaging_group_id`` falls back when absent or
    ``None``; an explicit ``""`` means no VOD hand-off for this run, whatever the default
    (``packaging_group_id=None`` in the request), as does no group after the fallback.
    ``now`` bounds how far ahead a window may end. ``max_duration`` is the harvest limit;
    scheduled events pass ``None`` (no limit here) because they are split into parts.

    Every problem names one of :data:`KNOWN_FIELDS`, except when ``params`` is not a
    mapping at all (one problem on ``"params"``).
    """
    if not isinstance(params, Mapping):
        message = f"must be a mapping of param names to values, got {_show(params)}"
        raise InvalidParams([FieldProblem("params", message)])
    problems: list[FieldProblem] = []

    def add(field: str) -> Report:
        return lambda message: problems.append(FieldProblem(field, message))

    event_id = _check_id(params.get("event_id"), 64, EVENT_ID_RE, add("event_id"))
    origin = _check_id(params.get("origin_endpoint_id"), 256, RESOURCE_ID_RE, add("origin_endpoint_id"))
    start = _check_time(params.get("start_time"), add("start_time"))
    end = _check_time(params.get("end_time"), add("end_time"))
    window = _check_window(start, end, config, pendulum.instance(now), add("end_time"), max_duration)
    bucket = _check_bucket(params.get("s3_bucket"), config, add("s3_bucket"))
    manifest_key = _check_manifest_key(params.get("manifest_key"), config, event_id, origin, start, add("manifest_key"))
    role_arn = _check_role_arn(params.get("role_arn"), config, add("role_arn"))
    group, vod_role = _check_packaging(params, config, add("packaging_group_id"))

    if problems:
        raise InvalidParams(problems)
    assert event_id and origin and window and bucket and manifest_key and role_arn  # guaranteed by no problems
    return HarvestRequest(
        event_id=event_id,
        origin_endpoint_id=origin,
        window=window,
        s3_bucket=bucket,
        manifest_key=manifest_key,
        role_arn=role_arn,
        packaging_group_id=group,
        vod_source_role_arn=vod_role,
    )


def _check_string(value: object, report: Report) -> str | None:
    """``value`` if it is a non-empty string; else report it and return None."""
    if value is None or value == "":
        report("is required")
        return None
    if not isinstance(value, str):
        report(f"must be a string, got {_show(value)}")
        return None
    return value


def _check_id(value: object, max_len: int, pattern: re.Pattern[str], report: Report) -> str | None:
    text = _check_string(value, report)
    if text is None:
        return None
    if pattern.fullmatch(text):
        return text
    rule = f"must be 1 to {max_len} characters, each an ASCII letter, digit, underscore or hyphen"
    if len(text) > max_len:
        report(f"{rule}; got {len(text)} characters: {_show(text)}")
    else:
        position, char = next((i, c) for i, c in enumerate(text) if not pattern.fullmatch(c))
        report(f"{rule}; {_show(text)} has {char!r} at position {position}")
    return None


def _check_time(value: object, report: Report) -> pendulum.DateTime | None:
    if value is None or value == "":
        report(f"is required; write it like {_EXAMPLE_TIME}")
        return None
    parsed = _time_problem(value)
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
            report(f"ends at {_aws_time(end)}, which is not after the start {_aws_time(start)} (times in UTC)")
            ok = False
        elif max_duration is not None and end - start > max_duration:
            report(f"the window is {_format_span(end - start)} long, longer than the 24-hour harvest limit")
            ok = False
    if end is not None:
        try:
            latest = now.add(hours=config.max_future_hours)
        except (OverflowError, ValueError):  # an absurd config value: nothing is "too far ahead"
            latest = None
        if latest is not None and end > latest:
            report(
                f"ends more than {config.max_future_hours} hours ahead ({_aws_time(end)}, "
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
        report(f"must be a string, got {_show(value)}")
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
        report(f"{_show(bucket)}{source} {reason}")
    return None if reasons else bucket


def bucket_name_problems(name: str) -> list[str]:
    """Why ``name`` is not a valid S3 general purpose bucket name (empty list: it is)."""
    reasons = []
    if not 3 <= len(name) <= 63:
        reasons.append(f"is {len(name)} characters long; bucket names have 3 to 63")
    if not _BUCKET_CHARS_RE.fullmatch(name):
        reasons.append("may only contain lowercase letters, digits, dots and hyphens")
    if name and not (_is_lower_alnum(name[0]) and _is_lower_alnum(name[-1])):
        reasons.append("must begin and end with a lowercase letter or digit")
    if ".." in name:
        reasons.append("must not contain two adjacent dots")
    if _IP_LIKE_RE.fullmatch(name):
        reasons.append("must not be formatted like an IP address")
    for prefix in _BUCKET_BAD_PREFIXES:
        if name.startswith(prefix):
            reasons.append(f"must not start with {prefix!r}, which S3 reserves")
    for suffix in _BUCKET_BAD_SUFFIXES:
        if name.endswith(suffix):
            reasons.append(f"must not end with {suffix!r}, which S3 reserves")
    return reasons


def _is_lower_alnum(char: str) -> bool:
    return char in string.ascii_lowercase or char in string.digits


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
    pieces = _parse_template(template, source, report)
    if pieces is None:
        return None
    values = {
        "event_id": event_id,
        "origin_endpoint_id": origin,
        "date": f"{start.year:04d}-{start.month:02d}-{start.day:02d}" if start is not None else None,
    }
    if any(values[name] is None for _, name in pieces if name):
        return None  # a placeholder's value is itself invalid and already reported
    key = "".join(literal + (values[name] or "" if name else "") for literal, name in pieces)
    reasons = manifest_key_problems(key)
    shown = _show(key) + (f" (rendered from {_show(template)}{source})" if key != template else source)
    for reason in reasons:
        report(f"{shown} {reason}")
    return None if reasons else key


def _parse_template(template: str, source: str, report: Report) -> list[tuple[str, str]] | None:
    """[(literal text, placeholder name or "")] for ``template``; None (reported) if it is unusable."""
    allowed = "{event_id}, {date} and {origin_endpoint_id}"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        report(f"template {_show(template)}{source} has unbalanced braces ({err}); placeholders are {allowed}")
        return None
    pieces, bad = [], []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append((literal, ""))
        elif name in _PLACEHOLDERS and not spec and conversion is None:
            pieces.append((literal, name))
        else:
            # Rebuild what was written, so the message shows the placeholder as the user typed it.
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            bad.append(_show(written))
    if bad:
        report(
            f"template {_show(template)}{source} uses unknown placeholder {', '.join(bad[:5])}"
            f"{' and more' if len(bad) > 5 else ''}; only {allowed} are available"
        )
        return None
    return pieces


def manifest_key_problems(key: str) -> list[str]:
    """Why ``key`` cannot be a harvest ``ManifestKey`` (empty list: it can)."""
    reasons = []
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates; also reported as bad characters below
        size = None
    if size is not None and size > MAX_KEY_BYTES:
        reasons.append(f"is {size} bytes of UTF-8; S3 keys have at most {MAX_KEY_BYTES}")
    if key.startswith("/"):
        reasons.append("must be relative to the bucket: remove the leading '/'")
    segments = (key[1:] if key.startswith("/") else key).split("/")
    if any(s in (".", "..") for s in segments):
        reasons.append("must not contain '.' or '..' path segments")
    if any(s == "" for s in segments):
        reasons.append("must not contain empty path segments ('//' or a trailing '/')")
    if "\\" in key:
        reasons.append("must not contain a backslash; use '/' between folders")
    bad_char = next((c for c in key if unicodedata.category(c) in _BAD_KEY_CATEGORIES), None)
    if bad_char is not None:
        reasons.append(f"must not contain control or invisible characters (found {bad_char!r})")
    if "?" in key or "#" in key:
        reasons.append("must not contain '?' or '#', which break the playlist URLs")
    if "{" in key or "}" in key:
        reasons.append("must not contain '{' or '}' after rendering")
    if not key.endswith(".m3u8"):
        reasons.append("must end with '.m3u8' (it names the parent HLS manifest)")
    elif segments[-1] == ".m3u8":
        reasons.append("needs a file name before '.m3u8', like index.m3u8")
    return reasons


def _check_role_arn(value: object, config: DeploymentConfig, report: Report) -> str | None:
    missing = "no role: set role_arn or LIVE_TO_VOD_HARVEST_ROLE_ARN"
    picked = _param_or_default(value, config.harvest_role_arn, "LIVE_TO_VOD_HARVEST_ROLE_ARN", missing, report)
    if picked is None:
        return None
    arn, source = picked
    reason = role_arn_problem(arn, config.aws_partition)
    if reason:
        report(f"{_show(arn)}{source} {reason}")
        return None
    return arn


def role_arn_problem(arn: str, partition: str) -> str | None:
    """Why ``arn`` is not an IAM role ARN in ``partition`` (None: it is)."""
    match = ROLE_ARN_RE.fullmatch(arn)
    if match is None:
        return f"is not an IAM role ARN; expected the form arn:{partition}:iam::123456789012:role/NAME"
    if match.group("partition") != partition:
        return (
            f"is in partition {match.group('partition')}, this deployment uses {partition} (LIVE_TO_VOD_AWS_PARTITION)"
        )
    return None


def _check_packaging(
    params: Mapping[str, object], config: DeploymentConfig, report: Report
) -> tuple[str | None, str | None]:
    value = params.get("packaging_group_id")
    source = ""
    if value is None:  # absent or null takes the deployment's default; "" asks for no hand-off
        value, source = config.packaging_group_id, " (from LIVE_TO_VOD_PACKAGING_GROUP_ID)"
    if not isinstance(value, str):
        report(f"must be a string, got {_show(value)}")
        return None, None
    if value == "":
        return None, None
    if not RESOURCE_ID_RE.fullmatch(value):
        report(
            f"{_show(value)}{source} must be 1 to 256 ASCII letters, digits, underscores or hyphens "
            "(leave it unset for the deployment default, or empty for no VOD hand-off)"
        )
        return None, None
    vod_role = config.vod_source_role_arn
    reason = "is not set" if not vod_role else role_arn_problem(vod_role, config.aws_partition)
    if reason:
        report(
            f"a VOD hand-off to {_show(value)} needs LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN, the role MediaPackage VOD "
            f"assumes to read the asset, but {_show(vod_role) if vod_role else 'it'} {reason}"
        )
        return None, None
    return value, vod_role


# --------------------------------------------------------------------------- formatting


def _show(value: object) -> str:
    """A short, escaped rendering of an untrusted value for a message (never raises)."""
    if isinstance(value, str):
        shown = repr(value[:_CLIP])
        return shown if len(value) <= _CLIP else f"{shown}... ({len(value)} characters)"
    try:
        return f"{type(value).__name__} {_reprs.repr(value)}"
    except Exception:  # e.g. an int too long to convert to text
        return f"{type(value).__name__} (too large to show)"


def _aws_time(t: pendulum.DateTime) -> str:
    """UTC, ``Z``, seconds precision; milliseconds or microseconds kept only when present."""
    t = t.in_timezone("UTC")
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond % 1000 == 0 and t.microsecond:
        text += f".{t.microsecond // 1000:03d}"
    elif t.microsecond:
        text += f".{t.microsecond:06d}"
    return text + "Z"


def _format_span(delta: Any) -> str:
    total = delta.total_seconds()
    hours, rest = divmod(int(total), 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = total - int(total)
    secs = f"{seconds + fraction:06.3f}".rstrip("0").rstrip(".") if fraction else f"{seconds:02d}"
    return f"{hours} h {minutes:02d} min {secs} s"
