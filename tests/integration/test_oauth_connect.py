"""`/strava/connect` and `/strava/callback` against the real PostgreSQL, Strava mocked with `responses`."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from fastapi.testclient import TestClient
from itsdangerous.timed import TimestampSigner
from prometheus_client import REGISTRY
from sqlalchemy import text

from composition.root import Container
from store import athlete_repository
from store.db import UnitOfWork
from store.models import Athlete, BackfillJob, ConnectionStatus, StravaConnection
from sync.budget import Priority, RedisBudget
from sync.connect import STATE_COOKIE, Grant, save_connection
from sync.errors import StravaRateLimited
from sync.strava import TokenSet
from tests.integration.conftest import (
    ATHLETE_ID,
    STRAVA,
    connect_athlete,
    event_body,
    store_event,
    strava_error,
    update_row,
)
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
CODE_INVALID = strava_error("AuthorizationCode", "code", "invalid")
GRANTED = "read,activity:read_all"


@pytest.fixture
def enqueued() -> list[int]:
    return []


@pytest.fixture
def backfills() -> list[int]:
    return []


@pytest.fixture
def client(container: Container, enqueued: list[int], backfills: list[int]) -> TestClient:
    return make_client(container, enqueued, backfills)


def make_client(
    container: Container, enqueued: list[int] | None = None, backfills: list[int] | None = None
) -> TestClient:
    events = enqueued if enqueued is not None else []
    started = backfills if backfills is not None else []

    def enqueue(event_id: int) -> bool:
        events.append(event_id)
        return True

    def start_backfill(athlete_id: int) -> bool:
        started.append(athlete_id)
        return True

    app = create_app(
        lambda: container, enqueue=enqueue, start_backfill=start_backfill, broker_check=lambda: True
    )
    return TestClient(app, follow_redirects=False)


def begin(client: TestClient, *, returning: bool = False) -> str:
    """The athlete's browser opens /strava/connect; returns the state Strava will echo back."""
    response = client.get("/strava/connect", params={"returning": "1"} if returning else None)
    assert response.status_code == 302
    return parse_qs(urlparse(response.headers["location"]).query)["state"][0]


def finish(client: TestClient, state: str, **params: str) -> Any:
    return client.get("/strava/callback", params={"state": state, **params})


def token_answer(strava: responses.RequestsMock, athlete_id: int = ATHLETE_ID) -> None:
    body = {**TOKEN_RESPONSE, "athlete": {**TOKEN_RESPONSE["athlete"], "id": athlete_id}}  # type: ignore[dict-item]
    strava.post(f"{STRAVA}/oauth/token", json=body)


def stored_connection(container: Container, athlete_id: int = ATHLETE_ID) -> StravaConnection | None:
    with container.sessions() as session:
        return session.get(StravaConnection, athlete_id)


def visible_text(page: str) -> str:
    body = page.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


# --- connecting ---------------------------------------------------------------------------------------


