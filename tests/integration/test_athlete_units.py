"""The athlete's units preference (docs/notifications.md#what-the-athlete-reads): set through the internal API
or the CLI, stored on the athlete (migration 0009, metric by default), and followed by every message they
receive and by their calendar feed."""

from __future__ import annotations

import re

import pytest
import responses
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app
from composition.root import Container
from messages import Units
from store import plan_repository
from tests.integration.conftest import ATHLETE_ID, AUTH, connect_athlete
from tests.integration.test_plans_pipeline import first_workout, outbox, push_run, start_plan
from tests.unit.messages.checks import problems
from workers import runtime

pytestmark = pytest.mark.integration

PREFERENCES = f"/api/v1/athletes/{ATHLETE_ID}/preferences"


def stored_units(container: Container) -> str:
    with container.sessions() as session:
        athlete = plan_repository.get_athlete(session, ATHLETE_ID)
        assert athlete is not None
        return athlete.units


def test_an_athlete_reads_metric_until_they_choose_and_the_api_sets_and_reads_it(
    client: TestClient, container: Container
) -> None:
    assert client.get(PREFERENCES, headers=AUTH).status_code == 404  # unknown athlete
    connect_athlete(container)
    assert stored_units(container) == "metric"  # the column's default
    assert client.get(PREFERENCES).status_code == 401
    assert client.get(PREFERENCES, headers=AUTH).json() == {"units": "metric"}
    refused = client.put(PREFERENCES, json={"units": "furlongs"}, headers=AUTH)
    assert refused.status_code == 422
    assert stored_units(container) == "metric"
    assert client.put(PREFERENCES, json={"units": "imperial"}, headers=AUTH).json() == {"units": "imperial"}
    assert stored_units(container) == "imperial"
    assert client.get(PREFERENCES, headers=AUTH).json() == {"units": "imperial"}


def test_the_cli_sets_the_units(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    connect_athlete(container)
    monkeypatch.setattr(runtime, "container", lambda: container)
    runner = CliRunner()
    assert runner.invoke(app, ["athletes", "units", str(ATHLETE_ID), "imperial"]).exit_code == 0
    assert stored_units(container) == "imperial"
    refused = runner.invoke(app, ["athletes", "units", str(ATHLETE_ID), "furlongs"])
    assert refused.exit_code != 0
    assert stored_units(container) == "imperial"
    assert runner.invoke(app, ["athletes", "units", "999", "metric"]).exit_code != 0


@pytest.mark.parametrize("units", list(Units))
def test_every_message_follows_the_athletes_units(
    client: TestClient, container: Container, strava: responses.RequestsMock, units: Units
) -> None:
    connect_athlete(container)
    assert client.put(PREFERENCES, json={"units": units.value}, headers=AUTH).status_code == 200
    start_plan(container)
    workout = first_workout(container)
    event = push_run(container, strava, workout.date, 501, distance_m=workout.distance_m)
    assert container.events.process(event).outcome == "synced"

    rows = outbox(container)
    kinds = {row.event_type for row in rows}
    assert {"plan.updated", "workout.matched"} <= kinds
    unit = r"\bmi\b" if units is Units.IMPERIAL else r"\bkm\b"
    for row in rows:
        message = row.payload["message"]
        text = "\n".join([message["headline"], message["body"], *message["details"]])
        assert not problems(text, units), (row.event_type, text, problems(text, units))
        assert re.search(unit, text), (row.event_type, text)
    decided = [
        r
        for r in rows
        if r.event_type == "plan.updated" and r.payload["changes"] and r.payload["cause"] != "generated"
    ]
    assert decided, "the under-run first week made no decision"
    for row in decided:  # what changed, workout by workout, each with its line, in SI units beside it
        assert row.payload["workouts"]
        for line in row.payload["workouts"]:
            assert line["text"] in row.payload["message"]["body"] or len(row.payload["workouts"]) > 6
            assert line["after"] is None or line["after"]["distance_m"] >= 0
        assert all(change["facts"] for change in row.payload["changes"])


def test_the_calendar_feed_follows_the_athletes_units(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    start_plan(container)
    token = (
        client.post(f"/api/v1/athletes/{ATHLETE_ID}/ical", headers=AUTH).json()["url"].rsplit("/ical/", 1)[1]
    )
    metric = client.get(f"/ical/{token}").text
    assert client.put(PREFERENCES, json={"units": "imperial"}, headers=AUTH).status_code == 200
    imperial = client.get(f"/ical/{token}").text
    assert "/km" in metric
    assert "/mi" not in metric
    assert "/mi" in imperial
    assert "/km" not in imperial
