"""Beat keeps running through a hung, lost or restarted Redis (workers/beat_scheduler.py), on a redis-server of the
test's own: a restart loses the lock and the schedule, a SIGSTOP hangs every call."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from celery import Celery
from redbeat.schedulers import acquire_distributed_beat_lock

from tests.chaos.conftest import RedisServer
from tests.integration.helpers_beat import CountingSends, make_due
from workers.beat_scheduler import ResilientRedBeatScheduler
from workers.celery_app import use_redbeat

pytestmark = pytest.mark.integration


class CountingScheduler(CountingSends, ResilientRedBeatScheduler):
    pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    own = RedisServer(tmp_path / "redis")
    own.start()
    yield own
    if own.proc is not None:
        os.kill(own.proc.pid, signal.SIGCONT)  # never leave a stopped child behind
    own.kill()


@pytest.fixture
def app(server: RedisServer) -> Celery:
    celery = Celery("beat-survives", broker="memory://")
    use_redbeat(celery, server.url, key_prefix=f"test:beat:{uuid.uuid4().hex}")
    celery.conf.redbeat_redis_options = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    celery.conf.beat_schedule = {"outbox-redrive": {"task": "notify.redrive", "schedule": 60.0}}
    return celery


def tick_until(beat: CountingScheduler, condition: Any, what: str, timeout: float = 60.0) -> None:
    """Tick as beat's loop does (without its sleeps) until `condition()` holds; a tick must never raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        beat.tick()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def started_beat(app: Celery) -> CountingScheduler:
    beat = CountingScheduler(app=app)
    beat.sent = []
    acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=beat))  # what beat does at start
    assert beat.lock is not None
    return beat


def test_beat_reacquires_its_lock_and_schedule_after_a_redis_restart(
    app: Celery, server: RedisServer
) -> None:
    beat = started_beat(app)
    beat.tick()
    client = redis.Redis.from_url(server.url)
    server.restart(down_for=0.2)  # empty again: the lock and the schedule are gone
    assert not client.exists(app.redbeat_conf.lock_key)
    # Plain RedBeat raised LockNotOwnedError here, and beat exited.
    tick_until(beat, lambda: client.exists(app.redbeat_conf.lock_key), "the lock taken again")
    make_due(app, "outbox-redrive")  # the schedule was installed again with the lock
    tick_until(beat, lambda: beat.sent == ["outbox-redrive"], "the due job sent once")


def test_beat_outlives_a_hung_redis_and_carries_on(app: Celery, server: RedisServer) -> None:
    beat = started_beat(app)
    beat.tick()
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        interval = beat.tick()  # times out inside; must come back (not raise) and ask to be called again soon
        assert interval <= 5.0
        assert time.monotonic() - started < 30
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
    make_due(app, "outbox-redrive")
    tick_until(beat, lambda: beat.sent == ["outbox-redrive"], "the due job sent after the hang")


def test_beat_started_while_redis_was_down_takes_the_lock_when_it_returns(
    app: Celery, server: RedisServer
) -> None:
    server.kill()
    beat = CountingScheduler(app=app)  # installing the schedule fails: deferred (plain RedBeat raised)
    beat.sent = []
    with contextlib.suppress(redis.RedisError):  # as celery beat does with its signal receivers' errors
        acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=beat))
    assert beat.lock is None
    assert beat.tick() <= 5.0  # not an error for the missing lock: beat goes on
    server.start()
    client = redis.Redis.from_url(server.url)
    tick_until(beat, lambda: client.exists(app.redbeat_conf.lock_key), "the lock taken")
    make_due(app, "outbox-redrive")
    tick_until(beat, lambda: beat.sent == ["outbox-redrive"], "the due job sent")
