"""Read-only counts for operators' gauges (webhooks/metrics.py): the inbox, the outbox and backfill progress.

Each query reads only unfinished rows through an index whose first column is `status`, so a scrape costs the
same however many events and notifications are done. `snapshot` runs them in one read-only transaction with a
statement timeout (PostgreSQL), so a slow database makes a scrape report the source as down, never hang.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from store import athlete_repository
from store.models import BackfillJob, EventStatus, JobStatus, StravaEvent
from store.outcomes import PARKED_OUTCOMES
from store.plan_models import NotificationOutbox, OutboxStatus

OPEN_EVENT_STATUSES = (EventStatus.PENDING, EventStatus.FAILED, EventStatus.AWAITING_REAUTH)


@dataclass(frozen=True)
class InboxCounts:
    # (status, outcome or "new") -> rows, for the rows not yet done.
    by_status_outcome: dict[tuple[str, str], int]
    parked: int  # pending rows waiting for a Strava window to reset
    oldest_pending_age_s: float  # the oldest pending row, since it was received (parked ones included)
    oldest_due_age_s: float  # how long the most overdue pending row has been due: the stall signal


@dataclass(frozen=True)
class BackfillCounts:
    jobs_by_status: dict[str, int]
    # Over the jobs not finished yet: pages read and activities found and queued so far.
    pages_done: int
    activities_queued: int


@dataclass(frozen=True)
class OpsSnapshot:
    inbox: InboxCounts
    outbox_by_status: dict[str, int]
    oldest_outbox_pending_age_s: float
    backfill: BackfillCounts
    connected_athletes: (
        int  # athletes holding one of the app's Strava places (docs/operations.md, "Capacity")
    )
    taken_at: datetime = field(compare=False)


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite hands back naive datetimes (stored as UTC)
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())


def inbox_counts(session: Session, now: datetime) -> InboxCounts:
    event = StravaEvent
    outcome = func.coalesce(event.outcome, "new")
    rows = session.execute(
        select(event.status, outcome, func.count())
        .where(event.status.in_(OPEN_EVENT_STATUSES))
        .group_by(event.status, outcome)
    ).all()
    by_status_outcome = {(status, str(name)): int(n) for status, name, n in rows}
    due_since = func.coalesce(event.next_attempt_at, event.received_at)
    oldest_received, oldest_due = session.execute(
        select(
            func.min(event.received_at),
            func.min(case((due_since <= now, due_since))),
        ).where(event.status == EventStatus.PENDING)
    ).one()
    parked = sum(
        n
        for (status, name), n in by_status_outcome.items()
        if status == EventStatus.PENDING and name in PARKED_OUTCOMES
    )
    return InboxCounts(by_status_outcome, parked, _age(now, oldest_received), _age(now, oldest_due))


def outbox_counts(session: Session, now: datetime) -> tuple[dict[str, int], float]:
    outbox = NotificationOutbox
    rows = session.execute(
        select(outbox.status, func.count(), func.min(outbox.created_at))
        .where(outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.DEAD)))
        .group_by(outbox.status)
    ).all()
    counts = {OutboxStatus.PENDING: 0, OutboxStatus.DEAD: 0} | {status: int(n) for status, n, _ in rows}
    oldest_pending = next((oldest for status, _, oldest in rows if status == OutboxStatus.PENDING), None)
    return counts, _age(now, oldest_pending)


def backfill_counts(session: Session) -> BackfillCounts:
    job = BackfillJob
    by_status = {
        status: int(n)
        for status, n in session.execute(select(job.status, func.count()).group_by(job.status)).all()
    }
    pages, queued = session.execute(
        select(
            func.coalesce(func.sum(job.pages_done), 0), func.coalesce(func.sum(job.activities_queued), 0)
        ).where(job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)))
    ).one()
    statuses = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED)
    return BackfillCounts({s: 0 for s in statuses} | by_status, int(pages), int(queued))


def snapshot(session: Session, now: datetime, *, timeout_s: float) -> OpsSnapshot:
    """Every count in one read-only transaction, each statement bounded by `timeout_s` on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION READ ONLY"))
        session.execute(
            text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(int(timeout_s * 1000))}
        )
    inbox = inbox_counts(session, now)
    outbox, oldest_outbox = outbox_counts(session, now)
    connected = athlete_repository.count_connected(session)
    return OpsSnapshot(inbox, outbox, oldest_outbox, backfill_counts(session), connected, taken_at=now)
