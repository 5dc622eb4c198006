"""The plan's past is history (docs/science.md#past-is-history): what adaptation keeps as the athlete was given it.

A workout is done once its day is over, and today's once a run of today counts: the athlete ran (or skipped) it as
the plan held it then, so no decision may change it afterwards. Adaptation re-derives the plan from its baseline
every time; ``Done`` lays the input plan's done workouts over that derivation, so the rules judge a week by what
was planned for its done days and the plan keeps them, and a change lists only what it made of a done workout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from planner.activity import Activity
from planner.plan import Change, Plan, Workout, WorkoutDiff, WorkoutType


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


@dataclass(frozen=True, slots=True)
class UnderWay:
    """A week that a decision re-plans while it is under way: the days before ``open_from`` are behind the
    athlete. The week still holds the volume the decision names, so the days left carry that volume less what the
    days behind count for: their planned km, or what was run on them if that was clearly more (missed km are not
    made up, extra km are not run twice)."""

    open_from: date
    held: tuple[Workout, ...]  # the week's workouts before ``open_from``, as the athlete was given them
    behind_m: float  # what the days before ``open_from`` count for: planned km, or run km if clearly more

    @classmethod
    def of(cls, done: Done, week_start: date, open_from: date, runs: Iterable[Activity]) -> UnderWay:
        held = tuple(w for w in done.by_week.get(week_start, ()) if w.date < open_from)
        run_m = sum(a.distance_m for a in runs if week_start <= a.local_date < open_from)
        planned_m = _training_m(held)
        # a run a little longer than planned (GPS, a detour) is the run planned: only a clear overrun is
        # taken off the days left, so a few metres never re-plan the week
        behind_m = run_m if run_m > planned_m * (1 + OVERRUN_MARGIN) else planned_m
        return cls(open_from, held, behind_m)

    def fit(self, target_km: float, build: Callable[[float], Sequence[Workout]]) -> tuple[Workout, ...]:
        """The week at ``target_km``: its days left as ``build`` makes them, for the largest week volume whose
        days left make room for what the days behind count for beyond what ``build`` puts on them; a week already
        run to its volume keeps only what is not a run on its days left (the race stays). The days behind are
        derived as for the whole week: the athlete keeps what they were given (``Done``), and each change keeps
        the part it made of them."""
        whole = build(target_km)
        behind = [w for w in whole if w.date < self.open_from]
        excess = self.behind_m - _training_m(behind)
        chosen = whole
        if excess > FIT_TOLERANCE_M:
            chosen = self._largest_within(self._left_m(whole) - excess, target_km, build)
        return (*behind, *(w for w in chosen if w.date >= self.open_from))

    def _left_m(self, workouts: Iterable[Workout]) -> float:
        return _training_m(w for w in workouts if w.date >= self.open_from)

    def _largest_within(
        self, budget_m: float, target_km: float, build: Callable[[float], Sequence[Workout]]
    ) -> Sequence[Workout]:
        # bisection on the week's volume: what the days left get grows with it (in steps: runs are dropped
        # as a week gets small), so the largest volume within the budget is found to a fraction of a run
        lo, hi = 0.0, target_km
        best: Sequence[Workout] | None = None
        for _ in range(FIT_STEPS):
            mid = (lo + hi) / 2
            trial = build(mid)
            if self._left_m(trial) <= budget_m + FIT_TOLERANCE_M:
                best, lo = trial, mid
            else:
                hi = mid
        if best is None:
            return [w for w in build(target_km) if not _is_training(w)]
        return best


OVERRUN_MARGIN = 0.10  # runs within 10 % of the planned km of their days count as planned
FIT_STEPS = 12  # a 60 km week to within 15 m of volume: far below the 100 m the plan shows
FIT_TOLERANCE_M = 50.0  # the plan shows runs to 0.1 km


def _is_training(w: Workout) -> bool:
    return w.is_run and w.type is not WorkoutType.RACE


def _training_m(workouts: Iterable[Workout]) -> float:
    return sum(w.distance_m for w in workouts if _is_training(w))
