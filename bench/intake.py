"""Webhook intake under load: durable events/s and latency at 64 connections, against two baselines.

Load comes from wrk in its own process (`apt-get install wrk`), posting a unique valid event per request.
Every server runs under uvicorn with one worker process, the asyncio loop and httptools (the API's own server
settings, webhooks/server.py), on the same machine, in the same run:
  bare   — an ASGI app that only answers 200 (the ceiling);
  naive  — a straightforward FastAPI handler: one PostgreSQL insert + commit and one Redis push per request;
  ours   — the real API process (`python -m webhooks.server`, what `runsmart api` runs): validation, inbox
           insert, group commit, Celery enqueue.
Durability: after each run, stored rows are counted against the 2xx responses wrk saw.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis
import requests
from sqlalchemy import func, select, text

from cli.stack import SUBSCRIPTION_ID, VERIFY_TOKEN
from simulator.testing import free_port
from store.db import engine_for, session_factory
from store.models import StravaEvent

REDIS = "redis://127.0.0.1:6379/15"
LUA = Path(__file__).with_name("wrk_event.lua")


def _server(target: str | None, port: int, env: dict[str, str], factory: bool) -> subprocess.Popen[bytes]:
    """A baseline under uvicorn with the API's server settings, or (target None) the API's own server."""
    if target is None:
        args = [sys.executable, "-m", "webhooks.server", "--port", str(port)]
    else:
        args = [sys.executable, "-m", "uvicorn", target, "--port", str(port), "--log-level", "warning"]
        args += ["--no-access-log", "--loop", "asyncio", "--http", "httptools", "--ws", "none"]
        args += ["--factory"] if factory else []
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def _wait_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.post(f"http://127.0.0.1:{port}/webhooks/strava", json={}, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def _wrk(port: int, seconds: int, connections: int) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), f"http://127.0.0.1:{port}/webhooks/strava"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency_ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests_total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests_total,
        "acked": requests_total - (int(non2xx.group(1)) if non2xx else 0),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": round(latency_ms("50"), 2),
        "p99_ms": round(latency_ms("99"), 2),
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


def _reset(url: str) -> None:
    with engine_for(url).begin() as conn:
        conn.execute(text("TRUNCATE strava_events RESTART IDENTITY CASCADE"))
    redis.Redis.from_url(REDIS).flushdb()


def _stored(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return session.scalar(select(func.count()).select_from(StravaEvent)) or 0


def run(seconds: int = 10, connections: int = 64) -> dict[str, Any]:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does this)")
    from bench.economy import _fresh

    url = _fresh("runsmart_bench_intake")
    env = {
        **os.environ,
        "RUNSMART_ENV": "development",
        "RUNSMART_DATABASE_URL": url,
        "RUNSMART_REDIS_URL": REDIS,
        "RUNSMART_STRAVA_SUBSCRIPTION_ID": str(SUBSCRIPTION_ID),
        "RUNSMART_STRAVA_VERIFY_TOKEN": VERIFY_TOKEN,
        "RUNSMART_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    variants: dict[str, tuple[str | None, bool]] = {
        "bare": ("bench.baselines:bare", False),
        "naive": ("bench.baselines:naive", True),
        "ours": (None, True),
    }
    results: dict[str, Any] = {}
    for name, (target, factory) in variants.items():
        _reset(url)
        port = free_port()
        server = _server(target, port, env, factory)
        try:
            _wait_up(port)
            _reset(url)
            measured = _wrk(port, seconds, connections)
        finally:
            server.terminate()
            server.wait(timeout=15)
        measured["stored"] = _stored(url) if name != "bare" else None
        measured["durable"] = None if name == "bare" else measured["stored"] >= measured["acked"]
        results[name] = measured
    results["ours_vs_naive"] = round(results["ours"]["rps"] / results["naive"]["rps"], 2)
    results["ours_vs_bare"] = round(results["ours"]["rps"] / results["bare"]["rps"], 2)
    results["connections"], results["seconds"] = connections, seconds
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(seconds=int(os.environ.get("BENCH_SECONDS", "10"))), indent=2))
