"""Athletes: the row made on first connect (or, for an athlete without Strava, on request), counting them
against the Strava application's athlete capacity, finding one by a token's digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Sequence, func, select, text
from sqlalchemy.orm import Session

from store.models import Athlete, ConnectionStatus, StravaConnection

# An athlete holds a place while Strava still counts their grant: connected, or waiting to reconnect (a missing
# scope or a lost refresh token leaves the grant on Strava's side). A revoked athlete has disconnected and holds
# none.
_HOLDING_PLACE = (ConnectionStatus.ACTIVE, ConnectionStatus.NEEDS_REAUTH)
# Ids of athletes made without Strava come from this PostgreSQL sequence, negated (migration 0013;
# docs/sources.md#file-only-athletes): Strava's athlete ids are positive, so the ranges never meet, and a
# sequence never hands an id out twice.
FILE_ONLY_ID_SEQUENCE = Sequence("file_only_athlete_ids")
# Names the transaction-scoped advisory lock that serializes admissions against the capacity ("RUNCA").
CAPACITY_LOCK_KEY = 0x52554E_4341


def lock_capacity(session: Session) -> None:
    """Serialize "count, then admit" across API processes until this transaction ends: two athletes racing for
    the last place must not both get it. SQLite (the demo) has one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CAPACITY_LOCK_KEY})


def count_connected(session: Session) -> int:
    stmt = (
        select(func.count()).select_from(StravaConnection).where(StravaConnection.status.in_(_HOLDING_PLACE))
    )
    return int(session.scalar(stmt) or 0)


def holds_capacity_place(session: Session, athlete_id: int) -> bool:
    status = session.scalar(select(StravaConnection.status).where(StravaConnection.athlete_id == athlete_id))
    return status in _HOLDING_PLACE


def athlete_for_ical_digest(session: Session, token_digest: str) -> int | None:
    """The athlete whose calendar feed token has this SHA-256 (notify/ical.py), if any."""
    return session.scalars(select(Athlete.id).where(Athlete.ical_token == token_digest)).first()


def get_or_add_athlete(session: Session, athlete_id: int, *, now: datetime) -> Athlete:
    """The athlete's row, added (created `now`) on their first connect; the caller's transaction commits it."""
    athlete = session.get(Athlete, athlete_id)
    if athlete is None:
        athlete = Athlete(id=athlete_id, created_at=now)
        session.add(athlete)
    return athlete


def add_file_only_athlete(
    session: Session, *, firstname: str, lastname: str, timezone: str, units: str, now: datetime
) -> Athlete:
    """A new athlete who never connected Strava, under a fresh negative id; the caller commits."""
    athlete = Athlete(
        id=_next_file_only_id(session),
        firstname=firstname,
        lastname=lastname,
        timezone=timezone,
        units=units,
        created_at=now,
    )
    session.add(athlete)
    session.flush()
    return athlete


def _next_file_only_id(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return -int(session.scalar(FILE_ONLY_ID_SEQUENCE.next_value()))
    # SQLite (the demo) has no sequences: one below the lowest id, its one writer taking the write lock first
    # so that two requests cannot read the same lowest id. Athletes are never deleted, so none is reused.
    session.execute(text("UPDATE athletes SET id = id WHERE 0"))
    lowest = session.scalar(select(func.min(Athlete.id)))
    return min(int(lowest or 0), 0) - 1
