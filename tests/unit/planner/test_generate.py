"""Plan generation, one rule per test, over a table of athletes and goals (docs/science.md)."""

from __future__ import annotations

import re
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
    assert inv.phase_order(_plan(case)) == []  # docs/science.md#phases


def test_base_phase_has_no_tempo_interval_or_repetition_work(case: tuple[Athlete, Goal]) -> None:
    assert inv.no_quality_in_base(_plan(case)) == []  # docs/science.md#phases


def test_speed_work_only_in_the_last_8_weeks(case: tuple[Athlete, Goal]) -> None:
    assert inv.speed_only_late(_plan(case)) == []  # docs/science.md#phases


def test_tempo_comes_before_intervals(case: tuple[Athlete, Goal]) -> None:
    assert inv.tempo_before_intervals(_plan(case)) == []  # docs/science.md#phases


def test_session_caps(case: tuple[Athlete, Goal]) -> None:
    assert inv.session_caps(_plan(case)) == []  # docs/science.md#quality-caps


def test_long_run_caps(case: tuple[Athlete, Goal]) -> None:
    a, _ = case
    plan = _plan(case)
    assert inv.long_run_caps(plan, sum(training_paces(plan.vdot).easy) / 2) == []  # docs/science.md#long-run
    assert inv.long_is_longest(plan) == []


def test_no_run_over_110_percent_of_30_day_longest(case: tuple[Athlete, Goal]) -> None:
    a, g = case
    plan = _plan(case)
    seed = (a.long_run_km or 0.25 * a.weekly_km) * 1000
    assert inv.spike_rule(plan, seed) == []  # docs/science.md#spike-rule


def test_taper(case: tuple[Athlete, Goal]) -> None:
    assert inv.taper(_plan(case)) == []  # docs/science.md#phases


def test_race_on_the_goal_date_and_nothing_after(case: tuple[Athlete, Goal]) -> None:
    assert inv.race_on_goal_date(_plan(case)) == []


def test_workout_ids_are_unique_and_inside_their_week(case: tuple[Athlete, Goal]) -> None:
    assert inv.ids_unique_and_dated(_plan(case)) == []


def test_speed_phase_has_tempo_and_intervals_for_a_16_week_plan() -> None:
    plan = generate_plan(athlete(), race_goal(16), START)
    phases = [w.phase for w in plan.weeks]
    # min(8, 16 // 2) = 8 speed weeks incl. a 2-week taper → 3 threshold + 3 interval weeks (docs/science.md#phases)
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


def test_interval_reps_progress_from_long_to_short_bouts_and_400m_repeats_are_r_work() -> None:
    # docs/science.md#interval-bouts: I bouts last 3–5 minutes, longest first; 400 m repeats are R work.
    # (The old plan ended on 400 m at I pace: ~1.5-minute bouts, well under Daniels' 3 minutes.)
    plan = generate_plan(athlete(), race_goal(16), START)
    paces = training_paces(plan.vdot)
    interval_phase = [
        w.reps[0].distance_m
        for wk in plan.weeks
        if wk.phase is Phase.INTERVALS
        for w in wk.workouts
        if w.type is WorkoutType.INTERVALS
    ]
    assert interval_phase == sorted(interval_phase, reverse=True)
    assert interval_phase[0] > interval_phase[-1]
    for r in (r for w in plan.workouts() for r in w.reps if r.label == "I"):
        assert 180 <= r.distance_m / 1000 * paces.interval <= 300
    five_k = generate_plan(athlete(), race_goal(16, 5000), START)
    r_reps = [r for w in five_k.workouts() for r in w.reps if r.label == "R"]
    assert r_reps
    assert {r.distance_m for r in r_reps} <= {200.0, 400.0}


def test_r_repeats_stay_within_5_percent_and_8_km_at_high_volume() -> None:
    # VDOT 60 at 180 km/wk: 5 % would be 9 km of R; Daniels caps it at 8 km (23 × 400 m was planned before)
    a = athlete(vdot=60, weekly_km=180, runs_per_week=7, long_run_km=30)
    plan = generate_plan(a, race_goal(16, 5000), START)
    for week in plan.weeks:
        vol = sum(w.distance_m for w in week.workouts if w.is_run)
        for w in week.workouts:
            assert w.work_m("R") <= min(0.05 * vol, 8000) + 1
            assert w.work_m("I") <= min(0.08 * vol, 10000) + 1
    assert inv.quality_budget(plan) == []


def test_half_marathon_quality_stays_within_the_weekly_budget() -> None:
    # Race-pace blocks count as quality: T + race pace used to reach 21–23 % of the week across two sessions
    for weekly in (30, 40, 50, 60, 80):
        plan = generate_plan(athlete(weekly_km=weekly, runs_per_week=5), race_goal(16, HALF), START)
        assert inv.quality_budget(plan) == []
        assert any(w.type is WorkoutType.RACE_PACE for w in plan.workouts()) or weekly < 40


