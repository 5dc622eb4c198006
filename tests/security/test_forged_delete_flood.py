"""A flood of forged deletes naming the real owner of runs we hold (docs/security.md, "Forged and unverifiable
events"): Strava signs no event, so each could only be checked by a read with the owner's token. The reads they
cost stay within the athlete's allowance in every window, while a real deletion among them is still applied well
within Strava's 48 hours. A simulated clock drives the event processor and the sweeper; real PostgreSQL, Strava
mocked at the HTTP level.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from composition.root import Container
from store import repository
from store.db import UnitOfWork
from store.models import Activity
from sync.events import EventProcessor, RetryPolicy
from tests.integration import conftest as integration
from tests.integration.conftest import RATE_HEADERS, STRAVA, connect_athlete, detailed_activity, event_body

settings = integration.settings
redis_budgets = integration.redis_budgets
budget = integration.budget
container = integration.container
strava = integration.strava

pytestmark = [pytest.mark.security, pytest.mark.integration]

OWNER = 4_242_007
RUNS = [9_100_001 + n for n in range(4)]
REALLY_DELETED = RUNS[0]
ALLOWANCE = 2
WINDOW = timedelta(hours=1)
ACTIVITY = re.compile(rf"{re.escape(STRAVA)}/api/v3/activities/(\d+)")


class SimulatedStrava:
    """The owner's runs as Strava shows them, and every read with the simulated time it happened at."""

    def __init__(self, clock: list[datetime]) -> None:
        self.clock = clock
        self.deleted: set[int] = set()
        self.reads: list[tuple[datetime, int]] = []

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        match = ACTIVITY.match(request.url or "")
        assert match is not None
        activity_id = int(match.group(1))
        self.reads.append((self.clock[0], activity_id))
        if activity_id in self.deleted:
            return 404, RATE_HEADERS, json.dumps({"message": "Resource Not Found", "errors": []})
        body: dict[str, Any] = detailed_activity(activity_id, OWNER, name=f"Run {activity_id}")
        return 200, RATE_HEADERS, json.dumps(body)


def push(container: Container, activity_id: int, aspect: str, now: datetime) -> int:
    body = event_body(activity_id, aspect, owner_id=OWNER, event_time=int(now.timestamp()))
    with UnitOfWork(container.sessions) as uow:
        event_id = repository.insert_event_if_new(uow.session, {**body, "received_at": now})
        uow.commit()
    assert event_id is not None
    return event_id


def sweep(container: Container, events: EventProcessor, now: datetime) -> None:
    """inbox.redrive at `now`: every row that is due, processed in the order the sweeper sends them."""
    with container.sessions() as session:
        due = repository.events_to_redrive(
            session, now=now, stale_before=now - timedelta(minutes=10), limit=500
        )
    for event_id in due:
        events.process(event_id)


def held(container: Container) -> set[int]:
    with container.sessions() as session:
        return {run.id for run in session.query(Activity).filter(Activity.athlete_id == OWNER)}


def most_reads_in_any_window(reads: list[datetime]) -> int:
    return max((sum(1 for t in reads if start <= t < start + WINDOW) for start in reads), default=0)


def test_a_flood_of_forged_deletes_costs_at_most_the_allowance_and_a_real_delete_still_lands(
    container: Container, strava: responses.RequestsMock
) -> None:
    clock = [datetime.now(UTC)]
    world = SimulatedStrava(clock)
    strava.add_callback(responses.GET, ACTIVITY, callback=world)
    connect_athlete(container, OWNER, access="access-owner", refresh="refresh-owner")
    policy = RetryPolicy(base_s=1, max_s=2, unverified_allowance=ALLOWANCE, unverified_window_s=3600)
    events = EventProcessor(
        container.sessions, container.gateway, container.tokens, policy, now=lambda: clock[0]
    )
    for run in RUNS:
        assert events.process(push(container, run, "create", clock[0])).outcome == "synced"
    flood_from = clock[0] + timedelta(minutes=1)
    real_delete_at = flood_from + timedelta(minutes=33)
    applied_at = None

    # Eight hours, minute by minute: every 10 minutes a forged delete of each of the owner's runs; at minute 33
    # the owner really deletes one of them. Pushes are processed when they arrive (as the task would), and the
    # sweeper re-drives what is due every minute.
    while clock[0] < flood_from + timedelta(hours=8):
        clock[0] += timedelta(minutes=1)
        minute = round((clock[0] - flood_from).total_seconds() / 60)
        if clock[0] == real_delete_at:
            world.deleted.add(REALLY_DELETED)
            events.process(push(container, REALLY_DELETED, "delete", clock[0]))
        if minute % 10 == 0:
            for run in RUNS:
                events.process(push(container, run, "delete", clock[0]))
        sweep(container, events, clock[0])
        if applied_at is None and REALLY_DELETED not in held(container):
            applied_at = clock[0]

    flood_reads = [at for at, activity_id in world.reads if at >= flood_from]
    forged_reads = [
        at for at, activity_id in world.reads if at >= flood_from and activity_id != REALLY_DELETED
    ]
    # 48 forged deletes an hour, at most ALLOWANCE reads an hour to disprove them; the read that confirmed
    # the real deletion is the only one beyond.
    assert most_reads_in_any_window(forged_reads) <= ALLOWANCE
    assert most_reads_in_any_window(flood_reads) <= ALLOWANCE + 1
    assert len(flood_reads) <= ALLOWANCE * 9 + 1
    # The real deletion lands within a few windows (far inside 48 hours); the forged ones removed nothing.
    assert applied_at is not None
    assert applied_at - real_delete_at <= 4 * WINDOW
    assert held(container) == set(RUNS) - {REALLY_DELETED}
