"""Database tables. PostgreSQL in production and tests; SQLite for the embedded demo."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can drop and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Athlete(Base):
    __tablename__ = "athletes"

    # Strava's athlete id is the natural key of everything we hold about a person.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    firstname: Mapped[str] = mapped_column(String(100), default="")
    lastname: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Issue 4: direct notifications (apprise URLs), the secret of the iCal feed URL (set on first use), and a
    # pause (sick, vacation) during which missed runs do not adapt the plan.
    notification_urls: Mapped[list[str]] = mapped_column(Json, default=list, server_default="[]")
    ical_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    paused_until: Mapped[date | None] = mapped_column(Date)
    # What the athlete reads distances and paces in: "metric" (km) or "imperial" (miles); messages.Units.
    units: Mapped[str] = mapped_column(String(8), default="metric", server_default="metric")


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"  # refresh token dead or scope missing: stop syncing, keep the events
    REVOKED = "revoked"  # athlete deauthorized the app: Strava data purged


class StravaConnection(Base):
    __tablename__ = "strava_connections"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.ACTIVE)
    scopes: Mapped[str] = mapped_column(String(200), default="")
    # Fernet ciphertexts; never the plain tokens (see sync/crypto.py).
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[int] = mapped_column(BigInteger, default=0)
    status_reason: Mapped[str | None] = mapped_column(Text)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the athlete's Strava data was last purged (deauthorization, or a grant dead past the retention).
    data_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventSource(StrEnum):
    """Who produced an event: Strava's push, or our own reconciliation or backfill finding work. It sets the
    priority of the Strava calls the event costs (sync/budget.py)."""

    WEBHOOK = "webhook"
    RECONCILE = "reconcile"
    BACKFILL = "backfill"


class EventStatus(StrEnum):
    PENDING = "pending"  # stored, not yet handled (or retrying)
    DONE = "done"  # handled; `outcome` says how
    AWAITING_REAUTH = "awaiting_reauth"  # the athlete's grant is dead; re-driven when they reconnect
    FAILED = "failed"  # retries exhausted on a transient error; the sweeper tries again later


class StravaEvent(Base):
    """The inbox: every accepted webhook event, stored before it is acknowledged."""

    __tablename__ = "strava_events"
    __table_args__ = (
        # Strava events carry no id. A retried push repeats these fields, so it collapses here; two real
        # events on one object in the same second differ in `updates` (title and type save separately,
        # docs/strava.md, "Pitfalls the code handles"), hence the digest of `updates` in the key.
        UniqueConstraint(
            "subscription_id",
            "object_type",
            "object_id",
            "aspect_type",
            "event_time",
            "updates_digest",
            name="uq_strava_events_natural_key",
        ),
        Index("ix_strava_events_status_received", "status", "received_at"),
        Index("ix_strava_events_owner", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16), default=EventSource.WEBHOOK, server_default="webhook")
    subscription_id: Mapped[int] = mapped_column(BigInteger)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(BigInteger)
    aspect_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    event_time: Mapped[int] = mapped_column(BigInteger)
    updates: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updates_digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.PENDING)
    outcome: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when processing must wait (a rate window, a parked retry); the sweeper honours it.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventAttempt(Base):
    """One row per processing attempt, written even when the attempt fails (operators read the history)."""

    __tablename__ = "strava_event_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("strava_events.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)


class RunColumns:
    """A run as normalized from any source: the columns the one activity and each source's copy both hold."""

    name: Mapped[str] = mapped_column(Text, default="")
    sport_type: Mapped[str] = mapped_column(String(40))
    is_run: Mapped[bool] = mapped_column(Boolean)
    start_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    start_date_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    local_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(64))
    distance_m: Mapped[float] = mapped_column(Float)
    moving_time_s: Mapped[int] = mapped_column(Integer)
    elapsed_time_s: Mapped[int] = mapped_column(Integer)
    elevation_gain_m: Mapped[float] = mapped_column(Float, default=0.0)
    average_heartrate: Mapped[float | None] = mapped_column(Float)
    max_heartrate: Mapped[float | None] = mapped_column(Float)
    workout_type: Mapped[int | None] = mapped_column(Integer)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    trainer: Mapped[bool] = mapped_column(Boolean, default=False)
    laps: Mapped[list[Any]] = mapped_column(Json, default=list)
    splits_metric: Mapped[list[Any]] = mapped_column(Json, default=list)


