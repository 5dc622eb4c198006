"""`runsmart` command line: one entry point for operators, the demo and the tools."""

from __future__ import annotations

import os
import sys

import typer

from runsmart.athletes_cli import athletes_app
from runsmart.notifications_cli import notifications_app
from runsmart.plan_cli import plan_app
from runsmart.strava_cli import backfill_command, reconcile_command, strava_app
from simulator.cli import simulator_command

app = typer.Typer(no_args_is_help=True, help="RunSmart Sync: Strava runs kept true to the training plan.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
app.add_typer(athletes_app, name="athletes")
app.add_typer(notifications_app, name="notifications")
app.command("simulator")(simulator_command)
app.add_typer(strava_app, name="strava")
app.command("backfill")(backfill_command)
app.command("reconcile")(reconcile_command)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from store.migrate import upgrade

    upgrade(revision=revision)
    typer.echo(f"database upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("-1")) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    from store.migrate import downgrade

    downgrade(revision=revision)
    typer.echo(f"database downgraded to {revision}")


@app.command("api")
def api(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the webhook, OAuth, health and metrics API."""
    # A fresh interpreter without this command line's imports (runsmart/api_server.py says why).
    argv = [sys.executable, "-m", "runsmart.api_server", "--host", host, "--port", str(port)]
    os.execv(sys.executable, [*argv, "--workers", str(workers)])


@app.command("worker")
def worker(
    concurrency: int = 2, pool: str = "prefork", queues: str = "strava,strava_bulk,maintenance"
) -> None:
    """Run a Celery worker for the sync queues."""
    from runsmart.logs import configure_logging
    from workers.celery_app import app as celery_app

    configure_logging()
    celery_app.worker_main(
        ["worker", f"--concurrency={concurrency}", f"--pool={pool}", f"--queues={queues}", "--loglevel=INFO"]
    )


@app.command("beat")
def beat(schedule_file: str = "celerybeat-schedule") -> None:
    """Run Celery beat (the inbox sweeper and other scheduled jobs). Run exactly one."""
    from runsmart.logs import configure_logging
    from workers.celery_app import app as celery_app

    configure_logging()
    celery_app.start(["beat", "--loglevel=INFO", f"--schedule={schedule_file}"])


@app.command("demo")
def demo(weeks: int = 3, keep: bool = typer.Option(False, help="keep the demo database and folders")) -> None:
    """Run the whole ingest path on an embedded SQLite database, a filesystem broker and the simulator."""
    from runsmart.demo import run_demo

    raise typer.Exit(run_demo(weeks=weeks, keep=keep))


if __name__ == "__main__":
    app()
