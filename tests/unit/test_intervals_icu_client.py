"""intervals.icu's calendar calls at the HTTP level (notify/intervals_icu.py, docs/connectors.md#intervalsicu-api),
with `responses`: the documented methods, paths, auth and bodies, and every answer classified without the key."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
import requests
import responses

from notify.intervals_icu import (
    CallOutcome,
    IntervalsIcuClient,
    classify,
    content_hash,
    event_for,
    external_id,
)
from planner import RepSet, Workout, WorkoutType

BASE = "https://icu.example.test"
KEY = "0secret1api2key3for4tests"


@pytest.fixture
def http() -> responses.RequestsMock:
    with responses.RequestsMock() as mock:
        yield mock


def client() -> IntervalsIcuClient:
    return IntervalsIcuClient(BASE, timeout_s=5)


def basic(request: requests.PreparedRequest) -> str:
    scheme, _, encoded = str(request.headers["Authorization"]).partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


def test_upsert_posts_the_events_to_the_bulk_endpoint_with_upsert(http: responses.RequestsMock) -> None:
    http.post(f"{BASE}/api/v1/athlete/i42/events/bulk", json=[{"id": 1}])
    events = [{"external_id": "runsmart-1-w20260304", "category": "WORKOUT"}]
    assert client().upsert("i42", KEY, events).ok
    [call] = http.calls
    assert call.request.params == {"upsert": "true"}
    assert basic(call.request) == f"API_KEY:{KEY}"
    assert json.loads(call.request.body or b"") == events


def test_delete_puts_the_external_ids_to_bulk_delete(http: responses.RequestsMock) -> None:
    http.put(f"{BASE}/api/v1/athlete/i42/events/bulk-delete", json={"eventsDeleted": 2})
    assert client().delete("i42", KEY, ["a", "b"]).ok
    [call] = http.calls
    assert json.loads(call.request.body or b"") == [{"external_id": "a"}, {"external_id": "b"}]
    assert basic(call.request) == f"API_KEY:{KEY}"


def test_the_athlete_id_cannot_leave_its_path_segment(http: responses.RequestsMock) -> None:
    http.post(f"{BASE}/api/v1/athlete/..%2Fadmin/events/bulk", json=[])
    assert client().upsert("../admin", KEY, []).ok


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, CallOutcome.OK),
        (401, CallOutcome.NEEDS_ATTENTION),
        (403, CallOutcome.NEEDS_ATTENTION),
        (404, CallOutcome.NEEDS_ATTENTION),
        (408, CallOutcome.RETRY),
        (429, CallOutcome.RETRY),
        (500, CallOutcome.RETRY),
        (503, CallOutcome.RETRY),
        (400, CallOutcome.FAILED),
        (422, CallOutcome.FAILED),
        (302, CallOutcome.FAILED),
    ],
)
def test_answers_are_classified_and_never_quote_the_key_or_the_body(
    http: responses.RequestsMock, status: int, outcome: CallOutcome
) -> None:
    http.post(
        f"{BASE}/api/v1/athlete/i42/events/bulk",
        status=status,
        body=f"echo {KEY}",
        headers={"Location": "http://169.254.169.254/"} if status == 302 else {},
    )
    answer = client().upsert("i42", KEY, [])
    assert answer.outcome is outcome
    assert len(http.calls) == 1  # a redirect is not followed: the key goes nowhere else
    assert KEY not in str(answer)
    assert "echo" not in str(answer)


def test_retry_after_is_kept_bounded() -> None:
    assert classify(429, "120").retry_after_s == 120.0
    assert classify(429, "99999999").retry_after_s == 3600.0
    assert classify(429, "Wed, 21 Oct 2015 07:28:00 GMT").retry_after_s is None


@pytest.mark.parametrize("error", [requests.Timeout(f"k={KEY}"), requests.ConnectionError(f"k={KEY}")])
def test_transport_failures_are_retryable_and_quote_nothing(
    http: responses.RequestsMock, error: Exception
) -> None:
    http.post(f"{BASE}/api/v1/athlete/i42/events/bulk", body=error)
    answer = client().upsert("i42", KEY, [])
    assert answer.outcome is CallOutcome.RETRY
    assert KEY not in str(answer)


def test_the_client_never_shows_its_session() -> None:
    assert repr(client()) == "IntervalsIcuClient(<configured>)"


def session() -> Workout:
    rep = RepSet(4, 1000.0, (240.0, 246.0), 90.0, "T")
    return Workout(
        "w20260304",
        date(2026, 3, 4),
        WorkoutType.THRESHOLD,
        8000.0,
        2400.0,
        (240.0, 246.0),
        2000.0,
        (rep,),
        2000.0,
    )


def test_a_run_becomes_a_run_workout_on_its_day_keyed_by_plan_and_workout() -> None:
    event = event_for(session(), plan_id=7, easy_pace=(300.0, 330.0))
    assert event["external_id"] == external_id(7, "w20260304") == "runsmart-7-w20260304"
    assert event["category"] == "WORKOUT"
    assert event["type"] == "Run"
    assert event["start_date_local"] == "2026-03-04T00:00:00"
    assert event["moving_time"] == 2400
    assert event["distance"] == 8000.0
    assert "Threshold 1km 4:00/km-4:06/km Pace" in event["description"]


def test_the_digest_follows_every_field() -> None:
    event = event_for(session(), plan_id=7, easy_pace=(300.0, 330.0))
    assert content_hash(event) == content_hash(dict(reversed(list(event.items()))))
    for field in event:
        assert content_hash({**event, field: "changed"}) != content_hash(event)


def test_production_sends_athletes_keys_only_over_https() -> None:
    from pydantic import ValidationError

    from tests.unit.test_settings_and_secrets import production

    assert production().intervals_icu_base_url == "https://intervals.icu"
    with pytest.raises(ValidationError, match="RUNSMART_INTERVALS_ICU_BASE_URL"):
        production(intervals_icu_base_url="http://intervals.icu")
