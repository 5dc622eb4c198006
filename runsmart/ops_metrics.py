"""Prometheus across processes, and the workers' own metrics (docs/operations.md, "Metrics").

`runsmart api --workers 2` and a prefork Celery worker are several processes; a scrape reaches one of them. With
PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps every process's values in files there and a scrape adds
them up (its multiprocess mode). The variable must be in the environment before prometheus_client is imported,
so it is set by whoever starts the processes (docker-compose.yml, cli/stack.py) or, for the API, by
webhooks/server.py when it is missing. Each start removes the files of processes that no longer run;
a process that exits marks itself dead so its live gauges stop counting.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger(__name__)

TASK_DURATION = Histogram(
    "runsmart_task_duration_seconds",
    "Celery task run time in the worker, by queue and task",
    ["queue", "task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
TASKS = Counter(
    "runsmart_tasks_total", "Celery tasks finished, by queue, task and state", ["queue", "task", "state"]
)
TASK_QUEUE_WAIT = Histogram(
    "runsmart_task_queue_wait_seconds",
    "Time a task waited for a worker: from its publish (or the end of its countdown) to its start, by queue",
    ["queue"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
EVENTS_PROCESSED = Counter(
    "runsmart_events_processed_total",
    "Inbox events handled by sync.process_event, by outcome (synced, gone, rate_limited_parked, ...)",
    ["outcome"],
)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_dead_process_files(directory: str | Path) -> int:
    """Delete the files of processes that no longer run (prometheus_client names them `<kind>_<pid>.db`).

    The files of running processes stay, so an API and a worker sharing one folder on a host never wipe each
    other's; values of processes gone before this start are dropped (a counter reset, which rate() handles)."""
    removed = 0
    for path in Path(directory).glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def prepare_multiprocess_dir() -> str | None:
    directory = multiprocess_dir()
    if directory is None:
        return None
    Path(directory).mkdir(parents=True, exist_ok=True)
    removed = remove_dead_process_files(directory)
    log.info("metrics.multiprocess_dir", extra={"path": directory, "stale_files_removed": removed})
    return directory


def mark_process_dead(pid: int | None = None) -> None:
    if multiprocess_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid if pid is not None else os.getpid())


def process_registry() -> CollectorRegistry:
    """Every process's values when in multiprocess mode, else this process's own."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


def process_metrics_text() -> bytes:
    return generate_latest(process_registry())


# --- Celery hooks (connected in workers/celery_app.py) ------------------------------------------------------

_started: dict[str, float] = {}
SENT_AT_HEADER = "runsmart_sent_at"


def stamp_published(headers: dict[str, Any]) -> None:
    """On publish (API or worker): the wall-clock time, read back by the worker as the start of the wait."""
    headers.setdefault(SENT_AT_HEADER, time.time())


def _queue(task: Any) -> str:
    delivery = getattr(task.request, "delivery_info", None) or {}
    return str(delivery.get("routing_key") or "unknown")


def _due_at(request: Any) -> float | None:
    sent_at = getattr(request, SENT_AT_HEADER, None)
    if not isinstance(sent_at, int | float):
        return None
    eta = getattr(request, "eta", None)
    if isinstance(eta, str):  # a countdown: the wait starts when the task is due, not when it was sent
        try:
            return max(float(sent_at), datetime.fromisoformat(eta).timestamp())
        except ValueError:
            pass
    return float(sent_at)


def task_started(task_id: str, task: Any) -> None:
    _started[task_id] = time.perf_counter()
    due_at = _due_at(task.request)
    if due_at is not None:
        # Wall clocks of two hosts: a small negative difference is clock skew, not a wait.
        TASK_QUEUE_WAIT.labels(_queue(task)).observe(max(0.0, time.time() - due_at))


def task_finished(task_id: str, task: Any, state: str | None, retval: Any) -> None:
    began = _started.pop(task_id, None)
    queue = _queue(task)
    name = str(getattr(task, "name", "unknown"))
    if began is not None:
        TASK_DURATION.labels(queue, name).observe(time.perf_counter() - began)
    TASKS.labels(queue, name, (state or "unknown").lower()).inc()
    if name == "sync.process_event" and isinstance(retval, str):
        EVENTS_PROCESSED.labels(retval).inc()


def start_worker_metrics_server(port: int, host: str) -> None:
    """The worker's /metrics: a thread in the main process adding up every pool process's files."""
    from prometheus_client import start_http_server

    if multiprocess_dir() is None:
        log.warning("metrics.single_process", extra={"hint": f"set {MULTIPROC_ENV} for a prefork pool"})
    start_http_server(port, addr=host, registry=process_registry())
    log.info("metrics.worker_server", extra={"host": host, "port": port})
