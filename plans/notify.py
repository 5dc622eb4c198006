"""Outbox rows: what the app (and the athlete) is told, with deterministic idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

import planner
from store import plan_repository
from store.plan_models import Plan as PlanRow

PLAN_UPDATED = "plan.updated"
WORKOUT_MATCHED = "workout.matched"
WORKOUT_MISSED = "workout.missed"
CONNECTION_REVOKED = "connection.revoked"


def plan_updated(
    session: Session,
    row: PlanRow,
    *,
    cause: str,
    changes: Sequence[planner.Change],
    reasons: Sequence[str],
    now: datetime,
) -> None:
    # One notification per stored version: a replayed transaction writes the same key, hence nothing.
    payload: dict[str, Any] = {
        "athlete_id": row.athlete_id,
        "plan_id": row.id,
        "version": row.version,
        "cause": cause,
        "changes": [{"id": c.id, "code": c.code, "week_start": c.week_start.isoformat()} for c in changes],
        "reasons": list(reasons),
    }
    plan_repository.enqueue_notification(
        session,
        athlete_id=row.athlete_id,
        event_type=PLAN_UPDATED,
        payload=payload,
        idempotency_key=f"{PLAN_UPDATED}:{row.id}:v{row.version}",
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
    done_km = compliance.completed_m / 1000.0
    how = "You paired" if manual else "We matched"
    reason = (
        f"{how} your run {activity_id} with the {workout.type.value} run of {workout.date.isoformat()}: "
        f"{done_km:.1f} of {workout.distance_m / 1000.0:.1f} km"
        + (f" ({compliance.colour})." if compliance.colour else ".")
    )
    plan_repository.enqueue_notification(
        session,
        athlete_id=row.athlete_id,
        event_type=WORKOUT_MATCHED,
        payload={
            "athlete_id": row.athlete_id,
            "plan_id": row.id,
            "version": row.version,
            "workout_id": workout.id,
            "workout_date": workout.date.isoformat(),
            "activity_id": activity_id,
            "manual": manual,
            "ratio": compliance.ratio,
            "colour": compliance.colour,
            "reasons": [reason],
        },
        # Once per (plan, workout, run): a run that is unmatched and matched again is not announced twice.
        idempotency_key=f"{WORKOUT_MATCHED}:{row.id}:{workout.id}:{activity_id}",
        now=now,
    )


def connection_revoked(session: Session, athlete_id: int, *, revoked_at: datetime, now: datetime) -> None:
    plan_repository.enqueue_notification(
        session,
        athlete_id=athlete_id,
        event_type=CONNECTION_REVOKED,
        payload={
            "athlete_id": athlete_id,
            "reasons": [
                "You disconnected Strava: we deleted your Strava data and your plan no longer counts those runs."
            ],
        },
        # The revocation time (set once by the deauthorization) keeps a re-run silent, yet a later
        # reconnect-and-revoke is a new notification.
        idempotency_key=f"{CONNECTION_REVOKED}:{athlete_id}:{int(revoked_at.timestamp())}",
        now=now,
    )
