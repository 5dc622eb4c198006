"""Notification delivery and the scheduled jobs: thin tasks over notify/ and jobs/ (docs/notifications.md)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import Task

from runsmart.bootstrap import container
from sync.events import MAX_COUNTDOWN_S
from workers.celery_app import app
from workers.enqueue import send

log = logging.getLogger(__name__)
QUEUE = "maintenance"


def enqueue_outbox(ids: Sequence[int], *, kick: bool = False) -> None:
    """Called after a commit: deliver these rows now; `kick` also delivers rows whose ids the writer lacks."""
    for outbox_id in ids:
        send("notify.deliver", outbox_id, queue=QUEUE)
    if kick:
        send("notify.kick", queue=QUEUE)


@app.task(name="notify.deliver", bind=True, acks_late=True, max_retries=None)
def deliver(self: Task, outbox_id: int) -> str:
    result = container().notifier.deliver(outbox_id)
    if result.retry_in_s is not None and result.retry_in_s <= MAX_COUNTDOWN_S:
        # next_attempt_at is stored too: a longer wait, or a lost countdown, is picked up by notify.redrive.
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
