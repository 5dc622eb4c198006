"""Outbox rows: what the app (and the athlete) is told, with deterministic idempotency keys.

The one place each notification payload is built (the scheduled jobs write theirs through the builders here;
`connection.needs_reauth` is sync's own, and the set-based weekly review in store/review_repository.py writes
the same `week.reviewed` shape in SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

import planner
from store import plan_repository
from store.plan_models import Plan as PlanRow

PLAN_UPDATED = "plan.updated"
WORKOUT_MATCHED = "workout.matched"
WORKOUT_MISSED = "workout.missed"
CONNECTION_REVOKED = "connection.revoked"
WEEK_REVIEWED = "week.reviewed"


def _plan_fields(row: PlanRow) -> dict[str, Any]:
    """What every plan notification starts with: whose plan, and which stored version it speaks of."""
    return {"athlete_id": row.athlete_id, "plan_id": row.id, "version": row.version}


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
        **_plan_fields(row),
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
            **_plan_fields(row),
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


def week_reviewed_key(plan_id: int, week_start: date) -> str:
    # Also built in SQL by store/review_repository.py: keep the two the same.
    return f"{WEEK_REVIEWED}:{plan_id}:{week_start.isoformat()}"


def week_reviewed_payload(
    row: PlanRow,
    week_start: date,
    *,
    planned_km: float,
    done_km: float,
    workouts: list[dict[str, Any]],
    changed: Sequence[str],
) -> dict[str, Any]:
    """The week's figures, one line summing them up, then the reasons of the week's plan changes (each once).

    The fields of docs/notifications.md, as the set-based path writes them, plus the per-workout rows."""
    done_runs = sum(1 for w in workouts if w["status"] == "completed")
    share = f" ({done_km / planned_km:.0%})" if planned_km else ""
    summary = (
        f"Week of {week_start:%a %d %b}: {done_km:.1f} of {planned_km:.1f} km{share}, "
        f"{done_runs} of {len(workouts)} planned runs done."
    )
    return {
        **_plan_fields(row),
        "week_start": week_start.isoformat(),
        "planned_km": planned_km,
        "done_km": done_km,
        "planned_runs": len(workouts),
        "done_runs": done_runs,
        "workouts": workouts,
        "reasons": [summary, *dict.fromkeys(changed)],
    }


def workout_missed_key(plan_id: int, workout_id: str) -> str:
    return f"{WORKOUT_MISSED}:{plan_id}:{workout_id}"


def workout_missed_payload(row: PlanRow, workout: planner.Workout, changed: Sequence[str]) -> dict[str, Any]:
    """A run workout whose day ended without a run, then the reasons of the changes the sweep made."""
    reason = (
        f"No run was recorded for the {workout.distance_m / 1000:.1f} km {workout.type.value} run "
        f"planned on {workout.date:%a %d %b}: it counts as missed."
    )
    return {
        **_plan_fields(row),
        "workout_id": workout.id,
        "workout_date": workout.date.isoformat(),
        "type": workout.type.value,
        "planned_km": round(workout.distance_m / 1000, 1),
        "reasons": [reason, *changed],
    }
