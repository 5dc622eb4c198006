"""The event processor against the real PostgreSQL, Strava mocked at the HTTP level with `responses`."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
import responses
from sqlalchemy import select, text
from stravalib.util import limiter

from composition.root import Container
from store import plan_repository
from store.db import UnitOfWork
from store.models import Activity, ActivityTombstone, EventAttempt, StravaConnection, StravaEvent
from sync.connect import save_connection
from sync.events import RetryPolicy
from sync.strava import TokenSet
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

pytestmark = pytest.mark.integration

ACTIVITY_URL = f"{STRAVA}/api/v3/activities/1360128428"
TOKEN_URL = f"{STRAVA}/oauth/token"
REFRESH_INVALID = strava_error("RefreshToken", "refresh_token", "invalid")


def event(container: Container, event_id: int) -> StravaEvent:
    with container.sessions() as session:
        row = session.get(StravaEvent, event_id)
        assert row is not None
        return row


def pending_until(container: Container, event_id: int) -> datetime:
    """The event is waiting for another attempt: when that attempt is due."""
    row = event(container, event_id)
    assert row.status == "pending"
    assert row.next_attempt_at is not None
    return row.next_attempt_at


def activity(container: Container, activity_id: int = 1360128428) -> Activity | None:
    with container.sessions() as session:
        return session.get(Activity, activity_id)


def synced_once(container: Container, strava: responses.RequestsMock) -> responses.BaseResponse:
    """The athlete connected and the run synced from Strava once; the mocked detail read, to count calls on."""
    connect_athlete(container)
    fetch = strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    container.events.process(store_event(container, event_body()))
    return fetch


def stored_activity(container: Container) -> Activity:
    stored = activity(container)
    assert stored is not None
    return stored


def connection(container: Container) -> StravaConnection:
    with container.sessions() as session:
        row = session.get(StravaConnection, ATHLETE_ID)
        assert row is not None
        return row


def refreshed(access: str = "access-2", refresh: str = "refresh-2") -> dict[str, object]:
    return {
        "token_type": "Bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": int(time.time()) + 21600,
        "expires_in": 21600,
    }


# --- create -----------------------------------------------------------------------------------------


def test_create_fetches_with_the_owners_token_and_stores_a_normalized_run(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    fetch = strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    event_id = store_event(container, event_body())

    result = container.events.process(event_id)

    assert (result.outcome, result.retry_in_s) == ("synced", None)
    assert fetch.call_count == 1
    assert fetch.calls[0].request.headers["Authorization"] == "Bearer access-1"
    stored = stored_activity(container)
    assert stored.is_run
    assert stored.sport_type == "Run"
    # start_date_local's "Z" is fake: the plan day comes from the local wall clock (docs/strava.md, "Activity data")
    assert stored.local_date == date(2026, 7, 21)
    assert stored.start_date_local == datetime(2026, 7, 21, 12, 12)
    assert stored.timezone == "Europe/Amsterdam"
    assert (stored.distance_m, stored.moving_time_s, stored.max_heartrate) == (10012.3, 2950, 181.0)
    assert stored.laps[0]["distance"] == 1000.0
    assert stored.splits_metric[0]["moving_time"] == 299
    assert (stored.raw["id"], stored.raw["utc_offset"]) == (
        1360128428,
        7200.0,
    )  # the raw JSON is kept verbatim
    done = event(container, event_id)
    assert (done.status, done.outcome, done.attempts) == ("done", "synced", 1)


def test_processing_an_event_twice_fetches_once(container: Container, strava: responses.RequestsMock) -> None:
    connect_athlete(container)
    fetch = strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    event_id = store_event(container, event_body())
    container.events.process(event_id)
    assert container.events.process(event_id).outcome == "already_handled"
    assert fetch.call_count == 1


def test_event_for_an_unknown_athlete_is_ignored_without_a_call(
    container: Container, strava: responses.RequestsMock
) -> None:
    event_id = store_event(container, event_body(owner_id=999))
    assert container.events.process(event_id).outcome == "ignored_unknown_athlete"
    assert len(strava.calls) == 0


def test_forged_event_naming_another_athletes_public_activity_is_not_filed(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    strava.get(ACTIVITY_URL, json=detailed_activity(athlete_id=555), headers=RATE_HEADERS)
    event_id = store_event(container, event_body())
    assert container.events.process(event_id).outcome == "ignored_owner_mismatch"
    assert activity(container) is None


def test_unknown_sport_types_and_fractional_heart_rate_are_kept(
    container: Container, strava: responses.RequestsMock
) -> None:
    # stravalib would coerce the first to "Workout" and reject the second (docs/strava.md, "stravalib").
    connect_athlete(container)
    strava.get(
        ACTIVITY_URL,
        json=detailed_activity(
            sport_type="Padel", type="Workout", max_heartrate=171.5, average_heartrate=2147480000
        ),
        headers=RATE_HEADERS,
    )
    container.events.process(store_event(container, event_body()))
    stored = stored_activity(container)
    assert (stored.sport_type, stored.is_run, stored.max_heartrate, stored.average_heartrate) == (
        "Padel",
        False,
        171.5,
        None,
    )


# --- update and delete ------------------------------------------------------------------------------


def test_title_and_privacy_updates_need_no_api_call(
    container: Container, strava: responses.RequestsMock
) -> None:
    fetch = synced_once(container, strava)
    update = store_event(
        container,
        event_body(
            aspect_type="update", updates={"title": "Messy", "private": "true"}, event_time=1_700_000_100
        ),
    )
    assert container.events.process(update).outcome == "updated_locally"
    stored = stored_activity(container)
    assert (stored.name, stored.private, stored.raw["name"]) == ("Messy", True, "Messy")
    assert fetch.call_count == 1


def test_a_run_retyped_as_a_ride_stops_counting_as_a_run(
    container: Container, strava: responses.RequestsMock
) -> None:
    synced_once(container, strava)
    strava.replace(
        responses.GET,
        ACTIVITY_URL,
        json=detailed_activity(sport_type="Ride", type="Ride"),
        headers=RATE_HEADERS,
    )
    update = store_event(
        container, event_body(aspect_type="update", updates={"type": "Ride"}, event_time=1_700_000_100)
    )
    assert container.events.process(update).outcome == "synced"
    stored = stored_activity(container)
    assert not stored.is_run
    assert stored.sport_type == "Ride"


def test_update_before_create_fetches_the_activity(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    strava.get(ACTIVITY_URL, json=detailed_activity(name="Renamed"), headers=RATE_HEADERS)
    update = store_event(container, event_body(aspect_type="update", updates={"title": "Renamed"}))
    assert container.events.process(update).outcome == "synced"
    assert stored_activity(container).name == "Renamed"


def test_delete_removes_and_a_late_create_does_not_resurrect(
    container: Container, strava: responses.RequestsMock
) -> None:
    synced_once(container, strava)
    strava.replace(
        responses.GET, ACTIVITY_URL, status=404, json={"message": "Resource Not Found"}, headers=RATE_HEADERS
    )
    delete = store_event(container, event_body(aspect_type="delete", event_time=1_700_000_200))
    assert container.events.process(delete).outcome == "deleted"
    assert activity(container) is None
    # The create is redelivered (or arrives out of order) after the delete:
    late = store_event(
        container, event_body(event_time=1_700_000_050, aspect_type="create", updates={"x": "y"})
    )
    assert container.events.process(late).outcome == "ignored_deleted"
    assert activity(container) is None
    # The create, the check that the delete is real, and one read for the late create (a tombstone never hides
    # a run Strava still shows its owner), which a 404 ends at once: no not-found retries for a deleted run.
    assert len(strava.calls) == 3
    assert event(container, late).status == "done"


def test_a_forged_delete_removes_nothing(container: Container, strava: responses.RequestsMock) -> None:
    synced_once(container, strava)
    forged = store_event(container, event_body(aspect_type="delete", event_time=1_700_000_200))
    assert container.events.process(forged).outcome == "ignored_delete_not_confirmed"
    assert activity(container) is not None


def test_a_stale_fetch_never_overwrites_a_newer_copy(
    container: Container, strava: responses.RequestsMock
) -> None:
    from store import repository
    from sync.events import activity_row
    from sync.normalize import parse_activity

    connect_athlete(container)
    now = datetime.now(UTC)
    newer = detailed_activity(name="newer")
    older = detailed_activity(name="older")
    with UnitOfWork(container.sessions) as uow:
        assert repository.upsert_activity(uow.session, activity_row(parse_activity(newer), newer, now))
        assert not repository.upsert_activity(
            uow.session, activity_row(parse_activity(older), older, now - timedelta(seconds=5))
        )
        uow.commit()
    assert stored_activity(container).name == "newer"


# --- Strava failures --------------------------------------------------------------------------------


def test_404_right_after_create_is_retried_then_recorded_as_gone(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    strava.get(
        ACTIVITY_URL, status=404, json={"message": "Resource Not Found", "errors": []}, headers=RATE_HEADERS
    )
    event_id = store_event(container, event_body())
    first = container.events.process(event_id)
    assert first.outcome == "not_found_retrying"
    assert first.retry_in_s is not None
    assert first.retry_in_s <= 30
    assert event(container, event_id).status == "pending"
    retries = container.settings.not_found_retries
    for _ in range(retries - 1):  # counted from the attempt log, whoever delivers the task
        assert container.events.process(event_id).outcome == "not_found_retrying"
    final = container.events.process(event_id)
    assert (final.outcome, final.retry_in_s) == ("gone", None)
    assert event(container, event_id).status == "done"
    with container.sessions() as session:
        outcomes = session.scalars(select(EventAttempt.outcome).order_by(EventAttempt.id)).all()
    assert outcomes == ["not_found_retrying"] * retries + ["gone"]


def _refuse_with_429(strava: responses.RequestsMock) -> None:
    strava.get(
        ACTIVITY_URL,
        status=429,
        json=strava_error("Application", "read rate limit", "exceeded", "Rate Limit Exceeded"),
        headers={**RATE_HEADERS, "X-ReadRateLimit-Usage": "101,950"},
    )


@pytest.mark.parametrize(
    ("until_quarter_s", "outcome", "countdown_s"),
    [
        # Ten minutes is too long to hold as a countdown in a worker's memory: the row waits, the sweeper
        # re-drives it when the window has turned.
        (600, "rate_limited_parked", None),
        (20, "rate_limited", 20),  # a few seconds before the window turns: a plain countdown
    ],
)
def test_429_waits_for_the_next_quarter_hour_without_sleeping(
    container: Container,
    strava: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    until_quarter_s: int,
    outcome: str,
    countdown_s: int | None,
) -> None:
    monkeypatch.setattr(limiter, "get_seconds_until_next_quarter", lambda now=None: until_quarter_s)
    connect_athlete(container)
    _refuse_with_429(strava)
    event_id = store_event(container, event_body())
    started = time.monotonic()
    result = container.events.process(event_id)
    assert time.monotonic() - started < 5  # stravalib's limiter would have slept until the quarter hour
    assert (result.outcome, result.retry_in_s) == (outcome, countdown_s)
    due = datetime.now(UTC) + timedelta(seconds=until_quarter_s)
    assert due - timedelta(seconds=10) < pending_until(container, event_id) < due + timedelta(seconds=10)


def test_daily_limit_parks_the_event_until_the_window_resets(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter, "get_seconds_until_next_day", lambda now=None: 20_000)
    connect_athlete(container)
    strava.get(
        ACTIVITY_URL,
        status=429,
        json={"message": "Rate Limit Exceeded"},
        headers={**RATE_HEADERS, "X-ReadRateLimit-Usage": "40,1000"},
    )
    event_id = store_event(container, event_body())
    result = container.events.process(event_id)
    # Longer than the broker's visibility timeout allows: parked in the database, not a countdown.
    assert (result.outcome, result.retry_in_s) == ("rate_limited_parked", None)
    assert pending_until(container, event_id) > datetime.now(UTC) + timedelta(seconds=19_000)


@pytest.mark.parametrize(
    "failure",
    [{"status": 502}, {"body": requests.Timeout("slow")}, {"body": requests.ConnectionError("down")}],
)
def test_transient_failures_back_off_then_fail_for_the_sweeper(
    container: Container, strava: responses.RequestsMock, failure: dict[str, object]
) -> None:
    connect_athlete(container)
    strava.get(ACTIVITY_URL, headers=RATE_HEADERS, **failure)  # type: ignore[arg-type]
    event_id = store_event(container, event_body())
    retrying = container.events.process(event_id)
    assert retrying.outcome == "retrying"
    assert retrying.retry_in_s is not None
    for _ in range(container.settings.max_retries - 1):
        assert container.events.process(event_id).outcome == "retrying"
    exhausted = container.events.process(event_id)
    assert (exhausted.outcome, exhausted.retry_in_s) == ("failed", None)
    failed = event(container, event_id)
    assert failed.status == "failed"
    assert failed.next_attempt_at is not None
    assert failed.last_error
    assert "access-1" not in failed.last_error


class FixedBackoff(RetryPolicy):
    def backoff(self, attempt: int) -> float:
        return 600.0


def test_a_long_backoff_is_parked_and_the_retry_count_survives_the_re_drive(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.events, "policy", FixedBackoff(max_retries=2))
    connect_athlete(container)
    strava.get(ACTIVITY_URL, status=502, headers=RATE_HEADERS)
    event_id = store_event(container, event_body())
    first = container.events.process(event_id)
    # Ten minutes is too long to hold as a countdown in a worker's memory: the row waits for the sweeper.
    assert (first.outcome, first.retry_in_s) == ("retrying", None)
    assert pending_until(container, event_id) > datetime.now(UTC) + timedelta(seconds=590)
    # The sweeper's re-drive is a fresh Celery task (its retry counter at 0); the count comes from the log.
    assert container.events.process(event_id).outcome == "retrying"
    assert container.events.process(event_id).outcome == "failed"


def test_timeout_is_applied_to_every_request(container: Container, strava: responses.RequestsMock) -> None:
    fetch = synced_once(container, strava)
    assert fetch.calls[0].request.req_kwargs["timeout"] == container.settings.strava_http_timeout_s


# --- tokens -----------------------------------------------------------------------------------------


def test_an_expiring_token_is_refreshed_and_the_rotated_pair_persisted_encrypted(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container, expires_in=60)
    token = strava.post(TOKEN_URL, json=refreshed())
    fetch = strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    assert container.events.process(store_event(container, event_body())).outcome == "synced"
    assert token.call_count == 1
    assert "refresh_token=refresh-1" in str(token.calls[0].request.body)
    assert fetch.calls[0].request.headers["Authorization"] == "Bearer access-2"
    stored = connection(container)
    assert container.cipher.decrypt(stored.refresh_token_enc or "") == "refresh-2"
    with container.engine.connect() as conn:
        dump = " ".join(str(v) for v in conn.execute(text("SELECT * FROM strava_connections")).one())
    assert "refresh-2" not in dump
    assert "access-2" not in dump


def test_a_revoked_grant_parks_the_event_until_the_athlete_reconnects(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container, expires_in=60)
    strava.post(TOKEN_URL, status=400, json=REFRESH_INVALID)
    event_id = store_event(container, event_body())
    assert container.events.process(event_id).outcome == "awaiting_reauth"
    assert connection(container).status == "needs_reauth"
    assert event(container, event_id).status == "awaiting_reauth"
    # The athlete is told once, in the marking transaction, with a reason a person can act on.
    assert notification_types(container) == ["connection.needs_reauth"]
    with container.sessions() as session:
        told = plan_repository.notifications(session, ATHLETE_ID)[0]
    assert "Reconnect Strava" in told.payload["reasons"][0]
    assert "refresh token is invalid" in told.payload["reasons"][1]
    # A second event for the same athlete makes no call at all, and tells nobody again.
    other = store_event(container, event_body(object_id=42))
    calls = len(strava.calls)
    assert container.events.process(other).outcome == "awaiting_reauth"
    assert len(strava.calls) == calls
    assert notification_types(container) == ["connection.needs_reauth"]

    with UnitOfWork(container.sessions) as uow:
        _, released = save_connection(
            uow.session,
            tokens=TokenSet("access-9", "refresh-9", int(time.time()) + 21600),
            athlete={"id": ATHLETE_ID},
            scopes="read,activity:read_all",
            cipher=container.cipher,
        )
        uow.commit()
    assert sorted(released) == sorted([event_id, other])
    strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    assert container.events.process(event_id).outcome == "synced"


def test_a_401_triggers_one_refresh_and_a_retry(container: Container, strava: responses.RequestsMock) -> None:
    connect_athlete(container)
    unauthorized = strava_error("Athlete", "access_token", "invalid", "Authorization Error")
    strava.get(ACTIVITY_URL, status=401, json=unauthorized, headers=RATE_HEADERS)
    strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    token = strava.post(TOKEN_URL, json=refreshed())
    assert container.events.process(store_event(container, event_body())).outcome == "synced"
    assert token.call_count == 1


def test_a_missing_scope_needs_reauthorization(container: Container, strava: responses.RequestsMock) -> None:
    connect_athlete(container)
    missing = strava_error("AccessToken", "activity:read_permission", "missing", "Authorization Error")
    strava.get(ACTIVITY_URL, status=401, json=missing, headers=RATE_HEADERS)
    event_id = store_event(container, event_body())
    assert container.events.process(event_id).outcome == "awaiting_reauth"
    stored = connection(container)
    assert stored.status == "needs_reauth"
    assert "activity:read_permission" in (stored.status_reason or "")
    assert notification_types(container) == ["connection.needs_reauth"]


def test_concurrent_workers_refresh_an_athletes_token_once(container: Container) -> None:
    """Two workers racing on an expiring token: the row lock lets one refresh; the other reuses its result."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sync.tokens import TokenService

    class SlowGateway:
        def __init__(self) -> None:
            self.refreshes: list[str] = []
            self.lock = threading.Lock()

        def refresh(self, refresh_token: str) -> TokenSet:
            with self.lock:
                self.refreshes.append(refresh_token)
                n = len(self.refreshes)
            time.sleep(0.3)  # hold the row lock while the other worker waits on it
            return TokenSet(f"access-r{n}", f"refresh-r{n}", int(time.time()) + 21600)

    connect_athlete(container, expires_in=60)
    gateway = SlowGateway()
    service = TokenService(container.sessions, gateway, container.cipher, margin_s=600)  # type: ignore[arg-type]
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda _: service.access_token(ATHLETE_ID), range(4)))
    assert gateway.refreshes == ["refresh-1"]
    assert set(tokens) == {"access-r1"}
    assert container.cipher.decrypt(connection(container).refresh_token_enc or "") == "refresh-r1"


