"""Real stravalib against the simulator served from a thread (its https://www.strava.com is rewritten)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from stravalib import Client, exc, model

from simulator.season import seed_world
from simulator.state import SimConfig, World
from simulator.testing import SimulatorAdmin, StravaRewriteSession, run_in_thread


@pytest.fixture
def served() -> Iterator[tuple[str, World]]:
    world = World(SimConfig(season_end=date(2026, 7, 1), weeks=3, delivery_sync=True))
    seed_world(world)
    base_url, stop = run_in_thread(world)
    yield base_url, world
    stop()


def test_stravalib_oauth_fetch_and_refresh(
    served: tuple[str, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, world = served
    monkeypatch.delenv("STRAVA_CLIENT_ID", raising=False)
    monkeypatch.setenv("SILENCE_TOKEN_WARNINGS", "true")
    session = StravaRewriteSession(base_url)
    admin = SimulatorAdmin(base_url)
    athlete_id = admin.health()["demo_athlete_id"]

    client = Client(rate_limit_requests=False, requests_session=session)
    url = client.authorization_url(
        client_id=1234, redirect_uri="http://localhost/cb", scope=["read", "activity:read_all"], state="xyz"
    )
    redirect = session.get(url, allow_redirects=False)
    assert redirect.status_code == 302
    code = parse_qs(urlparse(redirect.headers["location"]).query)["code"][0]
    tokens, athlete = client.exchange_code_for_token(1234, "simulator-secret", code, return_athlete=True)
    assert athlete is not None
    assert athlete.id == athlete_id

    api = Client(access_token=tokens["access_token"], rate_limit_requests=False, requests_session=session)
    first_id = sorted(world.activities)[0]
    act = api.get_activity(first_id)
    assert isinstance(act, model.DetailedActivity)
    assert act.id == first_id
    assert act.laps
    assert act.athlete is not None
    assert act.athlete.id == athlete_id
    assert act.start_date is not None
    assert act.start_date.tzinfo is not None
    assert act.timezone is not None
    assert act.timezone.timezone() is not None

    laps = list(api.get_activity_laps(first_id))
    assert len(laps) == len(act.laps)
    listed = list(api.get_activities(after=datetime(2026, 6, 1, tzinfo=UTC)))
    assert {a.id for a in listed} == {
        a["id"] for a in world.activities.values() if a["start_date"] > "2026-06-01T00:00:00Z"
    }
    with pytest.raises(exc.ObjectNotFound):
        api.get_activity(1)

    refreshed = api.refresh_access_token(1234, "simulator-secret", tokens["refresh_token"])
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    with pytest.raises(exc.Fault) as err:
        api.refresh_access_token(1234, "simulator-secret", tokens["refresh_token"])
    assert err.value.response is not None
    assert err.value.response.status_code == 400
    assert admin.stats()["refreshes"] == {str(athlete_id): 1}

    bad = Client(access_token="nope", rate_limit_requests=False, requests_session=session)
    with pytest.raises(exc.AccessUnauthorized):
        bad.get_activity(first_id)


def test_stravalib_sees_429_as_fault(served: tuple[str, World]) -> None:
    base_url, world = served
    admin = SimulatorAdmin(base_url)
    tok = admin.issue_tokens(admin.health()["demo_athlete_id"])["access_token"]
    admin.set_limits(read=(1, 1000))
    api = Client(access_token=tok, rate_limit_requests=False, requests_session=StravaRewriteSession(base_url))
    api.get_athlete()
    with pytest.raises(exc.Fault) as err:
        api.get_athlete()
    assert err.value.response is not None
    assert err.value.response.status_code == 429
    raw = requests.get(f"{base_url}/api/v3/athlete", headers={"Authorization": f"Bearer {tok}"}, timeout=5)
    assert raw.headers["X-ReadRateLimit-Usage"] == "3,3"
