"""Fixtures for tests against the real PostgreSQL with Strava mocked in-process by `responses`."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import responses
from fastapi.testclient import TestClient
from pydantic import SecretStr

import planner
from composition.root import Container, build
from notify.receiver import Receiver
from plans import commands
from runsmart.settings import Settings
from sources.files.importer import FileImporter, importer_from_settings
from store.db import UnitOfWork
from sync.budget import RedisBudget
from sync.connect import save_connection
from sync.strava import TokenSet
from tests.conftest import REDIS_URL, database_name, temporary_database
from webhooks.app import create_app

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
API_KEY = "app-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
# The fixed plan of the calendar and workout-file tests: a 10 km race plan from a Monday, made the day before.
PLAN_START = date(2026, 7, 6)
PLAN_MADE = datetime(2026, 7, 5, 12, tzinfo=UTC)
TEN_K_RUNNER = planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45)
TEN_K_RACE = planner.Goal(planner.GoalKind.RACE, PLAN_START + timedelta(weeks=10, days=6), 10_000)


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
def redis_budgets() -> Iterator[Callable[..., RedisBudget]]:
    """Budgets on the real Redis, each with keys of its own, so tests never share a rate window; ``clock``: the
    budget's time (default: the wall clock)."""
    client = redis.Redis.from_url(f"{REDIS_URL}/0")
    prefixes: list[str] = []

    def make(clock: Callable[[], float] = time.time) -> RedisBudget:
        prefixes.append(f"test:{uuid.uuid4().hex}")
        return RedisBudget(client, prefix=prefixes[-1], clock=clock)

    yield make
    for prefix in prefixes:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.fixture
def budget(redis_budgets: Callable[..., RedisBudget]) -> RedisBudget:
    return redis_budgets()


@pytest.fixture
def container(settings: Settings, budget: RedisBudget) -> Container:
    return build(settings, budget=budget)


@pytest.fixture
def strava() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@contextmanager
def api_client(container: Container) -> Iterator[TestClient]:
    """The real API app on this container, open to AUTH."""
    container.settings.api_keys = SecretStr(API_KEY)
    with TestClient(create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True)) as c:
        yield c


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with api_client(container) as c:
        yield c


def create_plan(
    container: Container,
    athlete_id: int,
    athlete: planner.Athlete,
    goal: planner.Goal,
    *,
    start: date,
    timezone: str,
    now: datetime,
) -> int:
    """The athlete's plan for the goal, created as the API creates it; its version."""
    with UnitOfWork(container.sessions) as uow:
        outcome = commands.create_from_goal(
            uow.session, athlete_id, athlete=athlete, goal=goal, start=start, timezone=timezone, now=now
        )
        uow.commit()
    return outcome.version


@pytest.fixture
def ten_k_plan(container: Container) -> None:
    """ATHLETE_ID connected, with the fixed 10 km race plan, in Amsterdam."""
    connect_athlete(container)
    create_plan(
        container,
        ATHLETE_ID,
        TEN_K_RUNNER,
        TEN_K_RACE,
        start=PLAN_START,
        timezone="Europe/Amsterdam",
        now=PLAN_MADE,
    )


def a_run_to_move(plan: planner.Plan) -> planner.Workout:
    """A run more than two weeks into the fixed plan whose next day is free and not a Sunday."""
    taken = {w.date for w in plan.workouts()}
    return next(
        w
        for w in plan.workouts()
        if w.is_run
        and w.date > PLAN_START + timedelta(days=14)
        and w.date + timedelta(days=1) not in taken
        and w.date.weekday() < 6
    )


def move_a_day_later(container: Container, workout: planner.Workout) -> date:
    """The athlete moves the workout to the next day; that day."""
    moved_to = workout.date + timedelta(days=1)
    with UnitOfWork(container.sessions) as uow:
        commands.move(uow.session, ATHLETE_ID, workout.id, moved_to, now=PLAN_MADE)
        uow.commit()
    return moved_to


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local webhook receiver that checks signatures made with WEBHOOK_SECRET."""
    with Receiver(secret=WEBHOOK_SECRET) as r:
        yield r


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
def importer(container: Container, tmp_path: Path) -> FileImporter:
    """The file importer of a connected athlete, its files kept under the test's own folder."""
    connect_athlete(container)
    settings = container.settings.model_copy(update={"import_files_dir": str(tmp_path / "files")})
    return importer_from_settings(settings, [container.plans])


@pytest.fixture
def empty_database(run_tag: str) -> Iterator[str]:
    """A database of its own at no migration at all, dropped afterwards."""
    with temporary_database(database_name(f"empty_{uuid.uuid4().hex[:10]}", run_tag), migrated=False) as url:
        yield url


@pytest.fixture
def enqueued_outbox(container: Container, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The CLI runs on this container; the outbox ids it hands to the workers are recorded, not sent."""
    import workers.enqueue
    from workers import runtime

    monkeypatch.setattr(runtime, "container", lambda: container)
    enqueued: list[list[int]] = []
    monkeypatch.setattr(workers.enqueue, "enqueue_outbox", lambda ids, kick=False: enqueued.append(list(ids)))
    return enqueued


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


def update_row(container: Container, model: type[Any], key: object, **values: Any) -> None:
    """Set columns of one stored row, found by its primary key (it must exist)."""
    with UnitOfWork(container.sessions) as uow:
        row = uow.session.get(model, key)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
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


def strava_error(resource: str, field: str, code: str, message: str = "Bad Request") -> dict[str, Any]:
    """An error body as Strava sends it: a message and the fault's resource, field and code."""
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


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


def push_activity(container: Container, strava: responses.RequestsMock, activity: dict[str, Any]) -> int:
    """Strava serves the activity and its create event is stored, not yet processed; the event's id."""
    activity_id = activity["id"]
    strava.get(f"{STRAVA}/api/v3/activities/{activity_id}", json=activity, headers=RATE_HEADERS)
    return store_event(container, event_body(activity_id, event_time=1_700_000_000 + activity_id))
