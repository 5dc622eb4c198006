"""End-to-end fixtures: real API, Celery worker(s), beat and simulator processes on PostgreSQL and Redis."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from cli.stack import Stack
from tests.conftest import REDIS_URL, database_name, temporary_database

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 120.0, what: str = "condition") -> T:
    """Poll until `check` holds. The deadline is a backstop, generous because CI may share its two cores with
    another job: a passing wait returns as soon as its condition holds, whatever the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def e2e_db(run_tag: str) -> Iterator[str]:
    with temporary_database(database_name("e2e", run_tag)) as url:
        yield url


@pytest.fixture
def broker_url(worker_id: str) -> str:
    # One Redis database per xdist worker, emptied before use. RUNSMART_TEST_REDIS_DB moves the range, so two
    # test runs on one machine (two checkouts, or a run beside a benchmark) never flush each other's broker.
    base = int(os.environ.get("RUNSMART_TEST_REDIS_DB", "10"))
    index = base + (int(worker_id[2:]) if worker_id.startswith("gw") else 0)
    url = f"{REDIS_URL}/{index}"
    try:
        redis.Redis.from_url(url, socket_timeout=2).flushdb()
    except redis.RedisError as error:
        pytest.exit(
            f"Redis is not reachable at {REDIS_URL} ({error}). Start it, e.g. "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''`, or set RUNSMART_TEST_REDIS.",
            returncode=3,
        )
    return url


@pytest.fixture
def stack_factory(e2e_db: str, broker_url: str, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    started: list[Stack] = []

    def make(**kwargs: object) -> Stack:
        stack = Stack(database_url=e2e_db, broker_url=broker_url, log_dir=tmp_path / "logs", **kwargs)  # type: ignore[arg-type]
        started.append(stack)
        return stack.start()

    yield make
    for stack in started:
        stack.stop()
