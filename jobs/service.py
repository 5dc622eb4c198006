"""The scheduled jobs' services. Selection (`*_due`) only reads; each per-athlete job runs in the caller's
one transaction under the athlete's row lock (plans.service.load) and is idempotent through the outbox's
idempotency keys: running it twice writes nothing the second time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

import planner
from jobs import clock
from plans import notify
from plans import service as plan_service
from store import outbox_repository, plan_repository, repository, review_repository
from store.db import as_utc
from store.models import ConnectionStatus
from store.plan_models import Plan as PlanRow
from sync.errors import StravaAuthError, StravaRateLimited
from sync.tokens import TokenService

WEEK_REVIEWED = notify.WEEK_REVIEWED
WEEK_ENDED = "week_ended"  # the cause of the plan version a week's end makes (close_week)
WORKOUT_MISSED = notify.WORKOUT_MISSED
review_key = notify.week_reviewed_key
missed_key = notify.workout_missed_key


def _write_once(
    session: Session, *, key: str, athlete_id: int, event_type: str, payload: dict[str, Any], now: datetime
) -> bool:
    """One outbox row per key. Checked first (the caller holds the athlete's lock; the unique key stays the
    last word), because the insert's rowcount is not reported for ORM-enabled INSERT ... ON CONFLICT."""
    if outbox_repository.existing_idempotency_keys(session, [key]):
        return False
    plan_repository.enqueue_notification(
        session, athlete_id=athlete_id, event_type=event_type, payload=payload, idempotency_key=key, now=now
    )
    return True


def _view(session: Session, row: PlanRow) -> planner.Plan:
    return planner.plan_from_dict(plan_repository.current_version(session, row).plan)


# --- weekly review -------------------------------------------------------------------------------------


def reviews_due(session: Session, *, now: datetime, hour: int) -> list[tuple[int, date]]:
    """(athlete, week Monday) for every athlete whose Sunday `hour`:00 has come and who has no review yet."""
    due = [
        (row, week)
        for row, _athlete in plan_repository.active_plans_with_athletes(session)
        if (week := clock.review_week(now, row.timezone, hour)) is not None
    ]
    done = outbox_repository.existing_idempotency_keys(
        session, [review_key(row.id, week) for row, week in due]
    )
    return [(row.athlete_id, week) for row, week in due if review_key(row.id, week) not in done]


@dataclass(frozen=True)
class WeekReview:
    planned_km: float
    done_km: float
    workouts: list[dict[str, Any]]

    @property
    def done_runs(self) -> int:
        return sum(1 for w in self.workouts if w["status"] == "completed")


def round_km(km: float | Decimal) -> float:
    """Kilometres to one decimal as the set-based review's SQL rounds them (store/review_repository.py): a
    double becomes a numeric of 15 significant digits, rounded half away from zero; so both paths write the
    same figures."""
    exact = km if isinstance(km, Decimal) else Decimal(f"{km:.15g}")
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def metres_as_km(metres: float) -> float:
    """A sum of metres in kilometres to one decimal, as the SQL's `round(sum::numeric / 1000, 1)`."""
    return round_km(Decimal(f"{metres:.15g}") / 1000)


def summarize_week(
    plan: planner.Plan, runs: Sequence[planner.Activity], week_start: date
) -> WeekReview | None:
    week = plan.week_of(week_start)
    if week is None:
        return None
    as_of = week.end + timedelta(days=1)
    compliance = planner.plan_compliance(plan, runs, as_of)
    rows = []
    for w in week.workouts:
        if not w.is_run:
            continue
        c = compliance.get(w.id)
        rows.append(
            {
                "workout_id": w.id,
                "date": w.date.isoformat(),
                "type": w.type.value,
                "planned_km": round(w.distance_m / 1000, 1),
                "done_km": round((c.completed_m if c else 0.0) / 1000, 1),
                "status": c.status if c else "planned",
                "colour": c.colour if c else None,
            }
        )
    done_m = sum(a.distance_m for a in runs if a.is_run and week.start <= a.local_date <= week.end)
    return WeekReview(round_km(week.planned_km), metres_as_km(done_m), rows)


def next_week_figures(
    session: Session, row: PlanRow, plan: planner.Plan, week_start: date
) -> dict[str, Any] | None:
    """The week after `week_start` as the digest says it: its planned distance and runs, and the decisions
    that change it; None when the plan ends before it."""
    start = week_start + timedelta(days=7)
    week = plan.week_of(start)
    if week is None:
        return None
    return {
        "week_start": start.isoformat(),
        "planned_km": round_km(week.planned_km),
        "planned_runs": sum(1 for w in week.workouts if w.is_run),
        "decisions": review_repository.decisions_changing_week(session, row.id, start),
    }


def week_reviewed_payload(
    row: PlanRow, week_start: date, review: WeekReview, next_week: dict[str, Any] | None
) -> dict[str, Any]:
    """The figures of the weekly digest, as the set-based review writes them (docs/notifications.md), plus the
    per-workout rows. Its `message` and `reasons` are rendered when it is first delivered
    (messages/digest.py)."""
    return {
        "athlete_id": row.athlete_id,
        "plan_id": row.id,
        "version": row.version,
        "week_start": week_start.isoformat(),
        "planned_km": review.planned_km,
        "done_km": review.done_km,
        "planned_runs": len(review.workouts),
        "done_runs": review.done_runs,
        "next_week": next_week,
        "workouts": review.workouts,
    }


