"""`/strava/connect` and `/strava/callback` against the real PostgreSQL, Strava mocked with `responses`."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from fastapi.testclient import TestClient

from runsmart.bootstrap import Container
from store.models import Athlete, BackfillJob, StravaConnection
from sync.connect import make_state
from tests.integration.conftest import ATHLETE_ID, STRAVA, connect_athlete, event_body, store_event
from webhooks.app import create_app

pytestmark = pytest.mark.integration

TOKEN_RESPONSE = {
    "token_type": "Bearer",
    "expires_at": int(time.time()) + 21600,
    "expires_in": 21600,
    "refresh_token": "refresh-new",
    "access_token": "access-new",
    "athlete": {"id": ATHLETE_ID, "resource_state": 2, "firstname": "Ada", "lastname": "Runner"},
}


@pytest.fixture
def enqueued() -> list[int]:
    return []


@pytest.fixture
def backfills() -> list[int]:
    return []


@pytest.fixture
def client(container: Container, enqueued: list[int], backfills: list[int]) -> TestClient:
    def enqueue(event_id: int) -> bool:
        enqueued.append(event_id)
        return True

    app = create_app(
        lambda: container, enqueue=enqueue, start_backfill=backfills.append, broker_check=lambda: True
    )
    return TestClient(app, follow_redirects=False)


def state(container: Container) -> str:
    return make_state(container.settings.effective_token_key(), {"v": 1})


def test_connect_redirects_to_strava_with_the_needed_scopes_and_a_signed_state(client: TestClient) -> None:
    response = client.get("/strava/connect")
    assert response.status_code == 302
    url = urlparse(response.headers["location"])
    assert (url.scheme, url.netloc, url.path) == ("https", "www.strava.com", "/oauth/authorize")
    query = parse_qs(url.query)
    assert query["scope"] == ["read,activity:read_all"]
    assert query["client_id"] == ["1234"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/strava/callback"]
    assert query["state"][0]


def test_callback_exchanges_the_code_and_stores_encrypted_tokens(
    client: TestClient, container: Container, strava: responses.RequestsMock, backfills: list[int]
) -> None:
    exchange = strava.post(f"{STRAVA}/oauth/token", json=TOKEN_RESPONSE)
    response = client.get(
        "/strava/callback",
        params={"state": state(container), "code": "abc", "scope": "read,activity:read_all"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "athlete_id": ATHLETE_ID,
        "status": "connected",
        "redriven_events": 0,
        "backfill_weeks": container.settings.backfill_weeks,
    }
    assert backfills == [ATHLETE_ID]
    with container.sessions() as session:
        job = session.get(BackfillJob, ATHLETE_ID)
    assert job is not None
    assert (job.status, job.next_page) == ("pending", 1)
    assert "code=abc" in str(exchange.calls[0].request.body)
    with container.sessions() as session:
        athlete = session.get(Athlete, ATHLETE_ID)
        connection = session.get(StravaConnection, ATHLETE_ID)
    assert athlete is not None
    assert athlete.firstname == "Ada"
    assert connection is not None
    assert connection.status == "active"
    assert container.cipher.decrypt(connection.refresh_token_enc or "") == "refresh-new"
    assert "refresh-new" not in (connection.refresh_token_enc or "")


def test_callback_without_activity_read_all_says_what_is_missing(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    response = client.get(
        "/strava/callback", params={"state": state(container), "code": "abc", "scope": "read,activity:read"}
    )
    assert response.status_code == 400
    assert "activity:read_all" in response.json()["detail"]
    assert len(strava.calls) == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"state": "forged", "code": "abc", "scope": "activity:read_all"}, "invalid OAuth state"),
        ({"code": "abc", "scope": "activity:read_all"}, "invalid OAuth state"),
        ({"error": "access_denied"}, "not granted"),
    ],
)
def test_callback_refuses_bad_requests_clearly(
    client: TestClient, container: Container, params: dict[str, str], message: str
) -> None:
    if "error" in params:
        params = {**params, "state": state(container)}
    response = client.get("/strava/callback", params=params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_refused_code_is_a_clear_400(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    strava.post(
        f"{STRAVA}/oauth/token",
        status=400,
        json={
            "message": "Bad Request",
            "errors": [{"resource": "RefreshToken", "field": "code", "code": "invalid"}],
        },
    )
    response = client.get(
        "/strava/callback", params={"state": state(container), "code": "used", "scope": "activity:read_all"}
    )
    assert response.status_code == 400
    assert "connect again" in response.json()["detail"]


def test_reconnecting_re_drives_the_events_kept_while_the_grant_was_dead(
    client: TestClient, container: Container, strava: responses.RequestsMock, enqueued: list[int]
) -> None:
    connect_athlete(container, expires_in=60)
    strava.post(
        f"{STRAVA}/oauth/token",
        status=400,
        json={
            "message": "Bad Request",
            "errors": [{"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}],
        },
    )
    event_id = store_event(container, event_body())
    assert container.events.process(event_id).outcome == "awaiting_reauth"
    strava.replace(responses.POST, f"{STRAVA}/oauth/token", json=TOKEN_RESPONSE)
    response = client.get(
        "/strava/callback", params={"state": state(container), "code": "abc", "scope": "activity:read_all"}
    )
    assert response.json()["redriven_events"] == 1
    assert enqueued == [event_id]


API_WITHOUT_STRAVALIB = """
import sys, responses
from fastapi.testclient import TestClient
from runsmart.bootstrap import container
from sync.connect import make_state
from webhooks.app import create_app
token = {TOKEN!r}
client = TestClient(create_app(broker_check=lambda: True, enqueue=lambda i: True, start_backfill=lambda a: True),
                    follow_redirects=False)
assert client.get("/strava/connect").status_code == 302
with responses.RequestsMock() as strava:
    strava.post("https://www.strava.com/oauth/token", json=token)
    state = make_state(container().settings.effective_token_key(), {{"v": 1}})
    answer = client.get("/strava/callback", params={{"state": state, "code": "abc", "scope": "read,activity:read_all"}})
    assert answer.status_code == 200, answer.text
print("stravalib" in sys.modules, "pint" in sys.modules)
"""


def test_the_api_process_connects_an_athlete_without_importing_stravalib(clean_db: str) -> None:
    # stravalib with pint costs ~30 MB; the API's memory goal (README "Performance") depends on never loading it.
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "RUNSMART_ENV": "test",
        "RUNSMART_DATABASE_URL": clean_db,
        "RUNSMART_STRAVA_CLIENT_ID": "1234",
        "RUNSMART_STRAVA_CLIENT_SECRET": "client-secret-for-tests",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    script = API_WITHOUT_STRAVALIB.format(TOKEN=TOKEN_RESPONSE)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False"]
