"""All SQL about the notification outbox's delivery: locking one row, finding rows to (re)deliver, the group of
an athlete's rows a coalesced delivery merges, the dead letters, and which idempotency keys are already taken.

Functions take the session first and never commit. Rows are written by `store.plan_repository.
enqueue_notification` (one per idempotency key) or by the weekly review's set-based insert
(`store.review_repository`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from store.plan_models import NotificationOutbox, OutboxStatus

# Names the transaction-scoped advisory locks (two-key form, its own key space) that let one worker at a time
# merge an athlete's rows ("RNOT").
_COALESCE_LOCK_CLASS = 0x524E4F54
_INT4 = 2_147_483_647
_outbox = NotificationOutbox
# Not carried by another row's message: a row that was never merged, or the row that carries a merged message.
_NOT_CARRIED = or_(_outbox.merged_into.is_(None), _outbox.merged_into == _outbox.id)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock(session: Session, outbox_id: int) -> NotificationOutbox | None:
    """The row, locked for this transaction; None when absent or another worker holds it (SKIP LOCKED)."""
    stmt = select(NotificationOutbox).where(NotificationOutbox.id == outbox_id)
    if _is_postgresql(session):
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
        .where(NotificationOutbox.status == OutboxStatus.PENDING, or_(never_tried, retry_due), _NOT_CARRIED)
        .order_by(NotificationOutbox.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def fresh_ids(session: Session, *, limit: int = 500) -> Sequence[int]:
    """Pending rows never tried yet: what a "kick" after a commit delivers."""
    stmt = (
        select(NotificationOutbox.id)
        .where(
            NotificationOutbox.status == OutboxStatus.PENDING,
            NotificationOutbox.next_attempt_at.is_(None),
            _NOT_CARRIED,
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
    same message id again and can drop it (Standard Webhooks' `webhook-id`). A coalesced message is replayed
    whole: naming any of its rows replays the row that carries it and every row it carries. A row replayed on
    its own is marked as carrying itself, so it is sent as it was, never merged into a later message."""
    stmt = update(NotificationOutbox).where(NotificationOutbox.status == OutboxStatus.DEAD)
    if ids:
        stmt = stmt.where(NotificationOutbox.id.in_(_whole_messages(session, ids)))
    if athlete_id is not None:
        stmt = stmt.where(NotificationOutbox.athlete_id == athlete_id)
    stmt = stmt.values(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=None,
        merged_into=func.coalesce(NotificationOutbox.merged_into, NotificationOutbox.id),
    ).returning(NotificationOutbox.id)
    return sorted(session.scalars(stmt).all())


def _whole_messages(session: Session, ids: Sequence[int]) -> list[int]:
    """`ids` with, for each coalesced message one of them belongs to, its carrying row and all it carries."""
    carriers = set(
        session.scalars(
            select(_outbox.merged_into).where(_outbox.id.in_(list(ids)), _outbox.merged_into.is_not(None))
        )
    )
    if not carriers:
        return list(ids)
    # Dead rows only (the status index): every row of a dead message is dead.
    carried = session.scalars(
        select(_outbox.id).where(_outbox.status == OutboxStatus.DEAD, _outbox.merged_into.in_(carriers))
    )
    return sorted({*ids, *carriers, *carried})


# --- coalescing: an athlete's rows of one type merged into one message (notify/delivery.py) ----------------


def _open_rows(athlete_id: int, event_type: str) -> list[ColumnElement[bool]]:
    """Pending rows of this athlete and type that no message carries yet and that were never attempted."""
    return [
        _outbox.athlete_id == athlete_id,
        _outbox.event_type == event_type,
        _outbox.status == OutboxStatus.PENDING,
        _outbox.merged_into.is_(None),
        _outbox.attempts == 0,
    ]


def open_group(session: Session, athlete_id: int, event_type: str) -> list[tuple[int, datetime]]:
    """(id, created_at) of the open rows (see `_open_rows`), oldest first; read without locking."""
    stmt = (
        select(_outbox.id, _outbox.created_at)
        .where(*_open_rows(athlete_id, event_type))
        .order_by(_outbox.created_at, _outbox.id)
    )
    return [(outbox_id, created_at) for outbox_id, created_at in session.execute(stmt)]


def lock_open_group(session: Session, athlete_id: int, event_type: str) -> list[NotificationOutbox]:
    """The open rows this transaction could lock, oldest first; rows another worker holds are left out (SKIP
    LOCKED), so the caller compares the result with `open_group`."""
    stmt = select(_outbox).where(*_open_rows(athlete_id, event_type)).order_by(_outbox.created_at, _outbox.id)
    if _is_postgresql(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def try_lock_merging(session: Session, athlete_id: int) -> bool:
    """Whether this transaction may merge the athlete's rows: one worker at a time per athlete, until the
    transaction ends; False when another holds it. SQLite (the demo) has one writer at a time anyway."""
    if not _is_postgresql(session):
        return True
    stmt = text("SELECT pg_try_advisory_xact_lock(:lock_class, CAST(:athlete % :int4 AS integer))")
    params = {"lock_class": _COALESCE_LOCK_CLASS, "athlete": athlete_id, "int4": _INT4}
    return bool(session.execute(stmt, params).scalar_one())


def settle_carried(
    session: Session,
    carrier_id: int,
    carried_ids: Sequence[int],
    *,
    status: str,
    now: datetime,
    last_error: str | None,
) -> None:
    """The rows a message carried take its final status (delivered or dead) with it, in the caller's
    transaction."""
    if not carried_ids:
        return
    session.execute(
        update(_outbox)
        .where(
            _outbox.id.in_(list(carried_ids)),
            _outbox.merged_into == carrier_id,
            _outbox.status == OutboxStatus.PENDING,
        )
        .values(
            status=status,
            delivered_at=now if status == OutboxStatus.DELIVERED else None,
            next_attempt_at=None,
            last_error=last_error,
        )
        .execution_options(synchronize_session=False)
    )


def existing_idempotency_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Of `keys`, those some outbox row already carries (that notification was written before)."""
    if not keys:
        return set()
    stmt = select(NotificationOutbox.idempotency_key).where(NotificationOutbox.idempotency_key.in_(keys))
    return set(session.scalars(stmt))
