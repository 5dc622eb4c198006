"""Backfill spends detail reads on runs only: other sports are stored from their list summary.

Real PostgreSQL, Strava mocked by `responses`: any detail read not registered here fails the test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import select

from composition.root import Container
from store.models import Activity, StravaEvent
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from tests.integration.helpers_backfill import pages, run_backfill_to_end, start_backfill

pytestmark = pytest.mark.integration


def summary(activity_id: int, start: datetime, **fields: Any) -> dict[str, Any]:
    """A SummaryActivity as the list returns it (resource_state 2: no laps, no splits)."""
    return {
        "id": activity_id,
        "resource_state": 2,
        "athlete": {"id": ATHLETE_ID, "resource_state": 1},
        "name": "Morning Run",
        "sport_type": "Run",
        "type": "Run",
        "distance": 10012.3,
        "moving_time": 2950,
        "elapsed_time": 3010,
        "total_elevation_gain": 12.0,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start_date_local": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": "(GMT+01:00) Europe/Amsterdam",
        "manual": False,
        "trainer": False,
        "private": False,
        **fields,
    }


def test_only_runs_cost_a_detail_read_and_other_sports_are_stored_from_the_summary(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    day = datetime.now(UTC) - timedelta(days=3)
    pages(
        strava,
        [
            summary(1, day),  # a run
            summary(2, day, sport_type="TrailRun", type="Run"),
            summary(3, day, sport_type="Ride", type="Ride", name="Commute"),
            summary(4, day, sport_type=None, type="Swim", name="Pool"),  # an old one: `type` only
            summary(5, day, sport_type="WeightTraining", type="WeightTraining", distance=None),
            summary(6, day, sport_type=None, type=None),  # sport unknown: fetched, to be safe
        ],
    )
    start_backfill(container)
    queued = run_backfill_to_end(container, limit=10)
    with container.sessions() as session:
        inbox = [e.object_id for e in session.scalars(select(StravaEvent).where(StravaEvent.id.in_(queued)))]
        stored = {a.id: (a.sport_type, a.is_run) for a in session.scalars(select(Activity))}
    assert sorted(inbox) == [1, 2, 6]  # detail reads only for the runs (and the unknown)
    assert stored == {3: ("Ride", False), 4: ("Swim", False), 5: ("WeightTraining", False)}
    assert not [c for c in strava.calls if re.search(r"/activities/\d+", c.request.url or "")]
    # Stored, the other sports are known: a reconciliation over the same days queues nothing for them.
    result = container.reconciler.reconcile(ATHLETE_ID, days=7)
    assert result.missing == 0  # 1, 2 and 6 wait in the inbox; 3, 4 and 5 are stored
