"""Plain-JSON round trip for plans, workouts and changes: ``x == from_dict(json.loads(json.dumps(to_dict(x))))``.

Dates are ISO strings, enums their string values, tuples lists, floats kept as floats. ``SCHEMA_VERSION`` is
stored with a plan so that a database row written today can be read after the format grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from planner.plan import (
    Athlete,
    Change,
    Facts,
    FactValue,
    Goal,
    GoalKind,
    GoalVerdict,
    Notice,
    Phase,
    Plan,
    RaceResult,
    RepSet,
    RunWalk,
    Week,
    Workout,
    WorkoutDiff,
    WorkoutType,
)

# 2: goal time and verdict, break length, run/walk steps; 3: facts on changes, plan notices (all optional when read)
SCHEMA_VERSION = 3
JSON = dict[str, Any]


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _pair(value: Any) -> tuple[float, float]:
    return (float(value[0]), float(value[1]))


def repset_to_dict(r: RepSet) -> JSON:
    return {
        "count": r.count,
        "distance_m": r.distance_m,
        "pace": list(r.pace),
        "recovery_s": r.recovery_s,
        "label": r.label,
    }


def repset_from_dict(d: JSON) -> RepSet:
    return RepSet(
        count=int(d["count"]),
        distance_m=float(d["distance_m"]),
        pace=_pair(d["pace"]),
        recovery_s=float(d.get("recovery_s", 0.0)),
        label=str(d.get("label", "")),
    )


def workout_to_dict(w: Workout) -> JSON:
    return {
        "id": w.id,
        "date": w.date.isoformat(),
        "type": w.type.value,
        "distance_m": w.distance_m,
        "duration_s": w.duration_s,
        "pace": list(w.pace),
        "warmup_m": w.warmup_m,
        "reps": [repset_to_dict(r) for r in w.reps],
        "cooldown_m": w.cooldown_m,
        "strides": w.strides,
        "note": w.note,
        "run_walk": (
            {"count": w.run_walk.count, "run_s": w.run_walk.run_s, "walk_s": w.run_walk.walk_s}
            if w.run_walk
            else None
        ),
    }


def workout_from_dict(d: JSON) -> Workout:
    return Workout(
        id=str(d["id"]),
        date=date.fromisoformat(d["date"]),
        type=WorkoutType(d["type"]),
        distance_m=float(d["distance_m"]),
        duration_s=float(d["duration_s"]),
        pace=_pair(d["pace"]),
        warmup_m=float(d.get("warmup_m", 0.0)),
        reps=tuple(repset_from_dict(r) for r in d.get("reps", ())),
        cooldown_m=float(d.get("cooldown_m", 0.0)),
        strides=int(d.get("strides", 0)),
        note=str(d.get("note", "")),
        run_walk=_run_walk(d.get("run_walk")),
    )


def _run_walk(d: JSON | None) -> RunWalk | None:
    if not d:
        return None
    return RunWalk(count=int(d["count"]), run_s=float(d["run_s"]), walk_s=float(d["walk_s"]))


def facts_to_dict(facts: Mapping[str, FactValue]) -> JSON:
    return dict(facts)


def facts_from_dict(d: JSON | None) -> Facts:
    """Facts as stored; a change or notice stored before facts existed has none (an empty mapping)."""
    return Facts({str(k): v for k, v in (d or {}).items() if isinstance(v, (bool, int, float, str))})


def change_to_dict(c: Change) -> JSON:
    return {
        "id": c.id,
        "code": c.code,
        "week_start": c.week_start.isoformat(),
        "reason": c.reason,
        "facts": facts_to_dict(c.facts),
        "workouts": [
            {"before": workout_to_dict(x.before), "after": workout_to_dict(x.after)} for x in c.workouts
        ],
    }


def change_from_dict(d: JSON) -> Change:
    return Change(
        id=str(d["id"]),
        code=str(d["code"]),
        week_start=date.fromisoformat(d["week_start"]),
        reason=str(d["reason"]),
        workouts=tuple(
            WorkoutDiff(workout_from_dict(x["before"]), workout_from_dict(x["after"]))
            for x in d.get("workouts", ())
        ),
        facts=facts_from_dict(d.get("facts")),
    )


def notice_to_dict(n: Notice) -> JSON:
    return {"code": n.code, "text": n.text, "facts": facts_to_dict(n.facts)}


def notice_from_dict(d: JSON) -> Notice:
    return Notice(code=str(d["code"]), text=str(d["text"]), facts=facts_from_dict(d.get("facts")))


def athlete_to_dict(a: Athlete) -> JSON:
    return {
        "weekly_km": a.weekly_km,
        "runs_per_week": a.runs_per_week,
        "long_run_day": a.long_run_day,
        "run_days": list(a.run_days),
        "vdot": a.vdot,
        "recent_race": (
            {"distance_m": a.recent_race.distance_m, "time_s": a.recent_race.time_s}
            if a.recent_race
            else None
        ),
        "max_hr": a.max_hr,
        "long_run_km": a.long_run_km,
        "break_days": a.break_days,
        "cross_training": a.cross_training,
    }


def athlete_from_dict(d: JSON) -> Athlete:
    race = d.get("recent_race")
    return Athlete(
        weekly_km=float(d["weekly_km"]),
        runs_per_week=int(d["runs_per_week"]),
        long_run_day=int(d.get("long_run_day", 6)),
        run_days=tuple(int(x) for x in d.get("run_days", ())),
        vdot=None if d.get("vdot") is None else float(d["vdot"]),
        recent_race=RaceResult(float(race["distance_m"]), float(race["time_s"])) if race else None,
        max_hr=None if d.get("max_hr") is None else float(d["max_hr"]),
        long_run_km=None if d.get("long_run_km") is None else float(d["long_run_km"]),
        break_days=int(d.get("break_days", 0)),
        cross_training=bool(d.get("cross_training", False)),
    )


def goal_to_dict(g: Goal) -> JSON:
    return {"kind": g.kind.value, "date": g.date.isoformat(), "distance_m": g.distance_m, "time_s": g.time_s}


def goal_from_dict(d: JSON) -> Goal:
    dist = d.get("distance_m")
    return Goal(
        kind=GoalKind(d["kind"]),
        date=date.fromisoformat(d["date"]),
        distance_m=None if dist is None else float(dist),
        time_s=None if d.get("time_s") is None else float(d["time_s"]),
    )


def week_to_dict(w: Week) -> JSON:
    return {
        "index": w.index,
        "start": w.start.isoformat(),
        "phase": w.phase.value,
        "workouts": [workout_to_dict(x) for x in w.workouts],
    }


def week_from_dict(d: JSON) -> Week:
    return Week(
        index=int(d["index"]),
        start=date.fromisoformat(d["start"]),
        phase=Phase(d["phase"]),
        workouts=tuple(workout_from_dict(x) for x in d["workouts"]),
    )


def plan_to_dict(p: Plan) -> JSON:
    return {
        "schema": SCHEMA_VERSION,
        "athlete": athlete_to_dict(p.athlete),
        "goal": goal_to_dict(p.goal),
        "start": p.start.isoformat(),
        "base_vdot": p.base_vdot,
        "vdot": p.vdot,
        "weeks": [week_to_dict(w) for w in p.weeks],
        "warnings": list(p.warnings),
        "unsafe": p.unsafe,
        "unsafe_reason": p.unsafe_reason,
        "changes": [change_to_dict(c) for c in p.changes],
        "suppressed": sorted(p.suppressed),
        "as_of": p.as_of.isoformat() if p.as_of else None,
        "predicted_time_s": p.predicted_time_s,
        "goal_verdict": p.goal_verdict.value,
        "notices": [notice_to_dict(n) for n in p.notices],
        "replanned_from": [[week.isoformat(), day.isoformat()] for week, day in p.replanned_from],
    }


def plan_from_dict(d: JSON) -> Plan:
    if int(d.get("schema", SCHEMA_VERSION)) > SCHEMA_VERSION:
        raise ValueError(f"plan schema {d['schema']} is newer than this code ({SCHEMA_VERSION})")
    return Plan(
        athlete=athlete_from_dict(d["athlete"]),
        goal=goal_from_dict(d["goal"]),
        start=date.fromisoformat(d["start"]),
        base_vdot=float(d["base_vdot"]),
        vdot=float(d["vdot"]),
        weeks=tuple(week_from_dict(w) for w in d["weeks"]),
        warnings=tuple(str(x) for x in d.get("warnings", ())),
        unsafe=bool(d.get("unsafe", False)),
        unsafe_reason=str(d.get("unsafe_reason", "")),
        changes=tuple(change_from_dict(c) for c in d.get("changes", ())),
        suppressed=frozenset(str(x) for x in d.get("suppressed", ())),
        as_of=_d(d.get("as_of")),
        predicted_time_s=None if d.get("predicted_time_s") is None else float(d["predicted_time_s"]),
        goal_verdict=GoalVerdict(d.get("goal_verdict", "")),
        notices=tuple(notice_from_dict(n) for n in d.get("notices", ())),
        replanned_from=tuple(
            (date.fromisoformat(week), date.fromisoformat(day)) for week, day in d.get("replanned_from", ())
        ),
    )
