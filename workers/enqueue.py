"""Publishing work. Called after a commit; a failure to publish loses nothing (the sweeper re-drives the row)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from workers.celery_app import app

log = logging.getLogger(__name__)
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
MAINTENANCE_QUEUE = "maintenance"  # notify.* and jobs.* (workers/celery_app.py task_routes)


def enqueue_event(event_id: int, *, bulk: bool = False) -> bool:
    """Pushes go on `strava`; work found by backfill or reconciliation on `strava_bulk`, so it never queues
    in front of a push."""
    return send("sync.process_event", event_id, queue="strava_bulk" if bulk else "strava")


def publish_events(event_ids: list[int]) -> bool:
    """A batch from the webhook's group commit: one message; the worker fans it out (`inbox.dispatch`)."""
    if len(event_ids) == 1:
        return enqueue_event(event_ids[0])
    return send("inbox.dispatch", event_ids, queue="strava")


def enqueue_outbox(ids: Sequence[int], *, kick: bool = False) -> None:
    """The hand-off to delivery: notify/publish.py's after-commit listener calls this (through
    workers.runtime.container) with the outbox rows just committed; each becomes a `notify.deliver` task, and
    `kick` also delivers rows whose ids the writer lacks. Here, not beside the notify tasks in workers/jobs.py: the API publishes too, and importing the job
    tasks would cost it ~1.6 MB (README "Performance")."""
    for outbox_id in ids:
        send("notify.deliver", outbox_id, queue=MAINTENANCE_QUEUE)
    if kick:
        send("notify.kick", queue=MAINTENANCE_QUEUE)


def send(task: str, *args: object, queue: str | None = None, countdown: float | None = None) -> bool:
    try:
        app.send_task(
            task,
            args=list(args),
            queue=queue,
            countdown=countdown,
            retry=True,
            # Bounded: with the broker's socket timeouts (workers/celery_app.py), a publish to a hung broker
            # gives up after a few seconds instead of holding its caller.
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except (
        Exception
    ) as error:  # after the commit: whatever failed, the row is there and the sweeper re-drives it
        log.warning("enqueue.failed", extra={"task": task, "error": type(error).__name__})
        return False
    return True
