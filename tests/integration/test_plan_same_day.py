"""Adaptation through plans/ on the real PostgreSQL: a run counts the day it is synced, one break is one decision
however many weeks it runs into, and an unsafe goal's refusal carries the safe build it offers
(docs/planner.md#adaptation, docs/api.md#decisions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import responses
from fastapi.testclient import TestClient
from pydantic import SecretStr

import planner
from composition.root import Container
from plans import commands, service
from store import plan_repository, repository
from store.db import UnitOfWork
from store.plan_models import DecisionStatus
from sync.events import activity_row
from sync.normalize import parse_activity
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from tests.integration.test_plan_decisions import easy_run, push
from tests.integration.test_plans_api import AUTH, BASE, KEY, goal_body, snapshot
from tests.integration.test_plans_pipeline import TZ, current_plan, today
from webhooks.app import create_app

pytestmark = pytest.mark.integration

# every day a run: whatever weekday the test runs on, the days after it hold planned runs
ATHLETE = planner.Athlete(weekly_km=70, runs_per_week=7, vdot=45, long_run_km=18)
SEASON_START = date(2026, 3, 2)  # a Monday; the break test runs on its own clock


def install(container: Container, start: date, now: datetime) -> None:
    with UnitOfWork(container.sessions) as uow:
        commands.create_from_goal(
            uow.session,
            ATHLETE_ID,
            athlete=ATHLETE,
            goal=planner.Goal(planner.GoalKind.RACE, start + timedelta(weeks=14, days=6), 10000),
            start=start,
            timezone=TZ,
            now=now,
        )
        uow.commit()


def decisions(container: Container) -> dict[str, tuple[str, int]]:
    """The plan's decisions: change id → (status, revision)."""
    with container.sessions() as session:
        row = plan_repository.active_plan(session, ATHLETE_ID)
        assert row is not None
        return {d.change_id: (d.status, d.revision) for d in plan_repository.decisions(session, row.id)}


def test_a_spike_run_synced_today_changes_the_next_days_at_once(
    container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    day = today()
    monday = day - timedelta(days=day.weekday())
    install(container, monday, datetime.now(UTC))
    push(container, strava, day, 7_001, km=26.0)  # 144 % of the 18 km long run stated for the last 30 days

    key = f"run_spike@{monday.isoformat()}"
    assert decisions(container).get(key, ("",))[0] == DecisionStatus.ACTIVE, (
        "answered at the sync, not a day later"
    )
    plan = current_plan(container)
    change = next(c for c in plan.changes if c.id == key)
    assert change.facts["run_date"] == day.isoformat()
    next_two = [w for w in plan.workouts() if w.is_run and day < w.date <= day + timedelta(days=2)]
    assert next_two, "every day holds a run in this plan"
    assert all(w.type is planner.WorkoutType.RECOVERY for w in next_two)
    today_workout = next(w for w in plan.workouts() if w.date == day)
    assert today_workout.type is not planner.WorkoutType.RECOVERY  # what was run today stays as it was


def store_run(container: Container, day: date, activity_id: int, km: float) -> None:
    """A run stored as a sync stores it, without its event (the test drives the plan's clock itself)."""
    raw = easy_run(day, activity_id, km, hour=7)
    with UnitOfWork(container.sessions) as uow:
        repository.upsert_activity(uow.session, activity_row(parse_activity(raw), raw, datetime.now(UTC)))
        uow.commit()


def evening(day: date) -> datetime:
    return datetime.combine(day, time(20), ZoneInfo(TZ)).astimezone(UTC)


def test_a_break_into_the_next_week_is_one_decision_revised_never_withdrawn(container: Container) -> None:
    connect_athlete(container)
    install(container, SEASON_START, evening(SEASON_START) - timedelta(hours=14))
    back = SEASON_START + timedelta(days=14)  # ran on Monday, then nothing until the Monday two weeks later
    for n in range(17):
        day = SEASON_START + timedelta(days=n)
        if day == SEASON_START or day >= back:
            store_run(container, day, 7_100 + n, 9.0)
        with UnitOfWork(container.sessions) as uow:  # the plan judged that evening, as a sync would
            loaded = service.load(uow.session, ATHLETE_ID, now=evening(day))
            assert loaded is not None
            service.refresh(uow.session, loaded, cause="synced", now=evening(day))
            uow.commit()

    found = decisions(container)
    returns = {k: v for k, v in found.items() if k.startswith("return_after_break@")}
    assert list(returns) == [f"return_after_break@{SEASON_START.isoformat()}"], returns
    with container.sessions() as session:
        row = plan_repository.active_plan(session, ATHLETE_ID)
        assert row is not None
        history = list(plan_repository.revisions(session, row.id))
    statuses = {(h.change_id, h.status) for h in history}
    assert not [s for s in statuses if s[1] == DecisionStatus.WITHDRAWN], (
        "no decision withdrawn as runs arrived"
    )
    revised = [h for h in history if h.change_id in returns]
    assert len(revised) >= 2  # the break said at 6 days, then revised as it grew: the same decision
    days_off = [int(planner.change_from_dict(h.change).facts["days_off"]) for h in revised]
    assert days_off == sorted(days_off)
    assert days_off[0] < days_off[-1]


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    container.settings.api_keys = SecretStr(KEY)
    with TestClient(create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True)) as c:
        yield c


def test_an_unsafe_goal_is_refused_with_the_safe_build_it_offers(
    client: TestClient, container: Container
) -> None:
    connect_athlete(container)
    before = snapshot(container)
    response = client.put(f"{BASE}/plan", json=goal_body(distance_m=42195, weeks=3), headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_request"
    assert "longest run" in body["detail"]  # why, as before
    offer = body["offer"]
    assert offer["code"] == planner.NoticeCode.UNSAFE_OFFER
    assert set(offer["facts"]) == planner.NOTICE_FACTS[planner.NoticeCode.UNSAFE_OFFER]
    assert offer["facts"]["peak_week_m"] > 0
    assert f"{offer['facts']['longest_m'] / 1000:.1f} km" in offer["text"]
    assert snapshot(container) == before  # refused: nothing stored
