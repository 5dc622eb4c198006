"""Backfill on connect: the last N weeks of an athlete's activities, one page per step.

Resumable and idempotent: the job row holds the cursor (next page), each step commits its page's work, and every
activity found becomes an inbox row keyed like a push, so a re-run or a crash mid-page never duplicates a fetch.
Pages are read until an *empty* page: a short page is not the end (docs/strava.md, "Activity data"). Backfill is the lowest
priority: it pauses while webhook events wait and stops short of the budget reserve (sync/budget.py).

Only runs cost a detail read. A listed activity of another sport (the summary's `sport_type`, else `type`) is
stored from its summary right away: non-runs never count towards a plan, and a real history holds a fifth of them
(docs/strava.md, "Backfill economy"), which would be a fifth of the day's read budget spent on nothing. Stored,
it is known to reconciliation, so nothing fetches it later either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from planner import RUN_SPORT_TYPES
from store import repository
from store.db import UnitOfWork
from store.models import BackfillJob, EventSource, JobStatus
from sync.budget import Priority
from sync.errors import StravaAuthError, StravaRateLimited, StravaTransient
from sync.events import activity_row
from sync.listing import ActivityPager
from sync.normalize import MalformedActivity, parse_activity, sport_type_of

log = logging.getLogger(__name__)
PAUSE_FOR_WEBHOOKS_S = 5.0


@dataclass(frozen=True)
class Step:
    done: bool
    queued: tuple[int, ...] = ()  # inbox rows to enqueue (after the commit)
    retry_in_s: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Progress:
    status: str
    pages_done: int
    activities_seen: int
    activities_queued: int
    activities_synced: int
    api_calls: int


def schedule_backfill(session: Session, athlete_id: int, *, weeks: int, now: datetime) -> bool:
    """Create the job, or leave a pending/running one alone (its cursor is the point). True if (re)started.

    Takes the caller's session: connecting an athlete and scheduling their backfill is one transaction.
    """
    job = repository.lock_backfill_job(session, athlete_id)
    if job is not None and job.status in (JobStatus.PENDING, JobStatus.RUNNING):
        return False
    if job is None:
        job = repository.add_backfill_job(session, athlete_id, now=now)
    job.status = JobStatus.PENDING
    job.after_epoch = int((now - timedelta(weeks=weeks)).timestamp())
    job.before_epoch = int(now.timestamp())
    job.next_page, job.pages_done = 1, 0
    job.activities_seen = job.activities_queued = job.api_calls = 0
    job.last_error, job.next_attempt_at, job.finished_at = None, None, None
    job.started_at = job.updated_at = now
    session.flush()
    return True


def jobs_to_redrive(session: Session, *, now: datetime, stale_before: datetime) -> list[int]:
    """Jobs whose wait is over, or whose worker died mid-step (no progress for a while)."""
    jobs = repository.unfinished_backfill_jobs(session)
    return [
        job.athlete_id
        for job in jobs
        if (job.next_attempt_at is not None and job.next_attempt_at <= now)
        or (job.next_attempt_at is None and job.updated_at < stale_before)
    ]


class BackfillService(ActivityPager):
    def step(self, athlete_id: int) -> Step:
        with UnitOfWork(self._factory) as uow:
            job = repository.lock_backfill_job(uow.session, athlete_id)
            if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
                return Step(done=True, note="no backfill to run")
            if repository.pending_webhook_events(uow.session):
                return Step(
                    done=False, retry_in_s=PAUSE_FOR_WEBHOOKS_S, note="paused: webhook events waiting"
                )
            try:
                page = self._page(
                    athlete_id,
                    after=job.after_epoch,
                    before=job.before_epoch,
                    page=job.next_page,
                    priority=Priority.BACKFILL,
                )
            except StravaRateLimited as error:
                return self._wait(uow, job, error.retry_after_s or 900.0, str(error))
            except StravaTransient as error:
                return self._wait(uow, job, 60.0, str(error))
            except StravaAuthError as error:
                job.status, job.last_error, job.updated_at = JobStatus.FAILED, str(error), self._now()
                uow.commit()
                return Step(done=True, note=f"stopped: {error}")
            now = self._now()
            job.api_calls += 1
            job.status = JobStatus.RUNNING
            job.updated_at = now
            if not page:
                job.status, job.finished_at = JobStatus.DONE, now
                uow.commit()
                return Step(done=True, note="empty page: done")
            ids = [int(item["id"]) for item in page if "id" in item]
            known = repository.known_activity_ids(uow.session, athlete_id, ids)
            queued: list[int] = []
            for summary in page:
                activity_id = int(summary.get("id", 0))
                if not activity_id or activity_id in known:
                    continue
                if self._store_non_run(uow.session, athlete_id, summary, now):
                    continue
                event_id = repository.synthetic_event(
                    uow.session,
                    source=EventSource.BACKFILL,
                    athlete_id=athlete_id,
                    activity_id=activity_id,
                    aspect="create",
                    event_time=_start_epoch(summary) or job.before_epoch,
                    now=now,
                )
                if event_id is not None:
                    queued.append(event_id)
            job.next_page += 1
            job.pages_done += 1
            job.activities_seen += len(page)
            job.activities_queued += len(queued)
            uow.commit()
            return Step(done=False, queued=tuple(queued), retry_in_s=0.0)

    def _store_non_run(
        self, session: Session, athlete_id: int, summary: dict[str, Any], now: datetime
    ) -> bool:
        """Store another sport's activity from its summary, without a detail read. False for a run (or an
        activity whose sport the summary does not tell, or that is not the athlete's): that one is fetched."""
        sport = sport_type_of(summary)
        if sport is None or sport in RUN_SPORT_TYPES:
            return False
        try:
            parsed = parse_activity(summary)
        except MalformedActivity:
            return False
        if parsed.athlete.id != athlete_id:
            return False
        repository.lock_athlete(session, athlete_id)
        if repository.is_tombstoned(session, parsed.id):
            return False  # a deletion we recorded: the event path decides, as for any other activity
        repository.upsert_activity(session, activity_row(parsed, summary, now))
        return True

    def progress(self, athlete_id: int) -> Progress | None:
        with self._factory() as session:
            job = repository.backfill_job(session, athlete_id)
            if job is None:
                return None
            # This run's rows only: a re-run queues nothing already known, and an earlier run's synced rows
            # would otherwise count against this run's (smaller) queued total.
            synced = repository.backfill_events_done_since(session, athlete_id, job.started_at)
            return Progress(
                status=job.status,
                pages_done=job.pages_done,
                activities_seen=job.activities_seen,
                activities_queued=job.activities_queued,
                activities_synced=synced,
                api_calls=job.api_calls,
            )

    def _wait(self, uow: UnitOfWork, job: BackfillJob, delay_s: float, error: str) -> Step:
        now = self._now()
        job.last_error, job.updated_at = error, now
        job.next_attempt_at = now + timedelta(seconds=delay_s)
        uow.commit()
        return Step(done=False, retry_in_s=delay_s, note=error)


def _start_epoch(summary: dict[str, object]) -> int | None:
    value = summary.get("start_date")
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None
