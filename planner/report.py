"""The plan as coaches and the scenario tool see it: weeks, workouts with status and compliance, changes.

Pure: ``plan_report(plan, activities, as_of)`` returns plain JSON-able data (the format is documented in
docs/scenario.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from planner.activity import Activity
from planner.intensity import RunIntensity, Zones, run_intensity
from planner.load import acwr, acwr_seed
from planner.matching import colour, match, workout_compliance
from planner.paces import training_paces
from planner.plan import Change, Plan, Workout


def _r(x: float, nd: int = 1) -> float:
    return round(x, nd)


def workout_brief(w: Workout) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": w.id,
        "date": w.date.isoformat(),
        "type": w.type.value,
        "distance_m": _r(w.distance_m, 0),
        "duration_s": _r(w.duration_s, 0),
        "pace_s_per_km": [_r(w.pace[0]), _r(w.pace[1])],
    }
    if w.reps:
        out["warmup_m"] = _r(w.warmup_m, 0)
        out["reps"] = [
            {
                "count": r.count,
                "distance_m": _r(r.distance_m, 0),
                "pace_s_per_km": [_r(r.pace[0]), _r(r.pace[1])],
                "recovery_s": _r(r.recovery_s, 0),
                "at": r.label,
            }
            for r in w.reps
        ]
        out["cooldown_m"] = _r(w.cooldown_m, 0)
    if w.strides:
        out["strides"] = w.strides
    out["description"] = w.note
    return out


def change_brief(c: Change) -> dict[str, Any]:
    return {
        "id": c.id,
        "code": c.code,
        "week_start": c.week_start.isoformat(),
        "reason": c.reason,
        "facts": dict(c.facts),  # the numbers behind the reason, by code (planner/reasons.py)
        "workouts": [
            {
                "id": d.after.id,
                "date": d.after.date.isoformat(),
                "before": workout_brief(d.before),
                "after": workout_brief(d.after),
            }
            for d in c.workouts
        ],
    }


def plan_report(plan: Plan, activities: Iterable[Activity], as_of: date) -> dict[str, Any]:
    acts = [a for a in activities if a.local_date <= as_of]
    runs = [a for a in acts if a.is_run]
    paces = training_paces(plan.vdot)
    zones = Zones.from_paces(paces, plan.athlete.max_hr)
    result = match(plan, acts)
    by_workout = result.by_workout()
    by_id = {a.id: a for a in acts}
    # ACWR is information only (docs/science.md#acwr), seeded from the runs before the plan when known
    seed = acwr_seed(runs, plan.start, plan.athlete.weekly_km, sum(paces.easy) / 2)
    weeks = []
    for week in plan.weeks:
        in_week = [a for a in runs if week.start <= a.local_date <= week.end]
        done_km = sum(a.distance_m for a in in_week) / 1000
        intensity = RunIntensity()
        for a in in_week:
            intensity = intensity + run_intensity(a, zones)
        workouts = []
        for w in week.workouts:
            ids = by_workout.get(w.id, ())
            wc = workout_compliance(w, [by_id[i] for i in ids], as_of, ids)
            item = workout_brief(w)
            item.update(
                {
                    "status": wc.status,
                    "compliance": wc.colour,
                    "compliance_pct": None if wc.ratio is None else round(wc.ratio * 100),
                    "matched_activity_ids": list(ids),
                }
            )
            workouts.append(item)
        finished = week.end < as_of
        ratio = done_km / week.planned_km if week.planned_km > 0 else None
        ewma = acwr(runs, plan.start, week.end, seed) if finished else None
        weeks.append(
            {
                "start": week.start.isoformat(),
                "phase": week.phase.value,
                "planned_km": _r(week.planned_km),
                "completed_km": _r(done_km),
                "compliance": colour(ratio) if finished else None,
                "compliance_pct": round(ratio * 100) if finished and ratio is not None else None,
                "minutes": {
                    "easy": _r(intensity.easy_s / 60),
                    "marathon": _r(intensity.marathon_s / 60),
                    "threshold": _r(intensity.threshold_s / 60),
                    "interval_or_faster": _r(intensity.interval_s / 60),
                },
                "acwr": None if ewma is None else _r(ewma, 2),
                "workouts": workouts,
            }
        )
    warnings = list(plan.warnings)
    return {
        "vdot": _r(plan.vdot, 2),
        "base_vdot": _r(plan.base_vdot, 2),
        "paces": paces.as_dict(),
        "unsafe": plan.unsafe,
        "weeks": weeks,
        "changes": [change_brief(c) for c in plan.changes],
        "extra_activity_ids": list(result.extra),
        "ignored_activity_ids": list(result.ignored),
        "warnings": warnings,
        "notices": [{"code": n.code, "text": n.text, "facts": dict(n.facts)} for n in plan.notices],
    }
