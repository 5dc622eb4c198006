"""Decisions, not events (docs/api.md#decisions): what an adaptation changed about the plan's future.

A decision is identified by what it decides about: the plan and the planner's change id ("code@week-start",
the cause and the week). Each stored version compares the planner's changes with the stored decisions: a new
id is a new decision; an id judged differently (other workouts or other facts in its reason) is the next
revision of the same decision; an id the planner no longer produces is withdrawn, or undone when the athlete
suppressed it. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from typing import Any

import planner
from store.plan_models import DecisionStatus, PlanDecision
from store.plan_repository import DecisionRevision

# notification_outbox.idempotency_key is VARCHAR(200): longer lists of decisions are named by their digest.
KEY_MAX = 200


@dataclass(frozen=True)
class WorkoutChange:
    """One future workout, before and after a stored version (docs/api.md#decisions)."""

    before: planner.Workout | None  # None: newly planned
    after: planner.Workout | None  # None: no longer planned

    @property
    def workout(self) -> planner.Workout:
        """The workout as planned now, or as it was planned when no longer planned."""
        found = self.after or self.before
        assert found is not None  # never both: an unchanged workout is no change
        return found

    @property
    def workout_id(self) -> str:
        return self.workout.id


def _future(plan: planner.Plan, today: date) -> dict[str, dict[str, Any]]:
    # Compared as stored (planner.workout_to_dict): what the athlete is shown, not the planner's bookkeeping.
    return {w.id: planner.workout_to_dict(w) for w in plan.workouts() if w.date >= today}


def future_workout_changes(
    before: planner.Plan, after: planner.Plan, today: date
) -> tuple[WorkoutChange, ...]:
    """The workouts from `today` on that differ between two plans, in date order (`as_of`, the plan's changes,
    its VDOT and warnings are not workouts: alone they change nothing the athlete runs)."""
    old, new = _future(before, today), _future(after, today)
    differ = [i for i in old.keys() | new.keys() if old.get(i) != new.get(i)]
    by_id = {w.id: w for w in (*before.workouts(), *after.workouts())}
    differ.sort(key=lambda i: (by_id[i].date, i))
    was = {w.id: w for w in before.workouts() if w.id in old}
    now = {w.id: w for w in after.workouts() if w.id in new}
    return tuple(WorkoutChange(was.get(i), now.get(i)) for i in differ)


def announced(
    revised: Sequence[DecisionRevision], produced: Mapping[str, planner.Change]
) -> tuple[planner.Change, ...]:
    """What a message about ``revised`` speaks of: each decision in effect as the new version judges it
    (``produced``: the version's changes by id), and each one that ended as it last stood."""
    return tuple(
        produced[r.change_id] if r.status is DecisionStatus.ACTIVE else planner.change_from_dict(r.change)
        for r in revised
    )


def decided_workout_changes(
    workouts: Sequence[WorkoutChange], decided: Iterable[planner.Change], plan: planner.Plan
) -> tuple[WorkoutChange, ...]:
    """Of a version's changed future workouts (`future_workout_changes`), those the ``decided`` changes made:
    each workout one of their diffs names, and one newly planned or no longer planned in a week where one of
    them changed a workout (a diff pairs a workout with its next state, so it never names one added or removed;
    ``plan``: the new plan, for its weeks). A workout that changed for another reason (the athlete moved it,
    a decision not among ``decided``) is not theirs to tell.

    Each keeps the version's from → to: as the athlete had it before this version, and as they have it now.
    Not the decision's own diff: that starts where the planner's derivation stood before the decision, which
    for a decision revised in place is before its first message, a part the athlete was told already."""
    diffs = [d for change in decided for d in change.workouts]
    named = {d.after.id for d in diffs}
    weeks = {_week_start(plan, d.after.date) for d in diffs} - {None}
    return tuple(
        w
        for w in workouts
        if w.workout_id in named
        or ((w.before is None or w.after is None) and _week_start(plan, w.workout.date) in weeks)
    )


def _week_start(plan: planner.Plan, day: date) -> date | None:
    week = plan.week_of(day)
    return week.start if week is not None else None


def _revision(change: planner.Change, revision: int) -> DecisionRevision:
    return DecisionRevision(
        change_id=change.id,
        code=change.code,
        week_start=change.week_start,
        revision=revision,
        status=DecisionStatus.ACTIVE,
        reason=change.reason,
        change=planner.change_to_dict(change),
    )


def _ended(known: PlanDecision, status: DecisionStatus) -> DecisionRevision:
    # The last evaluation is kept with the withdrawal or the undo: the history says what ended.
    return DecisionRevision(
        change_id=known.change_id,
        code=known.code,
        week_start=known.week_start,
        revision=known.revision + 1,
        status=status,
        reason=known.reason,
        change=known.change,
    )


def same_evaluation(stored: dict[str, Any], change: planner.Change) -> bool:
    # Both through the planner's serialisation: equal evaluations compare equal whatever JSON made of numbers.
    return planner.change_to_dict(planner.change_from_dict(stored)) == planner.change_to_dict(change)


def revisions(
    known: Mapping[str, PlanDecision], current: Iterable[planner.Change], suppressed: AbstractSet[str]
) -> list[DecisionRevision]:
    """The decisions a newly stored version creates, revises, withdraws or undoes, by week then id.

    `known`: the stored decisions by change id; `current`: every change of the new version;
    `suppressed`: the change ids the athlete undid (the new version's `suppressed`)."""
    out = []
    produced = {c.id: c for c in current}
    for change in produced.values():
        stored = known.get(change.id)
        if stored is None:
            out.append(_revision(change, 1))
        elif stored.status != DecisionStatus.ACTIVE or not same_evaluation(stored.change, change):
            out.append(_revision(change, stored.revision + 1))
    for stored in known.values():
        if stored.status == DecisionStatus.ACTIVE and stored.change_id not in produced:
            undone = stored.change_id in suppressed
            out.append(_ended(stored, DecisionStatus.UNDONE if undone else DecisionStatus.WITHDRAWN))
    return sorted(out, key=lambda r: (r.week_start, r.change_id))


def announcement_key(event_type: str, plan_id: int, revised: Sequence[DecisionRevision]) -> str:
    """The idempotency key of the one message about these revisions: it names each decision and revision,
    so the same revisions written again (a replayed transaction) are the same row, and any later revision
    is a new one. A list too long for the key is named by its digest."""
    names = ",".join(sorted(f"{r.change_id}#r{r.revision}" for r in revised))
    key = f"{event_type}:{plan_id}:{names}"
    if len(key) <= KEY_MAX:
        return key
    return f"{event_type}:{plan_id}:sha256:{hashlib.sha256(names.encode()).hexdigest()}"
