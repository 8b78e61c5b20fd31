"""The local media stack as the end-to-end benchmarks use it: its own process, seeded, with
back-dated live content already pushed through the channel's ingest URL."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum

ROOT = Path(__file__).resolve().parents[1]


class StackExited(RuntimeError):
    """The stack's process ended before it answered."""


@dataclass
class BenchStack:
    home: Path  # the bench's temporary directory; the stack's data in home / "devstack"
    settings: Any  # devstack.config.Settings
    demo: dict[str, Any]  # what seed made
    clients: dict[str, Any]  # boto3 clients for the stack
    content_start: pendulum.DateTime  # the first instant of the pushed content
    push_seconds: float  # how long pushing the content took


@contextmanager
def seeded_stack(
    prefix: str, *, harvest_seconds: float, preroll_seconds: int, vod_min_seconds: float | None = 1
) -> Iterator[BenchStack]:
    """Start the stack (``DEVSTACK_HARVEST_MIN_SECONDS=harvest_seconds``), seed it, push
    ``preroll_seconds`` of back-dated content; stop it when the block ends."""
    from devstack.cli import healthy
    from devstack.config import Settings
    from devstack.net import free_port
    from localrun.seed import clients, push_content, seed

    port = free_port()
    home = Path(tempfile.mkdtemp(prefix=prefix))
    (home / "devstack").mkdir(parents=True)
    env = {
        **os.environ,
        "DEVSTACK_PORT": str(port),
        "DEVSTACK_HOME": str(home / "devstack"),
        "DEVSTACK_HARVEST_MIN_SECONDS": str(harvest_seconds),
    }
    if vod_min_seconds is not None:
        env["DEVSTACK_VOD_MIN_SECONDS"] = str(vod_min_seconds)
    with open(home / "devstack" / "devstack.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "devstack", "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            settings = Settings.from_env(port=port, home=str(home / "devstack"))
            while not healthy(settings):
                if server.poll() is not None:
                    raise StackExited(f"the stack exited; see {home / 'devstack' / 'devstack.log'}")
                time.sleep(0.1)
            demo = seed(settings, with_encoder=False)
            c = clients(settings, demo["region"])
            t0 = time.perf_counter()
            encoder = push_content(c["mediapackage"], demo, preroll_seconds)
            yield BenchStack(home, settings, demo, c, encoder.start, time.perf_counter() - t0)
        finally:
            server.terminate()
            server.wait(timeout=30)


def observer_queue(c: dict[str, Any], demo: dict[str, Any], name: str = "bench-observer") -> str:
    """A queue of the bench's own on the seed's notification rule (a second target: EventBridge copies
    every event to both), so the bench times job completions without taking a message from the
    deployment's consumer."""
    url = c["sqs"].create_queue(QueueName=name)["QueueUrl"]
    arn = c["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for rule in (demo["rule"], demo["mediaconvert_rule"]):
        c["events"].put_targets(Rule=rule, Targets=[{"Id": name, "Arn": arn}])
    return url


def topology_unavailable() -> bool:
    """True, with the reason printed, when the Celery topology cannot run here (the Celery benches exit 2)."""
    from localrun.topology import unavailable_reason

    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}")
    return reason is not None


def events_parser(doc: str, *, events: int, harvest_seconds: float, per: str) -> argparse.ArgumentParser:
    """The command line of a bench of many events at once: ``--events`` (per ``per``), ``--harvest-seconds``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=events, help=f"events in flight at once, per {per}")
    parser.add_argument("--harvest-seconds", type=float, default=harvest_seconds, help="each harvest job's own time")
    return parser
