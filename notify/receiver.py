"""A small local webhook receiver that verifies Standard Webhooks signatures: for the demo and the tests,
and a reference for the app's developers (docs/notifications.md).

It serves from a daemon thread; `responses` scripts the status codes it answers with (then 200 for ever).
Requests on other paths than `/webhooks` (apprise's json:// or form:// posts) are recorded unverified.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None  # None: not a signed app webhook (e.g. an apprise post)
    error: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str | None = None
    responses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver._record(self.path, dict(self.headers.items()), body)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)  # a slow endpoint, for timeout tests (not a worker)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        verified: bool | None = None
        error = None
        if path.startswith("/webhooks") and self.secret:
            try:
                Webhook(self.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError as exc:
                verified, error = False, str(exc)
        with self._lock:
            self.received.append(Received(path, headers, body, verified, error))
            return self.responses.pop(0) if self.responses else 200

    def webhooks(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.startswith("/webhooks")]

    def others(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if not r.path.startswith("/webhooks")]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
