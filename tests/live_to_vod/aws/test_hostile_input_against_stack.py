"""Hostile and malformed input (issue 6) is refused before any AWS call, against the real local stack.

Two properties, each over one stack shared by all its examples:

* **Trigger confs.** Each example is a good conf (for the stack's seeded endpoint, bucket and roles)
  with exactly one field broken: naive, malformed, reversed, over-24-hour and beyond-the-horizon
  times; control, bidi, zero-width and non-ASCII characters, NUL and over-long values in the ids;
  ``..``/absolute/backslash/non-``.m3u8``/placeholder-abusing manifest keys; invalid bucket
  names; malformed and wrong-partition role ARNs; 100 kB strings and wrong JSON types in any
  field. It runs through the DAG's ``validate`` task as a manual run does
  (:class:`ValidateLiveEventOperator`, the conf over the DAG's param defaults, a real boto3 client
  for the stack) and must fail the task (``AirflowFailException``: no retries) naming that field
  and only that field, without making a single AWS request.
* **Schedule entries.** Each example is a season schedule file of two good entries and one entry
  with one field broken the same ways, where they apply to the schedule format (plus its own:
  time zones, paddings, the 14-day span, clips, unknown fields). :func:`load_schedule` must refuse
  that entry alone, with errors naming the file, the entry and the field, and keep the good ones,
  which the timetable schedules and the harvest plan accepts. The loader is partition-agnostic (a
  schedule does not know the deployment), so a wrong-partition role ARN loads and is refused by
  the scheduled run's ``validate`` task, again before any AWS call.

"No AWS request" is observed twice. Client side, every boto3 client the project's hooks create
(:meth:`AwsBaseHook.get_client_type`, wrapped; the clients themselves are real and untouched)
counts its API calls (botocore's ``provide-client-params``, the first event of every call, even
one botocore would refuse itself) and its HTTP sends (``before-send``). Stack side, a probe rule
in the stack's fault registry (a ``latency`` rule of 0 s with rate 0: it matches every signed API
request and never fires) counts every AWS request the stack receives. A good conf, run first,
shows both see its one ``DescribeOriginEndpoint``. After all examples the stack has no harvest
jobs, no VOD assets and an empty bucket.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
import yaml
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.base import DataInterval
from airflow.utils.types import DagRunType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.faults import FaultControl
from live_to_vod.aws.operators.harvest import ValidateLiveEventOperator
from live_to_vod.config import DeploymentConfig
from live_to_vod.event_requests import plan_from_schedule
from live_to_vod.schedule import ScheduleError, load_schedule
from live_to_vod.timetables.season import SeasonScheduleTimetable
from live_to_vod.validation import KNOWN_FIELDS
from localrun.seed import seed
from tests.support.reliability import record_reliability

REFUSED = "The event's parameters are invalid; nothing was created."
# The DAG's params all default to None; Airflow merges a manual run's conf over them.
PARAM_DEFAULTS: dict[str, Any] = dict.fromkeys(KNOWN_FIELDS)
# Characters no log line, id or key should carry raw: controls, bidi/zero-width, separators, surrogates.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
EXAMPLES_PER_CATEGORY = 10


# --------------------------------------------------------------------------- observing AWS requests


class AwsRequests:
    """Counts AWS API requests: made by the project's hooks' clients, and received by the stack."""

    def __init__(self, stack_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.faults = FaultControl(stack_url)
        self.probe = self.faults.add("latency", service="*", operation="*", seconds=0, rate=0)["id"]
        self.calls: list[str] = []
        self.sends = 0
        original = AwsBaseHook.get_client_type

        def observed(hook: AwsBaseHook, *args: Any, **kwargs: Any) -> Any:
            client = original(hook, *args, **kwargs)
            client.meta.events.register("provide-client-params", self._on_call)
            client.meta.events.register("before-send", self._on_send)
            return client

        monkeypatch.setattr(AwsBaseHook, "get_client_type", observed)

    def _on_call(self, model: Any, **_: Any) -> None:  # returns None: the call goes on unchanged
        self.calls.append(model.name)

    def _on_send(self, **_: Any) -> None:  # returns None: the request is sent
        self.sends += 1

    def received(self) -> int:
        """Signed API requests the stack has received since the probe was added."""
        return self.faults.get(self.probe)["matched"]

    def snapshot(self) -> tuple[int, int, int]:
        return len(self.calls), self.sends, self.received()


@pytest.fixture
def demo(stack, aws_connection) -> dict[str, Any]:
    """The seeded setup: bucket, harvest and VOD roles, channel, endpoints, VOD packaging group."""
    return seed(stack.stack.settings, with_encoder=False)


@pytest.fixture
def requests_seen(stack, demo, monkeypatch) -> AwsRequests:
    return AwsRequests(stack.url, monkeypatch)


def assert_nothing_created(aws: dict[str, Any], demo: dict[str, Any]) -> None:
    assert aws["mediapackage"].list_harvest_jobs()["HarvestJobs"] == []
    assert aws["mediapackage-vod"].list_assets()["Assets"] == []
    assert aws["s3"].list_objects_v2(Bucket=demo["bucket"])["KeyCount"] == 0


def refused_fields(message: str) -> set[str]:
    """The fields a refusal names: one ``field: problem`` line each after the headline."""
    headline, *lines = message.split("\n")
    assert headline == REFUSED, message
    assert lines, message
    return {line.split(": ", 1)[0] for line in lines}


def assert_safe_to_log(message: str) -> None:
    """Hostile values appear clipped and escaped: no raw control or bidi characters, no flood."""
    raw = sorted({c for c in message if c != "\n" and unicodedata.category(c) in _INVISIBLE})
    assert not raw, (raw, message[:300])
    assert len(message) < 5000, len(message)
    assert all(len(line) < 1000 for line in message.split("\n")), message[:300]


# --------------------------------------------------------------------------- hostile values

# Not an ASCII letter, digit, "_" or "-": every one breaks an id; none is ASCII-digit, ":", "+", ".",
# "T" or "Z", so inserted into a valid time it cannot make another valid time.
HOSTILE_CHARS = [
    "\x00", "\x01", "\x07", "\x1b", "\x7f", "\n", "\r", "\t", "\x85", " ", "\xa0", "/", "\\", "%",
    "'", '"', "<", "{", "}", "?", "#", "*", "~", "$", ";", "|", "&", "é", "ß", "İ", "ı", "\u212a",
    "日", "😀", "\u0301", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e",
    "\u2066", "\u2069", "\u2028", "\u2029", "\ufeff", "\ufffd", "\uffff", "\u0661", "\u0966", "１", "Ａ",
    "\U000e0041", "\U0010ffff",
]  # fmt: skip
_ID_CHAR = re.compile(r"[A-Za-z0-9_-]", re.ASCII)
assert not [c for c in HOSTILE_CHARS if _ID_CHAR.fullmatch(c) or c in "0123456789:+.TZtz"]
hostile_chars = st.one_of(
    st.sampled_from(HOSTILE_CHARS),
    st.characters(exclude_categories=("Cs",)).filter(
        lambda c: not _ID_CHAR.fullmatch(c) and c not in "0123456789:+.TZtz"
    ),
)
# Characters manifest keys refuse (control and invisible characters, '?', '#', braces, backslash).
KEY_BREAKING_CHARS = ["\x00", "\x1b", "\x7f", "\n", "\x85", "\u200b", "\u200f", "\u202e", "\u2066", "\ufeff",
                      "\u2028", "\u2029", "\U000e0001", "?", "#", "{", "}", "\\"]  # fmt: skip
key_breaking_chars = st.sampled_from(KEY_BREAKING_CHARS) | st.characters(categories=("Cc", "Cf", "Zl", "Zp"))
HUGE = [
    "x" * 100_000,
    "é" * 100_000,
    "\x00" * 100_000,
    "\u202e" * 100_000,
    "{event_id}" * 10_000,
    "../" * 33_000 + "x.m3u8",
    "9" * 100_000,
    "a" * 99_995 + ".m3u8",
    "arn:aws:iam::123456789012:role/" + "r" * 100_000,
    "2026-11-26T19:00:00Z" + " " * 100_000,
    "{" * 100_000,
]
WRONG_TYPES = [5, 0, -1, 3.5, float("nan"), float("inf"), True, False, [], ["x"], {}, {"a": 1}, 10**100]
BAD_TIMES = [
    "2026-02-30T19:00:00Z", "2026-11-26T25:00:00Z", "2026-11-26T19:60:00Z", "2026-11-26T19:00:00+25:00",
    "2026-11-26T24:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "2026-11-26", "19:00:00Z",
    "1795806000", "P1D", "2026-W48-4T19:00:00Z", "2026-330T19:00:00Z", "next thursday", "now", "today",
    " 2026-11-26T19:00:00Z", "2026-11-26T19:00:00Z\n", "2026-11-26T19:00:00ZZ", "2026/11/26 19:00:00Z",
    "26/11/2026 19:00 +00:00", "２０２６-11-26T19:00:00Z", "٢٠٢٦-١١-٢٦T19:00:00Z", "2026-11-26T19:00:00 UTC",
    "2026-11-26T19:00:00+05:00[Asia/Karachi]", "2026-11-26T19:00:00.1234567890Z", "",
]  # fmt: skip
BAD_KEY_PLACEHOLDERS = [
    "{bucket}/index.m3u8", "{0}/index.m3u8", "{}/index.m3u8", "{event_id!r}/index.m3u8", "{event_id:>99}/index.m3u8",
    "{event_id.__class__}/index.m3u8", "{event_id[0]}/index.m3u8", "{event_id/index.m3u8", "event_id}/index.m3u8",
    "{{event_id}}/index.m3u8", "{date}{/index.m3u8",
]  # fmt: skip
NOT_M3U8 = [".mp4", ".m3u", ".M3U8", ".m3u8 ", ".m3u8/", ".m3u8.bak", "", ".ts", ".mpd", ".m3u8\n", ".m3u8?x=1",
            ".m3u8#t=0", "m3u8", ".m3u8\x00", "/.m3u8", ".m3u8\u200b"]  # fmt: skip
RESERVED_BUCKET_AFFIXES = [("xn--", ""), ("sthree-", ""), ("amzn-s3-demo-", ""), ("", "-s3alias"), ("", "--ol-s3"),
                           ("", "--x-s3"), ("", "--table-s3"), ("", ".mrap")]  # fmt: skip
MALFORMED_ARNS = [
    "arn:aws:iam::12345678901:role/{name}", "arn:aws:iam::1234567890123:role/{name}",
    "arn:aws:iam:::role/{name}", "arn:aws:iam::12345678901x:role/{name}",
    "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/{name}", "arn:aws:iam::123456789012:user/{name}",
    "arn:aws:iam::123456789012:group/{name}", "arn:aws:iam::123456789012:policy/{name}",
    "arn:aws:iam::123456789012:Role/{name}", "arn:aws:iam::123456789012:assumed-role/{name}/session",
    "arn:aws:iam:us-east-1:123456789012:role/{name}", "arn:aws:sts::123456789012:role/{name}",
    "arn:aws:s3:::{name}", "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role/{name}/",
    "arn:aws:iam::123456789012:role//", "arn:aws:iam::123456789012:{name}",
    "arn:aws:iam::123456789012:role/{name}\n", " arn:aws:iam::123456789012:role/{name}",
    "arn:aws:iam::123456789012:role/{name} ", "ARN:AWS:IAM::123456789012:ROLE/{name}",
    "arn:AWS:iam::123456789012:role/{name}", "arn::iam::123456789012:role/{name}",
    "aws:iam::123456789012:role/{name}", "{name}", "arn:aws:iam::123456789012:role/" + "r" * 65,
    "arn:aws:iam::123456789012:role/" + "p" * 511 + "/{name}", "arn:aws:iam::123456789012:role/{name}*",
    "arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:role/{name}\x00",
    "arn:aws:iam::123456789012:role/rôle",
]  # fmt: skip
BAD_ZONES = [
    "Mars/Olympus", "../../../etc/passwd", "/etc/localtime", "localtime", "Factory", "posixrules", "right/UTC",
    "America/../Europe/London", "UTC\n", "America/New_York\x00", "America/New_York\u200b", "", 5, None, ["UTC"],
    "x" * 100_000,
]  # fmt: skip
PARTITIONS = ["aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc", "aws-test", "awss"]
wrong_partitions = st.sampled_from(PARTITIONS) | st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True).filter(
    lambda p: p != "aws"
)
segments = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
offsets_minutes = st.sampled_from([0, 0, -300, -240, 60, 330, 345, 840, -720, -570])


def iso(t: pendulum.DateTime, offset_minutes: int, style: int) -> str:
    """``t`` written as ISO 8601 with an offset, in one of the forms validation accepts."""
    local = t.in_timezone(pendulum.fixed_timezone(offset_minutes * 60))
    text = local.isoformat()  # 2026-11-26T19:00:00-05:00
    if style % 2 and offset_minutes == 0:
        text = text.replace("+00:00", "Z")
    if style % 3 == 1:
        text = text.replace("T", " ", 1)
    return text


def naive(t: pendulum.DateTime, offset_minutes: int, style: int) -> str:
    """``t``'s wall clock in some zone, without the offset that says which."""
    local = t.in_timezone(pendulum.fixed_timezone(offset_minutes * 60))
    forms = ["YYYY-MM-DDTHH:mm:ss", "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DDTHH:mm", "YYYY-MM-DDTHH:mm:ss.SSS"]
    return local.format(forms[style % len(forms)])


