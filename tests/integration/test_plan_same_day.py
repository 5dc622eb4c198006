"""Adaptation through plans/ on the real PostgreSQL: a run counts the day it is synced, one break is one decision
however many weeks it runs into, an unsafe goal's refusal carries the safe build it offers, and a decision made by
a run synced the morning it was run leaves that day and the days before as the athlete was given them
(docs/planner.md#adaptation, docs/api.md#decisions, docs/science.md#past-is-history)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import responses
from fastapi.testclient import TestClient
from sqlalchemy import select

import planner
from composition.root import Container
from plans import commands, service
from store import plan_repository, repository
from store.db import UnitOfWork
from store.plan_models import DecisionStatus, PlanWeek
from sync.events import activity_row
from sync.normalize import parse_activity
from tests.integration.conftest import ATHLETE_ID, AUTH, connect_athlete, create_plan
from tests.integration.test_plan_decisions import easy_run, push
from tests.integration.test_plans_api import BASE, goal_body, snapshot
from tests.integration.test_plans_pipeline import TZ, current_plan, outbox, plan_row, today

pytestmark = pytest.mark.integration

# every day a run: whatever weekday the test runs on, the days after it hold planned runs
ATHLETE = planner.Athlete(weekly_km=70, runs_per_week=7, vdot=45, long_run_km=18)
# runs on every day but Monday and Saturday (run_days: 0 = Monday)
MONDAYS_AND_SATURDAYS_FREE = planner.Athlete(
    weekly_km=40, runs_per_week=5, run_days=(1, 2, 3, 4, 6), vdot=45, long_run_km=12
)
SEASON_START = date(2026, 3, 2)  # a Monday; the break test runs on its own clock


def install(container: Container, start: date, now: datetime, athlete: planner.Athlete = ATHLETE) -> None:
    """A 10 km race plan from ``start``, made at ``now``."""
    race = planner.Goal(planner.GoalKind.RACE, start + timedelta(weeks=14, days=6), 10000)
    create_plan(container, ATHLETE_ID, athlete, race, start=start, timezone=TZ, now=now)


def decisions(container: Container) -> dict[str, tuple[str, int]]:
    """The plan's decisions: change id → (status, revision)."""
    with container.sessions() as session:
        row = plan_row(session)
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
        history = list(plan_repository.revisions(session, plan_row(session).id))
    statuses = {(h.change_id, h.status) for h in history}
    assert not [s for s in statuses if s[1] == DecisionStatus.WITHDRAWN], (
        "no decision withdrawn as runs arrived"
    )
    revised = [h for h in history if h.change_id in returns]
    assert len(revised) >= 2  # the break said at 6 days, then revised as it grew: the same decision
    days_off = [int(planner.change_from_dict(h.change).facts["days_off"]) for h in revised]
    assert days_off == sorted(days_off)
    assert days_off[0] < days_off[-1]


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


# --- the plan's past is history (docs/science.md#past-is-history) ---------------------------------------------


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(TZ)).astimezone(UTC)


def synced(container: Container, day: date) -> service.Outcome:
    """The plan adapted at 09:30 of ``day``, when Strava's push of the 07:00 run arrives."""
    with UnitOfWork(container.sessions) as uow:
        loaded = service.load(uow.session, ATHLETE_ID, now=at(day, 9, 30))
        assert loaded is not None
        outcome = service.refresh(uow.session, loaded, cause="synced", now=at(day, 9, 30))
        uow.commit()
    return outcome


def runs_on(plan: planner.Plan, day: date) -> list[planner.Workout]:
    return [w for w in plan.workouts() if w.date == day and w.is_run]


def up_to(plan: planner.Plan, day: date) -> dict[str, planner.Workout]:
    return {w.id: w for w in plan.workouts() if w.date <= day}


def workout_on(plan: planner.Plan, day: date) -> planner.Workout:
    return next(w for w in plan.workouts() if w.date == day)


def run_as_planned(container: Container, day: date, activity_id: int) -> None:
    """The athlete runs the day's workout exactly as the plan holds it now, at 07:00."""
    for w in runs_on(current_plan(container), day):
        store_run(container, day, activity_id, w.distance_m / 1000)


