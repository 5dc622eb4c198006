"""Reconciliation: find what the pushes missed (lost events, late or back-dated uploads, deletions, edits).

Strava retries a push at most three times and offers no replay (docs/strava.md, "Webhooks"), so the inbox alone cannot be
complete. Reconciliation lists an athlete's activities over a padded window (late and back-dated uploads land
inside it, §6 #6), compares with what we hold, and turns each difference into an inbox row processed like a push:
missing → create, gone → delete, changed → a re-fetch. It runs at reconciliation priority and it is cheap: the
nightly pass only visits athletes from whom an activity was expected and none arrived (see `athletes_due`);
a weekly pass and `runsmart reconcile` visit everyone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from store import repository
from store.db import UnitOfWork
from store.models import Activity, EventSource, JobStatus
from sync.budget import Priority
from sync.listing import ActivityPager

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileResult:
    api_calls: int
    missing: int
    deleted: int
    changed: int
    queued: tuple[int, ...]


def _changed(stored: Activity, summary: dict[str, Any]) -> bool:
    sport = summary.get("sport_type") or summary.get("type")
    distance = float(summary.get("distance") or 0.0)
    return (
        (sport is not None and sport != stored.sport_type)
        or abs(distance - stored.distance_m) > 1.0
        or int(summary.get("moving_time") or 0) != stored.moving_time_s
        or str(summary.get("name", stored.name)) != stored.name
    )


def athletes_due(
    session: Session, now: datetime, *, window_days: int = 3, history_days: int = 28
) -> list[int]:
    """Athletes from whom an activity was expected in the window but none arrived, or whose events failed.

    "Expected": they averaged at least one activity per window over the history. An athlete who simply did not
    run costs nothing; one who runs and went silent costs a couple of list calls.
    """
    window_start = now - timedelta(days=window_days)
    recent = repository.activity_counts_since(session, window_start)
    usual = repository.activity_counts_since(session, now - timedelta(days=history_days))
    troubled = repository.athletes_with_troubled_events(session, window_start)
    due = []
    for athlete_id in repository.active_athlete_ids(session):
        expected = usual.get(athlete_id, 0) * window_days / history_days >= 1.0
        if athlete_id in troubled or (expected and not recent.get(athlete_id)):
            due.append(athlete_id)
    return sorted(due)


class Reconciler(ActivityPager):
    def reconcile(self, athlete_id: int, *, days: int = 3, pad_hours: int = 24) -> ReconcileResult:
        """One athlete's padded window. Raises StravaRateLimited/StravaTransient for the task to retry."""
        now = self._now()
        after = now - timedelta(days=days, hours=pad_hours)
        before = now + timedelta(hours=pad_hours)  # clocks and time zones: a run "tomorrow" in UTC is fine
        listed = self._list(athlete_id, int(after.timestamp()), int(before.timestamp()))
        calls = listed[1]
        summaries = {int(item["id"]): item for item in listed[0] if "id" in item}
        with UnitOfWork(self._factory) as uow:
            session = uow.session
            stored = {
                a.id: a for a in repository.stored_activities_between(session, athlete_id, after, before)
            }
            # A tombstoned id that Strava lists for the athlete is not "known": it exists, so it is queued as a
            # create and comes back (a forged delete, or a run hidden and shown again, never hides it for good).
            known = repository.known_activity_ids(session, athlete_id, list(summaries))
            stamp = int(now.timestamp())
            queued: list[int] = []
            missing = deleted = changed = 0

            def add(activity_id: int, aspect: str, updates: dict[str, Any] | None = None) -> None:
                event_id = repository.synthetic_event(
                    session, source=EventSource.RECONCILE, athlete_id=athlete_id, activity_id=activity_id,
                    aspect=aspect, event_time=stamp, now=now, updates=updates,
                )  # fmt: skip
                if event_id is not None:
                    queued.append(event_id)

            for activity_id, summary in summaries.items():
                if activity_id not in known:
                    missing += 1
                    add(activity_id, "create")
                elif activity_id in stored and _changed(stored[activity_id], summary):
                    changed += 1
                    add(activity_id, "update", {"reconcile": "changed"})
            for activity_id in stored.keys() - summaries.keys():
                deleted += 1
                add(activity_id, "delete")
            repository.record_reconciliation_run(
                session,
                athlete_id=athlete_id,
                after_epoch=int(after.timestamp()),
                before_epoch=int(before.timestamp()),
                status=JobStatus.DONE,
                api_calls=calls,
                found_missing=missing,
                found_deleted=deleted,
                found_changed=changed,
                started_at=now,
                finished_at=self._now(),
            )
            uow.commit()
        log.info(
            "reconcile.done",
            extra={
                "athlete_id": athlete_id,
                "calls": calls,
                "missing": missing,
                "deleted": deleted,
                "changed": changed,
            },
        )
        return ReconcileResult(calls, missing, deleted, changed, tuple(queued))

    def _list(self, athlete_id: int, after: int, before: int) -> tuple[list[dict[str, Any]], int]:
        items: list[dict[str, Any]] = []
        page, calls = 1, 0
        while True:
            batch = self._page(athlete_id, after=after, before=before, page=page, priority=Priority.RECONCILE)
            calls += 1
            if not batch:  # only an empty page ends the list
                return items, calls
            items.extend(batch)
            page += 1


def claim_deferred_reconciliations(
    factory: sessionmaker[Session], now: datetime, *, window_s: int, lookback_days: int = 3
) -> list[int]:
    """Athletes with pushed events left to reconciliation since their last one (their allowance was spent, so
    a real new run may be among them), each claimed by a pending reconciliation row in this one transaction.

    At most one pass per athlete per allowance window however many events were deferred (a flood of forged
    events costs that athlete a couple of list calls an hour, not one per event), and a real run waits about
    one window instead of until the nightly pass (docs/security.md, "Forged and unverifiable events")."""
    with UnitOfWork(factory) as uow:
        athletes = list(
            repository.athletes_with_deferred_events_unreconciled(
                uow.session,
                since=now - timedelta(days=lookback_days),
                reconciled_after=now - timedelta(seconds=window_s),
            )
        )
        for athlete_id in athletes:
            repository.claim_reconciliation(uow.session, athlete_id, now=now)
        uow.commit()
    return athletes


def due_for_reconciliation(factory: sessionmaker[Session], now: datetime) -> Sequence[int]:
    with factory() as session:
        return athletes_due(session, now)