def insert(text: str, position: int, piece: str) -> str:
    position %= len(text) + 1
    return text[:position] + piece + text[position:]


@st.composite
def invalid_buckets(draw: st.DrawFn, base: str) -> str:
    kind = draw(st.integers(0, 10))
    if kind == 0:
        return insert(base, draw(st.integers(0, 63)), draw(hostile_chars | st.sampled_from("ABCXYZ_")))
    if kind == 1:
        return draw(st.sampled_from(["a", "ab"])) if draw(st.booleans()) else "b" * draw(st.integers(64, 300))
    if kind == 2:
        return draw(st.sampled_from(["-", "."])) + base if draw(st.booleans()) else base + draw(st.sampled_from("-."))
    if kind == 3:
        return insert(base, draw(st.integers(1, len(base) - 1)), "..")
    if kind == 4:
        return ".".join(str(draw(st.integers(0, 999))) for _ in range(4))  # like an IP address
    if kind == 5:
        prefix, suffix = draw(st.sampled_from(RESERVED_BUCKET_AFFIXES))
        return prefix + base + suffix
    if kind == 6:
        return draw(st.sampled_from(["s3://", "arn:aws:s3:::", "https://", "/"])) + base
    if kind == 7:
        return base + draw(st.sampled_from(["/key", "/", ":", "?x", " "]))
    if kind == 8:
        return base.upper()
    if kind == 9:
        return base.replace("-", "_") if "-" in base else base + "_x"
    return draw(st.sampled_from(["bück", "bucket\x00", "bu\u200bcket", "\u202ebucket", "ｂｕｃｋｅｔ", "bucket\n"]))


