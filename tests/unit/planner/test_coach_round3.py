"""A third coach's round on athletes and scenarios the scorecard and the earlier reviews do not draw: what a
reason says must be what the plan asks, volume must stay within what history and the distance justify, an
unsafe plan must say plainly what it offers, and fitness changes must compose (docs/science.md)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from planner import Athlete, Goal, GoalKind, Plan, Workout, WorkoutType, generate_plan, training_paces
from planner.generate import training_km
from planner.paces import fvdot, race_time
from planner.plan import Phase
from planner.reasons import ChangeCode, NoticeCode
from planner.synthetic import Behaviour, Extra, simulate

from . import invariants as inv

START = date(2026, 4, 6)  # a Monday, not the start date of the other planner tests
RACES = (5000.0, 10_000.0, 21_097.5, 42_195.0)


@dataclass(frozen=True, slots=True)
class Case:
    athlete: Athlete
    goal: Goal

    def describe(self) -> str:
        a = self.athlete
        return (
            f"{self.goal.distance_m or self.goal.kind.value} m, {a.weekly_km:.0f} km/wk × {a.runs_per_week}, "
            f"VDOT {a.vdot}, {(self.goal.date - START).days // 7 + 1} wk"
        )


def cases(count: int, seed: int) -> Iterator[Case]:
    """Athletes drawn wider than the scorecard's: VDOT 30–75, 15–120 km/wk, 3–7 runs whatever the volume,
    8–24 weeks, every race distance, a long run stated or not."""
    rng = random.Random(seed)
    for _ in range(count):
        weekly = round(rng.uniform(15, 120), 1)
        athlete = Athlete(
            weekly_km=weekly,
            runs_per_week=rng.randint(3, 7),
            vdot=round(rng.uniform(30, 75), 1),
            long_run_km=round(weekly * rng.uniform(0.22, 0.34), 1) if rng.random() < 0.7 else None,
        )
        weeks = rng.randint(8, 24)
        yield Case(
            athlete, Goal(GoalKind.RACE, START + timedelta(weeks=weeks - 1, days=6), rng.choice(RACES))
        )


def _partial(share: float, weeks: set[int]) -> Behaviour:
    def b(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
        if week not in weeks or w.type is WorkoutType.RACE:
            return [{}]
        return [{"distance_factor": share}] if w.type is not WorkoutType.LONG else []

    return b


# --- (1) a volume-rebuild reason names what next week actually asks --------------------------------------------


def _next_week_km_said(reason: str) -> float:
    found = re.search(r"Next week is ([\d.]+) km", reason)
    assert found is not None, reason
    return float(found.group(1))


def test_a_volume_rebuild_reason_names_the_week_the_athlete_is_actually_asked_to_run() -> None:
    checked = 0
    for n, case in enumerate(cases(60, seed=301)):
        plan = generate_plan(case.athlete, case.goal, START)
        if plan.unsafe:
            continue
        pick = 1 + n % max(1, len(plan.weeks) - 3)
        sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), _partial(0.25 + 0.1 * (n % 5), {pick}))
        for week in sim.weeks[1:]:
            last_monday = week.start - timedelta(days=7)
            made = [c for c in week.plan.changes if c.week_start == last_monday]
            # only where no later rule of the same week changed next week again (those give their own reasons)
            if [c.code for c in made] != [ChangeCode.VOLUME_REBUILD]:
                continue
            shown = training_km(week.plan.weeks[week.index].workouts)
            said = _next_week_km_said(made[0].reason)
            assert abs(said - shown) <= 0.5, (case.describe(), said, shown, made[0].reason)
            assert abs(float(made[0].facts["next_week_m"]) / 1000 - shown) <= 0.05, (case.describe(), made[0])
            checked += 1
    assert checked >= 20


# --- (4) a break after a VDOT raise reduces the VDOT as raised -------------------------------------------------


def _race_extra(week: int, vdot_gain: float) -> Extra:
    """A 5K race on the first free day of ``week``, run ``vdot_gain`` points above the plan's working VDOT."""

    def extra(i: int, plan: Plan) -> list[tuple[Workout, dict[str, Any]]]:
        if i != week:
            return []
        wk = plan.weeks[i]
        free = [d for d in range(7) if not any(w.date.weekday() == d and w.is_run for w in wk.workouts)]
        day = wk.start + timedelta(days=(free or [5])[0])
        pace = race_time(plan.vdot + vdot_gain, 5000.0) / 5
        return [
            (Workout(f"r{i}", day, WorkoutType.RACE, 5000.0, 5 * pace, (pace, pace)), {"work_pace": pace})
        ]

    return extra


