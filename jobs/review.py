"""The weekly review, set-based: one INSERT … SELECT per chunk of plans writes every due `week.reviewed` row,
the figures of each athlete's weekly digest.

Which athletes are due depends only on their timezone, and there are few distinct timezones. A week ends at
midnight where the athlete is; in the first hour of their Monday the plan judges it (`closing_athletes`, one
`jobs.service.close_week` each: the planner decides about a week only once it is over), and from the review
hour on Monday `clock.review_week` says which week each timezone reviews. One statement per chunk of (by
default) 5,000 active plans in those timezones then joins `plan_weeks` (planned km and runs of the current plan
version, this week and next) with the athlete's run activities summed over the week, the plan's matched
workouts of the week and the decisions that change next week, and inserts the outbox rows ON CONFLICT
(idempotency_key) DO NOTHING — keys as `jobs.service.review_key`, so re-running (the hourly tick until Tuesday,
a redelivered task) writes nothing twice. One transaction per chunk: none grows with the number of athletes.
The digest's words are rendered from those figures when each row is first delivered (messages/digest.py,
notify/delivery.py), one message at a time beside the request that sends it, so the review itself stays a few
statements.

The statement is `store.review_repository.write_review_chunk`'s. PostgreSQL only (jsonb, to_char, unnest); on
another database (the SQLite demo) the per-athlete path `jobs.service.weekly_review` runs for each due athlete
instead and writes the same payload.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from jobs import clock, service
from store import review_repository

CHUNK = 5_000


@dataclass
class ReviewRun:
    due_timezones: dict[str, date] = field(default_factory=dict)
    scanned: int = 0  # active plans in a due timezone
    written: int = 0  # week.reviewed rows inserted by this run
    chunks: int = 0


def due_timezones(session: Session, *, now: datetime, hour: int) -> dict[str, date]:
    """Per distinct timezone of the active plans: the Monday of the week to review, if its review hour has come."""
    zones = review_repository.active_plan_timezones(session)
    return {tz: week for tz in zones if (week := clock.review_week(now, tz, hour)) is not None}


def closing_athletes(session: Session, *, now: datetime) -> Sequence[int]:
    """The athletes whose week ended at the last midnight where they are, in the first hour of their Monday:
    each gets the plan judged as of the new week (`jobs.service.close_week`) before the digest reads its
    decisions, at the review hour."""
    zones = review_repository.active_plan_timezones(session)
    return review_repository.active_plan_athletes(
        session, [tz for tz in zones if clock.week_closing(now, tz) is not None]
    )


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
        set_based = review_repository.supports_set_based_review(session)
    run = ReviewRun(due_timezones=due)
    if not due:
        return run
    if not set_based:
        return _per_athlete(sessions, run, now=now, hour=hour, after_commit=after_commit)
    after = 0
    while True:
        with sessions() as session, session.begin():
            done = review_repository.write_review_chunk(
                session, weeks_by_timezone=due, after_plan_id=after, chunk=chunk, now=now
            )
        run.chunks += 1
        run.scanned += done.scanned
        run.written += len(done.written)
        if done.written and after_commit is not None:
            after_commit(done.written)
        if done.scanned < chunk or done.last_plan_id is None:
            return run
        after = done.last_plan_id


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
