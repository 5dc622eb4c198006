"""`runsmart athletes list` shows connected athletes against the Strava application's athlete capacity."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from composition.root import Container
from store.db import UnitOfWork
from store.models import ConnectionStatus, StravaConnection
from tests.integration.conftest import connect_athlete
from workers import runtime

pytestmark = pytest.mark.integration


def revoke(container: Container, athlete_id: int) -> None:
    with UnitOfWork(container.sessions) as uow:
        connection = uow.session.get(StravaConnection, athlete_id)
        assert connection is not None
        connection.status = ConnectionStatus.REVOKED
        uow.commit()


def list_athletes(container: Container, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(runtime, "container", lambda: container)
    result = CliRunner().invoke(app, ["athletes", "list"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_list_counts_connected_athletes_against_the_capacity_without_the_revoked(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container.settings.strava_athlete_capacity = 5
    for athlete_id in (1, 2, 3):
        connect_athlete(container, athlete_id)
    revoke(container, 2)
    output = list_athletes(container, monkeypatch)
    assert "Strava athlete capacity: 2 of 5 connected" in output
    assert "full" not in output


@pytest.mark.parametrize(("capacity", "note"), [(3, "one place left"), (2, "full")])
def test_the_list_says_when_the_capacity_is_nearly_or_fully_used(
    container: Container, monkeypatch: pytest.MonkeyPatch, capacity: int, note: str
) -> None:
    container.settings.strava_athlete_capacity = capacity
    for athlete_id in (1, 2):
        connect_athlete(container, athlete_id)
    output = list_athletes(container, monkeypatch)
    assert f"2 of {capacity} connected — {note}" in " ".join(output.split())
