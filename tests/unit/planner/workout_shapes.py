"""Every kind of workout the planner produces, collected by sweeping generated plans (5K to marathon, VDOT 30 to
75, 20 to 90 km a week, with and without a long break, recovery and maintenance blocks) and plans adapted to an
athlete who runs too fast or misses weeks. Shared by the workout-steps, FIT-export and rep-scoring tests."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any, NamedTuple

from planner import Athlete, Goal, GoalKind, Plan, Workout, WorkoutType, generate_plan, training_paces
from planner.synthetic import simulate

START = date(2026, 3, 2)  # a Monday
DISTANCES = (5000.0, 10000.0, 21097.5, 42195.0)
VDOTS = (30.0, 45.0, 60.0, 75.0)
VOLUMES = ((20.0, 3), (50.0, 5), (90.0, 7))


class Shape(NamedTuple):
    """What decides a workout's steps."""

    type: WorkoutType
    sets: tuple[tuple[str, bool, bool], ...]  # each rep set: pace label, a single block, with recoveries
    strides: bool
    run_walk: bool
    warm_up: bool


def shape(w: Workout) -> Shape:
    sets = tuple((r.label, r.count == 1, r.recovery_s > 0) for r in w.reps)
    return Shape(w.type, sets, w.strides > 0, w.run_walk is not None, w.warmup_m > 0)


def _plans() -> list[Plan]:
    plans = []
    for distance in DISTANCES:
        for vdot in VDOTS:
            for weekly, runs in VOLUMES:
                for break_days in (0, 60):
                    a = Athlete(weekly_km=weekly, runs_per_week=runs, vdot=vdot, break_days=break_days)
                    goal = Goal(GoalKind.RACE, START + timedelta(weeks=16, days=6), distance)
                    plans.append(generate_plan(a, goal, START))
    for kind in (GoalKind.RECOVERY, GoalKind.MAINTENANCE):
        for break_days in (0, 60):
            a = Athlete(weekly_km=40, runs_per_week=5, vdot=45, break_days=break_days)
            plans.append(generate_plan(a, Goal(kind, START + timedelta(weeks=6)), START))
    return plans + _adapted()


def _adapted() -> list[Plan]:
    """Plans adapted to an athlete who runs easy days at threshold pace (recovery runs, easy runs with a pace
    ceiling, shortened sessions) and to one who misses three weeks (resized sessions)."""
    out = []
    for vdot in (38.0, 55.0):
        a = Athlete(weekly_km=50, runs_per_week=5, vdot=vdot)
        plan = generate_plan(a, Goal(GoalKind.RACE, START + timedelta(weeks=16, days=6), 21097.5), START)
        fast = training_paces(vdot).threshold

        def hurried(w: Workout, week: int, _: Plan, fast: float = fast) -> list[dict[str, Any]]:
            return [{"work_pace": fast}] if w.type in (WorkoutType.EASY, WorkoutType.LONG) else [{}]

        def lazy(w: Workout, week: int, _: Plan) -> list[dict[str, Any]]:
            return [] if 3 <= week <= 5 else [{}]

        for behaviour in (hurried, lazy):
            out.append(simulate(plan, START + timedelta(weeks=12), behaviour).plan)
    return out


@cache
def by_shape() -> dict[Shape, tuple[Workout, ...]]:
    """Each shape with one example per plan fitness and goal (so paces and rep lengths vary)."""
    found: dict[Shape, dict[tuple[int, float | None], Workout]] = {}
    for plan in _plans():
        for w in plan.workouts():
            found.setdefault(shape(w), {}).setdefault((round(plan.vdot), plan.goal.distance_m), w)
    return {k: tuple(v.values()) for k, v in found.items()}


def examples() -> list[Workout]:
    return [w for ws in by_shape().values() for w in ws]


def easy_range(vdot: float = 45.0) -> tuple[float, float]:
    return training_paces(vdot).easy
