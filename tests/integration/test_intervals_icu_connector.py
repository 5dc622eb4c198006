"""The intervals.icu connector on the real PostgreSQL (and Redis, for the container's budget), against the local
stand-in served in-process (simulator/intervals_icu.py): connect through the API, first sync, updates when the
plan changes, deletions, removal, idempotent re-runs, and the failure classes (docs/connectors.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

import planner
from composition.root import Container, build
from notify.connector_sync import CONNECTOR_SYNC, CalendarSync, SyncCause, request_due_syncs, request_sync
from notify.delivery import Notifier
from notify.intervals_icu import IntervalsIcuClient
from planner.workout_steps import expanded, workout_steps
from runsmart.settings import Settings
from simulator.intervals_icu_serve import StandIn
from store import connector_repository, outbox_repository
from store.db import UnitOfWork
from store.plan_models import ConnectorConnection, NotificationOutbox, OutboxStatus
from sync.budget import RedisBudget
from tests.integration.conftest import API_KEY, ATHLETE_ID, AUTH, Clock, api_client, connect_athlete
from tests.integration.helpers_notify import exact_notifier
from tests.integration.test_plan_decisions import push
from tests.integration.test_plans_pipeline import current_plan, start_plan, today

pytestmark = pytest.mark.integration

CONNECTION = f"/api/v1/athletes/{ATHLETE_ID}/connectors/intervals-icu"
ICU_ATHLETE = "i4242"
ICU_KEY = "4pi5ecret0key1for2tests3x"
HORIZON_DAYS = 14


@pytest.fixture
def icu() -> Iterator[StandIn]:
    with StandIn() as stand_in:
        stand_in.add_athlete(ICU_ATHLETE, ICU_KEY)
        yield stand_in


@pytest.fixture
def icu_container(settings: Settings, budget: RedisBudget, icu: StandIn) -> Container:
    configured = settings.model_copy(
        update={
            "intervals_icu_base_url": icu.base_url,
            "api_keys": SecretStr(API_KEY),
            "connector_horizon_days": HORIZON_DAYS,
        }
    )
    return build(configured, budget=budget)


@pytest.fixture
def client(icu_container: Container) -> Iterator[TestClient]:
    with api_client(icu_container) as c:
        yield c


@pytest.fixture
def athlete_with_plan(icu_container: Container) -> int:
    connect_athlete(icu_container)
    start_plan(icu_container)
    return ATHLETE_ID


def notifier(container: Container, icu: StandIn, clock: Clock, *, max_attempts: int = 4) -> Notifier:
    calendar = CalendarSync(
        IntervalsIcuClient(icu.base_url, timeout_s=5),
        container.cipher,
        horizon_days=HORIZON_DAYS,
        plan_now=lambda: datetime.now(UTC),
        clock=clock,
    )
    return exact_notifier(
        container, clock, max_attempts=max_attempts, senders={CONNECTOR_SYNC: calendar.send}
    )


def sync_rows(container: Container, status: str | None = None) -> list[NotificationOutbox]:
    with container.sessions() as session:
        rows = session.scalars(
            select(NotificationOutbox)
            .where(NotificationOutbox.event_type == CONNECTOR_SYNC)
            .order_by(NotificationOutbox.id)
        ).all()
    return [r for r in rows if status is None or r.status == status]


def deliver_pending(container: Container, service: Notifier) -> list[str]:
    return [service.deliver(row.id).outcome for row in sync_rows(container, OutboxStatus.PENDING)]


def connect(client: TestClient, key: str = ICU_KEY, athlete: str = ICU_ATHLETE) -> dict[str, Any]:
    response = client.put(CONNECTION, json={"athlete_id": athlete, "api_key": key}, headers=AUTH)
    assert response.status_code == 200, response.text
    return dict(response.json())


def connected_and_synced(client: TestClient, container: Container, icu: StandIn, clock: Clock) -> Notifier:
    """Connect the athlete and deliver the first sync; the notifier that delivered it."""
    connect(client)
    service = notifier(container, icu, clock)
    deliver_pending(container, service)
    return service


def connected_while_failing(
    client: TestClient,
    container: Container,
    icu: StandIn,
    clock: Clock,
    status: int,
    *,
    max_attempts: int = 4,
    **failure: Any,
) -> tuple[Notifier, NotificationOutbox]:
    """Connect while the stand-in is set to answer `status` (as its fail_next takes it); the notifier and the one
    sync row it has to deliver."""
    connect(client)
    icu.fail_next(status, **failure)
    service = notifier(container, icu, clock, max_attempts=max_attempts)
    [row] = sync_rows(container)
    return service, row


def tick(container: Container, now: datetime | None = None, resync_every_s: int = 6 * 3600) -> int:
    with UnitOfWork(container.sessions) as uow:
        written = request_due_syncs(uow.session, now=now or datetime.now(UTC), resync_every_s=resync_every_s)
        uow.commit()
    return written


def upcoming_runs(container: Container) -> list[planner.Workout]:
    """What the calendar must hold: the current plan's runs from today over the horizon."""
    first = today()
    return [
        w
        for w in current_plan(container).workouts()
        if w.is_run and first <= w.date < first + timedelta(days=HORIZON_DAYS)
    ]


