"""`make demo`: the whole ingest path on this machine with nothing installed but Python.

Embedded SQLite instead of PostgreSQL, kombu's filesystem transport instead of Redis, the Strava simulator instead
of strava.com; but the same API process, the same Celery tasks in a real worker process, the same migrations.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from runsmart.stack import Stack
from store.db import engine_for, session_factory
from store.migrate import upgrade
from store.models import Activity, StravaEvent

WORKDIR = Path(".demo")


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


def run_demo(weeks: int = 3, keep: bool = False, workdir: Path = WORKDIR) -> int:
    console = Console(width=None if sys.stdout.isatty() else 120)
    if workdir.exists() and not keep:
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(workdir / 'runsmart.db').resolve()}"
    upgrade(url)
    console.print(f"[bold]RunSmart Sync demo[/] — database {url}, broker filesystem://{workdir}/broker")

    stack = Stack(
        database_url=url,
        broker_url="filesystem://",
        log_dir=workdir.resolve(),
        workers=1,
        worker_pool="solo",
        simulator_args=["--weeks", str(weeks), "--hold-season"],
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

        ids = sorted(admin.replay(athlete_id=athlete_id, limit=0).get("activity_ids", [])) or [
            a["id"] for a in admin.activities(athlete_id)
        ]
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

    console.print(_activity_table(url))
    outcomes = Counter(e.outcome for e in _events(url))
    console.print("events by outcome: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    stats_line = f"logs and database in {workdir}/ (run again with --keep to keep them between runs)"
    console.print(stats_line)
    return 0
