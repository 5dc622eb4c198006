"""Purging an athlete's Strava data: after a confirmed deauthorization, and by the retention job when a grant
has been dead too long (docs/operations.md, Retention).

Everything derived from Strava goes (activities, tombstones, inbox rows, reconciliation and backfill records,
plan changes, matches, pairings, adapted versions, notifications); what is needed to say "you disconnected"
stays: the athlete row, the connection's status, the plan made from the athlete's own goal.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from store import plan_repository, repository

log = logging.getLogger(__name__)


def purge_athlete(
    session: Session, athlete_id: int, *, now: datetime, keep_event_id: int | None = None
) -> dict[str, int]:
    """Delete the athlete's Strava-derived rows in the caller's transaction (the caller commits)."""
    repository.lock_athlete(session, athlete_id)
    counts = repository.purge_strava_data(session, athlete_id, keep_event_id=keep_event_id)
    counts.update(plan_repository.purge_strava_derived(session, athlete_id, now=now))
    connection = repository.get_connection(session, athlete_id, lock=True)
    if connection is not None:
        connection.data_purged_at = now
    log.info("sync.purged", extra={"athlete_id": athlete_id, **counts})
    return counts
