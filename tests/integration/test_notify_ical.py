"""The iCal feed through the real API app on PostgreSQL: a token is required, only its digest is stored, and
the calendar follows every plan change (ETag changes, events move)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

import planner
from composition.root import Container
from notify import ical
from store.models import Athlete
from tests.integration.conftest import (
    ATHLETE_ID,
    AUTH,
    PLAN_START,
    TEN_K_RACE,
    TEN_K_RUNNER,
    a_run_to_move,
    api_client,
    move_a_day_later,
)
from tests.integration.test_plans_pipeline import current_plan

pytestmark = pytest.mark.integration


@pytest.fixture
def client(container: Container, ten_k_plan: None) -> Iterator[TestClient]:
    with api_client(container) as c:
        yield c


def issue(client: TestClient, rotate: bool = False) -> str | None:
    response = client.post(
        f"/api/v1/athletes/{ATHLETE_ID}/ical",
        params={"rotate": rotate},
        headers=AUTH,
    )
    assert response.status_code == 200
    url = response.json()["url"]
    return url.rsplit("/ical/", 1)[1] if url else None


def events(body: bytes) -> dict[str, object]:
    cal = Calendar.from_ical(body)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_the_feed_needs_its_token_and_only_a_digest_is_stored(
    client: TestClient, container: Container
) -> None:
    assert client.post(f"/api/v1/athletes/{ATHLETE_ID}/ical").status_code == 401
    path = issue(client)
    assert path is not None
    token = path.removesuffix(".ics")
    assert len(token) >= 43
    assert issue(client) is None  # shown once; a second request cannot reveal it
    with container.sessions() as session:
        stored = session.get(Athlete, ATHLETE_ID)
        assert stored is not None
        assert stored.ical_token == ical.token_digest(token) != token

    response = client.get(f"/ical/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert client.get(f"/ical/{token[:-1]}x.ics").status_code == 404
    assert client.get("/ical/.ics").status_code == 404

    rotated = issue(client, rotate=True)
    assert rotated is not None
    assert client.get(f"/ical/{path}").status_code == 404  # the old URL stops working
    assert client.get(f"/ical/{rotated}").status_code == 200


def test_every_workout_is_an_all_day_event_with_paces_and_structure(client: TestClient) -> None:
    path = issue(client)
    body = client.get(f"/ical/{path}").content
    runs = [w for w in planner.generate_plan(TEN_K_RUNNER, TEN_K_RACE, PLAN_START).workouts() if w.is_run]
    by_uid = events(body)
    assert len(by_uid) == len(runs)
    first = by_uid[f"{runs[0].id}.plan1@runsmart"]
    assert first["dtstart"].dt == runs[0].date  # a date, not a time: all-day
    assert "Pace:" in str(first["description"])
    quality = next(w for w in runs if w.reps)
    text = str(by_uid[f"{quality.id}.plan1@runsmart"]["description"])
    assert f"{quality.reps[0].count} ×" in text


def test_the_feed_follows_a_plan_change(client: TestClient, container: Container) -> None:
    path = issue(client)
    before = client.get(f"/ical/{path}")
    etag = before.headers["etag"]
    assert client.get(f"/ical/{path}", headers={"if-none-match": etag}).status_code == 304

    workout = a_run_to_move(current_plan(container))
    moved_to = move_a_day_later(container, workout)

    after = client.get(f"/ical/{path}", headers={"if-none-match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    moved = events(after.content)[f"{workout.id}.plan1@runsmart"]
    assert moved["dtstart"].dt == moved_to
    assert int(moved["sequence"]) == 2
