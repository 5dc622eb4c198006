"""The athlete's plan page and its secret link, through the real app on the real PostgreSQL: issue, rotate and
revoke the link, the page's content and headers, the same 404 for every token that opens nothing, and no token
in any log line."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date
from html import escape as html_escape
from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient
from sqlalchemy import select

import planner
from composition.root import Container
from messages import Audience, reasons
from store.models import ConnectionStatus, StravaConnection
from store.plan_models import PlanPageLink
from tests.integration.conftest import ATHLETE_ID, AUTH, connect_athlete, update_row
from tests.integration.test_plans_api import goal_body
from tests.integration.test_plans_pipeline import push_run

pytestmark = pytest.mark.integration

BASE = f"/api/v1/athletes/{ATHLETE_ID}"
LINK = f"{BASE}/plan-page-link"


def with_plan(client: TestClient, container: Container) -> dict[str, Any]:
    connect_athlete(container)
    assert client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH).status_code == 200
    body = client.get(f"{BASE}/plan", headers=AUTH).json()
    assert isinstance(body, dict)
    return body


def with_the_first_workout_run(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A plan whose first workout was run as planned, synced from Strava: the plan as the API now returns it,
    and that workout as it was planned."""
    first = with_plan(client, container)["weeks"][0]["workouts"][0]
    event = push_run(
        container, strava, date.fromisoformat(first["date"]), 501, distance_m=first["distance_m"]
    )
    assert container.events.process(event).outcome == "synced"
    return client.get(f"{BASE}/plan", headers=AUTH).json(), first


