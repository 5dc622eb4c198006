"""Processing one inbox event: the service behind the `sync.process_event` task.

The service decides everything (what to fetch, what to write, whether and when to retry); the Celery task
only obeys the returned `Processed`. Event bodies are hints, never data (docs/strava.md, "Webhooks"): activities are
always re-fetched with the owner's own token, and deauthorizations are confirmed before anything is purged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from store import plan_page_repository, repository
from store.db import UnitOfWork, as_utc
from store.models import Activity, ConnectionStatus, EventSource, EventStatus, StravaEvent
from store.outcomes import EventOutcome
from sync.budget import Priority
from sync.errors import (
    StravaAppCredentialsRejected,
    StravaAppInactive,
    StravaAuthError,
    StravaBadResponse,
    StravaError,
    StravaNotFound,
    StravaRateLimited,
    StravaTransient,
)
from sync.event_guard import DISPROVED_OUTCOMES, UnverifiedAllowance, count_refused, count_spent
from sync.normalize import MalformedActivity, StravaActivity, parse_activity, to_activity
from sync.purge import purge_athlete
from sync.strava import StravaGateway
from sync.tokens import TokenService

log = logging.getLogger(__name__)

# A Redis broker redelivers an unacknowledged message after its visibility timeout (1 h by default), so a
# countdown longer than this is parked in the database and re-driven by the sweeper instead.
MAX_COUNTDOWN_S = 1800.0
# A countdown is a message its worker holds in memory until it is due (Celery reserves ETA tasks ahead of
# time): ~28 KB each, measured (docs/scaling.md). A burst of pushes against a spent Strava window, or a
# Strava outage, would pile them up in the workers' memory, so a wait longer than this (for the window, or
# a backoff) is parked in the database instead and re-driven by the sweeper (inbox.redrive, every minute)
# once it is due: rows, not worker memory.
MAX_HELD_WAIT_S = 60.0
FAILED_REDRIVE_S = 3600.0
# A delete's `event_time` is Strava's clock and `fetched_at` ours: a read disproves a delete only when the
# claimed deletion is older than the read by more than this, and an event_time further ahead of our clock
# than this is not credible (Strava stamps an event when it happens; a forger picks any number).
EVENT_CLOCK_SKEW_S = 600
# Strava delivers a push within seconds of the event and retries only briefly, so an event_time older than its
# receipt by more than this says nothing about when anything happened: such a delete is then judged by its
# receipt time alone (never disproved by the claim it makes).
EVENT_DELIVERY_WINDOW_S = 86_400
# A delete received before our read started is disproved by that read (Strava showed the run after it was
# said to be gone), but only by this margin, in case Strava served the read just before the deletion landed.
READ_RACE_S = 60
# A parked delete behind older parked deletes of the same athlete tries again this much later.
PARKED_TURN_S = 60.0
# What an update or a repeated create could change in our copy: equal after a read, the push told us nothing.
_COMPARED_FIELDS = (
    "name", "sport_type", "is_run", "private", "distance_m", "moving_time_s", "elapsed_time_s", "start_date",
    "workout_type",
)  # fmt: skip


# Called inside the event's transaction after its writes, with the athlete whose data changed and the outcome
# (one that `changes_plan_inputs`). The plan pipeline (plans.pipeline.PlanPipeline, wired by composition/root.py)
# is the one in production, so a plan change commits (or rolls back) with its cause.
EffectHook = Callable[[Session, int, EventOutcome], None]
PRIORITY_BY_SOURCE: dict[str, Priority] = {
    EventSource.WEBHOOK: Priority.WEBHOOK,
    EventSource.RECONCILE: Priority.RECONCILE,
    EventSource.BACKFILL: Priority.BACKFILL,
}


class _DeleteParked(Exception):
    """A stored run's pushed delete may not read now (the athlete's allowance is spent, or older parked
    deletes come first): it waits as a row, pending until `until`, and the sweeper re-drives it."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


