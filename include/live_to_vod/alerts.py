"""What an alert says: the event, the output, the reason in plain words, what to do next, links.

Pure domain module (no Airflow imports). :mod:`live_to_vod.pipeline.alerting` builds these from a
task's context and sends them through Airflow's notifiers (Slack, SMTP); the tests read them back
from real protocol servers. Everything an alert carries passes :func:`redact` first: a reason
quoted from an exception or an AWS response must not carry a credential into a chat channel.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "NEXT_STEPS",
    "Alert",
    "deadline_missed",
    "last_chance",
    "one_line_reason",
    "output_failed",
    "output_recovered",
    "redact",
]

#: What an operator can do when a task fails, by task id (the group prefix dropped).
NEXT_STEPS: dict[str, str] = {
    "validate": "Fix the event's request (the reason names the field) and trigger it again; nothing was created.",
    "wait_for_event_end": "Check the event's end time; clear the run to wait again.",
    "watch_startover_window": "Check the run: the harvest may still need an operator before the content expires.",
    "create_harvest_job": (
        "Check the origin endpoint and the harvest role, then clear create_harvest_job: a retry finds "
        "the job if one was made, so no second job is created."
    ),
    "wait_for_harvest": (
        "MediaPackage could not harvest the window. Check the endpoint in the console; a new job for "
        "the same window needs a new attempt (clear create_harvest_job) while the content is still in "
        "the startover window."
    ),
    "verify_asset": (
        "The harvested asset in S3 breaks the VOD checklist (the reason names the check and where). "
        "Nothing was handed off. Re-harvest while the content is in the startover window, or accept it "
        "with reverify_vod_asset after a fix."
    ),
    "hand_off_to_vod": (
        "The asset is verified in S3 but MediaPackage VOD did not make it playable. Check the packaging "
        "group and the VOD source role, then clear hand_off_to_vod (it finds its asset again)."
    ),
    "transcode": (
        "MediaConvert did not finish the job (the reason quotes its error code). Check the role and the "
        "template, then clear transcode (a new job is made only if none is running)."
    ),
    "verify_transcode": "The MediaConvert outputs are incomplete or do not decode: clear transcode to make them again.",
    "publish": "The asset is verified and handed off; clear publish to announce it.",
}
_DEFAULT_NEXT_STEP = "Open the task's log from the run link below."

# Secrets an exception text or an AWS error can carry.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),  # user:password@ in a URL
    (re.compile(r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)\S+"), r"\1***"),
    (re.compile(r"(?i)\b((?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[A-Z0-9]{16})\b"), "***"),
    (re.compile(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s\"']+"), r"\1***"),
    (re.compile(r"(?i)\b(authorization\s*[:=]\s*(?:bearer|basic|aws4-hmac-sha256)?\s*)\S+"), r"\1***"),
    (
        re.compile(
            r"(?i)\b((?:aws_)?(?:secret(?:_access)?_key|session_token|password|passwd|api_key|token)\s*[=:]\s*)"
            r"[\"']?[^\s\"',;}]+"
        ),
        r"\1***",
    ),  # fmt: skip
)
#: How much of a reason an alert quotes: enough for any message of ours, short enough for a chat line.
REASON_LIMIT = 1500


def redact(text: str) -> str:
    """``text`` with credentials replaced by ``***``: passwords in URLs, Slack webhook paths, AWS
    access key ids, presigned-URL signatures and tokens, ``Authorization`` headers, ``key=value``
    secrets."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Alert:
    """One message to the people on call; rendered as plain text (Slack) or HTML (email).

    :param kind: ``failed``, ``recovered``, ``deadline_missed`` or ``last_chance``.
    :param event_id: the event (game) the alert is about.
    :param output: the output (whole window, part or clip), or None for the whole event.
    :param headline: one line: what happened.
    :param reason: why, in plain words (redacted, clipped).
    :param next_steps: what an operator can do now.
    :param links: (label, URL) pairs: the run in the Airflow UI, AWS consoles.
    """

    kind: str
    event_id: str
    output: str | None
    headline: str
    reason: str
    next_steps: str
    links: tuple[tuple[str, str], ...] = field(default=())

    @property
    def subject(self) -> str:
        where = f" / {self.output}" if self.output else ""
        return redact(f"[live-to-VOD] {self.event_id}{where}: {self.headline}")

    def text(self) -> str:
        """Plain text, one fact per line (Slack renders it as is)."""
        lines = [self.subject, f"Reason: {self.reason}", f"Next: {self.next_steps}"]
        lines += [f"{label}: {url}" for label, url in self.links]
        return redact("\n".join(lines))

    def html(self) -> str:
        """The same as an HTML email body."""
        esc = html.escape
        parts = [
            f"<h3>{esc(self.subject)}</h3>",
            f"<p><b>Reason:</b> {esc(self.reason)}</p>",
            f"<p><b>Next:</b> {esc(self.next_steps)}</p>",
        ]
        if self.links:
            items = "".join(f'<li><a href="{esc(url)}">{esc(label)}</a></li>' for label, url in self.links)
            parts.append(f"<ul>{items}</ul>")
        return redact("".join(parts))


