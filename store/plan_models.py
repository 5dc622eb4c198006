"""Plan tables: the athlete's active plan, its versions, decisions with their revisions, matches and hand edits;
the notification outbox.

The plan itself is the planner's JSON (`planner.plan_to_dict`) stored per version; workouts live inside it, so
workout ids (unique only within one plan) are always keyed together with the plan id here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, BigId, Json


class PlanSource(StrEnum):
    GENERATED = "generated"  # planner.generate_plan from a goal
    UPLOADED = "uploaded"  # plan JSON sent by the app


class Plan(Base):
    """An athlete's plan with the planner inputs it is re-derived from; at most one active plan per athlete."""

    __tablename__ = "plans"
    __table_args__ = (
        # A replaced plan stays (inactive) with its history; only one may be active. SQLite (the demo) gets the
        # same partial index from migration 0003; naming `sqlite_where` here would load SQLAlchemy's SQLite
        # dialect into every PostgreSQL process (0.7 MB of the API's memory goal).
        Index("uq_plans_active_athlete", "athlete_id", unique=True, postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    athlete_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16))
    # The planner inputs (planner.serialize athlete/goal dicts), the plan start and the athlete's IANA timezone
    # that turns "now" into the as_of date.
    athlete_profile: Mapped[dict[str, Any]] = mapped_column(Json)
    goal: Mapped[dict[str, Any]] = mapped_column(Json)
    start: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    # Optimistic version: the number of the current plan_versions row. Writers hold the athlete's row lock
    # and additionally update `WHERE version = read version`, so a writer that skipped the lock cannot win.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Change ids the athlete undid (planner `suppressed`), also inside the plan JSON.
    suppressed: Mapped[list[str]] = mapped_column(Json, default=list)
    paused_from: Mapped[date | None] = mapped_column(Date)
    pause_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanVersion(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("plans.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    plan: Mapped[dict[str, Any]] = mapped_column(Json)  # planner.plan_to_dict, hand edits applied
    as_of: Mapped[date | None] = mapped_column(Date)
    # What produced it: generated, uploaded, synced, updated_locally, deleted, deauthorized, undo, move, ...
    cause: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanWeek(Base):
    """Per week of the current plan version: planned run km and run count (derived from `plan_versions.plan`,
    rewritten whenever a version is stored), so the weekly review can run as set-based SQL."""

    __tablename__ = "plan_weeks"

    plan_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)  # a Monday
    planned_km: Mapped[float] = mapped_column(Float)
    planned_runs: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)  # the plan version these figures come from


class DecisionStatus(StrEnum):
    """Where a decision stands (docs/api.md#decisions)."""

    ACTIVE = "active"  # the current plan holds it, as its latest revision says
    WITHDRAWN = "withdrawn"  # the planner no longer makes it: the runs since took its cause away
    UNDONE = "undone"  # the athlete undid it; it stays out of the plan


