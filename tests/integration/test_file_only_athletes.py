"""Athletes who never connect Strava (docs/sources.md#file-only-athletes): made by `POST /api/v1/athletes` or
`runsmart athletes add` under a negative id, then served end to end from files: a plan, an imported FIT run
matched against it, the plan page, the calendar, the workout files, the weekly review; nothing that needs
Strava selects them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from composition.root import Container
from jobs import review, service
from sources.files.synthetic import RunSpec, fit_file
from store import athlete_repository, repository
from store.db import UnitOfWork, engine_for, session_factory
from store.migrate import upgrade
from store.models import Athlete
from store.plan_models import NotificationOutbox
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from tests.integration.test_plans_api import goal_body
from webhooks.app import create_app
from workers import runtime

pytestmark = pytest.mark.integration

KEY = "file-only-athletes-key-0123456789"
TZ = "Europe/Amsterdam"
NEW = {"first_name": "Ada", "last_name": "Lovelace", "timezone": TZ, "units": "metric"}


@pytest.fixture
def client(container: Container, tmp_path: Path) -> Iterator[TestClient]:
    container.settings.api_keys = SecretStr(KEY)
    container.settings.import_files_dir = str(tmp_path / "files")
    served = create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True)
    with TestClient(served, raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {KEY}"
        yield test_client


def create(client: TestClient, **changes: Any) -> Any:
    # json.dumps escapes what UTF-8 cannot carry ("\\ud800"): a lone surrogate arrives as JSON sends it.
    body = json.dumps({**NEW, **changes})
    return client.post("/api/v1/athletes", content=body, headers={"Content-Type": "application/json"})


def athlete_count(container: Container) -> int:
    with container.sessions() as session:
        return session.scalar(select(func.count()).select_from(Athlete)) or 0


def this_monday() -> date:
    today = datetime.now(ZoneInfo(TZ)).date()
    return today - timedelta(days=today.weekday())


def test_an_athlete_without_strava_gets_a_negative_id_and_is_answered_as_sent(client: TestClient) -> None:
    made = create(client, first_name="  Ada ")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["id"] < 0
    assert {k: body[k] for k in NEW} == NEW  # the first name trimmed
    assert body["strava_connected"] is False
    assert client.get(f"/api/v1/athletes/{body['id']}/preferences").json() == {"units": "metric"}
    imperial = create(client, units="imperial", last_name="").json()
    assert (imperial["units"], imperial["last_name"]) == ("imperial", "")
    assert (
        client.post("/api/v1/athletes", json=NEW, headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )


def test_ids_never_meet_strava_athlete_ids_nor_each_other(client: TestClient, container: Container) -> None:
    connect_athlete(container)  # a Strava athlete, under Strava's (positive) id
    connect_athlete(container, 1)  # the lowest Strava id there can be
    ids = [create(client).json()["id"] for _ in range(5)]
    assert all(i < 0 for i in ids)
    assert len(set(ids)) == 5
    with container.sessions() as session:
        assert athlete_repository.count_connected(session) == 2  # the capacity counts Strava's athletes only
        assert not any(athlete_repository.holds_capacity_place(session, i) for i in ids)
        # Nothing that needs Strava selects them: reconciliation starts from active Strava connections.
        assert set(repository.active_athlete_ids(session)) == {ATHLETE_ID, 1}


def test_the_demo_database_allocates_below_every_id_without_reuse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    sessions = session_factory(engine_for(url))
    now = datetime.now(UTC)
    with UnitOfWork(sessions) as uow:
        uow.session.add(Athlete(id=ATHLETE_ID, created_at=now))  # a Strava athlete
        uow.commit()
    made = []
    for _ in range(3):
        with UnitOfWork(sessions) as uow:
            athlete = athlete_repository.add_file_only_athlete(
                uow.session, firstname="A", lastname="", timezone=TZ, units="metric", now=now
            )
            made.append(athlete.id)
            uow.commit()
    assert made == [-1, -2, -3]
    engine_for(url).dispose()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": "   "}, "first_name"),
        ({"first_name": "Ada\x00"}, "first_name"),
        ({"first_name": "Ada\nLovelace"}, "first_name"),
        ({"first_name": "\ud800"}, "first_name"),
        ({"first_name": 5}, "first_name"),
        ({"first_name": "A" * 101}, "first_name"),
        ({"last_name": "L" * 101}, "last_name"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "europe/amsterdam"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": "Europe/" + "x" * 100}, "timezone"),
        ({"units": "furlongs"}, "units"),
        ({"strava_id": 134815}, "strava_id"),
    ],
)
def test_bad_input_is_a_422_problem_and_makes_no_athlete(
    client: TestClient, container: Container, changes: dict[str, Any], field: str
) -> None:
    response = create(client, **changes)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [e["loc"][:2] for e in problem["errors"]] == [["body", field]]
    for value in changes.values():
        if isinstance(value, str) and len(value.strip()) > 3:
            assert value not in response.text  # the input is never echoed
    assert athlete_count(container) == 0


def test_a_required_field_missing_is_a_422(client: TestClient, container: Container) -> None:
    for field in ("first_name", "timezone"):
        body = {k: v for k, v in NEW.items() if k != field}
        response = client.post("/api/v1/athletes", json=body)
        assert (response.status_code, response.json()["errors"][0]["loc"]) == (422, ["body", field])
    assert athlete_count(container) == 0


def import_planned_run(client: TestClient, athlete_id: int) -> tuple[dict[str, Any], dict[str, Any], date]:
    """A plan that began last week, and a FIT run on the day and of the distance of its first run."""
    start = this_monday() - timedelta(days=7)
    planned = client.put(f"/api/v1/athletes/{athlete_id}/plan", json=goal_body(start=start.isoformat()))
    assert planned.status_code == 200, planned.text
    plan = client.get(f"/api/v1/athletes/{athlete_id}/plan").json()
    first = next(w for w in plan["weeks"][0]["workouts"] if w["distance_m"])
    day = date.fromisoformat(first["date"])
    km = first["distance_m"] / 1000
    at = datetime.combine(day, time(7, 0), tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    run = RunSpec(start=at, elapsed_s=int(km * 350), distance_m=first["distance_m"], laps=2)
    uploaded = client.post(
        f"/api/v1/athletes/{athlete_id}/activities",
        files={"file": ("run.fit", fit_file(run), "application/octet-stream")},
    )
    assert uploaded.status_code == 201, uploaded.text
    return first, uploaded.json(), start


def test_from_creation_to_the_weekly_review_without_strava(client: TestClient, container: Container) -> None:
    athlete_id = create(client).json()["id"]
    base = f"/api/v1/athletes/{athlete_id}"
    workout, imported, start = import_planned_run(client, athlete_id)
    assert (imported["outcome"], imported["format"]) == ("imported", "fit")
    run_id = imported["activity_id"]
    assert run_id < 0

    # The plan matched the run, and told the athlete through the outbox.
    plan = client.get(f"{base}/plan").json()
    done = next(w for week in plan["weeks"] for w in week["workouts"] if w["id"] == workout["id"])
    assert done["status"] == "completed", done
    assert done["activity_ids"] == [run_id], done
    with container.sessions() as session:
        kinds = set(
            session.scalars(
                select(NotificationOutbox.event_type).where(NotificationOutbox.athlete_id == athlete_id)
            )
        )
    assert "workout.matched" in kinds

    # The plan page, its coming workouts' FIT files and the calendar feed.
    link = client.post(f"{base}/plan-page-link")
    assert link.status_code == 200, link.text
    page = re.sub(r"^https?://[^/]+", "", link.json()["url"])
    html = client.get(page)
    assert html.status_code == 200
    fit_link = re.search(r'href="([^"]+)\.fit" download data-workout-file', html.text)
    assert fit_link is not None
    served = client.get(f"/p/{fit_link.group(1)}.fit")
    assert (served.status_code, served.content[8:12]) == (200, b".FIT")
    feed = client.post(f"{base}/ical")
    assert feed.status_code == 200, feed.text
    calendar = client.get(re.sub(r"^https?://[^/]+", "", feed.json()["url"]))
    assert calendar.status_code == 200
    assert "BEGIN:VEVENT" in calendar.text

    # The week the run was in is reviewed like any athlete's: its run counted.
    monday_after = datetime.combine(start + timedelta(days=7), time(20, 5), tzinfo=ZoneInfo(TZ))
    result = review.review_all(container.sessions, now=monday_after.astimezone(UTC), hour=20)
    assert result.written == 1
    with container.sessions() as session:
        [row] = session.scalars(
            select(NotificationOutbox).where(NotificationOutbox.event_type == service.WEEK_REVIEWED)
        )
    assert row.athlete_id == athlete_id
    assert row.payload["week_start"] == start.isoformat()
    assert row.payload["done_runs"] == 1
    assert row.payload["done_km"] == pytest.approx(workout["distance_m"] / 1000, abs=0.05)


def test_runsmart_athletes_add_and_import(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "container", lambda: container)
    container.settings.import_files_dir = str(tmp_path / "files")
    added = CliRunner().invoke(cli, ["athletes", "add", "--name", "Ada King Lovelace", "--timezone", TZ])
    assert added.exit_code == 0, added.output
    match = re.search(r"athlete (-\d+) added", added.output)
    assert match, added.output
    athlete_id = int(match.group(1))
    with container.sessions() as session:
        row = session.get(Athlete, athlete_id)
        assert row is not None
        assert (row.firstname, row.lastname, row.timezone, row.units) == (
            "Ada",
            "King Lovelace",
            TZ,
            "metric",
        )
    run = tmp_path / "run.fit"
    run.write_bytes(
        fit_file(RunSpec(start=datetime.now(UTC) - timedelta(days=1), elapsed_s=1800, distance_m=5000))
    )
    imported = CliRunner().invoke(cli, ["import", str(run), "--athlete", str(athlete_id)])
    assert imported.exit_code == 0, imported.output
    assert "1 imported" in imported.output
    listed = CliRunner().invoke(cli, ["athletes", "list"], env={"COLUMNS": "200"})
    assert "files only" in listed.output
    for bad in (["--timezone", "Mars/Base"], ["--timezone", TZ, "--units", "furlongs"]):
        refused = CliRunner().invoke(cli, ["athletes", "add", "--name", "Ada", *bad])
        assert refused.exit_code == 2, refused.output
        assert "error:" in refused.output
    refused = CliRunner().invoke(cli, ["athletes", "add", "--name", " ", "--timezone", TZ])
    assert refused.exit_code == 2
    assert athlete_count(container) == 1
