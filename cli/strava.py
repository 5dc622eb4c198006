"""Operator commands that talk to Strava: `runsmart backfill`, `runsmart reconcile`, `runsmart strava subscription`."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cli.errors import CommandError

strava_app = typer.Typer(no_args_is_help=True, help="The Strava application: push subscription.")
subscription_app = typer.Typer(no_args_is_help=True, help="The app's one push subscription.")
strava_app.add_typer(subscription_app, name="subscription")
console = Console()


def _manager():  # type: ignore[no-untyped-def]
    from runsmart.settings import get_settings
    from sync.subscriptions import SubscriptionManager

    settings = get_settings()
    return settings, SubscriptionManager(
        client_id=settings.strava_client_id,
        client_secret=settings.strava_client_secret.get_secret_value(),
        base_url=settings.strava_base_url,
    )


@subscription_app.command("create")
def subscription_create(
    callback_url: str = typer.Option("", help="Default: $RUNSMART_PUBLIC_BASE_URL/webhooks/strava"),
) -> None:
    """Check that the callback answers the handshake, then create the subscription."""
    from sync.subscriptions import SubscriptionError

    settings, manager = _manager()
    url = callback_url or settings.public_base_url.rstrip("/") + "/webhooks/strava"
    token = settings.strava_verify_token.get_secret_value()
    if not token:
        raise typer.BadParameter(
            "RUNSMART_STRAVA_VERIFY_TOKEN is not set; the API would answer the handshake 404"
        )
    try:
        created = manager.create(url, token)
    except SubscriptionError as error:
        console.print(f"[red]subscription not created:[/] {error}")
        raise typer.Exit(1) from None
    console.print(f"created subscription {created.id} for {created.callback_url}")
    console.print(f"set RUNSMART_STRAVA_SUBSCRIPTION_ID={created.id} on the API and restart it")


@subscription_app.command("list")
def subscription_list() -> None:
    """Show the application's subscription (Strava allows one)."""
    from sync.subscriptions import SubscriptionError

    _, manager = _manager()
    try:
        found = manager.list()
    except SubscriptionError as error:
        console.print(f"[red]cannot list subscriptions:[/] {error}")
        raise typer.Exit(1) from None
    if not found:
        console.print("no subscription")
    for sub in found:
        console.print(f"{sub.id}\t{sub.callback_url}")


@subscription_app.command("delete")
def subscription_delete(
    subscription_id: int = typer.Argument(..., help="The id `runsmart strava subscription list` shows."),
) -> None:
    """Delete a subscription (to change the callback: delete, then create)."""
    from sync.subscriptions import SubscriptionError

    _, manager = _manager()
    try:
        manager.delete(subscription_id)
    except SubscriptionError as error:
        console.print(f"[red]cannot delete subscription {subscription_id}:[/] {error}")
        raise typer.Exit(1) from None
    console.print(f"deleted subscription {subscription_id}")


def backfill_eta_s(remaining_calls: int, usage: dict[str, dict[str, int]], reserve: float) -> float:
    """Seconds until `remaining_calls` backfill calls fit in the read budget, window by window."""
    if remaining_calls <= 0:
        return 0.0
    read = usage["read"]
    per_window = max(1, int(read["quarter_limit"] * (1 - 2 * reserve)))
    available_now = max(0, per_window - read["quarter_used"])
    if remaining_calls <= available_now:
        return remaining_calls * 0.3  # about one API round trip each, in practice
    windows = (remaining_calls - available_now + per_window - 1) // per_window
    return read["seconds_to_quarter"] + (windows - 1) * 900 + 1


def _require_connected(sessions, athlete_id: int, doing: str) -> None:  # type: ignore[no-untyped-def]
    """An operator's typo (an unknown or disconnected athlete) is a one-line answer, not a traceback."""
    from store import repository
    from store.models import ConnectionStatus

    with sessions() as session:
        connection = repository.get_connection(session, athlete_id)
    if connection is None:
        raise CommandError(f"athlete {athlete_id} has never connected Strava; nothing to {doing}")
    if connection.status != ConnectionStatus.ACTIVE:
        raise CommandError(
            f"athlete {athlete_id}'s Strava connection is {connection.status}; they must reconnect before we can {doing}"
        )


