"""Fixtures for tests against the real PostgreSQL with Strava mocked in-process by `responses`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
import responses

from composition.root import Container, build
from runsmart.settings import Settings
from store.db import UnitOfWork
from sync.budget import RedisBudget
from sync.connect import save_connection
from sync.strava import TokenSet
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration

STRAVA = "https://www.strava.com"
ATHLETE_ID = 134815
SUBSCRIPTION_ID = 120475
RATE_HEADERS = {
    "X-RateLimit-Limit": "200,2000",
    "X-RateLimit-Usage": "1,1",
    "X-ReadRateLimit-Limit": "100,1000",
    "X-ReadRateLimit-Usage": "1,1",
}


@pytest.fixture
def settings(clean_db: str) -> Settings:
    return Settings(
        env="test",
        database_url=clean_db,
        strava_client_id=1234,
        strava_client_secret="client-secret-for-tests",  # type: ignore[arg-type]
        strava_verify_token="verify-token-for-tests",  # type: ignore[arg-type]
        strava_subscription_id=SUBSCRIPTION_ID,
        retry_base_s=1,
        retry_max_s=30,
        max_retries=3,
        not_found_retries=2,
        inbox_redrive_after_s=60,
    )


@pytest.fixture
def budget() -> Iterator[RedisBudget]:
    # The real Redis, with keys of this test's own, so tests never share a rate window.
    client = redis.Redis.from_url(f"{REDIS_URL}/0")
    prefix = f"test:{uuid.uuid4().hex}"
    yield RedisBudget(client, prefix=prefix)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def container(settings: Settings, budget: RedisBudget) -> Container:
    return build(settings, budget=budget)


@pytest.fixture
def strava() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def connect_athlete(
    container: Container,
    athlete_id: int = ATHLETE_ID,
    *,
    access: str = "access-1",
    refresh: str = "refresh-1",
    expires_in: int = 6 * 3600,
) -> None:
    with UnitOfWork(container.sessions) as uow:
        save_connection(
            uow.session,
            tokens=TokenSet(access, refresh, int(time.time()) + expires_in),
            athlete={"id": athlete_id, "firstname": "Ada", "lastname": "Runner"},
            scopes="read,activity:read_all",
            cipher=container.cipher,
        )
        uow.commit()


def detailed_activity(
    activity_id: int = 1360128428, athlete_id: int = ATHLETE_ID, **overrides: Any
) -> dict[str, Any]:
    """A DetailedActivity shaped as Strava documents it (docs/strava.md, "Activity data"; values invented)."""
    activity: dict[str, Any] = {
        "id": activity_id,
        "resource_state": 3,
        "athlete": {"id": athlete_id, "resource_state": 1},
        "name": "Tempo 3x2k",
        "sport_type": "Run",
        "type": "Run",
        "workout_type": 3,
        "start_date": "2026-07-21T10:12:00Z",
        "start_date_local": "2026-07-21T12:12:00Z",
        "timezone": "(GMT+01:00) Europe/Amsterdam",
        "utc_offset": 7200.0,
        "distance": 10012.3,
        "moving_time": 2950,
        "elapsed_time": 3010,
        "total_elevation_gain": 42.1,
        "average_speed": 3.394,
        "max_speed": 5.1,
        "has_heartrate": True,
        "average_heartrate": 158.2,
        "max_heartrate": 181.0,
        "manual": False,
        "trainer": False,
        "private": False,
        "laps": [
            {
                "id": 1,
                "lap_index": 1,
                "split": 1,
                "distance": 1000.0,
                "elapsed_time": 300,
                "moving_time": 298,
                "average_speed": 3.36,
                "average_heartrate": 150.1,
            }
        ],
        "splits_metric": [
            {"split": 1, "distance": 1001.2, "elapsed_time": 301, "moving_time": 299, "average_speed": 3.35}
        ],
    }
    activity.update(overrides)
    return activity


def event_body(
    object_id: int = 1360128428,
    aspect_type: str = "create",
    *,
    object_type: str = "activity",
    owner_id: int = ATHLETE_ID,
    updates: dict[str, Any] | None = None,
    event_time: int = 1_700_000_000,
    subscription_id: int = SUBSCRIPTION_ID,
) -> dict[str, Any]:
    return {
        "aspect_type": aspect_type,
        "event_time": event_time,
        "object_id": object_id,
        "object_type": object_type,
        "owner_id": owner_id,
        "subscription_id": subscription_id,
        "updates": updates or {},
    }


def store_event(container: Container, body: dict[str, Any]) -> int:
    from store import repository

    with UnitOfWork(container.sessions) as uow:
        event_id = repository.insert_event_if_new(uow.session, {**body, "received_at": datetime.now(UTC)})
        uow.commit()
    assert event_id is not None
    return event_id
