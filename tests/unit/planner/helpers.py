"""Builders shared by the planner tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from planner import (
    Activity,
    Athlete,
    Goal,
    GoalKind,
    Lap,
    Plan,
    Workout,
    generate_plan,
    training_paces,
)
from planner.synthetic import activity_from_strava, simulate, strava_run

START = date(2026, 3, 2)  # a Monday
HALF = 21_097.5


def athlete(**kw: object) -> Athlete:
    base: dict[str, object] = {"weekly_km": 40.0, "runs_per_week": 5, "vdot": 45.0, "long_run_km": 14.0}
    base.update(kw)
    return Athlete(**base)  # type: ignore[arg-type]


def race_goal(weeks: int = 16, distance_m: float = HALF, start: date = START) -> Goal:
    # the race on the Sunday of the last week
    return Goal(GoalKind.RACE, start + timedelta(weeks=weeks - 1, days=6), distance_m)


def run(
    aid: int,
    day: date,
    km: float,
    pace: float = 330.0,
    *,
    at: time = time(7, 0),
    sport: str = "Run",
    laps: Iterable[tuple[float, float]] = (),
    hr: float | None = None,
    workout_type: int | None = None,
) -> Activity:
    """A run of ``km`` at ``pace`` s/km; ``laps`` as (metres, pace) pairs override the steady pace."""
    lap_values = tuple(Lap(m, round(m / 1000 * p), round(m / 1000 * p), hr) for m, p in laps)
    moving = sum(x.moving_time_s for x in lap_values) if lap_values else round(km * pace)
    dist = sum(x.distance_m for x in lap_values) if lap_values else km * 1000
    return Activity(
        id=aid,
        athlete_id=1,
        sport_type=sport,
        start_local=datetime.combine(day, at),
        distance_m=dist,
        moving_time_s=moving,
        elapsed_time_s=moving + 30,
        average_heartrate=hr,
        workout_type=workout_type,
        laps=lap_values,
    )


def as_planned(w: Workout, aid: int, plan: Plan, **kw: object) -> Activity:
    easy = sum(training_paces(plan.vdot).easy) / 2
    return activity_from_strava(strava_run(aid, 1, w, easy, **kw))  # type: ignore[arg-type]


Behaviour = Callable[[Workout, Plan], list[dict[str, object]]]


def _as_planned(w: Workout, plan: Plan) -> list[dict[str, object]]:
    return [{}]


def follow(
    plan: Plan,
    until: date,
    skip: Iterable[date] = (),
    behaviour: Behaviour = _as_planned,
    extra: Iterable[Activity] = (),
) -> tuple[Plan, list[Activity]]:
    """An athlete who runs what the plan says (as ``behaviour`` varies it, nothing on ``skip`` days), adapting
    every Monday, until ``until`` (exclusive): planner.synthetic.simulate. Returns the plan adapted on ``until``
    and the activities."""
    skipped = set(skip)

    def runs_for(w: Workout, week: int, current: Plan) -> list[dict[str, Any]]:
        return [] if w.date in skipped else [dict(kw) for kw in behaviour(w, current)]

    sim = simulate(plan, until, runs_for, also=extra)
    return sim.plan, sim.activities


def plan16(**kw: object) -> Plan:
    return generate_plan(athlete(**kw), race_goal(), START)
