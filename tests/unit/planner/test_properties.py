"""Property-based tests over thousands of random athletes and goals (hypothesis).

Budgets: ``PLANNER_HYPOTHESIS=thorough`` runs 10× more examples; the default keeps the whole planner suite
under a minute on a 2-core machine. The settings are per test, so other suites' hypothesis profiles are not
touched.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import Activity, Athlete, Goal, GoalKind, Lap, Plan, WorkoutType, adapt, generate_plan, match
from planner.generate import baseline

from . import invariants as inv

THOROUGH = os.environ.get("PLANNER_HYPOTHESIS") == "thorough"
GENERATE_EXAMPLES = 20_000 if THOROUGH else 2_000
ADAPT_EXAMPLES = 1_500 if THOROUGH else 200
MATCH_EXAMPLES = 3_000 if THOROUGH else 300
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": not THOROUGH}

DISTANCES = [5000.0, 10000.0, 21097.5, 42195.0]


@st.composite
def athletes(draw: st.DrawFn) -> Athlete:
    weekly = draw(st.floats(10, 130))
    runs = draw(st.integers(3, 7))
    long_day = draw(st.integers(0, 6))
    given_long = draw(st.booleans())
    return Athlete(
        weekly_km=round(weekly, 1),
        runs_per_week=runs,
        long_run_day=long_day,
        vdot=round(draw(st.floats(28, 82)), 2),
        max_hr=draw(st.one_of(st.none(), st.floats(160, 205))),
        long_run_km=round(weekly * draw(st.floats(0.15, 0.40)), 1) if given_long else None,
    )


@st.composite
def race_goals(draw: st.DrawFn) -> tuple[Goal, date]:
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 360)))
    weeks = draw(st.integers(1, 26))
    race_day = start + timedelta(days=draw(st.integers(max(0, 7 * weeks - 6), 7 * weeks)))
    return Goal(GoalKind.RACE, race_day, draw(st.sampled_from(DISTANCES))), start


@st.composite
def block_goals(draw: st.DrawFn) -> tuple[Goal, date]:
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 360)))
    kind = draw(st.sampled_from([GoalKind.RECOVERY, GoalKind.MAINTENANCE]))
    return Goal(kind, start + timedelta(days=draw(st.integers(6, 70)))), start


def seed_m(a: Athlete) -> float:
    return (a.long_run_km or 0.25 * a.weekly_km) * 1000


def check_all(plan: Plan, a: Athlete) -> None:
    from planner import training_paces

    problems = (
        inv.phase_order(plan)
        + inv.no_quality_in_base(plan)
        + inv.speed_only_late(plan)
        + inv.tempo_before_intervals(plan)
        + inv.session_caps(plan)
        + inv.mile_reps_at_i_only_when_fast(plan)
        + inv.long_run_caps(plan, sum(training_paces(plan.vdot).easy) / 2)
        + inv.long_is_longest(plan)
        + inv.quality_budget(plan)
        + inv.spike_rule(plan, seed_m(a))
        + inv.race_on_goal_date(plan)
        + inv.ids_unique_and_dated(plan)
    )
    assert problems == [], problems


@settings(max_examples=GENERATE_EXAMPLES, **COMMON)  # type: ignore[arg-type]
@given(athletes(), race_goals())
def test_race_plans_keep_every_rule(a: Athlete, goal_start: tuple[Goal, date]) -> None:
    goal, start = goal_start
    plan = generate_plan(a, goal, start)
    check_all(plan, a)
    # docs/science.md#taper: taper cut 41–60 %, intensity kept — where the weeks are big enough to hold a session
    if len(plan.weeks) >= 6 and a.weekly_km >= 25:
        assert inv.taper(plan) == []
    # unsafe goals are flagged with a reason, never silently produced
    assert plan.unsafe == bool(plan.unsafe_reason)
    if plan.unsafe:
        assert plan.unsafe_reason in plan.warnings


@settings(max_examples=GENERATE_EXAMPLES // 4, **COMMON)  # type: ignore[arg-type]
@given(athletes(), block_goals())
def test_block_plans_keep_every_rule(a: Athlete, goal_start: tuple[Goal, date]) -> None:
    goal, start = goal_start
    plan = generate_plan(a, goal, start)
    check_all(plan, a)
    if goal.kind is GoalKind.RECOVERY:
        assert not any(w.is_quality for w in plan.workouts())
    assert max((w.planned_km for w in plan.weeks), default=0) <= a.weekly_km + 0.5  # blocks never build


# --- matching -------------------------------------------------------------------------------------------------


@st.composite
def run_sets(draw: st.DrawFn) -> list[Activity]:
    n = draw(st.integers(0, 14))
    out = []
    for i in range(n):
        day = date(2026, 3, 2) + timedelta(days=draw(st.integers(-3, 16)))
        out.append(
            Activity(
                id=draw(st.integers(1, 10**12)) * 100 + i,
                athlete_id=1,
                sport_type=draw(st.sampled_from(["Run", "Run", "TrailRun", "VirtualRun", "Ride", "Swim"])),
                start_local=datetime.combine(day, time(draw(st.integers(5, 21)))),
                distance_m=draw(st.floats(1000, 30000)),
                moving_time_s=draw(st.integers(600, 12000)),
                elapsed_time_s=12000,
                workout_type=draw(st.sampled_from([None, None, 1, 2, 3])),
            )
        )
    return out


PLAN_FOR_MATCHING = generate_plan(
    Athlete(weekly_km=40, runs_per_week=5, vdot=45, long_run_km=12),
    Goal(GoalKind.RACE, date(2026, 3, 15), 10000),
    date(2026, 3, 2),
)


@settings(max_examples=MATCH_EXAMPLES, **COMMON)  # type: ignore[arg-type]
@given(run_sets(), st.randoms(use_true_random=False))
def test_matching_is_order_independent_and_a_partition(acts: list[Activity], rnd) -> None:  # type: ignore[no-untyped-def]
    result = match(PLAN_FOR_MATCHING, acts)
    shuffled = acts[:]
    rnd.shuffle(shuffled)
    assert match(PLAN_FOR_MATCHING, shuffled) == result
    matched = [i for m in result.matches for i in m.activity_ids]
    ids = {a.id for a in acts}
    runs = {a.id for a in acts if a.is_run}
    # each run is in exactly one place; non-runs are never matched
    assert len(matched) == len(set(matched))
    assert set(matched) | set(result.extra) == runs
    assert not set(matched) & set(result.extra)
    assert set(result.ignored) == ids - runs
    by_id = {a.id: a for a in acts}
    dates = {w.id: w.date for w in PLAN_FOR_MATCHING.workouts()}
    for m in result.matches:
        for i in m.activity_ids:
            assert abs((by_id[i].local_date - dates[m.workout_id]).days) <= 2


# --- adaptation ------------------------------------------------------------------------------------------------


def _activity(aid: int, day: date, metres: float, pace: float, hard_share: float) -> Activity:
    hard = metres * hard_share
    both = (
        Lap(metres - hard, round((metres - hard) / 1000 * pace), 0),
        Lap(hard, round(hard / 1000 * pace * 0.78), 0),
    )
    laps = tuple(lap for lap in both if lap.distance_m > 0)
    moving = sum(lap.moving_time_s for lap in laps)
    return Activity(aid, 1, "Run", datetime.combine(day, time(7)), metres, moving, moving, laps=laps)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Plan, list[Activity], date]:
    a = draw(athletes())
    goal, start = draw(race_goals())
    plan = generate_plan(a, goal, start)
    pace = 360.0
    acts: list[Activity] = []
    weeks = len(plan.weeks)
    done_weeks = draw(st.integers(0, weeks))
    for k, week in enumerate(plan.weeks[:done_weeks]):
        mood = draw(st.sampled_from(["ok", "ok", "ok", "skip", "half", "hard", "more"]))
        for w in week.workouts:
            if mood == "skip" or (mood == "half" and draw(st.booleans())):
                continue
            factor = {"more": 1.4, "half": 0.8}.get(mood, 1.0)
            hard = 0.6 if mood == "hard" else 0.0
            acts.append(_activity(len(acts) + 1 + 1000 * k, w.date, w.distance_m * factor, pace, hard))
    as_of = start + timedelta(days=draw(st.integers(0, 7 * weeks)))
    return plan, acts, as_of


def _done_until(acts: list[Activity], today: date) -> date:
    """The first day whose workouts a decision may still change: today, or tomorrow once a run of today counts."""
    return today + timedelta(days=1) if any(a.is_run and a.local_date == today for a in acts) else today


@settings(max_examples=ADAPT_EXAMPLES, **COMMON)  # type: ignore[arg-type]
@given(histories(), st.integers(0, 13))
def test_adapt_is_idempotent_keeps_the_past_and_never_crams(history, later_days: int) -> None:  # type: ignore[no-untyped-def]
    plan, acts, as_of = history
    result = adapt(plan, acts, as_of)
    new = result.plan
    # idempotent
    again = adapt(new, acts, as_of)
    assert again.changes == ()
    assert again.plan == new
    # the past is never rewritten, nor today once a run of today counts (docs/science.md#past-is-history)
    done_until = _done_until(acts, as_of)
    assert {w.id: w for w in new.workouts() if w.date < done_until} == {
        w.id: w for w in plan.workouts() if w.date < done_until
    }
    # never cram: no week above its generated target; the race stays on its date
    bp, _ = baseline(plan.athlete, plan.goal, plan.start)  # the race plan, or the build offered instead
    for spec, week in zip(bp.specs, new.weeks, strict=True):
        training = sum(
            w.distance_m for w in week.workouts if w.date >= as_of and w.type is not WorkoutType.RACE
        )
        assert training / 1000 <= spec.volume_km + 0.5
    assert inv.race_on_goal_date(new) == []
    # caps hold for every week that lies wholly ahead (a week that straddles as_of mixes the frozen past
    # with the re-derived future, so its total is neither plan's)
    future_weeks = tuple(w for w in new.weeks if w.start >= as_of)
    assert inv.session_caps(replace(new, weeks=future_weeks)) == []
    assert inv.phase_order(new) == []
    # moving on in time does not change what was decided for days that have passed
    later = adapt(new, acts, as_of + timedelta(days=later_days)).plan
    cutoff = _done_until(acts, as_of + timedelta(days=later_days))
    assert {w.id: w for w in later.workouts() if w.date < cutoff} == {
        w.id: w for w in new.workouts() if w.date < cutoff
    }
    # undoing every change and re-adapting gives a plan with none of them
    if new.changes:
        ids = frozenset(c.id for c in new.changes)
        undone = adapt(new, acts, as_of, suppressed=ids).plan
        assert not {c.id for c in undone.changes} & ids
