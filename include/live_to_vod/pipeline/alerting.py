"""Send alerts through Airflow's notifiers: the Slack provider's webhook notifier and the SMTP
provider's notifier, as ``LIVE_TO_VOD_ALERT_CHANNELS`` says (several at once).

Task callbacks (:class:`OutputFailureAlert`, :class:`OutputRecoveryNote`) run where Airflow runs
them: on the worker after the last try, or in the DAG processor for a task whose worker died.
``on_failure_callback`` fires once per task failure, after the last retry, never per retry: that
is what makes an alert "one per failure". Each channel is sent on its own: a dead Slack webhook
does not stop the email, and a failing channel is logged, never raised (the task's own failure is
what the run shows).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

from live_to_vod.alerts import Alert, one_line_reason, output_failed, output_recovered
from live_to_vod.config import DeploymentConfig
from live_to_vod.pipeline.metrics import count

log = logging.getLogger(__name__)

__all__ = ["OutputFailureAlert", "OutputRecoveryNote", "notifiers", "run_link", "send_alert", "send_alert_async"]


def notifiers(alert: Alert, config: DeploymentConfig) -> list[tuple[str, Any]]:
    """(channel, notifier) for each configured channel, holding ``alert``'s text.

    The notifiers get the finished text and are called through ``notify``: nothing is rendered
    with Jinja again, so a reason quoting ``{{`` (an AWS message can) is sent as it is.
    """
    built: list[tuple[str, Any]] = []
    for channel in config.alert_channel_list:
        if channel == "slack":
            from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

            built.append(
                ("slack", SlackWebhookNotifier(slack_webhook_conn_id=config.alert_slack_conn_id, text=alert.text()))
            )
        elif channel == "smtp":
            from airflow.providers.smtp.notifications.smtp import SmtpNotifier

            built.append(
                (
                    "smtp",
                    SmtpNotifier(
                        to=list(config.alert_email_list),
                        from_email=config.alert_email_from or None,
                        subject=alert.subject,
                        html_content=alert.html(),
                        smtp_conn_id=config.alert_smtp_conn_id,
                    ),
                )
            )
    return built


def send_alert(alert: Alert, context: Any, config: DeploymentConfig | None = None) -> dict[str, str | None]:
    """Send ``alert`` on every configured channel; channel -> None (sent) or the error."""
    config = config or DeploymentConfig.from_env()
    outcome: dict[str, str | None] = {}
    for channel, notifier in notifiers(alert, config):
        try:
            notifier.notify(context)
            outcome[channel] = None
        except Exception as exc:  # one channel's trouble must not silence the others
            outcome[channel] = f"{type(exc).__name__}: {exc}"
            log.exception("The %s alert for %s could not be sent", channel, alert.event_id)
    if outcome:
        log.info("Alert %r sent: %s", alert.subject, outcome)
    return outcome


async def send_alert_async(alert: Alert, context: Any, config: DeploymentConfig | None = None) -> dict[str, str | None]:
    """:func:`send_alert` for the triggerer (deadline callbacks): the notifiers' own async paths."""
    config = config or DeploymentConfig.from_env()
    outcome: dict[str, str | None] = {}
    for channel, notifier in notifiers(alert, config):
        try:
            await notifier.async_notify(context)
            outcome[channel] = None
        except NotImplementedError:
            await asyncio.to_thread(notifier.notify, context)
            outcome[channel] = None
        except Exception as exc:
            outcome[channel] = f"{type(exc).__name__}: {exc}"
            log.exception("The %s alert for %s could not be sent", channel, alert.event_id)
    log.info("Alert %r sent: %s", alert.subject, outcome)
    return outcome


def ui_base_url() -> str:
    from airflow.configuration import conf

    return (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")


def run_link(dag_id: str, run_id: str, task_id: str | None = None, map_index: int | None = None) -> str:
    """The run (or one task instance of it) in the Airflow UI."""
    url = f"{ui_base_url()}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    if task_id:
        url += f"/tasks/{quote(task_id, safe='')}"
        if map_index is not None and map_index >= 0:
            url += f"/mapped/{map_index}"
    return url


def _unit(context: Any) -> dict[str, Any] | None:
    """The output (validated request) the task worked on: its own ``request``, else validate's plan."""
    request = getattr(context.get("task"), "request", None)
    if isinstance(request, dict) and "event_id" in request:
        return request
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    if map_index is None or map_index < 0:
        return None
    try:
        units = ti.xcom_pull(task_ids="validate", map_indexes=None)
    except Exception:  # a DAG without validate (harvest_notifications): the event id comes from elsewhere
        return None
    if isinstance(units, list) and map_index < len(units) and isinstance(units[map_index], dict):
        return units[map_index]
    return None


def _event_id(context: Any, unit: dict[str, Any] | None) -> str:
    if unit:
        return str(unit["event_id"])
    params = context.get("params") or {}
    run_id = context["dag_run"].run_id
    return str(params.get("event_id") or run_id.split("__", 1)[-1])


def _console_links(unit: dict[str, Any] | None, context: Any) -> list[tuple[str, str | None]]:
    """The S3 asset and, once made, the harvest job in the AWS console."""
    if not unit:
        return []
    from airflow.providers.amazon.aws.links.base_aws import BaseAwsLink

    from live_to_vod.aws.links.mediapackage import MediaPackageHarvestJobLink, S3AssetLink

    region = unit.get("region_name") or _region(context)
    if not region:
        return []
    partition = "aws"
    console = BaseAwsLink.get_aws_domain(partition)
    links: list[tuple[str, str | None]] = []
    prefix = unit["manifest_key"].rsplit("/", 1)[0] + "/" if "/" in unit["manifest_key"] else ""
    links.append(
        (
            "Asset (S3 console)",
            S3AssetLink.format_str.format(
                aws_domain=console, region_name=region, bucket=unit["s3_bucket"], prefix=prefix
            ),
        )
    )
    job_id = _harvest_job_id(context)
    if job_id and not unit.get("v2_endpoint"):
        links.append(
            (
                "Harvest job (MediaPackage console)",
                MediaPackageHarvestJobLink.format_str.format(
                    aws_domain=console, region_name=region, harvest_job_id=job_id
                ),
            )
        )
    return links


def _region(context: Any) -> str | None:
    try:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

        task = context.get("task")
        conn_id = getattr(task, "aws_conn_id", None) or "aws_default"
        return AwsBaseHook(aws_conn_id=conn_id, client_type="s3").conn_region_name
    except Exception:  # no connection where the callback runs: the alert goes without console links
        return None


def _harvest_job_id(context: Any) -> str | None:
    ti = context["ti"]
    try:
        made = ti.xcom_pull(task_ids="harvest.create_harvest_job", map_indexes=ti.map_index)
    except Exception:
        return None
    return made.get("harvest_job_id") if isinstance(made, dict) else None


#: The XCom key a failed task's reason is kept under (the board shows it).
FAILURE_REASON_KEY = "failure_reason"


def _record_reason(context: Any, reason: str) -> None:
    """Keep the failure's reason, one line and redacted, as the task's XCom for the board."""
    try:
        context["ti"].xcom_push(key=FAILURE_REASON_KEY, value=one_line_reason(reason))
    except Exception:  # e.g. a callback run by the DAG processor for a task whose worker died
        log.warning("The failure reason of %s could not be kept for the board", context["ti"].task_id, exc_info=True)


class OutputFailureAlert:
    """``on_failure_callback``: one alert per failed task, naming the event, the output, the reason
    (the exception's message), the next step and links. Keeps the reason as the task's
    ``failure_reason`` XCom (the board shows it), alert channels or not.

    :param config: the deployment configuration; read from the environment when not given.
    """

    def __init__(self, config: DeploymentConfig | None = None) -> None:
        self.config = config

    def __call__(self, context: Any) -> None:
        config = self.config or DeploymentConfig.from_env()
        ti = context["ti"]
        exception = context.get("exception")
        reason = str(exception) if exception else "the task failed without an error message (see its log)"
        _record_reason(context, reason)
        count(f"output_failures.{ti.task_id.rsplit('.', 1)[-1]}")
        if not config.alert_channel_list:
            return
        unit = _unit(context)
        alert = output_failed(
            event_id=_event_id(context, unit),
            output=unit.get("output") if unit else None,
            task=ti.task_id,
            reason=reason,
            links=[
                ("Run (Airflow)", run_link(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))),
                *_console_links(unit, context),
            ],
            content_expires_at=unit.get("content_expires_at") if unit else None,
        )
        send_alert(alert, context, config)


class OutputRecoveryNote:
    """``on_success_callback``: one "recovered" note when a task succeeds after failed tries, if the
    deployment asks for it (``LIVE_TO_VOD_ALERT_ON_RECOVERY=true``); otherwise nothing.

    :param config: the deployment configuration; read from the environment when not given.
    """

    def __init__(self, config: DeploymentConfig | None = None) -> None:
        self.config = config

    def __call__(self, context: Any) -> None:
        config = self.config or DeploymentConfig.from_env()
        ti = context["ti"]
        if config.alert_on_recovery != "true" or not config.alert_channel_list or (ti.try_number or 1) <= 1:
            return
        unit = _unit(context)
        alert = output_recovered(
            event_id=_event_id(context, unit),
            output=unit.get("output") if unit else None,
            task=ti.task_id,
            tries=ti.try_number,
            links=[("Run (Airflow)", run_link(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1)))],
        )
        send_alert(alert, context, config)
