"""Plan generation, one rule per test, over a table of athletes and goals (science.md §1.5, §4, §7, §8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planner import Athlete, Goal, GoalKind, Phase, RaceResult, WorkoutType, generate_plan, training_paces
from planner.generate import STEP_MAX_KM, blueprint, quality_days, run_days

from . import invariants as inv
from .helpers import HALF, START, athlete, race_goal

CASES = {
    "5k-12w-4runs": (athlete(weekly_km=30, runs_per_week=4, vdot=40), race_goal(12, 5000)),
    "10k-10w-3runs": (
        athlete(weekly_km=25, runs_per_week=3, vdot=38, long_run_km=None),
        race_goal(10, 10000),
    ),
    "half-16w-5runs": (athlete(), race_goal(16, HALF)),
    "marathon-18w-6runs": (
        athlete(weekly_km=60, runs_per_week=6, vdot=52, long_run_km=22),
        race_goal(18, 42195),
    ),
    "marathon-24w-7runs": (
        athlete(weekly_km=80, runs_per_week=7, vdot=70, long_run_km=28),
        race_goal(24, 42195),
    ),
    "half-6w-short": (athlete(weekly_km=35, runs_per_week=4), race_goal(6, HALF)),
    "10k-race-from-recent-race": (
        Athlete(weekly_km=45, runs_per_week=5, recent_race=RaceResult(5000, 20 * 60), long_run_km=15),
        race_goal(14, 10000),
    ),
}


@pytest.fixture(params=sorted(CASES), name="case")
def _case(request: pytest.FixtureRequest) -> tuple[Athlete, Goal]:
    return CASES[request.param]


def _plan(case: tuple[Athlete, Goal]):  # type: ignore[no-untyped-def]
    a, g = case
    return generate_plan(a, g, START)


def test_phase_order(case: tuple[Athlete, Goal]) -> None:
    assert inv.phase_order(_plan(case)) == []  # science.md §7


def test_base_phase_has_no_tempo_interval_or_repetition_work(case: tuple[Athlete, Goal]) -> None:
    assert inv.no_quality_in_base(_plan(case)) == []  # science.md §7 phase I


def test_speed_work_only_in_the_last_8_weeks(case: tuple[Athlete, Goal]) -> None:
    assert inv.speed_only_late(_plan(case)) == []  # science.md §7


def test_tempo_comes_before_intervals(case: tuple[Athlete, Goal]) -> None:
    assert inv.tempo_before_intervals(_plan(case)) == []  # science.md §7


def test_session_caps(case: tuple[Athlete, Goal]) -> None:
    assert inv.session_caps(_plan(case)) == []  # science.md §1.5


def test_long_run_caps(case: tuple[Athlete, Goal]) -> None:
    a, _ = case
    plan = _plan(case)
    assert inv.long_run_caps(plan, training_paces(plan.vdot).easy[1]) == []  # science.md §1.5


def test_no_run_over_110_percent_of_30_day_longest(case: tuple[Athlete, Goal]) -> None:
    a, g = case
    plan = _plan(case)
    seed = (a.long_run_km or 0.25 * a.weekly_km) * 1000
    assert inv.spike_rule(plan, seed) == []  # science.md §4


def test_taper(case: tuple[Athlete, Goal]) -> None:
    assert inv.taper(_plan(case)) == []  # science.md §7


def test_race_on_the_goal_date_and_nothing_after(case: tuple[Athlete, Goal]) -> None:
    assert inv.race_on_goal_date(_plan(case)) == []


def test_workout_ids_are_unique_and_inside_their_week(case: tuple[Athlete, Goal]) -> None:
    assert inv.ids_unique_and_dated(_plan(case)) == []


def test_speed_phase_has_tempo_and_intervals_for_a_16_week_plan() -> None:
    plan = generate_plan(athlete(), race_goal(16), START)
    phases = [w.phase for w in plan.weeks]
    # min(8, 16 // 2) = 8 speed weeks incl. a 2-week taper → 3 threshold + 3 interval weeks (science.md §7)
    assert phases.count(Phase.BASE) == 8
    assert phases.count(Phase.THRESHOLD) == 3
    assert phases.count(Phase.INTERVALS) == 3
    assert phases.count(Phase.TAPER) == 2
    assert any(w.type is WorkoutType.THRESHOLD for w in plan.weeks[8].workouts)
    assert any(w.type is WorkoutType.INTERVALS for w in plan.weeks[11].workouts)


def test_shorter_plans_scale_the_speed_phase_down() -> None:
    plan = generate_plan(athlete(), race_goal(8), START)
    speed = [w for w in plan.weeks if w.phase is not Phase.BASE]
    assert len(speed) == 4  # 8 // 2
    assert plan.weeks[0].phase is Phase.BASE
    assert any("Only" in x for x in generate_plan(athlete(), race_goal(4), START).warnings)


def test_interval_reps_progress_from_long_to_400m() -> None:
    plan = generate_plan(athlete(), race_goal(16), START)
    reps = [w.reps[0].distance_m for w in plan.workouts() if w.type is WorkoutType.INTERVALS]
    interval_phase = [
        w.reps[0].distance_m
        for wk in plan.weeks
        if wk.phase is Phase.INTERVALS
        for w in wk.workouts
        if w.type is WorkoutType.INTERVALS
    ]
    assert interval_phase == sorted(interval_phase, reverse=True)
    assert interval_phase[-1] == 400
    assert max(reps) <= 1200


@pytest.mark.parametrize(("vdot", "mile_at_i"), [(45.0, False), (70.0, True)])
def test_mile_repeats_at_i_pace_only_when_the_i_mile_is_under_5_minutes(vdot: float, mile_at_i: bool) -> None:
    # science.md §1.5: DRF has an I mile only where it is under 5:00 (VDOT ≥ ~66); otherwise miles are T cruise reps
    plan = generate_plan(
        athlete(vdot=vdot, weekly_km=80, runs_per_week=6, long_run_km=24), race_goal(16), START
    )
    i_miles = [r for w in plan.workouts() for r in w.reps if r.label == "I" and r.distance_m > 1600]
    t_miles = [r for w in plan.workouts() for r in w.reps if r.label == "T" and r.distance_m > 1600]
    assert bool(i_miles) is mile_at_i
    assert t_miles  # cruise intervals of a mile exist either way
    assert inv.mile_reps_at_i_only_when_fast(plan) == []


def test_structure_of_a_quality_session() -> None:
    plan = generate_plan(athlete(), race_goal(16), START)
    w = next(w for w in plan.workouts() if w.type is WorkoutType.INTERVALS)
    r = w.reps[0]
    assert w.warmup_m > 0
    assert w.cooldown_m > 0
    assert r.count >= 2
    assert r.recovery_s > 0
    assert r.pace[0] < r.pace[1]
    assert w.distance_m == pytest.approx(
        w.warmup_m
        + w.cooldown_m
        + r.count * r.distance_m
        + (r.count - 1) * r.recovery_s / training_paces(plan.vdot).easy[1] * 1000,
        abs=100,
    )


def test_volume_holds_three_weeks_then_steps_by_1_6_km_per_run_with_a_down_week() -> None:
    # science.md §4: hold ≥ 3 weeks; +1.6 km per weekly run, ≤ 16 km; a down week every 3–4 weeks
    bp = blueprint(athlete(weekly_km=40, runs_per_week=5), race_goal(16), START)
    vols = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER]
    assert vols[:4] == pytest.approx([40, 40, 40, 32])
    assert vols[4:8] == pytest.approx([48, 48, 48, 38.4])
    assert vols[8:11] == pytest.approx([56, 56, 56])


def test_step_is_capped_at_16_km() -> None:
    bp = blueprint(
        athlete(weekly_km=100, runs_per_week=7, run_days=(0, 1, 2, 3, 4, 5, 6)), race_goal(16), START
    )
    levels = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER and s.index % 4 != 3]
    steps = [round(b - a, 6) for a, b in zip(levels, levels[1:], strict=False) if b != a]
    assert len(steps) >= 2
    assert set(steps) == {11.2}

    bp = blueprint(athlete(weekly_km=100, runs_per_week=14, run_days=tuple(range(7))), race_goal(16), START)
    levels = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER and s.index % 4 != 3]
    assert max(b - a for a, b in zip(levels, levels[1:], strict=False)) == STEP_MAX_KM  # 14 sessions → +16 km


def test_planned_weeks_never_exceed_their_targets() -> None:
    a, g = athlete(), race_goal(16)
    bp = blueprint(a, g, START)
    plan = generate_plan(a, g, START)
    for spec, week in zip(bp.specs, plan.weeks, strict=True):
        training = sum(w.distance_m for w in week.workouts if w.type is not WorkoutType.RACE) / 1000
        assert training <= spec.volume_km + 0.5


def test_down_week_every_fourth_week() -> None:
    plan = generate_plan(athlete(long_run_km=20), race_goal(16), START)
    vols = [w.planned_km for w in plan.weeks[:8]]
    assert vols[3] < vols[2]
    assert vols[7] < vols[6]


def test_marathon_taper_is_three_weeks() -> None:
    plan = generate_plan(athlete(weekly_km=60, runs_per_week=6, long_run_km=22), race_goal(18, 42195), START)
    assert [w.phase for w in plan.weeks[-3:]] == [Phase.TAPER] * 3
    assert plan.weeks[-4].phase is not Phase.TAPER


def test_unsafe_goal_is_flagged_with_a_reason() -> None:
    # a marathon in 8 weeks from 10 km a week: the race would be a > 100 % spike (science.md §4)
    plan = generate_plan(athlete(weekly_km=10, runs_per_week=3, long_run_km=4), race_goal(8, 42195), START)
    assert plan.unsafe
    assert "science.md §4" in plan.unsafe_reason
    assert "km" in plan.unsafe_reason
    assert plan.unsafe_reason in plan.warnings


def test_reasonable_goal_is_not_flagged() -> None:
    plan = generate_plan(athlete(), race_goal(16), START)
    assert not plan.unsafe
    assert plan.unsafe_reason == ""


def test_missing_long_run_is_estimated_and_said() -> None:
    plan = generate_plan(athlete(long_run_km=None), race_goal(16), START)
    assert any("assuming 10.0 km" in w for w in plan.warnings)  # 25 % of 40 km, science.md §1.5


def test_recovery_block_is_easy_at_50_then_75_percent() -> None:
    goal = Goal(GoalKind.RECOVERY, START + timedelta(weeks=4, days=-1))
    plan = generate_plan(athlete(), goal, START)
    assert [w.phase for w in plan.weeks] == [Phase.RECOVERY] * 4
    assert not any(w.is_quality for w in plan.workouts())
    assert plan.weeks[0].planned_km == pytest.approx(20, abs=1.5)  # science.md §8: 50 %
    assert plan.weeks[1].planned_km == pytest.approx(30, abs=1.5)  # 75 %


def test_maintenance_block_holds_volume_with_one_quality_session() -> None:
    goal = Goal(GoalKind.MAINTENANCE, START + timedelta(weeks=8, days=-1))
    plan = generate_plan(athlete(long_run_km=20), goal, START)
    vols = [w.planned_km for w in plan.weeks]
    assert max(vols) <= 40.5
    assert all(sum(1 for w in wk.workouts if w.is_quality) == 1 for wk in plan.weeks)
    assert inv.session_caps(plan) == []


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        (Goal(GoalKind.RACE, START - timedelta(days=1), 5000), "before"),
        (Goal(GoalKind.RACE, START + timedelta(weeks=8), None), "distance_m"),
    ],
)
def test_invalid_goals(goal: Goal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_plan(athlete(), goal, START)


def test_athlete_needs_a_race_or_vdot() -> None:
    with pytest.raises(ValueError, match="VDOT"):
        generate_plan(Athlete(weekly_km=30, runs_per_week=4), race_goal(10), START)


@pytest.mark.parametrize(
    ("runs", "expected"),
    [(3, (1, 3, 6)), (4, (1, 2, 4, 6)), (5, (0, 1, 3, 4, 6)), (6, (1, 2, 3, 4, 5, 6)), (7, tuple(range(7)))],
)
def test_default_run_days_around_a_sunday_long_run(runs: int, expected: tuple[int, ...]) -> None:
    assert run_days(athlete(runs_per_week=runs)) == expected


def test_quality_days_are_not_adjacent_and_not_before_the_long_run() -> None:
    days = quality_days((0, 1, 3, 4, 6), 6, 2)
    assert days == (1, 3)  # Tuesday and Thursday for a Sunday long run


def test_explicit_run_days_are_used() -> None:
    plan = generate_plan(athlete(run_days=(0, 2, 4), long_run_day=5, runs_per_week=4), race_goal(12), START)
    assert {w.date.weekday() for w in plan.workouts() if w.type is not WorkoutType.RACE} <= {0, 2, 4, 5}


def test_plan_starting_midweek_has_nothing_before_start() -> None:
    start = date(2026, 3, 5)  # a Thursday
    plan = generate_plan(athlete(), race_goal(16), start)
    assert plan.weeks[0].start == date(2026, 3, 2)
    assert min(w.date for w in plan.workouts()) >= start


def test_generation_is_deterministic() -> None:
    assert generate_plan(athlete(), race_goal(16), START) == generate_plan(athlete(), race_goal(16), START)