def first_week_as_planned(container: Container, first_activity_id: int) -> None:
    """The season's first week run as planned, each run synced the morning it is run."""
    for n in range(7):
        day = SEASON_START + timedelta(days=n)
        run_as_planned(container, day, first_activity_id + n)
        synced(container, day)


def test_a_decision_made_by_a_same_morning_run_leaves_that_day_and_the_days_before(
    container: Container,
) -> None:
    connect_athlete(container)
    install(container, SEASON_START, at(SEASON_START, 6))
    first_week_as_planned(container, 7_200)
    back = SEASON_START + timedelta(days=14)  # ill all of the second week; nothing synced, nothing adapted
    before = current_plan(container)
    run_as_planned(container, back, 7_300)

    outcome = synced(container, back)

    key = f"return_after_break@{(SEASON_START + timedelta(days=7)).isoformat()}"
    assert decisions(container).get(key, ("",))[0] == DecisionStatus.ACTIVE, "the run ends the break"
    after = current_plan(container)
    assert up_to(after, back) == up_to(before, back), "the run was the workout the plan held: it stays"
    assert {w.id: w for w in after.workouts() if w.date > back} != {
        w.id: w for w in before.workouts() if w.date > back
    }, "the return starts tomorrow"
    assert outcome.workouts, "the decision changes workouts ahead"
    assert all((c.after or c.before).date > back for c in outcome.workouts)  # type: ignore[union-attr]
    with container.sessions() as session:
        row = plan_row(session)
        stored = next(d for d in plan_repository.decisions(session, row.id) if d.change_id == key)
        week = session.scalars(
            select(PlanWeek).where(PlanWeek.plan_id == row.id, PlanWeek.week_start == back)
        ).one()
        matched = plan_repository.match_sources(session, row.id)
    change = planner.change_from_dict(stored.change)
    assert change.workouts
    assert all(d.after.date > back for d in change.workouts), "it claims no done day"
    updates = outbox(container, "plan.updated")
    told = [w["date"] for w in updates[-1].payload["workouts"]]
    assert told
    assert all(day > back.isoformat() for day in told), "the message names no done day"
    # the weekly review's planned km is the week as the athlete has it: today's workout as it was run
    assert week.planned_km == pytest.approx(after.week_of(back).planned_km)  # type: ignore[union-attr]
    assert (runs_on(before, back)[0].id, 7_300) in matched

    # undone the same day, the decision gives back only the days ahead
    with UnitOfWork(container.sessions) as uow:
        commands.undo(uow.session, ATHLETE_ID, key, now=at(back, 12))
        uow.commit()
    undone = current_plan(container)
    assert up_to(undone, back) == up_to(before, back)
    assert decisions(container)[key][0] == DecisionStatus.UNDONE


def test_a_workout_moved_to_today_and_run_keeps_its_day_when_the_run_decides(container: Container) -> None:
    # Mondays free: the athlete moves Tuesday's run to Monday, runs it far longer than anything recently, and the
    # spike answer (the two days after the run: Tuesday and Wednesday, as planned) must not reach Monday's run,
    # which is the workout planned for Tuesday
    connect_athlete(container)
    install(container, SEASON_START, at(SEASON_START, 6), MONDAYS_AND_SATURDAYS_FREE)
    tuesday = workout_on(current_plan(container), SEASON_START + timedelta(days=1))
    with UnitOfWork(container.sessions) as uow:
        commands.move(uow.session, ATHLETE_ID, tuesday.id, SEASON_START, now=at(SEASON_START, 6, 30))
        uow.commit()
    before = current_plan(container)
    moved = next(w for w in before.workouts() if w.id == tuesday.id)
    assert moved.date == SEASON_START
    store_run(container, SEASON_START, 7_400, 25.0)  # more than twice the stated 12 km long run

    synced(container, SEASON_START)

    assert (
        decisions(container).get(f"run_spike@{SEASON_START.isoformat()}", ("",))[0] == DecisionStatus.ACTIVE
    )
    after = {w.id: w for w in current_plan(container).workouts()}
    assert after[tuesday.id] == moved, "the moved workout was run today: it stays as it was"
    wednesday = SEASON_START + timedelta(days=2)
    assert [w.type for w in after.values() if w.date == wednesday] == [planner.WorkoutType.RECOVERY]
