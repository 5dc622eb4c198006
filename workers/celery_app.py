"""The Celery application: Redis broker in production, kombu's filesystem transport in the embedded demo."""

from __future__ import annotations

import os

from celery import Celery
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
    },
)
if settings.celery_broker_url.startswith("redis"):
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
