"""The rules each request field must meet, written once for every way a request arrives
(trigger form and REST conf, schedule YAML, the DAG's form params, external harvest jobs).

Pure domain module. Each ``*_problem(s)`` function takes text and returns why it breaks the rule
(``None`` or an empty list when it does not); whether a field is required, and what a value that
is not text means, is the caller's to say (a YAML value has other pitfalls than a JSON one).
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

from live_to_vod.limits import CLIP_NAME_MAX, EVENT_ID_MAX, MAX_KEY_BYTES, RESOURCE_ID_MAX
from live_to_vod.text import show

__all__ = [
    "CLIP_NAME",
    "DEFAULT_VERIFY_SEGMENTS",
    "EVENT_ID",
    "RESOURCE_ID",
    "ROLE_ARN_RE",
    "VERIFY_SEGMENTS",
    "IdRule",
    "bucket_name_problems",
    "endpoint_ref_problem",
    "manifest_key_problems",
    "role_arn_problem",
    "playable_within_problem",
    "verify_segments_problem",
]


@dataclass(frozen=True)
class IdRule:
    """An identifier's alphabet and length."""

    pattern: re.Pattern[str]
    max_len: int
    alphabet: str

    def problem(self, text: str) -> str | None:
        """Why ``text`` is not such an id, naming the first character that breaks the rule."""
        if self.pattern.fullmatch(text):
            return None
        rule = f"must be 1 to {self.max_len} characters, each {self.alphabet}"
        if len(text) > self.max_len or not text:
            return f"{rule}; got {len(text)} characters: {show(text)}"
        position, char = next((i, c) for i, c in enumerate(text) if not self.pattern.fullmatch(c))
        return f"{rule}; {show(text)} has {char!r} at position {position}"

    @property
    def json_schema_pattern(self) -> str:
        """The rule as a JSON-schema ``pattern`` (the DAG's form params)."""
        return f"^{self.pattern.pattern}$"


_ID_ALPHABET = "an ASCII letter, digit, underscore or hyphen"


def endpoint_ref_problem(text: str) -> str | None:
    """Why ``text`` names no origin endpoint: a MediaPackage v1 id, or v2's
    ``channel-group/channel/origin-endpoint`` (each name an id; a v1 id never holds a ``/``)."""
    if "/" not in text:
        return RESOURCE_ID.problem(text)
    names = text.split("/")
    if len(names) != 3:
        return (
            f"names a MediaPackage v2 endpoint as channel-group/channel/origin-endpoint (three names), "
            f"got {len(names)} parts: {show(text)}"
        )
    for part, name in zip(("channel group", "channel", "origin endpoint"), names, strict=True):
        problem = RESOURCE_ID.problem(name)
        if problem:
            return f"the v2 {part} name {problem}"
    return None


EVENT_ID = IdRule(re.compile(rf"[A-Za-z0-9_-]{{1,{EVENT_ID_MAX}}}", re.ASCII), EVENT_ID_MAX, _ID_ALPHABET)
#: MediaPackage ids: origin endpoints, packaging groups, harvest jobs, VOD assets.
RESOURCE_ID = IdRule(re.compile(rf"[A-Za-z0-9_-]{{1,{RESOURCE_ID_MAX}}}", re.ASCII), RESOURCE_ID_MAX, _ID_ALPHABET)
CLIP_NAME = IdRule(
    re.compile(rf"[a-z0-9-]{{1,{CLIP_NAME_MAX}}}", re.ASCII), CLIP_NAME_MAX, "a lowercase ASCII letter, digit or hyphen"
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


def role_arn_problem(arn: str, partition: str | None) -> str | None:
    """Why ``arn`` is not an IAM role ARN (in ``partition``, when given); None when it is.

    The schedule checks the form only (``partition=None``): it does not know the deployment's
    partition; the run that uses the ARN checks that before any AWS call.
    """
    match = ROLE_ARN_RE.fullmatch(arn)
    if match is None:
        return f"is not an IAM role ARN; expected the form arn:{partition or 'aws'}:iam::123456789012:role/NAME"
    if partition is not None and match.group("partition") != partition:
        return (
            f"is in partition {match.group('partition')}, this deployment uses {partition} (LIVE_TO_VOD_AWS_PARTITION)"
        )
    return None


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


#: How the verification of a harvested asset reads its media segments, as a request may ask:
#: ``auto`` (every segment decoded when the asset is small, LIVE_TO_VOD_VERIFY_FULL_MAX_MIB,
#: else sampled), ``sampled`` (the first and last of each rendition, a spread between them and
#: every suspect) or ``full`` (every segment decoded). The verifier's ``listing`` mode (no
#: segment read) is not offered to requests.
VERIFY_SEGMENTS = ("auto", "sampled", "full")
#: What a harvest request that does not say asks for.
DEFAULT_VERIFY_SEGMENTS = "auto"


def verify_segments_problem(value: object) -> str | None:
    """Why ``value`` is not one of :data:`VERIFY_SEGMENTS` (any value: an enum has no other pitfalls)."""
    if isinstance(value, str) and value in VERIFY_SEGMENTS:
        return None
    if not isinstance(value, str):  # said as every text field says it, then what it may be
        return f"must be a string, one of {', '.join(VERIFY_SEGMENTS)}; got {show(value)}"
    return f"must be one of {', '.join(VERIFY_SEGMENTS)}, got {show(value)}"


#: An event's VOD may be promised from 1 minute to a day after its end.
PLAYABLE_WITHIN_MINUTES = (1, 1440)


def playable_within_problem(value: object) -> str | None:
    """Why ``value`` is not a ``playable_within_minutes`` (whole minutes, 1 to 1440)."""
    low, high = PLAYABLE_WITHIN_MINUTES
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return None
    return f"must be a whole number of minutes from {low} to {high}, got {show(value)}"
