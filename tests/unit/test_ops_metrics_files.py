"""The multiprocess metrics plumbing (runsmart/ops_metrics.py): a start removes only the files of processes that
no longer run; a task's queue wait starts at its publish, or at the end of its countdown."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from runsmart import ops_metrics


def finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_start_removes_the_files_of_dead_processes_and_keeps_the_live_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead, alive = finished_pid(), os.getppid()
    for name in (
        f"counter_{dead}.db",
        f"histogram_{dead}.db",
        f"counter_{alive}.db",
        f"gauge_livesum_{alive}.db",
    ):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv(ops_metrics.MULTIPROC_ENV, str(tmp_path))

    assert ops_metrics.prepare_multiprocess_dir() == str(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"counter_{alive}.db",
        f"gauge_livesum_{alive}.db",
        "notes.txt",
    ]


def test_without_the_variable_nothing_is_prepared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ops_metrics.MULTIPROC_ENV, raising=False)
    assert ops_metrics.prepare_multiprocess_dir() is None


def observed(name: str) -> float:
    return REGISTRY.get_sample_value(f"runsmart_task_queue_wait_seconds_{name}", {"queue": "strava"}) or 0.0


def waited(request: SimpleNamespace) -> tuple[float, float]:
    """(waits observed, seconds observed) by one task start."""
    task = SimpleNamespace(name="sync.process_event", request=request)
    count, total = observed("count"), observed("sum")
    ops_metrics.task_started("task-1", task)
    ops_metrics._started.pop("task-1", None)
    return observed("count") - count, observed("sum") - total


def test_the_queue_wait_runs_from_the_publish_or_from_the_end_of_the_countdown() -> None:
    now = time.time()
    delivery = {"routing_key": "strava"}
    sent = {ops_metrics.SENT_AT_HEADER: now - 30}
    count, seconds = waited(SimpleNamespace(delivery_info=delivery, eta=None, **sent))
    assert count == 1
    assert 29 < seconds < 40
    due_10s_ago = datetime.fromtimestamp(now - 10, UTC).isoformat()
    count, seconds = waited(SimpleNamespace(delivery_info=delivery, eta=due_10s_ago, **sent))
    assert count == 1
    assert 9 < seconds < 20
    # A message published without the header (an older producer) is not counted at all.
    assert waited(SimpleNamespace(delivery_info=delivery, eta=None)) == (0, 0)
