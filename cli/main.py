"""`runsmart` command line: one entry point for operators, the demo and the tools.

A user's mistake (a bad configuration, an unknown athlete, an unreachable database) is answered with one line
on stderr and exit status 1; only a bug in the program shows a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer

# typer bundles its own copy of click: these are the classes its parser raises (not the `click` package's).
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from cli.athletes import athletes_app
from cli.config import config_app
from cli.errors import user_error_message
from cli.import_files import import_command
from cli.notifications import notifications_app
from cli.plan import plan_app
from cli.strava import backfill_command, reconcile_command, strava_app
from simulator.cli import simulator_command


class OperatorGroup(TyperGroup):
    """The root command: turns a user's error into `error: <one line>` instead of a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, typer.Exit, typer.Abort):
            raise
        except Exception as error:
            message = user_error_message(error)
            if message is None:
                raise
            raise ClickException(message) from None

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        if extra.pop("standalone_mode", True) is False:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, standalone_mode=False, **extra)
        except NoArgsIsHelpError as error:
            # A bare group (`runsmart`, `runsmart athletes`): its help is the answer, with no empty "error:".
            typer.echo(error.ctx.get_help() if error.ctx else "", err=True)
            sys.exit(error.exit_code)
        except UsageError as error:
            hint = f" (see {error.ctx.command_path} --help)" if error.ctx else ""
            typer.echo(f"error: {error.format_message()}{hint}", err=True)
            sys.exit(error.exit_code)
        except ClickException as error:
            typer.echo(f"error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        # Not standalone, click hands back what `typer.Exit(code)` carried instead of exiting with it.
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=OperatorGroup,
    no_args_is_help=True,
    help="RunSmart Sync: Strava runs kept true to the training plan.",
    pretty_exceptions_show_locals=False,  # a traceback must never print a secret held in a local variable
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(plan_app, name="plan")
app.add_typer(athletes_app, name="athletes")
app.add_typer(notifications_app, name="notifications")
app.command("simulator")(simulator_command)
app.add_typer(strava_app, name="strava")
app.command("backfill")(backfill_command)
app.command("reconcile")(reconcile_command)
app.command("import")(import_command)


WORKER_POOLS = ("prefork", "threads", "solo")


def _database_url() -> str:
    from runsmart.settings import get_settings

    # Validated settings: outside development an unset RUNSMART_DATABASE_URL stops here instead of
    # creating ./runsmart.db.
    return get_settings().database_url


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Alembic revision to upgrade to (default: the latest)."),
) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from store.migrate import upgrade

    upgrade(_database_url(), revision=revision)
    typer.echo(f"database upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument("-1", help="Alembic revision to go back to (default: one step)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask: a downgrade drops tables and their rows."),
) -> None:
    """Revert migrations down to REVISION (default: one step). Drops what those migrations made: asks first."""
    from store.migrate import downgrade

    if not yes and not typer.confirm(
        f"Downgrade to {revision}? Tables and columns those migrations made are dropped with their data."
    ):
        raise typer.Exit(1)

    downgrade(_database_url(), revision=revision)
    typer.echo(f"database downgraded to {revision}")


@app.command("api")
def api(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port to listen on."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
) -> None:
    """Serve the webhook, OAuth, internal API, health and metrics endpoints."""
    from runsmart.settings import get_settings

    get_settings()  # a configuration error is one line here, not a traceback in each uvicorn worker
    # A fresh interpreter without this command line's imports (webhooks/server.py says why).
    argv = [sys.executable, "-m", "webhooks.server", "--host", host, "--port", str(port)]
    os.execv(sys.executable, [*argv, "--workers", str(workers)])


@app.command("worker")
def worker(
    concurrency: int = typer.Option(2, min=1, help="Worker processes (or threads) running tasks."),
    pool: str = typer.Option("prefork", help="Celery pool: prefork, threads or solo."),
    queues: str = typer.Option("strava,strava_bulk,maintenance", help="Comma-separated queues to consume."),
) -> None:
    """Run a Celery worker for the sync, backfill and maintenance queues."""
    from workers.celery_app import app as celery_app

    if pool not in WORKER_POOLS:
        raise typer.BadParameter(f"{pool!r} is not one of {', '.join(WORKER_POOLS)}", param_hint="--pool")
    # A misspelt queue would leave a worker consuming nothing, silently: only queues tasks are routed to.
    known = {route["queue"] for route in celery_app.conf.task_routes.values()}
    known.add(celery_app.conf.task_default_queue)
    unknown = sorted({name.strip() for name in queues.split(",")} - known)
    if unknown:
        raise typer.BadParameter(
            f"no task is routed to {', '.join(map(repr, unknown))}; queues: {', '.join(sorted(known))}",
            param_hint="--queues",
        )
    # A fresh interpreter without this command line's imports (workers/process.py says why).
    argv = [sys.executable, "-m", "workers.process", f"--concurrency={concurrency}", f"--pool={pool}"]
    os.execv(sys.executable, [*argv, f"--queues={queues}", "--loglevel=INFO"])


@app.command("beat")
def beat() -> None:
    """Run Celery beat (sweepers, reconciliation, scheduled jobs). RedBeat's lock in Redis keeps a second beat idle."""
    from runsmart.logs import configure_logging
    from workers.celery_app import app as celery_app

    configure_logging()
    argv = ["beat", "--loglevel=INFO"]
    if celery_app.conf.beat_scheduler != "redbeat.RedBeatScheduler":
        # Only the demo's filesystem broker keeps Celery's file scheduler: its file goes with the demo's
        # other state instead of into the working directory. Under RedBeat the schedule lives in Redis.
        from pathlib import Path

        from runsmart.settings import get_settings

        folder = Path(get_settings().filesystem_broker_dir).parent
        argv.append(f"--schedule={folder / 'celerybeat-schedule'}")
    celery_app.start(argv)


@app.command("demo")
def demo(
    weeks: int = typer.Option(3, min=1, help="Weeks the athlete runs as planned before the missed week."),
    keep: bool = typer.Option(False, help="Keep the demo database and folders."),
) -> None:
    """Run the whole ingest path on an embedded SQLite database, a filesystem broker and the simulator."""
    from cli.demo import run_demo

    raise typer.Exit(run_demo(weeks=weeks, keep=keep))


if __name__ == "__main__":
    app()