@dataclass(frozen=True)
class Processed:
    outcome: EventOutcome
    retry_in_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 15.0
    max_s: float = 900.0
    max_retries: int = 8
    not_found_retries: int = 3
    # Per athlete and window: Strava calls that disproved a pushed event before further unverifiable events
    # are left to reconciliation (sync/event_guard.py).
    unverified_allowance: int = 20
    unverified_window_s: int = 3600

    def backoff(self, attempt: int) -> float:
        # Celery's full-jitter exponential backoff works in whole seconds; never return 0 (a hot loop).
        factor = max(1, round(self.base_s))
        return float(
            get_exponential_backoff_interval(
                factor=factor, retries=attempt, maximum=max(factor, round(self.max_s)), full_jitter=True
            )
            or factor
        )


def is_deauthorization(event: StravaEvent) -> bool:
    # Documented shape: athlete/update with {"authorized": "false"}; accept a JSON false and athlete/delete too.
    authorized = str((event.updates or {}).get("authorized", "")).lower()
    return event.object_type == "athlete" and (authorized == "false" or event.aspect_type == "delete")


def activity_row(parsed: StravaActivity, raw: dict[str, Any], fetched_at: datetime) -> dict[str, Any]:
    activity = to_activity(parsed)
    return {
        "id": activity.id,
        "athlete_id": activity.athlete_id,
        "name": activity.name,
        "sport_type": activity.sport_type,
        "is_run": activity.is_run,
        "start_date": parsed.start_date,
        "start_date_local": activity.start_local,
        "local_date": activity.local_date,
        "timezone": activity.timezone,
        "distance_m": activity.distance_m,
        "moving_time_s": activity.moving_time_s,
        "elapsed_time_s": activity.elapsed_time_s,
        "elevation_gain_m": activity.elevation_gain_m,
        "average_heartrate": activity.average_heartrate,
        "max_heartrate": activity.max_heartrate,
        "workout_type": activity.workout_type,
        "manual": activity.manual,
        "trainer": activity.trainer,
        "private": parsed.private,
        "laps": [lap.model_dump() for lap in parsed.laps],
        "splits_metric": [split.model_dump() for split in parsed.splits_metric],
        "raw": raw,
        "fetched_at": fetched_at,
    }


