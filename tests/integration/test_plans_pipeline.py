"""The plan pipeline inside the event's transaction, on the real PostgreSQL (Strava mocked with `responses`)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

import planner
from composition.root import Container
from plans import commands, service
from plans.pipeline import PlanPipeline
from store import plan_repository
from store.db import UnitOfWork
from store.plan_models import NotificationOutbox, Plan, PlanChange
from sync.events import EventProcessor
from tests.integration.conftest import (
    ATHLETE_ID,
    STRAVA,
    connect_athlete,
    create_plan,
    detailed_activity,
    event_body,
    push_activity,
    store_event,
    strava_error,
)

pytestmark = pytest.mark.integration

TZ = "Europe/Amsterdam"
TOKEN_URL = f"{STRAVA}/oauth/token"
REFRESH_INVALID = strava_error("RefreshToken", "refresh_token", "invalid")
RUNNER = planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45, long_run_km=12)


def today() -> date:
    return service.local_today(TZ, datetime.now(UTC))


def last_monday() -> date:
    """The Monday of last week: the plan's first week is complete, so adaptation has something to judge."""
    t = today()
    return t - timedelta(days=t.weekday() + 7)


def start_plan(container: Container, start: date | None = None) -> int:
    """A 10 km race plan from ``start`` (last Monday if not given); its version."""
    first = start or last_monday()
    race = planner.Goal(planner.GoalKind.RACE, first + timedelta(weeks=14), 10000)
    return create_plan(container, ATHLETE_ID, RUNNER, race, start=first, timezone=TZ, now=datetime.now(UTC))


def connected_with_a_plan(container: Container, start: date | None = None) -> int:
    """ATHLETE_ID connected, with the plan of start_plan; its version."""
    connect_athlete(container)
    return start_plan(container, start)


def plan_row(session: Session) -> Plan:
    row = plan_repository.active_plan(session, ATHLETE_ID)
    assert row is not None
    return row


def current_plan(container: Container) -> planner.Plan:
    with container.sessions() as session:
        return planner.plan_from_dict(plan_repository.current_version(session, plan_row(session)).plan)


def run_on(day: date, activity_id: int, distance_m: float = 9600.0, **overrides: Any) -> dict[str, Any]:
    return detailed_activity(
        activity_id,
        start_date=f"{day.isoformat()}T06:00:00Z",
        start_date_local=f"{day.isoformat()}T07:00:00Z",
        timezone=f"(GMT+01:00) {TZ}",
        distance=distance_m,
        moving_time=int(distance_m * 0.33),
        elapsed_time=int(distance_m * 0.34),
        workout_type=None,
        name="Easy run",
        **overrides,
    )


def push_run(
    container: Container, strava: responses.RequestsMock, day: date, activity_id: int, **kw: Any
) -> int:
    return push_activity(container, strava, run_on(day, activity_id, **kw))


def outbox(container: Container, event_type: str | None = None) -> list[NotificationOutbox]:
    with container.sessions() as session:
        rows = plan_repository.notifications(session, ATHLETE_ID)
    return [r for r in rows if event_type is None or r.event_type == event_type]


def first_workout(container: Container) -> planner.Workout:
    return current_plan(container).weeks[0].workouts[0]


def push_the_first_workout_as_planned(
    container: Container, strava: responses.RequestsMock
) -> tuple[planner.Workout, int]:
    """The plan's first workout run as planned (run 501), its event stored, not processed: the workout and the
    event's id."""
    workout = first_workout(container)
    return workout, push_run(container, strava, workout.date, 501, distance_m=workout.distance_m)


def connected_with_its_first_workout_synced(container: Container, strava: responses.RequestsMock) -> None:
    """ATHLETE_ID connected, with the plan of start_plan, its first workout run as planned and synced."""
    connected_with_a_plan(container)
    _, event_id = push_the_first_workout_as_planned(container, strava)
    container.events.process(event_id)


def test_a_synced_run_matches_adapts_the_plan_and_writes_the_outbox(
    container: Container, strava: responses.RequestsMock
) -> None:
    before = connected_with_a_plan(container)
    workout, event_id = push_the_first_workout_as_planned(container, strava)

    assert container.events.process(event_id).outcome == "synced"

    with container.sessions() as session:
        row = plan_row(session)
        assert row.version > before
        assert plan_repository.match_pairs(session, row.id) == {(workout.id, 501)}
        revised = session.scalars(select(PlanChange).where(PlanChange.version == row.version)).all()
        assert revised
        assert all(c.reason for c in revised)
        version = plan_repository.current_version(session, row)
        assert version.cause == "synced"
    updated = outbox(container, "plan.updated")[-1]
    # Named by the decisions it revised (docs/api.md#decisions), not by the version.
    names = ",".join(sorted(f"{c.change_id}#r{c.revision}" for c in revised))
    assert updated.idempotency_key == f"plan.updated:{row.id}:{names}"
    assert updated.payload["reasons"] == [c.reason for c in revised if c.status == "active"]
    matched = outbox(container, "workout.matched")
    assert [m.idempotency_key for m in matched] == [f"workout.matched:{row.id}:{workout.id}:501"]
    assert "501" in matched[0].payload["reasons"][0]


def test_replaying_the_same_state_stores_nothing_new(
    container: Container, strava: responses.RequestsMock
) -> None:
    connected_with_its_first_workout_synced(container, strava)
    count = len(outbox(container))
    with UnitOfWork(container.sessions) as uow:
        version = plan_row(uow.session).version
        PlanPipeline()(uow.session, ATHLETE_ID, "synced")  # adapt is idempotent: nothing new to say
        uow.commit()
    with container.sessions() as session:
        assert plan_row(session).version == version
    assert len(outbox(container)) == count


