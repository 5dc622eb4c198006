"""Outbox rows: what the app (and the athlete) is told, with deterministic idempotency keys.

The one place each notification payload is built (the scheduled jobs write theirs through the builders here;
`connection.needs_reauth` is sync's own, and `week.reviewed` is the weekly digest's: jobs/service.py and the
set-based review write its figures, and its message is rendered when first delivered). Every athlete-facing payload carries `message` (headline, body,
details), rendered by the catalogue (messages/) in the athlete's units and timezone, beside the machine
fields in SI units (docs/notifications.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

import planner
from messages import Audience, notifications
from messages import reps as rep_words
from store import plan_repository
from store.plan_models import DecisionStatus
from store.plan_models import Plan as PlanRow

if TYPE_CHECKING:
    from plans.decisions import WorkoutChange
    from store.plan_repository import DecisionRevision

PLAN_UPDATED = "plan.updated"
WORKOUT_MATCHED = "workout.matched"
WORKOUT_MISSED = "workout.missed"
CONNECTION_REVOKED = "connection.revoked"
WEEK_REVIEWED = "week.reviewed"


def _plan_fields(row: PlanRow) -> dict[str, Any]:
    """What every plan notification starts with: whose plan, and which stored version it speaks of."""
    return {"athlete_id": row.athlete_id, "plan_id": row.id, "version": row.version}


def audience(session: Session, athlete_id: int, timezone: str | None) -> Audience:
    """The athlete as a reader: their units preference, and the timezone their plan runs in (else theirs)."""
    athlete = plan_repository.get_athlete(session, athlete_id)
    if athlete is None:
        return Audience.of(None, timezone)
    return Audience.of(athlete.units, timezone or athlete.timezone)


def _ended(decisions: Sequence[DecisionRevision]) -> list[notifications.Ended]:
    return [
        notifications.Ended(planner.change_from_dict(d.change), undone=d.status is DecisionStatus.UNDONE)
        for d in decisions
        if d.status is not DecisionStatus.ACTIVE
    ]


def _new_plan(session: Session, row: PlanRow) -> planner.Plan:
    return planner.plan_from_dict(plan_repository.current_version(session, row).plan)


def plan_updated_payload(
    reader: Audience,
    row: PlanRow,
    *,
    cause: str,
    changes: Sequence[planner.Change],
    reasons: Sequence[str],
    decisions: Sequence[DecisionRevision] = (),
    pairs: notifications.Pairs | None = None,
    new: planner.Plan | None = None,
) -> dict[str, Any]:
    """The `plan.updated` payload (docs/notifications.md): the machine fields, and the message for ``reader``;
    ``pairs``: the workouts the decisions changed (before, after), None when not known; ``new``: the plan
    itself, when this is a new plan."""
    update = notifications.plan_updated(
        reader,
        cause=cause,
        changes=changes,
        ended=_ended(decisions),
        revised=frozenset(d.change_id for d in decisions if d.revision > 1),
        pairs=pairs,
        notices=new.notices if new else (),
        goal=new.goal if new else None,
        start=new.start if new else None,
    )
    return {
        **_plan_fields(row),
        "cause": cause,
        "changes": [
            {"id": c.id, "code": c.code, "week_start": c.week_start.isoformat(), "facts": dict(c.facts)}
            for c in changes
        ],
        "decisions": [
            {"id": d.change_id, "revision": d.revision, "status": str(d.status)} for d in decisions
        ],
        "workouts": [line.as_dict() for line in update.workouts],
        "reasons": list(reasons),
        "message": update.message.as_dict(),
    }


def plan_updated(
    session: Session,
    row: PlanRow,
    *,
    cause: str,
    changes: Sequence[planner.Change],
    reasons: Sequence[str],
    now: datetime,
    decisions: Sequence[DecisionRevision] = (),
    workouts: Sequence[WorkoutChange] | None = None,
    idempotency_key: str | None = None,
) -> None:
    """`changes`: the decisions in effect this update made or revised; `decisions`: every decision it created,
    revised, withdrew or undid (plans/decisions.py); `workouts`: the future workouts those decisions changed
    (plans/decisions.py decided_workout_changes), the only ones the message lists; None when not known (the
    changes' own diffs are listed then)."""
    # Read today: "this week", "next week" are said from the athlete's day (messages/audience.py).
    reader = audience(session, row.athlete_id, row.timezone).at(now)
    new = _new_plan(session, row) if cause in notifications.NEW_PLAN_CAUSES else None
    payload = plan_updated_payload(
        reader,
        row,
        cause=cause,
        changes=changes,
        reasons=reasons,
        decisions=decisions,
        pairs=None if workouts is None else [(w.before, w.after) for w in workouts],
        new=new,
    )
    plan_repository.enqueue_notification(
        session,
        athlete_id=row.athlete_id,
        event_type=PLAN_UPDATED,
        payload=payload,
        # One notification per key (plans/decisions.py names the decisions and revisions in it; a new plan's
        # is its version): a replayed transaction writes the same key, hence nothing.
        idempotency_key=idempotency_key or f"{PLAN_UPDATED}:{row.id}:v{row.version}",
        now=now,
    )


def workout_matched(
    session: Session,
    row: PlanRow,
    *,
    workout: planner.Workout,
    activity_id: int,
    compliance: planner.WorkoutCompliance,
    manual: bool,
    now: datetime,
) -> None:
    reader = audience(session, row.athlete_id, row.timezone)
    plan_repository.enqueue_notification(
        session,
        athlete_id=row.athlete_id,
        event_type=WORKOUT_MATCHED,
        payload=workout_matched_payload(
            reader, row, workout=workout, activity_id=activity_id, compliance=compliance, manual=manual
        ),
        # Once per (plan, workout, run): a run that is unmatched and matched again is not announced twice.
        idempotency_key=f"{WORKOUT_MATCHED}:{row.id}:{workout.id}:{activity_id}",
        now=now,
    )


def workout_matched_payload(
    reader: Audience,
    row: PlanRow,
    *,
    workout: planner.Workout,
    activity_id: int,
    compliance: planner.WorkoutCompliance,
    manual: bool,
) -> dict[str, Any]:
    """The `workout.matched` payload (docs/notifications.md) and its message for ``reader``."""
    done_km = compliance.completed_m / 1000.0
    how = "You paired" if manual else "We matched"
    # `reasons` is kept as older app versions read it; the athlete reads `message`.
    reason = (
        f"{how} your run {activity_id} with the {workout.type.value} run of {workout.date.isoformat()}: "
        f"{done_km:.1f} of {workout.distance_m / 1000.0:.1f} km"
        + (f" ({compliance.colour})." if compliance.colour else ".")
    )
    # A structured session's reps (docs/workouts.md#rep-scoring): the machine fields, and the words rendered
    # from those same fields, so the message, `rep_score.text` and the plan page say one thing.
    score = rep_words.fields(compliance.reps) if compliance.reps is not None else None
    said = rep_words.describe(reader, score).text() if score is not None else ""
    message = notifications.workout_matched(
        reader,
        workout,
        done_m=compliance.completed_m,
        colour=compliance.colour,
        manual=manual,
        # The pace is judged as well as the distance: an easy run at marathon pace is not "on target".
        done_s=compliance.completed_s,
        runs=max(1, len(compliance.activity_ids)),
        reps=score,
    )
    return {
        **_plan_fields(row),
        "workout_id": workout.id,
        "workout_date": workout.date.isoformat(),
        "activity_id": activity_id,
        "manual": manual,
        "ratio": compliance.ratio,
        "colour": compliance.colour,
        "reasons": [reason, *([said] if said else [])],
        "rep_score": {**score, "text": said} if score is not None else None,
        "message": message.as_dict(),
    }


def connection_revoked(session: Session, athlete_id: int, *, revoked_at: datetime, now: datetime) -> None:
    message = notifications.connection_revoked(audience(session, athlete_id, None))
    plan_repository.enqueue_notification(
        session,
        athlete_id=athlete_id,
        event_type=CONNECTION_REVOKED,
        payload={"athlete_id": athlete_id, "reasons": [message.body], "message": message.as_dict()},
        # The revocation time (set once by the deauthorization) keeps a re-run silent, yet a later
        # reconnect-and-revoke is a new notification.
        idempotency_key=f"{CONNECTION_REVOKED}:{athlete_id}:{int(revoked_at.timestamp())}",
        now=now,
    )


def week_reviewed_key(plan_id: int, week_start: date) -> str:
    # Also built in SQL by store/review_repository.py: keep the two the same. The payload is the weekly
    # digest's figures (jobs/service.py), its message rendered at delivery (messages/digest.py).
    return f"{WEEK_REVIEWED}:{plan_id}:{week_start.isoformat()}"


def workout_missed_key(plan_id: int, workout_id: str) -> str:
    return f"{WORKOUT_MISSED}:{plan_id}:{workout_id}"


def workout_missed_payload(
    row: PlanRow, workout: planner.Workout, changed: Sequence[str | planner.Change], units: str | None = None
) -> dict[str, Any]:
    """A run workout whose day ended without a run, then the reasons of the changes the sweep made, and the
    athlete's `message` (in `units`, the athlete's preference; metric when not given)."""
    reason = (
        f"No run was recorded for the {workout.distance_m / 1000:.1f} km {workout.type.value} run "
        f"planned on {workout.date:%a %d %b}: it counts as missed."
    )
    texts = [c if isinstance(c, str) else c.reason for c in changed]
    message = notifications.workout_missed(Audience.of(units, row.timezone), workout, changed)
    return {
        **_plan_fields(row),
        "workout_id": workout.id,
        "workout_date": workout.date.isoformat(),
        "type": workout.type.value,
        "planned_km": round(workout.distance_m / 1000, 1),
        "reasons": [reason, *texts],
        "message": message.as_dict(),
    }
