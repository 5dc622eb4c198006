"""Prometheus metrics of the API, and the operator's gauges read when /metrics is scraped.

Counters and histograms are counted where things happen, in every API process (added up across processes by
prometheus_client's multiprocess mode, runsmart/ops_metrics.py). The gauges that describe shared state (the
inbox, the outbox, backfills in the database; the Strava budget in Redis) are read at scrape time, never per
request, each source bounded by RUNSMART_METRICS_QUERY_TIMEOUT_S: a slow or dead source is reported by
`runsmart_ops_source_up{source}` = 0 and the scrape still answers (docs/operations.md, "Metrics").
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runsmart.ops_metrics import process_metrics_text
from store.ops_queries import OpsSnapshot, snapshot

if TYPE_CHECKING:
    from composition.root import Container
    from runsmart.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

WEBHOOK_EVENTS = Counter(
    "runsmart_webhook_events_total", "Strava push events received, by outcome", ["outcome"]
)
WEBHOOK_LATENCY = Histogram(
    "runsmart_webhook_ack_seconds",
    "Time from request to acknowledgement of a Strava push event",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
)
ENQUEUE_FAILURES = Counter(
    "runsmart_enqueue_failures_total", "Events stored but not published (the sweeper re-drives them)"
)

# One read per source at a time: a source that hangs past its timeout keeps its thread, and the next scrape
# finds the source busy and reports it down instead of stacking more threads behind it.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metrics-source")
_BUSY = {"database": threading.Lock(), "redis": threading.Lock()}


def _bounded(source: str, read: Callable[[], T], timeout_s: float) -> T | None:
    lock = _BUSY[source]
    if not lock.acquire(timeout=timeout_s):  # a concurrent scrape's read, or one still stuck past its timeout
        return None

    def run() -> T:
        try:
            return read()
        finally:
            lock.release()

    future = _POOL.submit(run)
    try:
        return future.result(timeout=timeout_s)
    except FutureTimeout:
        log.warning("metrics.source_timeout", extra={"source": source, "timeout_s": timeout_s})
    except Exception as error:  # any failure of a source is "source down", whatever its type
        log.warning(
            "metrics.source_failed", extra={"source": source, "error": f"{type(error).__name__}: {error}"}
        )
    return None


def _gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _database_families(snap: OpsSnapshot) -> Iterator[GaugeMetricFamily]:
    inbox = _gauge(
        "runsmart_inbox_events", "Inbox rows not done yet, by status and last outcome", ["status", "outcome"]
    )
    for (status, outcome), n in sorted(snap.inbox.by_status_outcome.items()):
        inbox.add_metric([status, outcome], n)
    yield inbox
    parked = _gauge("runsmart_inbox_parked_events", "Pending inbox rows parked until a Strava window resets")
    parked.add_metric([], snap.inbox.parked)
    yield parked
    oldest = _gauge(
        "runsmart_inbox_oldest_pending_age_seconds", "Age of the oldest pending inbox row (parked included)"
    )
    oldest.add_metric([], snap.inbox.oldest_pending_age_s)
    yield oldest
    due = _gauge(
        "runsmart_inbox_oldest_due_age_seconds",
        "How long the most overdue pending inbox row has been due and not handled: the stall signal",
    )
    due.add_metric([], snap.inbox.oldest_due_age_s)
    yield due
    outbox = _gauge("runsmart_outbox_notifications", "Notification outbox rows pending or dead", ["status"])
    for status, n in sorted(snap.outbox_by_status.items()):
        outbox.add_metric([status], n)
    yield outbox
    outbox_age = _gauge(
        "runsmart_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered notification"
    )
    outbox_age.add_metric([], snap.oldest_outbox_pending_age_s)
    yield outbox_age
    jobs = _gauge("runsmart_backfill_jobs", "Backfill jobs by status", ["status"])
    for status, n in sorted(snap.backfill.jobs_by_status.items()):
        jobs.add_metric([status], n)
    yield jobs
    pages = _gauge("runsmart_backfill_pages_done", "Pages read so far by the backfills not finished yet")
    pages.add_metric([], snap.backfill.pages_done)
    yield pages
    queued = _gauge(
        "runsmart_backfill_activities_queued", "Activities queued so far by the backfills not finished yet"
    )
    queued.add_metric([], snap.backfill.activities_queued)
    yield queued
    connected = _gauge(
        "runsmart_strava_connected_athletes", "Athletes holding one of the application's Strava places"
    )
    connected.add_metric([], snap.connected_athletes)
    yield connected


def _budget_families(usage: dict[str, dict[str, int]], fault: Any) -> Iterator[GaugeMetricFamily]:
    used = _gauge(
        "runsmart_strava_budget_used", "Strava requests counted in the current window", ["bucket", "window"]
    )
    limit = _gauge("runsmart_strava_budget_limit", "Strava's limit for the window", ["bucket", "window"])
    left = _gauge(
        "runsmart_strava_budget_left", "Strava requests left in the current window", ["bucket", "window"]
    )
    for bucket, counts in sorted(usage.items()):
        for window, scope in (("quarter", "quarter"), ("day", "day")):
            n_used, n_limit = counts[f"{scope}_used"], counts[f"{scope}_limit"]
            used.add_metric([bucket, window], n_used)
            limit.add_metric([bucket, window], n_limit)
            left.add_metric([bucket, window], max(0, n_limit - n_used))
    yield from (used, limit, left)
    if fault is not NotImplemented:
        app_fault = _gauge(
            "runsmart_strava_app_fault",
            "1 while Strava work is paused app-wide because Strava refused the application's credentials",
        )
        app_fault.add_metric([], 1 if fault else 0)
        yield app_fault


class OpsCollector(Collector):
    """The shared-state gauges, read from the database and Redis when Prometheus scrapes."""

    def __init__(self, get_container: Callable[[], Container]) -> None:
        self._container = get_container

    def _read_database(self, c: Container) -> OpsSnapshot:
        with c.sessions() as session:
            try:
                return snapshot(session, datetime.now(UTC), timeout_s=c.settings.metrics_query_timeout_s)
            finally:
                session.rollback()

    def _read_budget(self, c: Container) -> tuple[dict[str, dict[str, int]], Any]:
        usage = c.budget.usage()
        # The budget's app-wide pause (sync/budget.py): absent from a budget without one.
        app_fault = getattr(c.budget, "app_fault", None)
        return usage, (app_fault() if callable(app_fault) else NotImplemented)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        c = self._container()
        timeout = c.settings.metrics_query_timeout_s
        up = _gauge("runsmart_ops_source_up", "1 when the last scrape could read the source", ["source"])
        snap = _bounded("database", lambda: self._read_database(c), timeout)
        if snap is not None:
            yield from _database_families(snap)
        budget = _bounded("redis", lambda: self._read_budget(c), timeout)
        if budget is not None:
            yield from _budget_families(*budget)
        capacity = _gauge(
            "runsmart_strava_athlete_capacity", "How many athletes Strava lets the application connect"
        )
        capacity.add_metric([], c.settings.strava_athlete_capacity)
        yield capacity
        up.add_metric(["database"], int(snap is not None))
        up.add_metric(["redis"], int(budget is not None))
        yield up


def render(get_container: Callable[[], Container]) -> bytes:
    """The /metrics body: every API process's counters, then the shared-state gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OpsCollector(get_container))
    return process_metrics_text() + generate_latest(registry)


def caller_allowed(settings: Settings, authorization: str) -> bool:
    """Outside production anyone may scrape; in production only `Authorization: Bearer <one of RUNSMART_API_KEYS>`
    (Prometheus: `authorization: {credentials: ...}` in the scrape config). Every key is compared in constant
    time."""
    if settings.env != "production":
        return True
    scheme, _, given = authorization.partition(" ")
    ok = False
    for key in settings.api_key_list():
        ok |= hmac.compare_digest(given.strip().encode(), key.encode())
    return scheme.lower() == "bearer" and ok
