"""Plan tables: the athlete's active plan, its versions, changes, matches and hand edits; the notification outbox.

The plan itself is the planner's JSON (`planner.plan_to_dict`) stored per version; workouts live inside it, so
workout ids (unique only within one plan) are always keyed together with the plan id here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, BigId, Json


class PlanSource:
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


class PlanChange(Base):
    """A change (planner.change_to_dict) as first introduced by a version; `undone` once the athlete undid it."""

    __tablename__ = "plan_changes"
    __table_args__ = (
        UniqueConstraint("plan_id", "change_id", "version", name="uq_plan_changes_plan_change_version"),
        Index("ix_plan_changes_plan_change", "plan_id", "change_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("plans.id", ondelete="CASCADE"))
    change_id: Mapped[str] = mapped_column(String(80))  # planner's stable "code@week-start"
    version: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    week_start: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    change: Mapped[dict[str, Any]] = mapped_column(Json)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MatchSource:
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


class OverrideKind:
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


class OutboxStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class NotificationOutbox(Base):
    """Notifications written in the transaction that caused them; delivered later by a worker."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_status_next", "status", "next_attempt_at"),)

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