@pytest.mark.parametrize(("vdot", "mile_at_i"), [(45.0, False), (70.0, True)])
def test_mile_repeats_at_i_pace_only_when_the_i_mile_is_under_5_minutes(vdot: float, mile_at_i: bool) -> None:
    # docs/science.md#quality-caps: DRF has an I mile only where it is under 5:00 (VDOT ≥ ~66); otherwise miles are T cruise reps
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


def test_volume_holds_three_weeks_then_steps_by_1_6_km_per_run_at_most_10_percent() -> None:
    # docs/science.md#volume-progression: hold 3 weeks; +1.6 km per weekly run, ≤ 16 km and ≤ 10 % of the level.
    # (The former 80 % down week made the following week jump 25–50 %.)
    bp = blueprint(athlete(weekly_km=40, runs_per_week=5), race_goal(16), START)
    vols = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER]
    assert vols[:3] == pytest.approx([40, 40, 40])
    assert vols[3:6] == pytest.approx([44, 44, 44])  # min(8, 16, 4) = +4 km
    bp = blueprint(athlete(weekly_km=100, runs_per_week=5), race_goal(16), START)
    vols = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER]
    assert vols[3] - vols[0] == pytest.approx(8.0)  # 1.6 km × 5 runs < 10 % of 100


def test_step_is_capped_at_16_km() -> None:
    bp = blueprint(athlete(weekly_km=200, runs_per_week=7, run_days=tuple(range(7))), race_goal(16), START)
    levels = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER]
    steps = [round(b - a, 6) for a, b in zip(levels, levels[1:], strict=False) if b != a]
    assert steps[0] == 11.2  # 7 runs × 1.6 km
    assert max(steps) == 11.2  # (later steps end at the plan's ceiling, docs/science.md#volume-progression)

    bp = blueprint(athlete(weekly_km=200, runs_per_week=14, run_days=tuple(range(7))), race_goal(16), START)
    levels = [s.volume_km for s in bp.specs if s.phase is not Phase.TAPER]
    assert max(b - a for a, b in zip(levels, levels[1:], strict=False)) == STEP_MAX_KM  # 14 sessions → +16 km


def test_planned_weeks_never_exceed_their_targets() -> None:
    a, g = athlete(), race_goal(16)
    bp = blueprint(a, g, START)
    plan = generate_plan(a, g, START)
    for spec, week in zip(bp.specs, plan.weeks, strict=True):
        training = sum(w.distance_m for w in week.workouts if w.type is not WorkoutType.RACE) / 1000
        assert training <= spec.volume_km + 0.5


def test_no_week_grows_more_than_10_percent_and_new_levels_start_with_a_shorter_long_run() -> None:
    plan = generate_plan(athlete(long_run_km=20), race_goal(16), START)
    assert inv.weekly_growth(plan) == []
    longs = [
        max((w.distance_m for w in wk.workouts if w.type is WorkoutType.LONG), default=0) for wk in plan.weeks
    ]
    assert longs[3] < longs[2]  # week 3 starts a new level: its long run is cut back


@pytest.mark.parametrize("weekly", [40, 45, 50])
@pytest.mark.parametrize("weeks", [16, 18])
def test_typical_marathon_goals_are_safe_and_build_a_proper_long_run(weekly: float, weeks: int) -> None:
    # 13 of 30 plans (40–50 km/wk with 16–18 weeks among them) used to flag themselves unsafe; a 50 km/wk
    # runner with 18 weeks peaked at a 20.7 km long run
    plan = generate_plan(athlete(weekly_km=weekly, vdot=50, long_run_km=None), race_goal(weeks, 42195), START)
    assert not plan.unsafe, plan.unsafe_reason
    longest = max(w.distance_m for w in plan.workouts() if w.type is WorkoutType.LONG)
    assert longest >= (26_000 if weekly >= 50 and weeks >= 18 else 21_100)
    assert inv.spike_rule(plan, 0.25 * weekly * 1000) == []
    assert inv.weekly_growth(plan) == []
    assert inv.long_is_longest(plan) == []


def test_beginner_three_run_weeks_have_the_long_run_as_the_longest_and_sensible_phases() -> None:
    # 8-week 5K at 20 km/wk, 3 runs: the "long run" used to be the shortest run, threshold and interval phases
    # lasted one week each
    plan = generate_plan(
        athlete(weekly_km=20, runs_per_week=3, vdot=40, long_run_km=None), race_goal(8, 5000), START
    )
    assert inv.long_is_longest(plan) == []
    for week in plan.weeks[:-1]:
        longs = [w for w in week.workouts if w.type is WorkoutType.LONG]
        assert longs
        assert longs[0].distance_m == max(w.distance_m for w in week.workouts if w.is_run)
    phases = [w.phase for w in plan.weeks]
    assert Phase.THRESHOLD not in phases  # too few quality weeks to split: one final-quality phase
    assert phases.count(Phase.INTERVALS) == 2
    quality = [w for w in plan.workouts() if w.is_quality]
    assert quality[0].type is WorkoutType.THRESHOLD  # tempo first
    assert len(quality) >= 2
    assert inv.spike_rule(plan, 5000) == []


