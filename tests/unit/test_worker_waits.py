"""Which waits a task holds as a Celery countdown and which it leaves to a sweeper (sync.events.MAX_HELD_WAIT_S).

A worker holds every countdown in memory until it is due (~28 KB each, docs/scaling.md), so only short waits are
countdowns; the row's `next_attempt_at` covers the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from notify.delivery import Delivered
from workers import jobs


class ScriptedNotifier:
    def __init__(self, *answers: Delivered) -> None:
        self.answers = list(answers)
        self.calls = 0

    def deliver(self, outbox_id: int) -> Delivered:
        self.calls += 1
        return self.answers.pop(0)


@pytest.fixture
def eager() -> Iterator[None]:
    jobs.app.conf.task_always_eager = True
    yield
    jobs.app.conf.task_always_eager = False


def run_deliver(monkeypatch: pytest.MonkeyPatch, notifier: ScriptedNotifier) -> str:
    monkeypatch.setattr(jobs, "container", lambda: SimpleNamespace(notifier=notifier))
    return str(jobs.deliver.apply(args=[7]).get())


@pytest.mark.usefixtures("eager")
def test_a_short_delivery_wait_is_a_countdown(monkeypatch: pytest.MonkeyPatch) -> None:
    notifier = ScriptedNotifier(Delivered("retrying", retry_in_s=30), Delivered("delivered"))
    # Eager mode runs the retry at once: the second call is the countdown's.
    assert run_deliver(monkeypatch, notifier) == "delivered"
    assert notifier.calls == 2


@pytest.mark.usefixtures("eager")
def test_a_long_delivery_wait_is_left_to_the_sweeper(monkeypatch: pytest.MonkeyPatch) -> None:
    notifier = ScriptedNotifier(Delivered("retrying", retry_in_s=600))
    assert run_deliver(monkeypatch, notifier) == "retrying"
    assert notifier.calls == 1  # no countdown: notify.redrive re-enqueues the row when it is due
