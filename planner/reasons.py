"""The codes of every change and plan notice, and the facts each carries.

A change (planner/plan.py ``Change``) or notice (``Notice``) has an English ``reason``/``text``, the planner's
default wording, and ``facts``: the numbers behind it by plain name, in SI units (metres ``*_m``, seconds ``*_s``,
paces ``*_s_per_km``, fractions 0–1 ``*_share``, dates as ISO strings ``*_date``, VDOT points, counts, flags).
The facts are what an athlete-facing catalogue renders from, in the athlete's units, without the English text;
``FACTS`` and ``NOTICE_FACTS`` say exactly which facts each code carries, and the planner checks every change and
notice it makes against them (``checked``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from planner.plan import Facts, FactValue


class ChangeCode(StrEnum):
    """Why adaptation changed the plan (the rules of planner/adapt.py, in the order they run)."""

    HISTORY_CAPPED = "history_capped"
    RETURN_AFTER_BREAK = "return_after_break"
    VOLUME_REBUILD = "volume_rebuild"
    RUN_SPIKE = "run_spike"
    INTENSITY_REDUCED = "intensity_reduced"
    SPIKE_CAPPED = "spike_capped"
    REVISE_GOAL = "revise_goal"
    RACE_OUT_OF_REACH = "race_out_of_reach"
    FITNESS_UP = "fitness_up"


class NoticeCode(StrEnum):
    """What the athlete is told about a generated plan as a whole (planner/generate.py)."""

    GOAL_VERDICT = "goal_verdict"
    BREAK_ASSUMED = "break_assumed"
    BREAK_BEFORE_PLAN = "break_before_plan"
    RETURN_FROM_ZERO = "return_from_zero"
    LONG_RUN_ASSUMED = "long_run_assumed"
    SHORT_PLAN = "short_plan"
    RACE_TOO_LONG = "race_too_long"  # the plan is unsafe: ``Plan.unsafe_reason`` is this notice's text
    UNSAFE_OFFER = "unsafe_offer"  # what an unsafe plan offers instead of race training


# a planned run the rule shortened: its day, its type (a WorkoutType value), its length before and its limit
_CUT_RUN = frozenset({"run_date", "run_type", "run_m", "limit_m"})

FACTS: dict[ChangeCode, frozenset[str]] = {
    # the stored runs of the 30 days before the plan replace the stated long run for the 110 % rule
    ChangeCode.HISTORY_CAPPED: _CUT_RUN | {"longest_recent_m", "stated_long_m"},
    # a run-free stretch; the return's reduced weeks, then the climb back
    ChangeCode.RETURN_AFTER_BREAK: frozenset(
        {
            "days_off",
            "first_day_off_date",
            "last_day_off_date",
            "before_week_m",  # the weekly load before the break the return comes back towards
            "return_share",  # the first return week as a share of it
            "first_week_m",
            "reduced_weeks",  # weeks below the plan from next week on (the return, then the climb)
            "last_reduced_week_m",
            "ramp_max_share",  # at most this much more a week (0.15)
            "vdot_before",
            "vdot_after",
        }
    ),
    # next week follows what was actually run
    ChangeCode.VOLUME_REBUILD: frozenset(
        {
            "planned_m",
            "done_m",
            "share_done",
            "next_week_m",  # what next week actually asks for, after every other rule
            "instead_of_m",
            "floored",  # next week is the maintenance floor (two easy 30-minute runs' worth)
            "floor_m",
            "over_done_share",  # the ceiling: this much more than was run
            "spike_trimmed",  # the 110 % rule planned next week below that ceiling (its runs are shorter)
            "ramp_weeks",  # the weeks after next that are still below the plan, as planned now
            "ramp_last_m",  # the last of them (0 when there are none)
            "ramp_max_share",
            "holds_at_pre_miss",  # one of them holds at the most run in a week before
            "pre_miss_m",
        }
    ),
    # a run done more than 110 % of the 30-day longest
    ChangeCode.RUN_SPIKE: frozenset(
        {
            "run_date",
            "run_m",
            "estimated",  # the run had no usable distance: counted by its time at easy pace
            "moving_s",
            "longest_before_m",
            "over_share",  # how much longer than that (0.4 = 40 %)
            "recovery_days",
            "long_cap_m",  # the next long run stays within this
        }
    ),
    # time at marathon pace or faster above the week's budget
    ChangeCode.INTENSITY_REDUCED: frozenset(
        {
            "speed_s",
            "budget_s",
            "over_share",  # the overshoot as a share of the week's running time
            "level",  # 1: pace ceiling, first session shorter; 2: a recovery run, first session easy; 3: all easy
            "fast_easy_runs",  # easy or long runs with too much of their time fast
            # structured sessions with more than half their scored reps too fast, or more than half their
            # recoveries run too fast (by the rep score); with fast_easy_runs, 2 or more earn level 1 even
            # when speed_s stays within budget_s
            "overdone_sessions",
            "hard_sessions_done",
            "hard_sessions_planned",
            "week_in_progress",  # judged on the current week's runs so far ("this week"), not a week that is over
            "quality_next",  # next week holds quality sessions the response touches
            "quality_after",  # level 3 shortens the first quality session of the week after
        }
    ),
    # a planned run above 110 % of the 30-day longest before it
    ChangeCode.SPIKE_CAPPED: _CUT_RUN | {"longest_recent_m"},
    ChangeCode.REVISE_GOAL: frozenset({"lost_days", "window_days", "race_date"}),
    ChangeCode.RACE_OUT_OF_REACH: frozenset({"race_m", "race_date", "longest_m", "ratio"}),
    ChangeCode.FITNESS_UP: frozenset(
        {
            "evidence",  # "race" or "effort" (a sustained hard stretch of a workout): an EvidenceKind value
            "evidence_date",
            "evidence_m",
            "evidence_s",
            "evidence_pace_s_per_km",
            "vdot_before",
            "vdot_after",
            "threshold_before_s_per_km",
            "threshold_after_s_per_km",
            "max_rise_points",
            "rise_window_days",
        }
    ),
}

NOTICE_FACTS: dict[NoticeCode, frozenset[str]] = {
    NoticeCode.GOAL_VERDICT: frozenset(
        {"verdict", "distance_m", "goal_s", "predicted_s", "vdot", "faster_share"}
    ),
    NoticeCode.BREAK_ASSUMED: frozenset({"assumed_break_days"}),
    NoticeCode.BREAK_BEFORE_PLAN: frozenset(
        {
            "break_days",
            "cross_training",
            "vdot_before",
            "vdot_after",
            "return_weeks",
            "return_share",
            "weekly_m",
        }
    ),
    NoticeCode.RETURN_FROM_ZERO: frozenset({"return_weeks", "base_week_m"}),
    NoticeCode.LONG_RUN_ASSUMED: frozenset({"long_run_m", "share_of_week"}),
    NoticeCode.SHORT_PLAN: frozenset({"weeks", "weeks_needed"}),
    NoticeCode.RACE_TOO_LONG: frozenset({"race_m", "ratio", "longest_m", "weekly_m", "needed_long_m"}),
    NoticeCode.UNSAFE_OFFER: frozenset({"peak_week_m", "longest_m"}),
}


class UndeclaredFacts(ValueError):
    """A change or notice was made with facts other than those its code declares (a planner bug)."""


def checked(code: ChangeCode | NoticeCode, facts: Mapping[str, FactValue]) -> Facts:
    """``facts`` as a ``Facts`` value, after checking that they are exactly the ones ``code`` declares."""
    declared = FACTS[code] if isinstance(code, ChangeCode) else NOTICE_FACTS[code]
    if set(facts) != declared:
        missing, extra = sorted(declared - set(facts)), sorted(set(facts) - declared)
        raise UndeclaredFacts(f"{code}: missing {missing}, undeclared {extra}")
    return Facts(facts)


def metres(km: float) -> float:
    """Kilometres as whole metres: planner volumes are kept in km, facts in SI units."""
    return float(round(km * 1000))


def share(x: float) -> float:
    """A fraction 0–1 to 4 decimals (0.1 % is finer than any reason says)."""
    return round(x, 4)
