"""Releasing a grant with the real gateway against the simulator (served from a thread)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from simulator.season import seed_world
from simulator.state import SimConfig, World
from simulator.testing import run_in_thread
from sync.errors import StravaAuthError
from sync.strava import StravalibGateway


@pytest.fixture
def world() -> World:
    world = World(SimConfig(season_end=date(2026, 7, 1), weeks=1, athletes=2, delivery_sync=True))
    seed_world(world)
    return world


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    url, stop = run_in_thread(world)
    yield url
    stop()


def test_a_released_grant_frees_the_athlete_s_place_and_its_tokens_stop_working(
    world: World, base_url: str
) -> None:
    athlete_id = next(iter(world.athletes))
    access, grant = world.issue_tokens(athlete_id, frozenset({"read", "activity:read_all"}))
    assert athlete_id in world.connected_athletes()
    gateway = StravalibGateway(
        client_id=1234, client_secret="simulator-secret", base_url=base_url, timeout_s=5
    )
    gateway.deauthorize(access.token)
    assert athlete_id not in world.connected_athletes()  # Strava's count no longer holds a place for them
    with pytest.raises(StravaAuthError):
        gateway.refresh(grant.token)
