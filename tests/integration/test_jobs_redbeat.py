"""Two beat instances never send a job twice: RedBeat's lock in the real Redis, tested at the scheduler level."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from celery import Celery
from redbeat.schedulers import RedBeatScheduler, acquire_distributed_beat_lock

from tests.conftest import REDIS_URL
from tests.integration.helpers_beat import CountingSends, make_due
from workers.celery_app import use_redbeat

pytestmark = pytest.mark.integration
REDIS_DB = f"{REDIS_URL}/3"


class CountingScheduler(CountingSends, RedBeatScheduler):
    pass


@pytest.fixture
def app() -> Iterator[Celery]:
    prefix = f"test:redbeat:{uuid.uuid4().hex}"
    celery = Celery("redbeat-test", broker="memory://")
    use_redbeat(celery, REDIS_DB, key_prefix=prefix)
    celery.conf.beat_max_loop_interval = 0.2  # the waiting instance polls the lock this often
    celery.conf.beat_schedule = {"outbox-redrive": {"task": "notify.redrive", "schedule": 60.0}}
    yield celery
    client = redis.Redis.from_url(REDIS_DB)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def scheduler(app: Celery, sent: list[str]) -> CountingScheduler:
    s = CountingScheduler(app=app)
    s.sent = sent
    return s


def test_the_second_beat_waits_for_the_lock_and_a_due_job_runs_once(app: Celery) -> None:
    sent: list[str] = []
    first, second = scheduler(app, sent), scheduler(app, sent)
    acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=first))
    assert first.lock is not None

    def second_beat() -> None:  # redis-py's lock token is thread-local: the second beat lives in its thread
        acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=second))
        second.tick()
        second.close()

    waiting = threading.Thread(target=second_beat, daemon=True)
    waiting.start()
    waiting.join(timeout=1.0)
    assert waiting.is_alive()  # blocked on the lock: the second beat sends nothing meanwhile
    assert sent == []

    make_due(app, "outbox-redrive")
    first.tick()
    first.tick()
    assert sent == ["outbox-redrive"]  # due once, sent once

    first.close()  # the first beat stops (or its lock lapses after redbeat_lock_timeout)
    waiting.join(timeout=5.0)
    assert not waiting.is_alive()  # the second took the lock over and ticked ...
    assert sent == ["outbox-redrive"]  # ... but the run is recorded in Redis: it does not repeat it


def test_the_lock_lapses_when_a_beat_dies_without_releasing(app: Celery) -> None:
    app.conf.redbeat_lock_timeout = 1
    first = scheduler(app, [])
    acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=first))
    # SIGKILL: nothing releases the lock, nothing extends it any more.
    second = scheduler(app, [])
    started = time.monotonic()
    acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=second))
    assert second.lock is not None
    assert time.monotonic() - started < 3
    second.close()


def test_the_project_beat_uses_redbeat_on_redis_and_schedules_the_jobs() -> None:
    from workers.celery_app import app as project_app

    if not str(project_app.conf.broker_url).startswith("redis"):
        pytest.skip("the filesystem broker keeps Celery's default scheduler")
    assert project_app.conf.beat_scheduler == "workers.beat_scheduler:ResilientRedBeatScheduler"
    tasks = {entry["task"] for entry in project_app.conf.beat_schedule.values()}
    assert {
        "inbox.redrive",
        "notify.redrive",
        "jobs.weekly_review_tick",
        "jobs.missed_tick",
        "jobs.token_prefresh_tick",
        "reconcile.nightly",
        "reconcile.weekly",
    } <= tasks
