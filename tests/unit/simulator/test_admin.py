"""Admin API odds and ends: config, reset, clock, athlete and activity management."""

from __future__ import annotations

from fastapi.testclient import TestClient

from simulator.state import World
from tests.unit.simulator.conftest import START, FakeClock


def test_config_patch_and_unknown_key(client: TestClient, world: World) -> None:
    out = client.patch("/_sim/config", json={"short_pages": True, "read_limit": [5, 50]}).json()
    assert out["short_pages"] is True
    assert out["read_limit"] == [5, 50]
    assert world.config.read_limit == (5, 50)
    bad = client.patch("/_sim/config", json={"nope": 1})
    assert bad.status_code == 400


def test_reset_reseeds_same_world_and_forgets_tokens(
    client: TestClient, world: World, athlete_id: int
) -> None:
    before = sorted(world.activities)
    tok = client.post(f"/_sim/athletes/{athlete_id}/tokens").json()["access_token"]
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    client.post("/_sim/clock", json={"advance": 100})
    out = client.post("/_sim/reset").json()
    assert out["demo_athlete_id"] == athlete_id
    assert sorted(world.activities) == before
    assert client.get("/api/v3/athlete", headers={"Authorization": f"Bearer {tok}"}).status_code == 401
    assert client.get("/_sim/clock").json()["offset"] == 0
    empty = client.post("/_sim/reset", json={"reseed": False}).json()
    assert empty == {"athletes": [], "demo_athlete_id": None}


def test_clock_set_and_advance(client: TestClient, clock: FakeClock) -> None:
    assert client.get("/_sim/clock").json()["now"] == START
    assert client.post("/_sim/clock", json={"advance": 60}).json()["now"] == START + 60
    assert client.post("/_sim/clock", json={"set": START + 86400}).json()["now"] == START + 86400
    clock.advance(5)
    assert client.get("/_sim/clock").json()["now"] == START + 86405


def test_create_activity_with_fields_and_time(client: TestClient, athlete_id: int, auth: dict) -> None:
    body = {
        "kind": "intervals",
        "start_date_local": "2026-06-30T18:30:00",
        "fields": {"name": "Track 6x800", "private": True},
        "id": 99_000_000_001,
    }
    out = client.post(f"/_sim/athletes/{athlete_id}/activities", json=body)
    assert out.status_code == 201
    act = client.get("/api/v3/activities/99000000001", headers=auth).json()
    assert act["name"] == "Track 6x800"
    assert act["private"] is True
    assert act["visibility"] == "only_me"
    assert act["start_date_local"] == "2026-06-30T18:30:00Z"
    assert act["workout_type"] == 3
    assert len(act["laps"]) >= 9
    dup = client.post(f"/_sim/athletes/{athlete_id}/activities", json=body)
    assert dup.status_code == 409
    assert client.post(f"/_sim/athletes/{athlete_id}/activities", json={"kind": "swim"}).status_code == 400
    assert client.post("/_sim/athletes/1/activities").status_code == 404


def test_update_needs_a_change_and_delete_removes(client: TestClient, world: World, auth: dict) -> None:
    aid = next(iter(world.activities))
    assert client.patch(f"/_sim/activities/{aid}", json={}).status_code == 400
    both = client.patch(f"/_sim/activities/{aid}", json={"title": "Hills", "private": False}).json()
    assert both["event"]["updates"] == {"title": "Hills", "private": "false", "visibility": "everyone"}
    client.delete(f"/_sim/activities/{aid}")
    assert client.get(f"/api/v3/activities/{aid}", headers=auth).status_code == 404
    assert client.delete(f"/_sim/activities/{aid}").status_code == 404


def test_a_privacy_change_pushes_private_and_visibility_together(client: TestClient, world: World) -> None:
    aid = next(iter(world.activities))
    shared = client.patch(f"/_sim/activities/{aid}", json={"visibility": "followers_only"}).json()
    assert shared["event"]["updates"] == {"private": "false", "visibility": "followers_only"}
    assert (shared["activity"]["private"], shared["activity"]["visibility"]) == (False, "followers_only")
    hidden = client.patch(f"/_sim/activities/{aid}", json={"private": True}).json()
    assert hidden["event"]["updates"] == {"private": "true", "visibility": "only_me"}
    assert client.patch(f"/_sim/activities/{aid}", json={"visibility": "friends"}).status_code == 400
