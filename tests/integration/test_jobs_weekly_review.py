"""The set-based weekly review (jobs.review) on the real PostgreSQL with an injected clock: due per timezone
(Monday, once the week has ended there), idempotent on re-run, the same figures as the per-athlete path,
chunked. `week.reviewed` is one payload (docs/notifications.md): the set-based review and the per-athlete path
(the SQLite demo, built by jobs.service.week_reviewed_payload) write the same fields and values; the per-athlete
path adds only its per-workout rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

import planner
from composition.root import Container
from jobs import review, service
from plans import service as plan_service
from store import plan_repository
from store.db import UnitOfWork
from store.models import Activity
from store.plan_models import NotificationOutbox, PlanWeek
from tests.integration.conftest import connect_athlete, create_plan

pytestmark = pytest.mark.integration

TOKYO, LA = 601, 602
START = date(2026, 7, 6)  # a Monday
SUNDAY = START + timedelta(days=6)
MONDAY = START + timedelta(days=7)  # the reviewed week has ended: the review hour is on Monday
CREATED = datetime(2026, 7, 5, 12, 0, tzinfo=UTC)
TZ = {TOKYO: "Asia/Tokyo", LA: "America/Los_Angeles"}
PROFILE = planner.Athlete(weekly_km=40, runs_per_week=5, vdot=45)
GOAL = planner.Goal(planner.GoalKind.RACE, START + timedelta(weeks=12, days=6), 10_000)


def local(day: date, hh: int, mm: int, athlete: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(TZ[athlete])).astimezone(UTC)


def make_plan(container: Container, athlete_id: int) -> None:
    connect_athlete(container, athlete_id)
    create_plan(container, athlete_id, PROFILE, GOAL, start=START, timezone=TZ[athlete_id], now=CREATED)


def add_run(
    container: Container, athlete_id: int, activity_id: int, day: date, km: float, *, run: bool = True
) -> None:
    start = datetime.combine(day, time(7, 0))
    with UnitOfWork(container.sessions) as uow:
        uow.session.add(
            Activity(
                id=activity_id,
                athlete_id=athlete_id,
                name="Morning Run",
                sport_type="Run" if run else "Ride",
                is_run=run,
                start_date=start.replace(tzinfo=ZoneInfo(TZ[athlete_id])).astimezone(UTC),
                start_date_local=start,
                local_date=day,
                timezone=TZ[athlete_id],
                distance_m=km * 1000,
                moving_time_s=int(km * 340),  # easy for VDOT 45: the speed guard has nothing to answer
                elapsed_time_s=int(km * 350),
                raw={},
                fetched_at=CREATED,
            )
        )
        uow.commit()


def adapt(container: Container, athlete_id: int, now: datetime) -> None:
    """What syncing would have done: adapt and re-match the plan with the stored runs."""
    with UnitOfWork(container.sessions) as uow:
        loaded = plan_service.load(uow.session, athlete_id, now=now)
        assert loaded is not None
        plan_service.refresh(uow.session, loaded, cause="synced", now=now)
        uow.commit()


def reviews(container: Container) -> list[NotificationOutbox]:
    with container.sessions() as session:
        stmt = select(NotificationOutbox).where(NotificationOutbox.event_type == service.WEEK_REVIEWED)
        return list(session.scalars(stmt.order_by(NotificationOutbox.id)))


def review_both_ways(
    container: Container, athlete_id: int, now: datetime, hour: int
) -> tuple[NotificationOutbox, NotificationOutbox]:
    """The athlete's first week reviewed set-based, then forgotten and reviewed by the per-athlete path: both rows."""
    assert review.review_all(container.sessions, now=now, hour=hour).written == 1
    [set_based] = reviews(container)
    with UnitOfWork(container.sessions) as uow:  # forget it, so the per-athlete path writes the same week
        uow.session.execute(delete(NotificationOutbox).where(NotificationOutbox.id == set_based.id))
        uow.commit()
    with UnitOfWork(container.sessions) as uow:
        assert service.weekly_review(uow.session, athlete_id, START, now=now) == "reviewed"
        uow.commit()
    [per_athlete] = reviews(container)
    return set_based, per_athlete


def test_plan_weeks_follow_the_current_version(container: Container) -> None:
    make_plan(container, TOKYO)
    plan = planner.generate_plan(PROFILE, GOAL, START)
    with container.sessions() as session:
        row = plan_repository.active_plan(session, TOKYO)
        assert row is not None
        weeks = session.scalars(
            select(PlanWeek).where(PlanWeek.plan_id == row.id).order_by(PlanWeek.week_start)
        )
        got = [(w.week_start, round(w.planned_km, 3), w.planned_runs, w.version) for w in weeks]
    assert got == [
        (w.start, round(w.planned_km, 3), sum(1 for x in w.workouts if x.is_run), 1) for w in plan.weeks
    ]