class EventProcessor:
    def __init__(
        self,
        factory: sessionmaker[Session],
        gateway: StravaGateway,
        tokens: TokenService,
        policy: RetryPolicy,
        *,
        effects: Sequence[EffectHook] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._factory = factory
        self._gateway = gateway
        self._tokens = tokens
        self.policy = policy
        self._effects = tuple(effects)
        self._now = now
        self._allowance = UnverifiedAllowance(policy.unverified_allowance, policy.unverified_window_s)
        # Deletes of stored runs get at least one call a window even with no allowance: the deletion term.
        self._delete_allowance = UnverifiedAllowance(
            max(1, policy.unverified_allowance), policy.unverified_window_s
        )

    # --- entry point -------------------------------------------------------------------------------

    def process(self, event_id: int) -> Processed:
        started = self._now()
        try:
            result = self._handle(event_id, started)
        except _DeleteParked as parked:
            result = self._finish(
                event_id,
                started,
                EventStatus.PENDING,
                EventOutcome.DELETE_PARKED,
                None,
                next_attempt_at=parked.until,
            )
        except StravaAppCredentialsRejected as error:
            result = self._wait(
                event_id, started, error.retry_after_s or 900.0, EventOutcome.APP_PAUSED, str(error)
            )
        except StravaRateLimited as error:
            result = self._wait(
                event_id, started, error.retry_after_s or 900.0, EventOutcome.RATE_LIMITED, str(error)
            )
        except StravaAppInactive as error:
            log.error("sync.app_inactive", extra={"event_id": event_id})
            result = self._wait(event_id, started, FAILED_REDRIVE_S, EventOutcome.APP_INACTIVE, str(error))
        except StravaNotFound as error:
            result = self._not_found(event_id, started, str(error))
        except StravaAuthError as error:
            result = self._finish(
                event_id, started, EventStatus.AWAITING_REAUTH, EventOutcome.AWAITING_REAUTH, str(error)
            )
        except (StravaTransient, StravaBadResponse, MalformedActivity, OperationalError) as error:
            result = self._backoff(event_id, started, _describe(error))
        except StravaError as error:
            # Unclassified: a 4xx we have no rule for (400 on the read, say). The same request gets the same
            # answer, so retrying would loop: failed for good, with the reason, and never re-driven.
            log.warning("sync.event.rejected", extra={"event_id": event_id, "error": str(error)})
            result = self._finish(event_id, started, EventStatus.FAILED, EventOutcome.REJECTED, str(error))
        except Exception as error:
            # A bug, not Strava: recorded like a transient failure (bounded retries from the attempt log, then
            # failed and re-driven hourly), and raised on so that the task's failure shows its traceback. The
            # sweeper re-drives the row when its attempt is due. The type only: a message can carry data.
            self._backoff(event_id, started, f"internal error ({type(error).__name__})")
            raise
        log.info("sync.event.processed", extra={"event_id": event_id, "outcome": result.outcome})
        return result

    # --- the happy path: one transaction ---------------------------------------------------------------

    def _handle(self, event_id: int, started: datetime) -> Processed:
        with UnitOfWork(self._factory) as uow:
            event = repository.lock_event(uow.session, event_id)
            if event is None:
                exists = repository.get_event(uow.session, event_id) is not None
                return Processed(EventOutcome.BUSY if exists else EventOutcome.MISSING)
            if event.status in (EventStatus.DONE, EventStatus.AWAITING_REAUTH):
                return Processed(EventOutcome.ALREADY_HANDLED)
            outcome = self._dispatch(uow.session, event)
            if outcome.changes_plan_inputs:
                self._run_plan_pipeline(uow.session, event.owner_id, outcome)
            event.status = EventStatus.DONE
            event.outcome = outcome
            event.handled_at = self._now()
            event.next_attempt_at = None
            self._record(uow.session, event, started, Processed(outcome))
            # The one commit: the run, the plan change and its outbox rows together. After it, the session's
            # listener (notify.publish.install) hands the new outbox rows to `notify.deliver`.
            uow.commit()
            return Processed(outcome)

    def _run_plan_pipeline(self, session: Session, athlete_id: int, outcome: EventOutcome) -> None:
        """The hand-off to plans/: the plan pipeline (`effects=[plan_pipeline]` in composition.root.build) adapts
        the athlete's plan here, inside this event's transaction and under the athlete's row lock."""
        for effect in self._effects:
            effect(session, athlete_id, outcome)

    def _dispatch(self, session: Session, event: StravaEvent) -> EventOutcome:
        if event.object_type == "athlete":
            return (
                self._deauthorize(session, event)
                if is_deauthorization(event)
                else EventOutcome.IGNORED_ATHLETE_UPDATE
            )
        connection = repository.get_connection(session, event.owner_id)
        if connection is None:
            return EventOutcome.IGNORED_UNKNOWN_ATHLETE
        if connection.status == ConnectionStatus.REVOKED:
            return EventOutcome.IGNORED_REVOKED_ATHLETE
        if event.aspect_type == "delete":
            return self._delete(session, event, connection.status)
        if event.aspect_type == "update":
            return self._update(session, event)
        return self._sync(session, event)

    def _sync(self, session: Session, event: StravaEvent) -> EventOutcome:
        activity_id, athlete_id = event.object_id, event.owner_id
        # The athlete's lock is taken before the fetch, not after: a fetch that started before a rename (or a
        # delete) was applied could otherwise finish after it and write the older copy over it.
        repository.lock_athlete(session, athlete_id)
        stored = repository.stored_activity(session, activity_id)
        if stored is not None and stored.athlete_id != athlete_id:
            return self._owner_mismatch(event)  # another athlete's run: nothing to ask this one's token
        # Also for a run we hold: a push naming its real owner costs a read whatever it claims, so repeated
        # ones would spend without bound; reconciliation compares names and types, so it repairs what waits.
        if self._refused(session, event):
            return EventOutcome.DEFERRED_TO_RECONCILE
        tombstoned = repository.is_tombstoned(session, activity_id)
        fetched_at = self._now()  # when we asked: what Strava showed holds from then (rules for deletes)
        try:
            raw = self._fetch(session, event)
        except StravaNotFound:
            if tombstoned:
                return (
                    EventOutcome.IGNORED_DELETED
                )  # the deletion stands; a late or replayed create needs no retries
            raise
        parsed = parse_activity(raw)
        if parsed.athlete.id != athlete_id:
            # A forged event can name another athlete's public activity; never file it under this athlete.
            return self._owner_mismatch(event)
        if tombstoned:
            # Strava shows the run to its owner, so whatever left the tombstone (a run hidden and shown again,
            # a forged delete before this release) was not a deletion: the run comes back.
            repository.lift_tombstone(session, activity_id)
            log.info("sync.event.tombstone_lifted", extra={"event_id": event.id})
        row = activity_row(parsed, raw, fetched_at)
        if stored is not None and event.source == EventSource.WEBHOOK and _same_copy(stored, row):
            return (
                EventOutcome.IGNORED_UNCHANGED
            )  # Strava disproved the push: the read draws on the allowance
        written = repository.upsert_activity(session, row)
        return EventOutcome.SYNCED if written else EventOutcome.SYNCED_NEWER_COPY_KEPT

    def _fetch(self, session: Session, event: StravaEvent) -> dict[str, Any]:
        """The activity, read with the event owner's own token."""
        priority = self._priority(event)
        return self._tokens.call(
            event.owner_id,
            lambda token: self._gateway.get_activity(token, event.object_id, priority=priority),
            session=session,
        )

    def _owner_mismatch(self, event: StravaEvent) -> EventOutcome:
        log.warning("sync.event.owner_mismatch", extra={"event_id": event.id})
        return EventOutcome.IGNORED_OWNER_MISMATCH

    def _refused(self, session: Session, event: StravaEvent) -> bool:
        """Whether a pushed event we cannot check against our own data may not call Strava: its athlete's
        allowance for calls that disproved events is spent (sync/event_guard.py), or parked deletes of its
        stored runs that arrived earlier wait for the freed calls. Our own events (backfill, reconciliation)
        come from Strava's list and are never refused."""
        if event.source != EventSource.WEBHOOK:
            return False
        spent = self._allowance.spent(session, event.owner_id, self._now())
        # Parked deletes of stored runs take the freed calls first: otherwise pushes timed to each freed call
        # could keep a real delete waiting without end (the 48-hour deletion term, docs/operations.md).
        if not spent and not repository.has_parked_deletes(session, event.owner_id, before_event_id=event.id):
            return False
        count_refused()
        log.warning("sync.event.unverified_allowance_spent", extra={"event_id": event.id})
        return True

    @staticmethod
    def _priority(event: StravaEvent) -> Priority:
        return PRIORITY_BY_SOURCE.get(event.source, Priority.WEBHOOK)

    def _update(self, session: Session, event: StravaEvent) -> EventOutcome:
        updates = event.updates or {}
        repository.lock_athlete(session, event.owner_id)  # before reading the stored copy it may change
        stored = repository.stored_activity(session, event.object_id)
        if stored is not None and stored.athlete_id != event.owner_id:
            # The body names a run stored under someone else: it never changes another athlete's data.
            return self._owner_mismatch(event)
        # Title and privacy need no API call (issue 5 §7); a type change may move the activity in or out of
        # running volume, so it is re-fetched, as is anything we have not stored yet.
        if stored is None or not set(updates) <= {"title", "private"}:
            return self._sync(session, event)
        if repository.has_newer_update(session, event):
            # Delivered out of order, or several edits in one second: the body may be stale; ask Strava.
            return self._sync(session, event)
        if "title" in updates:
            stored.name = str(updates["title"])
        if "private" in updates:
            stored.private = str(updates["private"]).lower() == "true"
        if stored.raw is not None:  # None: dropped by the retention job, and not brought back from a body
            stored.raw = {**stored.raw, "name": stored.name, "private": stored.private}
        return EventOutcome.UPDATED_LOCALLY

    def _delete(self, session: Session, event: StravaEvent, grant: str) -> EventOutcome:
        """A delete is obeyed only for a run of the event's owner, and only once Strava confirms it with that
        owner's token (event bodies are hints, docs/strava.md "Webhooks"). The athlete is locked first, as in _sync."""
        repository.lock_athlete(session, event.owner_id)
        stored = repository.stored_activity(session, event.object_id)
        if stored is not None and stored.athlete_id != event.owner_id:
            return self._owner_mismatch(event)
        if grant == ConnectionStatus.NEEDS_REAUTH:
            return self._delete_without_grant(session, event, stored is not None)
        if stored is None and repository.is_tombstoned(session, event.object_id):
            return EventOutcome.ALREADY_DELETED
        if stored is None and self._refused(session, event):
            # Names nothing we hold and cannot be checked now; if its run does arrive, the create's read
            # finds it deleted.
            return EventOutcome.IGNORED_DELETE_UNVERIFIABLE
        if stored is not None:
            disproved = self._delete_disproved_without_call(event, stored)
            if disproved is not None:
                return disproved
            self._park_unless_its_turn(session, event)
        read_at = self._now()
        try:
            raw = self._fetch(session, event)
        except StravaNotFound:
            pass
        else:
            log.warning("sync.event.delete_not_confirmed", extra={"event_id": event.id})
            return self._refresh_after_disproof(session, event, stored, raw, read_at)
        # Confirmed. An id we never stored gets its tombstone too: its create may still be on the way.
        repository.delete_activity(session, event.object_id, event.owner_id, now=self._now())
        return EventOutcome.DELETED if stored is not None else EventOutcome.TOMBSTONED

    def _delete_disproved_without_call(self, event: StravaEvent, stored: Activity) -> EventOutcome | None:
        """A stored run's delete that our own data already answers: Strava showed us the run after the claimed
        deletion (by its event_time, or because the delete reached us before that read), or the claimed time
        lies in the future. Repeated forged deletes of one run thus cost one read (docs/security.md)."""
        claimed = datetime.fromtimestamp(event.event_time, UTC)
        received, seen = as_utc(event.received_at), as_utc(stored.fetched_at)
        if claimed > received + timedelta(seconds=EVENT_CLOCK_SKEW_S):
            log.warning("sync.event.delete_not_credible", extra={"event_id": event.id})
            return EventOutcome.IGNORED_DELETE_NOT_CREDIBLE
        plausible = claimed >= received - timedelta(seconds=EVENT_DELIVERY_WINDOW_S)
        if (plausible and claimed <= seen - timedelta(seconds=EVENT_CLOCK_SKEW_S)) or (
            received < seen - timedelta(seconds=READ_RACE_S)
        ):
            return EventOutcome.IGNORED_DELETE_DISPROVED_BY_READ
        return None

    def _park_unless_its_turn(self, session: Session, event: StravaEvent) -> None:
        """A pushed delete of a stored run reads only within the athlete's allowance and after the older
        parked deletes; otherwise it is parked as a row (no countdown) until a call frees. Deletes are served in the
        order they arrived and other pushes yield to them, so a real one is read within a bounded number of
        windows (docs/security.md) while a flood never costs more than the allowance."""
        if event.source != EventSource.WEBHOOK:
            return  # reconciliation's deletes come from Strava's own list
        now = self._now()
        if self._delete_allowance.spent(session, event.owner_id, now):
            count_refused()
            raise _DeleteParked(self._delete_allowance.frees_at(session, event.owner_id, now))
        if repository.has_parked_deletes(session, event.owner_id, before_event_id=event.id):
            raise _DeleteParked(now + timedelta(seconds=PARKED_TURN_S))

    def _refresh_after_disproof(
        self,
        session: Session,
        event: StravaEvent,
        stored: Activity | None,
        raw: dict[str, Any],
        read_at: datetime,
    ) -> EventOutcome:
        """Strava still shows the run: keep the read's copy, so its `fetched_at` disproves the deletes of this
        run that reached us before the read without a further call."""
        if stored is None:
            return EventOutcome.IGNORED_DELETE_NOT_CONFIRMED
        try:
            parsed = parse_activity(raw)
        except MalformedActivity:
            return EventOutcome.IGNORED_DELETE_NOT_CONFIRMED
        if parsed.athlete.id != event.owner_id:
            return EventOutcome.IGNORED_DELETE_NOT_CONFIRMED
        row = activity_row(parsed, raw, read_at)
        changed = not _same_copy(stored, row)
        repository.upsert_activity(session, row)
        return EventOutcome.SYNCED if changed else EventOutcome.IGNORED_DELETE_NOT_CONFIRMED

    def _delete_without_grant(self, session: Session, event: StravaEvent, stored: bool) -> EventOutcome:
        """The athlete's grant is dead, so Strava cannot confirm the delete. Keeping a run its owner deleted
        breaks the 48-hour deletion term (docs/operations.md, Retention), so the owner's stored run is removed,
        but without a tombstone: if the delete was forged, the run comes back with the backfill or the
        reconciliation after the athlete reconnects (and without a reconnect the retention job purges all of
        the athlete's Strava data anyway). Runs stored under another athlete were refused above."""
        if not stored:
            return EventOutcome.IGNORED_DELETE_UNVERIFIABLE
        repository.delete_activity(session, event.object_id, event.owner_id, now=self._now(), tombstone=False)
        log.info("sync.event.deleted_without_grant", extra={"event_id": event.id})
        return EventOutcome.DELETED_UNCONFIRMED

    def _deauthorize(self, session: Session, event: StravaEvent) -> EventOutcome:
        athlete_id = event.owner_id
        if event.object_id != athlete_id:
            return EventOutcome.IGNORED_MALFORMED_DEAUTHORIZATION
        connection = repository.get_connection(session, athlete_id)
        if connection is None:
            return EventOutcome.IGNORED_UNKNOWN_ATHLETE
        if connection.status == ConnectionStatus.REVOKED:
            return EventOutcome.ALREADY_REVOKED
        if not self._tokens.grant_is_revoked(athlete_id):
            log.warning("sync.deauth.rejected_grant_alive", extra={"athlete_id": athlete_id})
            return EventOutcome.DEAUTH_REJECTED_GRANT_ALIVE
        now = self._now()
        counts = purge_athlete(session, athlete_id, now=now, keep_event_id=event.id)
        repository.close_ical_feed(session, athlete_id)
        plan_page_repository.delete_link(session, athlete_id)  # a reconnect must not revive the old link
        # Read fresh: the grant probe above committed to this row in its own transaction (sync/tokens.py).
        connection = repository.get_connection(session, athlete_id, lock=True, fresh=True)
        assert connection is not None  # locked athlete row: the connection cannot vanish
        connection.status = ConnectionStatus.REVOKED
        connection.status_reason = "athlete deauthorized the application"
        connection.access_token_enc = connection.refresh_token_enc = None
        connection.expires_at = 0
        connection.updated_at = connection.data_purged_at = now
        log.info("sync.deauth.purged", extra={"athlete_id": athlete_id, **counts})
        return EventOutcome.DEAUTHORIZED

    # --- the unhappy paths: each its own short transaction ---------------------------------------------

    def _streak(self, event_id: int, outcome: EventOutcome) -> int:
        """How many of the event's latest attempts in a row ended in `outcome`: the retry count. Read from the
        attempt log, not from Celery's retry counter, which restarts when the sweeper re-drives a parked row."""
        limit = max(self.policy.max_retries, self.policy.not_found_retries) + 1
        with self._factory() as session:
            latest = repository.latest_attempt_outcomes(session, event_id, limit=limit)
        return next((n for n, seen in enumerate(latest) if seen != outcome), len(latest))

    def _not_found(self, event_id: int, started: datetime, error: str) -> Processed:
        attempt = self._streak(event_id, EventOutcome.NOT_FOUND_RETRYING)
        if attempt < self.policy.not_found_retries:
            if self._retries_refused(event_id):
                return self._finish(
                    event_id, started, EventStatus.DONE, EventOutcome.NOT_FOUND_ALLOWANCE_SPENT, error
                )
            return self._mark(
                event_id,
                started,
                EventOutcome.NOT_FOUND_RETRYING,
                error,
                retry_in=self.policy.backoff(attempt),
            )
        return self._finish(event_id, started, EventStatus.DONE, EventOutcome.GONE, error)

    def _retries_refused(self, event_id: int) -> bool:
        """A pushed event's not-found retries draw on its athlete's allowance: once it is spent, the 404 is
        final and reconciliation checks the athlete's runs instead."""
        with self._factory() as session:
            event = repository.get_event(session, event_id)
            return event is not None and self._refused(session, event)

    def _backoff(self, event_id: int, started: datetime, error: str) -> Processed:
        attempt = self._streak(event_id, EventOutcome.RETRYING)
        if attempt < self.policy.max_retries:
            return self._mark(
                event_id, started, EventOutcome.RETRYING, error, retry_in=self.policy.backoff(attempt)
            )
        return self._finish(
            event_id,
            started,
            EventStatus.FAILED,
            EventOutcome.FAILED,
            error,
            next_attempt_at=self._now() + timedelta(seconds=FAILED_REDRIVE_S),
        )

    def _wait(
        self, event_id: int, started: datetime, delay_s: float, outcome: EventOutcome, error: str
    ) -> Processed:
        # `_mark` parks a wait too long to hold as a countdown; the outcome says so, for operators.
        parked = delay_s > MAX_HELD_WAIT_S
        return self._mark(event_id, started, outcome.parked if parked else outcome, error, retry_in=delay_s)

    def _mark(
        self, event_id: int, started: datetime, outcome: EventOutcome, error: str, *, retry_in: float
    ) -> Processed:
        """Pending again at `next_attempt_at`; a countdown for the task only when the wait is short (longer
        ones are parked: the sweeper re-drives the row when it is due)."""
        return self._finish(
            event_id,
            started,
            EventStatus.PENDING,
            outcome,
            error,
            next_attempt_at=self._now() + timedelta(seconds=retry_in),
            retry_in=retry_in if retry_in <= MAX_HELD_WAIT_S else None,
        )

    def _finish(
        self,
        event_id: int,
        started: datetime,
        status: EventStatus,
        outcome: EventOutcome,
        error: str | None,
        *,
        next_attempt_at: datetime | None = None,
        retry_in: float | None = None,
    ) -> Processed:
        result = Processed(outcome, retry_in_s=retry_in, error=error)
        with UnitOfWork(self._factory) as uow:
            event = repository.get_event(uow.session, event_id)
            if event is not None and event.status not in (EventStatus.DONE, EventStatus.AWAITING_REAUTH):
                event.status = status
                event.outcome = outcome
                event.next_attempt_at = next_attempt_at
                if status == EventStatus.DONE:
                    event.handled_at = self._now()
                self._record(uow.session, event, started, result)
                uow.commit()
        return result

    def _record(self, session: Session, event: StravaEvent, started: datetime, result: Processed) -> None:
        # An audit row per attempt, in the same transaction as the attempt's outcome (one commit per attempt;
        # the effects of a failed attempt were rolled back, its record and the retry decision are not).
        repository.record_attempt(
            session,
            event,
            started_at=started,
            finished_at=self._now(),
            outcome=result.outcome,
            error=result.error,
        )
        if event.source == EventSource.WEBHOOK and result.outcome in DISPROVED_OUTCOMES:
            count_spent()


def _same_copy(stored: Any, row: dict[str, Any]) -> bool:
    return all(getattr(stored, field) == row[field] for field in _COMPARED_FIELDS)


def _describe(error: Exception) -> str:
    if isinstance(error, OperationalError):
        return "database unavailable"  # never the statement text: it can carry parameters
    return str(error) or type(error).__name__