def test_nothing_is_written_when_the_events_transaction_rolls_back(
    container: Container, strava: responses.RequestsMock
) -> None:
    version = connected_with_a_plan(container)
    count = len(outbox(container))
    _, event_id = push_the_first_workout_as_planned(container, strava)

    def boom(session: Session, athlete_id: int, outcome: str) -> None:
        raise RuntimeError("a later effect failed")

    failing = EventProcessor(
        container.sessions,
        container.gateway,
        container.tokens,
        container.events.policy,
        effects=[PlanPipeline(), boom],
    )
    with pytest.raises(RuntimeError):
        failing.process(event_id)

    with container.sessions() as session:
        row = plan_row(session)
        assert row.version == version
        assert plan_repository.match_pairs(session, row.id) == set()
        assert len(plan_repository.versions(session, row.id)) == version
    assert len(outbox(container)) == count
    # The same event processed normally afterwards does all of it.
    assert container.events.process(event_id).outcome == "synced"
    assert len(outbox(container, "workout.matched")) == 1


def test_many_events_for_one_athlete_at_once_leave_one_consistent_plan(
    container: Container, strava: responses.RequestsMock
) -> None:
    connected_with_a_plan(container)
    days = [w.date for w in current_plan(container).workouts() if w.date <= today()][:8]
    event_ids = [push_run(container, strava, day, 600 + i) for i, day in enumerate(days)]

    def work(event_id: int) -> str:
        # Until done: a busy row (its twin is running) or a retry is simply tried again, as a redelivery would.
        for _ in range(200):
            result = container.events.process(event_id)
            if result.retry_in_s is None and result.outcome != "busy":
                return result.outcome
            time.sleep(0.02)
        return f"unfinished: {result}"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(work, event_ids * 2))
    assert not [o for o in outcomes if o.startswith("unfinished")], outcomes

    with container.sessions() as session:
        row = plan_row(session)
        numbers = [v.version for v in plan_repository.versions(session, row.id)]
        assert numbers == list(range(1, row.version + 1))
        pairs = plan_repository.match_pairs(session, row.id)
    assert {a for _, a in pairs} == {600 + i for i in range(len(days))}
    # No lost change: adapting once more over everything stored finds nothing left to change.
    with UnitOfWork(container.sessions) as uow:
        loaded = service.load(uow.session, ATHLETE_ID, now=datetime.now(UTC))
        assert loaded is not None
        assert service.refresh(uow.session, loaded, cause="check", now=datetime.now(UTC)).stored is False
    matched = {m.payload["activity_id"] for m in outbox(container, "workout.matched")}
    assert matched == {a for _, a in pairs}


def test_a_stale_version_is_refused(container: Container) -> None:
    connected_with_a_plan(container)
    with container.sessions() as first, container.sessions() as second:
        stale = plan_row(second)
        with first.begin():
            row = plan_row(first)
            plan_repository.bump_version(
                first, row, plan_json={"x": 1}, as_of=None, cause="test", now=datetime.now(UTC)
            )
        with pytest.raises(plan_repository.StaleVersion):
            plan_repository.bump_version(
                second, stale, plan_json={"x": 2}, as_of=None, cause="test", now=datetime.now(UTC)
            )
        second.rollback()


def test_a_deauthorization_rederives_the_plan_without_the_purged_runs(
    container: Container, strava: responses.RequestsMock
) -> None:
    connected_with_its_first_workout_synced(container, strava)
    with_run = current_plan(container)
    strava.post(TOKEN_URL, status=400, json=REFRESH_INVALID)
    deauth = store_event(
        container,
        event_body(
            ATHLETE_ID,
            "update",
            object_type="athlete",
            updates={"authorized": "false"},
            event_time=1_800_000_000,
        ),
    )

    assert container.events.process(deauth).outcome == "deauthorized"

    with container.sessions() as session:
        row = plan_row(session)
        assert plan_repository.match_pairs(session, row.id) == set()
        assert plan_repository.current_version(session, row).cause == "deauthorized"
    without = current_plan(container)
    assert planner.plan_to_dict(without)["changes"] != planner.plan_to_dict(with_run)["changes"]
    revoked = outbox(container, "connection.revoked")
    assert len(revoked) == 1
    assert revoked[0].payload["reasons"]


def test_a_paused_athlete_is_not_adapted_for_the_days_off_until_resumed(
    container: Container, strava: responses.RequestsMock
) -> None:
    start = today() - timedelta(days=today().weekday())  # this week: nothing completed yet
    connected_with_a_plan(container, start=start)
    with UnitOfWork(container.sessions) as uow:
        commands.pause(
            uow.session, ATHLETE_ID, until=today() + timedelta(days=10), reason="sick", now=datetime.now(UTC)
        )
        uow.commit()
    # Seen from ten days later, still paused: judged as of the pause's first day, so nothing is missed.
    later = datetime.now(UTC) + timedelta(days=9)
    with UnitOfWork(container.sessions) as uow:
        PlanPipeline(now=lambda: later)(uow.session, ATHLETE_ID, "synced")
        row = plan_row(uow.session)
        assert plan_repository.current_version(uow.session, row).version == row.version
        assert planner.plan_from_dict(plan_repository.current_version(uow.session, row).plan).changes == ()
        uow.commit()
    with UnitOfWork(container.sessions) as uow:
        outcome = commands.resume(uow.session, ATHLETE_ID, now=later)
        uow.commit()
    assert outcome.stored
    assert {c.code for c in outcome.changes} & {"return_after_break", "volume_rebuild"}
    assert "Welcome back" in outbox(container, "plan.updated")[-1].payload["reasons"][-1]