def assert_calendar_is_the_plan(container: Container, icu: StandIn) -> list[dict[str, Any]]:
    """Every upcoming run is there once, on its day, its text read back as its steps; nothing else of ours."""
    events = [e for e in icu.events(ICU_ATHLETE) if e.get("external_id")]
    runs = upcoming_runs(container)
    assert runs
    assert sorted(e["start_date_local"][:10] for e in events) == sorted(w.date.isoformat() for w in runs)
    for w in runs:
        [event] = [e for e in events if e["start_date_local"][:10] == w.date.isoformat()]
        assert event["category"] == "WORKOUT"
        assert event["type"] == "Run"
        assert event["distance"] == pytest.approx(w.distance_m, abs=0.1)
        doc = event["workout_doc"]
        assert doc["unparsed"] == []
        planned = [
            s for s in expanded(workout_steps(w, planner.training_paces(45).easy)) if s.distance_m or s.time_s
        ]
        assert len(doc_steps(doc)) == len(planned)
    assert len({e["external_id"] for e in events}) == len(events)
    return events


def doc_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in doc["steps"]:
        out.extend(step["steps"] * step["reps"] if "reps" in step else [step])
    return out


def connection_row(container: Container) -> ConnectorConnection | None:
    with container.sessions() as session:
        return connector_repository.get_connection(session, ATHLETE_ID, "intervals_icu")


# --- the happy path ---------------------------------------------------------------------------------------


