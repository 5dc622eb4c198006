"""Strava refusing the application's own credentials: an operator's fault, never an athlete's.

Strava mocked at the HTTP level (`responses`), the real PostgreSQL and Redis budget.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from sqlalchemy import select

from composition.root import Container
from jobs import service as jobs_service
from store.models import ConnectionStatus, StravaConnection, StravaEvent
from store.plan_models import NotificationOutbox
from sync.budget import RedisBudget
from sync.errors import StravaAppCredentialsRejected
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
)

pytestmark = pytest.mark.integration

TOKEN_URL = f"{STRAVA}/oauth/token"
ACTIVITY_URL = f"{STRAVA}/api/v3/activities/1360128428"
# The shape Strava sends for a wrong or rotated client secret (docs/strava.md, "Application credentials").
APPLICATION_REFUSED: dict[str, Any] = {
    "message": "Authorization Error",
    "errors": [{"resource": "Application", "field": "", "code": "invalid"}],
}
FRESH_TOKENS = {"access_token": "access-2", "refresh_token": "refresh-2", "expires_at": 4_000_000_000}


def gauge(container: Container) -> float | None:
    """runsmart_strava_app_fault as the API's /metrics serves it (the alert's input), read from the shared flag."""
    from prometheus_client.parser import text_string_to_metric_families

    from webhooks.metrics import render

    for family in text_string_to_metric_families(render(lambda: container).decode()):
        for sample in family.samples:
            if sample.name == "runsmart_strava_app_fault":
                return sample.value
    return None


def connection(container: Container) -> StravaConnection:
    with container.sessions() as session:
        row = session.get(StravaConnection, ATHLETE_ID)
        assert row is not None
        session.expunge(row)
        return row


def notifications(container: Container) -> list[str]:
    with container.sessions() as session:
        return list(session.scalars(select(NotificationOutbox.event_type)))


def event_row(container: Container, event_id: int) -> StravaEvent:
    with container.sessions() as session:
        row = session.get(StravaEvent, event_id)
        assert row is not None
        return row


def test_a_refused_client_secret_at_prefresh_changes_no_athlete_and_pauses_strava_work(
    container: Container, strava: responses.RequestsMock, budget: RedisBudget
) -> None:
    connect_athlete(container, expires_in=600)
    strava.post(TOKEN_URL, status=401, json=APPLICATION_REFUSED, headers=RATE_HEADERS)
    outcome = jobs_service.prefresh(
        container.sessions, container.tokens, ATHLETE_ID, now=datetime.now(UTC), recent_s=0.0
    )
    assert outcome.startswith("not refreshed")
    after = connection(container)
    assert after.status == ConnectionStatus.ACTIVE  # not "needs reauthorization"
    assert "connection.needs_reauth" not in notifications(container)  # nobody is told to reconnect
    fault = budget.app_fault()
    assert fault is not None
    assert fault[1] > 60
    assert gauge(container) == 1  # the operator's alert, as /metrics shows it
    # Every process now parks its Strava work instead of calling: no request reaches Strava.
    calls_before = len(strava.calls)
    with pytest.raises(StravaAppCredentialsRejected):
        container.gateway.get_activity("access-1", 1360128428)
    assert len(strava.calls) == calls_before


def test_an_event_waits_while_paused_and_syncs_once_the_credentials_work(
    container: Container, strava: responses.RequestsMock, budget: RedisBudget
) -> None:
    connect_athlete(container, expires_in=60)  # expiring: the sync needs a refresh first
    event_id = store_event(container, event_body())
    strava.post(TOKEN_URL, status=401, json=APPLICATION_REFUSED, headers=RATE_HEADERS)
    first = container.events.process(event_id)
    assert first.outcome == "app_paused_parked"
    row = event_row(container, event_id)
    assert row.status == "pending"
    assert row.next_attempt_at is not None
    assert connection(container).status == ConnectionStatus.ACTIVE
    # The operator fixes the secret; the cool-off ends (here: cleared by hand, as the lapse would).
    strava.replace(responses.POST, TOKEN_URL, json=FRESH_TOKENS, headers=RATE_HEADERS)
    strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    budget.clear_app_fault()
    assert container.events.process(event_id).outcome == "synced"
    assert budget.app_fault() is None
    assert gauge(container) == 0


def test_a_forged_deauthorization_is_not_confirmed_by_a_refused_client_secret(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    body = event_body(ATHLETE_ID, "update", object_type="athlete", updates={"authorized": "false"})
    event_id = store_event(container, body)
    strava.post(TOKEN_URL, status=401, json=APPLICATION_REFUSED, headers=RATE_HEADERS)
    result = container.events.process(event_id)
    assert result.outcome == "app_paused_parked"  # decided later, once the probe can mean something
    assert connection(container).status == ConnectionStatus.ACTIVE  # nothing purged, nothing revoked
    assert "connection.needs_reauth" not in notifications(container)


def test_a_probe_after_the_cool_off_that_fails_again_pauses_again(
    container: Container, strava: responses.RequestsMock, budget: RedisBudget
) -> None:
    connect_athlete(container, expires_in=60)
    strava.post(TOKEN_URL, status=401, json=APPLICATION_REFUSED, headers=RATE_HEADERS)
    budget.pause_for_app_fault("earlier refusal", 0.05)
    with pytest.raises(StravaAppCredentialsRejected):  # still paused: no call
        container.tokens.access_token(ATHLETE_ID)
    assert len(strava.calls) == 0
    deadline = time.monotonic() + 10
    while budget.app_fault() is not None and time.monotonic() < deadline:
        time.sleep(0.01)  # the 50 ms pause lapses on Redis' clock
    with pytest.raises(StravaAppCredentialsRejected):  # the probe: one call, refused again
        container.tokens.access_token(ATHLETE_ID)
    assert len(strava.calls) == 1
    fault = budget.app_fault()
    assert fault is not None
    assert fault[1] > 60
    assert connection(container).status == ConnectionStatus.ACTIVE
