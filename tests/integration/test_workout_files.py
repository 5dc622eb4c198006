"""Planned workouts as FIT files through the real API app on PostgreSQL (webhooks/workout_files.py): the API-key
route and its 404 problems, the links in the calendar feed's and the plan page's events, and a file that follows
the plan when it changes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import fitdecode
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from composition.root import Container
from store.models import ConnectionStatus, StravaConnection
from tests.integration.conftest import (
    ATHLETE_ID,
    AUTH,
    a_run_to_move,
    api_client,
    move_a_day_later,
    update_row,
)
from tests.integration.test_plans_pipeline import current_plan

pytestmark = pytest.mark.integration
FIT = "application/vnd.ant.fit"


@pytest.fixture
def client(container: Container, ten_k_plan: None) -> Iterator[TestClient]:
    with api_client(container) as c:
        yield c


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
    update_row(container, StravaConnection, ATHLETE_ID, status=ConnectionStatus.REVOKED)
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
    workout = a_run_to_move(current_plan(container))
    before = client.get(api_path(workout.id), headers=AUTH)
    moved_to = move_a_day_later(container, workout)
    after = client.get(api_path(workout.id), headers={**AUTH, "if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    description = decoded(after.content)["workout"][0]["wkt_description"]
    assert description.startswith(f"{moved_to:%a %d %b %Y}")
