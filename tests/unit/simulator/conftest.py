"""Fixtures for the simulator's unit tests: a fake clock, a seeded world, a TestClient, a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from simulator.app import create_app
from simulator.season import seed_world
from simulator.state import SimConfig, World

SEASON_END = date(2026, 7, 1)
# 2026-07-01 10:05:00 UTC: 5 minutes into a quarter hour
START = datetime(2026, 7, 1, 10, 5, tzinfo=UTC).timestamp()


class FakeClock:
    def __init__(self, t: float = START) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(clock: FakeClock) -> World:
    w = World(
        SimConfig(season_end=SEASON_END, weeks=4, delivery_retry_delay=0.05, delivery_sync=True), now=clock
    )
    seed_world(w)
    return w


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world)
    with TestClient(app) as c:
        yield c
    app.state.deliverer.stop()


@pytest.fixture
def athlete_id(world: World) -> int:
    return next(iter(world.athletes))


@pytest.fixture
def auth(client: TestClient, athlete_id: int) -> dict[str, str]:
    tokens = client.post(f"/_sim/athletes/{athlete_id}/tokens").json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


class Receiver:
    """A tiny webhook endpoint: records POSTed JSON, answers statuses from a script, echoes handshakes."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # consumed per POST; 200 when empty
        self.handshake: str = "echo"  # echo | wrong | slow | error
        self.handshake_queries: list[dict[str, str]] = []
        self.slow_seconds = 1.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.events.append(json.loads(body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                receiver.handshake_queries.append(q)
                if receiver.handshake == "slow":
                    import time

                    time.sleep(receiver.slow_seconds)
                if receiver.handshake == "error":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                challenge = q.get("hub.challenge", "") if receiver.handshake != "wrong" else "nope"
                payload = json.dumps({"hub.challenge": challenge}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the simulator gave up waiting (slow handshake test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/strava"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
