"""The plan's past is history (docs/science.md#past-is-history): what adaptation keeps as the athlete was given it.

A workout is done once its day is over, and today's once a run of today counts: the athlete ran (or skipped) it as
the plan held it then, so no decision may change it afterwards. Adaptation re-derives the plan from its baseline
every time; ``Done`` lays the input plan's done workouts over that derivation, so the rules judge a week by what
was planned for its done days and the plan keeps them, and a change lists only what it made of a done workout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from planner.activity import Activity
from planner.plan import Change, Plan, Workout, WorkoutDiff


def first_open_day(runs: Iterable[Activity], as_of: date) -> date:
    """The first day whose workouts a decision may still change: ``as_of`` (today), or the day after once a run
    dated ``as_of`` counts (today is done: its workout was run as the plan held it)."""
    return as_of + timedelta(days=1) if any(a.local_date == as_of for a in runs) else as_of


@dataclass(frozen=True, slots=True)
class Done:
    """The input plan's done workouts, and where a derived workout may still go."""

    held: Mapping[str, Workout]  # the done workouts by id: kept exactly as the input plan holds them
    by_week: Mapping[date, tuple[Workout, ...]]  # week start → its done workouts, in date order
    known: frozenset[str]  # every workout id of the input plan
    open_from: date  # a workout the input plan does not hold may only appear from this day on

    @classmethod
    def of(cls, plan: Plan, open_from: date, ids: Iterable[str] | None = None) -> Done:
        """``ids``: the workouts the caller knows are done (it shows some on other days than planned); by default
        those dated before ``open_from``."""
        known = frozenset(w.id for w in plan.workouts())
        done = (
            frozenset(w.id for w in plan.workouts() if w.date < open_from) if ids is None else frozenset(ids)
        )
        by_week = {wk.start: tuple(w for w in wk.workouts if w.id in done) for wk in plan.weeks}
        held = {w.id: w for ws in by_week.values() for w in ws}
        return cls(held, by_week, known, open_from)

    def is_open(self, w: Workout) -> bool:
        """Whether a derived workout goes into the plan: not done, and not new on a day that is over."""
        return w.id not in self.held and (w.id in self.known or w.date >= self.open_from)

    def week(self, start: date, derived: Sequence[Workout]) -> tuple[Workout, ...]:
        """The week from ``start`` as the athlete has it: its done workouts as they were given, the rest as
        ``derived``."""
        kept = self.by_week.get(start, ())
        if not kept:
            return tuple(w for w in derived if self.is_open(w))
        return tuple(sorted([*kept, *(w for w in derived if self.is_open(w))], key=lambda w: w.date))

    def as_made(self, changes: Sequence[Change], derived: Iterable[Workout]) -> tuple[Change, ...]:
        """``changes`` with only the diffs they made of done workouts. Where the derivation (``derived``, every
        workout as the rules left it) ends a done workout as the input holds it, its changes took effect and are
        all kept. Otherwise some were decided after the athlete had it (a run synced the day it was run): per
        workout, the diffs up to the last one that gives what the input holds are kept, the rest dropped."""
        final = {w.id: w for w in derived}
        chains: dict[str, list[tuple[int, int]]] = {}
        for i, change in enumerate(changes):
            for j, diff in enumerate(change.workouts):
                held = self.held.get(diff.after.id)
                if held is not None and final.get(held.id) != held:
                    chains.setdefault(held.id, []).append((i, j))
        dropped: set[tuple[int, int]] = set()
        for workout_id, chain in chains.items():
            held = self.held[workout_id]
            made = [n for n, (i, j) in enumerate(chain) if changes[i].workouts[j].after == held]
            dropped.update(chain[made[-1] + 1 :] if made else chain)
        if not dropped:
            return tuple(changes)
        return tuple(
            replace(c, workouts=_kept(c.workouts, {j for i2, j in dropped if i2 == i}))
            for i, c in enumerate(changes)
        )


def _kept(diffs: Sequence[WorkoutDiff], dropped: set[int]) -> tuple[WorkoutDiff, ...]:
    return tuple(d for j, d in enumerate(diffs) if j not in dropped) if dropped else tuple(diffs)
