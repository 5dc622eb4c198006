"""Security suite fixtures: real processes with the simulator in this process, so every token it issues is known."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import text

from cli.stack import CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION_ID, VERIFY_TOKEN, Stack
from simulator.season import seed_world
from simulator.state import SimConfig, Subscription, World
from simulator.testing import SimulatorAdmin, run_in_thread
from store.db import engine_for
from tests.conftest import PG_HOST, REDIS_URL, database_name, temporary_database


class ThreadSimulator:
    """Stands in for `SimulatorProcess` inside a `Stack`: the same admin API, plus the `World` itself."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.base_url = ""
        self.admin = SimulatorAdmin("http://unstarted")
        self._stop: Callable[[], None] | None = None

    def start(self) -> ThreadSimulator:
        self.base_url, self._stop = run_in_thread(self.world)
        self.admin = SimulatorAdmin(self.base_url)
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None

    def issued_secrets(self) -> set[str]:
        """Every access token, refresh token and authorization code the simulated Strava ever handed out."""
        with self.world.lock:
            return set(self.world.access_tokens) | set(self.world.refresh_tokens) | set(self.world.codes)


def make_world(athletes: int, access_token_ttl: int = 21600) -> World:
    world = World(
        SimConfig(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            athletes=athletes,
            weeks=0,
            access_token_ttl=access_token_ttl,
            delivery_retry_delay=0.5,
        )
    )
    seed_world(world)
    return world


def threaded_stack(world: World, **kwargs: Any) -> Stack:
    """A `Stack` whose Strava is `world`, served from a thread of this process."""
    stack = Stack(**kwargs)
    stack.simulator = ThreadSimulator(world)  # type: ignore[assignment]
    world.subscription = Subscription(
        SUBSCRIPTION_ID, f"{stack.api_url}/webhooks/strava", VERIFY_TOKEN, world.now(), CLIENT_ID
    )
    return stack


def libpq_url(name: str) -> str:
    return PG_HOST.replace("postgresql+psycopg://", "postgresql://") + "/" + name


def pg_dump(name: str) -> str:
    done = subprocess.run(
        ["pg_dump", "--no-owner", "--dbname", libpq_url(name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def table_rows_as_text(url: str) -> dict[str, list[str]]:
    """Every row of every table in the public schema, each rendered as PostgreSQL's row text."""
    with engine_for(url).connect() as conn:
        tables = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        ).all()
        return {t: list(conn.scalars(text(f'SELECT t::text FROM "{t}" AS t'))) for t in tables}


@dataclass
class SecurityDb:
    name: str
    url: str


@pytest.fixture(scope="module")
def sec_db(run_tag: str, request: pytest.FixtureRequest) -> Iterator[SecurityDb]:
    name = database_name(f"sec_{request.module.__name__.rsplit('.', 1)[-1]}", run_tag)
    with temporary_database(name) as url:
        yield SecurityDb(name, url)


@pytest.fixture(scope="module")
def sec_broker(worker_id: str) -> str:
    # Redis databases 13/14 (one per xdist worker) belong to this suite; emptied before use.
    index = 13 + (int(worker_id[2:]) % 2 if worker_id.startswith("gw") else 0)
    url = f"{REDIS_URL}/{index}"
    redis.Redis.from_url(url, socket_timeout=2).flushdb()
    return url


@dataclass
class Secrets:
    token_key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    client_secret: str = CLIENT_SECRET
    verify_token: str = VERIFY_TOKEN