def test_connecting_sends_the_upcoming_runs_and_a_rerun_sends_nothing(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    body = connect(client)
    assert body["status"] == "active"
    assert body["workouts_sent"] == 0
    assert ICU_KEY not in str(body)

    service = notifier(icu_container, icu, clock)
    assert deliver_pending(icu_container, service) == ["delivered"]
    assert_calendar_is_the_plan(icu_container, icu)
    status = client.get(CONNECTION, headers=AUTH).json()
    assert status["workouts_sent"] == len(upcoming_runs(icu_container))
    assert status["last_synced_at"] is not None

    calls = len(icu.api_requests())
    with UnitOfWork(icu_container.sessions) as uow:
        request_sync(uow.session, ATHLETE_ID, cause=SyncCause.PLAN_CHANGED, key="again", now=clock())
        uow.commit()
    assert deliver_pending(icu_container, service) == ["delivered"]
    assert len(icu.api_requests()) == calls  # nothing changed: nothing sent
    assert tick(icu_container) == 0  # the synced version is the plan's: the tick has nothing to do
    # ... until the resync period has passed: workouts entering the horizon arrive, a lost sync is repaired
    assert tick(icu_container, now=datetime.now(UTC) + timedelta(hours=7)) == 1


def test_beat_runs_the_tick() -> None:
    import workers.jobs  # noqa: F401  (registers the tasks)
    from workers.celery_app import app

    assert "jobs.connectors_tick" in app.tasks
    assert "jobs.connectors_tick" in {entry["task"] for entry in app.conf.beat_schedule.values()}


def test_the_composition_root_wires_the_connector_into_the_notifier(
    icu_container: Container, client: TestClient, icu: StandIn, athlete_with_plan: int
) -> None:
    connect(client)
    [row] = sync_rows(icu_container)
    assert icu_container.notifier.deliver(row.id).outcome == "delivered"
    assert_calendar_is_the_plan(icu_container, icu)


def test_a_changed_plan_updates_its_events_in_place_and_deletes_what_left(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    service = connected_and_synced(client, icu_container, icu, clock)
    before = {e["external_id"]: e for e in icu.events(ICU_ATHLETE)}

    moved = _move_a_future_workout(client)
    assert tick(icu_container) == 1
    assert tick(icu_container) == 0  # one pending row per connection at a time
    assert deliver_pending(icu_container, service) == ["delivered"]
    after = {e["external_id"]: e for e in assert_calendar_is_the_plan(icu_container, icu)}
    changed = [x for x in after if after[x]["start_date_local"] != before.get(x, {}).get("start_date_local")]
    assert [after[x]["start_date_local"][:10] for x in changed] == [moved["to"]]
    assert after[changed[0]]["id"] == before[changed[0]]["id"]  # updated there, not created again

    # A new plan replaces the old one: every event of the old plan goes, the new plan's arrive.
    replace = client.put(f"/api/v1/athletes/{ATHLETE_ID}/plan", json=_goal(weeks=10), headers=AUTH)
    assert replace.status_code in (200, 201), replace.text
    assert tick(icu_container) == 1
    assert deliver_pending(icu_container, service) == ["delivered"]
    now = {e["external_id"] for e in assert_calendar_is_the_plan(icu_container, icu)}
    assert not now & set(before)


def _move_a_future_workout(client: TestClient) -> dict[str, str]:
    plan = client.get(f"/api/v1/athletes/{ATHLETE_ID}/plan", headers=AUTH).json()
    window = {(today() + timedelta(days=d)).isoformat() for d in range(1, HORIZON_DAYS - 1)}
    for week in plan["weeks"]:
        taken = {w["date"] for w in week["workouts"]}
        days = [(date.fromisoformat(week["start"]) + timedelta(days=i)).isoformat() for i in range(7)]
        free = [d for d in days if d in window and d not in taken]
        runs = [w for w in week["workouts"] if w["date"] in window and w["type"] != "rest"]
        if free and runs:
            move = client.post(
                f"/api/v1/athletes/{ATHLETE_ID}/plan/workouts/{runs[0]['id']}/move",
                json={"date": free[0]},
                headers=AUTH,
            )
            assert move.status_code == 200, move.text
            return {"id": runs[0]["id"], "to": free[0]}
    raise AssertionError("no movable workout in the horizon")


def _goal(weeks: int) -> dict[str, Any]:
    start = today() - timedelta(days=today().weekday())
    return {
        "athlete": {"weekly_km": 30, "runs_per_week": 3, "vdot": 45, "long_run_km": 10},
        "goal": {"kind": "race", "date": (start + timedelta(weeks=weeks)).isoformat(), "distance_m": 5000},
        "start": start.isoformat(),
        "timezone": "Europe/Amsterdam",
    }


def test_a_decision_that_changes_workouts_reaches_the_calendar(
    icu_container: Container,
    client: TestClient,
    icu: StandIn,
    clock: Clock,
    strava: responses.RequestsMock,
    athlete_with_plan: int,
) -> None:
    # The plan began last Monday and nothing was run that week: the planner decided to rebuild the weeks ahead.
    # Then last week's runs arrive from Strava, as planned: the decision is withdrawn, the weeks ahead change.
    strava.add_passthru(icu.base_url)  # Strava is mocked; the stand-in is served for real
    service = connected_and_synced(client, icu_container, icu, clock)
    before = {e["external_id"]: e["description"] for e in icu.events(ICU_ATHLETE)}

    runs = [w for w in current_plan(icu_container).weeks[0].workouts if w.is_run]
    for n, w in enumerate(runs):
        push(icu_container, strava, w.date, 950 + n, km=w.distance_m / 1000)
    assert tick(icu_container) == 1
    assert deliver_pending(icu_container, service) == ["delivered"]
    after = {e["external_id"]: e["description"] for e in assert_calendar_is_the_plan(icu_container, icu)}
    assert after != before


# --- removal ------------------------------------------------------------------------------------------------


def test_removing_deletes_our_events_then_forgets_the_key(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    service = connected_and_synced(client, icu_container, icu, clock)
    # The athlete's own note, put there by hand: never ours to delete.
    icu.world.upsert(
        ICU_ATHLETE,
        "the-athlete",
        [{"category": "NOTE", "start_date_local": f"{today()}T00:00:00"}],
        upsert=False,
    )

    response = client.delete(CONNECTION, headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "removing"
    assert deliver_pending(icu_container, service) == ["delivered"]
    assert [e["category"] for e in icu.events(ICU_ATHLETE)] == ["NOTE"]
    assert connection_row(icu_container) is None
    assert client.get(CONNECTION, headers=AUTH).status_code == 404
    with icu_container.sessions() as session:
        assert connector_repository.pushed(session, ATHLETE_ID, "intervals_icu") == {}


def test_removing_with_a_key_revoked_there_still_forgets_it(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    service = connected_and_synced(client, icu_container, icu, clock)
    sent = icu.events(ICU_ATHLETE)
    icu.world.keys[ICU_ATHLETE] = "revoked-and-replaced-there"
    assert client.delete(CONNECTION, headers=AUTH).status_code == 202
    assert deliver_pending(icu_container, service) == ["delivered"]
    assert connection_row(icu_container) is None  # the key is forgotten all the same
    assert icu.events(ICU_ATHLETE) == sent  # what could not be deleted without a working key


def test_removing_a_connection_that_holds_nothing_is_immediate(
    icu_container: Container, client: TestClient, athlete_with_plan: int
) -> None:
    connect(client)
    assert client.delete(CONNECTION, headers=AUTH).status_code == 204
    assert connection_row(icu_container) is None


# --- failures -----------------------------------------------------------------------------------------------


def test_a_refused_key_marks_the_connection_and_is_not_retried(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    connect(client, key="not-the-athletes-key")
    service = notifier(icu_container, icu, clock)
    assert deliver_pending(icu_container, service) == ["delivered"]  # settled: retrying cannot help
    [row] = sync_rows(icu_container)
    assert row.payload["_delivery"][CONNECTOR_SYNC]["status"] == "invalid"
    assert len(icu.api_requests()) == 1
    status = client.get(CONNECTION, headers=AUTH).json()
    assert status["status"] == "needs_attention"
    assert "401" in status["status_reason"]
    assert tick(icu_container, now=datetime.now(UTC) + timedelta(days=2)) == 0  # nothing more is sent

    connect(client)  # the right key: active again, and synced
    assert client.get(CONNECTION, headers=AUTH).json()["status"] == "active"
    assert deliver_pending(icu_container, service) == ["delivered"]
    assert_calendar_is_the_plan(icu_container, icu)


def test_429_waits_at_least_its_retry_after_then_succeeds(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    service, row = connected_while_failing(client, icu_container, icu, clock, 429, retry_after=300)
    first = service.deliver(row.id)
    assert first.outcome == "retrying"
    assert first.retry_in_s is not None
    assert first.retry_in_s >= 300
    assert icu.events(ICU_ATHLETE) == []
    assert service.deliver(row.id).outcome == "not_due"  # no sleeping: the row waits for its time
    clock.advance(first.retry_in_s)
    assert service.deliver(row.id).outcome == "delivered"
    assert_calendar_is_the_plan(icu_container, icu)


def test_a_failed_delete_after_a_good_upsert_retries_only_the_delete(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    service = connected_and_synced(client, icu_container, icu, clock)
    client.put(f"/api/v1/athletes/{ATHLETE_ID}/plan", json=_goal(weeks=10), headers=AUTH)
    icu.fail_next(503, on="/bulk-delete")
    tick(icu_container)
    [row] = sync_rows(icu_container, OutboxStatus.PENDING)
    first = service.deliver(row.id)
    assert first.outcome == "retrying"
    calls = len(icu.api_requests())
    clock.advance(first.retry_in_s or 0)
    assert service.deliver(row.id).outcome == "delivered"
    assert [r["path"].rsplit("/", 1)[-1] for r in icu.api_requests()[calls:]] == ["bulk-delete"]
    assert_calendar_is_the_plan(icu_container, icu)


def test_a_sync_failing_every_time_is_dead_lettered_then_replayed(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    service, row = connected_while_failing(client, icu_container, icu, clock, 503, times=3, max_attempts=3)
    outcomes = []
    for _ in range(3):
        result = service.deliver(row.id)
        outcomes.append(result.outcome)
        clock.advance(result.retry_in_s or 0)
    assert outcomes == ["retrying", "retrying", "dead"]
    [dead] = sync_rows(icu_container, OutboxStatus.DEAD)
    assert "HTTP 503" in (dead.last_error or "")

    with UnitOfWork(icu_container.sessions) as uow:  # `runsmart notifications replay`
        assert outbox_repository.replay_dead(uow.session, ids=[dead.id]) == [dead.id]
        uow.commit()
    assert service.deliver(dead.id).outcome == "delivered"
    assert_calendar_is_the_plan(icu_container, icu)


def test_the_key_is_never_logged_nor_stored_in_clear(
    icu_container: Container,
    client: TestClient,
    icu: StandIn,
    clock: Clock,
    athlete_with_plan: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    connect(client)
    service = notifier(icu_container, icu, clock)
    icu.fail_next(500)
    deliver_pending(icu_container, service)
    clock.advance(600)
    deliver_pending(icu_container, service)
    icu.world.keys[ICU_ATHLETE] = "the-key-was-rotated-there"  # now refused: 401
    client.put(f"/api/v1/athletes/{ATHLETE_ID}/plan", json=_goal(weeks=10), headers=AUTH)
    tick(icu_container)
    deliver_pending(icu_container, service)
    bad = client.put(CONNECTION, json={"athlete_id": "12345", "api_key": ICU_KEY}, headers=AUTH)
    assert bad.status_code == 422
    assert ICU_KEY not in bad.text

    assert connection_row(icu_container) is not None
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "connector." in logged  # the sync did log
    assert ICU_KEY not in logged
    rows = sync_rows(icu_container)
    assert all(ICU_KEY not in f"{r.payload} {r.last_error}" for r in rows)
    row = connection_row(icu_container)
    assert row is not None
    assert ICU_KEY not in row.secret
    assert icu_container.cipher.decrypt(row.secret) == ICU_KEY
    assert ICU_KEY not in str(client.get(CONNECTION, headers=AUTH).json())


# --- the API's refusals ------------------------------------------------------------------------------------


def test_the_api_refuses_what_it_cannot_use(
    icu_container: Container, client: TestClient, icu: StandIn, clock: Clock, athlete_with_plan: int
) -> None:
    assert client.get(CONNECTION, headers=AUTH).status_code == 404
    unknown = client.put(
        "/api/v1/athletes/99/connectors/intervals-icu",
        json={"athlete_id": ICU_ATHLETE, "api_key": ICU_KEY},
        headers=AUTH,
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    spaced = client.put(
        CONNECTION, json={"athlete_id": ICU_ATHLETE, "api_key": "has a space in it"}, headers=AUTH
    )
    assert spaced.status_code == 422
    assert client.put(CONNECTION, json={"athlete_id": ICU_ATHLETE, "api_key": ICU_KEY}).status_code == 401

    connect(client)
    deliver_pending(icu_container, notifier(icu_container, icu, clock))
    other = client.put(CONNECTION, json={"athlete_id": "i777", "api_key": ICU_KEY}, headers=AUTH)
    assert other.status_code == 409  # our workouts are in i4242's calendar: remove first
    assert client.get(CONNECTION, headers=AUTH).json()["athlete_id"] == ICU_ATHLETE
    assert sync_rows(icu_container, OutboxStatus.PENDING) == []
