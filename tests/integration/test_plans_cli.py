"""`runsmart plan show` (table and chart) and `runsmart athletes list` over a stored plan."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from cli.main import app
from composition.root import Container
from tests.integration.conftest import ATHLETE_ID, connect_athlete
from tests.integration.test_plans_pipeline import first_workout, push_run, start_plan
from workers import runtime

pytestmark = pytest.mark.integration


def test_plan_show_prints_weeks_and_reasons_and_draws_the_chart(
    container: Container, strava: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(runtime, "container", lambda: container)
    connect_athlete(container)
    start_plan(container)
    workout = first_workout(container)
    container.events.process(push_run(container, strava, workout.date, 501, distance_m=workout.distance_m))
    png = tmp_path / "plan.png"

    result = CliRunner().invoke(
        app, ["plan", "show", str(ATHLETE_ID), "--chart", str(png)], terminal_width=200
    )

    assert result.exit_code == 0, result.output
    assert "planned" in result.output
    assert "volume_rebuild" in result.output or "return_after_break" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_show_for_an_athlete_without_a_plan_says_so(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "container", lambda: container)
    connect_athlete(container)
    result = CliRunner().invoke(app, ["plan", "show", str(ATHLETE_ID)])
    assert result.exit_code == 1
    assert "no active plan" in result.output


def test_athletes_list(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "container", lambda: container)
    connect_athlete(container)
    start_plan(container)
    result = CliRunner().invoke(app, ["athletes", "list"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert str(ATHLETE_ID) in result.output
    assert "active" in result.output
    assert "race" in result.output


def test_plan_scorecard_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "scorecard.md"

    result = CliRunner().invoke(
        app, ["plan", "scorecard", "--athletes", "18", "--seed", "3", "--out", str(out), "--strict"]
    )

    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Cohort: 18 synthetic athletes (seed 3)" in text
    assert "| `next_over_actual` | hard | adaptation |" in text
    assert "next_over_actual" in result.output
