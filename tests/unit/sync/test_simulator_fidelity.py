"""The gateway survives what real Strava sends, served by the simulator (docs/simulator.md, "Fidelity").

The simulator runs from a thread; the real stravalib-backed gateway talks to it over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from simulator.delivery import STRAVA_RETRY_SPACING_S, Deliverer
from simulator.season import seed_world
from simulator.state import Delivery, SimConfig, World
from simulator.testing import free_port, run_in_thread
from sync.budget import LocalBudget
from sync.errors import StravaAppCredentialsRejected, StravaAthleteCapacity, StravaNotFound
from sync.strava import StravalibGateway


@pytest.fixture
def world() -> World:
    world = World(SimConfig(season_end=date(2026, 7, 1), weeks=1, athletes=3, delivery_sync=True))
    seed_world(world)
    return world


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    url, stop = run_in_thread(world)
    yield url
    stop()


def gateway(
    base_url: str, budget: LocalBudget | None = None, secret: str = "simulator-secret"
) -> StravalibGateway:
    return StravalibGateway(
        client_id=1234, client_secret=secret, base_url=base_url, timeout_s=5, budget=budget
    )


def authorize(base_url: str, athlete_id: int) -> requests.Response:
    return requests.get(
        f"{base_url}/oauth/authorize",
        params={
            "client_id": 1234,
            "redirect_uri": "http://localhost/cb",
            "response_type": "code",
            "scope": "read,activity:read_all",
            "athlete_id": athlete_id,
        },
        allow_redirects=False,
        timeout=5,
    )


def authorization_code(base_url: str, athlete_id: int) -> str:
    return parse_qs(urlparse(authorize(base_url, athlete_id).headers["location"]).query)["code"][0]


def test_an_app_at_its_athlete_capacity_refuses_a_new_athlete_but_not_a_returning_one(
    world: World, base_url: str
) -> None:
    world.config.athlete_capacity = 2
    first, second, third = list(world.athletes)[:3]
    strava = gateway(base_url)
    strava.exchange_code(authorization_code(base_url, first))
    strava.exchange_code(authorization_code(base_url, second))
    refused = authorize(base_url, third)  # Strava's own page says no: our callback is never reached
    assert refused.status_code == 403
    assert "Limit of connected athletes exceeded" in refused.text
    tokens, athlete = strava.exchange_code(authorization_code(base_url, first))  # a reconnect takes no place
    assert athlete["id"] == first
    assert tokens.access_token


@responses.activate
def test_a_capacity_refusal_at_the_token_endpoint_is_told_as_such_not_as_a_bad_code() -> None:
    # Defensive: should Strava ever refuse at the exchange instead of on its page, the athlete is not told
    # to "connect again" (which cannot help) and no grant is blamed.
    responses.post(
        "http://sim.test/oauth/token", status=403, json={"message": "Limit of connected athletes exceeded"}
    )
    with pytest.raises(StravaAthleteCapacity) as refused:
        gateway("http://sim.test").exchange_code("code")
    assert "no more athletes" in str(refused.value)


def test_an_empty_404_body_is_still_not_found(world: World, base_url: str) -> None:
    world.config.empty_not_found_bodies = True
    athlete_id = next(iter(world.athletes))
    access, _ = world.issue_tokens(athlete_id, frozenset({"read", "activity:read_all"}))
    raw = requests.get(
        f"{base_url}/api/v3/activities/1", headers={"Authorization": f"Bearer {access.token}"}, timeout=5
    )
    assert (raw.status_code, raw.content) == (404, b"")
    with pytest.raises(StravaNotFound):
        gateway(base_url).get_activity(access.token, 1)


def test_a_rotated_client_secret_pauses_the_app_and_blames_no_athlete(world: World, base_url: str) -> None:
    athlete_id = next(iter(world.athletes))
    _, grant = world.issue_tokens(athlete_id, frozenset({"read", "activity:read_all"}))
    budget = LocalBudget()
    with pytest.raises(StravaAppCredentialsRejected):
        gateway(base_url, budget, secret="the-old-secret").refresh(grant.token)
    assert budget.app_fault() is not None
    assert world.refresh_tokens[grant.token].valid  # the athlete's grant is untouched


def test_a_refresh_is_counted_by_strava_and_by_our_budget_alike(world: World, base_url: str) -> None:
    athlete_id = next(iter(world.athletes))
    _, grant = world.issue_tokens(athlete_id, frozenset({"read", "activity:read_all"}))
    world.reset_windows()
    budget = LocalBudget()
    gateway(base_url, budget).refresh(grant.token)
    ours = budget.usage()["read"]
    theirs = world.usage()["read"]["usage"]
    assert (ours["quarter_used"], ours["day_used"]) == (theirs[0], theirs[1]) == (1, 1)


def test_webhook_retries_are_spaced_as_strava_spaces_them() -> None:
    world = World(SimConfig(strava_retry_spacing=True, delivery_timeout=0.5))
    deliverer = Deliverer(world)
    nobody_listens = f"http://127.0.0.1:{free_port()}/webhook"
    record = Delivery(1, {"aspect_type": "create"}, nobody_listens)
    delays = [deliverer._attempt(record) for _ in range(3)]
    assert delays == [*STRAVA_RETRY_SPACING_S, None]  # three attempts in all, then given up
    assert record.status == "failed"