def test_marathon_taper_is_three_weeks() -> None:
    plan = generate_plan(athlete(weekly_km=60, runs_per_week=6, long_run_km=22), race_goal(18, 42195), START)
    assert [w.phase for w in plan.weeks[-3:]] == [Phase.TAPER] * 3
    assert plan.weeks[-4].phase is not Phase.TAPER


def test_unsafe_goal_is_flagged_with_a_reason() -> None:
    # a marathon in 8 weeks from 10 km a week: the race would be a > 100 % spike (docs/science.md#spike-rule)
    plan = generate_plan(athlete(weekly_km=10, runs_per_week=3, long_run_km=4), race_goal(8, 42195), START)
    assert plan.unsafe
    # numbers first: the race, the ratio, the longest run the plan can reach, and what a safe plan needs
    assert re.search(
        r"The race \(42\.195 km\) is \d+\.\d× the longest run .* \(\d+\.\d km\)", plan.unsafe_reason
    )
    assert "at least 21.1 km" in plan.unsafe_reason
    assert plan.unsafe_reason in plan.warnings


def test_reasonable_goal_is_not_flagged() -> None:
    plan = generate_plan(athlete(), race_goal(16), START)
    assert not plan.unsafe
    assert plan.unsafe_reason == ""


def test_missing_long_run_is_estimated_and_said() -> None:
    plan = generate_plan(athlete(long_run_km=None), race_goal(16), START)
    assert any("assuming 10.0 km" in w for w in plan.warnings)  # 25 % of 40 km, docs/science.md#long-run


def test_recovery_block_without_a_break_length_assumes_two_weeks_off() -> None:
    goal = Goal(GoalKind.RECOVERY, START + timedelta(weeks=4, days=-1))
    plan = generate_plan(athlete(), goal, START)
    assert [w.phase for w in plan.weeks] == [Phase.RECOVERY] * 4
    assert not any(w.is_quality for w in plan.workouts())
    assert plan.weeks[0].planned_km == pytest.approx(20, abs=1.5)  # docs/science.md#return-after-break: 50 %
    assert plan.weeks[1].planned_km < 0.75 * 40 + 1
    assert any("assumes 14 days off" in w for w in plan.warnings)


def test_four_weeks_off_returns_over_four_weeks_at_time_off_paces() -> None:
    # 4 weeks off used to give 50 %, 75 %, then 100 % at pre-injury paces (T 278 s/km instead of ≈ 294)
    a = athlete(weekly_km=40, vdot=45, break_days=28)
    plan = generate_plan(a, Goal(GoalKind.RECOVERY, START + timedelta(weeks=8, days=-1)), START)
    vols = [w.planned_km for w in plan.weeks]
    assert vols[0] == pytest.approx(20, abs=1.5)
    assert all(v < 40 * 0.95 for v in vols[:4])  # the return lasts about as long as the break
    assert vols == sorted(vols)
    assert plan.vdot == pytest.approx(45 * 0.931, abs=0.01)  # docs/science.md#time-off, FVDOT-1 at 28 days
    assert training_paces(plan.vdot).threshold == pytest.approx(294, abs=3)
    assert training_paces(plan.vdot).threshold > training_paces(45).threshold + 10


def test_return_length_grows_with_the_break() -> None:
    def return_weeks(days: int) -> int:
        a = athlete(weekly_km=40, break_days=days)
        plan = generate_plan(a, Goal(GoalKind.RECOVERY, START + timedelta(weeks=16, days=-1)), START)
        return sum(1 for w in plan.weeks if w.planned_km < 0.95 * 40)

    lengths = [return_weeks(d) for d in (7, 14, 28, 56, 84)]
    assert lengths == sorted(lengths)
    assert lengths[0] < lengths[-1]


def test_long_breaks_start_with_run_walk_and_zero_volume_is_a_return_from_zero() -> None:
    a = athlete(weekly_km=40, break_days=60)
    plan = generate_plan(a, Goal(GoalKind.RECOVERY, START + timedelta(weeks=10, days=-1)), START)
    first = [w for w in plan.weeks[0].workouts if w.is_run]
    assert first
    assert all(w.run_walk is not None for w in first)
    assert "run/walk" in first[0].note
    assert plan.weeks[-1].workouts
    assert all(w.run_walk is None for w in plan.weeks[-1].workouts)
    cross = generate_plan(
        athlete(weekly_km=40, break_days=60, cross_training=True),
        Goal(GoalKind.RECOVERY, START + timedelta(weeks=10, days=-1)),
        START,
    )
    assert cross.vdot > plan.vdot  # FVDOT-2: cross-training keeps more fitness
    zero = generate_plan(
        athlete(weekly_km=0, long_run_km=None),
        Goal(GoalKind.RECOVERY, START + timedelta(weeks=8, days=-1)),
        START,
    )
    assert zero.weeks[0].planned_km > 0
    assert all(w.run_walk is not None for w in zero.weeks[0].workouts if w.is_run)
    assert max(w.planned_km for w in zero.weeks) <= 16


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