#: How many of a report's ERROR lines an alert quotes after its headline.
REASON_ERRORS = 3


def one_line_reason(text: str) -> str:
    """A failure message as one line: its headline and, for a report (verify's), its ERROR lines
    rather than every rendition's statistics; redacted and clipped."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    errors = [line.lstrip("- ") for line in lines[1:] if "ERROR" in line]
    if errors:
        more = len(errors) - REASON_ERRORS
        lines = [lines[0], *errors[:REASON_ERRORS], *([f"(+{more} more)"] if more > 0 else [])]
    text = redact(" ".join(" ".join(lines).split()))  # tracebacks and multi-line AWS errors fold
    return text if len(text) <= REASON_LIMIT else text[:REASON_LIMIT] + " [...]"


def _links(links: Iterable[tuple[str, str | None]]) -> tuple[tuple[str, str], ...]:
    return tuple((label, url) for label, url in links if url)


def output_failed(
    *,
    event_id: str,
    output: str | None,
    task: str,
    reason: str,
    links: Sequence[tuple[str, str | None]] = (),
    content_expires_at: str | None = None,
) -> Alert:
    """A task failed for good (retries spent, or a failure no retry can heal).

    :param task: the task id, with or without its group (``harvest.verify_asset``).
    :param content_expires_at: when the event's content leaves the startover window, if known: a
        re-harvest is only possible before then.
    """
    step = task.rsplit(".", 1)[-1]
    next_steps = NEXT_STEPS.get(step, _DEFAULT_NEXT_STEP)
    if content_expires_at:
        next_steps += f" The content leaves the startover window at {content_expires_at}."
    return Alert(
        kind="failed",
        event_id=event_id,
        output=output,
        headline=f"{step} failed",
        reason=one_line_reason(reason),
        next_steps=next_steps,
        links=_links(links),
    )


def output_recovered(
    *, event_id: str, output: str | None, task: str, tries: int, links: Sequence[tuple[str, str | None]] = ()
) -> Alert:
    """A task succeeded after failed tries (sent only when the deployment asks for it)."""
    step = task.rsplit(".", 1)[-1]
    return Alert(
        kind="recovered",
        event_id=event_id,
        output=output,
        headline=f"{step} recovered",
        reason=f"{step} succeeded on try {tries} after {tries - 1} failed {'try' if tries == 2 else 'tries'}.",
        next_steps="Nothing: retries absorbed it.",
        links=_links(links),
    )


def deadline_missed(
    *,
    event_id: str,
    deadline: str,
    event_end: str | None,
    minutes: int | None,
    still_running: Sequence[str],
    links: Sequence[tuple[str, str | None]] = (),
) -> Alert:
    """The event's VOD is not playable by its deadline (``minutes`` after ``event_end``)."""
    promise = f"{minutes} min after the event's end ({event_end})" if minutes is not None and event_end else deadline
    running = ", ".join(still_running) if still_running else "nothing (the run is waiting to be scheduled)"
    return Alert(
        kind="deadline_missed",
        event_id=event_id,
        output=None,
        headline="VOD late",
        reason=f"The VOD was due playable by {deadline}, {promise}. Still to finish: {running}.",
        next_steps="Open the run: a slow harvest or a queue of runs is the usual cause. The run carries on.",
        links=_links(links),
    )


def last_chance(
    *,
    event_id: str,
    expires_at: str,
    not_harvested: Sequence[str],
    links: Sequence[tuple[str, str | None]] = (),
) -> Alert:
    """The content leaves the startover window soon and these outputs have no completed harvest."""
    return Alert(
        kind="last_chance",
        event_id=event_id,
        output=None,
        headline=f"content expires at {expires_at}",
        reason=(
            f"The event's content leaves the origin's startover window at {expires_at}, and "
            f"{', '.join(not_harvested)} {'has' if len(not_harvested) == 1 else 'have'} no completed harvest."
        ),
        next_steps=(
            "Harvest now: clear the failed or stuck task of the run (create_harvest_job finds or makes its "
            "job), or trigger the event again. After that time the content is gone from the origin."
        ),
        links=_links(links),
    )
