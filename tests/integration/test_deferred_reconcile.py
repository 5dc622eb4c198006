"""Pushed events left to reconciliation once an athlete's allowance is spent (docs/security.md, "Forged and
unverifiable events"): the athlete is reconciled within about one allowance window instead of at 03:15, at most
once per window however large the flood. Real PostgreSQL; Strava mocked at the HTTP level."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from celery.schedules import crontab

from composition.root import Container
from store.models import Activity
from sync.events import EventProcessor, Processed, RetryPolicy
from sync.reconcile import claim_deferred_reconciliations
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
)
from tests.integration.helpers_backfill import pages

pytestmark = pytest.mark.integration

OTHER = 778
ANY_ACTIVITY = re.compile(rf"{re.escape(STRAVA)}/api/v3/activities/\d+")
NOT_FOUND = {"message": "Resource Not Found", "errors": []}
WINDOW_S = 3600


def processor(container: Container) -> EventProcessor:
    policy = RetryPolicy(
        base_s=1, max_s=2, not_found_retries=0, unverified_allowance=2, unverified_window_s=WINDOW_S
    )
    return EventProcessor(container.sessions, container.gateway, container.tokens, policy)


def flood(container: Container, events: EventProcessor, first_id: int, count: int) -> list[str]:
    """Forged creates of made-up ids naming ATHLETE_ID: Strava answers 404 to each read."""
    outcomes = []
    for n in range(count):
        body = event_body(first_id + n, event_time=1_700_000_000 + first_id + n)
        outcomes.append(events.process(store_event(container, body)).outcome)
    return outcomes


def claim(container: Container, at: datetime) -> list[int]:
    return claim_deferred_reconciliations(container.sessions, at, window_s=WINDOW_S)


def process_all(events: EventProcessor, ids: tuple[int, ...]) -> list[Processed]:
    return [events.process(event_id) for event_id in ids]


def test_a_real_run_deferred_by_a_flood_is_reconciled_within_a_window_once_per_window(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    connect_athlete(container, OTHER, access="access-778", refresh="refresh-778")
    strava.get(ANY_ACTIVITY, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    events = processor(container)
    outcomes = flood(container, events, 900_000, 30)
    assert outcomes.count("deferred_to_reconcile") >= 27
    # The athlete's real run, pushed during the flood, is deferred too.
    real = store_event(container, event_body(43, event_time=1_700_100_000))
    assert events.process(real).outcome == "deferred_to_reconcile"
    now = datetime.now(UTC)

    # The tick 15 minutes later claims the athlete once (not the other athlete, who had nothing deferred) ...
    assert claim(container, now + timedelta(minutes=15)) == [ATHLETE_ID]
    assert claim(container, now + timedelta(minutes=30)) == []  # ... and a second tick queues no second pass
    # The pass lists the athlete's runs and finds the real one.
    listing = pages(strava, [{"id": 43, "athlete": {"id": ATHLETE_ID}, "name": "Real run"}])
    strava.get(f"{STRAVA}/api/v3/activities/43", json=detailed_activity(43), headers=RATE_HEADERS)
    result = container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)
    assert [r.outcome for r in process_all(events, result.queued)] == ["synced"]
    with container.sessions() as session:
        assert session.get(Activity, 43) is not None
    assert listing.call_count == 2  # a page, then the empty page that ends the list

    # The flood goes on: within the window no further pass, whatever its size; after it, one.
    assert flood(container, events, 950_000, 20) == ["deferred_to_reconcile"] * 20
    assert claim(container, now + timedelta(minutes=45)) == []
    assert claim(container, now + timedelta(minutes=75)) == [ATHLETE_ID]
    assert claim(container, now + timedelta(minutes=90)) == []


def test_events_already_covered_by_a_reconciliation_claim_nothing(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    strava.get(ANY_ACTIVITY, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    events = processor(container)
    flood(container, events, 900_000, 5)
    pages(strava, [])
    container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)  # started after every deferral
    assert claim(container, datetime.now(UTC) + timedelta(hours=2)) == []


def test_the_deferred_tick_is_scheduled_every_15_minutes_and_queues_one_pass_per_claimed_athlete(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.tasks as tasks
    from workers.celery_app import app

    entry = app.conf.beat_schedule["reconcile-deferred"]
    assert entry["task"] == "reconcile.deferred"
    assert entry["schedule"] == crontab(minute="*/15")
    assert entry["options"]["queue"] == "maintenance"
    assert "reconcile.deferred" in app.tasks

    connect_athlete(container)
    strava.get(ANY_ACTIVITY, status=404, json=NOT_FOUND, headers=RATE_HEADERS)
    flood(container, processor(container), 900_000, 8)
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "container", lambda: container)
    monkeypatch.setattr(tasks, "send", lambda *args, **kwargs: sent.append((*args, kwargs["queue"])))

    assert tasks.reconcile_deferred() == 1
    assert tasks.reconcile_deferred() == 0  # a redelivered or next tick queues nothing more
    assert sent == [("reconcile.athlete", ATHLETE_ID, "strava_bulk")]
