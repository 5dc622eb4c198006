"""The weekly review, set-based: one INSERT … SELECT per chunk of plans writes every due `week.reviewed` row.

Which athletes are due depends only on their timezone, and there are few distinct timezones: for each one
`clock.review_week` says whether its Sunday review hour has come and which week it reviews. One statement per
chunk of (by default) 5,000 active plans in those timezones then joins `plan_weeks` (planned km and runs of the
current plan version) with the athlete's run activities summed over that week, the plan's matched workouts of
the week and the reasons of the changes made during it, and inserts the outbox rows ON CONFLICT
(idempotency_key) DO NOTHING — keys as `jobs.service.review_key`, so re-running (the hourly tick until Monday,
a redelivered task) writes nothing twice. One transaction per chunk: none grows with the number of athletes.

PostgreSQL only (jsonb, to_char, unnest); on another database (the SQLite demo) the per-athlete path
`jobs.service.weekly_review` runs for each due athlete instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import Date, String

from jobs import clock, service
from store.plan_models import Plan as PlanRow

CHUNK = 5_000

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


@dataclass
class ReviewRun:
    due_timezones: dict[str, date] = field(default_factory=dict)
    scanned: int = 0  # active plans in a due timezone
    written: int = 0  # week.reviewed rows inserted by this run
    chunks: int = 0


def due_timezones(session: Session, *, now: datetime, hour: int) -> dict[str, date]:
    """Per distinct timezone of the active plans: the Monday of the week to review, if its review hour has come."""
    zones = session.scalars(select(PlanRow.timezone).where(PlanRow.active.is_(True)).distinct())
    return {tz: week for tz in zones if (week := clock.review_week(now, tz, hour)) is not None}


def review_all(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    hour: int,
    chunk: int = CHUNK,
    after_commit: Callable[[Sequence[int]], None] | None = None,
) -> ReviewRun:
    """Write every due weekly review; one transaction per chunk. `after_commit(ids)` gets each chunk's new
    outbox ids once that chunk is committed (to enqueue their delivery)."""
    with sessions() as session:
        due = due_timezones(session, now=now, hour=hour)
        dialect = session.get_bind().dialect.name
    run = ReviewRun(due_timezones=due)
    if not due:
        return run
    if dialect != "postgresql":
        return _per_athlete(sessions, run, now=now, hour=hour, after_commit=after_commit)
    tzs, weeks = list(due), list(due.values())
    after = 0
    while True:
        with sessions() as session, session.begin():
            last, scanned, written = session.execute(
                _REVIEW_CHUNK,
                {"tzs": tzs, "weeks": weeks, "after": after, "chunk": chunk, "now": now},
            ).one()
        run.chunks += 1
        run.scanned += scanned
        run.written += len(written)
        if written and after_commit is not None:
            after_commit(list(written))
        if scanned < chunk:
            return run
        after = last


def _per_athlete(
    sessions: sessionmaker[Session],
    run: ReviewRun,
    *,
    now: datetime,
    hour: int,
    after_commit: Callable[[Sequence[int]], None] | None,
) -> ReviewRun:
    with sessions() as session:
        due = service.reviews_due(session, now=now, hour=hour)
    run.scanned = len(due)
    for athlete_id, week_start in due:
        with sessions() as session, session.begin():
            if service.weekly_review(session, athlete_id, week_start, now=now) == "reviewed":
                run.written += 1
        run.chunks += 1
    if run.written and after_commit is not None:
        after_commit([])  # ids unknown here: the caller's kick delivers them
    return run
