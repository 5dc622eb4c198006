"""Chaos: the real API, Celery workers, beat, PostgreSQL, a Redis of our own and the Strava simulator, while
every event is delivered three times in random order, Strava fails (5xx, 429, timeouts, 404 after create),
every worker is SIGKILLed mid-task, Redis is restarted empty and the database's connections are killed.

The final database (activities and their fields, tombstones) must equal what a clean run gives: the
simulator's own world. It prints "events lost" and "runs double-counted"; both must be 0.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from cli.stack import Stack
from store.db import engine_for, session_factory
from store.models import Activity, ActivityTombstone, StravaEvent
from store.repository import updates_digest
from tests.chaos.conftest import SCALE, RedisServer, kill_connections
from tests.e2e.conftest import wait_for

# The scenario's own waits bound each phase; the suite-wide 300 s per test would cut a run on a shared, busy
# machine short before they do.
pytestmark = [pytest.mark.chaos, pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(1200)]

ATHLETES = 3
ACTIVITIES_PER_ATHLETE = 4 * SCALE
CLIENT_TIMEOUT_S = 2.0
KINDS = ("easy", "recovery", "long", "tempo", "intervals", "treadmill", "trail")


# --- delivering events like Strava, three times each, in random order ------------------------------------


@dataclass
class Deliverer:
    api_url: str
    rng: random.Random
    acked: set[str] = field(default_factory=set)  # natural keys of events acknowledged at least once
    attempts: int = 0
    refusals: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, body: dict[str, Any], deadline_s: float = 30.0) -> None:
        # Strava retries a non-200; we keep retrying (bounded) through the injected outages.
        deadline = time.monotonic() + deadline_s
        delay = 0.05
        while True:
            with self.lock:
                self.attempts += 1
            try:
                status = requests.post(f"{self.api_url}/webhooks/strava", json=body, timeout=5).status_code
            except requests.RequestException:
                status = 0
            if status == 200:
                with self.lock:
                    self.acked.add(natural_key(body))
                    self.done += 1
                return
            with self.lock:
                self.refusals += 1
            if time.monotonic() > deadline:
                with self.lock:
                    self.done += 1
                return
            time.sleep(delay)  # backoff between retries of a refused delivery
            delay = min(delay * 2, 1.0)

    def deliver(self, events: list[dict[str, Any]], threads: int = 4) -> threading.Thread:
        copies = [dict(body) for body in events for _ in range(3)]
        self.rng.shuffle(copies)
        chunks = [copies[i::threads] for i in range(threads)]

        def post_all(chunk: list[dict[str, Any]]) -> None:
            for body in chunk:
                self.post(body)

        def run() -> None:
            workers = [threading.Thread(target=post_all, args=(chunk,)) for chunk in chunks]
            for w in workers:
                w.start()
            for w in workers:
                w.join()

        thread = threading.Thread(target=run, name="strava-deliveries")
        thread.start()
        return thread


def natural_key(body: dict[str, Any]) -> str:
    return (
        "|".join(
            str(body[k]) for k in ("subscription_id", "object_type", "object_id", "aspect_type", "event_time")
        )
        + "|"
        + updates_digest(body.get("updates") or {})
    )


# --- the scenario -------------------------------------------------------------------------------------------


def build_creates(stack: Stack, rng: random.Random, athletes: list[int]) -> list[dict[str, Any]]:
    admin = stack.simulator.admin
    events = []
    today = date.today()
    for athlete in athletes:
        for n in range(ACTIVITIES_PER_ATHLETE):
            kind = rng.choice(KINDS)
            # One run a day, so (athlete, start) identifies a run: a second row for it is a double count.
            start = datetime.combine(today - timedelta(days=n + 1), datetime.min.time()).replace(hour=7)
            created = admin.create_activity(
                athlete,
                kind=kind,
                push=False,
                start_date_local=start.isoformat(),
                fields={"name": f"{kind} {athlete}-{n}"},
            )
            events.append(created["event"])
    return events


def build_changes(stack: Stack, rng: random.Random, athletes: list[int]) -> list[dict[str, Any]]:
    """Renames, privacy flips, re-types and deletions. Every activity gets a re-type or a deletion, so its
    final state needs a fresh read from Strava (this is what makes a 429 in the first wave harmless)."""
    admin = stack.simulator.admin
    events = []
    for athlete in athletes:
        for activity in admin.activities(athlete):
            aid = activity["id"]
            for n in range(rng.randint(0, 2)):
                events.append(admin.update_activity(aid, push=False, title=f"renamed {aid} #{n}")["event"])
            if rng.random() < 0.3:
                events.append(admin.update_activity(aid, push=False, private=True)["event"])
            if rng.random() < 0.3:
                events.append(admin.delete_activity(aid, push=False)["event"])
                continue
            new_type = "Ride" if activity["sport_type"] != "Ride" else "Run"
            events.append(admin.update_activity(aid, push=False, type=new_type, sport_type=new_type)["event"])
            if rng.random() < 0.5:
                events.append(admin.update_activity(aid, push=False, title=f"final {aid}")["event"])
    return events


# --- what the database should hold, and what it holds -------------------------------------------------------


def expected_state(stack: Stack, athletes: list[int]) -> dict[int, tuple[Any, ...]]:
    admin = stack.simulator.admin
    return {
        a["id"]: (a["athlete_id"], a["name"], a["sport_type"], a["private"], round(a["distance"], 1))
        for athlete in athletes
        for a in admin.activities(athlete)
    }


def actual_state(url: str) -> tuple[dict[int, tuple[Any, ...]], set[int], list[tuple[int, Any]]]:
    with session_factory(engine_for(url))() as session:
        rows = list(session.scalars(select(Activity)))
        tombstones = set(session.scalars(select(ActivityTombstone.id)))
    state = {r.id: (r.athlete_id, r.name, r.sport_type, r.private, round(r.distance_m, 1)) for r in rows}
    runs = [(r.athlete_id, r.start_date) for r in rows]
    return state, tombstones, runs


def inbox(url: str) -> list[StravaEvent]:
    with session_factory(engine_for(url))() as session:
        return list(session.scalars(select(StravaEvent)))


def unsettled(url: str) -> list[StravaEvent]:
    # Rows parked by the injected 429 wait for the next rate window by design (minutes); not lost.
    return [e for e in inbox(url) if e.status != "done" and not (e.outcome or "").startswith("rate_limited")]


def diagnose(url: str, expected: dict[int, tuple[Any, ...]]) -> str:
    state = actual_state(url)[0]
    lines = [
        f"unsettled: {[(e.id, e.object_id, e.aspect_type, e.updates, e.status, e.outcome, e.last_error) for e in unsettled(url)]}"
    ]
    for i in sorted(set(state) | set(expected)):
        if state.get(i) != expected.get(i):
            events = sorted(
                (e.event_time, e.id, e.aspect_type, str(e.updates), e.outcome, e.attempts)
                for e in inbox(url)
                if e.object_id == i
            )
            lines.append(f"{i}: stored {state.get(i)} expected {expected.get(i)} events {events}")
    return "\n".join(lines)


class Supervisor:
    """What docker-compose's `restart: unless-stopped` does in production: a product process that exits is
    started again. (Beat, for one, exits when Redis restarts: its RedBeat lock is gone.)"""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.lock = threading.Lock()  # held by the test while it kills and replaces processes itself
        self.restarted: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # the test may fail before the supervisor was started
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            with self.lock:
                for name, proc in list(self.stack.processes.items()):
                    if proc.poll() is None or name == "api":
                        continue
                    self.restarted.append(name)
                    if name == "beat":
                        self.stack._spawn("beat", ["beat"])
                    else:
                        self.stack.start_worker(name)


def scaled_rate_window() -> list[str]:
    """Strava's default window (100 reads / 15 min) grown with the scenario. The suite injects its own 429;
    running out of the real window would only make every scale above 1 wait for the next quarter hour."""
    return [
        "--read-limit",
        f"{100 * SCALE},{1000 * SCALE}",
        "--overall-limit",
        f"{200 * SCALE},{2000 * SCALE}",
    ]


# --- the test -----------------------------------------------------------------------------------------------


def test_chaos_final_state_equals_a_clean_run(
    chaos_db: tuple[str, str], chaos_redis: RedisServer, tmp_path: Path
) -> None:
    db_name, db_url = chaos_db
    rng = random.Random(20260701 + SCALE)
    stack = Stack(
        database_url=db_url,
        broker_url=chaos_redis.url,
        log_dir=tmp_path / "logs",
        workers=2,
        beat=True,
        simulator_args=["--athletes", str(ATHLETES), "--weeks", "0", "--seed", "7", *scaled_rate_window()],
        extra_env={
            "RUNSMART_BACKFILL_WEEKS": "0",
            "RUNSMART_INBOX_SWEEP_EVERY_S": "1",
            "RUNSMART_INBOX_REDRIVE_AFTER_S": "4",
            "RUNSMART_RETRY_BASE_S": "1",
            "RUNSMART_RETRY_MAX_S": "3",
            "RUNSMART_STRAVA_HTTP_TIMEOUT_S": str(CLIENT_TIMEOUT_S),
            "RUNSMART_LOG_LEVEL": "WARNING",
        },
    )
    chaos_log: list[str] = []
    supervisor = Supervisor(stack)
    try:
        stack.start()
        supervisor.start()
        admin = stack.simulator.admin
        athletes = [a["id"] for a in admin.athletes()]
        for athlete in athletes:
            assert stack.connect_athlete(athlete) == athlete
        deliverer = Deliverer(stack.api_url, rng)
        worker_names = iter(f"worker{n}" for n in range(2, 100))

        # Wave 1: creates, against a failing Strava.
        admin.add_fault(kind="not_found_after_create", count=1)
        creates = build_creates(stack, rng, athletes)
        path = "/api/v3/activities/"
        for status in (500, 502, 503, 504):
            admin.add_fault(kind="status", status=status, count=2 * SCALE, path_prefix=path)
        admin.add_fault(kind="status", status=429, count=1, path_prefix=path)
        admin.add_fault(kind="delay", delay=CLIENT_TIMEOUT_S + 1.5, count=2, path_prefix=path)
        wave1 = deliverer.deliver(creates)
        wait_for(lambda: deliverer.done >= len(creates), timeout=180, what="a third of the first wave")
        # Every worker SIGKILLed while one of them hangs inside a Strava call.
        hang = admin.add_fault(kind="delay", delay=5.0, count=1, path_prefix=path)
        wait_for(
            lambda: (
                any(f["id"] == hang["id"] and f["hits"] for f in admin.faults())
                or not any(f["id"] == hang["id"] for f in admin.faults())
            ),
            timeout=180,
            what="a worker to be inside a slow Strava call",
        )
        with supervisor.lock:
            for name in [n for n in list(stack.processes) if n.startswith("worker")]:
                stack.kill(name)
            chaos_log.append("SIGKILL every worker mid-task")
            for _ in range(2):
                stack.start_worker(next(worker_names))
        wave1.join(timeout=120)
        assert not wave1.is_alive()
        wait_for(lambda: not unsettled(db_url), timeout=120, what="the first wave to settle")
        admin.clear_faults()

        # Wave 2: renames, privacy, re-types, deletions; Redis restarted empty, database connections killed.
        changes = build_changes(stack, rng, athletes)
        start = deliverer.done
        wave2 = deliverer.deliver(changes)
        wait_for(
            lambda: deliverer.done - start >= len(changes), timeout=180, what="a third of the second wave"
        )
        chaos_redis.restart()
        chaos_log.append("Redis restarted (queues lost)")
        wait_for(lambda: deliverer.done - start >= 2 * len(changes), timeout=180, what="two thirds")
        killed = kill_connections(db_name)
        time.sleep(0.5)  # a second kill half a second later catches reconnects in flight
        killed += kill_connections(db_name)
        chaos_log.append(f"{killed} PostgreSQL connections terminated")
        wave2.join(timeout=120)
        assert not wave2.is_alive()

        expected = expected_state(stack, athletes)
        deleted = {e["object_id"] for e in changes if e["aspect_type"] == "delete"}
        try:
            wait_for(
                lambda: not unsettled(db_url) and actual_state(db_url)[0] == expected,
                timeout=120,
                what="the database to converge",
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{diagnose(db_url, expected)}") from None
        stats = admin.stats()
    finally:
        supervisor.stop()
        stack.stop()

    state, tombstones, runs = actual_state(db_url)
    all_events = creates + changes
    stored_keys = {
        "|".join(str(v) for v in (e.subscription_id, e.object_type, e.object_id, e.aspect_type, e.event_time))
        + "|"
        + e.updates_digest
        for e in inbox(db_url)
    }
    never_stored = [e for e in all_events if natural_key(e) not in stored_keys]
    missing = set(expected) - set(state)
    lost = len(never_stored) + len(missing) + len(unsettled(db_url))
    resurrected = set(state) & deleted
    double = len(resurrected) + (len(runs) - len(set(runs))) + len(set(state) - set(expected))
    stale = sorted(i for i in set(state) & set(expected) if state[i] != expected[i])
    print(
        f"\nchaos scale {SCALE}: {len(expected)} activities, {len(deleted)} deleted, {len(all_events)} events "
        f"x3 deliveries ({deliverer.attempts} POSTs, {deliverer.refusals} refused and retried); "
        f"faults served {stats['faults_served']}; {'; '.join(chaos_log)}; "
        f"processes restarted after exiting: {supervisor.restarted or 'none'}"
    )
    print(f"events lost: {lost}")
    print(f"runs double-counted: {double}")
    assert lost == 0, {"never stored": never_stored, "missing": missing}
    assert double == 0, {"resurrected": resurrected}
    assert stale == [], {i: (state[i], expected[i]) for i in stale}
    assert tombstones == deleted
    assert deliverer.acked >= {natural_key(e) for e in all_events}
