"""Event → notification latency (issue 6 §1, goal p95 ≤ 1 s without injected Strava latency).

Real processes (API, 2 workers, beat, the simulator as Strava, Redis broker, a fresh PostgreSQL database) with
the app webhook pointed at `notify.receiver.Receiver` in this process. Athletes get plans through the internal
API; then N runs are created on the simulator on past planned run days, each pushed as a webhook, one at a
time every `interval_s`. Per run: from just before the simulator is asked to push it to the arrival at the
receiver of the first signed notification that names it (`workout.matched` carries the activity id) whose
Standard Webhooks signature verifies.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
import requests

from bench.economy import REDIS, _fresh
from cli.stack import Stack
from notify.receiver import Receiver

API_KEY = "bench-" + uuid.uuid4().hex
KIND = {"easy": "easy", "recovery": "recovery", "long": "long", "threshold": "tempo"}


class TimedReceiver(Receiver):
    """The reference receiver, stamping each request's arrival (monotonic) under its webhook-id."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrived: dict[str, float] = {}
        self._stamp_lock = threading.Lock()

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        arrived = time.monotonic()
        status = super()._record(path, headers, body)
        msg_id = {k.lower(): v for k, v in headers.items()}.get("webhook-id", "")
        with self._stamp_lock:
            self.arrived.setdefault(msg_id, arrived)
        return status


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _first_matched(receiver: TimedReceiver) -> dict[int, float]:
    """activity id → arrival of the first verified notification naming it."""
    out: dict[int, float] = {}
    for r in receiver.webhooks():
        if not r.verified:
            continue
        data = r.json().get("data", {})
        activity = data.get("activity_id")
        msg_id = {k.lower(): v for k, v in r.headers.items()}.get("webhook-id", "")
        if activity is not None and msg_id in receiver.arrived:
            out[int(activity)] = min(out.get(int(activity), float("inf")), receiver.arrived[msg_id])
    return out


def run(runs: int = 100, athletes: int = 10, interval_s: float = 0.25, workers: int = 2) -> dict[str, Any]:
    url = _fresh("runsmart_bench_latency")
    redis.Redis.from_url(REDIS).flushdb()
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    log_dir = Path(tempfile.mkdtemp(prefix="runsmart-bench-latency-"))
    today = date.today()
    start = today - timedelta(days=today.weekday() + 7 * 4)  # four weeks of past workouts to run
    with TimedReceiver(secret=secret) as receiver:
        stack = Stack(
            database_url=url,
            broker_url=REDIS,
            log_dir=log_dir,
            workers=workers,
            beat=True,
            simulator_args=["--athletes", str(athletes), "--weeks", "0"],
            extra_env={
                "RUNSMART_BACKFILL_WEEKS": "0",
                "RUNSMART_API_KEYS": API_KEY,
                "RUNSMART_LOG_LEVEL": "WARNING",
                "RUNSMART_APP_WEBHOOK_URL": f"{receiver.url}/webhooks",
                "RUNSMART_APP_WEBHOOK_SECRET": secret,
            },
        )
        with stack:
            admin = stack.simulator.admin
            ids = [a["id"] for a in admin.athletes()][:athletes]
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {API_KEY}"
            todo: list[tuple[int, str, str]] = []  # (athlete, day, kind) per planned run in the past
            for athlete_id in ids:
                stack.connect_athlete(athlete_id)
                base = f"{stack.api_url}/api/v1/athletes/{athlete_id}/plan"
                api.put(
                    base,
                    json={
                        "athlete": {"weekly_km": 40, "runs_per_week": 5, "vdot": 45, "long_run_km": 14},
                        "goal": {"kind": "race", "date": (start + timedelta(weeks=16, days=6)).isoformat(),
                                 "distance_m": 21097.5},
                        "start": start.isoformat(),
                        "timezone": "UTC",
                    },
                    timeout=30,
                ).raise_for_status()  # fmt: skip
                plan = api.get(base, timeout=30).json()["plan"]
                for week in plan["weeks"]:
                    for w in week["workouts"]:
                        if w["type"] != "rest" and w["date"] < today.isoformat():
                            todo.append((athlete_id, w["date"], KIND.get(w["type"], "easy")))
            # Round-robin over athletes, oldest days first: each run has its own planned workout to match.
            todo.sort(key=lambda t: (t[1], t[0]))
            todo = todo[:runs]
            time.sleep(2.0)  # let the plan creation's notifications drain first
            pushed: dict[int, float] = {}
            for athlete_id, day, kind in todo:
                t0 = time.monotonic()
                created = admin.create_activity(athlete_id, kind=kind, start_date_local=f"{day}T07:00:00")
                pushed[int(created["activity"]["id"])] = t0
                time.sleep(max(0.0, interval_s - (time.monotonic() - t0)))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(set(_first_matched(receiver)) & set(pushed)) < len(
                pushed
            ):
                time.sleep(0.1)
            arrivals = _first_matched(receiver)
            unverified = sum(1 for r in receiver.webhooks() if not r.verified)
    latencies = [arrivals[a] - t for a, t in pushed.items() if a in arrivals]
    if not latencies:
        raise RuntimeError(f"no notification arrived; see {log_dir}")
    return {
        "runs": len(pushed),
        "notified": len(latencies),
        "missing": len(pushed) - len(latencies),
        "athletes": athletes,
        "workers": workers,
        "interval_s": interval_s,
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000),
        "max_ms": round(max(latencies) * 1000),
        "unverified_requests": unverified,
        "logs": str(log_dir),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(runs=30 if "--quick" in sys.argv else 100), indent=2))
