"""`runsmart notifications dead|replay`: the outbox's dead letters, without SQL (docs/notifications.md)."""

from __future__ import annotations

import typer

notifications_app = typer.Typer(no_args_is_help=True, help="Notifications: dead letters and replays.")


@notifications_app.command("dead")
def dead_command(
    athlete: int | None = typer.Option(None, help="only this athlete's (Strava id)"),
    limit: int = typer.Option(200, help="at most this many, newest first"),
) -> None:
    """Notifications that used up their delivery attempts, with the last error of each."""
    from rich.console import Console
    from rich.table import Table

    from notify import outbox
    from runsmart.bootstrap import container

    with container().sessions() as session:
        rows = outbox.dead(session, athlete_id=athlete, limit=limit)
    table = Table("id", "athlete", "event", "attempts", "created", "last error")
    for row in rows:
        table.add_row(
            str(row.id),
            str(row.athlete_id),
            row.event_type,
            str(row.attempts),
            row.created_at.isoformat(timespec="seconds"),
            row.last_error or "—",
        )
    Console().print(table if rows else "no dead notifications")


@notifications_app.command("replay")
def replay_command(
    ids: list[int] = typer.Argument(None, help="outbox ids to replay (default: every dead one)"),
    athlete: int | None = typer.Option(None, help="only this athlete's (Strava id)"),
) -> None:
    """Give dead notifications a fresh set of attempts and deliver them now."""
    from notify import outbox
    from runsmart.bootstrap import container
    from store.db import UnitOfWork
    from workers.enqueue import enqueue_outbox

    c = container()
    with UnitOfWork(c.sessions) as uow:
        replayed = outbox.replay_dead(uow.session, ids=ids or (), athlete_id=athlete)
        uow.commit()
    # Pending again, with no retry time: if the broker cannot take them now, the outbox sweeper
    # (notify.redrive, every minute) delivers them anyway.
    enqueue_outbox(replayed)
    listed = ": " + ", ".join(str(i) for i in replayed) if replayed else ""
    typer.echo(f"replayed {len(replayed)} notification(s){listed}")
