"""Strava API economy under a small budget, through real processes (API, 2 workers, simulator).

Four measurements in one run:
0. rhythm — calls per synced run on a simulated clock with a realistic rhythm: each athlete runs about once a
   day, access tokens live 6 h (Strava's), so nearly every run needs a token refresh; Strava counts refreshes
   (docs/strava.md, "Do token refreshes count?"), and so do we, with the nightly and weekly reconciliation
   included. Set against the floor that rhythm allows: one detail read and one refresh per run, one list page
   per athlete per weekly pass. In-process (sync services, PostgreSQL, the simulator on a thread), so a
   fortnight of simulated days takes seconds;
1. calls per synced run — N athletes × M pushed runs, every Strava call counted by the simulator
   (API calls + token requests), plus what a nightly and a weekly reconciliation cost on top;
2. drain — a read budget of L calls per 15 minutes against 1.5 × L pushed runs: the share of the window's
   allowed calls we actually used (goal ≥ 95 %), and 429s provoked (goal 0);
3. priority — a backfill of seeded history running while pushes arrive: push latency vs the backfill's end.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select

from cli.stack import Stack
from store.db import engine_for, session_factory
from store.models import Activity, BackfillJob, StravaEvent

PG = "postgresql+psycopg://root@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"


# The databases this run made, so their pooled connections can be closed before the interpreter exits.
FRESH_DATABASES: list[str] = []


def _fresh(name: str) -> str:
    from tests.conftest import create_database

    url = create_database(name)
    FRESH_DATABASES.append(url)
    return url


def _stack(url: str, log_dir: Path, simulator_args: list[str], backfill_weeks: int = 0) -> Stack:
    redis.Redis.from_url(REDIS).flushdb()
    return Stack(
        database_url=url,
        broker_url=REDIS,
        log_dir=log_dir,
        workers=2,
        simulator_args=simulator_args,
        extra_env={"RUNSMART_BACKFILL_WEEKS": str(backfill_weeks), "RUNSMART_LOG_LEVEL": "WARNING"},
    )


def _wait(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def _counts(url: str) -> tuple[int, int, int]:
    with session_factory(engine_for(url))() as session:
        activities = session.scalar(select(func.count()).select_from(Activity)) or 0
        done = (
            session.scalar(select(func.count()).select_from(StravaEvent).where(StravaEvent.status == "done"))
            or 0
        )
        total = session.scalar(select(func.count()).select_from(StravaEvent)) or 0
    return activities, done, total


def calls_per_run(athletes: int, runs: int, log_dir: Path) -> dict[str, Any]:
    url = _fresh("runsmart_bench_economy")
    # Short-lived access tokens, so refreshes happen and are counted.
    with _stack(
        url,
        log_dir / "economy",
        # A window large enough for every run: this phase counts calls per run (the drain phase tests the limit).
        [
            "--athletes",
            str(athletes),
            "--weeks",
            "0",
            "--access-token-ttl",
            "1200",
            "--read-limit",
            "1000,10000",
            "--overall-limit",
            "2000,20000",
        ],
    ) as stack:
        admin = stack.simulator.admin
        ids = [a["id"] for a in admin.athletes()][:athletes]
        for athlete_id in ids:
            stack.connect_athlete(athlete_id)
        admin.reset_stats()
        started = time.monotonic()
        for n in range(runs):
            for athlete_id in ids:
                admin.create_activity(athlete_id, kind="easy" if n % 3 else "tempo")
        total = athletes * runs
        finished = _wait(lambda: _counts(url)[0] == total and _counts(url)[1] == _counts(url)[2], 300)
        elapsed = time.monotonic() - started
        push_stats = admin.stats()
        # Reconciliation on top: the nightly pass (only athletes due) and a weekly full pass.
        nightly = _run_cli(stack, ["reconcile"])
        after_nightly = admin.stats()
        weekly = _run_cli(stack, ["reconcile", "--all"])
        after_weekly = admin.stats()
    synced, _, _ = _counts(url)
    # Everything Strava counts: API reads and token requests alike (docs/strava.md, "Do token refreshes count?").
    api = push_stats["counted_requests"] - push_stats["token_requests"]
    refreshes = push_stats["token_requests"]
    nightly_calls = after_nightly["counted_requests"] - push_stats["counted_requests"]
    weekly_calls = after_weekly["counted_requests"] - after_nightly["counted_requests"]
    return {
        "athletes": athletes,
        "runs_pushed": total,
        "runs_synced": synced,
        "finished": finished,
        "seconds": round(elapsed, 1),
        "api_calls": api,
        "token_refreshes": refreshes,
        "calls_per_synced_run": round((api + refreshes) / max(synced, 1), 4),
        "nightly_reconcile_calls": nightly_calls,
        "calls_per_run_with_nightly": round((api + refreshes + nightly_calls) / max(synced, 1), 4),
        "weekly_reconcile_calls_per_athlete": round(weekly_calls / athletes, 2),
        "reconcile_output": (nightly + weekly).strip().splitlines()[-2:],
        "http_429": push_stats["rate_limited"],
    }


RHYTHM_START = 1_780_272_000  # Monday 2026-06-01 00:00 UTC


def realistic_rhythm(athletes: int = 5, days: int = 14, seed: int = 7) -> dict[str, Any]:
    """Calls per synced run when each athlete runs about once a day and tokens live 6 h (see the docstring)."""
    import random

    from simulator.state import SimConfig, World
    from simulator.testing import run_in_thread

    clock = [float(RHYTHM_START)]
    world = World(SimConfig(athletes=athletes, weeks=0, seed=seed), now=lambda: clock[0])
    from simulator.season import seed_world

    ids = seed_world(world)
    base_url, stop = run_in_thread(world)
    try:
        services = _rhythm_services(_fresh("runsmart_bench_rhythm"), base_url, clock)
        for athlete_id in ids:
            _connect(services, base_url, athlete_id)
        world.reset_stats()
        rng = random.Random(seed)
        runs = weekly_passes = 0
        for day in range(days):
            runs += _one_day(services, base_url, clock, ids, day, rng)
            clock[0] = RHYTHM_START + day * 86_400 + 23.5 * 3600  # the nightly pass, after the day's runs
            _reconcile(services, clock, ids if day % 7 == 6 else None)
            weekly_passes += day % 7 == 6
        stats = world.stats()
    finally:
        stop()
    synced = _synced_runs(services["url"])
    counted = stats["counted_requests"]
    floor = 2 * runs + weekly_passes * athletes  # one read + one refresh per run; one list page per pass
    return {
        "athletes": athletes,
        "days": days,
        "runs": runs,
        "runs_synced": synced,
        "counted_calls": counted,
        "detail_reads": stats["requests_by_endpoint"].get("GET /api/v3/activities/{id}", 0),
        "list_reads": stats["requests_by_endpoint"].get("GET /api/v3/athlete/activities", 0),
        "token_requests": stats["token_requests"],
        "calls_per_synced_run": round(counted / max(synced, 1), 3),
        "floor_per_run": round(floor / max(runs, 1), 3),
        "http_429": stats["rate_limited"],
    }


def _rhythm_services(url: str, base_url: str, clock: list[float]) -> dict[str, Any]:
    from sync.budget import LocalBudget
    from sync.crypto import TokenCipher
    from sync.events import EventProcessor, RetryPolicy
    from sync.reconcile import Reconciler
    from sync.strava import StravalibGateway
    from sync.tokens import TokenService

    def now() -> datetime:
        return datetime.fromtimestamp(clock[0], UTC)

    factory = session_factory(engine_for(url))
    budget = LocalBudget(clock=lambda: clock[0])
    gateway = StravalibGateway(
        client_id=1234, client_secret="simulator-secret", base_url=base_url, timeout_s=10, budget=budget
    )
    from cryptography.fernet import Fernet

    cipher = TokenCipher(Fernet.generate_key().decode())
    tokens = TokenService(factory, gateway, cipher, clock=lambda: clock[0])
    return {
        "url": url,
        "factory": factory,
        "gateway": gateway,
        "cipher": cipher,
        "events": EventProcessor(factory, gateway, tokens, RetryPolicy(), now=now),
        "reconciler": Reconciler(factory, gateway, tokens, now=now),
        "now": now,
    }


def _connect(services: dict[str, Any], base_url: str, athlete_id: int) -> None:
    from urllib.parse import parse_qs, urlparse

    import requests

    from store.db import UnitOfWork
    from sync.connect import save_connection

    params: dict[str, str | int] = {
        "client_id": 1234,
        "redirect_uri": "http://localhost/cb",
        "response_type": "code",
        "scope": "read,activity:read_all",
        "athlete_id": athlete_id,
    }
    answer = requests.get(f"{base_url}/oauth/authorize", params=params, allow_redirects=False, timeout=10)
    code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
    tokens, athlete = services["gateway"].exchange_code(code)
    with UnitOfWork(services["factory"]) as uow:
        save_connection(
            uow.session,
            tokens=tokens,
            athlete=athlete,
            scopes="read,activity:read_all",
            cipher=services["cipher"],
        )
        uow.commit()


def _one_day(
    services: dict[str, Any], base_url: str, clock: list[float], ids: list[int], day: int, rng: Any
) -> int:
    """Each athlete runs once, at a time of their day; the push is processed as it arrives."""
    import requests

    from store import repository
    from store.db import UnitOfWork

    schedule = sorted((rng.uniform(6, 20) * 3600, athlete_id) for athlete_id in ids if rng.random() < 0.95)
    for seconds, athlete_id in schedule:
        clock[0] = RHYTHM_START + day * 86_400 + seconds + 3600  # pushed an hour after the start
        created = requests.post(
            f"{base_url}/_sim/athletes/{athlete_id}/activities",
            json={"kind": "easy", "push": False},
            timeout=10,
        ).json()
        with UnitOfWork(services["factory"]) as uow:
            body = {**created["event"], "subscription_id": 120475, "received_at": services["now"]()}
            event_id = repository.insert_event_if_new(uow.session, body)
            uow.commit()
        assert event_id is not None
        services["events"].process(event_id)
    return len(schedule)


def _reconcile(services: dict[str, Any], clock: list[float], everyone: list[int] | None) -> None:
    from sync.reconcile import due_for_reconciliation

    athletes = (
        everyone if everyone is not None else due_for_reconciliation(services["factory"], services["now"]())
    )
    for athlete_id in athletes:
        services["reconciler"].reconcile(athlete_id)


def _synced_runs(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return session.scalar(select(func.count()).select_from(Activity).where(Activity.is_run)) or 0


def _run_cli(stack: Stack, args: list[str]) -> str:
    import subprocess

    from cli.stack import _runsmart

    done = subprocess.run([*_runsmart(), *args], env=stack.env, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def drain(limit: int, log_dir: Path) -> dict[str, Any]:
    url = _fresh("runsmart_bench_drain")
    pushed = int(limit * 1.5)
    with _stack(
        url,
        log_dir / "drain",
        [
            "--weeks",
            "0",
            "--read-limit",
            f"{limit},{limit * 20}",
            "--overall-limit",
            f"{limit * 2},{limit * 40}",
        ],
    ) as stack:
        admin = stack.simulator.admin
        athlete_id = stack.connect_athlete()
        seconds_left = admin.stats()["usage"]["seconds_to_next_quarter"]
        if seconds_left < 60:  # do not straddle a window boundary: wait for the fresh window
            time.sleep(seconds_left + 1)
        admin.reset_stats()
        for _ in range(pushed):
            admin.create_activity(athlete_id, kind="easy")

        def settled() -> bool:
            with session_factory(engine_for(url))() as session:
                events = list(session.scalars(select(StravaEvent)))
            return len(events) == pushed and all(
                e.status == "done" or (e.outcome or "").startswith("rate_limited") for e in events
            )

        settled_ok = _wait(settled, 120)
        stats = admin.stats()
    used = stats["usage"]["read"]["usage"][0]
    return {
        "read_limit_per_15min": limit,
        "runs_pushed": pushed,
        "settled": settled_ok,
        "calls_used_in_window": used,
        "drain_share": round(used / limit, 4),
        "http_429": stats["rate_limited"],
    }


def priority(athletes: int, history_weeks: int, pushes: int, log_dir: Path) -> dict[str, Any]:
    url = _fresh("runsmart_bench_priority")
    # A window large enough for the whole backfill: this phase measures ordering, not the budget (drain does).
    args = [
        "--athletes",
        str(athletes),
        "--weeks",
        str(history_weeks),
        "--read-limit",
        "1000,10000",
        "--overall-limit",
        "2000,20000",
    ]
    with _stack(url, log_dir / "priority", args, backfill_weeks=history_weeks + 1) as stack:
        admin = stack.simulator.admin
        ids = [a["id"] for a in admin.athletes()][:athletes]
        started = time.monotonic()
        for athlete_id in ids:
            stack.connect_athlete(athlete_id)  # each connect starts a backfill of the seeded history
        time.sleep(1.0)
        push_ids = []
        pushed_at: dict[int, float] = {}
        for n in range(pushes):
            activity = admin.create_activity(ids[n % len(ids)], kind="easy")["activity"]
            push_ids.append(activity["id"])
            pushed_at[activity["id"]] = time.monotonic()
        synced_at: dict[int, float] = {}
        backfill_done_at = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and (len(synced_at) < pushes or backfill_done_at is None):
            with session_factory(engine_for(url))() as session:
                have = set(session.scalars(select(Activity.id).where(Activity.id.in_(push_ids))))
                pending_backfill = session.scalar(
                    select(func.count())
                    .select_from(StravaEvent)
                    .where(StravaEvent.source == "backfill", StravaEvent.status != "done")
                )
                jobs_open = session.scalar(
                    select(func.count()).select_from(BackfillJob).where(BackfillJob.status != "done")
                )
            now = time.monotonic()
            for activity_id in have - synced_at.keys():
                synced_at[activity_id] = now
            if backfill_done_at is None and not pending_backfill and not jobs_open:
                backfill_done_at = now
            time.sleep(0.1)
        with session_factory(engine_for(url))() as session:
            backfilled = session.scalar(
                select(func.count()).select_from(StravaEvent).where(StravaEvent.source == "backfill")
            )
    latencies = [synced_at[a] - pushed_at[a] for a in synced_at]
    last_push_synced = max(synced_at.values()) - started if synced_at else None
    backfill_seconds = backfill_done_at - started if backfill_done_at else None
    return {
        "athletes": athletes,
        "backfilled_runs": backfilled,
        "pushes": pushes,
        "pushes_synced": len(synced_at),
        "push_latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "push_latency_max_s": round(max(latencies), 2) if latencies else None,
        "last_push_synced_at_s": round(last_push_synced, 2) if last_push_synced else None,
        "backfill_finished_at_s": round(backfill_seconds, 2) if backfill_seconds else None,
        "pushes_finished_first": bool(
            last_push_synced is not None
            and backfill_seconds is not None
            and last_push_synced < backfill_seconds
        ),
    }


def run(quick: bool = False) -> dict[str, Any]:
    log_dir = Path(tempfile.mkdtemp(prefix="runsmart-bench-"))
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rhythm": realistic_rhythm(athletes=3 if quick else 5, days=7 if quick else 14),
        "calls_per_run": calls_per_run(
            athletes=5 if quick else 10, runs=10 if quick else 20, log_dir=log_dir
        ),
        "drain": drain(limit=40 if quick else 80, log_dir=log_dir),
        "priority": priority(
            athletes=2 if quick else 4,
            history_weeks=4 if quick else 8,
            pushes=10 if quick else 20,
            log_dir=log_dir,
        ),
        "logs": str(log_dir),
    }


if __name__ == "__main__":
    import json
    import sys

    if "--rhythm" in sys.argv:  # the realistic-rhythm measurement alone (seconds, in-process)
        print(json.dumps(realistic_rhythm(), indent=2))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
