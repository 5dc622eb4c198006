"""`runsmart simulator` (also `python -m simulator`): run the Strava API simulator with uvicorn.

Kept import-light: ``cli/main.py`` imports this module on every ``runsmart`` invocation.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from simulator.state import World


def _pair(text: str, name: str) -> tuple[int, int]:
    try:
        short, daily = (int(p) for p in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"{name} must be two integers '15min,daily', e.g. 100,1000") from None
    return short, daily


def simulator_command(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port to bind (0 = any free port)."),
    seed: int = typer.Option(42, help="Seed of the synthetic athletes and their seasons."),
    athletes: int = typer.Option(1, help="How many seeded athletes."),
    weeks: int = typer.Option(12, help="Weeks of seeded runs per athlete, ending yesterday."),
    season_end: str = typer.Option(
        "", help="Season ends the day before this date (YYYY-MM-DD); default today."
    ),
    hold_season: bool = typer.Option(
        False,
        "--hold-season",
        help="Keep the seeded runs invisible until /_sim/replay reveals and pushes them.",
    ),
    client_id: int = typer.Option(1234, help="The simulated Strava application's client id."),
    client_secret: str = typer.Option("simulator-secret", help="The simulated application's client secret."),
    callback_url: str = typer.Option("", help="Webhook callback to push events to (no handshake)."),
    subscription_id: int = typer.Option(120475, help="subscription_id used with --callback-url."),
    verify_token: str = typer.Option("STRAVA", help="verify_token recorded with --callback-url."),
    read_limit: str = typer.Option("100,1000", help="Read (non-upload) limit '15min,daily'."),
    overall_limit: str = typer.Option("200,2000", help="Overall limit '15min,daily'."),
    access_token_ttl: int = typer.Option(21600, help="Access token lifetime in seconds."),
    short_pages: bool = typer.Option(
        False, "--short-pages", help="Non-final activity list pages come back short."
    ),
    retry_delay: float = typer.Option(3.0, help="Seconds between webhook delivery attempts."),
    strava_retry_spacing: bool = typer.Option(
        False, "--strava-retry-spacing", help="Space webhook retries as Strava does (about 62 s, then 75 s)."
    ),
    athlete_capacity: int = typer.Option(
        0, help="Athletes the application may serve (Strava's Standard tier: 10); 0 = no cap."
    ),
    empty_404: bool = typer.Option(False, "--empty-404", help="Answer 404s with an empty body."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Run the Strava API simulator (OAuth, activities, rate limits, webhooks; never calls strava.com)."""
    from datetime import date

    import uvicorn

    from simulator.app import create_app
    from simulator.season import seed_world
    from simulator.state import SimConfig, Subscription, World

    config = SimConfig(
        client_id=client_id,
        client_secret=client_secret,
        access_token_ttl=access_token_ttl,
        overall_limit=_pair(overall_limit, "--overall-limit"),
        read_limit=_pair(read_limit, "--read-limit"),
        short_pages=short_pages,
        delivery_retry_delay=retry_delay,
        strava_retry_spacing=strava_retry_spacing,
        athlete_capacity=athlete_capacity or None,
        empty_not_found_bodies=empty_404,
        seed=seed,
        athletes=athletes,
        weeks=weeks,
        season_end=date.fromisoformat(season_end) if season_end else None,
        season_visible=not hold_season,
    )
    world = World(config)
    ids = seed_world(world)
    if callback_url:
        world.subscription = Subscription(subscription_id, callback_url, verify_token, world.now(), client_id)
        world.next_subscription_id = subscription_id + 1
    sock = _listening_socket(host, port)
    _announce(world, host, sock.getsockname()[1], ids)
    # The app sends Strava's `Date` from the simulated clock; uvicorn's own would be a second, different one.
    server_config = uvicorn.Config(
        create_app(world), log_level=log_level, access_log=False, date_header=False
    )
    uvicorn.Server(server_config).run(sockets=[sock])


def _announce(world: World, host: str, port: int, ids: list[int]) -> None:
    """The banner the demo and the tests read: where the simulator listens and what it holds."""
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"Strava simulator listening on http://{shown}:{port}", err=False)
    typer.echo(f"demo athlete id: {ids[0] if ids else 'none'}")
    held = len(world.hidden_activities)
    typer.echo(
        f"client_id={world.config.client_id} athletes={ids} activities={len(world.activities)}"
        f"{' held back: ' + str(held) if not world.config.season_visible else ''}"
    )
    sub = world.subscription
    if sub is not None:
        typer.echo(f"pushing webhook events to {sub.callback_url} (subscription_id={sub.id})")


def _listening_socket(host: str, port: int) -> socket.socket:
    # Naming TCP makes asyncio turn Nagle's algorithm off on each connection; without it every response
    # waited ~40 ms for the client's delayed ACK (webhooks/server.py NoDelayConfig).
    sock = socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock
