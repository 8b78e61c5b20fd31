"""Real protocol servers that receive the pipeline's alerts: an SMTP server (aiosmtpd) and an HTTP
server standing in for a Slack incoming webhook. The Slack and SMTP providers' own clients talk to
them, so what a test reads is what a mail server or Slack would have received."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

#: The secret part of the webhook URL (Slack's is the path): an alert must never show it.
WEBHOOK_TOKEN = "T0000SECRET/B0000SECRET/webhookSecretToken123"


@dataclass
class Received:
    """What one sink received, in order."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append(message)

    def all(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.messages)


def _free_port() -> int:
    # aiosmtpd's controller checks its server by connecting to the port it was given: not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _SmtpHandler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("html", "plain"))
        self.received.add(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "subject": str(message["Subject"]),
                "body": body.get_content() if body is not None else "",
                "raw": envelope.content.decode("utf-8", "replace"),
            }
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on 127.0.0.1 (a free port)."""

    def __init__(self) -> None:
        self.received = Received()
        self.controller = Controller(_SmtpHandler(self.received), hostname="127.0.0.1", port=_free_port())

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def connection(self) -> str:
        """``AIRFLOW_CONN_...`` JSON for the SMTP provider: plain SMTP, no TLS (a local test server)."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "live-to-vod@example.test"},
            }
        )


class WebhookSink:
    """An HTTP server answering like a Slack incoming webhook (``200 ok``), recording each POST."""

    def __init__(self, status: int = 200) -> None:
        self.received = Received()
        received, answer = self.received, status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.add({"path": self.path, "body": json.loads(body or b"{}")})
                self.send_response(answer)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if answer == 200 else b"invalid_token")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/{WEBHOOK_TOKEN}"

    def connection(self) -> str:
        """``AIRFLOW_CONN_...`` JSON for the Slack provider's webhook hook (the URL is the password)."""
        return json.dumps({"conn_type": "slackwebhook", "password": self.url})

    def texts(self) -> list[str]:
        return [m["body"].get("text", "") for m in self.received.all()]
