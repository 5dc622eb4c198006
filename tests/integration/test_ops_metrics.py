"""GET /metrics on the real PostgreSQL and Redis: the operator's gauges are read at scrape time (inbox, outbox,
backfill, the Strava budget), a locked table makes the scrape report the database down instead of hanging, and
every metric the alert rules and the dashboard name is one the application exports."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from composition.root import Container
from store.db import UnitOfWork
from store.models import Athlete, BackfillJob, EventStatus, JobStatus, StravaEvent
from store.plan_models import NotificationOutbox, OutboxStatus
from sync.budget import Priority
from tests.integration.conftest import SUBSCRIPTION_ID
from webhooks.app import create_app

pytestmark = pytest.mark.integration

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
ATHLETE = 4242


def client_for(container: Container) -> TestClient:
    return TestClient(create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True))


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): float(s.value)
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(body: str, name: str, **labels: str) -> float | None:
    return samples(body).get((name, frozenset(labels.items())))


def seed(container: Container, now: datetime) -> None:
    def event(
        n: int, status: str, outcome: str | None, received_ago_s: float, due_in_s: float | None
    ) -> StravaEvent:
        return StravaEvent(
            subscription_id=SUBSCRIPTION_ID,
            object_type="activity",
            object_id=n,
            aspect_type="create",
            owner_id=ATHLETE,
            event_time=1_700_000_000 + n,
            updates={},
            updates_digest=f"{n:064d}",
            received_at=now - timedelta(seconds=received_ago_s),
            status=status,
            outcome=outcome,
            next_attempt_at=None if due_in_s is None else now + timedelta(seconds=due_in_s),
        )

    with UnitOfWork(container.sessions) as uow:
        session = uow.session
        session.add(Athlete(id=ATHLETE, created_at=now))
        session.flush()
        session.add_all(
            [
                event(1, EventStatus.PENDING, None, received_ago_s=30, due_in_s=None),  # new, due since 30 s
                event(2, EventStatus.PENDING, "rate_limited_parked", received_ago_s=7200, due_in_s=600),
                event(
                    3, EventStatus.PENDING, "retrying", received_ago_s=100, due_in_s=-1200
                ),  # overdue 20 min
                event(4, EventStatus.FAILED, "failed", received_ago_s=5000, due_in_s=3000),
                event(5, EventStatus.DONE, "synced", received_ago_s=99999, due_in_s=None),  # never counted
            ]
        )
        for n, status in enumerate(
            [OutboxStatus.PENDING, OutboxStatus.DEAD, OutboxStatus.DEAD, OutboxStatus.DELIVERED]
        ):
            session.add(
                NotificationOutbox(
                    athlete_id=ATHLETE,
                    event_type="plan.updated",
                    payload={},
                    idempotency_key=f"ops-{n}",
                    status=status,
                    created_at=now - timedelta(seconds=60 * (n + 1)),
                )
            )
        session.add(
            BackfillJob(
                athlete_id=ATHLETE,
                status=JobStatus.RUNNING,
                after_epoch=0,
                before_epoch=1,
                pages_done=3,
                activities_queued=57,
                started_at=now,
                updated_at=now,
            )
        )
        uow.commit()


def test_the_scrape_reads_the_inbox_outbox_backfill_and_budget(container: Container) -> None:
    seed(container, datetime.now(UTC))
    for _ in range(3):
        container.budget.acquire(Priority.WEBHOOK)
    with client_for(container) as client:
        body = client.get("/metrics").text

    assert value(body, "runsmart_ops_source_up", source="database") == 1
    assert value(body, "runsmart_inbox_events", status="pending", outcome="new") == 1
    assert value(body, "runsmart_inbox_events", status="pending", outcome="rate_limited_parked") == 1
    assert value(body, "runsmart_inbox_events", status="failed", outcome="failed") == 1
    assert value(body, "runsmart_inbox_events", status="done", outcome="synced") is None
    assert value(body, "runsmart_inbox_parked_events") == 1
    oldest = value(body, "runsmart_inbox_oldest_pending_age_seconds")
    assert oldest is not None
    assert 7200 <= oldest < 7300
    # The parked row is not due yet; the retrying one has been due for 20 minutes: that is the stall signal.
    overdue = value(body, "runsmart_inbox_oldest_due_age_seconds")
    assert overdue is not None
    assert 1200 <= overdue < 1300
    assert value(body, "runsmart_outbox_notifications", status="pending") == 1
    assert value(body, "runsmart_outbox_notifications", status="dead") == 2
    assert value(body, "runsmart_backfill_jobs", status="running") == 1
    assert value(body, "runsmart_backfill_activities_queued") == 57
    assert value(body, "runsmart_backfill_pages_done") == 3

    assert value(body, "runsmart_ops_source_up", source="redis") == 1
    assert value(body, "runsmart_strava_budget_used", bucket="read", window="quarter") == 3
    limit = value(body, "runsmart_strava_budget_limit", bucket="read", window="day")
    assert value(body, "runsmart_strava_budget_left", bucket="read", window="day") == (limit or 0) - 3


def test_an_application_fault_in_the_budget_is_a_gauge(container: Container) -> None:
    pause = getattr(container.budget, "pause_for_app_fault", None)
    if pause is None:
        pytest.skip("this budget has no application-fault pause (sync/budget.py)")
    with client_for(container) as client:
        assert value(client.get("/metrics").text, "runsmart_strava_app_fault") == 0
        pause("client secret refused", 60)
        assert value(client.get("/metrics").text, "runsmart_strava_app_fault") == 1


def test_a_locked_table_makes_the_scrape_report_the_database_down_not_hang(container: Container) -> None:
    container.settings.metrics_query_timeout_s = 0.5
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with container.engine.connect() as conn:
            conn.execute(text("LOCK TABLE strava_events IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)
            conn.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with client_for(container) as client:
            started = time.monotonic()
            body = client.get("/metrics").text
            took = time.monotonic() - started
        assert value(body, "runsmart_ops_source_up", source="database") == 0
        assert value(body, "runsmart_inbox_parked_events") is None
        assert value(body, "runsmart_ops_source_up", source="redis") == 1  # the other source still answers
        assert took < 10  # bounded by the timeout (plus scheduling), never by the lock
    finally:
        release.set()
        holder.join(30)


# --- the monitoring files name only metrics that exist --------------------------------------------------------

_PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "histogram_quantile", "by", "without",
    "on", "ignoring", "and", "or", "unless", "hour", "time", "vector", "le", "clamp_min", "clamp_max", "offset",
    "bool", "group_left", "group_right", "topk", "bottomk", "abs", "delta", "deriv", "label_replace",
    "max_over_time", "min_over_time", "avg_over_time", "changes", "resets", "absent", "scalar", "floor", "ceil",
}  # fmt: skip
# Series Prometheus makes itself, not the application.
_PROMETHEUS_OWN = {"up"}


def metric_names_in(expr: str) -> set[str]:
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    # Label lists of aggregations and vector matching: `by (bucket, window)`, `on()`.
    without_labels = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", without_labels
    )
    without_strings = re.sub(r'"[^"]*"', "", without_labels)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r"\[[^\]]*\]", "", without_strings)))
    return {
        w for w in words if w not in _PROMQL_WORDS and not w.isdigit() and not re.fullmatch(r"\d+[smhd]", w)
    }


def monitoring_exprs() -> list[str]:
    import yaml

    rules = yaml.safe_load((MONITORING / "prometheus" / "alerts.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((MONITORING / "grafana" / "runsmart.json").read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    return exprs


def test_every_metric_the_alerts_and_the_dashboard_name_is_exported(container: Container) -> None:
    import runsmart.ops_metrics  # noqa: F401 - the worker's metrics, defined there

    with client_for(container) as client:
        body = client.get("/metrics").text
    exported = {family.name for family in text_string_to_metric_families(body)}
    exported |= {m.name for m in __import__("prometheus_client").REGISTRY.collect()}
    # A counter family `x` is queried as `x_total`; a histogram `h` as `h_bucket`, `h_count`, `h_sum`.
    suffixes = ("_total", "_bucket", "_count", "_sum", "_created")
    named = set().union(*(metric_names_in(expr) for expr in monitoring_exprs()))
    assert named, "no expressions found"
    missing = sorted(
        name
        for name in named - _PROMETHEUS_OWN
        if name not in exported
        and not any(name.endswith(s) and name[: -len(s)] in exported for s in suffixes)
    )
    assert missing == []
