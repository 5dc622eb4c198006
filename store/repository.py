"""All SQL lives here. Functions take the session first and never commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Select, and_, delete, func, null, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from store.models import (
    Activity,
    ActivityTombstone,
    Athlete,
    BackfillJob,
    ConnectionStatus,
    EventAttempt,
    EventSource,
    EventStatus,
    JobStatus,
    ReconciliationRun,
    StravaConnection,
    StravaEvent,
)
from store.outcomes import EventOutcome
from store.source_repository import (
    forget_strava_activity,
    is_strava_key,
    purge_strava_copies,
    strava_copy_ids,
    strava_twins_between,
)

# Outcomes of pushed events that made no call because the athlete's allowance was spent: the run they announce
# may be real, so the athlete is reconciled within a window (athletes_with_deferred_events_unreconciled).
DEFERRED_OUTCOMES = (EventOutcome.DEFERRED_TO_RECONCILE, EventOutcome.NOT_FOUND_ALLOWANCE_SPENT)
# Event outcomes that leave the athlete's runs for reconciliation to check (athletes_with_troubled_events).
RECONCILE_OUTCOMES = (EventOutcome.GONE, *DEFERRED_OUTCOMES)


def _insert_for(session: Session) -> Any:
    return _insert_construct(session.get_bind().dialect.name)


def _insert_construct(dialect: str) -> Any:
    """INSERT with ON CONFLICT for the dialect. SQLite is only the embedded demo's database: its dialect is
    imported here, so the PostgreSQL processes never load it (0.7 MB of the API's memory goal)."""
    if dialect == "postgresql":
        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def _for_update(
    session: Session, stmt: Select[Any], *, skip_locked: bool = False, no_key: bool = False
) -> Select[Any]:
    # SQLite has no row locks; the demo runs a single worker, so there is nothing to serialize.
    # no_key: FOR NO KEY UPDATE, which serializes lockers like FOR UPDATE but lets other transactions insert rows
    # that reference the locked one (a foreign-key check takes FOR KEY SHARE, which FOR UPDATE would block).
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=skip_locked, key_share=no_key)
    return stmt


def _affected(session: Session, stmt: Executable) -> int:
    return cast(CursorResult[Any], session.execute(stmt)).rowcount


def updates_digest(updates: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(updates, sort_keys=True).encode()).hexdigest()


# --- inbox ------------------------------------------------------------------------------------------


