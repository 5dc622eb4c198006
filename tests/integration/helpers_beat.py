"""Beat at the scheduler level for the RedBeat tests: what it would send is counted, and an entry is made due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery
from redbeat.schedulers import RedBeatSchedulerEntry


class CountingSends:
    """Mixed into a RedBeat scheduler: the names it would send are counted in `sent`."""

    sent: list[str]

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True, **kwargs: Any) -> Any:
        # What beat would publish; counted instead of sent, then rescheduled exactly as beat does.
        entry = self.reserve(entry) if advance else entry  # type: ignore[attr-defined]
        self.sent.append(entry.name)
        return None


def make_due(app: Celery, name: str) -> None:
    entry = RedBeatSchedulerEntry.from_key(RedBeatSchedulerEntry.generate_key(app, name), app=app)
    entry.reschedule(last_run_at=app.now() - timedelta(seconds=120))