def backfill_command(
    athlete_id: int = typer.Argument(..., help="The athlete's Strava id."),
    weeks: int = typer.Option(0, help="Weeks of history (default: RUNSMART_BACKFILL_WEEKS)."),
    watch: bool = typer.Option(
        True, help="Show progress until done (Ctrl-C stops watching, not the backfill)."
    ),
) -> None:
    """Import an athlete's history (resumable, idempotent) and show its progress with an ETA."""
    from store.db import UnitOfWork
    from sync.backfill import schedule_backfill
    from workers.enqueue import send
    from workers.runtime import container

    c = container()
    _require_connected(c.sessions, athlete_id, "back-fill")
    with UnitOfWork(c.sessions) as uow:
        from datetime import UTC, datetime

        started = schedule_backfill(
            uow.session, athlete_id, weeks=weeks or c.settings.backfill_weeks, now=datetime.now(UTC)
        )
        uow.commit()
    if started:
        send("backfill.page", athlete_id, queue="strava_bulk")
        console.print(f"backfill of athlete {athlete_id} scheduled")
    else:
        console.print(f"a backfill of athlete {athlete_id} is already under way; watching it")
    if not watch:
        return
    columns = (
        TextColumn("[bold]backfill"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages · {task.fields[calls]} list calls · ETA {task.fields[eta]}"),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("backfill", total=None, pages=0, calls=0, eta="?")
        while True:
            state = c.backfill.progress(athlete_id)
            if state is None:
                raise typer.Exit(1)
            remaining = (
                state.activities_queued - state.activities_synced + (0 if state.status == "done" else 1)
            )
            eta = backfill_eta_s(remaining, c.budget.usage(), c.settings.budget_reserve)
            progress.update(
                task,
                completed=state.activities_synced,
                total=max(state.activities_queued, 1),
                pages=state.pages_done,
                calls=state.api_calls,
                eta=f"{eta:.0f}s",
            )
            if state.status in ("done", "failed") and remaining <= 0:
                break
            time.sleep(1)
    console.print(f"backfill {state.status}: {state.activities_synced} activities synced")


def reconcile_command(
    athlete_id: int = typer.Argument(0, help="One athlete; 0 with --all or for those due."),
    all_athletes: bool = typer.Option(False, "--all", help="Every connected athlete, not only those due."),
) -> None:
    """Reconcile now: list each athlete's padded window and queue whatever the pushes missed."""
    from datetime import UTC, datetime

    from store import repository
    from sync.reconcile import due_for_reconciliation
    from sync.tokens import NotConnected
    from workers.enqueue import enqueue_event
    from workers.runtime import container

    c = container()
    if athlete_id:
        _require_connected(c.sessions, athlete_id, "reconcile")
        athletes = [athlete_id]
    elif all_athletes:
        with c.sessions() as session:
            athletes = list(repository.active_athlete_ids(session))
    else:
        athletes = list(due_for_reconciliation(c.sessions, datetime.now(UTC)))
    total_calls = 0
    for one in athletes:
        try:
            result = c.reconciler.reconcile(
                one, days=c.settings.reconcile_days, pad_hours=c.settings.reconcile_pad_hours
            )
        except NotConnected:  # disconnected since the list was read: the others still get reconciled
            console.print(f"athlete {one}: skipped, no active Strava connection")
            continue
        for event_id in result.queued:
            enqueue_event(event_id, bulk=True)
        total_calls += result.api_calls
        console.print(
            f"athlete {one}: {result.api_calls} calls, {result.missing} missing, "
            f"{result.deleted} deleted, {result.changed} changed"
        )
    console.print(f"{len(athletes)} athletes reconciled with {total_calls} API calls")
    c.engine.dispose()
