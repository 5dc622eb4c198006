"""The budget at its windows' edges, both back ends: usage is filed under the window Strava counted it in.

A response Strava counted at 23:59:59 that we read at 00:00:00 carries the old day's usage. Filed under the new
day it would park all work for about 23 hours (counters only rise within a window).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from email.utils import formatdate

import pytest
import redis

from sync.budget import DAY_S, QUARTER_S, UNDATED_GRACE_S, LocalBudget, Priority, RedisBudget
from sync.errors import StravaAppCredentialsRejected, StravaRateLimited
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration

MIDNIGHT = 1_790_035_200  # a UTC midnight
assert MIDNIGHT % DAY_S == 0
NOON = MIDNIGHT + 12 * 3600
LIMITS = {"X-RateLimit-Limit": "200,2000", "X-ReadRateLimit-Limit": "100,1000"}

Clock = list[float]
Make = Callable[[Clock], "RedisBudget | LocalBudget"]


@pytest.fixture(params=["redis", "local"])
def make(request: pytest.FixtureRequest) -> Iterator[Make]:
    client = redis.Redis.from_url(f"{REDIS_URL}/0")
    prefix = f"test:{uuid.uuid4().hex}"

    def build(clock: Clock) -> RedisBudget | LocalBudget:
        if request.param == "redis":
            return RedisBudget(client, prefix=prefix, clock=lambda: clock[0])
        return LocalBudget(clock=lambda: clock[0])

    yield build
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


# Each window's reset (midnight for the day, a quarter hour), with usage that spent the window it ends.
AT_EACH_RESET = pytest.mark.parametrize(
    ("boundary", "quarter_used", "day_used"),
    [(MIDNIGHT, 40, 1000), (NOON + QUARTER_S, 100, 500)],
    ids=["daily", "15-min"],
)


def usage_headers(quarter: int, day: int, *, dated: float | None) -> dict[str, str]:
    headers = {
        **LIMITS,
        "X-RateLimit-Usage": f"{quarter},{day}",
        "X-ReadRateLimit-Usage": f"{quarter},{day}",
    }
    if dated is not None:
        headers["Date"] = formatdate(dated, usegmt=True)
    return headers


def can_call(budget: RedisBudget | LocalBudget) -> bool:
    try:
        budget.acquire(Priority.WEBHOOK)
    except StravaRateLimited:
        return False
    return True


@AT_EACH_RESET
def test_usage_dated_before_a_reset_and_read_after_it_feeds_the_old_window(
    make: Make, boundary: int, quarter_used: int, day_used: int
) -> None:
    clock: Clock = [boundary + 0.1]
    budget = make(clock)
    # The old window was spent; Strava counted this response at xx:59:59, we read it 0.1 s into the new one.
    budget.observe(usage_headers(quarter_used, day_used, dated=boundary - 1), "GET")
    assert can_call(budget)
    assert budget.usage()["read"]["quarter_used"] == 1  # the new window holds only our own call


@AT_EACH_RESET
def test_undated_usage_read_right_after_a_reset_is_not_trusted_for_the_new_window(
    make: Make, boundary: int, quarter_used: int, day_used: int
) -> None:
    clock: Clock = [boundary + 0.1]
    budget = make(clock)
    budget.observe(usage_headers(quarter_used, day_used, dated=None), "GET")
    assert can_call(budget)
    # Later in the window the headers are trusted again, and the next response corrects the counters.
    clock[0] = boundary + UNDATED_GRACE_S + 1
    budget.observe(usage_headers(100, 1000, dated=None), "GET")
    assert not can_call(budget)


def test_usage_dated_inside_the_current_window_still_counts(make: Make) -> None:
    clock: Clock = [MIDNIGHT + 0.5]
    budget = make(clock)
    budget.observe(usage_headers(100, 100, dated=MIDNIGHT), "GET")  # counted at 00:00:00: the new day's
    with pytest.raises(StravaRateLimited) as denied:
        budget.acquire(Priority.WEBHOOK)
    assert denied.value.retry_after_s == pytest.approx(QUARTER_S - 0.5 + 1)


def test_a_clock_ahead_of_ours_files_usage_under_strava_s_window(make: Make) -> None:
    # Strava's clock is already in the new day while ours is not: the usage is the new day's, not ours.
    clock: Clock = [MIDNIGHT - 0.5]
    budget = make(clock)
    budget.observe(usage_headers(3, 3, dated=MIDNIGHT), "GET")
    assert budget.usage()["read"]["day_used"] == 0
    clock[0] = MIDNIGHT + 1
    assert budget.usage()["read"]["day_used"] == 3


def test_an_application_fault_pauses_every_priority_until_it_lapses_or_clears(make: Make) -> None:
    clock: Clock = [NOON]
    budget = make(clock)
    budget.pause_for_app_fault("client secret refused", 120)
    for priority in Priority:
        with pytest.raises(StravaAppCredentialsRejected) as paused:
            budget.acquire(priority)
        assert paused.value.retry_after_s is not None
        assert 60 < paused.value.retry_after_s <= 120
    assert budget.app_fault() is not None
    assert budget.clear_app_fault()
    assert can_call(budget)
    assert not budget.clear_app_fault()  # nothing left to clear
