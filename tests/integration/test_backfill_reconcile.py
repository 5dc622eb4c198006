"""Backfill, reconciliation and subscription management on the real PostgreSQL, Strava mocked by `responses`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses
from sqlalchemy import select

from composition.root import Container, build
from runsmart.settings import Settings
from store.models import BackfillJob, ReconciliationRun, StravaEvent
from sync.budget import QUARTER_S, RedisBudget
from sync.reconcile import athletes_due
from sync.subscriptions import SubscriptionError, SubscriptionManager
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
    strava_error,
)
from tests.integration.helpers_backfill import pages, run_backfill_to_end, start_backfill, summary

pytestmark = pytest.mark.integration


def events(container: Container, source: str) -> list[StravaEvent]:
    with container.sessions() as session:
        return list(
            session.scalars(select(StravaEvent).where(StravaEvent.source == source).order_by(StravaEvent.id))
        )


# --- backfill ---------------------------------------------------------------------------------------


def test_backfill_reads_past_short_pages_until_an_empty_one(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    day = datetime.now(UTC) - timedelta(days=3)
    listing = pages(strava, [summary(1, day), summary(2, day)], [summary(3, day)])  # short, then shorter
    start_backfill(container)
    queued = run_backfill_to_end(container)
    assert len(queued) == 3
    assert listing.call_count == 3  # two pages with items and the empty one that ends the list
    assert [e.object_id for e in events(container, "backfill")] == [1, 2, 3]
    with container.sessions() as session:
        job = session.get(BackfillJob, ATHLETE_ID)
    assert job is not None
    assert (job.status, job.pages_done, job.activities_seen, job.api_calls) == ("done", 2, 3, 3)


def test_backfill_is_idempotent_and_skips_what_we_already_hold(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    strava.get(f"{STRAVA}/api/v3/activities/1", json=detailed_activity(1), headers=RATE_HEADERS)
    container.events.process(store_event(container, event_body(1)))  # already synced through a push
    day = datetime.now(UTC) - timedelta(days=3)
    pages(strava, [summary(1, day), summary(2, day)])
    start_backfill(container)
    assert len(run_backfill_to_end(container)) == 1
    # Re-running the whole backfill queues nothing new: the inbox key and the pending row both hold.
    start_backfill(container)
    assert run_backfill_to_end(container) == []
    assert [e.object_id for e in events(container, "backfill")] == [2]


def test_backfill_resumes_from_its_cursor_after_a_crash(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store import repository

    connect_athlete(container)
    day = datetime.now(UTC) - timedelta(days=3)
    listing = pages(strava, [summary(1, day)], [summary(2, day)])
    start_backfill(container)
    container.backfill.step(ATHLETE_ID)  # page 1 done and committed
    real = repository.synthetic_event
    monkeypatch.setattr(
        repository, "synthetic_event", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("killed"))
    )
    with pytest.raises(RuntimeError):
        container.backfill.step(ATHLETE_ID)  # dies in the middle of page 2: nothing of it is committed
    monkeypatch.setattr(repository, "synthetic_event", real)
    run_backfill_to_end(container)
    assert [e.object_id for e in events(container, "backfill")] == [1, 2]
    pages_asked = [int(re.search(r"[?&]page=(\d+)", c.request.url or "").group(1)) for c in listing.calls]  # type: ignore[union-attr]
    assert pages_asked == [
        1,
        2,
        2,
        3,
    ]  # page 1 never again; page 2 again after the crash; then the empty page


def test_backfill_pauses_while_webhook_events_wait(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    listing = pages(strava, [summary(1, datetime.now(UTC))])
    start_backfill(container)
    store_event(container, event_body(99))  # a push not yet processed
    step = container.backfill.step(ATHLETE_ID)
    assert (step.done, step.retry_in_s, listing.call_count) == (False, 5.0, 0)
    assert "webhook" in step.note


def test_backfill_waits_for_the_budget_instead_of_calling(
    settings: Settings, redis_budgets: Callable[..., RedisBudget], strava: responses.RequestsMock
) -> None:
    # The budget's clock halfway through a rate window: on the wall clock, a window that rolls over between the
    # observation and the step (or usage read in its first seconds, which Strava may not have counted in it
    # yet) rightly lets the call through.
    now = time.time()
    middle = now - now % QUARTER_S + QUARTER_S / 2
    container = build(settings, budget=redis_budgets(lambda: middle))
    connect_athlete(container)
    listing = pages(strava, [summary(1, datetime.now(UTC))])
    container.budget.observe(
        {**RATE_HEADERS, "X-ReadRateLimit-Usage": "80,80"}, "GET"
    )  # backfill's share is spent
    start_backfill(container)
    step = container.backfill.step(ATHLETE_ID)
    assert step.retry_in_s is not None
    assert 0 < step.retry_in_s <= 901
    assert listing.call_count == 0


# --- reconciliation ---------------------------------------------------------------------------------


def test_reconciliation_finds_missing_deleted_and_changed_activities(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    recent = datetime.now(UTC) - timedelta(days=1)
    stored_at = recent.strftime("%Y-%m-%dT%H:%M:%SZ")
    for activity_id in (10, 11, 12):
        strava.get(
            f"{STRAVA}/api/v3/activities/{activity_id}",
            json=detailed_activity(activity_id, start_date=stored_at),
            headers=RATE_HEADERS,
        )
        container.events.process(
            store_event(container, event_body(activity_id, event_time=1_700_000_000 + activity_id))
        )
    listing = pages(
        strava,
        [
            summary(10, recent, name="Tempo 3x2k", moving_time=2950),  # unchanged
            summary(
                11, recent, name="Tempo 3x2k", sport_type="Ride", type="Ride", moving_time=2950
            ),  # retyped
            summary(13, recent),  # a push that never arrived
        ],
    )  # and 12 is gone from Strava
    result = container.reconciler.reconcile(ATHLETE_ID, days=3, pad_hours=24)
    assert (result.missing, result.deleted, result.changed, result.api_calls) == (1, 1, 1, 2)
    assert listing.call_count == 2
    found = {(e.object_id, e.aspect_type) for e in events(container, "reconcile")}
    assert found == {(13, "create"), (12, "delete"), (11, "update")}
    with container.sessions() as session:
        run = session.scalars(select(ReconciliationRun)).one()
    assert (run.api_calls, run.found_missing, run.found_deleted, run.found_changed) == (2, 1, 1, 1)


def test_nightly_reconciliation_visits_only_athletes_from_whom_a_run_was_expected(
    container: Container, strava: responses.RequestsMock
) -> None:
    now = datetime.now(UTC)
    for athlete_id, runs_ago in (
        (1, [4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]),
        (2, [1, 5, 8, 10, 12]),
        (3, []),
    ):
        connect_athlete(container, athlete_id)
        for n, days_ago in enumerate(runs_ago):
            activity_id = athlete_id * 100 + n
            start_date = (now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
            strava.get(
                f"{STRAVA}/api/v3/activities/{activity_id}",
                json=detailed_activity(activity_id, athlete_id=athlete_id, start_date=start_date),
                headers=RATE_HEADERS,
            )
            outcome = container.events.process(
                store_event(
                    container,
                    event_body(activity_id, owner_id=athlete_id, event_time=1_700_000_000 + activity_id),
                )
            ).outcome
            assert outcome == "synced"
    with container.sessions() as session:
        # 1 runs every other day (12 in 28 days) but went silent 4 days ago; 2 ran yesterday; 3 never runs.
        assert athletes_due(session, now) == [1]


# --- subscription management ------------------------------------------------------------------------

CALLBACK = "http://api.test/webhooks/strava"


def manager() -> SubscriptionManager:
    return SubscriptionManager(client_id=1234, client_secret="s3cret", base_url=STRAVA)


def echo(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    import json
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(request.url or "").query)
    return 200, {"content-type": "application/json"}, json.dumps({"hub.challenge": query["hub.challenge"][0]})


def test_subscription_create_checks_the_handshake_first() -> None:
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, CALLBACK, callback=echo)
        create = mock.post(
            f"{STRAVA}/api/v3/push_subscriptions",
            json={"id": 120475, "callback_url": CALLBACK, "resource_state": 2, "application_id": 1},
        )
        created = manager().create(CALLBACK, "verify-me")
        assert created.id == 120475
        assert "verify_token=verify-me" in str(create.calls[0].request.body)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"body": requests.ConnectionError("refused")}, "not reachable"),
        ({"status": 404, "json": {"detail": "not configured"}}, "RUNSMART_STRAVA_VERIFY_TOKEN"),
        ({"status": 200, "json": {"hub.challenge": "wrong"}}, "without echoing"),
    ],
)
def test_subscription_create_explains_a_callback_that_does_not_answer(
    answer: dict[str, Any], message: str
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(CALLBACK, **answer)
        create = mock.post(f"{STRAVA}/api/v3/push_subscriptions", json={"id": 1})
        with pytest.raises(SubscriptionError, match=message):
            manager().create(CALLBACK, "verify-me")
        assert create.call_count == 0  # Strava is not asked at all


def test_subscription_errors_from_strava_are_explained() -> None:
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, CALLBACK, callback=echo)
        mock.post(
            f"{STRAVA}/api/v3/push_subscriptions",
            status=400,
            json=strava_error("PushSubscription", "", "already exists"),
        )
        with pytest.raises(SubscriptionError, match="delete it first"):
            manager().create(CALLBACK, "verify-me")


def test_subscription_list_and_delete() -> None:
    with responses.RequestsMock() as mock:
        mock.get(
            f"{STRAVA}/api/v3/push_subscriptions",
            json=[{"id": 7, "resource_state": 2, "application_id": 1, "callback_url": CALLBACK,
                   "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}],
        )  # fmt: skip
        delete = mock.delete(f"{STRAVA}/api/v3/push_subscriptions/7", status=204)
        assert [(s.id, s.callback_url) for s in manager().list()] == [(7, CALLBACK)]
        manager().delete(7)
        assert delete.call_count == 1
