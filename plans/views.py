"""Read models of a stored plan for the API and the CLI: weeks, workouts with their matches and compliance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import planner
from plans.service import Loaded
from store import plan_repository
from store.plan_models import MatchSource, OverrideKind


@dataclass(frozen=True)
class WeekSummary:
    index: int
    start: str
    phase: str
    planned_km: float
    done_km: float
    colour: str | None  # docs/science.md#compliance-colours on the week's volume, once the week is over
    planned_hard_share: float  # share of planned time at threshold or faster
    done_hard_share: float
    changes: tuple[str, ...]  # ids of the changes to this week


def _matched(session: Session, loaded: Loaded) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for m in plan_repository.matches(session, loaded.row.id):
        out[m.workout_id].append((m.activity_id, m.source))
    return out


def weeks(loaded: Loaded) -> list[WeekSummary]:
    plan = loaded.view
    zones = planner.Zones.from_paces(planner.training_paces(plan.vdot), plan.athlete.max_hr)
    runs = loaded.runs_until(loaded.today)
    out = []
    for week in plan.weeks:
        load = planner.week_load(week.start, week.workouts, runs, zones, spikes=False)
        over = week.end < loaded.today
        ratio = load.completed_km / load.planned_km if load.planned_km else None
        out.append(
            WeekSummary(
                index=week.index,
                start=week.start.isoformat(),
                phase=week.phase.value,
                planned_km=round(load.planned_km, 1),
                done_km=round(load.completed_km, 1),
                colour=planner.colour(ratio) if over and ratio is not None else None,
                planned_hard_share=round(load.planned_hard_share, 3),
                done_hard_share=round(load.hard_share, 3),
                changes=tuple(c.id for c in plan.changes if c.week_start == week.start),
            )
        )
    return out


def plan_detail(session: Session, loaded: Loaded) -> dict[str, Any]:
    plan, row = loaded.view, loaded.row
    matched = _matched(session, loaded)
    runs = {a.id: a for a in loaded.runs_until(loaded.today)}
    moves = {o.workout_id: o.moved_from for o in loaded.overrides if o.kind == OverrideKind.MOVE}
    summaries = {s.start: s for s in weeks(loaded)}
    out_weeks = []
    for week in plan.weeks:
        workouts = []
        for w in week.workouts:
            pairs = matched.get(w.id, [])
            ids = tuple(a for a, _ in pairs)
            c = planner.workout_compliance(w, [runs[i] for i in ids if i in runs], loaded.today, ids)
            moved_from = moves.get(w.id)
            workouts.append(
                {
                    **planner.workout_to_dict(w),
                    "moved_from": moved_from.isoformat() if moved_from else None,
                    "status": c.status,
                    "ratio": c.ratio,
                    "colour": c.colour,
                    "activity_ids": list(ids),
                    "manual": any(source == MatchSource.MANUAL for _, source in pairs),
                }
            )
        summary = summaries[week.start.isoformat()]
        out_weeks.append({**summary.__dict__, "changes": list(summary.changes), "workouts": workouts})
    return {
        "athlete_id": row.athlete_id,
        "plan_id": row.id,
        "version": row.version,
        "source": row.source,
        "timezone": row.timezone,
        "today": loaded.today.isoformat(),
        "as_of": plan.as_of.isoformat() if plan.as_of else None,
        "paused_until": loaded.athlete.paused_until.isoformat() if loaded.athlete.paused_until else None,
        "pause_reason": row.pause_reason,
        "goal": planner.plan_to_dict(plan)["goal"],
        "vdot": round(plan.vdot, 1),
        "warnings": list(plan.warnings),
        "weeks": out_weeks,
        "changes": change_list(session, loaded),
        "plan": planner.plan_to_dict(plan),
    }


def change_list(session: Session, loaded: Loaded) -> list[dict[str, Any]]:
    """Every change ever stored for the plan, newest version first; `active` if the current plan has it."""
    current = {c.id: c for c in loaded.view.changes}
    rows = sorted(plan_repository.changes(session, loaded.row.id), key=lambda c: (-c.version, c.id))
    return [
        {
            "id": c.change_id,
            "code": c.code,
            "week_start": c.week_start.isoformat(),
            "reason": c.reason,
            "version": c.version,
            "undone": c.undone,
            "active": current.get(c.change_id) == planner.change_from_dict(c.change),
            "workouts": c.change.get("workouts", []),
        }
        for c in rows
    ]
