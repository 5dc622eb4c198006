"""The iCal feed through the real API app on PostgreSQL: a token is required, only its digest is stored, and
the calendar follows every plan change (ETag changes, events move)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from pydantic import SecretStr

import planner
from composition.root import Container
from notify import ical
from plans import commands
from store.db import UnitOfWork
from store.models import Athlete
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from webhooks.app import create_app

pytestmark = pytest.mark.integration
KEY = "app-key-0123456789abcdef"
START = date(2026, 7, 6)
NOW = datetime(2026, 7, 5, 12, tzinfo=UTC)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    container.settings.api_keys = SecretStr(KEY)
    connect_athlete(container)
    with UnitOfWork(container.sessions) as uow:
        commands.create_from_goal(
            uow.session,
            ATHLETE_ID,
            athlete=planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45),
            goal=planner.Goal(planner.GoalKind.RACE, START + timedelta(weeks=10, days=6), 10_000),
            start=START,
            timezone="Europe/Amsterdam",
            now=NOW,
        )
        uow.commit()
    with TestClient(create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True)) as c:
        yield c


def issue(client: TestClient, rotate: bool = False) -> str | None:
    response = client.post(
        f"/api/v1/athletes/{ATHLETE_ID}/ical",
        params={"rotate": rotate},
        headers={"Authorization": f"Bearer {KEY}"},
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
    runs = [
        w
        for w in planner.generate_plan(
            planner.Athlete(weekly_km=40, runs_per_week=4, vdot=45),
            planner.Goal(planner.GoalKind.RACE, START + timedelta(weeks=10, days=6), 10_000),
            START,
        ).workouts()
        if w.is_run
    ]
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

    plan = planner.plan_from_dict(_current(container))
    taken = {w.date for w in plan.workouts()}
    workout = next(
        w
        for w in plan.workouts()
        if w.is_run
        and w.date > START + timedelta(days=14)
        and w.date + timedelta(days=1) not in taken
        and w.date.weekday() < 6
    )
    with UnitOfWork(container.sessions) as uow:
        commands.move(uow.session, ATHLETE_ID, workout.id, workout.date + timedelta(days=1), now=NOW)
        uow.commit()

    after = client.get(f"/ical/{path}", headers={"if-none-match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    moved = events(after.content)[f"{workout.id}.plan1@runsmart"]
    assert moved["dtstart"].dt == workout.date + timedelta(days=1)
    assert int(moved["sequence"]) == 2


def _current(container: Container) -> dict[str, object]:
    from store import plan_repository

    with container.sessions() as session:
        plan = plan_repository.active_plan(session, ATHLETE_ID)
        assert plan is not None
        return plan_repository.current_version(session, plan).plan
