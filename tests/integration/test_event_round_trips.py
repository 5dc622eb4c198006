"""The per-event shortcuts (fewer statements per synced run) keep every guarantee, on the real PostgreSQL.

Each test pins one of them: the athlete lock taken once per transaction, the plan read fresh in one statement,
matches stored as a difference, the attempt count folded into the event's UPDATE, and the access token read in
the caller's session.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import event as sa_event
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import planner
from composition.root import Container
from plans import service
from store import plan_repository, repository
from store.db import UnitOfWork
from store.models import ConnectionStatus, EventAttempt, StravaConnection, StravaEvent
from store.plan_models import Plan, PlanMatch
from sync.events import activity_row
from sync.normalize import parse_activity
from sync.strava import TokenSet
from sync.tokens import NotConnected, store_tokens
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    create_plan,
    detailed_activity,
    event_body,
    store_event,
)

pytestmark = pytest.mark.integration

ACTIVITY_URL = f"{STRAVA}/api/v3/activities/1360128428"


@contextmanager
def statements(container: Container) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa_event.listen(container.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(container.engine, "before_cursor_execute", record)


def start_plan(container: Container) -> int:
    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    runner = planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45, long_run_km=12)
    race = planner.Goal(planner.GoalKind.RACE, monday + timedelta(weeks=14), 10000)
    create_plan(container, ATHLETE_ID, runner, race, start=monday, timezone="UTC", now=datetime.now(UTC))
    with container.sessions() as session:
        row = plan_repository.active_plan(session, ATHLETE_ID)
        assert row is not None
        return row.id


def store_runs(container: Container, ids: list[int]) -> None:
    with UnitOfWork(container.sessions) as uow:
        for activity_id in ids:
            raw = detailed_activity(activity_id)
            repository.upsert_activity(uow.session, activity_row(parse_activity(raw), raw, datetime.now(UTC)))
        uow.commit()


def athlete_locks(seen: list[str]) -> int:
    # FOR NO KEY UPDATE: it serializes lockers without blocking other transactions' foreign-key checks.
    return sum(s.lstrip().startswith("SELECT athletes.") and "FOR NO KEY UPDATE" in s for s in seen)


def holds_lock_elsewhere(container: Container, athlete_id: int) -> bool:
    """Whether another transaction holds the athlete's row lock (NOWAIT fails at once instead of waiting)."""
    with container.engine.connect() as conn:
        try:
            conn.execute(text("SELECT id FROM athletes WHERE id = :id FOR UPDATE NOWAIT"), {"id": athlete_id})
        except OperationalError:
            return True
        finally:
            conn.rollback()
    return False


# --- the athlete lock ---------------------------------------------------------------------------------


def test_the_athlete_is_locked_once_per_transaction_and_again_in_the_next(container: Container) -> None:
    connect_athlete(container)
    with container.sessions() as session, statements(container) as seen:
        first = repository.lock_athlete(session, ATHLETE_ID)
        again = repository.lock_athlete(session, ATHLETE_ID)
        assert first is not None
        assert again is first
        assert athlete_locks(seen) == 1
        assert holds_lock_elsewhere(container, ATHLETE_ID)

        session.commit()  # the lock ends with its transaction, and so does the memory of it
        assert not holds_lock_elsewhere(container, ATHLETE_ID)
        assert repository.lock_athlete(session, ATHLETE_ID) is first
        assert athlete_locks(seen) == 2
        assert holds_lock_elsewhere(container, ATHLETE_ID)

        session.rollback()
        assert repository.lock_athlete(session, ATHLETE_ID) is not None
        assert athlete_locks(seen) == 3
        session.rollback()


def test_a_lock_taken_in_a_rolled_back_savepoint_is_taken_again(container: Container) -> None:
    connect_athlete(container)
    with container.sessions() as session, statements(container) as seen:
        session.execute(select(1))  # the transaction is open before the savepoint
        savepoint = session.begin_nested()
        repository.lock_athlete(session, ATHLETE_ID)
        savepoint.rollback()  # PostgreSQL releases row locks taken after the savepoint
        assert not holds_lock_elsewhere(container, ATHLETE_ID)
        repository.lock_athlete(session, ATHLETE_ID)
        assert athlete_locks(seen) == 2
        assert holds_lock_elsewhere(container, ATHLETE_ID)
        session.rollback()


