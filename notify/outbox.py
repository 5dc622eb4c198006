"""SQL of the notification outbox for its delivery: locking one row, finding rows to (re)deliver.

Rows are written by `store.plan_repository.enqueue_notification` (one per idempotency key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from store.plan_models import NotificationOutbox, OutboxStatus


def lock(session: Session, outbox_id: int) -> NotificationOutbox | None:
    """The row, locked for this transaction; None when absent or another worker holds it (SKIP LOCKED)."""
    stmt = select(NotificationOutbox).where(NotificationOutbox.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).one_or_none()


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


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(NotificationOutbox.status, func.count()).group_by(NotificationOutbox.status)
    ).all()
    return {status: count for status, count in rows}