class PlanDecision(Base):
    """A decision about the plan's future, identified by what it decides about: the plan and the planner's
    change id ("code@week-start": the cause and the week). Revised in place when a later adaptation judges it
    differently; every revision is kept in `plan_changes`."""

    __tablename__ = "plan_decisions"
    __table_args__ = (UniqueConstraint("plan_id", "change_id", name="uq_plan_decisions_plan_change"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("plans.id", ondelete="CASCADE"))
    change_id: Mapped[str] = mapped_column(String(80))  # planner's stable "code@week-start"
    code: Mapped[str] = mapped_column(String(40))
    week_start: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)  # the latest revision's number, from 1
    status: Mapped[str] = mapped_column(String(16))  # DecisionStatus
    # The latest evaluation (planner.change_to_dict): kept as it was when withdrawn or undone.
    reason: Mapped[str] = mapped_column(Text)
    change: Mapped[dict[str, Any]] = mapped_column(Json)
    first_version: Mapped[int] = mapped_column(Integer)  # the plan version that first made it
    version: Mapped[int] = mapped_column(Integer)  # the plan version of the latest revision
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanChange(Base):
    """One revision of a decision (`plan_decisions`): the change (planner.change_to_dict) as the plan version
    `version` judged it, or its withdrawal or undoing (`status`); `undone` once the athlete undid the decision."""

    __tablename__ = "plan_changes"
    __table_args__ = (
        UniqueConstraint("plan_id", "change_id", "version", name="uq_plan_changes_plan_change_version"),
        UniqueConstraint("plan_id", "change_id", "revision", name="uq_plan_changes_plan_change_revision"),
        Index("ix_plan_changes_plan_change", "plan_id", "change_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("plans.id", ondelete="CASCADE"))
    change_id: Mapped[str] = mapped_column(String(80))  # planner's stable "code@week-start"
    version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[str] = mapped_column(String(16), server_default=DecisionStatus.ACTIVE.value)
    code: Mapped[str] = mapped_column(String(40))
    week_start: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    change: Mapped[dict[str, Any]] = mapped_column(Json)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MatchSource(StrEnum):
    AUTO = "auto"  # planner.match
    MANUAL = "manual"  # paired by hand; survives re-adaptation


class PlanMatch(Base):
    """The current run ↔ workout matches of a plan (recomputed on every adaptation, stored as the difference)."""

    __tablename__ = "plan_matches"
    __table_args__ = (Index("ix_plan_matches_activity", "activity_id"),)

    plan_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    workout_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(16), default=MatchSource.AUTO)
    # When the pair was matched with this source: a recompute rewrites only the pairs that changed.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OverrideKind(StrEnum):
    PAIR = "pair"  # this run fulfils this workout
    UNPAIR = "unpair"  # this run does not fulfil this workout, whatever planner.match says
    MOVE = "move"  # this workout is on `moved_to` instead of the planner's date


class PlanOverride(Base):
    """The athlete's hand edits, applied on top of every adaptation so re-adapting never loses them."""

    __tablename__ = "plan_overrides"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "workout_id", "activity_id", name="uq_plan_overrides_edit"),
        Index("ix_plan_overrides_plan", "plan_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    workout_id: Mapped[str] = mapped_column(String(32))
    # A deleted or purged run takes its pairings with it.
    activity_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="CASCADE")
    )
    # A move remembers the planner's date too: adaptation runs on the planner's plan (moves taken out), so
    # "the past is never rewritten" holds for it, and the move is put back on top afterwards.
    moved_from: Mapped[date | None] = mapped_column(Date)
    moved_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class NotificationOutbox(Base):
    """Notifications written in the transaction that caused them; delivered later by a worker."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        Index("ix_notification_outbox_status_next", "status", "next_attempt_at"),
        # An athlete's pending rows of one type: the group a coalesced delivery merges (notify/delivery.py).
        Index(
            "ix_notification_outbox_pending_athlete",
            "athlete_id",
            "event_type",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    athlete_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"))
    # plan.updated | workout.matched | workout.missed | connection.revoked
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)  # includes the plain-language reasons
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Coalesced delivery: the row whose one message carries this row (itself for that row); NULL until then.
    merged_into: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("notification_outbox.id", ondelete="SET NULL")
    )


class PlanPageLink(Base):
    """The athlete's secret link to their read-only plan page: only the SHA-256 of the URL's token is stored
    (as for the calendar feed, notify/ical.py), so the database never holds a usable link. One per athlete;
    rotating replaces the digest, revoking deletes the row."""

    __tablename__ = "plan_page_links"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConnectorStatus(StrEnum):
    """Where an athlete's connection to a calendar connector stands (docs/connectors.md#the-connection)."""

    ACTIVE = "active"  # synced whenever the plan changes, and again every few hours
    NEEDS_ATTENTION = "needs_attention"  # the key or athlete id was refused: nothing is sent until set again
    REMOVING = "removing"  # removed by the athlete: our events there are deleted, then the key is forgotten


class ConnectorConnection(Base):
    """An athlete's opt-in to a calendar connector (intervals.icu): whose calendar, with which key. The key is
    stored as a Fernet ciphertext with RUNSMART_TOKEN_KEY (sync/crypto.py), as OAuth tokens are."""

    __tablename__ = "connector_connections"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    connector: Mapped[str] = mapped_column(String(32), primary_key=True)  # notify.connector_sync.Connector
    remote_athlete_id: Mapped[str] = mapped_column(String(32))  # the athlete's id there ("i12345")
    secret: Mapped[str] = mapped_column(Text)  # the API key, encrypted
    status: Mapped[str] = mapped_column(String(20))  # ConnectorStatus
    status_reason: Mapped[str | None] = mapped_column(Text)  # why it needs attention, in one line
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The plan version the last complete sync sent, and when: the beat's tick compares them with the plan.
    synced_plan_id: Mapped[int | None] = mapped_column(BigInteger)
    synced_version: Mapped[int | None] = mapped_column(Integer)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConnectorSync(Base):
    """One workout as we last pushed it to a connected calendar: our id for it there (`external_id`), its day
    and a digest of what was sent, so a sync sends only what changed and deletes only what we put there."""

    __tablename__ = "connector_syncs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["athlete_id", "connector"],
            ["connector_connections.athlete_id", "connector_connections.connector"],
            ondelete="CASCADE",
        ),
    )

    athlete_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    connector: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "runsmart-<plan>-<workout>"
    workout_date: Mapped[date] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the event as sent
    pushed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