class Activity(RunColumns, Base):
    """A Strava activity of a connected athlete, normalized, with the raw DetailedActivity JSON."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_athlete_date", "athlete_id", "local_date"),
        Index("ix_activities_fetched_at", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Strava's id
    athlete_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    # None once the retention job dropped it (docs/operations.md, Retention); the normalized columns stay.
    raw: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # When the copy was read from Strava; an older read never overwrites a newer one.
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivityTombstone(Base):
    """Activities deleted on Strava: a late or replayed `create` must not bring them back."""

    __tablename__ = "activity_tombstones"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    athlete_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"))
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackfillJob(Base):
    """Importing an athlete's history page by page; the cursor makes it resumable after a crash."""

    __tablename__ = "backfill_jobs"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    after_epoch: Mapped[int] = mapped_column(BigInteger)
    before_epoch: Mapped[int] = mapped_column(BigInteger)
    next_page: Mapped[int] = mapped_column(Integer, default=1)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    activities_seen: Mapped[int] = mapped_column(Integer, default=0)
    activities_queued: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReconciliationRun(Base):
    """One reconciliation of one athlete's padded window: what it cost and what it found."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_athlete", "athlete_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    athlete_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"))
    after_epoch: Mapped[int] = mapped_column(BigInteger)
    before_epoch: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.RUNNING)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    found_missing: Mapped[int] = mapped_column(Integer, default=0)
    found_deleted: Mapped[int] = mapped_column(Integer, default=0)
    found_changed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivitySource(StrEnum):
    """Where a copy of a run came from (docs/sources.md). Strava's copies are purged on their own."""

    STRAVA = "strava"
    FILE_FIT = "file_fit"
    FILE_GPX = "file_gpx"
    FILE_TCX = "file_tcx"


class CopyRole(StrEnum):
    """How a copy relates to the run it is filed under (docs/sources.md#one-run-one-activity)."""

    WHOLE = "whole"  # the same run: its fields may win (source priority)
    PART = "part"  # a piece of the run (a run split in two files): never supplies the run's fields
    COVER = "cover"  # spans this run and the next (Strava holds the pieces): counted through them


def is_strava_id(activity_id: int) -> bool:
    """Activities keyed by Strava's id (positive, as Strava issues them) against runs first seen in a file,
    keyed by the negated id of their first copy: the two ranges never meet (docs/sources.md#canonical-ids)."""
    return activity_id > 0


class ActivityCopy(RunColumns, Base):
    """One source's copy of a run, kept apart from the `activities` row the planner reads, so that one source's
    data can be withdrawn or purged alone (docs/strava.md, "The API agreement: deletion and caching")."""

    __tablename__ = "activity_copies"
    __table_args__ = (
        UniqueConstraint("athlete_id", "source", "external_id", name="uq_activity_copies_source_key"),
        Index("ix_activity_copies_activity", "activity_id"),
        Index("ix_activity_copies_athlete_start", "athlete_id", "start_date"),
        # Copy ids name file-first runs (negated): SQLite must never hand out a deleted copy's id again.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    athlete_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # ActivitySource
    external_id: Mapped[str] = mapped_column(String(64))  # Strava's activity id; a file's sha256
    # The run it is filed under; NULL once that row is gone (a Strava delete or purge): re-filed at once.
    activity_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="SET NULL")
    )
    role: Mapped[str] = mapped_column(String(8))  # CopyRole
    private: Mapped[bool | None] = mapped_column(Boolean)  # None: the source has no such notion
    device: Mapped[str | None] = mapped_column(String(120))
    file_digest: Mapped[str | None] = mapped_column(String(64))  # sha256 of the stored original
    file_bytes: Mapped[int | None] = mapped_column(Integer)
    # When the copy was read (for Strava: the `fetched_at` of the read it holds).
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
