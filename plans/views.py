"""Read models of a stored plan for the API and the CLI: weeks, workouts with their matches and compliance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import planner
from messages import Audience
from messages import reps as rep_words
from planner.rep_scoring import RepScore
from plans import decisions
from plans.service import Loaded
from store import plan_repository
from store.db import as_utc
from store.plan_models import DecisionStatus, MatchSource, OverrideKind


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


def rep_score(reader: Audience, score: RepScore | None) -> dict[str, Any] | None:
    """A matched structured session's rep score: the machine fields (as `workout.matched` carries them) and
    `text`, the sentence in the athlete's units; None for other workouts and those not run yet."""
    if score is None:
        return None
    fields = rep_words.fields(score)
    return {**fields, "text": rep_words.describe(reader, fields).text()}


def plan_detail(session: Session, loaded: Loaded) -> dict[str, Any]:
    plan, row = loaded.view, loaded.row
    matched = _matched(session, loaded)
    runs = {a.id: a for a in loaded.runs_until(loaded.today)}
    moves = {o.workout_id: o.moved_from for o in loaded.overrides if o.kind == OverrideKind.MOVE}
    summaries = {s.start: s for s in weeks(loaded)}
    easy = planner.training_paces(plan.vdot).easy  # judges the recoveries (docs/workouts.md#rep-scoring)
    reader = Audience.of(loaded.athlete.units, row.timezone or loaded.athlete.timezone)
    out_weeks = []
    for week in plan.weeks:
        workouts = []
        for w in week.workouts:
            pairs = matched.get(w.id, [])
            ids = tuple(a for a, _ in pairs)
            c = planner.workout_compliance(
                w, [runs[i] for i in ids if i in runs], loaded.today, ids, easy_pace=easy
            )
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
                    "rep_score": rep_score(reader, c.reps),
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
    """Every decision ever made for the plan with its revisions (docs/api.md#decisions), newest decision first
    (by the version that first made it, then by id: an order a later revision never changes)."""
    current = {c.id: c for c in loaded.view.changes}
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in plan_repository.revisions(session, loaded.row.id):
        history[r.change_id].append(
            {
                "revision": r.revision,
                "version": r.version,
                "status": r.status,
                "reason": r.reason,
                "workouts": r.change.get("workouts", []),
                "at": as_utc(r.created_at).isoformat(),
            }
        )
    return [
        {
            "id": d.change_id,
            "code": d.code,
            "week_start": d.week_start.isoformat(),
            "reason": d.reason,
            "workouts": d.change.get("workouts", []),
            "status": d.status,
            "revision": d.revision,
            "version": d.version,
            "first_version": d.first_version,
            "undone": d.status == DecisionStatus.UNDONE,
            "active": d.status == DecisionStatus.ACTIVE
            and d.change_id in current
            and decisions.same_evaluation(d.change, current[d.change_id]),
            "revisions": history[d.change_id],
        }
        for d in plan_repository.decisions(session, loaded.row.id)
    ]
