"""`make demo`: the whole loop on this machine with nothing installed but Python: a season synced from the
simulator, a plan (internal API) that adapts to a missed week and too much speed work, the signed notifications
received and verified by a local webhook receiver, and the plan chart (.demo/plan.png).

Embedded SQLite instead of PostgreSQL, kombu's filesystem transport instead of Redis, the Strava simulator instead
of strava.com; but the same API process, the same Celery tasks in a real worker process, the same migrations.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from cli.stack import Stack, _runsmart
from notify.receiver import Receiver
from store.db import engine_for, session_factory
from store.migrate import upgrade
from store.models import Activity, StravaEvent

WORKDIR = Path(".demo")
DEMO_SECRET = "whsec_" + base64.b64encode(b"demo-only-webhook-secret-32bytes").decode()
DEMO_API_KEY = "demo-api-key-not-for-production"


def _events(url: str) -> list[StravaEvent]:
    with session_factory(engine_for(url))() as session:
        return list(session.scalars(select(StravaEvent)))


def _wait_until_handled(console: Console, url: str, expected: int, timeout: float = 120.0) -> None:
    columns = (TextColumn("[bold]syncing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("events", total=expected)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = _events(url)
            done = sum(e.status == "done" for e in events)
            progress.update(task, completed=done, total=max(expected, len(events)))
            if len(events) >= expected and done == len(events):
                return
            time.sleep(0.2)
    raise TimeoutError(f"events were not all handled within {timeout:.0f}s; see {WORKDIR}/worker0.log")


def _activity_table(url: str) -> Table:
    table = Table(title="Activities synced from (simulated) Strava")
    for column in ("local date", "name", "sport", "km", "pace /km", "avg HR", "laps", "counts as run"):
        table.add_column(column)
    with session_factory(engine_for(url))() as session:
        for a in session.scalars(select(Activity).order_by(Activity.start_date_local)):
            pace = a.moving_time_s / (a.distance_m / 1000) if a.distance_m else 0
            table.add_row(
                a.local_date.isoformat(),
                a.name,
                a.sport_type,
                f"{a.distance_m / 1000:.1f}",
                f"{int(pace // 60)}:{int(pace % 60):02d}" if pace else "-",
                f"{a.average_heartrate:.0f}" if a.average_heartrate else "-",
                str(len(a.laps)),
                "yes" if a.is_run else "no",
            )
    return table


def _season(
    console: Console, stack: Stack, athlete_id: int, url: str, receiver: Receiver, handled: int
) -> None:
    """A plan, then a season on it: a normal week, a missed week, a week of too much speed work."""
    api = f"{stack.api_url}/api/v1/athletes/{athlete_id}"
    auth = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    today = datetime.now(UTC).date()
    start = today - timedelta(days=today.weekday() + 21)  # three complete weeks ago
    plan = _plan_via_api(console, api, auth, start)
    created = _run_the_season(console, stack, athlete_id, plan, start)
    stack.simulator.admin.wait_deliveries()
    _wait_until_handled(console, url, handled + created)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(receiver.webhooks()) < 3:
        time.sleep(0.2)
    time.sleep(1.0)  # let the last deliveries land
    _print_changes(console, api, auth)
    _print_notifications(console, receiver)


def _plan_via_api(console: Console, api: str, auth: dict[str, str], start: date) -> dict[str, Any]:
    body: dict[str, Any] = {
        "athlete": {"weekly_km": 35, "runs_per_week": 4, "vdot": 45, "long_run_km": 12},
        "goal": {
            "kind": "race",
            "date": (start + timedelta(weeks=12, days=5)).isoformat(),
            "distance_m": 10000,
        },
        "start": start.isoformat(),
        "timezone": "UTC",
    }
    requests.put(f"{api}/plan", json=body, headers=auth, timeout=30).raise_for_status()
    plan: dict[str, Any] = requests.get(f"{api}/plan", headers=auth, timeout=30).json()
    console.print(
        f"\n[bold]A plan[/] for a 10 km race on {body['goal']['date']}, starting {start} (via the internal API)"
    )
    return plan


def _run_the_season(
    console: Console, stack: Stack, athlete_id: int, plan: dict[str, Any], start: date
) -> int:
    """The athlete's runs, pushed as real Strava events through the simulator (the server adapts the plan, so
    this is not planner.synthetic.simulate): week 1 as planned, week 2 nothing (sick), week 3 every run turned
    into an interval session. Returns how many activities were created."""
    runs: list[dict[str, Any]] = [
        w for week in plan["weeks"] for w in week["workouts"] if w["type"] != "rest"
    ]
    week1 = [w for w in runs if start <= date.fromisoformat(w["date"]) < start + timedelta(days=7)]
    week3 = [
        w
        for w in runs
        if start + timedelta(days=14) <= date.fromisoformat(w["date"]) < start + timedelta(days=21)
    ]
    admin = stack.simulator.admin
    created = 0
    for w in week1:  # as planned
        admin.create_activity(
            athlete_id,
            kind="long" if w["type"] == "long" else "easy",
            start_date_local=f"{w['date']}T07:00:00Z",
            fields={"distance": w["distance_m"], "moving_time": int(w["duration_s"])},
        )
        created += 1
    for w in week3:
        admin.create_activity(athlete_id, kind="intervals", start_date_local=f"{w['date']}T07:00:00Z")
        created += 1
    console.print(
        f"the athlete runs week 1 as planned, misses week 2, and does {len(week3)} interval sessions in week 3"
    )
    return created


def _print_changes(console: Console, api: str, auth: dict[str, str]) -> None:
    changes = requests.get(f"{api}/plan/changes", headers=auth, timeout=30).json()
    table = Table(title="Plan changes and their reasons")
    for column in ("change", "reason"):
        table.add_column(column)
    for change in changes:
        table.add_row(str(change.get("id") or change.get("change_id")), str(change.get("reason")))
    console.print(table)


def _print_notifications(console: Console, receiver: Receiver) -> None:
    received = Table(title=f"Notifications received by the local webhook receiver ({receiver.url})")
    for column in ("type", "signature", "reasons"):
        received.add_column(column)
    for message in receiver.webhooks():
        data = message.json()
        received.add_row(
            data["type"],
            "verified" if message.verified else f"INVALID ({message.error})",
            "\n".join(data["data"].get("reasons") or [])[:300],
        )
    console.print(received)


def _chart(console: Console, stack: Stack, athlete_id: int, workdir: Path) -> Path | None:
    chart = (workdir / "plan.png").resolve()
    result = subprocess.run(
        [*_runsmart(), "plan", "show", str(athlete_id), "--chart", str(chart)],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        console.print(f"[yellow]runsmart plan show failed:[/] {result.stderr.strip()[-300:]}")
        return None
    console.print(result.stdout)
    return chart


def run_demo(weeks: int = 3, keep: bool = False, workdir: Path = WORKDIR) -> int:
    console = Console(width=None if sys.stdout.isatty() else 120)
    if workdir.exists() and not keep:
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(workdir / 'runsmart.db').resolve()}"
    upgrade(url)
    console.print(f"[bold]RunSmart Sync demo[/] — database {url}, broker filesystem://{workdir}/broker")

    receiver = Receiver(secret=DEMO_SECRET).start()
    stack = Stack(
        database_url=url,
        broker_url="filesystem://",
        log_dir=workdir.resolve(),
        workers=1,
        worker_pool="solo",
        simulator_args=["--weeks", str(weeks), "--hold-season"],
        extra_env={
            "RUNSMART_APP_WEBHOOK_URL": f"{receiver.url}/webhooks",
            "RUNSMART_APP_WEBHOOK_SECRET": DEMO_SECRET,
            "RUNSMART_API_KEYS": DEMO_API_KEY,
        },
    )
    with stack:
        console.print(
            f"simulator {stack.simulator.base_url} · API {stack.api_url} · worker pid {stack.processes['worker0'].pid}"
        )
        athlete_id = stack.connect_athlete()
        console.print(
            f"connected athlete {athlete_id} through OAuth (/strava/connect → simulator → /strava/callback)"
        )

        admin = stack.simulator.admin
        pushed = admin.replay(athlete_id=athlete_id)["pushed"]
        console.print(f"Strava pushes {pushed} create events for {weeks} weeks of runs …")
        _wait_until_handled(console, url, pushed)

        ids = sorted(a["id"] for a in admin.activities(athlete_id))
        console.print("then the athlete edits on Strava: a title, a run re-typed as a ride, a deletion;")
        console.print("and Strava delivers one event twice (the duplicate is acknowledged and ignored).")

        first, second, third = ids[0], ids[1], ids[2]
        renamed = admin.update_activity(first, title="Easy run with the club")
        admin.update_activity(second, type="Ride", sport_type="Ride")
        admin.delete_activity(third)
        admin.wait_deliveries()
        # Strava retries a push it thinks failed; the same event again must change nothing.
        again = requests.post(f"{stack.api_url}/webhooks/strava", json=renamed["event"], timeout=5)
        again.raise_for_status()
        console.print(f"redelivered the rename event: the API answered {again.json()}")
        _wait_until_handled(console, url, pushed + 3)
        _season(console, stack, athlete_id, url, receiver, pushed + 3)
        chart = _chart(console, stack, athlete_id, workdir)
    receiver.stop()

    console.print(_activity_table(url))
    outcomes = Counter(e.outcome for e in _events(url))
    console.print("events by outcome: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    if chart:
        console.print(f"plan chart written to {chart}")
    stats_line = f"logs and database in {workdir}/ (run again with --keep to keep them between runs)"
    console.print(stats_line)
    return 0
