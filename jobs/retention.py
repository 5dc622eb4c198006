"""Retention (docs/operations.md, Retention): Strava data is kept only as long as the API agreement allows.

Two rules, run daily by beat:
- raw Strava payloads (`activities.raw`) are dropped once older than `raw_payload_retention_days` (at most 7:
  the API Policy's cache limit); the normalized run the planner reads stays;
- an athlete whose grant has been dead (needs re-authorization, or revoked) for `dead_grant_retention_days`
  has all Strava data purged, as a deauthorization would (sync/purge.py). This also covers a deauthorization
  push that never arrived: Strava sends each push at most three times and has no replay, and an athlete who
  revoked the app shows up here as a grant that no longer refreshes.

Selection only reads; each athlete is purged in a transaction of its own under the athlete's row lock, and
re-checked there (the athlete may have reconnected since the selection).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from plans.pipeline import PlanPipeline
from sources.ledger import Ledger
from sources.merge import DEFAULT_PRIORITY
from sources.strava import StravaSource
from store import repository
from store.models import ActivitySource, ConnectionStatus
from sync.purge import purge_athlete

DEAD_GRANTS = (ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.REVOKED)


def drop_expired_raw_payloads(session: Session, *, now: datetime, days: int) -> int:
    return repository.drop_raw_payloads(session, fetched_before=now - timedelta(days=days))


def dead_grants_due(session: Session, *, now: datetime, days: int, limit: int = 500) -> Sequence[int]:
    return repository.dead_grants_to_purge(session, dead_since=now - timedelta(days=days), limit=limit)


def purge_dead_grant(
    session: Session,
    athlete_id: int,
    *,
    now: datetime,
    days: int,
    source_priority: Sequence[ActivitySource] = DEFAULT_PRIORITY,
) -> str:
    """Purge one athlete whose grant is still dead past the retention; the caller commits. The files' runs
    left are filed again with `source_priority` (RUNSMART_SOURCE_PRIORITY, docs/sources.md#source-priority)."""
    repository.lock_athlete(session, athlete_id)
    connection = repository.get_connection(session, athlete_id, lock=True, fresh=True)
    dead_since = now - timedelta(days=days)
    if connection is None or connection.status not in DEAD_GRANTS or connection.updated_at >= dead_since:
        return "skipped: the grant is alive again, or died too recently"
    if connection.data_purged_at is not None and connection.data_purged_at >= connection.updated_at:
        return "skipped: already purged"
    counts = purge_athlete(session, athlete_id, now=now)
    # Other sources' copies of the purged runs are filed again, as after a deauthorization (docs/sources.md).
    StravaSource(Ledger(source_priority))(session, athlete_id, "retention_purge")
    # The plan is adapted again without the purged runs, as after a deauthorization.
    PlanPipeline(now=lambda: now)(session, athlete_id, "retention_purge")
    return "purged: " + ", ".join(f"{k}={v}" for k, v in counts.items())