@st.composite
def invalid_manifest_keys(draw: st.DrawFn) -> tuple[str, str]:
    """(key or template, what is wrong with it)."""
    folders = draw(st.lists(segments | st.sampled_from(["{event_id}", "{date}", "{origin_endpoint_id}"]), max_size=3))
    name = draw(st.sampled_from(["index", "master", "{event_id}", "main_1"]))
    kind = draw(st.integers(0, 8))
    if kind == 0:  # traversal
        parts = [*folders, name + ".m3u8"]
        for _ in range(draw(st.integers(1, 3))):
            parts.insert(draw(st.integers(0, len(parts) - 1)), draw(st.sampled_from(["..", "."])))
        return "/".join(parts), "'.' or '..'"
    if kind == 1:  # absolute
        return "/" * draw(st.integers(1, 3)) + "/".join([*folders, name + ".m3u8"]), ""
    if kind == 2:  # backslashes
        parts = [*folders, name + ".m3u8"]
        sep = "\\" if len(parts) > 1 and draw(st.booleans()) else "/"
        key = sep.join(parts)
        return (
            key if "\\" in key else draw(st.sampled_from(["..\\", "C:\\", "\\\\server\\", "a\\"])) + key
        ), "backslash"
    if kind == 3:  # not a playlist
        return "/".join([*folders, name]) + draw(st.sampled_from(NOT_M3U8)), ""
    if kind == 4:  # a character keys refuse
        key = "/".join([*folders, name + ".m3u8"])
        return insert(key, draw(st.integers(0, len(key) - 6)), draw(key_breaking_chars)), ""
    if kind == 5:
        return draw(st.sampled_from(BAD_KEY_PLACEHOLDERS)), ""
    if kind == 6:  # empty segments
        return "/".join([*folders, "", name + ".m3u8"]) if folders else name + ".m3u8/", ""
    if kind == 7:  # over S3's 1024 bytes
        unit = draw(st.sampled_from(["k", "é", "日", "😀"]))
        count = 1025 // len(unit.encode()) + draw(st.integers(0, 3000))
        return "/".join([*folders, unit * count + ".m3u8"]), "S3 keys have at most 1024"
    return draw(st.sampled_from(["", ".m3u8", "/", "..", ".", "../", "~/.m3u8", "index.m3u8/.."])) or "/", ""