def test_a_synced_run_locks_its_athlete_once_and_holds_it_through_the_plan_pipeline(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    start_plan(container)
    strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    event_id = store_event(container, event_body())
    held_in_pipeline: list[bool] = []
    original = container.events._effects

    def probe(session: Session, athlete_id: int, outcome: str) -> None:
        held_in_pipeline.append(holds_lock_elsewhere(container, athlete_id))

    container.events._effects = (probe, *original, probe)
    with statements(container) as seen:
        assert container.events.process(event_id).outcome == "synced"
    assert held_in_pipeline == [True, True]
    assert athlete_locks(seen) == 1
    # the event's status, outcome, attempt count and error go out in one UPDATE
    assert sum(s.lstrip().startswith("UPDATE strava_events") for s in seen) == 1


# --- the plan, read fresh ------------------------------------------------------------------------------


def test_load_reads_the_plan_as_another_transaction_left_it(container: Container) -> None:
    connect_athlete(container)
    start_plan(container)
    with container.sessions() as session:
        stale = plan_repository.active_plan(session, ATHLETE_ID)  # held by this session from now on
        assert stale is not None
        read = stale.version
        with UnitOfWork(container.sessions) as other:
            loaded = service.load(other.session, ATHLETE_ID, now=datetime.now(UTC))
            assert loaded is not None
            service.refresh(other.session, loaded, cause="test", now=datetime.now(UTC), force=True)
            other.commit()

        loaded = service.load(session, ATHLETE_ID, now=datetime.now(UTC))
        assert loaded is not None
        assert loaded.row is stale
        assert stale.version == read + 1
        assert loaded.version.version == read + 1
        session.rollback()


def test_an_active_plan_without_its_current_version_is_an_error(container: Container) -> None:
    connect_athlete(container)
    plan_id = start_plan(container)
    with UnitOfWork(container.sessions) as uow:
        uow.session.execute(update(Plan).where(Plan.id == plan_id).values(version=Plan.version + 5))
        with pytest.raises(Exception, match="no version"):
            service.load(uow.session, ATHLETE_ID, now=datetime.now(UTC))


# --- matches, written as a difference ------------------------------------------------------------------


def stored_matches(container: Container, plan_id: int) -> dict[tuple[str, int], tuple[str, datetime]]:
    with container.sessions() as session:
        rows = session.scalars(select(PlanMatch).where(PlanMatch.plan_id == plan_id)).all()
        return {(m.workout_id, m.activity_id): (m.source, m.created_at) for m in rows}


def replace(container: Container, plan_id: int, rows: list[tuple[str, int, str]], now: datetime) -> None:
    with UnitOfWork(container.sessions) as uow:
        repository.lock_athlete(uow.session, ATHLETE_ID)
        plan_repository.replace_matches(uow.session, plan_id, rows, now=now)
        uow.commit()


def test_replace_matches_writes_only_what_changed(container: Container) -> None:
    connect_athlete(container)
    plan_id = start_plan(container)
    store_runs(container, [11, 12, 13, 14])
    t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    replace(container, plan_id, [("w1", 11, "auto"), ("w2", 12, "auto"), ("w3", 13, "auto")], t0)

    replace(container, plan_id, [("w1", 11, "auto"), ("w2", 12, "manual"), ("w4", 14, "auto")], t1)

    assert stored_matches(container, plan_id) == {
        ("w1", 11): ("auto", t0),  # unchanged: its row stays, matched at t0
        ("w2", 12): ("manual", t1),  # paired by hand now
        ("w4", 14): ("auto", t1),
    }
    with UnitOfWork(container.sessions) as uow, statements(container) as seen:
        current = plan_repository.match_sources(uow.session, plan_id)
        rows = [(w, a, s) for (w, a), s in current.items()]
        plan_repository.replace_matches(uow.session, plan_id, rows, now=t1, current=current)
        assert len(seen) == 1  # the read; nothing to write
    replace(container, plan_id, [], t1)
    assert stored_matches(container, plan_id) == {}


def test_replace_matches_ends_with_exactly_the_rows_given(container: Container) -> None:
    """Against the old delete-everything-then-insert-everything: the same (pair, source) rows, every time."""
    connect_athlete(container)
    plan_id = start_plan(container)
    runs = list(range(21, 29))
    store_runs(container, runs)
    pick = random.Random(7)
    workouts = [f"w{n}" for n in range(6)]
    for _ in range(25):
        rows = [
            (w, a, pick.choice(["auto", "manual"])) for w in workouts for a in runs if pick.random() < 0.15
        ]
        replace(container, plan_id, rows, datetime.now(UTC))
        stored = stored_matches(container, plan_id)
        assert {(w, a, source) for (w, a), (source, _) in stored.items()} == set(rows)


# --- the attempt count ---------------------------------------------------------------------------------


def test_each_attempt_counts_once_and_records_its_error(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    strava.get(ACTIVITY_URL, status=502, headers=RATE_HEADERS)
    strava.get(ACTIVITY_URL, json=detailed_activity(), headers=RATE_HEADERS)
    event_id = store_event(container, event_body())

    assert container.events.process(event_id).outcome == "retrying"
    with container.sessions() as session:
        first = session.get(StravaEvent, event_id)
        assert first is not None
        assert (first.attempts, first.status) == (1, "pending")
        assert first.last_error

    assert container.events.process(event_id).outcome == "synced"
    with container.sessions() as session:
        done = session.get(StravaEvent, event_id)
        assert done is not None
        assert (done.attempts, done.status, done.last_error) == (2, "done", None)
        outcomes = session.scalars(select(EventAttempt.outcome).order_by(EventAttempt.id)).all()
        assert outcomes == ["retrying", "synced"]


# --- the access token, read in the caller's session ----------------------------------------------------


def test_the_token_is_read_in_the_callers_session_without_a_connection_of_its_own(
    container: Container,
) -> None:
    connect_athlete(container)
    checkouts: list[object] = []

    def listener(*args: object) -> None:
        checkouts.append(args)

    with container.sessions() as session:
        repository.get_connection(session, ATHLETE_ID)
        sa_event.listen(container.engine, "checkout", listener)
        try:
            assert container.tokens.call(ATHLETE_ID, lambda token: token, session=session) == "access-1"
        finally:
            sa_event.remove(container.engine, "checkout", listener)
        session.rollback()
    assert checkouts == []


def test_the_token_read_sees_a_refresh_committed_since_the_caller_first_read_the_connection(
    container: Container,
) -> None:
    connect_athlete(container)
    with container.sessions() as session:
        held = repository.get_connection(session, ATHLETE_ID)  # the event's own read, in its session
        assert held is not None
        with UnitOfWork(container.sessions) as other:  # another worker refreshes meanwhile
            row = repository.get_connection(other.session, ATHLETE_ID, lock=True)
            assert row is not None
            store_tokens(
                row,
                TokenSet("access-2", "refresh-2", int(datetime.now(UTC).timestamp()) + 21600),
                container.cipher,
            )
            other.commit()
        assert container.tokens.call(ATHLETE_ID, lambda token: token, session=session) == "access-2"
        session.rollback()


def test_a_connection_marked_needs_reauth_since_the_caller_read_it_makes_no_call(
    container: Container,
) -> None:
    connect_athlete(container)
    calls: list[str] = []
    with container.sessions() as session:
        held = repository.get_connection(session, ATHLETE_ID)
        assert held is not None
        assert held.status == ConnectionStatus.ACTIVE
        with UnitOfWork(container.sessions) as other:
            other.session.execute(
                update(StravaConnection)
                .where(StravaConnection.athlete_id == ATHLETE_ID)
                .values(status=ConnectionStatus.NEEDS_REAUTH)
            )
            other.commit()
        with pytest.raises(NotConnected):
            container.tokens.call(ATHLETE_ID, calls.append, session=session)
        session.rollback()
    assert calls == []
