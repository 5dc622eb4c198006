"""`runsmart athletes list`: who is connected, with what plan; `runsmart athletes add`: one without Strava."""

from __future__ import annotations

import typer

athletes_app = typer.Typer(no_args_is_help=True, help="Athletes: connections and plans.")


@athletes_app.command("list")
def list_command() -> None:
    """Every athlete: connection status, stored activities, active plan version, pause; and the capacity."""
    from rich.console import Console
    from rich.table import Table

    from store import athlete_repository, plan_repository
    from workers.runtime import container

    c = container()
    with c.sessions() as session:
        rows = plan_repository.athletes_overview(session)
        counts = plan_repository.activity_counts(session)
        connected = athlete_repository.count_connected(session)
    table = Table("athlete", "name", "timezone", "connection", "activities", "plan", "goal", "paused until")
    for athlete, status, plan in rows:
        goal = plan.goal if plan else {}
        table.add_row(
            str(athlete.id),
            f"{athlete.firstname} {athlete.lastname}".strip() or "—",
            athlete.timezone or "—",
            status or ("files only" if athlete.id < 0 else "—"),  # docs/sources.md#file-only-athletes
            str(counts.get(athlete.id, 0)),
            f"{plan.id} v{plan.version}" if plan else "—",
            f"{goal.get('kind', '')} {goal.get('date', '')}".strip() if plan else "—",
            athlete.paused_until.isoformat() if athlete.paused_until else "—",
        )
    console = Console()
    console.print(table if rows else "no athletes yet")
    console.print(capacity_line(connected, c.settings.strava_athlete_capacity))


@athletes_app.command("add")
def add_command(
    name: str = typer.Option(..., "--name", help='first name, then last name if any: "Ada Lovelace"'),
    timezone: str = typer.Option(..., "--timezone", help="IANA name, such as Europe/Amsterdam"),
    units: str = typer.Option("metric", "--units", help="metric (km, min/km) or imperial (miles, min/mi)"),
) -> None:
    """Add an athlete who never connects Strava: their runs come as files (`runsmart import`). Prints the new
    id, which is negative (never a Strava id); pass it after `--` to commands taking an id as an argument."""
    from datetime import UTC, datetime

    from sources import athletes
    from store.db import UnitOfWork
    from workers.runtime import container

    first, _, last = name.strip().partition(" ")
    try:
        new = athletes.checked(first, last, timezone, units)
    except athletes.InvalidAthlete as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    with UnitOfWork(container().sessions) as uow:
        athlete_id = athletes.add_athlete(uow.session, new, now=datetime.now(UTC)).id
        uow.commit()
    typer.echo(f"athlete {athlete_id} added: {f'{new.first_name} {new.last_name}'.strip()}, {new.timezone}")
    typer.echo(f"import runs with: runsmart import PATH --athlete {athlete_id}", err=True)


def capacity_line(connected: int, capacity: int) -> str:
    """Connected athletes against the Strava application's athlete capacity (revoked athletes hold no place)."""
    line = f"Strava athlete capacity: {connected} of {capacity} connected"
    if connected >= capacity:
        return line + " — full: new athletes are told the service is full; ask Strava for more capacity"
    if connected >= capacity - 1:
        return line + " — one place left"
    return line


@athletes_app.command("ical")
def ical_command(
    athlete_id: int = typer.Argument(
        ..., help="the athlete's id (negative for one without Strava: put -- before it)"
    ),
    rotate: bool = typer.Option(False, help="issue a new URL; the old one stops working"),
) -> None:
    """Print the athlete's calendar feed URL (issued on first use; only its digest is stored)."""
    from notify import ical
    from store.db import UnitOfWork
    from workers.runtime import container

    c = container()
    with UnitOfWork(c.sessions) as uow:
        try:
            token = ical.issue_token(uow.session, athlete_id, rotate=rotate)
        except LookupError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        uow.commit()
    if token is None:
        typer.echo(
            "a feed URL was already issued and cannot be shown again; use --rotate for a new one", err=True
        )
        raise typer.Exit(1)
    typer.echo(ical.feed_url(c.settings.public_base_url, token))


@athletes_app.command("units")
def units_command(
    athlete_id: int = typer.Argument(
        ..., help="the athlete's id (negative for one without Strava: put -- before it)"
    ),
    units: str = typer.Argument(..., help="metric (km, min/km) or imperial (miles, min/mi)"),
) -> None:
    """Set what the athlete reads distances and paces in: their messages, plan page and calendar."""
    from messages import Units
    from store import repository
    from store.db import UnitOfWork
    from workers.runtime import container

    if units not in {u.value for u in Units}:
        typer.echo(f"error: units must be one of {', '.join(u.value for u in Units)}", err=True)
        raise typer.Exit(2)
    with UnitOfWork(container().sessions) as uow:
        # A write about the athlete: under their row lock, like every other one.
        athlete = repository.lock_athlete(uow.session, athlete_id)
        if athlete is None:
            typer.echo(f"error: athlete {athlete_id} not found", err=True)
            raise typer.Exit(1)
        athlete.units = units
        uow.commit()
    typer.echo(f"athlete {athlete_id} reads {units} units")
