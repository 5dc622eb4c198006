"""Celery tasks: thin shells that take ids, call one service, and obey its retry decision."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from celery import Task

from store import repository
from store.db import UnitOfWork
from sync.backfill import jobs_to_redrive
from sync.errors import StravaAuthError, StravaRateLimited, StravaTransient
from sync.events import MAX_COUNTDOWN_S
from sync.reconcile import claim_deferred_reconciliations, due_for_reconciliation
from workers.celery_app import app
from workers.enqueue import enqueue_event, send
from workers.runtime import container

log = logging.getLogger(__name__)


@app.task(name="sync.process_event", bind=True, acks_late=True, max_retries=None)
def process_event(self: Task, event_id: int) -> str:
    result = container().events.process(event_id)
    if result.retry_in_s is not None:
        # The service bounds the number of retries (from the event's attempt log) and only asks for short
        # countdowns; the countdown replaces any sleep in the worker.
        raise self.retry(countdown=result.retry_in_s, max_retries=None)
    return result.outcome


@app.task(name="diag.noop", acks_late=True)
def noop(counter_key: str) -> None:
    """Does nothing but count itself (in Redis): the baseline of what a Celery task costs here (bench/)."""
    import redis

    redis.Redis.from_url(container().settings.redis_url).incr(counter_key)


@app.task(name="inbox.dispatch", acks_late=True)
def dispatch_events(event_ids: list[int]) -> int:
    """Fan a group-committed batch out into one task per event (each with its own retries)."""
    published = sum(enqueue_event(event_id) for event_id in event_ids)
    return published


@app.task(name="inbox.redrive", acks_late=True)
def redrive_inbox(limit: int = 500) -> int:
    """Re-enqueue inbox rows left unhandled: a crash between commit and enqueue, a broker outage, parked work."""
    c = container()
    now = datetime.now(UTC)
    stale_before = now - timedelta(seconds=c.settings.inbox_redrive_after_s)
    with UnitOfWork(c.sessions) as uow:
        ids = repository.events_to_redrive(uow.session, now=now, stale_before=stale_before, limit=limit)
    for event_id in ids:
        enqueue_event(event_id)
    if ids:
        log.info("inbox.redriven", extra={"count": len(ids)})
    return len(ids)


@app.task(name="backfill.page", acks_late=True)
def backfill_page(athlete_id: int) -> str:
    """One page of an athlete's history; schedules the next page (or the wait) itself."""
    step = container().backfill.step(athlete_id)
    for event_id in step.queued:
        enqueue_event(event_id, bulk=True)
    if step.done:
        return step.note or "done"
    if step.retry_in_s is not None and step.retry_in_s > MAX_COUNTDOWN_S:
        return f"parked: {step.note}"  # next_attempt_at is set on the job; backfill.redrive resumes it
    send("backfill.page", athlete_id, queue="strava_bulk", countdown=step.retry_in_s or None)
    return step.note or "page done"


@app.task(name="backfill.redrive", acks_late=True)
def redrive_backfills() -> int:
    c = container()
    now = datetime.now(UTC)
    with UnitOfWork(c.sessions) as uow:
        athletes = jobs_to_redrive(uow.session, now=now, stale_before=now - timedelta(minutes=10))
    for athlete_id in athletes:
        send("backfill.page", athlete_id, queue="strava_bulk")
    return len(athletes)


@app.task(name="reconcile.athlete", bind=True, acks_late=True, max_retries=None)
def reconcile_athlete(self: Task, athlete_id: int) -> str:
    c = container()
    try:
        result = c.reconciler.reconcile(
            athlete_id, days=c.settings.reconcile_days, pad_hours=c.settings.reconcile_pad_hours
        )
    except StravaRateLimited as error:
        wait = error.retry_after_s or 900.0
        if wait > MAX_COUNTDOWN_S:
            return "skipped: daily budget spent (the next pass covers it)"
        raise self.retry(countdown=wait, max_retries=None) from None
    except StravaTransient as error:
        if self.request.retries >= c.settings.max_retries:
            return f"gave up: {error}"
        raise self.retry(countdown=c.events.policy.backoff(self.request.retries)) from None
    except StravaAuthError as error:
        return f"skipped: {error}"
    for event_id in result.queued:
        enqueue_event(event_id, bulk=True)
    return (
        f"calls={result.api_calls} missing={result.missing} deleted={result.deleted} changed={result.changed}"
    )


@app.task(name="reconcile.nightly", acks_late=True)
def reconcile_nightly() -> int:
    """Only athletes from whom an activity was expected and none arrived: cheap by design."""
    c = container()
    athletes = due_for_reconciliation(c.sessions, datetime.now(UTC))
    for athlete_id in athletes:
        send("reconcile.athlete", athlete_id, queue="strava_bulk")
    return len(athletes)


@app.task(name="reconcile.deferred", acks_late=True)
def reconcile_deferred() -> int:
    """Every 15 minutes: athletes whose pushed events were left to reconciliation since their last one, each at
    most once per allowance window; the passes are queued once their claims committed."""
    c = container()
    athletes = claim_deferred_reconciliations(
        c.sessions, datetime.now(UTC), window_s=c.settings.unverified_call_window_s
    )
    for athlete_id in athletes:
        send("reconcile.athlete", athlete_id, queue="strava_bulk")
    return len(athletes)


@app.task(name="reconcile.weekly", acks_late=True)
def reconcile_weekly() -> int:
    """Everyone once a week: catches deletions and edits that no push announced."""
    c = container()
    with c.sessions() as session:
        athletes = list(repository.active_athlete_ids(session))
    for athlete_id in athletes:
        send("reconcile.athlete", athlete_id, queue="strava_bulk")
    return len(athletes)
