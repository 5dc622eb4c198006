"""All SQL of the weekly review (jobs/review.py): the active plans' timezones, one INSERT … SELECT per chunk of
plans that writes every due `week.reviewed` outbox row, and the decisions that change a week (the per-athlete
path's share of the same selection).

Functions take the session first and never commit. The chunk statement is PostgreSQL only (jsonb, to_char,
unnest): `supports_set_based_review` says whether the session's database runs it. Its idempotency keys are
built as `jobs.service.review_key` builds them, so the set-based and the per-athlete path never write one week
twice.

The decisions that change next week (both paths): the plan's active decisions with a changed workout dated in
that week (a decision's `week_start` is the week whose runs caused it, so the workouts say which weeks it
changes), ordered by the week that caused them, then as they were first made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Date, String

from store.plan_models import DecisionStatus, Plan, PlanDecision

# One chunk: the next `:chunk` due plans after `:after` (by id) that have no review yet, their week's figures,
# next week's and the decisions that change it (see the module's docstring), and the insert. Returns the last
# plan id looked at, how many were looked at and the ids written. The payload holds figures only: its message
# is rendered when the row is first delivered (messages/digest.py).
_REVIEW_CHUNK = text(
    """
WITH due(tz, week_start) AS (
    SELECT * FROM unnest(:tzs, :weeks)
),
batch AS (
    SELECT p.id AS plan_id, p.athlete_id, p.version, due.week_start,
           'week.reviewed:' || p.id || ':' || to_char(due.week_start, 'YYYY-MM-DD') AS key
    FROM plans p JOIN due ON due.tz = p.timezone
    WHERE p.active AND p.id > :after
    ORDER BY p.id
    LIMIT :chunk
),
todo AS (
    SELECT b.*, round(w.planned_km::numeric, 1) AS planned_km, w.planned_runs
    FROM batch b
    JOIN plan_weeks w ON w.plan_id = b.plan_id AND w.week_start = b.week_start
    WHERE NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.idempotency_key = b.key)
),
runs AS (
    SELECT t.plan_id, sum(a.distance_m) AS done_m
    FROM todo t
    JOIN activities a ON a.athlete_id = t.athlete_id
        AND a.local_date BETWEEN t.week_start AND t.week_start + 6
    WHERE a.is_run
    GROUP BY t.plan_id
),
matched AS (
    SELECT t.plan_id, count(*) AS done_runs
    FROM todo t
    JOIN plan_matches m ON m.plan_id = t.plan_id
        AND m.workout_id BETWEEN 'w' || to_char(t.week_start, 'YYYYMMDD')
                             AND 'w' || to_char(t.week_start + 6, 'YYYYMMDD')
    GROUP BY t.plan_id
),
decided AS (
    SELECT t.plan_id,
           jsonb_agg(
               jsonb_build_object(
                   'id', d.change_id, 'code', d.code, 'week_start', to_char(d.week_start, 'YYYY-MM-DD'),
                   'revision', d.revision, 'reason', d.reason, 'facts', coalesce(d.change -> 'facts', '{}')
               )
               ORDER BY d.week_start, d.id
           ) AS decisions
    FROM todo t
    JOIN plan_decisions d ON d.plan_id = t.plan_id AND d.status = 'active'
    WHERE EXISTS (
        SELECT 1 FROM jsonb_array_elements(coalesce(d.change -> 'workouts', '[]')) diff
        WHERE (diff -> 'after' ->> 'date')::date BETWEEN t.week_start + 7 AND t.week_start + 13
    )
    GROUP BY t.plan_id
),
figures AS (
    SELECT t.*, round(coalesce(r.done_m, 0)::numeric / 1000, 1) AS done_km,
           coalesce(m.done_runs, 0) AS done_runs,
           round(n.planned_km::numeric, 1) AS next_km, n.planned_runs AS next_runs,
           coalesce(d.decisions, '[]') AS decisions
    FROM todo t
    LEFT JOIN runs r ON r.plan_id = t.plan_id
    LEFT JOIN matched m ON m.plan_id = t.plan_id
    LEFT JOIN plan_weeks n ON n.plan_id = t.plan_id AND n.week_start = t.week_start + 7
    LEFT JOIN decided d ON d.plan_id = t.plan_id
),
ins AS (
    INSERT INTO notification_outbox
        (athlete_id, event_type, payload, idempotency_key, status, attempts, created_at)
    SELECT f.athlete_id, 'week.reviewed',
        jsonb_build_object(
            'athlete_id', f.athlete_id,
            'plan_id', f.plan_id,
            'version', f.version,
            'week_start', to_char(f.week_start, 'YYYY-MM-DD'),
            'planned_km', f.planned_km,
            'done_km', f.done_km,
            'planned_runs', f.planned_runs,
            'done_runs', f.done_runs,
            'next_week', CASE WHEN f.next_km IS NULL THEN NULL ELSE jsonb_build_object(
                'week_start', to_char(f.week_start + 7, 'YYYY-MM-DD'),
                'planned_km', f.next_km,
                'planned_runs', f.next_runs,
                'decisions', f.decisions
            ) END
        ),
        f.key, 'pending', 0, :now
    FROM figures f
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
)
SELECT (SELECT max(plan_id) FROM batch) AS last_plan,
       (SELECT count(*) FROM batch) AS scanned,
       (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM ins) AS written
