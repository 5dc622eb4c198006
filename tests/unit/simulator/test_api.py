"""Bearer-authenticated activity endpoints: shapes, auth errors, visibility, filters and pagination."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from stravalib import model

from simulator.state import World

AUTH_INVALID = {
    "message": "Authorization Error",
    "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
}
NOT_FOUND = {
    "message": "Resource Not Found",
    "errors": [{"resource": "Activity", "field": "", "code": "not found"}],
}


def run_ids(world: World) -> list[int]:
    return sorted(world.activities)


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
def test_bad_token_is_401_with_strava_body(client: TestClient, world: World, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = client.get(f"/api/v3/activities/{run_ids(world)[0]}", headers=headers)
    assert resp.status_code == 401
    assert resp.json() == AUTH_INVALID


def test_token_without_activity_scope(client: TestClient, world: World, athlete_id: int) -> None:
    tok = client.post(f"/_sim/athletes/{athlete_id}/tokens", json={"scope": "read"}).json()["access_token"]
    resp = client.get(f"/api/v3/activities/{run_ids(world)[0]}", headers={"Authorization": f"Bearer {tok}"})
    assert resp.status_code == 401
    assert resp.json() == {
        "message": "Authorization Error",
        "errors": [{"resource": "AccessToken", "field": "activity:read_permission", "code": "missing"}],
    }


def test_detailed_activity_validates_as_stravalib_model(client: TestClient, world: World, auth: dict) -> None:
    for activity_id in run_ids(world):
        resp = client.get(
            f"/api/v3/activities/{activity_id}", params={"include_all_efforts": "False"}, headers=auth
        )
        assert resp.status_code == 200
        raw = resp.json()
        assert raw["resource_state"] == 3
        act = model.DetailedActivity.model_validate(raw)
        assert act.id == activity_id
        assert act.laps, "every device activity has laps"
        if raw["sport_type"] != "Ride":
            assert act.splits_metric, "runs have per-km splits"
            assert abs(sum(s.distance for s in act.splits_metric) - raw["distance"]) < 60
            assert act.has_heartrate
            assert act.average_heartrate
            assert act.max_heartrate
        assert abs(sum(lap.distance for lap in act.laps) - raw["distance"]) < 1.0


def test_other_athletes_activity_is_404(client: TestClient, world: World, auth: dict) -> None:
    other = client.post("/_sim/athletes", json={"weeks": 1}).json()
    resp = client.get(f"/api/v3/activities/{other['activity_ids'][0]}", headers=auth)
    assert resp.status_code == 404
    assert resp.json() == NOT_FOUND
    assert client.get("/api/v3/activities/1", headers=auth).json() == NOT_FOUND


def test_private_activity_needs_read_all(client: TestClient, world: World, athlete_id: int) -> None:
    activity_id = run_ids(world)[0]
    client.patch(f"/_sim/activities/{activity_id}", json={"private": True})
    weak = client.post(f"/_sim/athletes/{athlete_id}/tokens", json={"scope": "read,activity:read"}).json()
    strong = client.post(
        f"/_sim/athletes/{athlete_id}/tokens", json={"scope": "read,activity:read_all"}
    ).json()
    weak_h = {"Authorization": f"Bearer {weak['access_token']}"}
    strong_h = {"Authorization": f"Bearer {strong['access_token']}"}
    assert client.get(f"/api/v3/activities/{activity_id}", headers=weak_h).status_code == 404
    got = client.get(f"/api/v3/activities/{activity_id}", headers=strong_h).json()
    assert got["private"] is True
    assert got["visibility"] == "only_me"
    weak_list = client.get("/api/v3/athlete/activities", params={"per_page": 200}, headers=weak_h).json()
    strong_list = client.get("/api/v3/athlete/activities", params={"per_page": 200}, headers=strong_h).json()
    assert activity_id not in [a["id"] for a in weak_list]
    assert activity_id in [a["id"] for a in strong_list]


def test_laps_endpoint(client: TestClient, world: World, auth: dict) -> None:
    activity_id = run_ids(world)[0]
    laps = client.get(
        f"/api/v3/activities/{activity_id}/laps", params={"page": 1, "per_page": 200}, headers=auth
    )
    assert laps.status_code == 200
    parsed = [model.Lap.model_validate(x) for x in laps.json()]
    assert [lap.lap_index for lap in parsed] == list(range(1, len(parsed) + 1))
    assert laps.json() == world.activities[activity_id]["laps"]


def test_list_is_summary_newest_first_default_30(client: TestClient, world: World, auth: dict) -> None:
    resp = client.get("/api/v3/athlete/activities", headers=auth)
    items = resp.json()
    assert len(items) == min(30, len(world.activities))
    assert all(a["resource_state"] == 2 and "laps" not in a and "splits_metric" not in a for a in items)
    for a in items:
        model.SummaryActivity.model_validate(a)
    starts = [a["start_date"] for a in items]
    assert starts == sorted(starts, reverse=True)


def test_list_filters_are_epoch_seconds(client: TestClient, world: World, auth: dict) -> None:
    after = int(datetime(2026, 6, 10, tzinfo=UTC).timestamp())
    before = int(datetime(2026, 6, 20, tzinfo=UTC).timestamp())
    items = client.get(
        "/api/v3/athlete/activities", params={"after": after, "before": before, "per_page": 200}, headers=auth
    ).json()
    expected = {
        a["id"]
        for a in world.activities.values()
        if after
        < datetime.strptime(a["start_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        < before
    }
    assert expected
    assert {a["id"] for a in items} == expected
    only_after = client.get("/api/v3/athlete/activities", params={"after": after}, headers=auth).json()
    starts = [a["start_date"] for a in only_after]
    assert starts == sorted(starts), "with only `after`, Strava lists oldest first"


def test_per_page_is_capped_at_200(client: TestClient, world: World, auth: dict) -> None:
    resp = client.post(f"/_sim/athletes/{next(iter(world.athletes))}/activities", json={"kind": "easy"})
    assert resp.status_code == 201
    items = client.get("/api/v3/athlete/activities", params={"per_page": 500}, headers=auth).json()
    assert len(items) == min(200, len(world.activities))
    bad = client.get("/api/v3/athlete/activities", params={"per_page": "x"}, headers=auth)
    assert bad.status_code == 400


def collect(client: TestClient, auth: dict, per_page: int, stop_on_short: bool) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        items = client.get(
            "/api/v3/athlete/activities", params={"page": page, "per_page": per_page}, headers=auth
        ).json()
        ids += [a["id"] for a in items]
        if not items or (stop_on_short and len(items) < per_page):
            return ids
        page += 1


def test_short_pages_are_not_the_end(client: TestClient, world: World, auth: dict) -> None:
    world.config.short_pages = True
    all_ids = sorted(world.activities)
    page1 = client.get("/api/v3/athlete/activities", params={"page": 1, "per_page": 5}, headers=auth).json()
    assert 0 < len(page1) < 5
    until_empty = collect(client, auth, per_page=5, stop_on_short=False)
    assert sorted(until_empty) == all_ids
    assert len(until_empty) == len(set(until_empty))
    naive = collect(client, auth, per_page=5, stop_on_short=True)
    assert len(naive) < len(all_ids)

    world.config.short_pages = False
    assert sorted(collect(client, auth, per_page=5, stop_on_short=True)) == all_ids
