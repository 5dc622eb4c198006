"""Publishing work. Called after a commit; a failure to publish loses nothing (the sweeper re-drives the row)."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerError

from workers.celery_app import app

log = logging.getLogger(__name__)


def enqueue_event(event_id: int) -> bool:
    try:
        app.send_task("sync.process_event", args=[event_id], retry=True, retry_policy={"max_retries": 2})
    except (BrokerError, OSError):
        log.warning("inbox.enqueue_failed", extra={"event_id": event_id})
        return False
    return True
