"""The Airflow settings this workload runs best with, and why: one list that the compose file, the
Helm values and the local deployments (``localrun``) all carry, and ``docs/deploy.md`` shows.

The workload: a game day is hundreds of event runs at once, each a chain of short tasks (seconds of
work) around long waits that live in the triggerer. So what costs time is the gap between one task
and the next, not the work; and what binds throughput is scheduling, never worker slots held by
waits. Pure data (no Airflow import); ``python -m live_to_vod.airflow_settings`` prints the table
the docs hold (a test fails when it is stale).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AIRFLOW_SETTINGS", "AirflowSetting", "settings_env", "settings_table"]


@dataclass(frozen=True)
class AirflowSetting:
    section: str
    key: str
    value: str
    why: str

    @property
    def env_name(self) -> str:
        return f"AIRFLOW__{self.section.upper()}__{self.key.upper()}"


AIRFLOW_SETTINGS: tuple[AirflowSetting, ...] = (
    AirflowSetting(
        "operators",
        "default_deferrable",
        "True",
        "every wait (event end, harvest, VOD, MediaConvert) runs in the triggerer: no worker slot is held",
    ),
    AirflowSetting(
        "scheduler",
        "scheduler_idle_sleep_time",
        "0.1",
        "the next task is scheduled on the scheduler's next loop after a task ends (in the triggerer "
        "too); at Airflow's 1 s an event's eight steps each wait up to a second for an idle loop",
    ),
    AirflowSetting(
        "core",
        "max_active_tasks_per_dag",
        "64",
        "Airflow's 16 running tasks per DAG would leave worker slots idle with many events in flight",
    ),
    AirflowSetting(
        "core",
        "parallelism",
        "64",
        "running tasks per scheduler: room for the workers' slots (2 x 16 here) plus a third worker",
    ),
    AirflowSetting(
        "celery",
        "worker_concurrency",
        "16",
        "slots per worker: tasks are short and I/O bound; waits hold no slot, so slots only bound work",
    ),
)


def settings_env() -> dict[str, str]:
    """The settings as Airflow's environment variables."""
    return {s.env_name: s.value for s in AIRFLOW_SETTINGS}


def settings_table() -> str:
    """The Markdown table ``docs/deploy.md`` holds."""
    lines = ["| setting | environment variable | value | why |", "|---|---|---|---|"]
    for s in AIRFLOW_SETTINGS:
        lines.append(f"| `[{s.section}] {s.key}` | `{s.env_name}` | `{s.value}` | {s.why} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_table())