def test_bulk_review_in_two_timezones_is_idempotent_and_right(container: Container) -> None:
    for athlete_id in (TOKYO, LA):
        make_plan(container, athlete_id)
    plan = planner.generate_plan(PROFILE, GOAL, START)
    run_days = [w.date for w in plan.weeks[0].workouts if w.is_run]
    # Tokyo ran the first two planned runs (8.0 + 12.3 km) and rode a bike; a run of the week before and
    # one of the next week do not count.
    add_run(container, TOKYO, 1, run_days[0], 8.0)
    add_run(container, TOKYO, 2, run_days[1], 12.3)
    add_run(container, TOKYO, 3, run_days[1], 30.0, run=False)
    add_run(container, TOKYO, 4, START - timedelta(days=1), 5.0)
    add_run(container, TOKYO, 5, START + timedelta(days=7), 5.0)
    adapt(container, TOKYO, local(SUNDAY, 12, 0, TOKYO))

    now = local(MONDAY, 20, 5, TOKYO)  # Monday 04:05 in Los Angeles
    with container.sessions() as session:
        assert review.due_timezones(session, now=now, hour=20) == {"Asia/Tokyo": START}
        assert service.reviews_due(session, now=now, hour=20) == [(TOKYO, START)]
    delivered: list[int] = []
    first = review.review_all(container.sessions, now=now, hour=20, after_commit=delivered.extend)
    assert (first.scanned, first.written) == (1, 1)
    [row] = reviews(container)
    assert delivered == [row.id]
    assert row.athlete_id == TOKYO
    assert row.idempotency_key == service.review_key(row.payload["plan_id"], START)
    assert row.status == "pending"
    p = row.payload
    assert p["week_start"] == START.isoformat()
    assert p["planned_km"] == pytest.approx(plan.weeks[0].planned_km, abs=0.05)
    assert p["done_km"] == 20.3
    assert p["planned_runs"] == len(run_days)
    assert p["done_runs"] == 2
    assert p["next_week"]["week_start"] == (START + timedelta(days=7)).isoformat()
    assert p["next_week"]["planned_km"] == pytest.approx(plan.weeks[1].planned_km, abs=0.05)
    assert p["next_week"]["planned_runs"] == sum(1 for w in plan.weeks[1].workouts if w.is_run)
    assert "message" not in p  # figures only: the digest's words are rendered at delivery

    # The per-athlete path agrees on the figures and on what it tells the athlete.
    with UnitOfWork(container.sessions) as uow:
        loaded = plan_service.load(uow.session, TOKYO, now=now)
        assert loaded is not None
        single = service.summarize_week(loaded.view, [a for a in loaded.activities if a.is_run], START)
    assert single is not None
    assert (p["planned_km"], p["done_km"]) == (single.planned_km, single.done_km)
    assert sum(1 for w in single.workouts if w["status"] == "completed") == p["done_runs"]

    # Idempotent: the hourly tick runs again, and the per-athlete path finds the review written.
    again = review.review_all(container.sessions, now=now + timedelta(hours=1), hour=20)
    assert (again.scanned, again.written) == (1, 0)
    with UnitOfWork(container.sessions) as uow:
        assert service.weekly_review(uow.session, TOKYO, START, now=now) == "already reviewed"
    with container.sessions() as session:
        assert service.reviews_due(session, now=now, hour=20) == []
    assert len(reviews(container)) == 1

    # Once it is Monday evening in Los Angeles, LA's week is reviewed (nothing run there); it is Tuesday noon in
    # Tokyo, still inside Tokyo's catch-up window, and Tokyo's review is not written twice.
    la = review.review_all(container.sessions, now=local(MONDAY, 20, 5, LA), hour=20)
    assert la.due_timezones == {"America/Los_Angeles": START, "Asia/Tokyo": START}
    assert (la.scanned, la.written) == (2, 1)
    tokyo_row, la_row = reviews(container)
    assert la_row.athlete_id == LA
    assert la_row.payload["done_km"] == 0.0
    assert la_row.payload["done_runs"] == 0
    assert la_row.payload["planned_km"] == p["planned_km"]
    assert tokyo_row.id == row.id


def test_bulk_review_writes_in_chunks_and_skips_inactive_plans_and_weeks_outside_the_plan(
    container: Container,
) -> None:
    athletes = [700 + n for n in range(7)]
    TZ.update(dict.fromkeys(athletes, "Asia/Tokyo"))
    for athlete_id in athletes:
        make_plan(container, athlete_id)
    with UnitOfWork(container.sessions) as uow:
        plan_repository.deactivate_plans(uow.session, athletes[0], now=CREATED)
        uow.commit()
    # The Monday the plan starts: the week before is no week of the plan, nothing written.
    early = review.review_all(container.sessions, now=local(START, 20, 5, TOKYO), hour=20, chunk=3)
    assert (early.scanned, early.written) == (6, 0)

    ids: list[list[int]] = []
    run = review.review_all(
        container.sessions, now=local(MONDAY, 21, 0, TOKYO), hour=20, chunk=3, after_commit=ids.append
    )
    assert (run.scanned, run.written, run.chunks) == (6, 6, 3)  # 3 + 3, then an empty chunk
    assert [len(chunk) for chunk in ids] == [3, 3]
    assert sorted(r.athlete_id for r in reviews(container)) == athletes[1:]


def test_both_review_paths_write_the_same_week_reviewed_payload(container: Container) -> None:
    make_plan(container, TOKYO)
    run_days = [w.date for w in planner.generate_plan(PROFILE, GOAL, START).weeks[0].workouts if w.is_run]
    add_run(container, TOKYO, 1, run_days[0], 8.0)
    add_run(container, TOKYO, 2, run_days[1], 12.3)
    add_run(container, TOKYO, 3, run_days[1] + timedelta(days=1), 30.0, run=False)
    adapt(container, TOKYO, local(SUNDAY, 12, 0, TOKYO))
    now = local(SUNDAY + timedelta(days=1), 20, 5, TOKYO)  # Monday evening: the week has ended

    set_based, per_athlete = review_both_ways(container, TOKYO, now, hour=20)

    assert per_athlete.idempotency_key == set_based.idempotency_key
    single = dict(per_athlete.payload)
    workouts = single.pop("workouts")
    assert len(workouts) == len(run_days)
    assert single == set_based.payload
    assert (single["planned_runs"], single["done_runs"]) == (len(run_days), 2)
