"""More ordinary mistakes at the `runsmart` command line, found by trying every command as a new operator would:
each is one line on stderr and a non-zero exit, never a traceback, and nothing starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from composition.root import Container

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def run_cli(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNSMART_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env={**clean, "RUNSMART_ENV": "test", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout[-500:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr[-3000:]
    assert lines[0].startswith("error: "), done.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_a_migration_that_does_not_exist_is_one_line(command: str, clean_db: str, tmp_path: Path) -> None:
    confirmed = ["--yes"] if command == "downgrade" else []
    done = run_cli(["db", command, "nonsense", *confirmed], tmp_path, RUNSMART_DATABASE_URL=clean_db)
    assert done.returncode == 1
    assert "nonsense" in one_line_error(done)


def test_a_downgrade_asks_first_and_changes_nothing_unconfirmed(clean_db: str, tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from store.db import engine_for

    before = sorted(inspect(engine_for(clean_db)).get_table_names())
    done = run_cli(["db", "downgrade", "base"], tmp_path, RUNSMART_DATABASE_URL=clean_db)  # no answer given
    assert done.returncode != 0
    assert "dropped" in done.stdout + done.stderr  # the question said what would be lost
    assert sorted(inspect(engine_for(clean_db)).get_table_names()) == before


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["api", "--port", "99999"], "--port"),
        (["worker", "--pool", "nope"], "--pool"),
        (["worker", "--queues", "strava,stravaa"], "--queues"),
    ],
)
def test_a_bad_server_option_is_refused_before_anything_starts(
    argv: list[str], option: str, tmp_path: Path
) -> None:
    done = run_cli(argv, tmp_path, RUNSMART_REDIS_URL="redis://127.0.0.1:9/0")
    assert done.returncode == 2
    assert option in one_line_error(done)


def test_a_redis_url_that_is_not_one_is_a_configuration_error(tmp_path: Path) -> None:
    done = run_cli(["reconcile", "--all"], tmp_path, RUNSMART_REDIS_URL="localhost:6379")
    assert done.returncode == 1
    line = one_line_error(done)
    assert "configuration error" in line
    assert "RUNSMART_REDIS_URL" in line


@pytest.mark.parametrize("argv", [[], ["athletes"], ["strava", "subscription"]])
def test_a_bare_group_shows_its_help_without_an_empty_error(argv: list[str], tmp_path: Path) -> None:
    done = run_cli(argv, tmp_path)
    assert done.returncode != 0
    assert "Usage:" in done.stdout + done.stderr
    assert "error:" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_replaying_an_id_that_is_not_a_dead_letter_names_it_and_replays_nothing(
    container: Container, enqueued_outbox: list[list[int]]
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from store.plan_models import NotificationOutbox
    from tests.integration.conftest import connect_athlete
    from tests.integration.helpers_notify import outbox_row

    connect_athlete(container)
    dead = outbox_row(container, "k:dead", "dead")

    done = CliRunner().invoke(app, ["notifications", "replay", str(dead), str(dead + 1000)])
    assert done.exit_code == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"error: no dead notification with id {dead + 1000} (see `runsmart notifications dead`)"]
    assert enqueued_outbox == []  # all or nothing: the dead one named beside the typo is not replayed either
    with container.sessions() as session:
        stored = session.get(NotificationOutbox, dead)
        assert stored is not None
        assert stored.status == "dead"
