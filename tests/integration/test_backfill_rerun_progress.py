"""`runsmart backfill ATHLETE` run again after the connect-time backfill finished: its progress counts this run only.

The CLI's bar is `synced / queued`: a second run queues nothing (everything is known) and must not report the
first run's synced events against its own count (that showed "20/1" and a negative ETA).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from cli.strava import backfill_eta_s
from composition.root import Container
from tests.integration.conftest import ATHLETE_ID, RATE_HEADERS, STRAVA, connect_athlete, detailed_activity
from tests.integration.helpers_backfill import run_backfill_to_end, start_backfill, summary

pytestmark = pytest.mark.integration


def backfill_once(container: Container) -> list[int]:
    start_backfill(container)
    return run_backfill_to_end(container, limit=10)


def test_a_second_backfill_reports_its_own_progress_not_the_first_runs(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    day = datetime.now(UTC) - timedelta(days=3)
    listed = [summary(1, day), summary(2, day)]
    strava.get(f"{STRAVA}/api/v3/athlete/activities", json=listed, headers=RATE_HEADERS, match=[page_is(1)])
    strava.get(f"{STRAVA}/api/v3/athlete/activities", json=[], headers=RATE_HEADERS, match=[page_is(2)])
    for activity_id in (1, 2):
        strava.get(
            f"{STRAVA}/api/v3/activities/{activity_id}",
            json=detailed_activity(activity_id),
            headers=RATE_HEADERS,
        )

    first = backfill_once(container)
    for event_id in first:
        container.events.process(event_id)
    done = container.backfill.progress(ATHLETE_ID)
    assert done is not None
    assert (done.activities_queued, done.activities_synced) == (2, 2)

    assert backfill_once(container) == []  # everything is known: nothing queued this time
    again = container.backfill.progress(ATHLETE_ID)
    assert again is not None
    assert (again.status, again.activities_queued, again.activities_synced) == ("done", 0, 0)


def test_the_eta_is_never_negative() -> None:
    usage = {"read": {"quarter_limit": 100, "quarter_used": 0, "seconds_to_quarter": 300}}
    assert backfill_eta_s(-19, usage, 0.1) == 0


def page_is(page: int):  # type: ignore[no-untyped-def]
    return responses.matchers.query_param_matcher({"page": str(page)}, strict_match=False)
