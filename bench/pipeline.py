"""Runs/s through the whole pipeline (webhook → sync → match → adapt → outbox) with real worker processes,
against a no-op Celery task on the same workers in the same run; and the workers' and the API's peak memory.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
import requests
from sqlalchemy import func, select

from bench.economy import REDIS, _fresh
from runsmart.stack import SUBSCRIPTION_ID, Stack
from store.db import engine_for, session_factory
from store.models import StravaEvent

API_KEY = "bench-" + uuid.uuid4().hex


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _tree_peak_rss_mb(pid: int) -> float:
    """The largest peak RSS among a process and its children (a prefork worker's pool processes)."""
    peaks = [_peak_rss_mb(pid)]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        peaks += [_peak_rss_mb(int(c)) for c in children.read_text().split()]
    return max(peaks)


def _done(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return (
            session.scalar(select(func.count()).select_from(StravaEvent).where(StravaEvent.status == "done"))
            or 0
        )


def run(runs: int = 200, athletes: int = 4, workers: int = 2) -> dict[str, Any]:
    url = _fresh("runsmart_bench_pipeline")
    redis.Redis.from_url(REDIS).flushdb()
    log_dir = Path(tempfile.mkdtemp(prefix="runsmart-bench-pipeline-"))
    stack = Stack(
        database_url=url,
        broker_url=REDIS,
        log_dir=log_dir,
        workers=workers,
        # A window large enough for every run: this measures processing, not Strava's budget (bench/economy.py).
        simulator_args=["--athletes", str(athletes), "--weeks", "0", "--read-limit", "10000,100000"],
        extra_env={
            "RUNSMART_BACKFILL_WEEKS": "0",
            "RUNSMART_API_KEYS": API_KEY,
            "RUNSMART_LOG_LEVEL": "WARNING",
        },
    )
    with stack:
        admin = stack.simulator.admin
        ids = [a["id"] for a in admin.athletes()][:athletes]
        monday = date.today() - timedelta(days=date.today().weekday())
        for athlete_id in ids:
            stack.connect_athlete(athlete_id)
            response = requests.put(
                f"{stack.api_url}/api/v1/athletes/{athlete_id}/plan",
                headers={"Authorization": f"Bearer {API_KEY}"},
                json={
                    "athlete": {"weekly_km": 40, "runs_per_week": 5, "vdot": 45, "long_run_km": 14},
                    "goal": {
                        "kind": "race",
                        "date": (monday + timedelta(weeks=16, days=6)).isoformat(),
                        "distance_m": 21097.5,
                    },
                    "start": monday.isoformat(),
                    "timezone": "UTC",
                },
                timeout=30,
            )
            response.raise_for_status()

        # Baseline: the same workers run no-op tasks.
        counter = f"bench:noop:{uuid.uuid4().hex}"
        client = redis.Redis.from_url(REDIS)
        from workers.celery_app import app as celery_app

        celery_app.conf.broker_url = REDIS
        started = time.monotonic()
        with celery_app.producer_or_acquire() as producer:
            for _ in range(runs):
                celery_app.send_task("diag.noop", args=[counter], queue="strava", producer=producer)
        while int(client.get(counter) or 0) < runs and time.monotonic() - started < 120:
            time.sleep(0.02)
        noop_rate = runs / (time.monotonic() - started)

        # The pipeline: runs exist on "Strava"; their pushes arrive in a burst.
        bodies = []
        for n in range(runs):
            athlete_id = ids[n % len(ids)]
            activity = admin.create_activity(athlete_id, kind="easy", push=False)["activity"]
            bodies.append({
                "aspect_type": "create", "event_time": int(time.time()) + n, "object_id": activity["id"],
                "object_type": "activity", "owner_id": athlete_id, "subscription_id": SUBSCRIPTION_ID, "updates": {},
            })  # fmt: skip
        before = _done(url)
        started = time.monotonic()
        session = requests.Session()
        for body in bodies:
            session.post(f"{stack.api_url}/webhooks/strava", json=body, timeout=10).raise_for_status()
        while _done(url) - before < runs and time.monotonic() - started < 600:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        pipeline_rate = (_done(url) - before) / elapsed
        memory = {
            "api_peak_rss_mb": _tree_peak_rss_mb(stack.processes["api"].pid),
            "worker_peak_rss_mb": max(
                _tree_peak_rss_mb(stack.processes[f"worker{n}"].pid) for n in range(workers)
            ),
        }
        with session_factory(engine_for(url))() as db:
            outcomes = dict(
                db.execute(select(StravaEvent.outcome, func.count()).group_by(StravaEvent.outcome)).all()
            )
    return {
        "runs": runs,
        "athletes": athletes,
        "workers": workers,
        "noop_tasks_per_s": round(noop_rate, 1),
        "pipeline_runs_per_s": round(pipeline_rate, 1),
        "pipeline_vs_noop": round(pipeline_rate / noop_rate, 3),
        "outcomes": outcomes,
        **memory,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(runs=60 if "--quick" in sys.argv else 200), indent=2))
