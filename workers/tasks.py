"""Celery tasks: thin shells that take ids, call one service, and obey its retry decision."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from celery import Task

from runsmart.bootstrap import container
from store import repository
from store.db import UnitOfWork
from workers.celery_app import app
from workers.enqueue import enqueue_event

log = logging.getLogger(__name__)


@app.task(name="sync.process_event", bind=True, acks_late=True, max_retries=None)
def process_event(self: Task, event_id: int) -> str:
    result = container().events.process(event_id, attempt=self.request.retries)
    if result.retry_in_s is not None:
        # The service bounds the number of retries; the countdown replaces any sleep in the worker.
        raise self.retry(countdown=result.retry_in_s, max_retries=None)
    return result.outcome


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
