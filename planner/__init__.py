"""The coaching core: pure functions over immutable values (no I/O; see docs/planner.md).

Entry points:
* ``generate_plan(athlete, goal, start) -> Plan``
* ``adapt(plan, activities, as_of, suppressed=frozenset()) -> AdaptResult`` and ``undo(...)``
* ``match(plan_or_workouts, activities) -> MatchResult``; ``plan_compliance(plan, activities, as_of)``
* paces: ``vdot_from_race``, ``race_time``, ``training_paces``, ``fvdot``, ``vdot_after_break``
* JSON: ``plan_to_dict`` / ``plan_from_dict`` (and per-type helpers in ``planner.serialize``)
* reasons: every ``Change`` and plan ``Notice`` has a code (``ChangeCode``, ``NoticeCode``) and ``facts``, the
  numbers behind it in SI units; ``FACTS`` / ``NOTICE_FACTS`` name the facts of each code (planner/reasons.py)
"""

from planner.activity import RUN_SPORT_TYPES, Activity, Lap
from planner.adapt import AdaptResult, adapt, forget_memos, undo
from planner.generate import generate_plan
from planner.intensity import RunIntensity, Zones, run_intensity
from planner.load import WeekLoad, acwr, week_load
from planner.matching import (
    Match,
    MatchResult,
    WorkoutCompliance,
    colour,
    match,
    plan_compliance,
    workout_compliance,
)
from planner.paces import (
    Paces,
    fvdot,
    race_pace,
    race_time,
    training_paces,
    vdot_after_break,
    vdot_from_race,
)
from planner.plan import (
    Athlete,
    Change,
    Facts,
    Goal,
    GoalKind,
    Notice,
    Phase,
    Plan,
    RaceResult,
    RepSet,
    Week,
    Workout,
    WorkoutDiff,
    WorkoutType,
)
from planner.reasons import FACTS, NOTICE_FACTS, ChangeCode, NoticeCode
from planner.report import plan_report
from planner.serialize import (
    change_from_dict,
    change_to_dict,
    notice_to_dict,
    plan_from_dict,
    plan_to_dict,
    workout_from_dict,
    workout_to_dict,
)

__all__ = [
    "FACTS",
    "NOTICE_FACTS",
    "RUN_SPORT_TYPES",
    "Activity",
    "AdaptResult",
    "Athlete",
    "Change",
    "ChangeCode",
    "Facts",
    "Goal",
    "GoalKind",
    "Lap",
    "Match",
    "MatchResult",
    "Notice",
    "NoticeCode",
    "Paces",
    "Phase",
    "Plan",
    "RaceResult",
    "RepSet",
    "RunIntensity",
    "Week",
    "WeekLoad",
    "Workout",
    "WorkoutCompliance",
    "WorkoutDiff",
    "WorkoutType",
    "Zones",
    "acwr",
    "adapt",
    "forget_memos",
    "change_from_dict",
    "change_to_dict",
    "colour",
    "fvdot",
    "generate_plan",
    "match",
    "notice_to_dict",
    "plan_compliance",
    "plan_from_dict",
    "plan_report",
    "plan_to_dict",
    "race_pace",
    "race_time",
    "run_intensity",
    "training_paces",
    "undo",
    "vdot_after_break",
    "vdot_from_race",
    "week_load",
    "workout_compliance",
    "workout_from_dict",
    "workout_to_dict",
]
