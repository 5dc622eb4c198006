"""What the internal API does. Each command runs inside the caller's one transaction and raises a PlanError
(before writing anything it would have to undo) when the request cannot be honoured."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

import planner
from plans import decisions, notify, service
from plans.errors import Conflict, Invalid, NotFound
from plans.service import Loaded, Outcome
from store import plan_repository, repository
from store.models import Activity as ActivityRow
from store.plan_models import DecisionStatus, OverrideKind, PlanSource

PAUSE_REASONS = frozenset({"sick", "injured", "vacation", "other"})


def _timezone(name: str | None, fallback: str | None) -> str:
    tz = name or fallback or "UTC"
    if service.zone(tz).key != tz:
        raise Invalid(f"unknown timezone {tz!r} (use an IANA name such as Europe/Amsterdam)")
    return tz


def loaded_or_404(session: Session, athlete_id: int, now: datetime) -> Loaded:
    loaded = service.load(session, athlete_id, now=now)
    if loaded is not None:
        return loaded
    if repository.lock_athlete(session, athlete_id) is None:
        raise NotFound(f"athlete {athlete_id} not found")
    raise NotFound(f"athlete {athlete_id} has no active plan")


def _workout(loaded: Loaded, workout_id: str) -> planner.Workout:
    for w in loaded.view.workouts():
        if w.id == workout_id:
            return w
    raise NotFound(f"workout {workout_id} is not in the current plan")


# --- creating a plan ----------------------------------------------------------------------------------


def create_from_goal(
    session: Session,
    athlete_id: int,
    *,
    athlete: planner.Athlete,
    goal: planner.Goal,
    start: date | None,
    timezone: str | None,
    now: datetime,
) -> Outcome:
    row = repository.lock_athlete(session, athlete_id)
    if row is None:
        raise NotFound(f"athlete {athlete_id} not found")
    tz = _timezone(timezone, row.timezone)
    start = start or service.local_today(tz, now)
    try:
        plan = planner.generate_plan(athlete, goal, start)
    except (ValueError, TypeError) as error:
        raise Invalid(f"cannot plan this goal: {error}") from error
    if plan.unsafe:
        # The refusal says why and, as the plan itself would, what a safe plan offers instead.
        offers = [
            planner.notice_to_dict(n) for n in plan.notices if n.code == planner.NoticeCode.UNSAFE_OFFER
        ]
        raise Invalid(plan.unsafe_reason, extensions={"offer": offers[0]} if offers else None)
    return _install(session, athlete_id, plan, source=PlanSource.GENERATED, timezone=tz, now=now)


def upload(
    session: Session, athlete_id: int, *, plan_json: dict[str, Any], timezone: str | None, now: datetime
) -> Outcome:
    row = repository.lock_athlete(session, athlete_id)
    if row is None:
        raise NotFound(f"athlete {athlete_id} not found")
    tz = _timezone(timezone, row.timezone)
    try:
        plan = planner.plan_from_dict(plan_json)
    except (KeyError, ValueError, TypeError) as error:
        raise Invalid(f"not a plan (planner.plan_to_dict JSON expected): {error!r}") from error
    if plan.unsafe:
        raise Invalid(plan.unsafe_reason or "the plan is marked unsafe")
    return _install(session, athlete_id, plan, source=PlanSource.UPLOADED, timezone=tz, now=now)


def _install(
    session: Session, athlete_id: int, plan: planner.Plan, *, source: str, timezone: str, now: datetime
) -> Outcome:
    plan_repository.deactivate_plans(session, athlete_id, now=now)
    row = plan_repository.create_plan(
        session,
        {
            "athlete_id": athlete_id,
            "active": True,
            "source": source,
            "athlete_profile": planner.plan_to_dict(plan)["athlete"],
            "goal": planner.plan_to_dict(plan)["goal"],
            "start": plan.start,
            "timezone": timezone,
            "version": 1,
            "suppressed": sorted(plan.suppressed),
            "created_at": now,
            "updated_at": now,
        },
    )
    plan_repository.add_first_version(
        session, row, plan_json=planner.plan_to_dict(plan), as_of=plan.as_of, cause=source, now=now
    )
    made = decisions.revisions({}, plan.changes, plan.suppressed)
    plan_repository.record_revisions(session, row.id, row.version, made, now=now)
    goal = plan.goal
    what = f"{goal.distance_m / 1000:g} km race" if goal.distance_m else f"{goal.kind.value} block"
    # A new plan is announced once, by its own version (its key names no decision: it has no predecessor).
    notify.plan_updated(
        session,
        row,
        cause=source,
        changes=plan.changes,
        reasons=[
            f"A new plan: {what} on {goal.date.isoformat()}, starting {plan.start.isoformat()}.",
            *plan.warnings,
        ],
        decisions=made,
        now=now,
    )
    # Runs already stored (a plan started in the past) are matched and adapted to at once.
    loaded = loaded_or_404(session, athlete_id, now)
    return service.refresh(session, loaded, cause=source, now=now)


# --- hand edits ---------------------------------------------------------------------------------------


def undo(session: Session, athlete_id: int, change_id: str, *, now: datetime) -> Outcome:
    """Undo a decision: the plan is re-derived without it and stays so; the decision is marked undone (its
    history kept). The version is stored even when no future workout changes: the undo must stick."""
    loaded = loaded_or_404(session, athlete_id, now)
    row = loaded.row
    decision = plan_repository.decision(session, row.id, change_id)
    if decision is None:
        raise NotFound(f"change {change_id} not found in this plan")
    if decision.status == DecisionStatus.UNDONE or change_id in row.suppressed:
        raise Conflict(f"change {change_id} is already undone")
    if change_id not in {c.id for c in loaded.view.changes}:
        raise Conflict(f"change {change_id} no longer applies to the current plan")
    return service.refresh(
        session,
        loaded,
        cause="undo",
        now=now,
        suppress=frozenset({change_id}),
        reasons=["You undid a change to your plan: the plan is re-derived without it."],
        force=True,
    )


def move(session: Session, athlete_id: int, workout_id: str, to: date, *, now: datetime) -> Outcome:
    loaded = loaded_or_404(session, athlete_id, now)
    workout = _workout(loaded, workout_id)
    if workout.date < loaded.today:
        raise Conflict(f"workout {workout_id} was on {workout.date.isoformat()}: the past cannot be moved")
    if to < loaded.today:
        raise Invalid(f"cannot move a workout into the past ({to.isoformat()})")
    week = loaded.view.week_of(workout.date)
    assert week is not None  # every workout sits in a week
    if not week.start <= to <= week.end:
        raise Invalid(
            f"a workout moves within its week ({week.start.isoformat()} to {week.end.isoformat()}): the "
            "weekly volume and the hard/easy order are planned per week"
        )
    if to == workout.date:
        raise Conflict(f"workout {workout_id} is already on {to.isoformat()}")
    taken = [w.id for w in week.workouts if w.date == to]
    if taken:
        raise Conflict(f"{to.isoformat()} already has workout {taken[0]}: move that one first")
    existing = [o for o in loaded.overrides if o.kind == OverrideKind.MOVE and o.workout_id == workout_id]
    planned = existing[0].moved_from if existing and existing[0].moved_from else workout.date
    plan_repository.delete_overrides(session, loaded.row.id, kind=OverrideKind.MOVE, workout_id=workout_id)
    if to != planned:
        plan_repository.add_override(
            session,
            loaded.row.id,
            now=now,
            kind=OverrideKind.MOVE,
            workout_id=workout_id,
            moved_from=planned,
            moved_to=to,
        )
    reason = f"You moved the {workout.type.value} run of {workout.date.isoformat()} to {to.isoformat()}."
    return _refresh_after_edit(session, athlete_id, cause="move", reason=reason, now=now)


def _run(session: Session, loaded: Loaded, activity_id: int) -> ActivityRow:
    run = plan_repository.get_activity(session, activity_id)
    if run is None or run.athlete_id != loaded.row.athlete_id:
        raise NotFound(f"activity {activity_id} not found for this athlete")
    if not run.is_run:
        raise Invalid(f"activity {activity_id} is a {run.sport_type}, not a run")
    return run


def pair(session: Session, athlete_id: int, workout_id: str, activity_id: int, *, now: datetime) -> Outcome:
    loaded = loaded_or_404(session, athlete_id, now)
    workout = _workout(loaded, workout_id)
    _run(session, loaded, activity_id)
    if not workout.is_run:
        raise Invalid(f"workout {workout_id} is a rest day")
    manual = {(o.workout_id, o.activity_id) for o in loaded.overrides if o.kind == OverrideKind.PAIR}
    if (workout_id, activity_id) in manual:
        raise Conflict(f"activity {activity_id} is already paired with workout {workout_id}")
    plan_id = loaded.row.id
    plan_repository.delete_overrides(
        session, plan_id, kind=OverrideKind.UNPAIR, workout_id=workout_id, activity_id=activity_id
    )
    # A run fulfils one workout: pairing it here takes it away from any other manual pairing.
    for other, aid in manual:
        if aid == activity_id:
            plan_repository.delete_overrides(
                session, plan_id, kind=OverrideKind.PAIR, workout_id=other, activity_id=aid
            )
    plan_repository.add_override(
        session, plan_id, now=now, kind=OverrideKind.PAIR, workout_id=workout_id, activity_id=activity_id
    )
    reason = f"You paired run {activity_id} with the {workout.type.value} run of {workout.date.isoformat()}."
    return _refresh_after_edit(session, athlete_id, cause="pair", reason=reason, now=now)


def unpair(session: Session, athlete_id: int, workout_id: str, activity_id: int, *, now: datetime) -> Outcome:
    loaded = loaded_or_404(session, athlete_id, now)
    workout = _workout(loaded, workout_id)
    _run(session, loaded, activity_id)
    plan_id = loaded.row.id
    removed = plan_repository.delete_overrides(
        session, plan_id, kind=OverrideKind.PAIR, workout_id=workout_id, activity_id=activity_id
    )
    if not removed:
        if (workout_id, activity_id) not in plan_repository.match_pairs(session, plan_id):
            raise Conflict(f"activity {activity_id} is not paired with workout {workout_id}")
        # An automatic match: remember the athlete's "no", or the next adaptation would pair them again.
        plan_repository.add_override(
            session,
            plan_id,
            now=now,
            kind=OverrideKind.UNPAIR,
            workout_id=workout_id,
            activity_id=activity_id,
        )
    reason = (
        f"You unpaired run {activity_id} from the {workout.type.value} run of {workout.date.isoformat()}."
    )
    return _refresh_after_edit(session, athlete_id, cause="unpair", reason=reason, now=now)


def _refresh_after_edit(
    session: Session, athlete_id: int, *, cause: str, reason: str, now: datetime
) -> Outcome:
    # Reload: the overrides just written are part of the inputs.
    loaded = loaded_or_404(session, athlete_id, now)
    return service.refresh(session, loaded, cause=cause, now=now, reasons=[reason])


# --- pause and resume ---------------------------------------------------------------------------------


def pause(session: Session, athlete_id: int, *, until: date, reason: str, now: datetime) -> Loaded:
    loaded = loaded_or_404(session, athlete_id, now)
    if reason not in PAUSE_REASONS:
        raise Invalid(f"reason must be one of {', '.join(sorted(PAUSE_REASONS))}")
    if until < loaded.today:
        raise Invalid(f"a pause cannot end in the past ({until.isoformat()})")
    athlete, row = loaded.athlete, loaded.row
    if not service.is_paused(athlete, loaded.today):
        row.paused_from = loaded.today
    athlete.paused_until, row.pause_reason, row.updated_at = until, reason, now
    session.flush()
    return loaded


def resume(session: Session, athlete_id: int, *, now: datetime) -> Outcome:
    loaded = loaded_or_404(session, athlete_id, now)
    if not service.is_paused(loaded.athlete, loaded.today):
        raise Conflict(f"athlete {athlete_id} is not paused")
    paused_from = loaded.row.paused_from
    loaded.athlete.paused_until = None
    loaded.row.paused_from = loaded.row.pause_reason = None
    session.flush()
    since = f" since {paused_from.isoformat()}" if paused_from else ""
    return service.refresh(
        session,
        loaded_or_404(session, athlete_id, now),
        cause="resume",
        now=now,
        reasons=[f"Welcome back: the days paused{since} now count, and the plan adapts to them."],
    )
