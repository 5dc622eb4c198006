"""Planned workouts as FIT files through the real API app on PostgreSQL (webhooks/workout_files.py): the API-key
route and its 404 problems, the links in the calendar feed's and the plan page's events, and a file that follows
the plan when it changes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import fitdecode
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from pydantic import SecretStr

import planner
from composition.root import Container
from plans import commands
from store import plan_repository
from store.db import UnitOfWork
from store.models import ConnectionStatus, StravaConnection
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from webhooks.app import create_app

pytestmark = pytest.mark.integration
KEY = "app-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
START = date(2026, 7, 6)
NOW = datetime(2026, 7, 5, 12, tzinfo=UTC)
FIT = "application/vnd.ant.fit"


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


def current_plan(container: Container) -> planner.Plan:
    with container.sessions() as session:
        found = plan_repository.active_plan_and_version(session, ATHLETE_ID)
        assert found is not None
        return planner.plan_from_dict(found[1].plan)


def decoded(body: bytes) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with fitdecode.FitReader(io.BytesIO(body), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                out.setdefault(frame.name, []).append({f.name: f.value for f in frame.fields})
    return out


def api_path(workout_id: str, athlete_id: int = ATHLETE_ID) -> str:
    return f"/api/v1/athletes/{athlete_id}/workouts/{workout_id}.fit"


def test_the_api_serves_each_planned_workout_as_a_fit_file(client: TestClient, container: Container) -> None:
    plan = current_plan(container)
    quality = next(w for w in plan.workouts() if w.reps and w.reps[0].count > 2)
    assert client.get(api_path(quality.id)).status_code == 401

    response = client.get(api_path(quality.id), headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == FIT
    assert response.headers["content-disposition"] == f'attachment; filename="{quality.id}.fit"'
    messages = decoded(response.content)
    assert messages["file_id"][0]["type"] == "workout"
    steps = messages["workout_step"]
    work = [s for s in steps if s.get("intensity") == "interval"]
    repeat = next(s for s in steps if s["duration_type"] == "repeat_until_steps_cmplt")
    assert repeat["repeat_steps"] == quality.reps[0].count - 1  # and the last rep after it
    assert work[0]["duration_distance"] == pytest.approx(quality.reps[0].distance_m)
    assert 1000 / work[0]["custom_target_speed_high"] == pytest.approx(quality.reps[0].pace[0], abs=0.1)

    again = client.get(api_path(quality.id), headers={**AUTH, "if-none-match": response.headers["etag"]})
    assert again.status_code == 304


def test_unknown_athletes_and_workouts_are_404_problems(client: TestClient) -> None:
    for path in (api_path("w20990101"), api_path("w20260707", athlete_id=999_999), api_path("nothing")):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"


def test_every_calendar_event_links_its_workout_file(client: TestClient, container: Container) -> None:
    issued = client.post(f"/api/v1/athletes/{ATHLETE_ID}/ical", headers=AUTH).json()["url"]
    feed = client.get(urlsplit(issued).path)
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    runs = [w for w in current_plan(container).workouts() if w.is_run]
    assert len(events) == len(runs)
    for event, w in zip(
        sorted(events, key=lambda e: str(e["uid"])), sorted(runs, key=lambda w: w.id), strict=True
    ):
        url = str(event["url"])
        assert url.endswith(f"/workouts/{w.id}.fit")
        assert url in str(event["description"])
    link = urlsplit(str(events[0]["url"])).path
    from_feed = client.get(link)
    assert from_feed.status_code == 200
    assert from_feed.headers["content-type"] == FIT
    workout_id = link.rsplit("/", 1)[1].removesuffix(".fit")
    assert from_feed.content == client.get(api_path(workout_id), headers=AUTH).content

    token = link.split("/")[2]
    assert client.get(link.replace(token, token[:-1] + "x")).status_code == 404
    assert client.get(link.replace(workout_id, "w20990101")).status_code == 404
    with UnitOfWork(container.sessions) as uow:
        connection = uow.session.get(StravaConnection, ATHLETE_ID)
        assert connection is not None
        connection.status = ConnectionStatus.REVOKED
        uow.commit()
    assert client.get(link).status_code == 410


def test_the_plan_pages_calendar_links_files_that_close_with_the_page(client: TestClient) -> None:
    page = urlsplit(
        client.post(f"/api/v1/athletes/{ATHLETE_ID}/plan-page-link", headers=AUTH).json()["url"]
    ).path
    calendar = client.get(f"{page}/calendar.ics")
    event = Calendar.from_ical(calendar.content).walk("VEVENT")[0]
    link = urlsplit(str(event["url"])).path
    assert link.startswith(f"{page}/workouts/")
    assert client.get(link).headers["content-type"] == FIT

    assert client.delete(f"/api/v1/athletes/{ATHLETE_ID}/plan-page-link", headers=AUTH).status_code == 200
    closed = client.get(link)
    assert closed.status_code == 404
    assert closed.text == client.get("/p/unknown-token").text  # the page's own 404, nothing more


def test_the_file_follows_a_plan_change(client: TestClient, container: Container) -> None:
    plan = current_plan(container)
    taken = {w.date for w in plan.workouts()}
    workout = next(
        w
        for w in plan.workouts()
        if w.is_run
        and w.date > START + timedelta(days=14)
        and w.date + timedelta(days=1) not in taken
        and w.date.weekday() < 6
    )
    before = client.get(api_path(workout.id), headers=AUTH)
    with UnitOfWork(container.sessions) as uow:
        commands.move(uow.session, ATHLETE_ID, workout.id, workout.date + timedelta(days=1), now=NOW)
        uow.commit()
    after = client.get(api_path(workout.id), headers={**AUTH, "if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    moved_to = workout.date + timedelta(days=1)
    description = decoded(after.content)["workout"][0]["wkt_description"]
    assert description.startswith(f"{moved_to:%a %d %b %Y}")
