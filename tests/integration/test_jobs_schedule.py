"""Scheduled jobs on the real PostgreSQL with an injected clock: the missed-workout sweep and the weekly review
select athletes by their own timezone (a day that ended in Tokyo but not in Los Angeles), are idempotent, and
the token refresh ahead of use skips what was just refreshed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import planner
from composition.root import Container
from jobs import clock, service
from plans import commands
from store.db import UnitOfWork
from store.models import StravaConnection
from store.plan_models import NotificationOutbox
from tests.integration.conftest import connect_athlete, create_plan
from tests.integration.test_jobs_weekly_review import GOAL, PROFILE

pytestmark = pytest.mark.integration

TOKYO, LA = 501, 502
START = date(2026, 7, 6)  # a Monday
CREATED = datetime(2026, 7, 5, 12, 0, tzinfo=UTC)
TZ = {TOKYO: "Asia/Tokyo", LA: "America/Los_Angeles"}


def local(day: date, hh: int, mm: int, athlete: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(TZ[athlete])).astimezone(UTC)


@pytest.fixture
def plans(container: Container) -> dict[int, planner.Plan]:
    out = {}
    for athlete_id in (TOKYO, LA):
        connect_athlete(container, athlete_id)
        create_plan(container, athlete_id, PROFILE, GOAL, start=START, timezone=TZ[athlete_id], now=CREATED)
        out[athlete_id] = planner.generate_plan(PROFILE, GOAL, START)
    return out


def rows(container: Container, event_type: str) -> list[NotificationOutbox]:
    with container.sessions() as session:
        stmt = select(NotificationOutbox).where(NotificationOutbox.event_type == event_type)
        return list(session.scalars(stmt.order_by(NotificationOutbox.id)))


def first_run_day(plan: planner.Plan) -> date:
    return next(w.date for w in plan.workouts() if w.is_run)


def test_clock_windows() -> None:
    sunday = date(2026, 7, 12)
    monday = sunday + timedelta(days=1)
    # The week ends at midnight where the athlete is: judged in Monday's first hour, reviewed from the hour.
    assert clock.week_closing(local(sunday, 23, 59, TOKYO), "Asia/Tokyo") is None
    assert clock.week_closing(local(monday, 0, 5, TOKYO), "Asia/Tokyo") == date(2026, 7, 6)
    assert clock.week_closing(local(monday, 1, 0, TOKYO), "Asia/Tokyo") is None
    assert clock.review_week(local(monday, 19, 59, TOKYO), "Asia/Tokyo", 20) is None
    assert clock.review_week(local(monday, 20, 0, TOKYO), "Asia/Tokyo", 20) == date(2026, 7, 6)
    # Caught up on Tuesday morning if beat was down on Monday evening; not after that.
    assert clock.review_week(local(monday + timedelta(days=1), 7, 0, TOKYO), "Asia/Tokyo", 20) == date(
        2026, 7, 6
    )
    assert clock.review_week(local(monday + timedelta(days=1), 20, 0, TOKYO), "Asia/Tokyo", 20) is None
    assert clock.ended_days(local(sunday, 0, 30, LA), "America/Los_Angeles", 3) == (
        date(2026, 7, 9),
        date(2026, 7, 11),
    )


def test_missed_sweep_where_the_day_ended_in_tokyo_but_not_in_los_angeles(
    container: Container, plans: dict[int, planner.Plan]
) -> None:
    day = first_run_day(plans[TOKYO])
    assert day == first_run_day(plans[LA])
    now = local(day + timedelta(days=1), 0, 30, TOKYO)  # 00:30 next day in Tokyo = the morning of `day` in LA
    assert now.astimezone(ZoneInfo(TZ[LA])).date() == day

    with container.sessions() as session:
        assert service.missed_due(session, now=now, lookback_days=3) == [TOKYO]
    with UnitOfWork(container.sessions) as uow:
        missed = service.sweep_missed(uow.session, TOKYO, now=now, lookback_days=3)
        uow.commit()
    assert missed == [f"w{day:%Y%m%d}"]
    [row] = rows(container, "workout.missed")
    assert row.athlete_id == TOKYO
    assert row.idempotency_key.endswith(f":w{day:%Y%m%d}")
    assert row.payload["workout_date"] == day.isoformat()
    assert "counts as missed" in row.payload["reasons"][0]

    # Idempotent: nothing is due again, and a second sweep (a redelivered task) writes nothing.
    with container.sessions() as session:
        assert service.missed_due(session, now=now, lookback_days=3) == []
    with UnitOfWork(container.sessions) as uow:
        assert service.sweep_missed(uow.session, TOKYO, now=now, lookback_days=3) == []
        uow.commit()

    # Once the day has ended in Los Angeles too, LA's workout is missed there as well.
    later = local(day + timedelta(days=1), 0, 30, LA)
    with container.sessions() as session:
        assert service.missed_due(session, now=later, lookback_days=3) == [LA]


def test_a_paused_athlete_misses_nothing(container: Container, plans: dict[int, planner.Plan]) -> None:
    day = first_run_day(plans[TOKYO])
    now = local(day + timedelta(days=1), 0, 30, TOKYO)
    with UnitOfWork(container.sessions) as uow:
        commands.pause(uow.session, TOKYO, until=day + timedelta(days=5), reason="sick", now=now)
        uow.commit()
    with container.sessions() as session:
        assert service.missed_due(session, now=now, lookback_days=3) == []


def test_weekly_review_on_monday_in_each_timezone(
    container: Container, plans: dict[int, planner.Plan]
) -> None:
    monday = START + timedelta(days=7)
    now = local(monday, 20, 5, TOKYO)  # Monday 04:05 in Los Angeles
    with container.sessions() as session:
        assert service.reviews_due(session, now=now, hour=20) == [(TOKYO, START)]
    with UnitOfWork(container.sessions) as uow:
        assert service.weekly_review(uow.session, TOKYO, START, now=now) == "reviewed"
        uow.commit()
    with UnitOfWork(container.sessions) as uow:
        assert service.weekly_review(uow.session, TOKYO, START, now=now) == "already reviewed"
        uow.commit()
    [row] = rows(container, "week.reviewed")
    assert row.payload["week_start"] == START.isoformat()
    assert row.payload["done_km"] == 0.0
    assert row.payload["planned_km"] == pytest.approx(plans[TOKYO].weeks[0].planned_km, abs=0.1)
    assert row.payload["done_runs"] == 0
    with container.sessions() as session:
        assert service.reviews_due(session, now=now, hour=20) == []
        assert service.reviews_due(session, now=local(monday, 20, 5, LA), hour=20) == [(LA, START)]


def test_token_refresh_ahead_of_a_workout_day_skips_recent_refreshes(
    container: Container, plans: dict[int, planner.Plan]
) -> None:
    day = first_run_day(plans[TOKYO])
    evening = local(day - timedelta(days=1), 21, 15, TOKYO)
    with UnitOfWork(container.sessions) as uow:
        for athlete_id in (TOKYO, LA):
            connection = uow.session.get(StravaConnection, athlete_id)
            assert connection is not None
            connection.refreshed_at = evening - timedelta(hours=5)
            connection.expires_at = int((evening + timedelta(hours=1)).timestamp())
        uow.commit()
    with container.sessions() as session:
        assert service.prefresh_due(session, now=evening, hour=21) == [TOKYO]
        assert service.prefresh_due(session, now=evening - timedelta(hours=1), hour=21) == []
    with UnitOfWork(container.sessions) as uow:
        connection = uow.session.get(StravaConnection, TOKYO)
        assert connection is not None
        connection.refreshed_at = evening - timedelta(minutes=10)
        uow.commit()
    with container.sessions() as session:
        assert service.prefresh_due(session, now=evening, hour=21) == []
    outcome = service.prefresh(container.sessions, container.tokens, TOKYO, now=evening, recent_s=3600)
    assert outcome == "recently refreshed"  # checked again right before refreshing
