"""Prometheus metrics for the API process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
