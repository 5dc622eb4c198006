"""The Celery application: Redis broker in production, kombu's filesystem transport in the embedded demo."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from celery.schedules import crontab

from runsmart.settings import get_settings

settings = get_settings()
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus_client writes there from the first metric a module makes at import, before any worker signal
    # (docs/operations.md, "Metrics"); a fresh container has no such folder yet.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
# Each broker call gives up after this long; a publish retries at most as PUBLISH_RETRY_POLICY says
# (workers/enqueue.py), so even a hung broker releases a caller within seconds.
BROKER_SOCKET_TIMEOUT_S = 3.0

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
    broker_connection_timeout=BROKER_SOCKET_TIMEOUT_S,
    task_routes={
        "sync.*": {"queue": "strava"},
        "inbox.dispatch": {"queue": "strava"},
        "diag.noop": {"queue": "strava"},
        "backfill.page": {"queue": "strava_bulk"},
        "reconcile.athlete": {"queue": "strava_bulk"},
        "inbox.*": {"queue": "maintenance"},
        "backfill.redrive": {"queue": "maintenance"},
        "reconcile.nightly": {"queue": "maintenance"},
        "reconcile.deferred": {"queue": "maintenance"},
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
        # Athletes whose pushed events were left to reconciliation (their allowance was spent): a real run
        # among them waits about one allowance window, not until 03:15 (docs/security.md).
        "reconcile-deferred": {
            "task": "reconcile.deferred",
            "schedule": crontab(minute="*/15"),
            "options": {"queue": "maintenance"},
        },
        "reconcile-weekly": {
            "task": "reconcile.weekly",
            "schedule": crontab(minute=45, hour=4, day_of_week="mon"),
        },
        "outbox-redrive": {"task": "notify.redrive", "schedule": settings.outbox_redrive_every_s},
        # Hourly ticks; each selects the athletes for whom it is the right local time (jobs/clock.py).
        "weekly-review": {"task": "jobs.weekly_review_tick", "schedule": crontab(minute=0)},
        "missed-sweep": {"task": "jobs.missed_tick", "schedule": crontab(minute=5)},
        "token-prefresh": {"task": "jobs.token_prefresh_tick", "schedule": crontab(minute=10)},
        "retention": {"task": "jobs.retention_tick", "schedule": crontab(minute=20, hour=2)},
        # Athletes' intervals.icu calendars whose plan changed (docs/connectors.md).
        "connectors": {"task": "jobs.connectors_tick", "schedule": settings.connector_tick_every_s},
    },
)


@signals.worker_init.connect
def _import_stravalib(**_: Any) -> None:
    # sync.strava imports stravalib lazily (it costs the API process ~30 MB); a worker needs it for every
    # task, so it pays the import (~1 s with pint's unit registry) at start, not inside its first task. Without
    # numpy and Babel, which pint would load for nothing (runsmart/lean_imports.py).
    from runsmart.lean_imports import absent

    with absent("numpy", "babel"):
        import stravalib  # noqa: F401


@signals.worker_ready.connect
@signals.worker_process_init.connect
def _freeze_startup_objects(**_: Any) -> None:
    # Start-up objects out of the collector's full scans (runsmart/gc_tuning.py): shorter pauses per task.
    from runsmart.gc_tuning import freeze_startup_objects

    freeze_startup_objects()


@signals.setup_logging.connect
def _configure_logging(**_: Any) -> None:
    # Answering this signal stops Celery from replacing the root handler in workers and beat: their lines keep
    # the redaction and the structured fields of runsmart/logs.py (docs/operations.md, "Logs").
    from runsmart.logs import configure_logging

    configure_logging()


@signals.celeryd_init.connect
def _prepare_metrics(**_: Any) -> None:
    # The worker's main process, before its pool starts: stale multiprocess files out (runsmart/ops_metrics.py),
    # and the worker's own /metrics when a port is configured.
    from runsmart.ops_metrics import prepare_multiprocess_dir, start_worker_metrics_server

    prepare_multiprocess_dir()
    if settings.worker_metrics_port:
        start_worker_metrics_server(settings.worker_metrics_port, settings.worker_metrics_host)


@signals.before_task_publish.connect
def _stamp_published(headers: dict[str, Any] | None = None, **_: Any) -> None:
    from runsmart.ops_metrics import stamp_published

    if headers is not None:
        stamp_published(headers)


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    from runsmart.ops_metrics import task_started

    if task_id and task is not None:
        task_started(task_id, task)


@signals.task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, retval: Any = None, **_: Any
) -> None:
    from runsmart.ops_metrics import task_finished

    if task_id and task is not None:
        task_finished(task_id, task, state, retval)
    # The planner memoizes by run object within a job; the next task loads its runs afresh, so what the
    # tables hold now would only be memory (README "Performance").
    from planner import forget_memos

    forget_memos()


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def _mark_metrics_process_dead(**_: Any) -> None:
    from runsmart.ops_metrics import mark_process_dead

    mark_process_dead()


def use_redbeat(celery: Celery, redis_url: str, *, key_prefix: str = "runsmart:redbeat") -> None:
    """Beat's schedule and a lock in Redis: a second beat instance waits for the lock instead of sending
    every job a second time, and takes over within the lock timeout if the first one dies."""
    # RedBeat's scheduler, made to outlive a lost, hung or restarted Redis (workers/beat_scheduler.py).
    celery.conf.beat_scheduler = "workers.beat_scheduler:ResilientRedBeatScheduler"
    celery.conf.redbeat_redis_url = redis_url
    celery.conf.redbeat_redis_options = {"socket_timeout": 5, "socket_connect_timeout": 5}
    celery.conf.redbeat_key_prefix = key_prefix
    celery.conf.beat_max_loop_interval = 30  # the lock is extended every tick ...
    celery.conf.redbeat_lock_timeout = 150  # ... and lapses 2.5 min after a beat dies


if settings.celery_broker_url.startswith("redis"):
    # The filesystem broker of `make demo` (no Redis) keeps Celery's default file-based scheduler.
    use_redbeat(app, settings.redis_url)
    app.conf.broker_transport_options = {
        # Longer than any countdown we issue (sync.events.MAX_COUNTDOWN_S), so retries are not redelivered early.
        "visibility_timeout": 3600,
        # Without these a broker that stops answering (but keeps its TCP connections, e.g. SIGSTOP or a
        # network partition) makes a publish or a health check wait forever. Above the workers' BRPOP
        # timeout (1 s), which must not be cut short.
        "socket_timeout": BROKER_SOCKET_TIMEOUT_S,
        "socket_connect_timeout": BROKER_SOCKET_TIMEOUT_S,
    }
    app.conf.broker_pool_limit = 10
elif settings.celery_broker_url.startswith("filesystem"):
    folder = settings.filesystem_broker_dir
    os.makedirs(folder, exist_ok=True)
    app.conf.broker_transport_options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "control_folder": os.path.join(folder, "control"),
        # kombu looks into an empty folder once a second; the demo's worker, alone on it, looks ten times as
        # often, so an event it pushes is picked up at once (listing a folder costs next to nothing).
        "polling_interval": 0.1,
    }
