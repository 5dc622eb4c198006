"""`make demo` runs in CI too: the embedded default (SQLite, filesystem broker, simulator) end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cli.demo import run_demo
from store.db import engine_for, session_factory
from store.models import Activity, StravaEvent

pytestmark = pytest.mark.e2e


def test_the_demo_syncs_a_season_on_the_embedded_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "demo"
    assert run_demo(weeks=2, workdir=workdir) == 0
    url = f"sqlite:///{(workdir / 'runsmart.db').resolve()}"
    with session_factory(engine_for(url))() as session:
        activities = list(session.scalars(select(Activity)))
        outcomes = sorted(e.outcome or "" for e in session.scalars(select(StravaEvent)))
    assert len(activities) >= 5
    assert any(a.name == "Easy run with the club" for a in activities)
    assert any(not a.is_run and a.sport_type == "Ride" for a in activities)
    assert outcomes.count("deleted") == 1
    assert outcomes.count("updated_locally") == 1
    assert set(outcomes) <= {"synced", "deleted", "updated_locally"}
    printed = capsys.readouterr().out
    assert "{'status': 'duplicate'}" in printed
    assert not (Path.cwd() / "control").exists()
    # The loop: the plan changed with reasons, and every notification arrived signed and verified.
    assert "Plan changes and their reasons" in printed
    assert printed.count("verified") >= 3
    assert "INVALID" not in printed
    assert "plan.updated" in printed
    assert "workout.matched" in printed
    chart = workdir / "plan.png"
    assert chart.exists()
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
