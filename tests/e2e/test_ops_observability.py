"""Logs and metrics of the real processes (docs/operations.md): a worker's JSON lines keep their structured fields
and no secret; a scrape of a two-process API adds up both processes; a worker serves its pool's task metrics;
an iCal or plan-page token never reaches the access log."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from cli.stack import CLIENT_SECRET, SUBSCRIPTION_ID, VERIFY_TOKEN, Stack
from simulator.testing import free_port
from store.db import engine_for, session_factory
from store.models import Activity
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# A value that says "token" in the clear: `access_token=abc`, `"refresh_token": "abc"`, `Bearer abc`.
UNREDACTED_TOKEN = re.compile(
    r"(?i)(?:access_token|refresh_token)[\"']?\s*[=:]\s*[\"']?(?!\[redacted\])\w|bearer\s+(?!\[redacted\])\w"
)


def synced(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return session.scalar(select(func.count()).select_from(Activity)) or 0


def json_lines(path: Path) -> list[dict[str, Any]]:
    # Celery prints its start-up banner on stdout before logging starts; every log record is a JSON line.
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return None


def scrape(url: str) -> str:
    # A new connection per scrape (no keep-alive): the kernel may hand it to either server process.
    response = requests.get(url, timeout=10, headers={"Connection": "close"})
    response.raise_for_status()
    return response.text


def test_a_prefork_worker_logs_json_with_event_fields_and_serves_its_pools_metrics(
    stack_factory: Callable[..., Stack], e2e_db: str, tmp_path: Path
) -> None:
    metrics_port = free_port()
    stack = stack_factory(
        worker_pool="prefork",  # the production pool: tasks run in a child process, logging set up there too
        beat=True,
        extra_env={
            "RUNSMART_LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),  # not made yet, as in a fresh container
            "RUNSMART_WORKER_METRICS_PORT": str(metrics_port),
            # No history import: the one pushed run is the only event, so the counts below are exact.
            "RUNSMART_BACKFILL_WEEKS": "0",
        },
    )
    athlete_id = stack.connect_athlete()
    stack.simulator.admin.create_activity(athlete_id, kind="easy")
    assert wait_for(lambda: synced(e2e_db) == 1, what="the pushed run synced")

    worker_log = stack.log_dir / "worker0.log"

    def processed_lines() -> list[dict[str, Any]]:
        return [line for line in json_lines(worker_log) if line.get("message") == "sync.event.processed"]

    processed = wait_for(processed_lines, what="the worker's sync.event.processed line")[0]
    assert isinstance(processed["event_id"], int)
    assert processed["outcome"] == "synced"
    assert processed["task"] == "sync.process_event"  # logged from inside the task, in the pool's child
    assert processed["level"] == "INFO"
    # Celery's own lines go through the same handler (it did not take the root logger over).
    assert any(line["logger"].startswith("celery") for line in json_lines(worker_log))

    # Beat keeps the setup as well.
    assert wait_for(
        lambda: any(
            line["logger"].startswith("celery.beat") for line in json_lines(stack.log_dir / "beat.log")
        ),
        what="a JSON line from beat",
    )

    logs = "\n".join(path.read_text(errors="replace") for path in stack.log_dir.glob("*.log"))
    assert CLIENT_SECRET not in logs
    assert VERIFY_TOKEN not in logs
    assert UNREDACTED_TOKEN.findall(logs) == []

    # The task ran in the pool's child process; the main process's /metrics adds its files up.
    worker_metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    assert wait_for(
        lambda: sample(scrape(worker_metrics), "runsmart_events_processed_total", outcome="synced") == 1,
        what="the synced event counted by the worker",
    )
    text = scrape(worker_metrics)
    count = sample(text, "runsmart_task_duration_seconds_count", queue="strava", task="sync.process_event")
    assert count is not None
    assert count >= 1
    # The API published the event task with its send time; the worker measured how long it queued.
    waited = sample(text, "runsmart_task_queue_wait_seconds_count", queue="strava")
    assert waited is not None
    assert waited >= 1


def served_by(api_log: Path, path: str) -> set[int]:
    """The server processes whose access log shows a request for `path`."""
    return {
        line["pid"]
        for line in json_lines(api_log)
        if line.get("logger") == "uvicorn.access" and f" {path} " in line.get("message", "")
    }


def test_one_scrape_of_a_two_process_api_counts_both_and_tokens_stay_out_of_the_access_log(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory(api_workers=2, workers=0, extra_env={"RUNSMART_LOG_FORMAT": "json"})
    api_log = stack.log_dir / "api.log"
    sent = 0
    # New connections until both processes have answered some (the kernel picks one per connection).
    while sent < 400 and len(served_by(api_log, "/webhooks/strava")) < 2:
        for _ in range(10):
            sent += 1
            event = {
                "object_type": "activity",
                "object_id": sent,
                "aspect_type": "create",
                "owner_id": 1,
                "subscription_id": SUBSCRIPTION_ID,
                "event_time": 1_700_000_000,
                "updates": {},
            }
            response = requests.post(
                f"{stack.api_url}/webhooks/strava", json=event, timeout=10, headers={"Connection": "close"}
            )
            assert response.status_code == 200, response.text
    assert len(served_by(api_log, "/webhooks/strava")) == 2, "one process answered every request"

    for _ in range(6):  # whichever process answers the scrape, it reports every process's count
        text = scrape(f"{stack.api_url}/metrics")
        assert sample(text, "runsmart_webhook_events_total", outcome="accepted") == sent
    # The shared-state gauges are read at scrape time, from the database and Redis.
    assert sample(text, "runsmart_ops_source_up", source="database") == 1
    assert sample(text, "runsmart_ops_source_up", source="redis") == 1
    assert sample(text, "runsmart_outbox_notifications", status="dead") == 0
    # No worker runs here: every event stored is still pending, and the oldest has been waiting a while.
    assert sample(text, "runsmart_inbox_events", status="pending", outcome="new") == sent
    oldest = sample(text, "runsmart_inbox_oldest_pending_age_seconds")
    assert oldest is not None
    assert oldest > 0
    assert sample(text, "runsmart_strava_budget_left", bucket="read", window="day") is not None

    ical_token, page_token = "icalTokenThatMustNotBeLogged42", "planPageTokenThatMustNotBeLogged7"
    assert requests.get(f"{stack.api_url}/ical/{ical_token}.ics", timeout=10).status_code == 404
    requests.get(f"{stack.api_url}/p/{page_token}", timeout=10)
    assert wait_for(lambda: served_by(api_log, "/ical/[redacted].ics"), what="the feed request's access line")
    assert wait_for(lambda: served_by(api_log, "/p/[redacted]"), what="the plan page request's access line")
    text = api_log.read_text(errors="replace")
    assert ical_token not in text
    assert page_token not in text
