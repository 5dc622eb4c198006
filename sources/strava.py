"""Strava as one source among several (docs/sources.md#sources).

Strava's own path (sync/: the inbox, the guarded re-fetch, tombstones, purges) stays as it is and keeps writing
the run's row under Strava's id. Right after it, inside the same transaction and before the plan pipeline,
`StravaSource` as an effect hook takes Strava's copy of what changed into `activity_copies` and files the
athlete's other sources' copies against it: a file of the same run merges, a run Strava deleted stays while a
file still has it, and purged Strava data leaves nothing of Strava's behind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sources.base import Capability
from sources.ledger import Ledger
from store import source_repository
from store.models import ActivitySource


class StravaSource:
    kind = ActivitySource.STRAVA
    capabilities = frozenset(
        {
            Capability.PUSHES_NEW_RUNS,
            Capability.PUSHES_DELETIONS,
            Capability.NAME,
            Capability.WORKOUT_TYPE,
            Capability.LAPS,
            Capability.HEART_RATE,
            Capability.LOCAL_TIME,
        }
    )

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def __call__(self, session: Session, athlete_id: int, outcome: str) -> None:
        """The effect hook behind every Strava event that changed the athlete's runs (sync.events.EffectHook),
        ahead of the plan pipeline."""
        self._ledger.sync_strava(session, athlete_id)

    def ingest(self, session: Session, athlete_id: int, delivery: Any = None) -> None:
        """Strava's path wrote the row (delivery: unused, the row is the delivery): take its copy."""
        self._ledger.sync_strava(session, athlete_id)

    def withdraw(self, session: Session, athlete_id: int, external_id: str) -> int | None:
        """After Strava's path deleted the row (and Strava's copy with it): the run stays, under an id of its
        own, while another source or another Strava activity of it has it (that id is returned)."""
        others = source_repository.unfiled_copies(session, athlete_id)
        self._ledger.sync_strava(session, athlete_id)
        return self._ledger.heir(others)
