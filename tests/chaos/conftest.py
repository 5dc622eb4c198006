"""Chaos fixtures: a database and a Redis server of the suite's own (the Redis is restarted by the test, so it is
never the machine's shared one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from simulator.testing import free_port
from tests.conftest import admin_engine, database_name, temporary_database

# 1 = CI (a few dozen activities, about a minute); larger values scale the scenario (`make chaos`).
SCALE = max(1, int(os.environ.get("RUNSMART_CHAOS_SCALE", "1")))


class RedisServer:
    """`redis-server --port N --save ''` as a child process; `restart()` kills it with SIGKILL and starts it
    again on the same port, empty (no persistence): every queued message is lost."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed (the chaos suite starts and restarts its own)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.workdir)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def restart(self, down_for: float = 1.0) -> None:
        self.kill()
        time.sleep(down_for)  # an outage of a known length, not a synchronisation
        self.start()


@pytest.fixture
def chaos_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def chaos_db(run_tag: str) -> Iterator[tuple[str, str]]:
    name = database_name("chaos", run_tag)
    with temporary_database(name) as url:
        yield name, url


def kill_connections(database: str) -> int:
    """pg_terminate_backend on every connection to `database` (and only to it); returns how many."""
    engine = admin_engine()
    try:
        with engine.connect() as conn:
            killed = conn.scalars(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            ).all()
    finally:
        engine.dispose()
    return sum(1 for ok in killed if ok)