_ROLE_CHAR = re.compile(r"[\w+=,.@/-]", re.ASCII)  # a "/" inside the name would make a path


@st.composite
def malformed_role_arns(draw: st.DrawFn, name: str) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(MALFORMED_ARNS)).replace("{name}", name)
    char = draw(hostile_chars.filter(lambda c: not _ROLE_CHAR.fullmatch(c)))
    return f"arn:aws:iam::123456789012:role/{insert(name, draw(st.integers(0, 64)), char)}"


# --------------------------------------------------------------------------- trigger confs


@dataclass(frozen=True)
class Seeded:
    """What a good conf refers to, and when "now" is (floored to the minute, before any example)."""

    anchor: pendulum.DateTime
    endpoint: str
    bucket: str
    role_arn: str
    vod_role_arn: str
    packaging_group_id: str
    schedule_dir: str

    def config(self, max_future_hours: int = 48) -> DeploymentConfig:
        return DeploymentConfig(
            s3_bucket=self.bucket,
            harvest_role_arn=self.role_arn,
            packaging_group_id=self.packaging_group_id,
            vod_source_role_arn=self.vod_role_arn,
            max_future_hours=max_future_hours,
            end_margin_seconds=0,
            schedule_dir=self.schedule_dir,
        )


@dataclass
class Case:
    conf: dict[str, Any]
    config: DeploymentConfig
    field: str
    words: str = ""  # a phrase the refusal must contain, when the category has one


