"""App-wide rate limits: headers, 429 body, rejected calls counting, quarter-hour and UTC-midnight resets."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from simulator.state import World
from tests.unit.simulator.conftest import FakeClock


def usage(resp, header: str = "X-ReadRateLimit-Usage") -> tuple[int, int]:
    a, b = resp.headers[header].split(",")
    return int(a), int(b)


def test_headers_on_every_api_response_and_counting(client: TestClient, world: World, auth: dict) -> None:
    activity_id = next(iter(world.activities))
    r1 = client.get(f"/api/v3/activities/{activity_id}", headers=auth)
    r2 = client.get("/api/v3/athlete/activities", headers=auth)
    r3 = client.get("/api/v3/activities/1", headers=auth)  # 404 still counts and carries headers
    r4 = client.get("/api/v3/athlete", headers={"Authorization": "Bearer bad"})
    for r in (r1, r2, r3, r4):
        assert r.headers["X-RateLimit-Limit"] == "200,2000"
        assert r.headers["X-ReadRateLimit-Limit"] == "100,1000"
    assert [usage(r) for r in (r1, r2, r3, r4)] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert usage(r4, "X-RateLimit-Usage") == (4, 4)


def test_token_requests_count_and_carry_the_headers(client: TestClient, world: World, auth: dict) -> None:
    # Strava's token endpoint answers with the rate headers and counts (docs/strava.md, "Do token refreshes
    # count?"): a refresh, even a refused one, is a call against the app's budget.
    refused = client.post(
        "/oauth/token", data={"client_id": "1234", "client_secret": "x", "grant_type": "refresh_token"}
    )
    assert usage(refused) == (1, 1)
    r = client.get("/api/v3/athlete", headers=auth)
    assert usage(r) == (2, 2)
    assert world.stats()["counted_requests"] == 2
    assert "X-RateLimit-Usage" not in client.get("/_sim/health").headers


def test_responses_carry_strava_s_date_from_the_simulated_clock(
    client: TestClient, world: World, auth: dict
) -> None:
    from email.utils import parsedate_to_datetime

    world.clock_offset = 5 * 86_400.0
    r = client.get("/api/v3/athlete", headers=auth)
    assert abs(parsedate_to_datetime(r.headers["Date"]).timestamp() - world.now()) < 2


def test_429_body_and_rejected_calls_still_count(client: TestClient, world: World, auth: dict) -> None:
    client.put("/_sim/limits", json={"read": [3, 10]})
    statuses = [client.get("/api/v3/athlete", headers=auth) for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert statuses[3].json() == {
        "message": "Rate Limit Exceeded",
        "errors": [{"resource": "Application", "field": "read rate limit", "code": "exceeded"}],
    }
    assert usage(statuses[4]) == (5, 5)
    assert statuses[4].headers["X-ReadRateLimit-Limit"] == "3,10"
    stats = client.get("/_sim/stats").json()
    assert stats["rate_limited"] == 2
    assert stats["status_counts"]["429"] == 2


def test_overall_bucket(client: TestClient, auth: dict) -> None:
    client.put("/_sim/limits", json={"overall": [2, 10], "read": [100, 1000]})
    codes = [client.get("/api/v3/athlete", headers=auth) for _ in range(3)]
    assert codes[2].status_code == 429
    assert codes[2].json()["errors"][0]["field"] == "overall rate limit"


def test_shared_across_tokens_and_athletes(client: TestClient, athlete_id: int) -> None:
    other = client.post("/_sim/athletes").json()["id"]
    t1 = client.post(f"/_sim/athletes/{athlete_id}/tokens").json()["access_token"]
    t2 = client.post(f"/_sim/athletes/{other}/tokens").json()["access_token"]
    client.get("/api/v3/athlete", headers={"Authorization": f"Bearer {t1}"})
    r = client.get("/api/v3/athlete", headers={"Authorization": f"Bearer {t2}"})
    assert usage(r) == (2, 2)


def test_quarter_hour_window_resets_on_the_quarter(client: TestClient, auth: dict, clock: FakeClock) -> None:
    # START is 10:05:00 UTC; the window ends at 10:15:00
    client.put("/_sim/limits", json={"read": [2, 1000]})
    for _ in range(3):
        last = client.get("/api/v3/athlete", headers=auth)
    assert last.status_code == 429
    clock.advance(9 * 60 + 59)  # 10:14:59: same window
    assert client.get("/api/v3/athlete", headers=auth).status_code == 429
    clock.advance(1)  # 10:15:00: new window, daily usage keeps counting (rejected ones too)
    r = client.get("/api/v3/athlete", headers=auth)
    assert r.status_code == 200
    assert usage(r) == (1, 5)


def test_daily_window_resets_at_utc_midnight(client: TestClient, athlete_id: int, clock: FakeClock) -> None:
    tok = client.post(f"/_sim/athletes/{athlete_id}/tokens", json={"expires_in": 2 * 86400}).json()
    auth = {"Authorization": f"Bearer {tok['access_token']}"}
    client.put("/_sim/limits", json={"read": [100, 3]})
    for _ in range(4):
        last = client.get("/api/v3/athlete", headers=auth)
    assert last.status_code == 429
    clock.t = datetime(2026, 7, 1, 23, 59, 59, tzinfo=UTC).timestamp()
    assert client.get("/api/v3/athlete", headers=auth).status_code == 429
    clock.t = datetime(2026, 7, 2, 0, 0, 0, tzinfo=UTC).timestamp()
    r = client.get("/api/v3/athlete", headers=auth)
    assert r.status_code == 200
    assert usage(r) == (1, 1)


def test_clock_offset_moves_windows(client: TestClient, auth: dict) -> None:
    client.get("/api/v3/athlete", headers=auth)
    before = client.get("/_sim/limits").json()
    assert before["read"]["usage"] == [1, 1]
    client.post("/_sim/clock", json={"advance": before["seconds_to_next_quarter"]})
    assert client.get("/_sim/limits").json()["read"]["usage"] == [0, 1]
    client.post("/_sim/limits/reset")
    assert client.get("/_sim/limits").json()["read"]["usage"] == [0, 0]