def issue(client: TestClient, rotate: bool = False) -> dict[str, Any]:
    response = client.post(LINK, params={"rotate": rotate}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def path_of(url: str) -> str:
    match = re.fullmatch(r"https?://[^/]+(/p/[A-Za-z0-9_\-]{43})", url)
    assert match, url
    return match.group(1)


def test_a_link_is_shown_once_rotated_and_revoked(client: TestClient, container: Container) -> None:
    with_plan(client, container)
    first = issue(client)
    assert first["created"] is True
    page = path_of(first["url"])
    assert client.get(page).status_code == 200

    assert issue(client) == {"url": None, "created": False}  # cannot be shown again
    assert client.get(page).status_code == 200  # and asking did not replace it

    rotated = issue(client, rotate=True)
    assert rotated["created"] is True
    assert rotated["url"] != first["url"]
    assert client.get(page).status_code == 404
    assert client.get(path_of(rotated["url"])).status_code == 200

    revoked = client.delete(LINK, headers=AUTH)
    assert revoked.status_code == 200
    assert revoked.json() == {"revoked": True}
    assert client.get(path_of(rotated["url"])).status_code == 404
    assert client.delete(LINK, headers=AUTH).json() == {"revoked": False}
    assert issue(client)["created"] is True  # a new link after a revoke


def test_only_the_tokens_digest_is_stored(client: TestClient, container: Container) -> None:
    with_plan(client, container)
    token = path_of(issue(client)["url"]).removeprefix("/p/")
    with container.sessions() as session:
        stored = session.scalars(select(PlanPageLink.token_digest)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_the_link_api_needs_the_key_and_a_known_athlete(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    assert client.post(LINK).status_code == 401
    assert client.post(LINK, headers={"Authorization": "Bearer wrong-key-0123456789"}).status_code == 401
    assert client.delete(LINK).status_code == 401
    assert client.post("/api/v1/athletes/999/plan-page-link", headers=AUTH).status_code == 404
    assert client.delete("/api/v1/athletes/999/plan-page-link", headers=AUTH).status_code == 404
    with container.sessions() as session:
        assert session.scalars(select(PlanPageLink)).all() == []


def test_every_token_that_opens_nothing_gets_the_same_plain_404(
    client: TestClient, container: Container
) -> None:
    with_plan(client, container)
    revoked = path_of(issue(client)["url"])
    assert client.delete(LINK, headers=AUTH).status_code == 200
    disconnected = path_of(issue(client)["url"])
    update_row(container, StravaConnection, ATHLETE_ID, status=ConnectionStatus.REVOKED)

    answers = [
        client.get(p)
        for p in (
            "/p/unknown-token",
            revoked,
            disconnected,
            "/p/" + "x" * 500,
            f"{disconnected}/calendar.ics",
        )
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1  # nothing tells a revoked link from one that never existed
    assert "Page not found" in answers[0].text
    assert answers[0].headers["cache-control"] == "no-store"


def test_the_page_shows_the_plan_as_the_api_returns_it(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    plan, first = with_the_first_workout_run(client, container, strava)
    page = client.get(path_of(issue(client)["url"]))

    assert page.status_code == 200
    html = page.text
    shown = re.findall(r'data-workout-id="([^"]+)" data-date="([^"]+)"', html)
    expected = [(w["id"], w["date"]) for week in plan["weeks"] for w in week["workouts"]]
    assert sorted(shown) == sorted(expected)
    reader = Audience.of(None, plan["timezone"])
    assert f"{reader.distance(first['distance_m'])} in" in html  # the matched run
    active = [c for c in plan["changes"] if c["active"]]
    assert active
    for change in plan["changes"]:
        assert change["code"] not in html  # the athlete reads the reason, never the internal code
    current = {c["id"]: planner.change_from_dict(c) for c in plan["plan"]["changes"]}
    for change in active:  # said by the catalogue from the change's facts, in the athlete's units
        said = reasons.change_message(reader, current[change["id"]])
        assert html_escape(said.body) in html
    assert "<script" not in html


def test_the_page_headers_forbid_scripts_caching_referrers_and_indexing(
    client: TestClient, container: Container
) -> None:
    with_plan(client, container)
    headers = client.get(path_of(issue(client)["url"])).headers
    assert headers["content-type"].startswith("text/html")
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-robots-tag"].startswith("noindex")
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "script-src" not in csp


def test_an_athlete_with_a_link_but_no_plan_yet_is_told_so(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    page = client.get(path_of(issue(client)["url"]))
    assert page.status_code == 200
    assert "no training plan yet" in page.text


def test_the_pages_calendar_link_serves_the_feed(client: TestClient, container: Container) -> None:
    plan = with_plan(client, container)
    page = path_of(issue(client)["url"])
    assert 'href="' + page.removeprefix("/p/") + '/calendar.ics"' in client.get(page).text
    feed = client.get(f"{page}/calendar.ics")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    run_days = [
        w["date"].replace("-", "") for week in plan["weeks"] for w in week["workouts"] if w["type"] != "rest"
    ]
    assert all(f"DTSTART;VALUE=DATE:{day}" in feed.text for day in run_days)


def test_no_token_reaches_a_log_line(
    client: TestClient,
    container: Container,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the capture on the root logger: a redacting handler left there by an earlier test (runsmart/logs.py)
    # would rewrite the records this test reads, hiding a token the app wrote instead of proving it wrote none.
    monkeypatch.setattr(logging.getLogger(), "handlers", [caplog.handler])
    with_plan(client, container)
    with caplog.at_level(logging.DEBUG):
        url = issue(client)["url"]
        token = path_of(url).removeprefix("/p/")
        client.get(f"/p/{token}")
        client.get(f"/p/{token}/calendar.ics")
        rotated = issue(client, rotate=True)["url"]
        client.get(path_of(rotated))
        client.delete(LINK, headers=AUTH)

    def text(records: list[logging.LogRecord]) -> str:
        return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)

    # The test client's own request lines (httpx, the caller's side) carry the URL: proof that this capture
    # would see a token; every line the app wrote must not.
    client_side = [r for r in caplog.records if r.name.startswith("httpx")]
    server_side = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert token in text(client_side)
    for secret in (token, path_of(rotated).removeprefix("/p/")):
        assert secret not in text(server_side)


def test_each_coming_workout_links_its_fit_file_and_the_link_serves_it(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    plan, first = with_the_first_workout_run(client, container, strava)
    page = path_of(issue(client)["url"])
    html = client.get(page).text
    linked = set(re.findall(r'href="([^"]+)\.fit" download data-workout-file', html))
    workouts = [w for week in plan["weeks"] for w in week["workouts"]]
    coming = {w["id"] for w in workouts if w["status"] == "planned"}
    assert coming
    assert first["id"] not in coming  # the run just done is no longer offered
    assert linked == {page.removeprefix("/p/") + f"/workouts/{i}" for i in coming}
    # The link is relative to the page (/p/{token}): it resolves to the page's own file route.
    served = client.get(f"/p/{sorted(linked)[0]}.fit")
    assert served.status_code == 200
    assert served.content[8:12] == b".FIT"  # a FIT file's header
