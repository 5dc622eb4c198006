"""The real API and beat processes on a redis-server of the test's own, which the test SIGSTOPs and restarts:
while it is stopped the intake stores and acknowledges Strava's pushes and health answers (degraded), each
answer arriving before the test lets Redis run again; beat keeps running through the hang and the restart.

No clock is read: that the acknowledgement and readiness never wait for the broker at all is proved in-process
by tests/integration/test_intake_hostile.py (a broker blocked until the test releases it); how fast they
answer is bench/'s to measure.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import func, select

from cli.stack import SUBSCRIPTION_ID, Stack
from store.db import engine_for, session_factory
from store.models import StravaEvent
from tests.chaos.conftest import RedisServer
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.e2e, pytest.mark.integration]

BEAT_LOCK = "runsmart:redbeat:lock"  # workers/celery_app.py use_redbeat's key prefix + ":lock"
# How long a request may take before the test gives up on it: a bound on a hang, not a measure of speed.
HANG_BOUND_S = 30


def push(api_url: str, object_id: int) -> requests.Response:
    event = {
        "aspect_type": "create",
        "event_time": 1_700_000_000,
        "object_id": object_id,
        "object_type": "activity",
        "owner_id": 134815,
        "subscription_id": SUBSCRIPTION_ID,
        "updates": {},
    }
    return requests.post(f"{api_url}/webhooks/strava", json=event, timeout=HANG_BOUND_S)


def stopped(pid: int) -> bool:
    """The process is stopped by a signal (state T in /proc/<pid>/stat): Redis is still hung."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def stored(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return session.scalar(select(func.count()).select_from(StravaEvent)) or 0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    if server.proc is not None:
        os.kill(server.proc.pid, signal.SIGCONT)
    server.kill()


@pytest.fixture
def e2e_db(chaos_db: tuple[str, str]) -> str:
    return chaos_db[1]


@pytest.fixture
def stack(e2e_db: str, own_redis: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    started = Stack(
        database_url=e2e_db, broker_url=own_redis.url, log_dir=tmp_path / "logs", workers=0, beat=True
    )
    try:
        yield started.start()
    finally:
        started.stop()


def test_intake_health_and_beat_outlive_a_hung_then_restarted_broker(
    stack: Stack, own_redis: RedisServer, e2e_db: str
) -> None:
    broker = redis.Redis.from_url(own_redis.url, socket_timeout=2)
    wait_for(lambda: broker.exists(BEAT_LOCK), what="beat holding its lock")
    assert push(stack.api_url, 1).status_code == 200  # a healthy broker: published as usual
    assert own_redis.proc is not None

    redis_pid = own_redis.proc.pid
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        wait_for(lambda: stopped(redis_pid), what="redis-server stopped")
        for object_id in range(2, 8):  # each acknowledged and stored while Redis is still stopped
            assert push(stack.api_url, object_id).status_code == 200
        assert stored(e2e_db) == 7
        ready = requests.get(f"{stack.api_url}/readyz", timeout=HANG_BOUND_S)
        assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
        assert requests.get(f"{stack.api_url}/livez", timeout=HANG_BOUND_S).status_code == 200
        assert stopped(redis_pid), "Redis ran again before the answers: they prove nothing about a hang"
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    assert stack.processes["beat"].poll() is None, "beat exited during the hang"

    own_redis.restart(down_for=1.0)  # an empty Redis: the beat lock is gone (LockNotOwnedError in RedBeat)
    broker = redis.Redis.from_url(own_redis.url, socket_timeout=2)
    wait_for(lambda: broker.exists(BEAT_LOCK), what="beat taking its lock again")
    assert stack.processes["beat"].poll() is None, "beat exited after the restart"
    assert push(stack.api_url, 8).status_code == 200
    wait_for(
        lambda: requests.get(f"{stack.api_url}/readyz", timeout=5).json()["status"] == "ready",
        what="the API ready again",
    )
