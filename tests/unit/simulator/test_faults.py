"""Fault injection: status rules, delays, and 404 right after create."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from simulator.state import World


def test_status_rule_answers_n_times_then_stops(client: TestClient, world: World, auth: dict) -> None:
    activity_id = next(iter(world.activities))
    rule = client.post(
        "/_sim/faults", json={"path_prefix": "/api/v3/activities", "status": 503, "count": 2}
    ).json()
    assert rule["remaining"] == 2
    codes = [client.get(f"/api/v3/activities/{activity_id}", headers=auth).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    # other paths are unaffected
    assert client.get("/api/v3/athlete", headers=auth).status_code == 200
    assert client.get("/_sim/faults").json()[0]["hits"] == 2
    assert client.get("/_sim/stats").json()["faults_served"] == 2


def test_injected_429_has_strava_body_and_headers(client: TestClient, auth: dict) -> None:
    client.post("/_sim/faults", json={"status": 429, "count": 1})
    r = client.get("/api/v3/athlete", headers=auth)
    assert r.status_code == 429
    assert r.json()["message"] == "Rate Limit Exceeded"
    assert "X-ReadRateLimit-Usage" in r.headers


def test_method_filter_and_oauth_prefix(client: TestClient) -> None:
    client.post("/_sim/faults", json={"path_prefix": "/oauth/token", "method": "POST", "status": 502})
    r = client.post("/oauth/token", data={"client_id": "1234", "client_secret": "simulator-secret"})
    assert r.status_code == 502
    # consumed: the next call reaches the real handler (400: no refresh token)
    r = client.post(
        "/oauth/token",
        data={
            "client_id": "1234",
            "client_secret": "simulator-secret",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
    )
    assert r.status_code == 400


def test_delay_rule(client: TestClient, auth: dict) -> None:
    client.post("/_sim/faults", json={"kind": "delay", "delay": 0.3, "path_prefix": "/api/v3/athlete"})
    t0 = time.monotonic()
    assert client.get("/api/v3/athlete", headers=auth).status_code == 200
    assert time.monotonic() - t0 >= 0.3
    t0 = time.monotonic()
    client.get("/api/v3/athlete", headers=auth)
    assert time.monotonic() - t0 < 0.3


def test_not_found_after_create(client: TestClient, athlete_id: int, auth: dict) -> None:
    old = next(iter(client.get("/_sim/activities").json()))["id"]
    client.post("/_sim/faults", json={"kind": "not_found_after_create", "count": 2})
    new = client.post(f"/_sim/athletes/{athlete_id}/activities", json={"kind": "tempo"}).json()["activity"][
        "id"
    ]
    codes = [client.get(f"/api/v3/activities/{new}", headers=auth).status_code for _ in range(3)]
    assert codes == [404, 404, 200]
    assert client.get(f"/api/v3/activities/{old}", headers=auth).status_code == 200, (
        "existing runs unaffected"
    )
    client.delete("/_sim/faults")
    newer = client.post(f"/_sim/athletes/{athlete_id}/activities").json()["activity"]["id"]
    assert client.get(f"/api/v3/activities/{newer}", headers=auth).status_code == 200
