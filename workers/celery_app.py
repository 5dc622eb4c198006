"""The Celery application: Redis broker in production, kombu's filesystem transport in the embedded demo."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from celery.schedules import crontab

from runsmart.settings import get_settings

settings = get_settings()

app = Celery("runsmart", broker=settings.celery_broker_url, include=["workers.tasks", "workers.jobs"])
app.conf.update(
    task_ignore_result=True,
    # At-least-once: a task killed mid-way (SIGKILL, lost worker) is redelivered; every task is idempotent.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    broker_connection_retry_on_startup=True,
    task_routes={
        "sync.*": {"queue": "strava"},
        "inbox.dispatch": {"queue": "strava"},
        "diag.noop": {"queue": "strava"},
        "backfill.page": {"queue": "strava_bulk"},
        "reconcile.athlete": {"queue": "strava_bulk"},
        "inbox.*": {"queue": "maintenance"},
        "backfill.redrive": {"queue": "maintenance"},
        "reconcile.nightly": {"queue": "maintenance"},
        "reconcile.weekly": {"queue": "maintenance"},
        "notify.*": {"queue": "maintenance"},
        "jobs.*": {"queue": "maintenance"},
    },
    task_default_queue="strava",
    beat_schedule={
        "inbox-redrive": {"task": "inbox.redrive", "schedule": settings.inbox_sweep_every_s},
        "backfill-redrive": {"task": "backfill.redrive", "schedule": settings.inbox_sweep_every_s},
        # After midnight everywhere in Europe and the Americas' evening runs have been uploaded.
        "reconcile-nightly": {"task": "reconcile.nightly", "schedule": crontab(minute=15, hour=3)},
        "reconcile-weekly": {
            "task": "reconcile.weekly",
            "schedule": crontab(minute=45, hour=4, day_of_week="mon"),
        },
        "outbox-redrive": {"task": "notify.redrive", "schedule": settings.outbox_redrive_every_s},
        # Hourly ticks; each selects the athletes for whom it is the right local time (jobs/clock.py).
        "weekly-review": {"task": "jobs.weekly_review_tick", "schedule": crontab(minute=0)},
        "missed-sweep": {"task": "jobs.missed_tick", "schedule": crontab(minute=5)},
        "token-prefresh": {"task": "jobs.token_prefresh_tick", "schedule": crontab(minute=10)},
    },
)


@signals.worker_init.connect
def _import_stravalib(**_: Any) -> None:
    # sync.strava imports stravalib lazily (it costs the API process ~30 MB); a worker needs it for every
    # task, so it pays the import (~1 s with pint's unit registry) at start, not inside its first task.
    import stravalib  # noqa: F401


@signals.worker_ready.connect
@signals.worker_process_init.connect
def _freeze_startup_objects(**_: Any) -> None:
    # Start-up objects out of the collector's full scans (runsmart/gc_tuning.py): shorter pauses per task.
    from runsmart.gc_tuning import freeze_startup_objects

    freeze_startup_objects()


def use_redbeat(celery: Celery, redis_url: str, *, key_prefix: str = "runsmart:redbeat") -> None:
    """Beat's schedule and a lock in Redis: a second beat instance waits for the lock instead of sending
    every job a second time, and takes over within the lock timeout if the first one dies."""
    celery.conf.beat_scheduler = "redbeat.RedBeatScheduler"
    celery.conf.redbeat_redis_url = redis_url
    celery.conf.redbeat_redis_options = {"socket_timeout": 5, "socket_connect_timeout": 5}
    celery.conf.redbeat_key_prefix = key_prefix
    celery.conf.beat_max_loop_interval = 30  # the lock is extended every tick ...
    celery.conf.redbeat_lock_timeout = 150  # ... and lapses 2.5 min after a beat dies


if settings.celery_broker_url.startswith("redis"):
    # The filesystem broker of `make demo` (no Redis) keeps Celery's default file-based scheduler.
    use_redbeat(app, settings.redis_url)
    # Longer than any countdown we issue (sync.events.MAX_COUNTDOWN_S), so retries are not redelivered early.
    app.conf.broker_transport_options = {"visibility_timeout": 3600}
    app.conf.broker_pool_limit = 10
elif settings.celery_broker_url.startswith("filesystem"):
    folder = settings.filesystem_broker_dir
    os.makedirs(folder, exist_ok=True)
    app.conf.broker_transport_options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "control_folder": os.path.join(folder, "control"),
    }
