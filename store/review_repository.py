"""All SQL of the weekly review (jobs/review.py): the active plans' timezones, and one INSERT … SELECT per chunk
of plans that writes every due `week.reviewed` outbox row.

Functions take the session first and never commit. The chunk statement is PostgreSQL only (jsonb, to_char,
unnest): `supports_set_based_review` says whether the session's database runs it. Its idempotency keys are
built as `jobs.service.review_key` builds them, so the set-based and the per-athlete path never write one week
twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Date, String

from store.plan_models import Plan

# One chunk: the next `:chunk` due plans after `:after` (by id) that have no review yet, their week's figures,
# and the insert. Returns the last plan id looked at, how many were looked at and the ids written.
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
changed AS (
    SELECT plan_id, jsonb_agg(reason ORDER BY first_id) AS reasons
    FROM (
        SELECT t.plan_id, c.reason, min(c.id) AS first_id
        FROM todo t
        JOIN plan_changes c ON c.plan_id = t.plan_id AND NOT c.undone
            AND (c.created_at AT TIME ZONE 'UTC')::date BETWEEN t.week_start AND t.week_start + 6
        GROUP BY t.plan_id, c.reason
    ) distinct_reasons
    GROUP BY plan_id
),
figures AS (
    SELECT t.*, round(coalesce(r.done_m, 0)::numeric / 1000, 1) AS done_km,
           coalesce(m.done_runs, 0) AS done_runs, coalesce(c.reasons, '[]'::jsonb) AS changed
    FROM todo t
    LEFT JOIN runs r ON r.plan_id = t.plan_id
    LEFT JOIN matched m ON m.plan_id = t.plan_id
    LEFT JOIN changed c ON c.plan_id = t.plan_id
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
            'reasons', jsonb_build_array(
                'Week of ' || to_char(f.week_start, 'Dy DD Mon') || ': '
                || to_char(f.done_km, 'FM999990.0') || ' of ' || to_char(f.planned_km, 'FM999990.0') || ' km'
                || CASE WHEN f.planned_km > 0
                        THEN ' (' || round(f.done_km / f.planned_km * 100) || '%)' ELSE '' END
                || ', ' || f.done_runs || ' of ' || f.planned_runs || ' planned runs done.'
            ) || f.changed
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
