"""Re-deriving an athlete's stored plan from their stored runs, inside the caller's transaction.

`load` takes the athlete's row lock first: every writer of a plan (event hooks, API requests) goes through it,
so one athlete's plan is changed by one transaction at a time; `plan_repository.bump_version` also checks
the version it read (optimistic), so a writer that skipped the lock fails instead of losing an update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

import planner
from plans import notify, overlay
from plans.convert import to_planner
from store import plan_repository, repository
from store.models import Athlete
from store.plan_models import Plan as PlanRow
from store.plan_models import PlanOverride, PlanVersion

# Adaptation looks back 30 days (the 110 % rule) and 28 days (chronic load) from the plan's first weeks.
LOOKBACK_DAYS = 60


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(timezone: str | None, now: datetime) -> date:
    return now.astimezone(zone(timezone)).date()


def is_paused(athlete: Athlete, today: date) -> bool:
    return athlete.paused_until is not None and athlete.paused_until >= today


@dataclass(frozen=True)
class Loaded:
    athlete: Athlete
    row: PlanRow
    version: PlanVersion
    view: planner.Plan  # the stored plan: the planner's plan with the athlete's moves applied
    overrides: Sequence[PlanOverride]
    activities: tuple[planner.Activity, ...]
    today: date

    @property
    def as_of(self) -> date:
        # Paused (sick, vacation): the plan is judged as of the day the pause began, so the days off are
        # neither missed volume nor a break yet. After resuming they are judged like any run-free stretch
        # (docs/science.md#return-after-break: a return-after-break block, with its reasons).
        if is_paused(self.athlete, self.today):
            return min(self.today, self.row.paused_from or self.view.as_of or self.today)
        return self.today

    def runs_until(self, day: date) -> list[planner.Activity]:
        return [a for a in self.activities if a.is_run and a.local_date <= day]


@dataclass(frozen=True)
class Outcome:
    version: int
    stored: bool  # whether a new version was stored
    changes: tuple[planner.Change, ...]  # new (or different) changes of that version
    newly_matched: tuple[tuple[str, int], ...]


def load(session: Session, athlete_id: int, *, now: datetime) -> Loaded | None:
    athlete = repository.lock_athlete(session, athlete_id)
    if athlete is None:
        return None
    # Read after the lock (and over what the session held): another transaction may have moved it on meanwhile.
    found = plan_repository.active_plan_and_version(session, athlete_id)
    if found is None:
        return None
    row, version = found
    rows = plan_repository.activities_since(session, athlete_id, row.start - timedelta(days=LOOKBACK_DAYS))
    return Loaded(
        athlete=athlete,
        row=row,
        version=version,
        view=planner.plan_from_dict(version.plan),
        overrides=plan_repository.overrides(session, row.id),
        activities=tuple(to_planner(r) for r in rows),
        today=local_today(row.timezone, now),
    )


def _comparable(plan_json: dict[str, Any]) -> dict[str, Any]:
    # `as_of` moves every day; a version is only worth storing when the plan itself differs.
    return {k: v for k, v in plan_json.items() if k != "as_of"}


def refresh(
    session: Session,
    loaded: Loaded,
    *,
    cause: str,
    now: datetime,
    suppress: frozenset[str] = frozenset(),
    reasons: Iterable[str] = (),
    force: bool = False,
) -> Outcome:
    """Adapt, store a version if anything changed, re-match, and write the notifications."""
    row = loaded.row
    raw = overlay.without_moves(loaded.view, loaded.overrides)
    result = planner.adapt(raw, loaded.runs_until(loaded.today), as_of=loaded.as_of, suppressed=suppress)
    view = overlay.with_moves(result.plan, loaded.overrides)
    plan_json = planner.plan_to_dict(view)
    stored = force or _comparable(plan_json) != _comparable(loaded.version.plan)
    if stored:
        plan_repository.bump_version(
            session, row, plan_json=plan_json, as_of=loaded.as_of, cause=cause, now=now
        )
        plan_repository.add_changes(
            session, row.id, row.version, (planner.change_to_dict(c) for c in result.changes), now=now
        )
        row.suppressed = sorted(result.plan.suppressed)
        notify.plan_updated(
            session,
            row,
            cause=cause,
            changes=result.changes,
            reasons=[*(c.reason for c in result.changes), *reasons],
            now=now,
        )
    newly = rematch(session, loaded, view, now=now)
    return Outcome(row.version, stored, result.changes if stored else (), newly)


def rematch(
    session: Session, loaded: Loaded, view: planner.Plan, *, now: datetime
) -> tuple[tuple[str, int], ...]:
    """Store the current matches; announce each run that newly fulfils a workout."""
    row = loaded.row
    runs = loaded.runs_until(loaded.today)
    by_workout = overlay.matches(view, runs, loaded.overrides)
    before = plan_repository.match_sources(session, row.id)
    rows = [(w, a, source) for w, pairs in by_workout.items() for a, source in pairs]
    plan_repository.replace_matches(session, row.id, rows, now=now, current=before)
    workouts = {w.id: w for w in view.workouts()}
    by_id = {a.id: a for a in runs}
    newly = tuple((w, a) for w, a, _ in rows if (w, a) not in before)
    for workout_id, activity_id in newly:
        pairs = by_workout[workout_id]
        ids = tuple(a for a, _ in pairs)
        compliance = planner.workout_compliance(
            workouts[workout_id], [by_id[i] for i in ids], loaded.today, ids
        )
        notify.workout_matched(
            session,
            row,
            workout=workouts[workout_id],
            activity_id=activity_id,
            compliance=compliance,
            manual=dict(pairs)[activity_id] == "manual",
            now=now,
        )
    return newly
