"""The production topology (``docker-compose.yaml``) as processes on this machine.

Every Airflow service of the compose file, by its compose service name, with the command it runs.
The Celery end-to-end test and the Celery benchmark start exactly these, against the machine's
PostgreSQL (a fresh database) and Redis (the Celery broker); a test checks each has its compose twin.

:class:`CeleryTopology` is that harness (no pytest in it): a fresh database, a broker namespace of
its own, ``airflow-init``, then one process per long-running service and ``workers`` Celery
workers, and :meth:`CeleryTopology.stop` that ends them all and drops what it made.
:func:`unavailable_reason` says why it cannot run here (None when it can). See docs/topology.md.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO, Any

from devstack.net import free_port
from localrun.standalone import ROOT, AirflowApi, airflow_env

# compose service name -> the command its container runs (``airflow`` is the image's entrypoint).
SERVICES: dict[str, list[str]] = {
    "airflow-init": ["airflow", "db", "migrate"],
    "airflow-apiserver": ["airflow", "api-server"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
    "airflow-worker": ["airflow", "celery", "worker"],
    "devstack": ["python", "-m", "devstack", "serve"],
}

# Services the topology uses but does not start here: the machine (and CI) runs them.
INFRASTRUCTURE: dict[str, str] = {"postgres": "127.0.0.1:5432", "redis": "127.0.0.1:6379"}

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
POSTGRES_USER = "postgres"
# Every process of a topology carries its name in this variable: how stop() finds stragglers.
MARKER_ENV = "LOCALRUN_TOPOLOGY"
# A worker's "container hostname", reported by container_hostname() (the workers' hostname_callable).
HOSTNAME_ENV = "LOCALRUN_TOPOLOGY_HOSTNAME"
# Health components that must all say "healthy" before the topology counts as up.
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")

_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def container_hostname() -> str:
    """``[core] hostname_callable`` of the workers: the hostname their compose container would have.

    In compose each worker is its own container, so a task instance's ``hostname`` names the worker
    that ran it; here the workers share one machine, so each gets its own name through the env.
    """
    return os.environ.get(HOSTNAME_ENV) or socket.getfqdn()


def _address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def unavailable_reason(
    postgres: str = INFRASTRUCTURE["postgres"], redis: str = INFRASTRUCTURE["redis"], timeout: float = 3
) -> str | None:
    """None when PostgreSQL (as user ``postgres``) and Redis answer; else what is missing, and where."""
    problems = [
        problem
        for problem in (
            _postgres_problem(postgres, timeout),
            _redis_problem(redis, timeout),
            _celery_problem(),
        )
        if problem
    ]
    if not problems:
        return None
    return "the Celery topology needs PostgreSQL and Redis: " + "; ".join(problems)


def _postgres_problem(address: str, timeout: float) -> str | None:
    try:
        import psycopg2
    except ImportError:
        return "the psycopg2 package is not installed (PostgreSQL client)"

    host, port = _address(address)
    try:
        connection = psycopg2.connect(
            host=host, port=port, user=POSTGRES_USER, dbname="postgres", connect_timeout=max(2, int(timeout))
        )
    except psycopg2.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL does not answer at {address} as user {POSTGRES_USER} ({first_line})"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
    finally:
        connection.close()
    if not (row and row[0]):
        return f"PostgreSQL user {POSTGRES_USER} at {address} may not create databases"
    return None


def _redis_problem(address: str, timeout: float) -> str | None:
    try:
        import redis as redis_client
    except ImportError:
        return "the redis package is not installed (Redis client)"
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    host, port = _address(address)
    client = redis_client.Redis(
        host=host, port=port, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except redis_client.RedisError as exc:
        return f"Redis does not answer at {address} ({exc})"
    finally:
        client.close()
    return None


def _celery_problem() -> str | None:
    try:
        import celery  # noqa: F401
    except ImportError:
        return "the celery package is not installed"
    return None


def _async_db_url(sync_url: str) -> str:
    """Airflow 3 also opens an async engine on the metadata DB; asyncpg (in the lock) is its driver."""
    return sync_url.replace("postgresql+psycopg2://", "postgresql+asyncpg://", 1)


def _die_with_parent() -> None:
    """In each service (before exec): SIGTERM when the process that started it dies, so a killed
    harness leaves no topology running. Only this prctl call: preexec code must stay minimal."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class CeleryTopology:
    """The compose topology as processes: Postgres database, Redis broker namespace, the Airflow services.

    >>> with CeleryTopology(Path("var/topology"), stack_url=..., seed=..., workers=2) as topology:
    ...     topology.api.trigger("live_event_harvest", conf)

    Isolation, so parallel runs (test workers, a developer's own) never see each other:

    - database ``airflow_topo_<hex>``, created fresh, dropped by :meth:`stop`;
    - Celery: every Redis key (queues, unacked, bindings, the control/pidbox channel) under the key
      prefix ``topo_<hex>:`` (kombu's ``global_keyprefix``) and the task queue ``topo_<hex>`` (the
      operators' default queue and the workers' ``--queues``); :meth:`stop` deletes the keys;
    - fresh ports for the API server and each log server, a fernet key, JWT secret and API secret key
      per topology, and an admin password that lives only in this object (never in a log).

    ``extra`` overrides any variable of the environment (e.g. ``AIRFLOW__CELERY__WORKER_CONCURRENCY``).
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        stack_url: str,
        seed: dict[str, Any],
        workers: int = 2,
        postgres: str = INFRASTRUCTURE["postgres"],
        redis: str = INFRASTRUCTURE["redis"],
        redis_db: int = 0,
        **extra: str,
    ):
        if workers < 1:
            raise ValueError("a topology needs at least one Celery worker")
        self.base = Path(base_dir).resolve()
        self.name = f"topo_{uuid.uuid4().hex[:12]}"
        self.database = f"airflow_{self.name}"
        self.queue = self.name
        self.key_prefix = f"{self.name}:"
        self.postgres = postgres
        self.redis = redis
        self.redis_db = redis_db
        self.username = "admin"
        self._password = secrets.token_urlsafe(24)
        # A worker's hostname, as its container's would be: what task instances report as ``hostname``.
        self.worker_hostnames = [f"{self.name.replace('_', '-')}-worker-{i}" for i in range(1, workers + 1)]
        sql_conn = f"postgresql+psycopg2://{POSTGRES_USER}@{postgres}/{self.database}"
        self.broker_url = f"redis://{redis}/{redis_db}"
        from cryptography.fernet import Fernet

        production = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_conn,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _async_db_url(sql_conn),
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{POSTGRES_USER}@{postgres}/{self.database}",
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": self.key_prefix,
            # as in docker-compose.yaml: Airflow's Celery defaults, the pipeline imported once per worker
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "live_to_vod.pipeline.celery_config.CELERY_CONFIG",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            MARKER_ENV: self.name,
        }
        self.env = airflow_env(
            self.base / "airflow", api_port=free_port(), stack_url=stack_url, seed=seed, **{**production, **extra}
        )
        self.api = AirflowApi(self.env["AIRFLOW__API__BASE_URL"], username=self.username, login_password=self._password)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self._database_created = False
        self._stopped = False

    def __repr__(self) -> str:  # the env holds secrets: never in a repr
        return f"CeleryTopology({self.name}, {len(self.worker_hostnames)} workers, {self.base})"

    # ---- what runs -------------------------------------------------------------------------------

    @property
    def password(self) -> str:
        """The admin user's generated password (for a person logging in to the UI)."""
        return self._password

    @property
    def celery_nodes(self) -> list[str]:
        """The workers' Celery node names (``celery@<hostname>``), as ``celery inspect`` shows them."""
        return [f"celery@{host}" for host in self.worker_hostnames]

    def services(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        """Each long-running process: its name (the compose service, workers numbered), command, env."""
        services = {
            name: (SERVICES[name], self.env)
            for name in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-apiserver")
        }
        for i, host in enumerate(self.worker_hostnames, start=1):
            env = {
                **self.env,
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "localrun.topology.container_hostname",
                HOSTNAME_ENV: host,
            }
            command = [*SERVICES["airflow-worker"], "--celery-hostname", host, "--queues", self.queue]
            services[f"airflow-worker-{i}"] = (command, env)
        return services

    def log_path(self, service: str) -> Path:
        return self.base / f"{service}.log"

    def _note(self, message: str) -> None:
        """The harness's own progress, with timestamps, in ``topology.log`` (never a secret)."""
        with open(self.base / "topology.log", "a") as log:
            log.write(f"{time.strftime('%H:%M:%S')} {self.name}: {message}\n")

    # ---- start -----------------------------------------------------------------------------------

    def __enter__(self) -> CeleryTopology:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 300) -> CeleryTopology:
        """Database, ``airflow-init``, every service; returns once all are healthy and the workers answer.

        On failure everything started so far is stopped again before the error propagates.
        """
        deadline = time.monotonic() + timeout
        self.base.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        try:
            self._reap_stale()
            self._create_database()
            self._note(f"database {self.database} created; running airflow-init")
            self._init()
            for name, (command, env) in self.services().items():
                self._spawn(name, command, env)
            self._note(f"started {', '.join(f'{n} (pid {p.pid})' for n, p in self.processes.items())}")
            self._wait_until_up(deadline)
            self._note(f"up: healthy, workers {', '.join(self.celery_nodes)} answer; queue {self.queue}")
        except BaseException:
            self.stop()
            raise
        return self

    def connect(self, dbname: str | None = None) -> Any:
        """An autocommit psycopg2 connection as ``postgres`` to ``dbname`` (default: the topology's database)."""
        import psycopg2

        host, port = _address(self.postgres)
        connection = psycopg2.connect(
            host=host, port=port, user=POSTGRES_USER, dbname=dbname or self.database, connect_timeout=5
        )
        connection.autocommit = True
        return connection

    def _create_database(self) -> None:
        """The fresh database, labelled with the harness's host and pid (how a later run spots it stale)."""
        from psycopg2 import sql

        connection = self.connect("postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
                self._database_created = True
                label = json.dumps({"harness": "localrun.topology", "host": socket.gethostname(), "pid": os.getpid()})
                cursor.execute(
                    sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(self.database), sql.Literal(label))
                )
        finally:
            connection.close()

    def _reap_stale(self) -> None:
        """Drop what topologies left behind on this host when their harness was killed (SIGKILL: no
        stop()): databases whose harness process is gone, and those topologies' broker keys. Their
        services went with the harness (they get SIGTERM when it dies)."""
        try:
            connection = self.connect("postgres")
        except Exception:  # noqa: BLE001 -- best effort; start() reports a real problem itself
            return
        stale = []
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT d.datname, shobj_description(d.oid, 'pg_database') FROM pg_database d"
                    " WHERE d.datname LIKE 'airflow\\_topo\\_%'"
                )
                for database, comment in cursor.fetchall():
                    try:
                        label = json.loads(comment or "")
                    except ValueError:
                        continue
                    if label.get("host") == socket.gethostname() and not _pid_alive(int(label.get("pid", 0))):
                        stale.append(database)
            from psycopg2 import sql

            for database in stale:
                with connection.cursor() as cursor:
                    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        finally:
            connection.close()
        for database in stale:
            name = database.removeprefix("airflow_")
            keys = self._flush_broker(f"{name}:")
            self._note(f"dropped stale database {database} and {keys} broker keys of a killed harness")

    def _run_step(self, service: str, command: list[str], stdin: bytes | None, timeout: float) -> None:
        with open(self.log_path(service), "ab") as log:
            result = subprocess.run(
                command,
                env=self.env,
                cwd=ROOT,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # no controlling terminal: getpass reads the password from stdin
                timeout=timeout,
            )
        if result.returncode != 0:
            raise RuntimeError(f"{service}: `{' '.join(command)}` exited {result.returncode}\n{self._tail(service)}")

    def _init(self) -> None:
        """``airflow-init``: migrate the fresh database, then the admin user of the FAB auth manager.

        The password goes in on stdin (``users create`` without ``--password`` asks for it twice), so
        it is neither in a log nor on a command line. Done before the API server starts: the first
        FAB start creates the roles and permissions, and two doing it at once collide.
        """
        self._run_step("airflow-init", SERVICES["airflow-init"], None, timeout=300)
        create_user = [
            "airflow", "users", "create", "--username", self.username, "--role", "Admin",
            "--firstname", "Topology", "--lastname", "Admin", "--email", "admin@example.com",
        ]  # fmt: skip
        self._run_step("airflow-init", create_user, f"{self._password}\n{self._password}\n".encode(), timeout=300)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = open(self.log_path(name), "ab")
        self._logs.append(log)
        self.processes[name] = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() signals the service and its children
            preexec_fn=_die_with_parent,
        )

    def _tail(self, service: str, lines: int = 25) -> str:
        try:
            text = self.log_path(service).read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return f"(no log at {self.log_path(service)})"
        return f"last lines of {self.log_path(service)}:\n" + "\n".join(text[-lines:])

    def check_running(self) -> None:
        """Raise, with the log's last lines, when a service has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{self._tail(name)}")

    def health(self) -> dict[str, Any]:
        """``/api/v2/monitor/health`` ({} while the API server does not answer)."""
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.api.base_url}/api/v2/monitor/health", timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return {}

    def healthy(self) -> bool:
        health = self.health()
        return all((health.get(part) or {}).get("status") == "healthy" for part in HEALTH_COMPONENTS)

    def answering_workers(self, timeout: float = 1.0) -> set[str]:
        """Celery node names answering a broadcast ping in this topology's broker namespace."""
        from celery import Celery

        app = Celery("localrun-topology-probe", broker=self.broker_url, set_as_current=False)
        app.conf.broker_transport_options = {"global_keyprefix": self.key_prefix}
        app.conf.broker_connection_retry_on_startup = False
        try:
            replies = app.control.ping(timeout=timeout) or []
        except Exception:  # noqa: BLE001 -- broker hiccup while starting: ask again
            replies = []
        finally:
            app.close()
        return {node for reply in replies for node in reply}

    def _wait_until_up(self, deadline: float) -> None:
        waiting_for = "the API server's health"
        noted_healthy = False
        while time.monotonic() < deadline:
            self.check_running()
            if not self.healthy():
                waiting_for = f"health: {self.health() or 'API server not answering'}"
            else:
                if not noted_healthy:
                    self._note("API server, scheduler, dag-processor and triggerer healthy")
                    noted_healthy = True
                missing = set(self.celery_nodes) - self.answering_workers()
                if not missing:
                    return
                waiting_for = f"Celery workers answering a ping: {sorted(missing)}"
            time.sleep(1)
        raise RuntimeError(f"topology {self.name} not up in time; still waiting for {waiting_for}; logs in {self.base}")

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Wait until the DAG is parsed, and make sure it is not paused."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            if self.api.dag_ready(dag_id):
                self.api.call("PATCH", f"/dags/{dag_id}", {"is_paused": False})
                self._note(f"DAG {dag_id} parsed and unpaused")
                return
            time.sleep(1)
        raise RuntimeError(f"DAG {dag_id} not parsed after {timeout:.0f} s\n{self._tail('airflow-dag-processor')}")

    # ---- crashes (the reliability suite) ------------------------------------------------------------

    def kill(self, service: str) -> list[int]:
        """SIGKILL a service as a container kill would: its process group and, for a worker, every
        task process it started (they may sit in process groups of their own). Returns the pids killed."""
        process = self.processes[service]
        victims = [process.pid]
        if service.startswith("airflow-worker-"):
            host = self.worker_hostnames[int(service.rsplit("-", 1)[1]) - 1]
            mark = f"{HOSTNAME_ENV}={host}".encode()
            victims += [pid for pid in self.leftover_pids() if mark in _environ(pid)]
        _signal_group(process.pid, signal.SIGKILL)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=30)
        killed = sorted(set(victims))
        self._note(f"killed {service} (SIGKILL, pids {killed})")
        return killed

    def restart(self, service: str) -> None:
        """Start a service again (after :meth:`kill`), with the command and environment it had."""
        if self.processes[service].poll() is None:
            raise RuntimeError(f"{service} is still running")
        command, env = self.services()[service]
        self._spawn(service, command, env)
        self._note(f"restarted {service} (pid {self.processes[service].pid})")

    def worker_service(self, hostname: str) -> str:
        """The worker service (``airflow-worker-N``) of a task instance's ``hostname``."""
        return f"airflow-worker-{self.worker_hostnames.index(hostname) + 1}"

    # ---- stop ------------------------------------------------------------------------------------

    def leftover_pids(self) -> list[int]:
        """Processes of this user still carrying this topology's marker (none after stop())."""
        marker = f"{MARKER_ENV}={self.name}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if entry.stat().st_uid != os.getuid():
                    continue
                if marker in _environ(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                continue
        return found

    def stop(self, grace: float = 20) -> None:
        """SIGTERM every service's process group, SIGKILL what is left after ``grace`` seconds (and any
        straggler carrying this topology's marker), then drop the database and the broker keys."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        self._note("stopping")
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        started = time.monotonic()
        ended: dict[str, float] = {}
        while len(ended) < len(self.processes) and time.monotonic() - started < grace:
            for name, process in self.processes.items():
                # a service has ended when its process and its group (celery pool, log server...) are gone
                if name not in ended and process.poll() is not None and not _group_alive(process.pid):
                    ended[name] = time.monotonic() - started
            time.sleep(0.1)
        if ended:
            self._note("ended after SIGTERM: " + ", ".join(f"{n} {t:.1f} s" for n, t in ended.items()))
        killed = [name for name in self.processes if name not in ended]
        if killed:
            self._note(f"SIGKILL after {grace:.0f} s: {', '.join(killed)}")
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if sys.platform == "linux":
            for pid in self.leftover_pids():  # e.g. a task runner in a process group of its own
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for log in self._logs:
            log.close()
        self._note(f"processes ended; {len(self.leftover_pids()) if sys.platform == 'linux' else 0} left")
        self._drop_database()
        self._note(f"database {self.database} dropped, {self._flush_broker()} broker keys deleted")

    def _drop_database(self) -> None:
        if not self._database_created:
            return
        from psycopg2 import sql

        connection = self.connect("postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))
            self._database_created = False
        finally:
            connection.close()

    def _broker(self) -> Any:
        """A client of the topology's Redis database (a context manager: closed on exit)."""
        import redis as redis_client

        host, port = _address(self.redis)
        return redis_client.Redis(host=host, port=port, db=self.redis_db, socket_timeout=10)

    def _flush_broker(self, key_prefix: str | None = None) -> int:
        keys = self.broker_keys(key_prefix)
        if keys:
            with self._broker() as client:
                client.delete(*keys)
        return len(keys)

    def database_exists(self) -> bool:
        connection = self.connect("postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                return cursor.fetchone() is not None
        finally:
            connection.close()

    def broker_keys(self, key_prefix: str | None = None) -> list[bytes]:
        """The broker keys under ``key_prefix`` (default: this topology's namespace)."""
        with self._broker() as client:
            return list(client.scan_iter(match=f"{key_prefix or self.key_prefix}*", count=1000))


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def serve(base_dir: Path, *, stack_url: str, seed: dict[str, Any], workers: int = 2) -> int:
    """``python -m localrun topology``: start a topology, say how to reach it, keep it until Ctrl-C."""
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    topology = CeleryTopology(base_dir, stack_url=stack_url, seed=seed, workers=workers)
    print(f"starting {topology}: database {topology.database}, queue {topology.queue}; logs in {topology.base}")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        topology.start()
        topology.wait_for_dag("live_event_harvest")
        print(f"up: {topology.api.base_url}  user {topology.username}  password {topology.password}")
        print(f"workers: {', '.join(topology.celery_nodes)}; Ctrl-C stops everything and drops the database")
        while True:
            topology.check_running()
            time.sleep(2)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping the topology ...")
        topology.stop()
    return 0
