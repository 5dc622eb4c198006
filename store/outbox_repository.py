"""All SQL about the notification outbox's delivery: locking one row, finding rows to (re)deliver, the dead
letters, and which idempotency keys are already taken.

Functions take the session first and never commit. Rows are written by `store.plan_repository.
enqueue_notification` (one per idempotency key) or by the weekly review's set-based insert
(`store.review_repository`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from store.plan_models import NotificationOutbox, OutboxStatus


def lock(session: Session, outbox_id: int) -> NotificationOutbox | None:
    """The row, locked for this transaction; None when absent or another worker holds it (SKIP LOCKED)."""
    stmt = select(NotificationOutbox).where(NotificationOutbox.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).one_or_none()


def exists(session: Session, outbox_id: int) -> bool:
    """Whether the row is there at all (after `lock` found nothing: held by another worker, or gone)."""
    return session.get(NotificationOutbox, outbox_id) is not None


def due_ids(session: Session, *, stale_before: datetime, limit: int = 500) -> Sequence[int]:
    """Pending rows nobody is handling: never tried and older than `stale_before` (the after-commit publish
    was lost), or whose retry time passed before `stale_before` (the countdown retry was lost or parked)."""
    never_tried = and_(
        NotificationOutbox.next_attempt_at.is_(None), NotificationOutbox.created_at <= stale_before
    )
    retry_due = NotificationOutbox.next_attempt_at <= stale_before
    stmt = (
        select(NotificationOutbox.id)
        .where(NotificationOutbox.status == OutboxStatus.PENDING, or_(never_tried, retry_due))
        .order_by(NotificationOutbox.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def fresh_ids(session: Session, *, limit: int = 500) -> Sequence[int]:
    """Pending rows never tried yet: what a "kick" after a commit delivers."""
    stmt = (
        select(NotificationOutbox.id)
        .where(
            NotificationOutbox.status == OutboxStatus.PENDING, NotificationOutbox.next_attempt_at.is_(None)
        )
        .order_by(NotificationOutbox.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def dead(
    session: Session, *, athlete_id: int | None = None, limit: int = 200
) -> Sequence[NotificationOutbox]:
    """Rows that used up their attempts, newest first (what `runsmart notifications dead` lists)."""
    stmt = select(NotificationOutbox).where(NotificationOutbox.status == OutboxStatus.DEAD)
    if athlete_id is not None:
        stmt = stmt.where(NotificationOutbox.athlete_id == athlete_id)
    return session.scalars(stmt.order_by(NotificationOutbox.id.desc()).limit(limit)).all()


def replay_dead(session: Session, *, ids: Sequence[int] = (), athlete_id: int | None = None) -> Sequence[int]:
    """Give dead rows a fresh set of attempts (all of them, or these ids, or this athlete's); their ids.

    The rows keep their idempotency key and payload, so a receiver that did get an earlier attempt sees the
    same message id again and can drop it (Standard Webhooks' `webhook-id`)."""
    stmt = update(NotificationOutbox).where(NotificationOutbox.status == OutboxStatus.DEAD)
    if ids:
        stmt = stmt.where(NotificationOutbox.id.in_(list(ids)))
    if athlete_id is not None:
        stmt = stmt.where(NotificationOutbox.athlete_id == athlete_id)
    stmt = stmt.values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None).returning(
        NotificationOutbox.id
    )
    return sorted(session.scalars(stmt).all())


def existing_idempotency_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Of `keys`, those some outbox row already carries (that notification was written before)."""
    if not keys:
        return set()
    stmt = select(NotificationOutbox.idempotency_key).where(NotificationOutbox.idempotency_key.in_(keys))
    return set(session.scalars(stmt))
