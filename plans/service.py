"""Re-deriving an athlete's stored plan from their stored runs, inside the caller's transaction.

`load` takes the athlete's row lock first: every writer of a plan (event hooks, API requests) goes through it,
so one athlete's plan is changed by one transaction at a time; `plan_repository.bump_version` also checks
the version it read (optimistic), so a writer that skipped the lock fails instead of losing an update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

import planner
from plans import decisions, notify, overlay
from plans.convert import to_planner
from plans.decisions import WorkoutChange
from store import plan_repository, repository
from store.models import Athlete
from store.plan_models import DecisionStatus, PlanOverride, PlanVersion
from store.plan_models import Plan as PlanRow
from store.plan_repository import DecisionRevision

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
        # The day the plan is judged on (docs/planner.md#adaptation): its runs are done and count at once, its
        # planned workouts are still ahead. Paused (sick, vacation): the plan is judged as of the day the pause
        # began, so the days off are neither missed volume nor a break yet. After resuming they are judged like
        # any run-free stretch (docs/science.md#return-after-break: a return-after-break block, with its reasons).
        if is_paused(self.athlete, self.today):
            return min(self.today, self.row.paused_from or self.view.as_of or self.today)
        return self.today

    def runs_until(self, day: date) -> list[planner.Activity]:
        """The runs done by the end of ``day``: a run dated today counts the moment it is synced."""
        return [a for a in self.activities if a.is_run and a.local_date <= day]

    def done(self) -> frozenset[str]:
        """The workouts behind the athlete, on the days they see them (their moves applied): every day before
        today, and today once a run of today has arrived. Adaptation keeps them as they are: a decision changes
        only what is still ahead (docs/science.md#past-is-history)."""
        ran_today = any(a.local_date == self.today for a in self.runs_until(self.today))
        last = self.today if ran_today else self.today - timedelta(days=1)
        return frozenset(w.id for w in self.view.workouts() if w.date <= last)


@dataclass(frozen=True)
class Outcome:
    version: int
    stored: bool  # whether a new version was stored
    changes: tuple[planner.Change, ...]  # the changes of the decisions this version created or revised
    newly_matched: tuple[tuple[str, int], ...]
    # Every decision the version created, revised, withdrew or undid, at its new revision.
    decisions: tuple[DecisionRevision, ...] = ()
    # Every future workout that changed, whatever changed it (the athlete's move too): what the API answers.
    # The plan.updated message lists only those its decisions changed.
    workouts: tuple[WorkoutChange, ...] = ()


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
    """Adapt; when the future workouts change (or `force`: an undo), store the version, revise its decisions
    and write the one `plan.updated` about them and the workouts they changed; then re-match
    (docs/api.md#decisions)."""
    row = loaded.row
    raw = overlay.without_moves(loaded.view, loaded.overrides)
    result = planner.adapt(
        raw, loaded.runs_until(loaded.today), as_of=loaded.as_of, suppressed=suppress, done=loaded.done()
    )
    view = overlay.with_moves(result.plan, loaded.overrides)
    # Nothing the athlete will run differs: nothing is stored and nothing is said, whatever the planner's
    # bookkeeping (as_of, a reason's latest figures) made of the new runs.
    workouts = decisions.future_workout_changes(loaded.view, view, loaded.today)
    stored = bool(workouts) or force
    revised: tuple[DecisionRevision, ...] = ()
    if stored:
        plan_repository.bump_version(
            session, row, plan_json=planner.plan_to_dict(view), as_of=loaded.as_of, cause=cause, now=now
        )
        row.suppressed = sorted(result.plan.suppressed)
        known = {d.change_id: d for d in plan_repository.decisions(session, row.id)}
        revised = tuple(decisions.revisions(known, result.plan.changes, result.plan.suppressed))
        plan_repository.record_revisions(session, row.id, row.version, revised, now=now)
    produced = {c.id: c for c in result.plan.changes}
    changes = tuple(produced[r.change_id] for r in revised if r.status is DecisionStatus.ACTIVE)
    announced = decisions.announced(revised, produced)
    # What the message lists: only the workouts its own decisions changed, never one the athlete moved or
    # another cause changed in the same version.
    decided = decisions.decided_workout_changes(workouts, announced, view)
    # One message per version whose decisions change what the athlete will run, naming them; a version no
    # decision explains (a workout the athlete moved) is their own doing: nothing to tell them. A decision about
    # the goal changes no workout: it is news by itself.
    if decided or (workouts and any(not c.workouts for c in announced)):
        notify.plan_updated(
            session,
            row,
            cause=cause,
            changes=changes,
            reasons=[*(c.reason for c in changes), *reasons],
            decisions=revised,
            workouts=decided,
            idempotency_key=decisions.announcement_key(notify.PLAN_UPDATED, row.id, revised),
            now=now,
        )
    newly = rematch(session, loaded, view, now=now)
    return Outcome(row.version, stored, changes, newly, revised, workouts)


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
    # Recoveries between reps are judged against the plan's own easy range (docs/workouts.md#rep-scoring).
    easy = planner.training_paces(view.vdot).easy
    for workout_id, activity_id in newly:
        pairs = by_workout[workout_id]
        ids = tuple(a for a, _ in pairs)
        compliance = planner.workout_compliance(
            workouts[workout_id], [by_id[i] for i in ids], loaded.today, ids, easy_pace=easy
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