def notification_types(container: Container) -> list[str]:
    with container.sessions() as session:
        return [n.event_type for n in plan_repository.notifications(session, ATHLETE_ID)]


# --- deauthorization --------------------------------------------------------------------------------


def deauth_body() -> dict[str, object]:
    return event_body(
        object_id=ATHLETE_ID,
        object_type="athlete",
        aspect_type="update",
        updates={"authorized": "false"},
        event_time=1_700_009_999,
    )


def test_a_forged_deauthorization_deletes_nothing(
    container: Container, strava: responses.RequestsMock
) -> None:
    synced_once(container, strava)
    token = strava.post(TOKEN_URL, json=refreshed())  # the grant is alive: refresh works
    outcome = container.events.process(store_event(container, deauth_body())).outcome
    assert outcome == "deauth_rejected_grant_alive"
    assert token.call_count == 1
    assert activity(container) is not None
    stored = connection(container)
    assert stored.status == "active"
    # The probe rotated the refresh token; the new one is what we keep.
    assert container.cipher.decrypt(stored.refresh_token_enc or "") == "refresh-2"


def test_a_confirmed_deauthorization_purges_every_strava_derived_row(
    container: Container, strava: responses.RequestsMock
) -> None:
    synced_once(container, strava)
    container.events.process(
        store_event(container, event_body(object_id=77, aspect_type="delete", event_time=1_700_000_300))
    )
    strava.post(TOKEN_URL, status=400, json=REFRESH_INVALID)
    deauth = store_event(container, deauth_body())
    assert container.events.process(deauth).outcome == "deauthorized"
    with container.sessions() as session:
        assert session.scalars(select(Activity)).all() == []
        assert session.scalars(select(ActivityTombstone)).all() == []
        remaining = session.scalars(select(StravaEvent)).all()
        assert [e.id for e in remaining] == [deauth]
    stored = connection(container)
    assert (stored.status, stored.access_token_enc, stored.refresh_token_enc) == ("revoked", None, None)
    # The probe's dead refresh token is the deauthorization itself: "revoked" is told (by the plan pipeline
    # when installed), never "reconnect".
    assert "connection.needs_reauth" not in notification_types(container)
    # A redelivery of the same deauthorization, or new events for the athlete, change nothing.
    again = store_event(container, {**deauth_body(), "event_time": 1_700_010_000})
    assert container.events.process(again).outcome == "already_revoked"
    later = store_event(container, event_body(object_id=99, event_time=1_700_020_000))
    assert container.events.process(later).outcome == "ignored_revoked_athlete"


def test_the_evening_token_prefresh_asks_an_athlete_with_a_dead_grant_to_reconnect(
    container: Container, strava: responses.RequestsMock
) -> None:
    from jobs import service as jobs_service

    connect_athlete(container)
    strava.post(TOKEN_URL, status=400, json=REFRESH_INVALID)
    outcome = jobs_service.prefresh(
        container.sessions, container.tokens, ATHLETE_ID, now=datetime.now(UTC), recent_s=0
    )
    assert outcome == "grant dead: needs reauthorization"
    assert connection(container).status == "needs_reauth"
    assert notification_types(container) == ["connection.needs_reauth"]
