"""A user's mistake at the `runsmart` command line is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from cli.main import app
from composition.root import Container
from runsmart.settings import DEV_TOKEN_KEY
from workers import runtime

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# The planner helpers own `plan` and the scenario tool; every other command is checked here.
NOT_OURS = {"plan"}


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["backfill", "999"], "athlete 999 has never connected Strava"),
        (["reconcile", "999"], "athlete 999 has never connected Strava"),
        (["backfill"], "Missing argument"),
        (["backfill", "nine"], "Invalid value"),
        (["notifications", "replay", "x"], "Invalid value"),
        (["no-such-command"], "No such command"),
    ],
)
def test_ordinary_mistakes_get_one_line(
    argv: list[str], expected: str, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "container", lambda: container)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code != 0
    assert expected in one_line_error(result.stderr)


def run_cli(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNSMART_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_production_configuration_error_names_the_variables_without_the_secrets(
    clean_db: str, tmp_path: Path
) -> None:
    done = run_cli(
        ["db", "upgrade"],
        tmp_path,
        RUNSMART_ENV="production",
        RUNSMART_DATABASE_URL=clean_db,
        RUNSMART_TOKEN_KEY=f"{DEV_TOKEN_KEY},{Fernet.generate_key().decode()}",
        RUNSMART_STRAVA_CLIENT_SECRET="CHANGE_ME",
        RUNSMART_API_KEYS="changemechangeme",
    )
    assert done.returncode == 1
    line = one_line_error(done.stderr)
    for name in ("RUNSMART_TOKEN_KEY", "RUNSMART_STRAVA_CLIENT_SECRET", "RUNSMART_API_KEYS"):
        assert name in line
    assert DEV_TOKEN_KEY not in line
    assert "changemechangeme" not in line


def test_db_upgrade_in_production_without_a_database_url_creates_nothing(tmp_path: Path) -> None:
    done = run_cli(["db", "upgrade"], tmp_path, RUNSMART_ENV="production")
    assert done.returncode == 1
    assert "RUNSMART_DATABASE_URL" in one_line_error(done.stderr)
    assert list(tmp_path.iterdir()) == []  # no ./runsmart.db


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    done = run_cli(
        ["notifications", "dead"],
        tmp_path,
        RUNSMART_ENV="test",
        RUNSMART_DATABASE_URL="postgresql+psycopg://runsmart:s3cret-pw@127.0.0.1:9/nowhere",
    )
    assert done.returncode == 1
    line = one_line_error(done.stderr)
    assert "cannot reach the database" in line
    assert "s3cret-pw" not in line


def walk(command, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        if name not in NOT_OURS:
            yield from walk(sub, (*path, name))


def test_every_option_and_argument_has_help_text() -> None:
    import typer.main

    root = typer.main.get_command(app)
    missing = [
        " ".join((*path, param.name or "?"))
        for path, command in walk(root)
        for param in command.params
        if param.name != "help" and not (getattr(param, "help", None) or "").strip()
    ]
    assert missing == []
    assert len(list(walk(root))) > 15  # the walk really reached the subcommands
