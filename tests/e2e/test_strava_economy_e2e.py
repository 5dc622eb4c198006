"""The app-wide budget across real worker processes against the simulator's Strava-faithful limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from cli.stack import Stack
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
        return len(events) == 20 and all(
            e.status == "done" or (e.outcome or "").startswith("rate_limited") for e in events
        )

    wait_for(settled, timeout=60, what="every push either synced or waiting for the next window")
    activities, events = rows(e2e_db)
    stats = admin.stats()
    assert stats["rate_limited"] == 0  # no call was ever refused by "Strava"
    fetched = stats["requests_by_endpoint"].get("GET /api/v3/activities/{id}", 0)
    assert len(activities) == fetched  # every read made was a useful fetch
    # Strava counts the connect's token exchange too, and so did the budget: the reads left it room.
    counted = stats["usage"]["read"]["usage"][0]
    assert counted == fetched + stats["token_requests"] or stats["usage"]["seconds_to_next_quarter"] > 840
    assert counted <= 12 or stats["usage"]["seconds_to_next_quarter"] > 840  # a window may have turned
    waiting = [e for e in events if e.status == "pending"]
    assert len(activities) + len(waiting) == 20
    assert all(e.next_attempt_at is not None for e in waiting)


def test_backfill_on_connect_imports_the_history_and_yields_to_pushes(
    stack_factory: Callable[..., Stack], e2e_db: str
) -> None:
    stack = stack_factory(
        workers=2, simulator_args=["--weeks", "6"], extra_env={"RUNSMART_BACKFILL_WEEKS": "7"}
    )
    admin = stack.simulator.admin
    athlete_id = stack.simulator.demo_athlete_id
    assert athlete_id is not None
    seeded = admin.activities(athlete_id)
    history = {a["id"] for a in seeded}
    runs = {a["id"] for a in seeded if a["sport_type"] in ("Run", "TrailRun", "VirtualRun")}
    assert len(runs) > 20
    assert history - runs  # the season holds other sports too
    stack.connect_athlete(athlete_id)  # starts the backfill in the same transaction as the connection
    pushed = [admin.create_activity(athlete_id, kind="easy")["activity"]["id"] for _ in range(3)]

    def stored() -> set[int]:
        activities, _ = rows(e2e_db)
        return {a.id for a in activities}

    wait_for(lambda: set(pushed) <= stored(), timeout=30, what="the pushed runs")
    backfilled_when_pushes_done = len(stored() & history)
    try:
        wait_for(lambda: history <= stored(), timeout=90, what="the whole history to be backfilled")
    except AssertionError:
        missing = history - stored()
        details = [admin.activity(a) for a in sorted(missing)[:3]]
        raise AssertionError(f"{len(missing)} of {len(history)} not backfilled, e.g. {details}") from None
    assert backfilled_when_pushes_done < len(history)  # pushes did not wait for the backfill to finish
    _, events = rows(e2e_db)
    by_source = {e.object_id: e.source for e in events}
    assert all(by_source.get(a) == "backfill" for a in runs)  # runs: a detail read each
    assert not any(a in by_source for a in history - runs)  # other sports: stored from the list, no read
    reads = admin.stats()["requests_by_endpoint"].get("GET /api/v3/activities/{id}", 0)
    assert reads == len(runs) + len(pushed)
    assert all(by_source.get(a) == "webhook" for a in pushed)
    assert len(stored()) == len(history) + len(pushed)  # nothing fetched twice into a duplicate
