"""Generation rules over wide input ranges (hypothesis): every race plan for 5K–marathon × 15–120 km/wk ×
VDOT 30–70 × 6–24 weeks, with or without a break before it, keeps the rules of docs/science.md.

The checks live in ``invariants.py``; each failure message says which run or week broke which rule.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Athlete, Goal, GoalKind, WorkoutType, generate_plan, training_paces
from planner.generate import athlete_vdot

from . import invariants as inv

THOROUGH = os.environ.get("PLANNER_HYPOTHESIS") == "thorough"
EXAMPLES = 5_000 if THOROUGH else 400
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": not THOROUGH}
DISTANCES = [5000.0, 10000.0, 21097.5, 42195.0]


@st.composite
def plans(draw: st.DrawFn, breaks: bool = False) -> tuple[Athlete, Goal, date]:
    weekly = round(draw(st.floats(15, 120)), 1)
    given_long = draw(st.booleans())
    a = Athlete(
        weekly_km=weekly,
        runs_per_week=draw(st.integers(3, 7)),
        long_run_day=draw(st.integers(0, 6)),
        vdot=round(draw(st.floats(30, 70)), 2),
        long_run_km=round(weekly * draw(st.floats(0.15, 0.40)), 1) if given_long else None,
        break_days=draw(st.integers(0, 120)) if breaks else 0,
        cross_training=draw(st.booleans()) if breaks else False,
    )
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 360)))
    weeks = draw(st.integers(6, 24))
    race_day = start + timedelta(days=draw(st.integers(7 * weeks - 6, 7 * weeks)))
    return a, Goal(GoalKind.RACE, race_day, draw(st.sampled_from(DISTANCES))), start


def seed_m(a: Athlete) -> float:
    return (a.long_run_km or 0.25 * a.weekly_km) * 1000


def _problems(a: Athlete, goal: Goal, start: date) -> list[str]:
    plan = generate_plan(a, goal, start)
    e_mid = sum(training_paces(plan.vdot).easy) / 2
    return (
        inv.spike_rule(plan, seed_m(a) if a.break_days <= 5 else 0.0)
        + inv.long_is_longest(plan)
        + inv.long_run_caps(plan, e_mid)
        + inv.speed_only_late(plan)
        + inv.no_quality_in_base(plan)
        + inv.session_caps(plan)
        + inv.quality_budget(plan)
        + inv.weekly_growth(plan)
        + inv.phase_order(plan)
        + inv.tempo_before_intervals(plan)
        + inv.race_on_goal_date(plan)
        + inv.ids_unique_and_dated(plan)
    )


@settings(max_examples=EXAMPLES, **COMMON)  # type: ignore[arg-type]
@given(plans())
def test_race_plans_keep_every_generation_rule(case: tuple[Athlete, Goal, date]) -> None:
    problems = _problems(*case)
    assert problems == [], problems[:5]


@settings(max_examples=EXAMPLES // 2, **COMMON)  # type: ignore[arg-type]
@given(plans(breaks=True))
def test_plans_after_a_break_keep_the_rules_and_slow_the_paces(case: tuple[Athlete, Goal, date]) -> None:
    a, goal, start = case
    plan = generate_plan(a, goal, start)
    problems = [p for p in _problems(a, goal, start) if "110 %" not in p or a.break_days <= 5]
    assert problems == [], problems[:5]
    if a.break_days > 5:
        assert plan.vdot < athlete_vdot(a)
        assert not any(w.is_quality for w in plan.weeks[0].workouts)
        assert plan.weeks[0].planned_km <= 0.5 * a.weekly_km + 0.5


@settings(max_examples=EXAMPLES, **COMMON)  # type: ignore[arg-type]
@given(st.floats(30, 70), st.floats(0.0001, 0.05))
def test_every_pace_is_continuous_in_vdot(vdot: float, dv: float) -> None:
    a, b = training_paces(vdot), training_paces(vdot + dv)
    for x, y in (
        (a.easy[0], b.easy[0]),
        (a.easy[1], b.easy[1]),
        (a.marathon, b.marathon),
        (a.threshold, b.threshold),
        (a.interval, b.interval),
        (a.repetition, b.repetition),
    ):
        assert 0 <= x - y <= 20 * dv + 0.05  # faster with VDOT, by at most ~20 s/km per VDOT point


@settings(max_examples=EXAMPLES // 2, **COMMON)  # type: ignore[arg-type]
@given(plans())
def test_the_long_run_is_present_and_longest_in_every_full_build_week(
    case: tuple[Athlete, Goal, date],
) -> None:
    a, goal, start = case
    plan = generate_plan(a, goal, start)
    for week in plan.weeks[1:-1]:
        runs = [w for w in week.workouts if w.is_run]
        longs = [w for w in runs if w.type is WorkoutType.LONG]
        if len(runs) >= 3 and not any(w.type is WorkoutType.RACE for w in runs):
            assert longs, f"no long run in week {week.start}"
            assert max(w.distance_m for w in runs) == max(w.distance_m for w in longs)
