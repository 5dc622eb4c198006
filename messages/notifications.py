"""The message of every athlete-facing notification, from plain values (no database here: plans/notify.py
gathers them). Each returns a ``Message``; ``plan_updated`` also returns the changed workouts, each with its
line of text, for the payload's machine fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import planner
from messages import catalogue, reasons, workouts
from messages import reps as rep_words
from messages.audience import Audience
from messages.catalogue import Message
from planner.rep_scoring import RepScore

MAX_WORKOUT_LINES = 6  # a push stays short: the rest is "and N more workouts" (the page shows them all)
NEW_PLAN_CAUSES = frozenset({"generated", "uploaded"})
CAUSE_KINDS = {"undo": "undo", "resume": "resume"}


@dataclass(frozen=True)
class Ended:
    """A decision that no longer holds, with its last evaluation: undone by the athlete, or withdrawn."""

    change: planner.Change
    undone: bool


@dataclass(frozen=True)
class WorkoutLine:
    """One future workout that changed, and how the athlete reads it."""

    before: planner.Workout | None
    after: planner.Workout | None
    text: str

    @property
    def workout(self) -> planner.Workout:
        found = self.after or self.before
        assert found is not None  # an unchanged workout is no change
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "workout_id": self.workout.id,
            "date": self.workout.date.isoformat(),
            "before": _summary(self.before),
            "after": _summary(self.after),
            "text": self.text,
        }


def _summary(w: planner.Workout | None) -> dict[str, Any] | None:
    # SI units, like every machine field; the text says it in the athlete's units.
    if w is None:
        return None
    return {
        "date": w.date.isoformat(),
        "type": w.type.value,
        "distance_m": w.distance_m,
        "duration_s": w.duration_s,
        "pace_s_per_km": list(w.pace),
    }


@dataclass(frozen=True)
class PlanUpdate:
    message: Message
    workouts: tuple[WorkoutLine, ...]


def workout_lines(
    audience: Audience,
    pairs: Sequence[tuple[planner.Workout | None, planner.Workout | None]],
    changes: Sequence[planner.Change] = (),
) -> tuple[WorkoutLine, ...]:
    """The changed workouts in date order: ``pairs`` (before, after) when known, else the changes' own diffs
    (one line per workout: its first "before" and last "after")."""
    if not pairs:
        by_id: dict[str, tuple[planner.Workout, planner.Workout]] = {}
        for change in changes:
            for diff in change.workouts:
                first = by_id.get(diff.after.id, (diff.before, diff.after))[0]
                by_id[diff.after.id] = (first, diff.after)
        pairs = [p for p in by_id.values() if p[0] != p[1]]
    ordered = sorted(pairs, key=lambda p: ((p[1] or p[0]).date, (p[1] or p[0]).id))  # type: ignore[union-attr]
    return tuple(WorkoutLine(b, a, workouts.change_line(audience, b, a)) for b, a in ordered)


def _kind(cause: str, changes: Sequence[planner.Change], ended: Sequence[Ended]) -> str:
    if cause in NEW_PLAN_CAUSES:
        return "new_plan"
    if changes or ended:
        return "decisions"
    return CAUSE_KINDS.get(cause, "update")


def plan_updated(
    audience: Audience,
    *,
    cause: str,
    changes: Sequence[planner.Change] = (),
    ended: Sequence[Ended] = (),
    revised: frozenset[str] = frozenset(),
    pairs: Sequence[tuple[planner.Workout | None, planner.Workout | None]] = (),
    notices: Sequence[planner.Notice] = (),
    goal: planner.Goal | None = None,
    start: date | None = None,
) -> PlanUpdate:
    """``changes``: the decisions in effect that this update made or revised (``revised``: the ids of those
    that revise an earlier message); ``ended``: those that no longer hold; ``pairs``: the future workouts
    that changed (before, after); ``notices``, ``goal``, ``start``: a new plan's."""
    kind = _kind(cause, changes, ended)
    said = [reasons.change_message(audience, c) for c in changes]
    said += [_ended_message(audience, e) for e in ended]
    if said and changes and changes[0].id in revised:
        said[0] = Message(f"Update: {said[0].headline}", said[0].body, said[0].details)
    lines = () if kind == "new_plan" else workout_lines(audience, pairs, changes)
    message = catalogue.render(
        "plan_updated",
        audience,
        kind=kind,
        reasons=said,
        notices=[reasons.notice_message(audience, n) for n in notices] if kind == "new_plan" else [],
        goal=_goal(goal),
        start=start,
        lines=[line.text for line in lines[:MAX_WORKOUT_LINES]],
        more_lines=max(0, len(lines) - MAX_WORKOUT_LINES),
    )
    return PlanUpdate(message, lines)


def _goal(goal: planner.Goal | None) -> Mapping[str, Any]:
    if goal is None:
        return {"kind": "", "date": None, "distance_m": None}
    return {"kind": goal.kind.value, "date": goal.date, "distance_m": goal.distance_m}


def _ended_message(audience: Audience, ended: Ended) -> Message:
    earlier = reasons.change_message(audience, ended.change)
    return catalogue.render(
        "decision_ended",
        audience,
        undone=ended.undone,
        week_start=ended.change.week_start,
        earlier=earlier.headline,
    )


def workout_matched(
    audience: Audience,
    workout: planner.Workout,
    *,
    done_m: float,
    colour: str | None,
    manual: bool,
    reps: RepScore | Mapping[str, Any] | None = None,
) -> Message:
    """``reps``: a structured session's rep score (or its machine fields, messages/reps.py), said after the
    distance; None for other workouts."""
    said = rep_words.describe(audience, reps) if reps is not None else None
    return catalogue.render(
        "workout_matched",
        audience,
        workout=workout,
        done_m=done_m,
        colour=colour or "",
        manual=manual,
        reps=said,
    )


def workout_missed(
    audience: Audience, workout: planner.Workout, changes: Sequence[planner.Change | str] = ()
) -> Message:
    return catalogue.render("workout_missed", audience, workout=workout, reasons=_said(audience, changes))


def connection_revoked(audience: Audience) -> Message:
    return catalogue.render("connection_revoked", audience)


def _said(audience: Audience, changes: Sequence[planner.Change | str]) -> list[Message]:
    """Each change in the athlete's words; a reason known only as the planner's text (a caller that has no
    change at hand) is said as that text, cleaned. Each said once."""
    out: dict[str, Message] = {}
    for change in changes:
        if isinstance(change, str):
            text = reasons.plain(change)
            message = Message(headline=text.rstrip("."), body=text)
        else:
            message = reasons.change_message(audience, change)
        out.setdefault(message.headline, message)
    return list(out.values())