def weekly_review(session: Session, athlete_id: int, week_start: date, *, now: datetime) -> str:
    loaded = plan_service.load(session, athlete_id, now=now)  # takes the athlete's row lock
    if loaded is None:
        return "no plan"
    row = loaded.row
    runs = [a for a in loaded.activities if a.is_run]
    review = summarize_week(loaded.view, runs, week_start)
    if review is None:
        return "week not in plan"
    next_week = next_week_figures(session, row, loaded.view, week_start)
    written = _write_once(
        session,
        athlete_id=athlete_id,
        event_type=WEEK_REVIEWED,
        payload=week_reviewed_payload(row, week_start, review, next_week),
        key=review_key(row.id, week_start),
        now=now,
    )
    return "reviewed" if written else "already reviewed"


def close_week(session: Session, athlete_id: int, *, now: datetime) -> str:
    """Judge the week that just ended: adapt the plan as of the athlete's new week, so the decisions about the
    week ahead are stored before the weekly digest reads them (the planner judges a week once it is over).
    A refresh that changes nothing stores nothing, so running it twice is harmless."""
    loaded = plan_service.load(session, athlete_id, now=now)  # takes the athlete's row lock
    if loaded is None:
        return "no plan"
    if plan_service.is_paused(loaded.athlete, loaded.today):
        return "paused"
    outcome = plan_service.refresh(session, loaded, cause=WEEK_ENDED, now=now)
    return "adapted" if outcome.stored else "unchanged"


# --- missed workouts -----------------------------------------------------------------------------------


def _missed(
    view: planner.Plan, matched: set[str], first: date, last: date, not_before: date
) -> list[planner.Workout]:
    return [
        w
        for w in view.workouts()
        if w.is_run and first <= w.date <= last and w.date >= not_before and w.id not in matched
    ]


def _window(row: PlanRow, now: datetime, lookback_days: int) -> tuple[date, date, date]:
    first, last = clock.ended_days(now, row.timezone, lookback_days)
    # Workouts dated before the plan existed were never anyone's to miss.
    created = clock.local_now(row.created_at, row.timezone).date()
    return first, last, created


def missed_due(session: Session, *, now: datetime, lookback_days: int) -> list[int]:
    """Athletes with a run workout whose day has ended in their timezone, unmatched and not yet announced."""
    athletes = []
    for row, athlete in plan_repository.active_plans_with_athletes(session):
        first, last, created = _window(row, now, lookback_days)
        if plan_service.is_paused(athlete, last + timedelta(days=1)):
            continue
        matched = {w for w, _ in plan_repository.match_pairs(session, row.id)}
        candidates = _missed(_view(session, row), matched, first, last, created)
        keys = [missed_key(row.id, w.id) for w in candidates]
        if set(keys) - outbox_repository.existing_idempotency_keys(session, keys):
            athletes.append(row.athlete_id)
    return athletes


def sweep_missed(session: Session, athlete_id: int, *, now: datetime, lookback_days: int) -> list[str]:
    """Adapt the plan as of the athlete's today, then announce each ended workout still without a run."""
    loaded = plan_service.load(session, athlete_id, now=now)  # takes the athlete's row lock
    if loaded is None or plan_service.is_paused(loaded.athlete, loaded.today):
        return []
    outcome = plan_service.refresh(session, loaded, cause="missed_sweep", now=now)
    row = loaded.row
    first, last, created = _window(row, now, lookback_days)
    matched = {w for w, _ in plan_repository.match_pairs(session, row.id)}
    candidates = _missed(_view(session, row), matched, first, last, created)
    written = []
    for w in candidates:
        if _write_once(
            session,
            athlete_id=athlete_id,
            event_type=WORKOUT_MISSED,
            payload=notify.workout_missed_payload(row, w, outcome.changes, units=loaded.athlete.units),
            key=missed_key(row.id, w.id),
            now=now,
        ):
            written.append(w.id)
    return written


# --- token refresh ahead of use ------------------------------------------------------------------------


def prefresh_due(session: Session, *, now: datetime, hour: int, recent_s: float = 3600.0) -> list[int]:
    """Athletes for whom it is `hour` o'clock, with a run planned tomorrow, whose access token expires before
    tomorrow starts and was not refreshed within `recent_s` (someone else just proved the grant alive)."""
    athletes = []
    for row, _athlete in plan_repository.active_plans_with_athletes(session):
        if not clock.is_hour(now, row.timezone, hour):
            continue
        tomorrow = clock.local_now(now, row.timezone).date() + timedelta(days=1)
        if not any(w.is_run and w.date == tomorrow for w in _view(session, row).workouts()):
            continue
        connection = repository.get_connection(session, row.athlete_id)
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            continue
        if connection.expires_at >= clock.start_of(tomorrow, row.timezone).timestamp():
            continue
        refreshed = connection.refreshed_at
        if refreshed is not None and (now - as_utc(refreshed)).total_seconds() < recent_s:
            continue
        athletes.append(row.athlete_id)
    return athletes


def prefresh(
    sessions: sessionmaker[Session], tokens: TokenService, athlete_id: int, *, now: datetime, recent_s: float
) -> str:
    """Refresh one athlete's token now, unless another worker did within `recent_s` (no redundant refresh).

    A dead grant is marked `needs_reauth` by the token service, so the athlete is asked to reconnect before
    the run rather than after it."""
    with sessions() as session:
        connection = repository.get_connection(session, athlete_id)
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            return "not connected"
        if (
            connection.refreshed_at is not None
            and (now - as_utc(connection.refreshed_at)).total_seconds() < recent_s
        ):
            return "recently refreshed"
    try:
        tokens.access_token(athlete_id, force_refresh=True)
    except StravaAuthError:
        return "grant dead: needs reauthorization"
    except StravaRateLimited as error:
        # Strava's budget is spent or Strava work is paused for an application fault: no athlete's state
        # changes; the next hourly tick (or the next sync's own refresh) tries again.
        return f"not refreshed: {error}"
    return "refreshed"
