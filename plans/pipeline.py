"""The EffectHook behind every synced, updated, deleted or deauthorized event (sync.events.EffectHook).

Called inside the event's transaction with the athlete's row already locked by the event's own writes, so
the new plan version, its changes, the matches and the outbox rows commit (or roll back) with their cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from plans import notify, service
from store import repository
from store.outcomes import EventOutcome

log = logging.getLogger(__name__)


class PlanPipeline:
    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now

    # `outcome`: the event's, or the name of another cause (jobs/retention.py's purge of a dead grant).
    def __call__(self, session: Session, athlete_id: int, outcome: EventOutcome | str) -> None:
        now = self._now()
        if outcome == EventOutcome.DEAUTHORIZED:
            connection = repository.get_connection(session, athlete_id)
            revoked_at = connection.updated_at if connection is not None else now
            notify.connection_revoked(session, athlete_id, revoked_at=revoked_at, now=now)
        loaded = service.load(session, athlete_id, now=now)
        if loaded is None:
            return
        # After a deauthorization the purged runs are gone from `activities`: the plan is re-derived
        # without them (the past workouts stay as they were planned).
        result = service.refresh(session, loaded, cause=outcome, now=now)
        log.info(
            "plans.adapted",
            extra={
                "athlete_id": athlete_id,
                "outcome": outcome,
                "version": result.version,
                "stored": result.stored,
                "changes": len(result.changes),
                "decisions": len(result.decisions),
                "matched": len(result.newly_matched),
            },
        )
