"""Notification delivery and the scheduled jobs: thin tasks over notify/ and jobs/ (docs/notifications.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from celery import Task
from sqlalchemy.orm import Session

from jobs import retention, review, service
from notify import connector_sync
from sources.merge import parse_priority
from store.db import UnitOfWork
from sync.events import MAX_HELD_WAIT_S
from workers.celery_app import app
from workers.enqueue import MAINTENANCE_QUEUE, enqueue_outbox, send
from workers.runtime import container

log = logging.getLogger(__name__)


@app.task(name="notify.deliver", bind=True, acks_late=True, max_retries=None)
def deliver(self: Task, outbox_id: int) -> str:
    result = container().notifier.deliver(outbox_id)
    if result.recheck_in_s is not None:
        # The end of the athlete's coalescing window (notify/coalesce.py): held as a countdown however long, as
        # only the task of the athlete's newest row holds one (next_attempt_at is stored too, for the sweeper).
        raise self.retry(countdown=result.recheck_in_s, max_retries=None)
    if result.retry_in_s is not None and result.retry_in_s <= MAX_HELD_WAIT_S:
        # next_attempt_at is stored too: a longer wait, or a lost countdown, is picked up by notify.redrive.
        # Only short waits are countdowns: a worker holds each one in memory until it is due, and an endpoint
        # that is down during a weekly-review tick would otherwise park thousands of them in the workers.
        raise self.retry(countdown=result.retry_in_s, max_retries=None)
    return result.outcome


@app.task(name="notify.kick", acks_late=True)
def kick() -> int:
    ids = container().notifier.fresh()
    enqueue_outbox(ids)
    return len(ids)


@app.task(name="notify.redrive", acks_late=True)
def redrive_outbox() -> int:
    """Every minute: pending rows whose publish or countdown was lost, and retries that are due."""
    c = container()
    ids = c.notifier.due(stale_after_s=c.settings.outbox_redrive_after_s)
    enqueue_outbox(ids)
    if ids:
        log.info("notify.redriven", extra={"count": len(ids)})
    return len(ids)


# --- scheduled jobs: hourly ticks select athletes by their local time; one task per athlete --------------


def _now() -> datetime:
    return datetime.now(UTC)


@app.task(name="jobs.weekly_review_tick", acks_late=True)
def weekly_review_tick() -> int:
    """Where a week just ended (the first hour of Monday there), one `jobs.week_close` per athlete; where the
    review hour has come, every due review in set-based chunks (jobs.review), each chunk's rows enqueued once
    it committed."""
    c = container()
    now = _now()
    closing = _fan_out("jobs.week_close", lambda session: review.closing_athletes(session, now=now))
    if closing:
        log.info("jobs.weeks_closing", extra={"athletes": closing})
    run = review.review_all(
        c.sessions,
        now=now,
        hour=c.settings.weekly_review_hour,
        after_commit=lambda ids: enqueue_outbox(ids, kick=not ids),
    )
    if run.written:
        log.info("jobs.weekly_reviews", extra={"written": run.written, "plans": run.scanned})
    return run.written


@app.task(name="jobs.week_close", acks_late=True)
def week_close(athlete_id: int) -> str:
    with UnitOfWork(container().sessions) as uow:
        outcome = service.close_week(uow.session, athlete_id, now=_now())
        uow.commit()
    return outcome


@app.task(name="jobs.weekly_review", acks_late=True)
def weekly_review(athlete_id: int, week_start: str) -> str:
    with UnitOfWork(container().sessions) as uow:
        outcome = service.weekly_review(uow.session, athlete_id, date.fromisoformat(week_start), now=_now())
        uow.commit()
    return outcome


def _fan_out(task_name: str, due: Callable[[Session], Sequence[int]]) -> int:
    """A tick: read who is due, then one task per athlete on the maintenance queue (each runs on its own)."""
    with container().sessions() as session:
        athletes = due(session)
    for athlete_id in athletes:
        send(task_name, athlete_id, queue=MAINTENANCE_QUEUE)
    return len(athletes)


@app.task(name="jobs.missed_tick", acks_late=True)
def missed_tick() -> int:
    lookback_days = container().settings.missed_lookback_days
    return _fan_out(
        "jobs.missed_sweep",
        lambda session: service.missed_due(session, now=_now(), lookback_days=lookback_days),
    )


@app.task(name="jobs.missed_sweep", acks_late=True)
def missed_sweep(athlete_id: int) -> int:
    c = container()
    with UnitOfWork(c.sessions) as uow:
        missed = service.sweep_missed(
            uow.session, athlete_id, now=_now(), lookback_days=c.settings.missed_lookback_days
        )
        uow.commit()
    return len(missed)


@app.task(name="jobs.token_prefresh_tick", acks_late=True)
def token_prefresh_tick() -> int:
    hour = container().settings.token_prefresh_hour
    return _fan_out(
        "jobs.token_prefresh", lambda session: service.prefresh_due(session, now=_now(), hour=hour)
    )


@app.task(name="jobs.token_prefresh", acks_late=True)
def token_prefresh(athlete_id: int) -> str:
    c = container()
    return service.prefresh(c.sessions, c.tokens, athlete_id, now=_now(), recent_s=3600.0)


# --- retention (docs/operations.md, Retention) --------------------------------------------------------------


@app.task(name="jobs.retention_tick", acks_late=True)
def retention_tick() -> int:
    """Daily: drop raw Strava payloads past their retention, then one purge task per athlete whose grant has
    been dead past its retention."""
    c = container()
    now = _now()
    with UnitOfWork(c.sessions) as uow:
        dropped = retention.drop_expired_raw_payloads(
            uow.session, now=now, days=c.settings.raw_payload_retention_days
        )
        uow.commit()
    days = c.settings.dead_grant_retention_days
    due = _fan_out(
        "jobs.retention_purge", lambda session: retention.dead_grants_due(session, now=now, days=days)
    )
    log.info("jobs.retention", extra={"raw_dropped": dropped, "athletes_due": due})
    return due


@app.task(name="jobs.retention_purge", acks_late=True)
def retention_purge(athlete_id: int) -> str:
    c = container()
    with UnitOfWork(c.sessions) as uow:
        outcome = retention.purge_dead_grant(
            uow.session,
            athlete_id,
            now=_now(),
            days=c.settings.dead_grant_retention_days,
            source_priority=parse_priority(c.settings.source_priority),
        )
        uow.commit()
    return outcome


# --- calendar connectors (docs/connectors.md) -------------------------------------------------------------


@app.task(name="jobs.connectors_tick", acks_late=True)
def connectors_tick() -> int:
    """A `connector.sync` outbox row for every connection whose plan changed or whose resync is due; each is
    delivered (and retried, then dead-lettered) as `notify.deliver`, once this transaction committed."""
    c = container()
    with UnitOfWork(c.sessions) as uow:
        written = connector_sync.request_due_syncs(
            uow.session, now=_now(), resync_every_s=c.settings.connector_resync_every_s
        )
        uow.commit()
    if written:
        log.info("jobs.connector_syncs", extra={"written": written})
    return written
