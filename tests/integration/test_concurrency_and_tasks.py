"""Many events for one athlete at once; the Celery task shell; migrations matching the models."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import responses
from sqlalchemy import select

from composition.root import Container
from store.models import Activity, ActivityTombstone, EventAttempt, StravaEvent
from tests.integration.conftest import (
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
)

pytestmark = pytest.mark.integration


def test_many_events_for_one_athlete_at_once_end_in_one_consistent_state(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    ids = list(range(1000, 1012))
    deleted = set(ids[:4])
    for activity_id in ids:
        url = f"{STRAVA}/api/v3/activities/{activity_id}"
        if activity_id in deleted:  # deleted on Strava: every read is a 404, as after a real deletion
            strava.get(url, status=404, json={"message": "Resource Not Found"}, headers=RATE_HEADERS)
        else:
            # One run a day: overlapping activities of one athlete are one run (docs/sources.md).
            day = f"2026-07-{activity_id - 990}T10:12:00Z"
            strava.get(url, json=detailed_activity(activity_id, start_date=day), headers=RATE_HEADERS)
    bodies = [event_body(a, "create", event_time=1_700_000_000 + a) for a in ids]
    bodies += [event_body(a, "delete", event_time=1_700_100_000 + a) for a in deleted]
    bodies += [
        event_body(a, "update", updates={"title": f"run {a}"}, event_time=1_700_200_000 + a) for a in ids[4:8]
    ]
    random.Random(7).shuffle(bodies)
    event_ids = [store_event(container, body) for body in bodies]

    def work(event_id: int) -> str:
        # Process until no retry is asked for. A busy row (another thread holds it) is tried again a little
        # later, as a redelivery would be; retries count as attempts (in the event's log), busy waits do not.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            result = container.events.process(event_id)
            if result.outcome == "busy":
                time.sleep(0.02)
                continue
            if result.retry_in_s is None:
                return result.outcome
        return "unfinished"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(work, event_ids * 2))  # every event processed twice, concurrently
    assert "unfinished" not in outcomes
    with container.sessions() as session:
        stored = {a.id: a for a in session.scalars(select(Activity))}
        tombstones = set(session.scalars(select(ActivityTombstone.id)))
        statuses = set(session.scalars(select(StravaEvent.status)))
    assert set(stored) == set(ids) - deleted
    assert tombstones == deleted
    assert statuses == {"done"}
    # Title updates are applied locally when the run is already stored, or re-fetched (Strava's copy) if not.
    assert all(stored[a].name in {f"run {a}", "Tempo 3x2k"} for a in ids[4:8])


def test_the_celery_task_obeys_the_service_and_retries_to_a_final_outcome(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import tasks

    monkeypatch.setattr(tasks, "container", lambda: container)
    connect_athlete(container)
    strava.get(
        f"{STRAVA}/api/v3/activities/1360128428",
        status=404,
        json={"message": "Resource Not Found"},
        headers=RATE_HEADERS,
    )
    event_id = store_event(container, event_body())
    tasks.process_event.app.conf.task_always_eager = True
    try:
        result = tasks.process_event.apply(args=[event_id])
    finally:
        tasks.process_event.app.conf.task_always_eager = False
    assert result.get() == "gone"
    with container.sessions() as session:
        attempts = session.scalars(select(EventAttempt.outcome).order_by(EventAttempt.id)).all()
    # not_found_retries=2 in the test settings: two retries with backoff, then recorded as gone
    assert attempts == ["not_found_retrying", "not_found_retrying", "gone"]


def test_the_sweeper_task_re_enqueues_stale_rows(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from store.db import UnitOfWork
    from workers import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks, "container", lambda: container)
    monkeypatch.setattr(tasks, "enqueue_event", sent.append)
    stale = store_event(container, event_body(object_id=1))
    fresh = store_event(container, event_body(object_id=2))
    done = store_event(container, event_body(object_id=3))
    with UnitOfWork(container.sessions) as uow:
        old = datetime.now(UTC) - timedelta(hours=1)
        for event_id in (stale, done):
            row = uow.session.get(StravaEvent, event_id)
            assert row is not None
            row.received_at = old
        done_row = uow.session.get(StravaEvent, done)
        assert done_row is not None
        done_row.status = "done"
        uow.commit()
    assert tasks.redrive_inbox() == 1
    assert sent == [stale]
    assert fresh not in sent


def test_migrations_match_the_models_and_downgrade_cleanly(clean_db: str) -> None:
    from store.migrate import check, downgrade, upgrade

    check(clean_db)  # raises if the models and the migrations disagree
    downgrade(clean_db, "base")
    upgrade(clean_db)
    check(clean_db)
