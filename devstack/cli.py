"""``python -m devstack``: run and inspect the local AWS media stack.

python -m devstack start     # in the background; logs in $DEVSTACK_HOME/devstack.log
python -m devstack status
python -m devstack stop      # stops the encoder and the stack
python -m devstack serve     # in the foreground
python -m devstack clock --advance-days N   # move the retention clock forward

Seeding the demo setup and running Airflow against the stack: ``python -m localrun``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devstack.config import Settings


def pid_alive(path: Path) -> int | None:
    """The pid in ``path`` if that process runs, else None."""
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def healthy(settings: Settings, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.public_url}/_devstack/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def start(settings: Settings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    pid_file = settings.pid_file("devstack")
    if healthy(settings):
        print(f"local media stack already running at {settings.public_url}")
        return
    log_file = settings.log_file("devstack")
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "serve"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={
                **os.environ,
                "DEVSTACK_HOST": settings.host,
                "DEVSTACK_PORT": str(settings.port),
                "DEVSTACK_HOME": str(settings.home),
            },
        )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the local media stack exited at start; see {log_file}")
        if healthy(settings):
            print(f"local media stack running at {settings.public_url} (pid {process.pid}, log {log_file})")
            return
        time.sleep(0.2)
    sys.exit(f"the local media stack did not become healthy in 60 s; see {log_file}")


def stop(settings: Settings) -> None:
    for name in ("encoder", "encoder-v2", "devstack"):
        pid_file = settings.pid_file(name)
        pid = pid_alive(pid_file)
        if pid:
            os.killpg(pid, signal.SIGTERM) if _is_group_leader(pid) else os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not pid_alive(pid_file):
                    break
                time.sleep(0.1)
            print(f"stopped {name} (pid {pid})")
        pid_file.unlink(missing_ok=True)


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def status(settings: Settings) -> int:
    up = healthy(settings)
    print(f"stack:   {'running' if up else 'stopped'} at {settings.public_url}")
    for name in ("encoder", "encoder-v2"):
        pid = pid_alive(settings.pid_file(name))
        print(f"{name}: {f'running (pid {pid})' if pid else 'stopped'}")
    print(f"data:    {settings.home}")
    logs = ", ".join(str(settings.log_file(n)) for n in ("devstack", "encoder", "encoder-v2"))
    print(f"logs:    {logs}")
    if settings.seed_file.exists():
        print(f"seed:    {settings.seed_file}")
    return 0 if up else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "serve", "clock"])
    parser.add_argument("--advance-days", type=float, default=0, help="clock: move the retention clock forward")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        return serve(settings)
    if args.command == "start":
        start(settings)
    elif args.command == "stop":
        stop(settings)
    elif args.command == "status":
        return status(settings)
    elif args.command == "clock":
        request = urllib.request.Request(
            f"{settings.public_url}/_devstack/clock",
            data=json.dumps({"advance_seconds": args.advance_days * 86400}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as response:
            print(response.read().decode())
    return 0


def serve(settings: Settings) -> int:
    """The stack in the foreground until SIGTERM or Ctrl-C."""
    from devstack.server import make_stack_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server, stack = make_stack_server(settings)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    logging.getLogger("devstack").info(
        "local media stack listening on %s, data in %s", settings.public_url, settings.home
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stack.close()
    return 0
