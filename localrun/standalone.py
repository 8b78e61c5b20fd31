"""Airflow on this machine, wired to the local media stack: ``airflow standalone`` for the demo
(``make run``) and the end-to-end tests.

Everything Airflow needs comes from :func:`airflow_env`: a git-ignored ``AIRFLOW_HOME`` inside
the project, SQLite with LocalExecutor, the project's ``dags/`` and ``plugins/``, deferrable
operators on, the ``aws_default`` connection pointing at the local stack, and the
``LIVE_TO_VOD_*`` deployment settings taken from the stack's seed. For AWS, only the connection
and those settings change.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.net import free_port
from live_to_vod.airflow_settings import settings_env

ROOT = Path(__file__).resolve().parents[1]
ADMIN_USER = "admin"
# botocore's standard retry mode (throttling, 5xx and dropped connections, with jittered
# exponential back-off) with room for a burst: the same setting as on AWS (docs/deploy.md).
AWS_RETRIES = {"retries": {"mode": "standard", "total_max_attempts": 10}}


def airflow_env(
    home: Path,
    *,
    api_port: int,
    stack_url: str,
    seed: dict[str, Any],
    aws_credentials: tuple[str, str] = ("local-stack", "local-stack"),
    **extra: str,
) -> dict[str, str]:
    """The environment of every Airflow process of the local setup.

    ``aws_credentials`` (key id, secret) go into the ``aws_default`` connection; the local stack
    takes any.
    """
    home = home.resolve()
    (home / "schedules").mkdir(parents=True, exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",  # standalone starts its children as plain `airflow`
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        **settings_env(),  # the deployment's settings for this workload (compose and Helm carry them too)
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",  # schedule edits show up within seconds
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",  # user:role; password generated
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
            {
                "conn_type": "aws",
                "login": aws_credentials[0],
                "password": aws_credentials[1],
                "extra": {"endpoint_url": stack_url, "region_name": seed["region"], "config_kwargs": AWS_RETRIES},
            }
        ),
        "LIVE_TO_VOD_S3_BUCKET": seed["bucket"],
        "LIVE_TO_VOD_HARVEST_ROLE_ARN": seed["harvest_role_arn"],
        "LIVE_TO_VOD_PACKAGING_GROUP_ID": seed["packaging_group_id"],
        "LIVE_TO_VOD_VOD_SOURCE_ROLE_ARN": seed["vod_role_arn"],
        "LIVE_TO_VOD_MEDIACONVERT_ROLE_ARN": seed["mediaconvert_role_arn"],
        "LIVE_TO_VOD_END_MARGIN_SECONDS": "5",
        "LIVE_TO_VOD_NOTIFICATION_QUEUE_URL": seed["queue_url"],
        "LIVE_TO_VOD_SCHEDULE_DIR": str(home / "schedules"),  # the demo's own season schedule (empty at first)
    }
    env.update(extra)
    return env


@dataclass
class AirflowApi:
    """The REST API of a running Airflow, as the ``admin`` user of the simple auth manager.

    With another auth manager (the FAB one of the Celery topology), pass the user's ``username``
    and ``login_password`` instead of a passwords file: ``POST /auth/token`` is the same route.
    """

    base_url: str
    passwords_file: Path | None = None
    _token: str | None = None
    username: str = ADMIN_USER
    login_password: str | None = field(default=None, repr=False)

    @property
    def password(self) -> str:
        """The explicit one, or the one the simple auth manager generated on first start."""
        if self.login_password is not None:
            return self.login_password
        if self.passwords_file is None:
            raise ValueError("AirflowApi needs a passwords_file or a login_password")
        return json.loads(self.passwords_file.read_text())[self.username]

    def token(self) -> str:
        if self._token is None:
            body = json.dumps({"username": self.username, "password": self.password}).encode()
            request = urllib.request.Request(
                f"{self.base_url}/auth/token", data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                self._token = json.loads(response.read())["access_token"]
        return self._token

    def call(self, method: str, path: str, body: Any = None, *, prefix: str = "/api/v2") -> tuple[int, Any]:
        """``method`` on ``prefix + path`` with a bearer token; (status, decoded JSON body)."""
        request = urllib.request.Request(
            f"{self.base_url}{prefix}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                return exc.code, json.loads(text)
            except ValueError:
                return exc.code, text.decode(errors="replace")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/api/v2/monitor/health", timeout=5) as response:
                health = json.loads(response.read())
        except (OSError, ValueError):
            return False
        return all(
            health.get(part, {}).get("status") == "healthy" for part in ("metadatabase", "scheduler", "triggerer")
        )

    def dag_ready(self, dag_id: str) -> bool:
        status, _ = self.call("GET", f"/dags/{dag_id}")
        return status == 200

    def trigger(self, dag_id: str, conf: dict[str, Any], run_id: str | None = None) -> tuple[int, Any]:
        body: dict[str, Any] = {"conf": conf, "logical_date": None}
        if run_id:
            body["dag_run_id"] = run_id
        return self.call("POST", f"/dags/{dag_id}/dagRuns", body)

    def board(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The live-to-VOD board's API (the project's UI plugin, mounted at ``/live-to-vod``)."""
        return self.call(method, path, body, prefix="/live-to-vod")

    def start_harvest(self, conf: dict[str, Any]) -> tuple[int, Any]:
        """An ad-hoc harvest through the board's API: its run id names the event (``manual__<event_id>``)."""
        return self.board("POST", "/api/harvests", conf)

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")[1]["state"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")[1]["task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}?map_index={map_index}"
        status, body = self.call("GET", path)
        return body.get("value") if status == 200 else None


class AirflowStandalone:
    """``airflow standalone`` in the background, with its pid and log in ``home``."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.home = Path(env["AIRFLOW_HOME"])
        self.api = AirflowApi(
            env["AIRFLOW__API__BASE_URL"], Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.home / "standalone.log"

    def start(self, timeout: float = 240) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["airflow", "standalone"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        (self.home / "standalone.pid").write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"airflow standalone exited; see {self.log_path}")
            if self.api.healthy():
                return
            time.sleep(1)
        raise RuntimeError(f"airflow standalone not healthy after {timeout:.0f} s; see {self.log_path}")

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Wait until the DAG is parsed, and make sure it is not paused."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.dag_ready(dag_id):
                self.api.call("PATCH", f"/dags/{dag_id}", {"is_paused": False})
                return
            time.sleep(1)
        raise RuntimeError(f"DAG {dag_id} not parsed after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        stop_pid_file(self.home / "standalone.pid")


def stop_pid_file(pid_file: Path, grace: float = 20) -> bool:
    """SIGTERM the process group named in pid_file, SIGKILL after ``grace`` seconds."""
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pid_file.unlink(missing_ok=True)
    return True
