"""Matching completed runs to planned workouts, and compliance. The rules are documented in docs/matching.md.

Order of passes (each run is assigned to at most one workout; all sorting keys are total, so the result does
not depend on the order the activities arrive in):
1. races (workout_type 1) to a planned race within ±2 days, nearest first;
2. same local date: every remaining run of the workout's day is assigned to it (doubles fulfil one workout);
3. a day's still-unassigned runs, taken together, to a still-unmatched workout 1 then 2 days away;
4. anything left over is an extra, unplanned run. Non-running sports never count (activity.RUN_SPORT_TYPES).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from planner.activity import Activity
from planner.paces import training_paces
from planner.plan import Plan, Workout, WorkoutType
from planner.rep_scoring import RepScore, score_runs

NEARBY_DAYS = (1, 2)
GREEN = (0.80, 1.20)  # docs/science.md#compliance-colours
YELLOW = (0.50, 1.50)  # docs/science.md#compliance-colours (50–79 % or 121–150 %)


@dataclass(frozen=True, slots=True)
class Match:
    workout_id: str
    activity_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: tuple[Match, ...]  # in workout date order
    extra: tuple[int, ...]  # runs that fulfil no workout, chronological
    ignored: tuple[int, ...]  # activities that are not runs (ride, swim, ...)

    def for_workout(self, workout_id: str) -> tuple[int, ...]:
        for m in self.matches:
            if m.workout_id == workout_id:
                return m.activity_ids
        return ()

    def by_workout(self) -> dict[str, tuple[int, ...]]:
        return {m.workout_id: m.activity_ids for m in self.matches}


def _key(a: Activity) -> tuple[object, ...]:
    return (a.start_local, a.id)


def _workouts(plan: Plan | Iterable[Workout]) -> list[Workout]:
    ws = plan.workouts() if isinstance(plan, Plan) else tuple(plan)
    return sorted((w for w in ws if w.is_run), key=lambda w: (w.date, w.id))


def match(plan: Plan | Iterable[Workout], activities: Iterable[Activity]) -> MatchResult:
    """Assign runs to workouts; see the module docstring and docs/matching.md."""
    unique = {a.id: a for a in activities}
    ordered = sorted(unique.values(), key=_key)
    runs = [a for a in ordered if a.is_run]
    ignored = tuple(a.id for a in ordered if not a.is_run)
    workouts = _workouts(plan)
    assigned: dict[str, list[Activity]] = {}
    used: set[int] = set()

    # 1. races to planned races, ±2 days, nearest first
    races = [w for w in workouts if w.type is WorkoutType.RACE]
    for a in (r for r in runs if r.is_race):
        options = [
            w for w in races if w.id not in assigned and abs((w.date - a.local_date).days) <= NEARBY_DAYS[-1]
        ]
        if options:
            best = min(options, key=lambda w: (abs((w.date - a.local_date).days), w.date, w.id))
            assigned[best.id] = [a]
            used.add(a.id)

    # 2. same local date: all of the day's runs together
    by_day: dict[date, list[Activity]] = defaultdict(list)
    for a in runs:
        if a.id not in used:
            by_day[a.local_date].append(a)
    for w in workouts:
        if w.id in assigned:
            continue
        todays = [a for a in by_day.get(w.date, ()) if a.id not in used]
        if todays:
            assigned[w.id] = todays
            used.update(a.id for a in todays)

    # 3. a day's leftover runs, as one unit, to an unmatched workout 1–2 days away
    leftover: dict[date, list[Activity]] = defaultdict(list)
    for a in runs:
        if a.id not in used:
            leftover[a.local_date].append(a)
    open_workouts = [w for w in workouts if w.id not in assigned and w.type is not WorkoutType.RACE]
    pairs = []
    for day, group in leftover.items():
        dist = sum(a.distance_m for a in group)
        for w in open_workouts:
            delta = (day - w.date).days
            if abs(delta) in NEARBY_DAYS:
                mismatch = abs(dist - w.distance_m) / max(w.distance_m, 1.0)
                # nearest first, then closest in distance, then done late before done early, then dates
                pairs.append(((abs(delta), round(mismatch, 3), delta < 0, day, w.date, w.id), day, w))
    pairs.sort(key=lambda p: p[0])
    taken_days: set[date] = set()
    for _, day, w in pairs:
        if day in taken_days or w.id in assigned:
            continue
        assigned[w.id] = leftover[day]
        taken_days.add(day)
        used.update(a.id for a in leftover[day])

    matches = tuple(
        Match(w.id, tuple(a.id for a in sorted(assigned[w.id], key=_key)))
        for w in workouts
        if w.id in assigned
    )
    extra = tuple(a.id for a in runs if a.id not in used)
    return MatchResult(matches=matches, extra=extra, ignored=ignored)


def colour(ratio: float | None) -> str:
    """The compliance colour (docs/science.md#compliance-colours) for completed/planned; None (not done) is red."""
    if ratio is None:
        return "red"
    if GREEN[0] <= ratio <= GREEN[1]:
        return "green"
    if YELLOW[0] <= ratio <= YELLOW[1]:
        return "yellow"
    return "red"


@dataclass(frozen=True, slots=True)
class WorkoutCompliance:
    workout_id: str
    status: str  # "completed", "missed", "planned", "rest"
    ratio: float | None  # completed / planned distance (duration when no distance is planned)
    colour: str | None  # "green" | "yellow" | "red" (docs/science.md#compliance-colours); None while planned
    activity_ids: tuple[int, ...]
    completed_m: float = 0.0
    completed_s: float = 0.0
    # A completed structured session's reps, read from the laps (planner/rep_scoring.py, docs/workouts.md)
    reps: RepScore | None = None


def workout_compliance(
    w: Workout,
    activities: Sequence[Activity],
    as_of: date,
    ids: tuple[int, ...] = (),
    *,
    easy_pace: tuple[float, float] | None = None,
) -> WorkoutCompliance:
    """Compliance colours on distance (duration when the workout has no distance target), and for a completed
    structured session its rep score (``easy_pace``, the athlete's E range, judges the recoveries).

    ``activities`` are the runs matched to ``w``.
    """
    if not w.is_run:
        return WorkoutCompliance(w.id, "rest", None, None, ())
    if activities:
        dist = sum(a.distance_m for a in activities)
        dur = float(sum(a.moving_time_s for a in activities))
        ratio = dist / w.distance_m if w.distance_m > 0 else (dur / w.duration_s if w.duration_s > 0 else 1.0)
        reps = score_runs(w, activities, easy_pace)
        return WorkoutCompliance(w.id, "completed", round(ratio, 3), colour(ratio), ids, dist, dur, reps)
    if w.date < as_of:
        return WorkoutCompliance(w.id, "missed", 0.0, "red", ())
    return WorkoutCompliance(w.id, "planned", None, None, ())


def plan_compliance(
    plan: Plan | Iterable[Workout], activities: Iterable[Activity], as_of: date
) -> dict[str, WorkoutCompliance]:
    """Status and colour of every workout, keyed by workout id (runs dated after ``as_of`` are ignored)."""
    acts = [a for a in activities if a.local_date <= as_of]
    result = match(plan, acts)
    by_id = {a.id: a for a in acts}
    assigned = result.by_workout()
    ws = plan.workouts() if isinstance(plan, Plan) else tuple(plan)
    easy = training_paces(plan.vdot).easy if isinstance(plan, Plan) else None
    out = {}
    for w in ws:
        ids = assigned.get(w.id, ())
        out[w.id] = workout_compliance(w, [by_id[i] for i in ids], as_of, ids, easy_pace=easy)
    return out
