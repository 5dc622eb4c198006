"""All SQL about calendar connectors (docs/connectors.md): an athlete's connection, what was pushed there, and
which connections the beat's tick should sync.

Functions take the session first and never commit. Writes about one connection hold its row lock
(`lock_connection`), so two syncs of one athlete never interleave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from store.plan_models import (
    ConnectorConnection,
    ConnectorStatus,
    ConnectorSync,
    NotificationOutbox,
    OutboxStatus,
    Plan,
)
from store.repository import _insert_for

_connection = ConnectorConnection
_sync = ConnectorSync


@dataclass(frozen=True)
class Pushed:
    """One workout as we last pushed it."""

    external_id: str
    workout_date: date
    content_hash: str


@dataclass(frozen=True)
class DueSync:
    """A connection the tick syncs: its athlete and the plan version to sync (None: no active plan)."""

    athlete_id: int
    plan_id: int | None
    version: int | None


def _key(athlete_id: int, connector: str) -> list[ColumnElement[bool]]:
    return [_connection.athlete_id == athlete_id, _connection.connector == connector]


def get_connection(session: Session, athlete_id: int, connector: str) -> ConnectorConnection | None:
    return session.scalars(select(_connection).where(*_key(athlete_id, connector))).one_or_none()


def lock_connection(session: Session, athlete_id: int, connector: str) -> ConnectorConnection | None:
    """The connection, locked until the transaction ends (waits for a sync of the same athlete in flight)."""
    stmt = select(_connection).where(*_key(athlete_id, connector)).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def add_connection(session: Session, connection: ConnectorConnection) -> None:
    session.add(connection)
    session.flush()


def delete_connection(session: Session, athlete_id: int, connector: str) -> None:
    """Forget the connection and its key; what was pushed goes with it."""
    session.execute(delete(_sync).where(_sync.athlete_id == athlete_id, _sync.connector == connector))
    session.execute(delete(_connection).where(*_key(athlete_id, connector)))
    session.expire_all()


def pushed(session: Session, athlete_id: int, connector: str) -> dict[str, Pushed]:
    rows = session.execute(
        select(_sync.external_id, _sync.workout_date, _sync.content_hash).where(
            _sync.athlete_id == athlete_id, _sync.connector == connector
        )
    )
    return {external_id: Pushed(external_id, day, digest) for external_id, day, digest in rows}


def pushed_count(session: Session, athlete_id: int, connector: str) -> int:
    stmt = select(func.count()).where(_sync.athlete_id == athlete_id, _sync.connector == connector)
    return int(session.scalar(stmt) or 0)


def record_pushed(
    session: Session, athlete_id: int, connector: str, rows: Iterable[Pushed], *, now: datetime
) -> None:
    """Upsert what was just pushed (its digest and time)."""
    values = [
        {
            "athlete_id": athlete_id,
            "connector": connector,
            "external_id": row.external_id,
            "workout_date": row.workout_date,
            "content_hash": row.content_hash,
            "pushed_at": now,
        }
        for row in rows
    ]
    if not values:
        return
    insert = _insert_for(session)(_sync)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["athlete_id", "connector", "external_id"],
            set_={
                "workout_date": insert.excluded.workout_date,
                "content_hash": insert.excluded.content_hash,
                "pushed_at": insert.excluded.pushed_at,
            },
        ),
        values,
    )


def forget_pushed(session: Session, athlete_id: int, connector: str, external_ids: Sequence[str]) -> None:
    """Drop these workouts from what we hold as pushed (deleted there, or past and left as history)."""
    if not external_ids:
        return
    session.execute(
        delete(_sync).where(
            _sync.athlete_id == athlete_id,
            _sync.connector == connector,
            _sync.external_id.in_(list(external_ids)),
        )
    )


def due_for_sync(
    session: Session, connector: str, *, event_type: str, resync_before: datetime, limit: int = 500
) -> list[DueSync]:
    """Active connections whose athlete's active plan is not the version last synced (or has gone), or whose
    last sync is older than `resync_before`; none that already has a pending `event_type` outbox row."""
    plan = Plan
    pending = exists().where(
        NotificationOutbox.athlete_id == _connection.athlete_id,
        NotificationOutbox.event_type == event_type,
        NotificationOutbox.status == OutboxStatus.PENDING,
    )
    changed = or_(
        _connection.synced_at.is_(None),
        _connection.synced_at <= resync_before,
        _connection.synced_plan_id.is_distinct_from(plan.id),
        _connection.synced_version.is_distinct_from(plan.version),
    )
    stmt = (
        select(_connection.athlete_id, plan.id, plan.version)
        .outerjoin(plan, and_(plan.athlete_id == _connection.athlete_id, plan.active.is_(True)))
        .where(
            _connection.connector == connector,
            _connection.status == ConnectorStatus.ACTIVE,
            changed,
            ~pending,
        )
        .order_by(_connection.athlete_id)
        .limit(limit)
    )
    return [DueSync(athlete_id, plan_id, version) for athlete_id, plan_id, version in session.execute(stmt)]
