"""`runsmart notifications dead|replay|reencrypt`: the outbox's dead letters, without SQL
(docs/notifications.md), and the athletes' channel URLs re-encrypted after a key rotation (docs/security.md)."""

from __future__ import annotations

import typer

notifications_app = typer.Typer(
    no_args_is_help=True, help="Notifications: dead letters, replays and channel key rotation."
)


@notifications_app.command("dead")
def dead_command(
    athlete: int | None = typer.Option(None, help="only this athlete's (Strava id)"),
    limit: int = typer.Option(200, help="at most this many, newest first"),
) -> None:
    """Notifications that used up their delivery attempts, with the last error of each."""
    from rich.console import Console
    from rich.table import Table

    from store import outbox_repository as outbox
    from workers.runtime import container

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
    from store import outbox_repository as outbox
    from store.db import UnitOfWork
    from workers.enqueue import enqueue_outbox
    from workers.runtime import container

    c = container()
    with UnitOfWork(c.sessions) as uow:
        replayed = outbox.replay_dead(uow.session, ids=ids or (), athlete_id=athlete)
        missing = sorted(set(ids or ()) - set(replayed))
        if missing:  # a typo is named, and nothing is replayed (the transaction is rolled back)
            from cli.errors import CommandError

            plural = "s" if len(missing) > 1 else ""
            named = ", ".join(map(str, missing))
            raise CommandError(
                f"no dead notification with id{plural} {named} (see `runsmart notifications dead`)"
            )
        uow.commit()
    # Pending again, with no retry time: if the broker cannot take them now, the outbox sweeper
    # (notify.redrive, every minute) delivers them anyway.
    enqueue_outbox(replayed)
    listed = ": " + ", ".join(str(i) for i in replayed) if replayed else ""
    typer.echo(f"replayed {len(replayed)} notification(s){listed}")


@notifications_app.command("reencrypt")
def reencrypt_command() -> None:
    """Re-encrypt every athlete's channel URLs with the first RUNSMART_TOKEN_KEY (the rotation's last step).

    Rotate: put the new key first in RUNSMART_TOKEN_KEY (old ones after it), restart, run this, then drop
    the old keys once OAuth tokens have been refreshed too.
    """
    from cli.errors import CommandError
    from store import plan_repository, repository
    from store.db import UnitOfWork
    from sync.crypto import TokenCipherError
    from workers.runtime import container

    c = container()
    with c.sessions() as session:
        athlete_ids = plan_repository.athletes_with_channels(session)
    for athlete_id in athlete_ids:  # one short transaction per athlete: the workers are never held up long
        with UnitOfWork(c.sessions) as uow:
            athlete = repository.lock_athlete(uow.session, athlete_id)
            if athlete is None or not athlete.notification_urls:
                continue
            try:
                plain = [c.cipher.decrypt(stored) for stored in athlete.notification_urls]
            except TokenCipherError:
                raise CommandError(
                    f"athlete {athlete_id}'s channels open with none of the keys in RUNSMART_TOKEN_KEY; "
                    "add the key they were encrypted with (after the new one) and run this again"
                ) from None
            athlete.notification_urls = [c.cipher.encrypt(url) for url in plain]
            uow.commit()
    typer.echo(f"re-encrypted the notification channels of {len(athlete_ids)} athlete(s) with the first key")
