"""OAuth: authorize redirect, code exchange, refresh rotation, deauthorization (docs/strava.md, "OAuth")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

from simulator.state import World
from tests.unit.simulator.conftest import FakeClock

REFRESH_INVALID = {
    "message": "Bad Request",
    "errors": [{"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}],
}
AUTH_INVALID = {
    "message": "Authorization Error",
    "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
}
CREDS = {"client_id": "1234", "client_secret": "simulator-secret"}


def authorize(client: TestClient, **params: str) -> dict[str, str]:
    query = {
        "client_id": "1234",
        "redirect_uri": "http://localhost:8000/strava/callback",
        "response_type": "code",
        "scope": "read,activity:read_all",
        "state": "s1",
        "approval_prompt": "auto",
        **params,
    }
    resp = client.get("/oauth/authorize", params=query, follow_redirects=False)
    assert resp.status_code == 302
    location = urlparse(resp.headers["location"])
    assert location.netloc == "localhost:8000"
    assert location.path == "/strava/callback"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def exchange(client: TestClient, code: str) -> dict:
    resp = client.post("/oauth/token", data={**CREDS, "code": code, "grant_type": "authorization_code"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def refresh(client: TestClient, token: str):
    return client.post("/oauth/token", data={**CREDS, "refresh_token": token, "grant_type": "refresh_token"})


def test_authorize_redirects_with_code_state_and_granted_scope(client: TestClient, athlete_id: int) -> None:
    q = authorize(client)
    assert q["state"] == "s1"
    assert q["scope"] == "read,activity:read_all"
    assert len(q["code"]) >= 20


def test_user_can_untick_scopes_and_deny(client: TestClient) -> None:
    assert authorize(client, grant_scope="read")["scope"] == "read"
    denied = authorize(client, deny="1")
    assert denied == {"state": "s1", "error": "access_denied"}


def test_exchange_returns_tokens_and_summary_athlete(
    client: TestClient, athlete_id: int, clock: FakeClock
) -> None:
    body = exchange(client, authorize(client)["code"])
    assert set(body) == {"token_type", "expires_at", "expires_in", "refresh_token", "access_token", "athlete"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 21600
    assert body["expires_at"] == int(clock.t) + 21600
    assert body["athlete"]["id"] == athlete_id
    me = client.get("/api/v3/athlete", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == athlete_id


def test_code_is_single_use(client: TestClient) -> None:
    code = authorize(client)["code"]
    exchange(client, code)
    again = client.post("/oauth/token", data={**CREDS, "code": code, "grant_type": "authorization_code"})
    assert again.status_code == 400
    assert again.json()["errors"][0] == {"resource": "AuthorizationCode", "field": "code", "code": "invalid"}


def test_wrong_client_credentials(client: TestClient) -> None:
    code = authorize(client)["code"]
    wrong_secret = client.post(
        "/oauth/token",
        data={"client_id": "1234", "client_secret": "nope", "code": code, "grant_type": "authorization_code"},
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["errors"][0]["resource"] == "Application"
    wrong_id = client.post(
        "/oauth/token", data={"client_id": "999", "client_secret": "simulator-secret", "code": code}
    )
    assert wrong_id.status_code == 400
    assert wrong_id.json() == {
        "message": "Bad Request",
        "errors": [{"resource": "Application", "field": "client_id", "code": "invalid"}],
    }


def test_refresh_rotates_and_old_refresh_token_is_dead(
    client: TestClient, world: World, athlete_id: int, clock: FakeClock
) -> None:
    first = exchange(client, authorize(client)["code"])
    clock.advance(21600 - 600)  # access token has 10 minutes left: a new one is issued
    resp = refresh(client, first["refresh_token"])
    assert resp.status_code == 200
    second = resp.json()
    assert set(second) == {"token_type", "access_token", "expires_at", "expires_in", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["expires_in"] == 21600

    stale = refresh(client, first["refresh_token"])
    assert stale.status_code == 400
    assert stale.json() == REFRESH_INVALID

    # both access tokens work until they expire
    for tok in (first["access_token"], second["access_token"]):
        assert client.get("/api/v3/athlete", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    clock.advance(601)
    assert client.get(
        "/api/v3/athlete", headers={"Authorization": f"Bearer {first['access_token']}"}
    ).json() == (AUTH_INVALID)
    assert (
        client.get(
            "/api/v3/athlete", headers={"Authorization": f"Bearer {second['access_token']}"}
        ).status_code
        == 200
    )

    # the new refresh token keeps working, and each use rotates again
    third = refresh(client, second["refresh_token"]).json()
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    stats = client.get("/_sim/stats").json()
    assert stats["refreshes"] == {str(athlete_id): 2}
    assert stats["token_exchanges"] == {str(athlete_id): 1}


def test_refresh_keeps_access_token_with_more_than_an_hour_left(client: TestClient) -> None:
    first = exchange(client, authorize(client)["code"])
    second = refresh(client, first["refresh_token"]).json()
    assert second["access_token"] == first["access_token"]  # Strava: > 1 h left -> same access token
    assert second["refresh_token"] != first["refresh_token"]


def test_unknown_refresh_token(client: TestClient) -> None:
    resp = refresh(client, "not-a-token")
    assert resp.status_code == 400
    assert resp.json() == REFRESH_INVALID


def test_deauthorize_revokes_everything(client: TestClient, athlete_id: int) -> None:
    tokens = client.post(f"/_sim/athletes/{athlete_id}/tokens").json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v3/athlete", headers=headers).status_code == 200
    out = client.post(f"/_sim/athletes/{athlete_id}/deauthorize").json()
    assert out["revoked_tokens"] == 2
    assert client.get("/api/v3/athlete", headers=headers).status_code == 401
    assert refresh(client, tokens["refresh_token"]).json() == REFRESH_INVALID


def test_admin_tokens_can_be_already_expired(client: TestClient, athlete_id: int) -> None:
    tokens = client.post(f"/_sim/athletes/{athlete_id}/tokens", json={"expires_in": -10}).json()
    resp = client.get("/api/v3/athlete", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert resp.status_code == 401
    assert resp.json() == AUTH_INVALID
    fresh = refresh(client, tokens["refresh_token"]).json()
    assert fresh["access_token"] != tokens["access_token"]
    assert (
        client.get(
            "/api/v3/athlete", headers={"Authorization": f"Bearer {fresh['access_token']}"}
        ).status_code
        == 200
    )