"""
).bindparams(
    bindparam("tzs", type_=ARRAY(String())),
    bindparam("weeks", type_=ARRAY(Date())),
)


@dataclass(frozen=True)
class ReviewChunk:
    last_plan_id: int | None  # the highest plan id looked at (None when the chunk was empty)
    scanned: int  # due plans looked at
    written: list[int]  # ids of the outbox rows inserted


def active_plan_timezones(session: Session) -> Sequence[str]:
    """Each distinct timezone of the active plans."""
    return session.scalars(select(Plan.timezone).where(Plan.active.is_(True)).distinct()).all()


def active_plan_athletes(session: Session, timezones: Sequence[str]) -> Sequence[int]:
    """The athletes with an active plan in one of these timezones."""
    if not timezones:
        return []
    stmt = (
        select(Plan.athlete_id)
        .where(Plan.active.is_(True), Plan.timezone.in_(list(timezones)))
        .order_by(Plan.athlete_id)
    )
    return session.scalars(stmt).all()


def supports_set_based_review(session: Session) -> bool:
    """Whether `write_review_chunk` runs on this database (PostgreSQL; the SQLite demo does not)."""
    return session.get_bind().dialect.name == "postgresql"


def write_review_chunk(
    session: Session,
    *,
    weeks_by_timezone: dict[str, date],
    after_plan_id: int,
    chunk: int,
    now: datetime,
) -> ReviewChunk:
    """Review the next `chunk` active plans (by id, after `after_plan_id`) in the given timezones, each for the
    week starting on its timezone's date; rows already written (by key) are left alone."""
    last, scanned, written = session.execute(
        _REVIEW_CHUNK,
        {
            "tzs": list(weeks_by_timezone),
            "weeks": list(weeks_by_timezone.values()),
            "after": after_plan_id,
            "chunk": chunk,
            "now": now,
        },
    ).one()
    return ReviewChunk(last, scanned, list(written))


def decisions_changing_week(session: Session, plan_id: int, week_start: date) -> list[dict[str, Any]]:
    """The plan's decisions that change the week starting `week_start`, as the set-based review writes them
    into `next_week.decisions` (the module's docstring says which)."""
    stmt = (
        select(PlanDecision)
        .where(PlanDecision.plan_id == plan_id, PlanDecision.status == DecisionStatus.ACTIVE)
        .order_by(PlanDecision.week_start, PlanDecision.id)
    )
    week_end = week_start + timedelta(days=6)

    def touches(decision: PlanDecision) -> bool:
        dates = (
            ((diff or {}).get("after") or {}).get("date") for diff in decision.change.get("workouts") or ()
        )
        return any(day is not None and week_start <= date.fromisoformat(day) <= week_end for day in dates)

    return [
        {
            "id": d.change_id,
            "code": d.code,
            "week_start": d.week_start.isoformat(),
            "revision": d.revision,
            "reason": d.reason,
            "facts": d.change.get("facts") or {},
        }
        for d in session.scalars(stmt)
        if touches(d)
    ]
