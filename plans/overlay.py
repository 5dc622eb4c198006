"""The athlete's hand edits, applied on top of what the planner derives.

The planner re-derives future weeks from its baseline on every adaptation, so an edit made to a stored plan
would be lost at the next synced run. Edits are therefore stored apart (`plan_overrides`) and applied here:

* **moves** change a workout's date inside its plan week. Adaptation runs on the planner's own plan (moves
  taken out, `without_moves`), so "the past is never rewritten" holds for it; the moves are put back on the
  result (`with_moves`). A move whose workout no longer exists is skipped.
* **pairs** (this run is this workout) and **unpairs** (this run is not this workout) are applied to
  `planner.match`'s result: a workout with manual pairs is fulfilled by exactly those runs (its automatic
  runs become extras), a manually paired run leaves any other workout, and an unpaired run leaves that
  workout. Matching feeds the matches, compliance and notifications; the adaptation rules themselves look at
  all runs of a week, so pairing never changes volumes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

import planner
from store.plan_models import MatchSource, OverrideKind, PlanOverride


def _moved(plan: planner.Plan, dates: dict[str, date]) -> planner.Plan:
    if not dates:
        return plan
    weeks = []
    for week in plan.weeks:
        workouts = tuple(
            sorted(
                (replace(w, date=dates[w.id]) if w.id in dates else w for w in week.workouts),
                key=lambda w: (w.date, w.id),
            )
        )
        weeks.append(replace(week, workouts=workouts))
    return replace(plan, weeks=tuple(weeks))


def with_moves(plan: planner.Plan, overrides: Iterable[PlanOverride]) -> planner.Plan:
    return _moved(
        plan, {o.workout_id: o.moved_to for o in overrides if o.kind == OverrideKind.MOVE and o.moved_to}
    )


def without_moves(plan: planner.Plan, overrides: Iterable[PlanOverride]) -> planner.Plan:
    return _moved(
        plan,
        {o.workout_id: o.moved_from for o in overrides if o.kind == OverrideKind.MOVE and o.moved_from},
    )


def matches(
    plan: planner.Plan, activities: Sequence[planner.Activity], overrides: Iterable[PlanOverride]
) -> dict[str, list[tuple[int, MatchSource]]]:
    """workout id → [(activity id, "auto" | "manual")], hand edits applied on top of planner.match."""
    runs = {a.id for a in activities if a.is_run}
    workouts = {w.id for w in plan.workouts()}
    edits = [o for o in overrides if o.activity_id in runs and o.workout_id in workouts]
    pairs = [(o.workout_id, o.activity_id) for o in edits if o.kind == OverrideKind.PAIR]
    unpairs = {(o.workout_id, o.activity_id) for o in edits if o.kind == OverrideKind.UNPAIR}
    manual_workouts = {w for w, _ in pairs}
    manual_runs = {a for _, a in pairs}
    out: dict[str, list[tuple[int, MatchSource]]] = {}
    for m in planner.match(plan, activities).matches:
        if m.workout_id in manual_workouts:
            continue
        kept = [
            (a, MatchSource.AUTO)
            for a in m.activity_ids
            if a not in manual_runs and (m.workout_id, a) not in unpairs
        ]
        if kept:
            out[m.workout_id] = kept
    for workout_id, activity_id in pairs:
        if activity_id is not None:
            out.setdefault(workout_id, []).append((activity_id, MatchSource.MANUAL))
    return out
