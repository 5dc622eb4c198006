"""The app-wide Strava budget on the real Redis, including two processes sharing it."""

from __future__ import annotations

import multiprocessing
import uuid
from typing import Any

import pytest
import redis

from sync.budget import QUARTER_S, LocalBudget, Priority, RedisBudget, Window
from sync.errors import StravaRateLimited
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration

NOON = 1_790_000_000 - (1_790_000_000 % 86_400) + 12 * 3600 + 60  # a minute into a quarter, mid-day UTC


def limits(read: tuple[int, int], overall: tuple[int, int] = (1000, 10000)) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": f"{overall[0]},{overall[1]}",
        "X-RateLimit-Usage": "0,0",
        "X-ReadRateLimit-Limit": f"{read[0]},{read[1]}",
        "X-ReadRateLimit-Usage": "0,0",
    }


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}"


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(f"{REDIS_URL}/0")


def granted(budget: RedisBudget | LocalBudget, priority: Priority, attempts: int) -> int:
    count = 0
    for _ in range(attempts):
        try:
            budget.acquire(priority)
            count += 1
        except StravaRateLimited:
            pass
    return count


@pytest.mark.parametrize("make", ["redis", "local"])
@pytest.mark.parametrize(
    ("priority", "share"), [(Priority.WEBHOOK, 1.0), (Priority.RECONCILE, 0.9), (Priority.BACKFILL, 0.8)]
)
def test_each_priority_stops_at_its_share_of_the_window(
    client: redis.Redis, prefix: str, make: str, priority: Priority, share: float
) -> None:
    budget: RedisBudget | LocalBudget = (
        RedisBudget(client, prefix=prefix, clock=lambda: NOON)
        if make == "redis"
        else LocalBudget(clock=lambda: NOON)
    )
    budget.observe(limits(read=(50, 1000)), "GET")
    assert granted(budget, priority, 80) == int(50 * share)


def test_a_denied_call_waits_for_the_quarter_hour_or_midnight(client: redis.Redis, prefix: str) -> None:
    budget = RedisBudget(client, prefix=prefix, clock=lambda: NOON)
    budget.observe(limits(read=(5, 1000)), "GET")
    granted(budget, Priority.WEBHOOK, 5)
    with pytest.raises(StravaRateLimited) as quarter:
        budget.acquire(Priority.WEBHOOK)
    assert quarter.value.retry_after_s == pytest.approx(QUARTER_S - 60 + 1)
    budget.observe({**limits(read=(5, 1000)), "X-ReadRateLimit-Usage": "3,1000"}, "GET")
    with pytest.raises(StravaRateLimited) as day:
        RedisBudget(client, prefix=prefix, clock=lambda: NOON + QUARTER_S).acquire(Priority.WEBHOOK)
    assert day.value.retry_after_s == pytest.approx(Window.at(NOON + QUARTER_S).seconds_to_day + 1)


def test_usage_headers_raise_the_counters_but_never_lower_them(client: redis.Redis, prefix: str) -> None:
    budget = RedisBudget(client, prefix=prefix, clock=lambda: NOON)
    budget.observe(limits(read=(100, 1000)), "GET")
    granted(budget, Priority.WEBHOOK, 10)
    budget.observe(
        {**limits(read=(100, 1000)), "X-ReadRateLimit-Usage": "40,400"}, "GET"
    )  # someone else's calls
    assert budget.usage()["read"]["quarter_used"] == 40
    budget.observe({**limits(read=(100, 1000)), "X-ReadRateLimit-Usage": "2,2"}, "GET")  # a stale response
    assert budget.usage()["read"]["quarter_used"] == 40
    assert budget.usage()["read"]["day_used"] == 400


def test_a_new_quarter_hour_opens_a_fresh_window(client: redis.Redis, prefix: str) -> None:
    now = [NOON]
    budget = RedisBudget(client, prefix=prefix, clock=lambda: now[0])
    budget.observe(limits(read=(3, 1000)), "GET")
    assert granted(budget, Priority.WEBHOOK, 5) == 3
    now[0] = NOON + QUARTER_S
    assert granted(budget, Priority.WEBHOOK, 5) == 3


def _hammer(prefix: str, attempts: int, ready: Any, results: Any) -> None:
    budget = RedisBudget(redis.Redis.from_url(f"{REDIS_URL}/0"), prefix=prefix, clock=lambda: NOON)
    ready.wait()  # both processes connected before either asks, so they start together however they are scheduled
    results.put(granted(budget, Priority.WEBHOOK, attempts))


def test_two_processes_share_one_budget_and_never_overshoot_it(client: redis.Redis, prefix: str) -> None:
    RedisBudget(client, prefix=prefix, clock=lambda: NOON).observe(limits(read=(60, 1000)), "GET")
    spawn = multiprocessing.get_context("spawn")
    results, ready = spawn.Queue(), spawn.Barrier(2)
    workers = [spawn.Process(target=_hammer, args=(prefix, 100, ready, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    counts = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    # 200 attempts, 60 allowed: not one more, across processes. How the 60 split between the two is up to the
    # scheduler (on a busy machine one process may take them all), so only the total is a property.
    assert sum(counts) == 60
