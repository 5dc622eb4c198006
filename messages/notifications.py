"""The message of every athlete-facing notification, from plain values (no database here: plans/notify.py
gathers them). Each returns a ``Message``; ``plan_updated`` also returns the changed workouts, each with its
line of text, for the payload's machine fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import planner
from messages import catalogue, reasons, workouts
from messages import reps as rep_words
from messages.audience import Audience
from messages.catalogue import Message
from planner.rep_scoring import RepScore

# Before and after, per workout: None for a side that is newly planned or no longer planned.
Pairs = Sequence[tuple[planner.Workout | None, planner.Workout | None]]
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
    audience: Audience, pairs: Pairs | None, changes: Sequence[planner.Change] = ()
) -> tuple[WorkoutLine, ...]:
    """The changed workouts in date order: ``pairs`` (before, after) when known, even none, else (None) the
    changes' own diffs (one line per workout: its first "before" and last "after"); those whose change the
    athlete would not see are left out."""
    if pairs is None:
        by_id: dict[str, tuple[planner.Workout, planner.Workout]] = {}
        for change in changes:
            for diff in change.workouts:
                first = by_id.get(diff.after.id, (diff.before, diff.after))[0]
                by_id[diff.after.id] = (first, diff.after)
        pairs = [p for p in by_id.values() if p[0] != p[1]]
    ordered = sorted(pairs, key=lambda p: ((p[1] or p[0]).date, (p[1] or p[0]).id))  # type: ignore[union-attr]
    # A workout whose change the athlete cannot read anywhere (only the planner's shorthand differs) is no line.
    said = ((b, a, workouts.change_line(audience, b, a)) for b, a in ordered)
    return tuple(WorkoutLine(b, a, text) for b, a, text in said if text is not None)


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
    pairs: Pairs | None = None,
    notices: Sequence[planner.Notice] = (),
    goal: planner.Goal | None = None,
    start: date | None = None,
) -> PlanUpdate:
    """``changes``: the decisions in effect that this update made or revised (``revised``: the ids of those
    that revise an earlier message); ``ended``: those that no longer hold; ``pairs``: the future workouts
    these decisions changed (before, after), the only ones listed (None: not known, the changes' own diffs
    are listed); ``notices``, ``goal``, ``start``: a new plan's."""
    kind = _kind(cause, changes, ended)
    # The headline is the news: a decision this version made comes before one it revised.
    saying = sorted(told(changes, revised, pairs), key=lambda c: c.id in revised)
    said = [reasons.change_message(audience, c) for c in saying]
    said += [_ended_message(audience, e) for e in ended]
    if said and saying and saying[0].id in revised:
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


def told(
    changes: Sequence[planner.Change], revised: frozenset[str], pairs: Pairs | None
) -> list[planner.Change]:
    """The decisions to say: each new one, and each revision that touches a future workout that changed. A
    revision whose workouts are all behind the athlete (its figures were judged again once its week was over,
    while another decision changed the plan) has nothing left to tell them: "next week" would be a week gone."""
    if pairs is None:
        return list(changes)  # the changed workouts are not known here: say every one
    changed = {w.id for pair in pairs for w in pair if w is not None}
    return [
        c
        for c in changes
        if c.id not in revised
        or not c.workouts
        or any(d.before.id in changed or d.after.id in changed for d in c.workouts)
    ]


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


class PaceVerdict(StrEnum):
    """A steady run's average pace against its workout's pace range, as the athlete reads both."""

    WITHIN = "within"
    FASTER = "faster"
    SLOWER = "slower"


def pace_verdict(
    audience: Audience, workout: planner.Workout, done_m: float, done_s: float
) -> PaceVerdict | None:
    """Faster or slower than the workout's range, or within it, compared as the athlete reads the paces
    (whole seconds per km or per mile): never "faster than 5:23/km" of a run shown at 5:23/km. None where an
    average pace says nothing about the workout (repeats, walk breaks, a race) or cannot be had."""
    steady = workout.is_run and not workout.reps and workout.run_walk is None
    if not steady or workout.type is planner.WorkoutType.RACE or done_m <= 0 or done_s <= 0:
        return None
    pace = audience.pace_seconds(done_s / done_m * 1000)
    fast, slow = (audience.pace_seconds(end) for end in workout.pace)
    if pace < fast:
        return PaceVerdict.FASTER
    return PaceVerdict.SLOWER if pace > slow else PaceVerdict.WITHIN


def workout_matched(
    audience: Audience,
    workout: planner.Workout,
    *,
    done_m: float,
    colour: str | None,
    manual: bool,
    done_s: float = 0.0,
    runs: int = 1,
    reps: RepScore | Mapping[str, Any] | None = None,
) -> Message:
    """``done_m``, ``done_s``: the distance and moving time of the ``runs`` matched to the workout, the pace
    judged against its range (``pace_verdict``); ``reps``: a structured session's rep score (or its machine
    fields, messages/reps.py), said after the distance; None for other workouts."""
    said = rep_words.describe(audience, reps) if reps is not None else None
    verdict = pace_verdict(audience, workout, done_m, done_s)
    return catalogue.render(
        "workout_matched",
        audience,
        workout=workout,
        done_m=done_m,
        colour=colour or "",
        manual=manual,
        runs=runs,
        pace=done_s / done_m * 1000 if verdict else None,
        pace_verdict=str(verdict or ""),
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