def test_connect_redirects_to_strava_with_the_needed_scopes_and_a_random_state(client: TestClient) -> None:
    response = client.get("/strava/connect")
    assert response.status_code == 302
    url = urlparse(response.headers["location"])
    assert (url.scheme, url.netloc, url.path) == ("https", "www.strava.com", "/oauth/authorize")
    query = parse_qs(url.query)
    assert query["scope"] == ["read,activity:read_all"]
    assert query["client_id"] == ["1234"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/strava/callback"]
    # Two attempts in the same second get different states (a timestamp-only state would repeat).
    assert len({begin(client) for _ in range(3)} | {query["state"][0]}) == 4


def test_connect_binds_the_state_to_the_browser_with_a_hardened_cookie(client: TestClient) -> None:
    response = client.get("/strava/connect")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{STATE_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/strava" in cookie.lower()
    assert "secure" not in attributes  # plain http in tests; see the next test for https


def test_the_state_cookie_is_secure_when_served_over_https(container: Container) -> None:
    container.settings.public_base_url = "https://coach.example.com"
    response = make_client(container).get("/strava/connect")
    assert "secure" in {part.strip().lower() for part in response.headers["set-cookie"].split(";")}


def test_callback_exchanges_the_code_and_stores_encrypted_tokens(
    client: TestClient, container: Container, strava: responses.RequestsMock, backfills: list[int]
) -> None:
    exchange = strava.post(f"{STRAVA}/oauth/token", json=TOKEN_RESPONSE)
    response = finish(client, begin(client), code="abc", scope=GRANTED)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "You're connected" in response.text
    assert f"last {container.settings.backfill_weeks} weeks" in response.text
    assert backfills == [ATHLETE_ID]
    with container.sessions() as session:
        job = session.get(BackfillJob, ATHLETE_ID)
        athlete = session.get(Athlete, ATHLETE_ID)
    assert job is not None
    assert (job.status, job.next_page) == ("pending", 1)
    assert "code=abc" in str(exchange.calls[0].request.body)
    assert athlete is not None
    assert athlete.firstname == "Ada"
    connection = stored_connection(container)
    assert connection is not None
    assert connection.status == "active"
    assert container.cipher.decrypt(connection.refresh_token_enc or "") == "refresh-new"
    assert "refresh-new" not in (connection.refresh_token_enc or "")


def test_a_client_asking_for_json_gets_the_outcome_as_json(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    token_answer(strava)
    response = client.get(
        "/strava/callback",
        params={"state": begin(client), "code": "abc", "scope": GRANTED},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "athlete_id": ATHLETE_ID,
        "status": "connected",
        "redriven_events": 0,
        "backfill_weeks": container.settings.backfill_weeks,
    }


def test_reconnecting_re_drives_the_events_kept_while_the_grant_was_dead(
    client: TestClient, container: Container, strava: responses.RequestsMock, enqueued: list[int]
) -> None:
    connect_athlete(container, expires_in=60)
    strava.post(
        f"{STRAVA}/oauth/token", status=400, json=strava_error("RefreshToken", "refresh_token", "invalid")
    )
    event_id = store_event(container, event_body())
    assert container.events.process(event_id).outcome == "awaiting_reauth"
    strava.replace(responses.POST, f"{STRAVA}/oauth/token", json=TOKEN_RESPONSE)
    response = finish(client, begin(client), code="abc", scope=GRANTED)
    assert response.status_code == 200
    assert enqueued == [event_id]


# --- the state: bound to the browser, single use, short-lived -------------------------------------------


def test_a_state_used_in_another_browser_is_refused_and_nothing_is_exchanged(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    # Login CSRF: an attacker starts a connect, then gets the victim's browser to finish it with their code.
    attackers_state = begin(client)
    victim = make_client(container)
    response = finish(victim, attackers_state, code="attackers-code", scope=GRANTED)
    assert response.status_code == 400
    assert "Please start again" in response.text
    assert len(strava.calls) == 0
    assert stored_connection(container) is None


@pytest.mark.parametrize("state", ["", "forged", "1733390000"])
def test_a_missing_or_forged_state_is_refused(
    client: TestClient, container: Container, strava: responses.RequestsMock, state: str
) -> None:
    begin(
        client
    )  # the browser does hold a real cookie; the state it comes back with is not the one it was given
    response = finish(client, state, code="abc", scope=GRANTED)
    assert response.status_code == 400
    assert 'href="http://127.0.0.1:8000/strava/connect"' in response.text
    assert len(strava.calls) == 0


def test_a_state_is_single_use(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    token_answer(strava)
    state = begin(client)
    cookie = client.cookies.get(STATE_COOKIE)
    assert finish(client, state, code="abc", scope=GRANTED).status_code == 200
    assert client.cookies.get(STATE_COOKIE) is None  # the answer clears it in the browser
    # A copy of the cookie replayed with the same state (say, from another device) is refused all the same.
    replay = make_client(container)
    replay.cookies.set(STATE_COOKIE, cookie or "", path="/strava")
    response = finish(replay, state, code="abc", scope=GRANTED)
    assert response.status_code == 400
    assert len(strava.calls) == 1


def test_a_state_older_than_ten_minutes_is_refused(
    client: TestClient, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 601)
        state = begin(client)
    response = finish(client, state, code="abc", scope=GRANTED)
    assert response.status_code == 400
    assert len(strava.calls) == 0


def test_the_granted_scope_comes_from_the_token_response_when_strava_gives_it(
    client: TestClient, container: Container
) -> None:
    # The redirect's `scope` passes through the browser; Strava's token response is its own word on the grant.
    container.gateway = GrantingGateway(scope="read")  # type: ignore[assignment]
    response = finish(client, begin(client), code="abc", scope=GRANTED)
    assert response.status_code == 400
    assert "private activities" in response.text
    assert stored_connection(container) is None


def test_the_redirect_scope_is_used_when_the_token_response_has_none(
    client: TestClient, container: Container
) -> None:
    container.gateway = GrantingGateway(scope=None)  # type: ignore[assignment]
    assert finish(client, begin(client), code="abc", scope=GRANTED).status_code == 200
    connection = stored_connection(container)
    assert connection is not None
    assert connection.scopes == GRANTED


def test_the_real_gateway_passes_on_the_token_responses_scope_which_wins_over_the_redirects(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    # The redirect URL claims activity:read_all; Strava's token response says the grant lacks it.
    strava.post(f"{STRAVA}/oauth/token", json={**TOKEN_RESPONSE, "scope": "read,activity:read"})
    response = finish(client, begin(client), code="abc", scope=GRANTED)
    assert response.status_code == 400
    assert "One permission is missing" in response.text
    assert len(strava.calls) == 1  # the exchange only: nothing else was asked of Strava
    assert stored_connection(container) is None
    with container.sessions() as session:
        assert session.get(Athlete, ATHLETE_ID) is None


def test_the_token_responses_scope_is_the_one_stored(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    strava.post(f"{STRAVA}/oauth/token", json={**TOKEN_RESPONSE, "scope": "activity:read_all,read"})
    assert finish(client, begin(client), code="abc").status_code == 200  # a redirect without `scope`
    connection = stored_connection(container)
    assert connection is not None
    assert connection.scopes == "activity:read_all,read"


class GrantingGateway:
    """A gateway whose exchange passes on the token response's scope and headers."""

    def __init__(self, scope: str | None, headers: dict[str, str] | None = None) -> None:
        self.scope = scope
        self.headers = headers or {}

    def exchange_grant(self, code: str) -> Grant:
        tokens = TokenSet("access-new", "refresh-new", int(time.time()) + 21600)
        athlete = {"id": ATHLETE_ID, "firstname": "Ada", "lastname": "Runner"}
        return Grant(tokens=tokens, athlete=athlete, scope=self.scope, headers=self.headers)

    def exchange_code(self, code: str) -> tuple[TokenSet, dict[str, Any]]:
        raise AssertionError("the callback must use exchange_grant when the gateway offers it")


# --- every outcome is a page the athlete can read --------------------------------------------------------

FAILURES = {
    "code reused or expired": ({"status": 400, "json": CODE_INVALID}, 400, "Connect again"),
    "code refused in the older shape": (
        {"status": 400, "json": strava_error("RequestToken", "code", "invalid")},
        400,
        "Connect again",
    ),
    "Strava down": ({"status": 503, "body": "<html>maintenance</html>"}, 503, "Try again"),
    "Strava refuses the application": (
        {"status": 403, "json": strava_error("Application", "Status", "Inactive", "Forbidden")},
        503,
        "your coach has been told",
    ),
    "our client secret is refused": (
        {"status": 401, "json": strava_error("Application", "", "invalid", "Authorization Error")},
        503,
        "your coach has been told",
    ),
    "Strava's athlete capacity is reached": (
        {"status": 403, "json": {"message": "Limit of connected athletes exceeded", "errors": []}},
        403,
        "reached the number of athletes Strava currently lets it connect",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failed_exchange_is_a_plain_page_with_the_way_forward(
    client: TestClient, container: Container, strava: responses.RequestsMock, case: str
) -> None:
    answer, status, way_forward = FAILURES[case]
    strava.post(f"{STRAVA}/oauth/token", **answer)
    response = finish(client, begin(client), code="used", scope=GRANTED)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert way_forward in visible_text(response.text)
    assert_plain_page(response.text)
    assert stored_connection(container) is None


def test_capacity_refused_by_strava_does_not_ask_the_athlete_to_connect_again(
    client: TestClient, strava: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    strava.post(f"{STRAVA}/oauth/token", status=403, body="Limit of connected athletes exceeded")
    with caplog.at_level(logging.WARNING, logger="webhooks.oauth"):
        response = finish(client, begin(client), code="abc", scope=GRANTED)
    assert response.status_code == 403
    refused = [r for r in caplog.records if r.getMessage() == "strava.capacity.refused"]
    assert [(r.by, r.connected_athletes, r.athlete_capacity) for r in refused] == [("strava", 0, 10)]  # type: ignore[attr-defined]
    assert "coach has been told" in response.text
    # Not "connect again": trying again cannot help until the coach has room.
    assert "/strava/connect" not in response.text
    assert not {"Connect again", "Try again", "Start again"} & set(re.findall(r"\w+ again", response.text))


@pytest.mark.parametrize(
    ("params", "heading"),
    [
        ({"error": "access_denied"}, "Nothing was connected"),
        ({"code": "abc", "scope": "read,activity:read"}, "One permission is missing"),
        ({"scope": GRANTED}, "This approval has already been used or has run out"),
    ],
)
def test_athlete_choices_are_plain_pages_and_reach_no_strava(
    client: TestClient, strava: responses.RequestsMock, params: dict[str, str], heading: str
) -> None:
    response = finish(client, begin(client), **params)
    assert response.status_code == 400
    assert f"<h1>{heading}</h1>" in response.text
    assert 'href="http://127.0.0.1:8000/strava/connect"' in response.text
    assert_plain_page(response.text)
    assert len(strava.calls) == 0


def assert_plain_page(page: str) -> None:
    """Readable on a phone, in plain words: no internal code, setting, file name or raw answer."""
    assert page.startswith("<!doctype html>")
    assert '<html lang="en">' in page
    assert 'name="viewport"' in page
    assert page.count("<h1>") == 1
    text = visible_text(page)
    for internal in (
        "activity:read",
        "RUNSMART_",
        ".py",
        "Strava answered",
        "AuthorizationCode",
        "errors",
        "{",
    ):
        assert internal not in text, internal
    assert not re.search(r"\b[45]\d\d\b", text), text


# --- athlete capacity ---------------------------------------------------------------------------------


def connected_athletes(container: Container, *ids: int) -> None:
    for athlete_id in ids:
        connect_athlete(container, athlete_id)


def test_at_our_capacity_connect_shows_the_full_page_instead_of_sending_the_athlete_to_strava(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    container.settings.strava_athlete_capacity = 2
    connected_athletes(container, 1, 2)
    client = make_client(container)
    with caplog.at_level(logging.WARNING, logger="webhooks.oauth"):
        response = client.get("/strava/connect")
    assert response.status_code == 403
    assert client.cookies.get(STATE_COOKIE) is None  # no connect attempt was started
    assert "reached the number of athletes Strava currently lets it connect" in visible_text(response.text)
    # An athlete who already holds a place (asked to reconnect) may go on: Strava admits them.
    assert 'href="http://127.0.0.1:8000/strava/connect?returning=1"' in response.text
    assert_plain_page(response.text)
    refused = [r for r in caplog.records if r.getMessage() == "strava.capacity.refused"]
    assert [(r.by, r.connected_athletes, r.athlete_capacity) for r in refused] == [("runsmart", 2, 2)]  # type: ignore[attr-defined]


def test_at_our_capacity_a_new_athlete_back_from_strava_is_refused_and_nothing_is_stored(
    container: Container, strava: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    container.settings.strava_athlete_capacity = 2
    connected_athletes(container, 1, 2)
    backfills: list[int] = []
    client = make_client(container, backfills=backfills)
    token_answer(strava)
    state = begin(client, returning=True)  # says it is returning, but holds no place
    with caplog.at_level(logging.WARNING, logger="webhooks.oauth"):
        response = finish(client, state, code="abc", scope=GRANTED)
    assert response.status_code == 403
    assert "reached the number of athletes Strava currently lets it connect" in visible_text(response.text)
    assert "coach has been told" in response.text
    assert "/strava/connect" not in response.text
    assert stored_connection(container) is None
    assert backfills == []
    refused = [r for r in caplog.records if r.getMessage() == "strava.capacity.refused"]
    assert [(r.by, r.connected_athletes, r.athlete_capacity) for r in refused] == [("runsmart", 2, 2)]  # type: ignore[attr-defined]


def test_a_grant_refused_for_our_capacity_is_released_at_strava(
    container: Container,
    strava: responses.RequestsMock,
    budget: RedisBudget,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    container.settings.strava_athlete_capacity = 1
    connected_athletes(container, 1)
    charged = charges(budget, monkeypatch)
    token_answer(strava)
    release = strava.post(f"{STRAVA}/oauth/deauthorize", json={"access_token": "access-new"})
    client = make_client(container)
    state = begin(client, returning=True)  # says it is returning, but holds no place
    with caplog.at_level(logging.INFO, logger="sync.connect"):
        response = finish(client, state, code="abc", scope=GRANTED)
    assert response.status_code == 403
    assert "reached the number of athletes Strava currently lets it connect" in visible_text(response.text)
    assert stored_connection(container) is None
    assert len(release.calls) == 1
    request = release.calls[0].request
    assert request.headers["Authorization"] == "Bearer access-new"  # the grant just made, no other
    assert 0 < request.req_kwargs["timeout"] <= 5
    assert charged == [Priority.WEBHOOK]  # counted like any call (the exchange itself is not gated)
    assert [r.reason for r in caplog.records if r.getMessage() == "oauth.grant_released"] == [  # type: ignore[attr-defined]
        "capacity_reached"
    ]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "body": "<html>maintenance</html>"},
        {"body": requests.ConnectionError("connection reset")},
        {"body": requests.ReadTimeout("read timed out")},
    ],
)
def test_a_failed_release_still_shows_the_capacity_page_and_is_logged(
    container: Container,
    strava: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, Any],
) -> None:
    container.settings.strava_athlete_capacity = 1
    connected_athletes(container, 1)
    token_answer(strava)
    release = strava.post(f"{STRAVA}/oauth/deauthorize", **failure)
    client = make_client(container)
    state = begin(client, returning=True)
    with caplog.at_level(logging.WARNING, logger="sync.connect"):
        response = finish(client, state, code="abc", scope=GRANTED)
    assert len(release.calls) == 1
    assert response.status_code == 403
    assert "coach has been told" in response.text
    assert_plain_page(response.text)
    assert stored_connection(container) is None
    failed = [r for r in caplog.records if r.getMessage() == "oauth.grant_release_failed"]
    assert len(failed) == 1
    assert "access-new" not in str(failed[0].__dict__)  # the token never reaches a log line


def test_a_release_the_budget_refuses_is_not_made_and_the_page_is_the_same(
    container: Container,
    strava: responses.RequestsMock,
    budget: RedisBudget,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    container.settings.strava_athlete_capacity = 1
    connected_athletes(container, 1)

    def no_room(priority: Priority, *, read: bool = True) -> None:
        raise StravaRateLimited("read budget exhausted", retry_after_s=60)

    monkeypatch.setattr(budget, "acquire", no_room)
    token_answer(strava)
    release = strava.post(f"{STRAVA}/oauth/deauthorize", json={})
    client = make_client(container)
    response = finish(client, begin(client, returning=True), code="abc", scope=GRANTED)
    assert response.status_code == 403
    assert "coach has been told" in response.text
    assert len(release.calls) == 0


def test_an_athlete_admitted_is_never_deauthorized(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    token_answer(strava)
    release = strava.post(f"{STRAVA}/oauth/deauthorize", json={})
    assert finish(client, begin(client), code="abc", scope=GRANTED).status_code == 200
    assert len(release.calls) == 0


def charges(budget: RedisBudget, monkeypatch: pytest.MonkeyPatch) -> list[Priority]:
    """The priorities the budget is asked for, the real budget still deciding."""
    asked: list[Priority] = []
    real = budget.acquire

    def acquire(priority: Priority, *, read: bool = True) -> None:
        asked.append(priority)
        real(priority, read=read)

    monkeypatch.setattr(budget, "acquire", acquire)
    return asked


def waiting_for_the_capacity_lock(container: Container) -> bool:
    with container.sessions() as session:
        waiting = session.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    return bool(waiting)


def test_two_athletes_racing_for_the_last_place_do_not_both_get_it(
    container: Container, strava: responses.RequestsMock
) -> None:
    container.settings.strava_athlete_capacity = 1
    client = make_client(container)
    token_answer(strava)
    state = begin(client)
    answers: list[Any] = []
    with UnitOfWork(container.sessions) as rival:
        # Another athlete's callback is between counting and committing when this one arrives.
        athlete_repository.lock_capacity(rival.session)
        racer = threading.Thread(
            target=lambda: answers.append(finish(client, state, code="abc", scope=GRANTED))
        )
        racer.start()
        deadline = time.monotonic() + 60
        while not waiting_for_the_capacity_lock(container):
            assert time.monotonic() < deadline, "the callback never waited for the admission in progress"
            assert racer.is_alive(), (
                "the callback admitted its athlete without waiting for the admission in progress"
            )
            time.sleep(0.05)
        save_connection(
            rival.session,
            tokens=TokenSet("a", "r", int(time.time()) + 3600),
            athlete={"id": 1},
            scopes=GRANTED,
            cipher=container.cipher,
        )
        rival.commit()
    racer.join(timeout=120)
    assert [answer.status_code for answer in answers] == [403]
    assert stored_connection(container) is None


def test_revoked_athletes_hold_no_place(container: Container, strava: responses.RequestsMock) -> None:
    container.settings.strava_athlete_capacity = 2
    connected_athletes(container, 1, 2)
    update_row(container, StravaConnection, 2, status=ConnectionStatus.REVOKED)
    client = make_client(container)
    token_answer(strava)
    assert finish(client, begin(client), code="abc", scope=GRANTED).status_code == 200


def test_an_athlete_who_holds_a_place_may_reconnect_at_capacity(
    container: Container, strava: responses.RequestsMock
) -> None:
    container.settings.strava_athlete_capacity = 2
    connected_athletes(container, 1, ATHLETE_ID)
    update_row(container, StravaConnection, ATHLETE_ID, status=ConnectionStatus.NEEDS_REAUTH)
    client = make_client(container)
    token_answer(strava)
    assert finish(client, begin(client, returning=True), code="abc", scope=GRANTED).status_code == 200
    connection = stored_connection(container)
    assert connection is not None
    assert connection.status == ConnectionStatus.ACTIVE


def test_the_operator_is_warned_when_one_place_is_left_and_sees_the_gauges(
    container: Container, strava: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    container.settings.strava_athlete_capacity = 4
    connected_athletes(container, 1, 2)
    update_row(container, StravaConnection, 2, status=ConnectionStatus.REVOKED)
    client = make_client(container)
    token_answer(strava)
    with caplog.at_level(logging.WARNING, logger="sync.connect"):
        assert finish(client, begin(client), code="abc", scope=GRANTED).status_code == 200
    assert not [r for r in caplog.records if r.getMessage() == "strava.capacity.nearly_full"]  # 2 of 4
    token_answer(strava, athlete_id=3)
    with caplog.at_level(logging.WARNING, logger="sync.connect"):
        assert finish(client, begin(client), code="abc", scope=GRANTED).status_code == 200
    warned = [r for r in caplog.records if r.getMessage() == "strava.capacity.nearly_full"]
    assert [(r.connected_athletes, r.athlete_capacity) for r in warned] == [(3, 4)]  # type: ignore[attr-defined]
    metrics = client.get("/metrics").text
    assert "runsmart_strava_connected_athletes 3.0" in metrics
    assert "runsmart_strava_athlete_capacity 4.0" in metrics
    assert REGISTRY.get_sample_value("runsmart_oauth_callbacks_total", {"outcome": "connected"})


def test_a_capacity_stated_in_strava_headers_replaces_the_setting(container: Container) -> None:
    container.settings.strava_athlete_capacity = 10
    container.settings.strava_athlete_capacity_header = "X-Athlete-Capacity"
    connected_athletes(container, 1)
    container.gateway = GrantingGateway(scope=GRANTED, headers={"x-athlete-capacity": "1"})  # type: ignore[assignment]
    client = make_client(container)
    # The first exchange states a capacity of 1 while one athlete is connected: this athlete is refused.
    response = finish(client, begin(client), code="abc", scope=GRANTED)
    assert response.status_code == 403
    # /metrics shows the configured capacity (read at scrape time by every API process alike); the capacity a
    # header stated is this process's own and is named in the refusal's log line instead.
    assert "runsmart_strava_athlete_capacity 10.0" in client.get("/metrics").text


API_WITHOUT_STRAVALIB = """
import sys, responses
from urllib.parse import parse_qs, urlparse
from fastapi.testclient import TestClient
from webhooks.app import create_app
token = {TOKEN!r}
client = TestClient(create_app(broker_check=lambda: True, enqueue=lambda i: True, start_backfill=lambda a: True),
                    follow_redirects=False)
start = client.get("/strava/connect")
assert start.status_code == 302
state = parse_qs(urlparse(start.headers["location"]).query)["state"][0]
with responses.RequestsMock() as strava:
    strava.post("https://www.strava.com/oauth/token", json=token)
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
