"""`runsmart worker` hands over to `python -m workers.process` (os.execv), which runs Celery's worker with the
same options, in an interpreter without the command line's own imports (workers/process.py)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

import workers.process
from cli.main import app as cli
from workers.celery_app import app as celery_app


class Replaced(Exception):
    """What the fake os.execv raises instead of replacing the test process."""


def test_the_worker_command_replaces_itself_with_the_worker_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[str]]] = []

    def execv(path: str, argv: list[str]) -> None:
        calls.append((path, argv))
        raise Replaced

    monkeypatch.setattr("os.execv", execv)
    result = CliRunner().invoke(cli, ["worker", "--pool", "solo", "--concurrency", "3", "--queues", "strava"])
    assert isinstance(result.exception, Replaced)
    [(path, argv)] = calls
    assert path == sys.executable
    assert argv == [
        sys.executable, "-m", "workers.process",
        "--concurrency=3", "--pool=solo", "--queues=strava", "--loglevel=INFO",
    ]  # fmt: skip


def test_the_worker_process_runs_celerys_worker_with_those_options(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setattr(celery_app, "worker_main", started.append)
    monkeypatch.setattr(workers.process, "configure_logging", lambda: started.append("logging"))
    workers.process.main(["--concurrency=3", "--pool=solo"])
    assert started == ["logging", ["worker", "--concurrency=3", "--pool=solo"]]


def test_the_worker_process_holds_none_of_the_command_lines_imports() -> None:
    code = (
        "import sys, workers.process, workers.celery_app, workers.tasks, workers.jobs;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'cli', 'simulator'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
