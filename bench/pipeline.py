"""Runs/s through the whole pipeline (webhook → sync → match → adapt → outbox) with real worker processes,
against a no-op Celery task on the same workers in the same run; and the workers' and the API's peak memory.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
import requests
from sqlalchemy import func, select

from bench.economy import REDIS, _fresh
from cli.stack import SUBSCRIPTION_ID, Stack
from store.db import engine_for, session_factory
from store.models import StravaEvent

API_KEY = "bench-" + uuid.uuid4().hex


def _rss_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's peak resident memory (VmHWM), or with ``field="VmRSS"`` its resident memory now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _tree_rss_mb(pid: int, field: str = "VmHWM") -> float:
    """The largest peak RSS (or RSS now) among a process and its children (a prefork worker's pool processes)."""
    peaks = [_rss_mb(pid, field)]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        peaks += [_rss_mb(int(c), field) for c in children.read_text().split()]
    return max(peaks)


def _done(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return (
            session.scalar(select(func.count()).select_from(StravaEvent).where(StravaEvent.status == "done"))
            or 0
        )


_KINDS = (
    ("workers.process", "worker"),  # `runsmart worker` replaces itself with it (workers/process.py)
    ("webhooks.server", "api"),
    ("runsmart simulator", "simulator"),
    ("postgres", "postgres"),
    ("redis-server", "redis"),
)


def _cpu_seconds_by_process() -> dict[str, float]:
    """User+system CPU seconds so far of the stack's processes, summed by kind (from /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        kind = next((k for marker, k in _KINDS if marker in command), None)
        if kind is None:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # utime and stime are fields 14 and 15 of stat(5)
        totals[kind] = totals.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def _noop_rate(celery_app: Any, redis_url: str, *, count: int) -> float:
    """Tasks per second for `count` no-op tasks sent at once to the `strava` queue."""
    counter = f"bench:noop:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    started = time.monotonic()
    with celery_app.producer_or_acquire() as producer:
        for _ in range(count):
            celery_app.send_task("diag.noop", args=[counter], queue="strava", producer=producer)
    while int(client.get(counter) or 0) < count and time.monotonic() - started < 120:
        time.sleep(0.01)
    return count / (time.monotonic() - started)


def _fetch_cpu_ms(base_url: str, token: str, activity_ids: list[int]) -> float:
    """Client CPU per activity for what no design can skip: the Strava GET (through our gateway, as a worker
    does it) and parsing the answer. Measured in this process, so the workers' numbers are not disturbed."""
    from cli.stack import CLIENT_ID, CLIENT_SECRET
    from sync.normalize import parse_activity
    from sync.strava import StravalibGateway

    gateway = StravalibGateway(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base_url)
    parse_activity(gateway.get_activity(token, activity_ids[0]))  # warm: imports, connection
    started = time.process_time()
    for activity_id in activity_ids:
        parse_activity(gateway.get_activity(token, activity_id))
    return (time.process_time() - started) * 1000 / len(activity_ids)


def _push_burst(url: str, bodies: list[dict[str, Any]], connections: int = 16) -> None:
    """Deliver the events as Strava does in a burst: many at once, each on a kept-alive connection."""
    local = threading.local()

    def post(body: dict[str, Any]) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        local.session.post(url, json=body, timeout=10).raise_for_status()

    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(post, bodies))


def run(runs: int = 200, athletes: int = 4, workers: int = 2, noop_tasks: int = 1000) -> dict[str, Any]:
    url = _fresh("runsmart_bench_pipeline")
    redis.Redis.from_url(REDIS).flushdb()
    log_dir = Path(tempfile.mkdtemp(prefix="runsmart-bench-pipeline-"))
    stack = Stack(
        database_url=url,
        broker_url=REDIS,
        log_dir=log_dir,
        workers=workers,
        # A window large enough for every run: this measures processing, not Strava's budget (bench/economy.py).
        simulator_args=["--athletes", str(athletes), "--weeks", "0", "--read-limit", "10000,100000"]
        + ["--overall-limit", "10000,100000"],
        extra_env={
            "RUNSMART_BACKFILL_WEEKS": "0",
            "RUNSMART_API_KEYS": API_KEY,
            "RUNSMART_LOG_LEVEL": "WARNING",
        },
    )
    with stack:
        # Where the API's memory stands before any request but the readiness probe: its start-up share.
        api_startup_rss = _tree_rss_mb(stack.processes["api"].pid, "VmRSS")
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

        # Baseline: the same workers run no-op tasks, once they are up and idle (a warm-up round first: the
        # stack only waits for the API, and a worker still starting would make the baseline look slow).
        from workers.celery_app import app as celery_app

        celery_app.conf.broker_url = REDIS
        _noop_rate(celery_app, REDIS, count=4 * workers)
        cpu_before = _cpu_seconds_by_process()
        noop_rate = _noop_rate(celery_app, REDIS, count=noop_tasks)
        noop_cpu_ms = round(
            (_cpu_seconds_by_process().get("worker", 0.0) - cpu_before.get("worker", 0.0))
            * 1000
            / noop_tasks,
            2,
        )

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
        # The workers after the plans' messages and the no-op tasks: what the burst adds shows beside the peak.
        worker_rss_before_burst = max(
            _tree_rss_mb(stack.processes[f"worker{n}"].pid, "VmRSS") for n in range(workers)
        )
        cpu_before = _cpu_seconds_by_process()
        started = time.monotonic()
        _push_burst(f"{stack.api_url}/webhooks/strava", bodies)
        while _done(url) - before < runs and time.monotonic() - started < 600:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        cpu_after = _cpu_seconds_by_process()
        done = _done(url) - before
        # Where the machine's CPU went, per synced run: what the goal's "no-op" baseline leaves out.
        cpu_ms_per_run = {
            kind: round((cpu_after.get(kind, 0.0) - cpu_before.get(kind, 0.0)) * 1000 / max(done, 1), 1)
            for kind in cpu_after
        }
        pipeline_rate = done / elapsed
        # The most the goal's ratio could be on this machine, from this run's own figures. PostgreSQL, the
        # simulator, the API and Redis need their CPU per run whatever the worker does, and everything shares
        # the same cores, so the rate cannot exceed cores / CPU seconds per run. Two floors for the worker's
        # share: a no-op task's CPU (one task per run), and, if runs were batched many to a task, the CPU of
        # the Strava GET and the parse alone (no SQL, no planner, no Celery).
        others_ms = sum(ms for kind, ms in cpu_ms_per_run.items() if kind != "worker")
        token = admin.issue_tokens(ids[0])["access_token"]
        fetch_ms = _fetch_cpu_ms(
            stack.simulator.base_url, token, [b["object_id"] for b in bodies if b["owner_id"] == ids[0]]
        )
        cores = os.cpu_count() or 1
        ceiling_rate = cores * 1000 / (others_ms + noop_cpu_ms)
        batched_ceiling_rate = cores * 1000 / (others_ms + fetch_ms)
        memory = {
            "api_startup_rss_mb": api_startup_rss,
            "worker_rss_before_burst_mb": worker_rss_before_burst,
            "api_peak_rss_mb": _tree_rss_mb(stack.processes["api"].pid),
            "worker_peak_rss_mb": max(
                _tree_rss_mb(stack.processes[f"worker{n}"].pid) for n in range(workers)
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
        "noop_tasks": noop_tasks,
        "noop_tasks_per_s": round(noop_rate, 1),
        "pipeline_runs_per_s": round(pipeline_rate, 1),
        "pipeline_vs_noop": round(pipeline_rate / noop_rate, 3),
        "ceiling_runs_per_s_with_noop_worker": round(ceiling_rate, 1),
        "ceiling_vs_noop": round(ceiling_rate / noop_rate, 3),
        "fetch_and_parse_cpu_ms": round(fetch_ms, 2),
        "batched_ceiling_vs_noop": round(batched_ceiling_rate / noop_rate, 3),
        "cores": cores,
        "noop_worker_cpu_ms_per_task": noop_cpu_ms,
        "cpu_ms_per_run": cpu_ms_per_run,
        "outcomes": outcomes,
        **memory,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(runs=60 if "--quick" in sys.argv else 200), indent=2))
