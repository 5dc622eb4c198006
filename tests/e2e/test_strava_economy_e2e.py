"""The app-wide budget across real worker processes against the simulator's Strava-faithful limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from runsmart.stack import Stack
from store.db import engine_for, session_factory
from store.models import Activity, StravaEvent
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def rows(url: str) -> tuple[list[Activity], list[StravaEvent]]:
    with session_factory(engine_for(url))() as session:
        return list(session.scalars(select(Activity))), list(session.scalars(select(StravaEvent)))


def test_two_workers_share_one_budget_and_provoke_no_429(
    stack_factory: Callable[..., Stack], e2e_db: str
) -> None:
    stack = stack_factory(
        workers=2,
        simulator_args=["--read-limit", "12,1000", "--overall-limit", "24,2000"],
        extra_env={"RUNSMART_BACKFILL_WEEKS": "0"},
    )
    athlete_id = stack.connect_athlete()
    admin = stack.simulator.admin
    for _ in range(20):
        admin.create_activity(athlete_id, kind="easy")

    def settled() -> bool:
        _, events = rows(e2e_db)
        return len(events) == 20 and all(e.status == "done" or e.outcome == "rate_limited" for e in events)

    wait_for(settled, timeout=60, what="every push either synced or waiting for the next window")
    activities, events = rows(e2e_db)
    stats = admin.stats()
    assert stats["rate_limited"] == 0  # no call was ever refused by "Strava"
    fetched = stats["usage"]["read"]["usage"][0]
    assert len(activities) == fetched  # every call made was a useful fetch
    assert (
        fetched <= 12 or stats["usage"]["seconds_to_next_quarter"] > 840
    )  # a window may have turned meanwhile
    waiting = [e for e in events if e.status == "pending"]
    assert len(activities) + len(waiting) == 20
    assert all(e.next_attempt_at is not None for e in waiting)