def _off(first: date, days: int) -> Behaviour:
    def b(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
        return [] if first <= w.date < first + timedelta(days=days) else [{}]

    return b


def test_a_break_after_a_vdot_raise_lowers_the_vdot_as_raised() -> None:
    for vdot, days_off in ((38.0, 14), (52.0, 21), (64.0, 10)):
        a = Athlete(weekly_km=45.0, runs_per_week=5, vdot=vdot, long_run_km=13.0)
        plan = generate_plan(a, Goal(GoalKind.RACE, START + timedelta(weeks=18, days=-1), 21_097.5), START)
        first_off = START + timedelta(weeks=7, days=2)
        sim = simulate(plan, START + timedelta(weeks=12), _off(first_off, days_off), _race_extra(3, 6.0))
        raises = [c for c in sim.plan.changes if c.code == ChangeCode.FITNESS_UP]
        assert raises, [c.code for c in sim.plan.changes]
        raised = float(raises[-1].facts["vdot_after"])
        assert raised > vdot + 0.5
        # the break is answered in each week it spans; the last answer knows its full length
        ret = [c for c in sim.plan.changes if c.code == ChangeCode.RETURN_AFTER_BREAK][-1]
        # the run-free stretch runs from the last run before the first day off to the first run after it
        assert int(ret.facts["days_off"]) >= days_off
        expected = raised * fvdot(int(ret.facts["days_off"]))
        assert abs(sim.plan.vdot - expected) < 0.05, (vdot, days_off, raised, sim.plan.vdot, expected)
        assert abs(float(ret.facts["vdot_before"]) - raised) < 0.01, ret.facts
        assert f"instead of {raised:.1f}" in ret.reason, ret.reason


# --- (2) volume stays within what the athlete's history and the distance justify -------------------------------

LONG_GOAL_KM = {5000.0: 12.0, 10_000.0: 16.0, 21_097.5: 21.0, 42_195.0: 32.0}  # docs/science.md#long-run


def _justified_peak_km(plan: Plan) -> float:
    """The most a race plan may build to (docs/science.md#volume-progression): the weekly volume its long run
    needs (the race's long-run goal, at most 150 minutes at mid easy pace, at its share of the week), or one
    10 % step above what the athlete runs now, whichever is more."""
    a, distance = plan.athlete, plan.goal.distance_m or 0.0
    easy = sum(training_paces(plan.vdot).easy) / 2
    long_km = min(LONG_GOAL_KM[distance], 150 * 60 / easy)
    share = 0.38 if distance == 42_195.0 else 0.28
    return max(long_km / share, 1.10 * a.weekly_km)


def test_a_race_plan_builds_no_more_volume_than_history_and_distance_justify() -> None:
    seen = 0
    for case in cases(150, seed=302):
        plan = generate_plan(case.athlete, case.goal, START)
        peak = max(training_km(w.workouts) for w in plan.weeks)
        assert peak <= _justified_peak_km(plan) + 1.0, (
            case.describe(),
            round(peak, 1),
            _justified_peak_km(plan),
        )
        seen += 1
    assert seen == 150


def test_a_fast_5k_runner_on_high_volume_is_not_pushed_higher() -> None:
    a = Athlete(weekly_km=120.0, runs_per_week=7, vdot=70.0, long_run_km=22.0)
    plan = generate_plan(a, Goal(GoalKind.RACE, START + timedelta(weeks=24, days=-1), 5000.0), START)
    assert max(training_km(w.workouts) for w in plan.weeks) <= 1.10 * 120.0 + 1.0


# --- (3) every week is what it says it is; an unsafe plan says plainly what it offers instead -------------------


def test_every_quality_week_of_a_race_plan_holds_a_quality_session() -> None:
    seen = 0
    for case in cases(400, seed=303):
        plan = generate_plan(case.athlete, case.goal, START)
        if plan.unsafe:
            continue
        for week in plan.weeks:
            if week.phase in (Phase.THRESHOLD, Phase.INTERVALS):
                assert any(w.is_quality for w in week.workouts), (case.describe(), week.index, week.phase)
                seen += 1
    assert seen > 1000


def _unsafe_cases() -> Iterator[Case]:
    """Goals too long for the athlete's running: low volume, a long race, a short stated long run."""
    rng = random.Random(304)
    for _ in range(40):
        weekly = round(rng.uniform(8, 30), 1)
        a = Athlete(
            weekly_km=weekly,
            runs_per_week=rng.randint(3, 6),
            vdot=round(rng.uniform(30, 70), 1),
            long_run_km=round(weekly * 0.25, 1),
        )
        weeks = rng.randint(6, 14)
        distance = rng.choice((21_097.5, 42_195.0))
        yield Case(a, Goal(GoalKind.RACE, START + timedelta(weeks=weeks - 1, days=6), distance))


def test_an_unsafe_plan_is_a_plain_safe_build_and_says_so() -> None:
    unsafe = 0
    for case in _unsafe_cases():
        plan = generate_plan(case.athlete, case.goal, START)
        if not plan.unsafe:
            continue
        unsafe += 1
        # no race preparation it cannot deliver: easy running (with strides), no quality, no taper, no race
        assert {w.phase for w in plan.weeks} == {Phase.BASE}, (case.describe(), [w.phase for w in plan.weeks])
        assert not [w for w in plan.workouts() if w.is_quality or w.type is WorkoutType.RACE], case.describe()
        offer = [n for n in plan.notices if n.code == NoticeCode.UNSAFE_OFFER]
        assert len(offer) == 1, [n.code for n in plan.notices]
        peak = max(training_km(w.workouts) for w in plan.weeks)
        longest = max(w.distance_m for w in plan.workouts() if w.is_run)
        assert abs(float(offer[0].facts["peak_week_m"]) / 1000 - peak) < 0.05
        assert float(offer[0].facts["longest_m"]) == round(longest)
        assert f"{peak:.0f} km a week" in offer[0].text
        assert plan.warnings[-1] == offer[0].text  # said right after the reason the goal is unsafe
        # and still within the rules every plan keeps
        assert inv.spike_rule(plan, (case.athlete.long_run_km or 0) * 1000) == []
        assert inv.weekly_growth(plan) == []
    assert unsafe >= 10


# --- (5) a short break is answered by the return after it, not by reading its stub week as an under-done one ---


def test_after_a_short_break_the_return_brings_the_athlete_back_to_their_level() -> None:
    # Daniels' return (docs/science.md#return-after-break): 6–28 days off → half the return at 50 %, half at
    # 75 %, then the previous load; the week the athlete came back in holds only a run or two, and reading it as an
    # under-done week (docs/science.md#ramp-after-under-done-weeks) would restart the climb from the floor
    for vdot, weekly, runs, first_day, days_off in (
        (64.0, 45.0, 5, 2, 10),
        (45.0, 60.0, 6, 4, 12),
        (38.0, 35.0, 4, 0, 13),
        (55.0, 80.0, 6, 3, 9),
    ):
        a = Athlete(weekly_km=weekly, runs_per_week=runs, vdot=vdot, long_run_km=round(0.28 * weekly, 1))
        goal = Goal(GoalKind.RACE, START + timedelta(weeks=22, days=-1), 42_195.0)
        plan = generate_plan(a, goal, START)
        first_off = START + timedelta(weeks=6, days=first_day)
        until = first_off + timedelta(days=days_off + 7 * 7)
        sim = simulate(plan, until, _off(first_off, days_off))
        before = max(w.done_km for w in sim.weeks if w.start < first_off - timedelta(days=6))
        back = first_off + timedelta(days=days_off)
        # the staged return from 50 %, then at most 15 % a week: back near the level before within 6 weeks
        due = back + timedelta(weeks=6)
        week = next(w for w in sim.plan.weeks if w.start <= due <= w.end)
        assert training_km(week.workouts) >= 0.85 * min(before, _baseline_km(plan, week.index)), (
            vdot,
            weekly,
            [round(w.done_km, 1) for w in sim.weeks],
            [round(training_km(w.workouts), 1) for w in sim.plan.weeks],
        )
        assert not [c for c in sim.plan.changes if c.code == ChangeCode.RACE_OUT_OF_REACH], vdot


def _baseline_km(plan: Plan, index: int) -> float:
    return training_km(plan.weeks[index].workouts)
