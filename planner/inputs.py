"""Plausibility bounds for the planner's inputs (docs/science.md#plausible-inputs).

``check_inputs`` raises ``ValueError`` with one plain line naming the field and its allowed range; the
scenario tool and the plan API show that line as it is. Every bound is checked before any arithmetic, so no
input can end in a ZeroDivisionError, an OverflowError or a plan of silly length.
"""

from __future__ import annotations

import math
from datetime import date

from planner.paces import vdot_from_race
from planner.plan import Athlete, Goal, GoalKind

VDOT_MIN, VDOT_MAX = 20.0, 90.0
WEEKLY_KM_MAX = 250.0
RACE_WEEKLY_KM_MIN = 5.0  # below this a race or maintenance plan has nothing to build on: return first
RUNS_PER_WEEK_MAX = 14
LONG_RUN_KM_MAX = 60.0
MAX_HR_RANGE = (100.0, 250.0)
DISTANCE_MIN_M, DISTANCE_MAX_M = 800.0, 100_000.0
MAX_PLAN_WEEKS = 52
BREAK_DAYS_MAX = 365
# docs/science.md#plausible-inputs: a goal time slower than walking the whole distance at 4 km/h is not a running
# goal (most likely hours typed as minutes, or a time in the wrong unit)
WALKING_PACE_S_PER_KM = 900.0
EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _within(name: str, value: object, lo: float, hi: float, unit: str = "") -> float:
    v = _finite(name, value)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}{unit}, got {v:g}")
    return v


def _weekday(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise ValueError(f"{name} must be a weekday number 0..6 (0 = Monday), got {value!r}")


def check_athlete(a: Athlete, goal_kind: GoalKind | None = None) -> None:
    km = _within("weekly_km", a.weekly_km, 0.0, WEEKLY_KM_MAX, " km")
    if goal_kind is not None and goal_kind is not GoalKind.RECOVERY and km < RACE_WEEKLY_KM_MIN:
        raise ValueError(
            f"weekly_km must be at least {RACE_WEEKLY_KM_MIN:g} km for a race or maintenance plan, got {km:g}; "
            "plan a recovery block first to start from less"
        )
    runs = a.runs_per_week
    if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= RUNS_PER_WEEK_MAX:
        raise ValueError(f"runs_per_week must be a whole number from 1 to {RUNS_PER_WEEK_MAX}, got {runs!r}")
    _weekday("long_run_day", a.long_run_day)
    for day in a.run_days:
        _weekday("run_days", day)
    if len(a.run_days) > 7:
        raise ValueError("run_days lists more than 7 days")
    if a.vdot is None and a.recent_race is None:
        raise ValueError("the athlete needs a recent race or a VDOT")
    if a.vdot is not None:
        _within("vdot", a.vdot, VDOT_MIN, VDOT_MAX)
    if a.recent_race is not None:
        _check_race(a.recent_race.distance_m, a.recent_race.time_s)
    if a.max_hr is not None:
        _within("max_hr", a.max_hr, *MAX_HR_RANGE, " bpm")
    if a.long_run_km is not None:
        _within("long_run_km", a.long_run_km, 0.0, LONG_RUN_KM_MAX, " km")
    days = a.break_days
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= BREAK_DAYS_MAX:
        raise ValueError(f"break_days must be a whole number from 0 to {BREAK_DAYS_MAX}, got {days!r}")


def _check_race(distance_m: object, time_s: object) -> None:
    d = _within("recent_race.distance_m", distance_m, DISTANCE_MIN_M, DISTANCE_MAX_M, " m")
    t = _within("recent_race.time_s", time_s, 1.0, 7 * 24 * 3600.0, " s")
    vdot = vdot_from_race(d, t)
    if not VDOT_MIN <= vdot <= VDOT_MAX:
        raise ValueError(
            f"recent_race of {d:g} m in {t:g} s gives VDOT {vdot:.1f}, outside the plausible "
            f"{VDOT_MIN:g}–{VDOT_MAX:g}; check the distance (metres) and the time (seconds)"
        )


def check_goal(goal: Goal, start: date) -> None:
    for name, day in (("start", start), ("goal date", goal.date)):
        if not EARLIEST <= day <= LATEST:
            raise ValueError(
                f"{name} {day.isoformat()} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}"
            )
    if goal.date < start:
        raise ValueError(
            f"the goal date {goal.date.isoformat()} is before the plan start {start.isoformat()}"
        )
    weeks = (goal.date - start).days // 7 + 1
    if weeks > MAX_PLAN_WEEKS:
        raise ValueError(
            f"the plan would last {weeks} weeks; at most {MAX_PLAN_WEEKS} weeks are planned at once"
        )
    if goal.kind is GoalKind.RACE:
        if goal.distance_m is None:
            raise ValueError("a race goal needs distance_m")
        _within("goal distance_m", goal.distance_m, DISTANCE_MIN_M, DISTANCE_MAX_M, " m")
    elif goal.distance_m is not None:
        _within("goal distance_m", goal.distance_m, DISTANCE_MIN_M, DISTANCE_MAX_M, " m")
    if goal.time_s is not None:
        if goal.kind is not GoalKind.RACE or goal.distance_m is None:
            raise ValueError("a goal time needs a race goal with a distance")
        t = _within("goal time_s", goal.time_s, 1.0, 7 * 24 * 3600.0, " s")
        vdot = vdot_from_race(goal.distance_m, t)
        if vdot > 100.0:
            raise ValueError(
                f"a goal time of {t:g} s for {goal.distance_m:g} m is faster than any human has run (VDOT {vdot:.0f})"
            )
        walking_s = goal.distance_m / 1000 * WALKING_PACE_S_PER_KM
        if t > walking_s:
            raise ValueError(
                f"a goal time of {t:g} s for {goal.distance_m:g} m is slower than walking it at 4 km/h "
                f"({walking_s:.0f} s); check the time (seconds)"
            )


def check_inputs(athlete: Athlete, goal: Goal, start: date) -> None:
    """Raise ValueError (one line) unless every input is plausible."""
    check_athlete(athlete, goal.kind)
    check_goal(goal, start)