@st.composite
def good_confs(draw: st.DrawFn, seeded: Seeded) -> tuple[dict[str, Any], pendulum.DateTime, pendulum.DateTime]:
    start = seeded.anchor.subtract(minutes=draw(st.integers(61, 12 * 60)))
    end = start.add(minutes=draw(st.integers(1, 60)))
    conf: dict[str, Any] = {
        "event_id": draw(st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)),
        "origin_endpoint_id": seeded.endpoint,
        "start_time": iso(start, draw(offsets_minutes), draw(st.integers(0, 5))),
        "end_time": iso(end, draw(offsets_minutes), draw(st.integers(0, 5))),
    }
    optional = {
        "s3_bucket": st.sampled_from([seeded.bucket, None, ""]),
        "manifest_key": st.sampled_from(["{event_id}/index.m3u8", "{date}/{event_id}/index.m3u8", None, ""]),
        "role_arn": st.sampled_from([seeded.role_arn, None, ""]),
        "packaging_group_id": st.sampled_from([seeded.packaging_group_id, None, ""]),
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            conf[name] = draw(values)
    return conf, start, end


CONF_CATEGORIES = (
    "naive time",
    "malformed time",
    "end not after start",
    "longer than 24 h",
    "beyond the horizon",
    "bad id character",
    "id too long or missing",
    "manifest key",
    "bucket name",
    "malformed role ARN",
    "wrong-partition role ARN",
    "packaging group",
    "huge string",
    "wrong type",
)


V2_FIELDS = ("channel_group", "channel", "origin_endpoint", "manifests")


def as_v2(conf: dict[str, Any]) -> None:
    """The same conf from a MediaPackage v2 endpoint (which takes no role): its own fields to break."""
    conf.pop("origin_endpoint_id", None)
    conf.pop("role_arn", None)
    conf.update(channel_group="demo-group", channel="demo-v2-channel", origin_endpoint="demo-cmaf")


@st.composite
def invalid_confs(draw: st.DrawFn, seeded: Seeded, category: str) -> Case:
    """A good conf with exactly one field broken in the ways of ``category``."""
    conf, start, end = draw(good_confs(seeded))
    hours = draw(st.sampled_from([1, 6, 48, 720]))
    config = seeded.config(max_future_hours=hours)
    offset, style = draw(offsets_minutes), draw(st.integers(0, 11))

    def case(name: str, value: Any, words: str = "") -> Case:
        conf[name] = value
        return Case(conf, config, name, words)

    if category == "naive time":
        name = draw(st.sampled_from(["start_time", "end_time"]))
        return case(name, naive(start if name == "start_time" else end, offset, style), "has no UTC offset")
    if category == "malformed time":
        name = draw(st.sampled_from(["start_time", "end_time"]))
        if draw(st.booleans()):
            return case(name, draw(st.sampled_from(BAD_TIMES)))
        return case(name, insert(conf[name], draw(st.integers(0, 40)), draw(hostile_chars)))
    if category == "end not after start":
        earlier = start.subtract(seconds=draw(st.integers(0, 3 * 86400)))
        return case("end_time", iso(earlier, offset, style), "which is not after the start")
    if category == "longer than 24 h":
        conf["start_time"] = iso(end - timedelta(hours=24, seconds=draw(st.integers(1, 30 * 86400))), offset, style)
        return case("end_time", conf["end_time"], "longer than the 24-hour harvest limit")
    if category == "beyond the horizon":
        # At least an hour past the horizon: the test's own run time cannot bring it back inside.
        late = seeded.anchor.add(hours=hours, seconds=draw(st.integers(3600, 400 * 86400)))
        conf["start_time"] = iso(late.subtract(seconds=draw(st.integers(1, 86400))), offset, style)
        return case("end_time", iso(late, draw(offsets_minutes), style), f"more than {hours} hours ahead")
    if category == "bad id character":
        name = draw(st.sampled_from(["event_id", "origin_endpoint_id"]))
        return case(name, insert(conf[name], draw(st.integers(0, 64)), draw(hostile_chars)), "at position")
    if category == "id too long or missing":
        name = draw(st.sampled_from(["event_id", "origin_endpoint_id"]))
        limit = 64 if name == "event_id" else 256
        kind = draw(st.integers(0, 2))
        if kind == 0:
            return case(name, draw(st.sampled_from("aZ9_-")) * draw(st.integers(limit + 1, 4 * limit)), "characters")
        if kind == 1:
            return case(name, draw(st.sampled_from([None, ""])), "is required")
        conf.pop(name)
        return Case(conf, config, name, "is required")
    if category == "manifest key":
        key, words = draw(invalid_manifest_keys())
        return case("manifest_key", key, words)
    if category == "bucket name":
        return case("s3_bucket", draw(invalid_buckets(seeded.bucket)))
    if category == "malformed role ARN":
        return case("role_arn", draw(malformed_role_arns("mediapackage-harvest")), "is not an IAM role ARN")
    if category == "wrong-partition role ARN":
        partition = draw(wrong_partitions)
        arn = seeded.role_arn.replace("arn:aws:", f"arn:{partition}:", 1)
        return case("role_arn", arn, f"is in partition {partition}, this deployment uses aws")
    if category == "packaging group":
        group = seeded.packaging_group_id
        if draw(st.booleans()):
            return case("packaging_group_id", insert(group, draw(st.integers(0, 10)), draw(hostile_chars)))
        return case("packaging_group_id", "g" * draw(st.integers(257, 2000)))
    if category == "huge string":
        name = draw(st.sampled_from(KNOWN_FIELDS))
        if name in V2_FIELDS:
            as_v2(conf)
        return case(name, draw(st.sampled_from(HUGE)))
    if category == "wrong type":
        # Not the list and number fields: [] and ["x"] are manifests, 5 is an interval or a deadline (their
        # wrong types: test_validation.py's test_the_mediaconvert_fields_refuse_wrong_types and
        # test_validation.py's test_playable_within_minutes_refuses_what_is_not_whole_minutes_in_range).
        not_text = ("manifests", "mediaconvert", "thumbnail_interval_seconds", "playable_within_minutes")
        name = draw(st.sampled_from([f for f in KNOWN_FIELDS if f not in not_text]))
        if name in V2_FIELDS:
            as_v2(conf)
        return case(name, draw(st.sampled_from(WRONG_TYPES)), "must be a string")
    raise AssertionError(category)


def run_examples(cases: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
    """``check`` on ``EXAMPLES_PER_CATEGORY`` examples of ``cases`` (one category: each gets its share)."""

    @settings(
        max_examples=EXAMPLES_PER_CATEGORY,
        deadline=None,
        database=None,  # the categories share this function: no replaying one's examples in another
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(case=cases)
    def examples(case: Any) -> None:
        check(case)

    examples()


def run_validate(conf: dict[str, Any], config: DeploymentConfig, context: dict[str, Any] | None = None) -> Any:
    """The DAG's ``validate`` task on a manual run with this conf (or on ``context``)."""
    operator = ValidateLiveEventOperator(task_id="validate", deployment=config)
    if context is None:
        run = SimpleNamespace(run_type=DagRunType.MANUAL, run_id="manual__hostile", dag_id="live_event_harvest")
        context = {"dag_run": run, "params": {**PARAM_DEFAULTS, **conf}}
    return operator.execute(context)


def test_invalid_trigger_confs_are_refused_naming_the_field_before_any_aws_call(aws, demo, requests_seen, tmp_path):
    seeded = Seeded(
        anchor=pendulum.now("UTC").start_of("minute"),
        endpoint=demo["endpoint_id"],
        bucket=demo["bucket"],
        role_arn=demo["harvest_role_arn"],
        vod_role_arn=demo["vod_role_arn"],
        packaging_group_id=demo["packaging_group_id"],
        schedule_dir=str(tmp_path / "no-schedule"),
    )
    assert seeded.role_arn.startswith("arn:aws:iam::")

    # The control: a good conf goes through and makes its one read-only call, seen on both sides.
    start = seeded.anchor.subtract(hours=2)
    good = {"event_id": "control", "origin_endpoint_id": seeded.endpoint}
    good |= {"start_time": start.isoformat(), "end_time": start.add(hours=1).isoformat()}
    (unit,) = run_validate(good, seeded.config())
    assert (unit["event_id"], unit["output"], unit["s3_bucket"]) == ("control", "full", seeded.bucket)
    assert requests_seen.calls == ["DescribeOriginEndpoint"]
    assert requests_seen.snapshot() == (1, 1, 1)

    seen: dict[str, int] = dict.fromkeys(CONF_CATEGORIES, 0)

    def check(case: Case, category: str) -> None:
        before = requests_seen.snapshot()
        with pytest.raises(AirflowFailException) as refused:
            run_validate(case.conf, case.config)
        message = str(refused.value)
        assert refused_fields(message) == {case.field}, (category, case.conf.get(case.field), message[:500])
        assert case.words in message, (category, case.words, message[:500])
        assert_safe_to_log(message)
        assert requests_seen.snapshot() == before, (category, requests_seen.calls[-3:])
        seen[category] += 1

    for category in CONF_CATEGORIES:
        run_examples(invalid_confs(seeded, category), lambda case, category=category: check(case, category))

    assert all(count >= 1 for count in seen.values()), seen
    assert requests_seen.snapshot() == (1, 1, 1), requests_seen.calls  # still only the control's call
    assert_nothing_created(aws, demo)
    record_reliability(
        group="hostile input",
        fault=f"invalid trigger confs: {sum(seen.values())} generated, {len(CONF_CATEGORIES)} kinds",
        outcome="each refused naming the field; no AWS request made",
        harvest_jobs=0,
        vod_assets=0,
        events=0,
    )


# --------------------------------------------------------------------------- schedule entries


SCHEDULE_CATEGORIES = (
    "id",
    "endpoint",
    "naive time",
    "malformed time",
    "end not after start",
    "longer than 14 days",
    "padding",
    "timezone",
    "destination manifest key",
    "destination bucket",
    "destination role ARN",
    "destination other",
    "clip",
    "unknown or wrong-typed field",
    "huge string",
    "wrong-partition role ARN",
)


@dataclass
class EntryCase:
    """A schedule file: good entries and one broken entry (index ``position``, numbered from 1)."""

    entries: list[Any]
    position: int
    label: str  # how errors name the broken entry: its id, or #N when the id is unusable
    field: str  # the field every error names
    words: str = ""  # a phrase one of the errors must contain, when the category has one
    loads: bool = False  # the loader accepts it (only wrong partitions): the validate task refuses it
    allow_unicode: bool = True
    file_name: str = "season.yaml"


def good_entries(anchor: pendulum.DateTime) -> list[dict[str, Any]]:
    """Two valid events on their own endpoints, with offsets (the files set no time zone)."""
    day = anchor.subtract(days=3)
    return [
        {
            "id": "good-a",
            "endpoint": "good-a-hls",
            "start": day.isoformat(),
            "end": day.add(hours=3).isoformat(),
            "padding_after": "15m",
        },
        {
            "id": "good-b",
            "endpoints": ["good-b-hls", "good-b-world"],
            "timezone": "America/New_York",
            "start": iso(day.add(hours=4), -300, 0),
            "end": iso(day.add(hours=7), -300, 0),
            "destination": {"manifest_key": "games/{date}/{event_id}/index.m3u8", "packaging_group_id": ""},
            "clips": [
                {
                    "name": "opening-drive",
                    "start": iso(day.add(hours=4, minutes=2), 0, 1),
                    "end": iso(day.add(hours=4, minutes=9), 0, 1),
                }
            ],
        },
    ]


@st.composite
def broken_schedules(draw: st.DrawFn, seeded: Seeded, category: str) -> EntryCase:
    """Two good entries and one entry with exactly one field broken in the ways of ``category``."""
    start = seeded.anchor.subtract(days=2, minutes=draw(st.integers(0, 600)))
    end = start.add(minutes=draw(st.integers(30, 300)))
    offset, style = draw(offsets_minutes), draw(st.integers(0, 11))
    event_id = draw(st.from_regex(r"hostile-[A-Za-z0-9_-]{1,20}", fullmatch=True))
    entry: dict[str, Any] = {
        "id": event_id,
        "endpoint": "hostile-hls",
        "start": iso(start, offset, style),
        "end": iso(end, draw(offsets_minutes), style),
    }
    if draw(st.booleans()):
        entry["padding_before"], entry["padding_after"] = draw(
            st.sampled_from([("5m", "15m"), (0, 600), ("1h30m", "0")])
        )
    if draw(st.booleans()):
        entry["destination"] = {"s3_bucket": seeded.bucket, "manifest_key": "{event_id}/index.m3u8"}
        entry["destination"] |= {"role_arn": seeded.role_arn, "packaging_group_id": ""}
    clip = {"name": "drive", "start": iso(start.add(minutes=1), offset, style), "end": iso(start.add(minutes=9), 0, 0)}
    if draw(st.booleans()):
        entry["clips"] = [clip]
    entries: list[Any] = good_entries(seeded.anchor)
    position = draw(st.integers(1, 3))
    entries.insert(position - 1, entry)
    result = EntryCase(entries, position, event_id, "")
    result.allow_unicode = draw(st.booleans())
    result.file_name = draw(st.sampled_from(["season.yaml", "week-12.yml", "2026 playoffs.yaml", "é.yaml"]))

    def broken(name: str, value: Any, words: str = "", field_name: str | None = None) -> EntryCase:
        entry[name] = value
        result.field, result.words = field_name or name, words
        return result

    def destination(name: str, value: Any, words: str = "") -> EntryCase:
        entry["destination"] = {**entry.get("destination", {}), name: value}
        result.field, result.words = f"destination.{name}", words
        return result

    if category == "id":
        result.label = f"#{position}"
        kind = draw(st.integers(0, 3))
        if kind == 0:
            return broken("id", insert(event_id, draw(st.integers(0, 30)), draw(hostile_chars)), "at position")
        if kind == 1:
            return broken("id", "g" * draw(st.integers(65, 500)), "characters")
        if kind == 2:
            return broken("id", draw(st.sampled_from([5, True, 1.5, ["a"], {"a": 1}])), "must be text")
        entry.pop("id")
        result.field, result.words = "id", "is required"
        return result
    if category == "endpoint":
        kind = draw(st.integers(0, 3))
        if kind == 0:
            return broken(
                "endpoint", insert("hostile-hls", draw(st.integers(0, 11)), draw(hostile_chars)), "at position"
            )
        if kind == 1:
            return broken("endpoint", "e" * draw(st.integers(257, 1000)), "characters")
        if kind == 2:
            return broken("endpoint", draw(st.sampled_from([5, False, None, "", {"a": 1}])))
        entry.pop("endpoint")
        bad = insert("hostile-world", draw(st.integers(0, 13)), draw(hostile_chars))
        return broken("endpoints", ["hostile-hls", bad], "at position", field_name="endpoints[#2]")
    if category == "naive time":
        name = draw(st.sampled_from(["start", "end"]))
        return broken(name, naive(start if name == "start" else end, offset, style), "no time zone is set")
    if category == "malformed time":
        name = draw(st.sampled_from(["start", "end"]))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            return broken(name, draw(st.sampled_from([*BAD_TIMES, "1999-12-31T23:00:00Z", "2200-01-01T00:00:00Z"])))
        if kind == 1:  # not a space: the schedule allows one before the offset
            return broken(name, insert(entry[name], draw(st.integers(0, 40)), draw(hostile_chars.filter(str.strip))))
        if kind == 2:
            return broken(name, "2026-11-26T19:00:00" + draw(st.sampled_from(["+19:00", "-24:00", "+05:60"])), "offset")
        # A wall time the entry's zone skips (spring forward) or has twice (fall back).
        entry["timezone"] = "America/New_York"
        other = "end" if name == "start" else "start"
        entry[other] = "2027-03-14T12:00:00Z" if name == "start" else "2027-03-14T05:00:00Z"
        wall, words = draw(
            st.sampled_from([("2027-03-14 02:30", "does not exist"), ("2026-11-01 01:30", "happens twice")])
        )
        if words == "happens twice":
            entry[other] = "2026-11-01T12:00:00Z" if name == "start" else "2026-11-01T04:00:00Z"
        return broken(name, wall, words)
    if category == "end not after start":
        return broken(
            "end", iso(start.subtract(seconds=draw(st.integers(0, 3 * 86400))), offset, style), "is not after"
        )
    if category == "longer than 14 days":
        entry.pop("clips", None)
        entry["padding_before"] = entry["padding_after"] = 0
        span = timedelta(days=14, seconds=draw(st.integers(1, 400 * 86400)))
        return broken("end", iso(start + span, offset, style), "14 days of startover")
    if category == "padding":
        name = draw(st.sampled_from(["padding_before", "padding_after"]))
        value = draw(st.sampled_from(["-5m", "7h", "6h1s", "1:30", "5 m", "5min", "1d", "ten", "", None, 5.5, True,
                                      -1, 21601, ["5m"], "5m\x00", "\u202e5m", "١٥m"]))  # fmt: skip
        return broken(name, value)
    if category == "timezone":
        value = draw(st.sampled_from(BAD_ZONES))
        return broken("timezone", value)
    if category == "destination manifest key":
        return destination("manifest_key", draw(invalid_manifest_keys())[0])
    if category == "destination bucket":
        return destination("s3_bucket", draw(invalid_buckets(seeded.bucket)))
    if category == "destination role ARN":
        return destination("role_arn", draw(malformed_role_arns("mediapackage-harvest")), "is not an IAM role ARN")
    if category == "destination other":
        kind = draw(st.integers(0, 3))
        if kind == 0:
            group = insert("demo-vod", draw(st.integers(0, 8)), draw(hostile_chars))
            return destination("packaging_group_id", draw(st.sampled_from([group, "g" * 257, 5])))
        if kind == 1:
            return broken("destination", draw(st.sampled_from([["a"], "live-archive", 5])), "must be a mapping")
        if kind == 2:
            entry["destination"] = {"bucket": seeded.bucket}
            result.field, result.words = "destination.bucket", "did you mean 's3_bucket'?"
            return result
        return destination(
            draw(st.sampled_from(["s3_bucket", "manifest_key", "role_arn"])), draw(st.sampled_from(["", 5, None]))
        )
    if category == "clip":
        kind = draw(st.integers(0, 3))
        entry["clips"] = [clip]
        if kind == 0:
            clip["name"] = draw(st.sampled_from(["Drive", "drive_1", "", "d" * 41, "dr ive", "drïve", "drive\x00", 5]))
            result.field = "clips[#1].name"
            return result
        if kind == 1:
            clip["end"] = iso(start.add(minutes=1).subtract(seconds=draw(st.integers(0, 86400))), offset, style)
            result.field, result.words = "clips[drive].end", "is not after the clip's start"
            return result
        if kind == 2:
            clip["end"] = iso(start.add(minutes=1, hours=24, seconds=draw(st.integers(1, 86400))), offset, style)
            result.field, result.words = "clips[drive].end", "the harvest limit is 24 h"
            return result
        clip["start"] = iso(start.subtract(hours=7, seconds=draw(st.integers(1, 16 * 3600))), offset, style)
        result.field, result.words = "clips[drive]", "is not inside the event's padded window"
        return result
    if category == "unknown or wrong-typed field":
        kind = draw(st.integers(0, 1))
        if kind == 0:
            name = draw(st.sampled_from(["endpiont", "strat", "Start", "ends", "clip", "paddingBefore", "tz", "color"]))
            return broken(name, draw(st.sampled_from(["x", 5, None])), "is not a known field")
        name = draw(st.sampled_from(["start", "end", "cancelled", "clips"]))
        value = draw(st.sampled_from([5, 1.5, ["x"], {"a": 1}, "maybe"]))
        if name == "clips" and isinstance(value, list):
            return broken(name, value, "must be a mapping with name, start and end", field_name="clips[#1]")
        return broken(name, value)
    if category == "huge string":
        name = draw(st.sampled_from(["id", "endpoint", "start", "end", "timezone", "padding_before", "destination"]))
        huge = draw(st.sampled_from(HUGE))
        if name == "destination":
            return destination(
                draw(st.sampled_from(["s3_bucket", "manifest_key", "role_arn", "packaging_group_id"])), huge
            )
        if name == "id":
            result.label = f"#{position}"
        return broken(name, huge)
    if category == "wrong-partition role ARN":
        partition = draw(wrong_partitions)
        result.loads = True
        return destination(
            "role_arn", seeded.role_arn.replace("arn:aws:", f"arn:{partition}:", 1), f"is in partition {partition}"
        )
    raise AssertionError(category)


def write_schedule(case: EntryCase, base: Path) -> Path:
    directory = Path(tempfile.mkdtemp(dir=base))  # a fresh directory: nothing cached
    text = yaml.safe_dump({"events": case.entries}, allow_unicode=case.allow_unicode, sort_keys=False, width=120)
    (directory / case.file_name).write_text(text, encoding="utf-8")
    return directory


def test_invalid_schedule_entries_are_refused_naming_file_entry_and_field(aws, demo, requests_seen, tmp_path):
    seeded = Seeded(
        anchor=pendulum.now("UTC").start_of("minute"),
        endpoint=demo["endpoint_id"],
        bucket=demo["bucket"],
        role_arn=demo["harvest_role_arn"],
        vod_role_arn=demo["vod_role_arn"],
        packaging_group_id=demo["packaging_group_id"],
        schedule_dir="",
    )
    base = tmp_path / "schedules"
    base.mkdir()
    seen: dict[str, int] = dict.fromkeys(SCHEDULE_CATEGORIES, 0)

    def check(case: EntryCase, category: str) -> None:
        before = requests_seen.snapshot()
        directory = write_schedule(case, base)
        schedule = load_schedule(directory)

        ids = {e.event_id for e in schedule.events}
        broken_id = case.entries[case.position - 1].get("id")
        if case.loads:
            assert schedule.errors == () and ids == {"good-a", "good-b", broken_id}, schedule.errors
        else:
            assert ids == {"good-a", "good-b"}, (category, ids, schedule.errors[:3])
            assert schedule.errors, category
            for error in schedule.errors:
                assert isinstance(error, ScheduleError)
                where = (error.file, error.entry, error.field)
                assert where == (case.file_name, case.label, case.field), (category, str(error)[:300])
                assert str(error).startswith(f"{case.file_name}: {case.label}: {error.field}: ")
                assert_safe_to_log(error.message)
            assert any(case.words in e.message for e in schedule.errors), (category, case.words, schedule.errors)

        # The good entries are scheduled and planned; none of it touches AWS.
        config = dataclasses.replace(seeded.config(), schedule_dir=str(directory))
        timetable = SeasonScheduleTimetable.from_schedule(schedule, margin_seconds=0, source=str(directory))
        assert {s.event_id for s in timetable.slots} == ids and timetable.errors == len(schedule.errors)
        now = pendulum.now("UTC")
        for event in schedule.events:
            assert timetable.event_for(DataInterval(event.start, event.end)) == event.event_id
            if event.event_id != broken_id or not case.loads:
                units = plan_from_schedule(event, config, now)
                assert {u["origin_endpoint_id"] for u in units} == set(event.endpoints)
        assert requests_seen.snapshot() == before, (category, requests_seen.calls[-3:])

        if case.loads:  # refused by the scheduled run's validate task, still before any AWS call
            event = schedule.get(broken_id)
            run = SimpleNamespace(run_type=DagRunType.SCHEDULED, run_id=f"scheduled__{broken_id}")
            context = {
                "dag_run": run,
                "dag": SimpleNamespace(timetable=timetable),
                "params": dict(PARAM_DEFAULTS),
                "data_interval_start": event.start,
                "data_interval_end": event.end,
            }
            with pytest.raises(AirflowFailException) as refused:
                run_validate({}, config, context)
            message = str(refused.value)
            assert refused_fields(message) == {"role_arn"} and case.words in message, message
            assert requests_seen.snapshot() == before, (category, requests_seen.calls[-3:])
        seen[category] += 1

    for category in SCHEDULE_CATEGORIES:
        run_examples(broken_schedules(seeded, category), lambda case, category=category: check(case, category))

    assert all(count >= 1 for count in seen.values()), seen
    assert requests_seen.calls == [] and requests_seen.snapshot() == (0, 0, 0)
    assert_nothing_created(aws, demo)
    record_reliability(
        group="hostile input",
        fault=f"invalid schedule entries: {sum(seen.values())} generated, {len(SCHEDULE_CATEGORIES)} kinds",
        outcome="each refused naming the field; no AWS request made",
        harvest_jobs=0,
        vod_assets=0,
        events=0,
    )
