"""Settings of the local media stack, read from the environment (all optional).

| variable | default | meaning |
|---|---|---|
| ``DEVSTACK_HOST`` | ``127.0.0.1`` | address to bind (loopback by default) |
| ``DEVSTACK_PORT`` | ``4566`` | the single port every service answers on |
| ``DEVSTACK_HOME`` | ``./var/devstack`` | data dir: ingested segments, VOD copies, pid and log files |
| ``DEVSTACK_PUBLIC_URL`` | ``http://HOST:PORT`` | base of the ingest, origin and VOD URLs handed out |
| ``DEVSTACK_ACCOUNT_ID`` | ``123456789012`` | account in ARNs (moto's default account) |
| ``DEVSTACK_HARVEST_MIN_SECONDS`` | ``0`` | a harvest job stays ``IN_PROGRESS`` at least this long (AWS: minutes) |
| ``DEVSTACK_HARVEST_WAIT_SECONDS`` | ``30`` | how long a job waits for the segment holding ``EndTime`` to arrive |
| ``DEVSTACK_VOD_MIN_SECONDS`` | ``1`` | a VOD asset takes at least this long from ``QUEUED`` to ``PLAYABLE`` |
| ``DEVSTACK_CREDENTIALS`` | ``local-stack:local-stack`` | access keys (``id:secret``, comma-separated) for SigV4 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from devstack.sigv4 import parse_credentials


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    home: Path
    public_url: str
    account_id: str
    harvest_min_seconds: float
    harvest_wait_seconds: float
    vod_min_seconds: float
    credentials: dict[str, str] = field(default_factory=lambda: parse_credentials(None), repr=False)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        host = str(overrides.get("host") or env.get("DEVSTACK_HOST", "127.0.0.1"))
        port = int(overrides.get("port") or env.get("DEVSTACK_PORT", "4566"))
        home = Path(str(overrides.get("home") or env.get("DEVSTACK_HOME", "var/devstack"))).resolve()
        values = {
            "host": host,
            "port": port,
            "home": home,
            "public_url": env.get("DEVSTACK_PUBLIC_URL", f"http://{host}:{port}"),
            "account_id": env.get("DEVSTACK_ACCOUNT_ID", "123456789012"),
            "harvest_min_seconds": float(env.get("DEVSTACK_HARVEST_MIN_SECONDS", "0")),
            "harvest_wait_seconds": float(env.get("DEVSTACK_HARVEST_WAIT_SECONDS", "30")),
            "vod_min_seconds": float(env.get("DEVSTACK_VOD_MIN_SECONDS", "1")),
            "credentials": parse_credentials(env.get("DEVSTACK_CREDENTIALS")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None and k in values})
        values["home"] = Path(values["home"]).resolve()  # type: ignore[arg-type]
        if "port" in overrides and "DEVSTACK_PUBLIC_URL" not in env:
            values["public_url"] = f"http://{values['host']}:{values['port']}"
        return cls(**values)  # type: ignore[arg-type]

    # The stack's processes (``devstack``, the ``encoder``) keep their pid and log in the data dir.
    def pid_file(self, process: str) -> Path:
        return self.home / f"{process}.pid"

    def log_file(self, process: str) -> Path:
        return self.home / f"{process}.log"

    @property
    def seed_file(self) -> Path:
        """What the demo seed made (``python -m localrun seed``), shown by ``status``."""
        return self.home / "seed.json"