def insert_event_if_new(session: Session, values: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the id of a new row, None for a duplicate."""
    return insert_events_if_new(session, [values])[0]


def insert_events_if_new(session: Session, rows: Sequence[dict[str, Any]]) -> list[int | None]:
    """Many events in one statement (group commit): for each row, its new id, or None for a duplicate.

    Duplicates inside the batch are resolved here (the first wins) and against the table by ON CONFLICT.
    """
    keyed = [{**row, "updates_digest": updates_digest(row.get("updates", {}))} for row in rows]
    key_of = [_natural_key(row) for row in keyed]
    first: dict[tuple[Any, ...], int] = {}
    for index, key in enumerate(key_of):
        first.setdefault(key, index)
    unique = [keyed[i] for i in sorted(first.values())]
    # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" sends one multi-row INSERT per 1000 rows,
    # and the statement is compiled once (a .values(list) would be compiled anew for every batch size).
    stmt = (
        _insert_for(session)(StravaEvent)
        .on_conflict_do_nothing(index_elements=_NATURAL_KEY)
        .returning(StravaEvent.id, *_NATURAL_KEY)
    )
    result = session.execute(stmt, unique) if len(unique) > 1 else session.execute(stmt.values(unique[0]))
    inserted = {tuple(r[1:]): r[0] for r in result.all()}
    return [inserted.get(key) if first[key] == index else None for index, key in enumerate(key_of)]


_NATURAL_KEY = [
    StravaEvent.subscription_id,
    StravaEvent.object_type,
    StravaEvent.object_id,
    StravaEvent.aspect_type,
    StravaEvent.event_time,
    StravaEvent.updates_digest,
]


def _natural_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column.key] for column in _NATURAL_KEY)


def get_event(session: Session, event_id: int) -> StravaEvent | None:
    """The inbox row, without a lock (the unhappy paths' short transactions; whether a locked row exists)."""
    return session.get(StravaEvent, event_id)


def lock_event(session: Session, event_id: int) -> StravaEvent | None:
    """The event row, locked; None when it is gone or another worker holds it right now."""
    stmt = _for_update(session, select(StravaEvent).where(StravaEvent.id == event_id), skip_locked=True)
    return session.execute(stmt).scalar_one_or_none()


def events_to_redrive(
    session: Session, *, now: datetime, stale_before: datetime, limit: int
) -> Sequence[int]:
    # A pending row without a due time was stored but never handled; a failed row without one failed for
    # good (a request Strava refused in a way no retry changes) and is never re-driven.
    stmt = (
        select(StravaEvent.id)
        .where(
            StravaEvent.status.in_([EventStatus.PENDING, EventStatus.FAILED]),
            or_(
                and_(
                    StravaEvent.status == EventStatus.PENDING,
                    StravaEvent.next_attempt_at.is_(None),
                    StravaEvent.received_at < stale_before,
                ),
                and_(StravaEvent.next_attempt_at.is_not(None), StravaEvent.next_attempt_at <= now),
            ),
        )
        .order_by(StravaEvent.received_at)
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()


def release_awaiting_reauth(session: Session, athlete_id: int) -> Sequence[int]:
    stmt = (
        update(StravaEvent)
        .where(StravaEvent.owner_id == athlete_id, StravaEvent.status == EventStatus.AWAITING_REAUTH)
        .values(status=EventStatus.PENDING, next_attempt_at=None)
        .returning(StravaEvent.id)
    )
    return session.execute(stmt).scalars().all()


def record_attempt(
    session: Session,
    event: StravaEvent,
    *,
    started_at: datetime,
    finished_at: datetime,
    outcome: EventOutcome,
    error: str | None,
) -> None:
    """An audit row for the attempt, and the event's attempt count and last error.

    `attempts + 1` is computed by the database (never from a value read earlier) and goes out in the same
    UPDATE as the caller's other changes to the event row when the session flushes.
    """
    session.add(
        EventAttempt(
            event_id=event.id, started_at=started_at, finished_at=finished_at, outcome=outcome, error=error
        )
    )
    event.attempts = StravaEvent.attempts + 1  # type: ignore[assignment]
    event.last_error = error
    flag_modified(event, "last_error")  # written even when unchanged, as the separate UPDATE did


def latest_attempt_outcomes(session: Session, event_id: int, *, limit: int) -> Sequence[str]:
    """The outcomes of the event's latest attempts, newest first."""
    stmt = (
        select(EventAttempt.outcome)
        .where(EventAttempt.event_id == event_id)
        .order_by(EventAttempt.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def unverified_calls_since(
    session: Session, athlete_id: int, since: datetime, outcomes: Sequence[str]
) -> int:
    """Attempts of the athlete's pushed events since `since` that ended in one of `outcomes`: the Strava calls
    spent on events that Strava then disproved (the per-athlete allowance, sync/event_guard.py)."""
    stmt = (
        select(func.count())
        .select_from(EventAttempt)
        .join(StravaEvent, StravaEvent.id == EventAttempt.event_id)
        .where(
            StravaEvent.owner_id == athlete_id,
            StravaEvent.source == EventSource.WEBHOOK,
            EventAttempt.started_at >= since,
            EventAttempt.outcome.in_(outcomes),
        )
    )
    return session.scalar(stmt) or 0


def oldest_unverified_call_since(
    session: Session, athlete_id: int, since: datetime, outcomes: Sequence[str]
) -> datetime | None:
    """The start of the oldest attempt that `unverified_calls_since` counts: when it leaves the window, the
    athlete's allowance frees a call."""
    stmt = (
        select(func.min(EventAttempt.started_at))
        .join(StravaEvent, StravaEvent.id == EventAttempt.event_id)
        .where(
            StravaEvent.owner_id == athlete_id,
            StravaEvent.source == EventSource.WEBHOOK,
            EventAttempt.started_at >= since,
            EventAttempt.outcome.in_(outcomes),
        )
    )
    return session.scalar(stmt)


def has_parked_deletes(session: Session, athlete_id: int, *, before_event_id: int | None = None) -> bool:
    """Whether pushed deletes of the athlete wait, parked until the allowance frees (DELETE_PARKED);
    with `before_event_id`, only those received before that event (their turn comes first)."""
    stmt = select(StravaEvent.id).where(
        StravaEvent.owner_id == athlete_id,
        StravaEvent.source == EventSource.WEBHOOK,
        StravaEvent.aspect_type == "delete",
        StravaEvent.status == EventStatus.PENDING,
        StravaEvent.outcome == EventOutcome.DELETE_PARKED,
    )
    if before_event_id is not None:
        stmt = stmt.where(StravaEvent.id < before_event_id)
    return session.execute(stmt.limit(1)).first() is not None


def count_events_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(StravaEvent.status, func.count()).group_by(StravaEvent.status)).all()
    return {status: count for status, count in rows}


def has_newer_update(session: Session, event: StravaEvent) -> bool:
    """Another `update` of the same activity in the inbox at the same second or later (any status).

    Strava's `event_time` has whole seconds and deliveries arrive in any order, so an `update` that is not the
    newest known one must not be applied from its body (a late rename would overwrite a newer one)."""
    stmt = (
        select(StravaEvent.id)
        .where(
            StravaEvent.object_type == event.object_type,
            StravaEvent.object_id == event.object_id,
            StravaEvent.aspect_type == "update",
            StravaEvent.id != event.id,
            StravaEvent.event_time >= event.event_time,
        )
        .limit(1)
    )
    return session.execute(stmt).first() is not None


# --- athletes and connections -------------------------------------------------------------------------


# session.info key: (the root transaction, {athlete id: Athlete}) of the row locks that transaction holds.
_LOCKED_ATHLETES = "runsmart.locked_athletes"


def lock_athlete(session: Session, athlete_id: int) -> Athlete | None:
    """Serializes all writes about one athlete (activities, deletions, purges, plans).

    A row lock lasts until its transaction ends, so asking again within the same transaction (an event's
    write, then the plan pipeline) returns the row locked before instead of sending the SELECT .. FOR NO KEY
    UPDATE again: without populate_existing that statement would have returned the same identity-map object
    anyway.
    Only locks taken outside a savepoint are remembered (rolling back to a savepoint releases the row locks
    taken after it), and only for the root transaction that took them (a commit or rollback ends them).
    """
    held = session.info.get(_LOCKED_ATHLETES)
    if held is not None and held[0] is session.get_transaction() and athlete_id in held[1]:
        return cast(Athlete, held[1][athlete_id])
    # NO KEY: the token service commits in its own transaction while an event holds this lock, and may insert a
    # notification for the athlete (sync/tokens.py); with FOR UPDATE its foreign-key check would wait for us.
    stmt = _for_update(session, select(Athlete).where(Athlete.id == athlete_id), no_key=True)
    athlete = session.execute(stmt).scalar_one_or_none()
    if athlete is not None and not session.in_nested_transaction():
        transaction = session.get_transaction()
        if held is None or held[0] is not transaction:
            held = session.info[_LOCKED_ATHLETES] = (transaction, dict[int, Athlete]())
        held[1][athlete_id] = athlete
    return athlete


def get_connection(
    session: Session, athlete_id: int, *, lock: bool = False, fresh: bool = False
) -> StravaConnection | None:
    """`fresh`: overwrite a copy the session already holds with the row as read now (populate_existing)."""
    stmt = select(StravaConnection).where(StravaConnection.athlete_id == athlete_id)
    if lock:
        stmt = _for_update(session, stmt)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


# --- activities -------------------------------------------------------------------------------------


def is_tombstoned(session: Session, activity_id: int) -> bool:
    return session.get(ActivityTombstone, activity_id) is not None


def lift_tombstone(session: Session, activity_id: int) -> None:
    """Strava showed the activity to its owner again (it was hidden, or a forged delete left the tombstone)."""
    session.execute(delete(ActivityTombstone).where(ActivityTombstone.id == activity_id))


def stored_activity(session: Session, activity_id: int) -> Activity | None:
    return session.get(Activity, activity_id)


def upsert_activity(session: Session, values: dict[str, Any]) -> bool:
    """Insert or update by Strava id; an older read never overwrites a newer one. True if written."""
    # The values go in as parameters of a statement built once per dialect and set of columns: building it
    # around the values (.values(**values), one excluded[...] per column) cost more than sending it.
    stmt = _upsert_activity_stmt(session.get_bind().dialect.name, tuple(values))
    # RETURNING, not rowcount: drivers report -1 for INSERT .. ON CONFLICT.
    return session.execute(stmt, values).scalar_one_or_none() is not None


@lru_cache(maxsize=16)
def _upsert_activity_stmt(dialect: str, columns: tuple[str, ...]) -> Executable:
    stmt = _insert_construct(dialect)(Activity)
    return stmt.on_conflict_do_update(
        index_elements=[Activity.id],
        set_={k: stmt.excluded[k] for k in columns if k != "id"},
        where=Activity.fetched_at <= stmt.excluded.fetched_at,
    ).returning(Activity.id)


def delete_activity(
    session: Session, activity_id: int, athlete_id: int, *, now: datetime, tombstone: bool = True
) -> None:
    """Remove the athlete's copy of the activity and, when `tombstone`, remember the deletion. Only ever the
    named athlete's row: a delete naming another owner removes nothing."""
    # Strava's copy goes too; the run's matches and pairings are kept for the sources hook when other copies
    # still hold the run (docs/sources.md#deleting-and-withdrawing).
    forget_strava_activity(session, athlete_id, activity_id)
    session.execute(delete(Activity).where(Activity.id == activity_id, Activity.athlete_id == athlete_id))
    if not tombstone:
        return
    insert = _insert_for(session)
    session.execute(
        insert(ActivityTombstone)
        .values(id=activity_id, athlete_id=athlete_id, deleted_at=now)
        .on_conflict_do_nothing(index_elements=[ActivityTombstone.id])
    )


def purge_strava_data(session: Session, athlete_id: int, *, keep_event_id: int | None) -> dict[str, int]:
    """Delete every Strava-derived row of an athlete in the sync tables (docs/operations.md, Retention); the
    plan tables' share is `plan_repository.purge_strava_derived`."""
    counts = {
        # Runs keyed by Strava's id and Strava's copies; a run first seen in a file is the athlete's own, and the
        # other copies of a purged run are filed again by the sources hook (docs/sources.md#purging-strava-data).
        "activities": _affected(
            session, delete(Activity).where(Activity.athlete_id == athlete_id, is_strava_key(Activity.id))
        ),
        "strava_copies": purge_strava_copies(session, athlete_id),
        "tombstones": _affected(
            session, delete(ActivityTombstone).where(ActivityTombstone.athlete_id == athlete_id)
        ),
    }
    events = delete(StravaEvent).where(StravaEvent.owner_id == athlete_id)
    if keep_event_id is not None:
        events = events.where(StravaEvent.id != keep_event_id)
    # Attempts go with their events (ON DELETE CASCADE); SQLite needs them removed explicitly too.
    doomed = select(StravaEvent.id).where(events.whereclause)  # type: ignore[arg-type]
    session.execute(delete(EventAttempt).where(EventAttempt.event_id.in_(doomed)))
    counts["events"] = _affected(session, events)
    # What reconciliation and backfill found is a description of the athlete's Strava history too.
    for table in (ReconciliationRun, BackfillJob):
        session.execute(delete(table).where(table.athlete_id == athlete_id))
    session.execute(update(Athlete).where(Athlete.id == athlete_id).values(firstname="", lastname=""))
    return counts


def close_ical_feed(session: Session, athlete_id: int) -> None:
    """Forget the digest of the athlete's feed token: the URL answers 404 from now on."""
    session.execute(update(Athlete).where(Athlete.id == athlete_id).values(ical_token=None))


def drop_raw_payloads(session: Session, *, fetched_before: datetime) -> int:
    """Forget the raw Strava JSON of activities read before `fetched_before` (the normalized run stays)."""
    stmt = (
        update(Activity)
        .where(Activity.fetched_at < fetched_before, Activity.raw.is_not(None))
        .values(raw=null())  # SQL NULL: a Python None would be stored as the JSON value null
        .execution_options(synchronize_session=False)
    )
    return _affected(session, stmt)


def dead_grants_to_purge(session: Session, *, dead_since: datetime, limit: int) -> Sequence[int]:
    """Athletes whose grant has been dead (needs re-authorization, or revoked) since before `dead_since` and
    whose data was not purged since it died."""
    stmt = (
        select(StravaConnection.athlete_id)
        .where(
            StravaConnection.status.in_([ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.REVOKED]),
            StravaConnection.updated_at < dead_since,
            or_(
                StravaConnection.data_purged_at.is_(None),
                StravaConnection.data_purged_at < StravaConnection.updated_at,
            ),
        )
        .order_by(StravaConnection.updated_at)
        .limit(limit)
    )
    return session.scalars(stmt).all()


# --- backfill and reconciliation --------------------------------------------------------------------


def synthetic_event(
    session: Session,
    *,
    source: EventSource,
    athlete_id: int,
    activity_id: int,
    aspect: str,
    event_time: int,
    now: datetime,
    updates: dict[str, Any] | None = None,
) -> int | None:
    """An inbox row made by us (subscription_id 0), processed like a push; idempotent on the natural key."""
    return insert_event_if_new(
        session,
        {
            "source": source,
            "subscription_id": 0,
            "object_type": "activity",
            "object_id": activity_id,
            "aspect_type": aspect,
            "owner_id": athlete_id,
            "event_time": event_time,
            "updates": updates or {},
            "received_at": now,
        },
    )


def lock_backfill_job(session: Session, athlete_id: int) -> BackfillJob | None:
    """The athlete's backfill job, locked for this transaction (one step or one (re)start at a time)."""
    return session.get(BackfillJob, athlete_id, with_for_update=True)


def backfill_job(session: Session, athlete_id: int) -> BackfillJob | None:
    return session.get(BackfillJob, athlete_id)


def add_backfill_job(session: Session, athlete_id: int, *, now: datetime) -> BackfillJob:
    """A new job row for the athlete; the caller sets its window and cursor."""
    job = BackfillJob(athlete_id=athlete_id, started_at=now)
    session.add(job)
    return job


def unfinished_backfill_jobs(session: Session) -> Sequence[BackfillJob]:
    return session.scalars(
        select(BackfillJob).where(BackfillJob.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
    ).all()


def backfill_events_done_since(session: Session, athlete_id: int, since: datetime) -> int:
    """The athlete's backfill inbox rows received since `since` (a run's start) and processed."""
    stmt = (
        select(func.count())
        .select_from(StravaEvent)
        .where(
            StravaEvent.owner_id == athlete_id,
            StravaEvent.source == EventSource.BACKFILL,
            StravaEvent.status == EventStatus.DONE,
            StravaEvent.received_at >= since,
        )
    )
    return session.scalar(stmt) or 0


def record_reconciliation_run(session: Session, **values: Any) -> None:
    """The audit row of one reconciliation pass (what it cost and found); written with the caller's flush."""
    session.add(ReconciliationRun(**values))


def known_activity_ids(session: Session, athlete_id: int, ids: Sequence[int]) -> set[int]:
    """Of `ids` (listed by Strava for the athlete), those stored or already waiting in the inbox.

    A tombstone does not make an id known: Strava listing it for its owner shows it exists, so it is fetched
    again and restored (a forged delete, or a run hidden and shown again, must not hide it for good)."""
    if not ids:
        return set()
    stored = session.scalars(select(Activity.id).where(Activity.id.in_(ids)))
    waiting = session.scalars(
        select(StravaEvent.object_id).where(
            StravaEvent.owner_id == athlete_id,
            StravaEvent.object_type == "activity",
            StravaEvent.object_id.in_(ids),
            StravaEvent.status.in_([EventStatus.PENDING, EventStatus.AWAITING_REAUTH, EventStatus.FAILED]),
        )
    )
    return set(stored) | set(waiting) | strava_copy_ids(session, athlete_id, ids)


def stored_activities_between(
    session: Session, athlete_id: int, after: datetime, before: datetime
) -> Sequence[Activity]:
    # Only runs keyed by Strava's id: a run first seen in a file is no Strava run that went missing. A Strava
    # activity filed under another one's run (docs/sources.md#canonical-ids) is one Strava holds, too.
    runs = session.scalars(
        select(Activity).where(
            Activity.athlete_id == athlete_id,
            Activity.start_date >= after,
            Activity.start_date < before,
            is_strava_key(Activity.id),
        )
    ).all()
    return [*runs, *strava_twins_between(session, athlete_id, after, before)]


def pending_webhook_events(session: Session) -> int:
    """Pushed events waiting for a worker (backfill yields to them). Deletes parked until an athlete's allowance
    frees are not counted: forged ones could otherwise stall every athlete's backfill for hours."""
    return (
        session.scalar(
            select(func.count())
            .select_from(StravaEvent)
            .where(
                StravaEvent.status == EventStatus.PENDING,
                StravaEvent.source == EventSource.WEBHOOK,
                StravaEvent.outcome.is_distinct_from(EventOutcome.DELETE_PARKED),
            )
        )
        or 0
    )


def active_athlete_ids(session: Session) -> Sequence[int]:
    return session.scalars(
        select(StravaConnection.athlete_id).where(StravaConnection.status == ConnectionStatus.ACTIVE)
    ).all()


def activity_counts_since(session: Session, since: datetime) -> dict[int, int]:
    rows = session.execute(
        select(Activity.athlete_id, func.count())
        .where(Activity.start_date >= since)
        .group_by(Activity.athlete_id)
    ).all()
    return {athlete_id: count for athlete_id, count in rows}


def athletes_with_troubled_events(session: Session, since: datetime) -> set[int]:
    """Athletes with an event that ended without its effect (gone, failed, left to reconciliation because
    the athlete's allowance for unverifiable events was spent) since `since`."""
    return set(
        session.scalars(
            select(StravaEvent.owner_id).where(
                StravaEvent.received_at >= since,
                or_(
                    StravaEvent.status == EventStatus.FAILED,
                    StravaEvent.outcome.in_(RECONCILE_OUTCOMES),
                ),
            )
        )
    )


def athletes_with_deferred_events_unreconciled(
    session: Session, *, since: datetime, reconciled_after: datetime
) -> Sequence[int]:
    """Active athletes with a pushed event left to reconciliation (DEFERRED_OUTCOMES) since `since` and after
    their last completed reconciliation started, and with no reconciliation started (or claimed) after
    `reconciled_after`: each at most once per window, however many events were deferred."""
    last_done = (
        select(func.max(ReconciliationRun.started_at))
        .where(
            ReconciliationRun.athlete_id == StravaEvent.owner_id, ReconciliationRun.status == JobStatus.DONE
        )
        .scalar_subquery()
    )
    recent_run = select(ReconciliationRun.id).where(
        ReconciliationRun.athlete_id == StravaEvent.owner_id, ReconciliationRun.started_at > reconciled_after
    )
    stmt = (
        select(StravaEvent.owner_id)
        .join(StravaConnection, StravaConnection.athlete_id == StravaEvent.owner_id)
        .where(
            StravaConnection.status == ConnectionStatus.ACTIVE,
            # status and received_at first: the inbox's (status, received_at) index narrows the scan
            StravaEvent.status == EventStatus.DONE,
            StravaEvent.received_at >= since,
            StravaEvent.outcome.in_(DEFERRED_OUTCOMES),
            or_(last_done.is_(None), StravaEvent.handled_at > last_done),
            ~recent_run.exists(),
        )
        .distinct()
        .order_by(StravaEvent.owner_id)
    )
    return session.scalars(stmt).all()


def claim_reconciliation(session: Session, athlete_id: int, *, now: datetime) -> None:
    """A pending reconciliation row for the athlete, written when its pass is queued: the next tick sees a
    reconciliation started in the window and queues no second one while this waits in the queue."""
    session.add(
        ReconciliationRun(
            athlete_id=athlete_id, after_epoch=0, before_epoch=0, status=JobStatus.PENDING, started_at=now
        )
    )


def connection_status(session: Session, athlete_id: int) -> str | None:
    return session.scalar(select(StravaConnection.status).where(StravaConnection.athlete_id == athlete_id))
