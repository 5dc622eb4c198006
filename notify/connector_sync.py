"""Keeping an athlete's upcoming workouts in their intervals.icu calendar (docs/connectors.md).

A sync is an outbox row of type `connector.sync`, delivered by notify/delivery.py with the same retries,
backoff and dead letters as any notification; the Notifier hands such a row to `CalendarSync.send` instead of
the app and the athlete's channels. Rows are written when the athlete connects or removes the calendar
(webhooks/connectors_api.py) and by the beat's tick for every connection whose plan version is not the one
last synced, or whose last sync is older than RUNSMART_CONNECTOR_RESYNC_EVERY_S (`request_due_syncs`).

A sync reads the current plan, never the row: from today (in the plan's timezone) over the next
RUNSMART_CONNECTOR_HORIZON_DAYS days every run becomes an event (notify/intervals_icu.py), compared by digest
with what was pushed last (store.connector_repository); what changed is upserted in one call, what left the
plan is deleted in one call, each keyed by our workout id (`external_id`), so a re-run sends nothing and a
repeated call changes nothing. Past workouts are left there as the athlete's history. Partial progress is
kept: a failed delete after a good upsert retries only the delete.

Errors: 401/403/404 mark the connection `needs_attention` (nothing more is sent until the athlete sets the
key again; the row ends without retry); 429, 5xx, timeouts are retried with the outbox's bounded backoff
(honouring Retry-After); anything else is retried, then dead-lettered. Nothing ever sleeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

import planner
from notify.channels import ChannelCipher, Sent
from store import connector_repository, plan_repository
from store.connector_repository import Pushed
from store.plan_models import ConnectorConnection, ConnectorStatus, NotificationOutbox

if TYPE_CHECKING:  # the client's module is imported by the sync that uses it (`CalendarSync._desired`)
    from notify.intervals_icu import Answer, IntervalsIcuClient

log = logging.getLogger(__name__)

CONNECTOR_SYNC = "connector.sync"  # the outbox event type of a sync


class Connector(StrEnum):
    INTERVALS_ICU = "intervals_icu"


class SyncCause(StrEnum):
    CONNECTED = "connected"  # the athlete set the connection (or its key) through the API
    REMOVED = "removed"  # the athlete removed it: delete our events there, then forget the key
    PLAN_CHANGED = "plan_changed"  # the tick saw a plan version not synced yet (or a resync came due)


@dataclass(frozen=True)
class Desired:
    """What the calendar should hold: event by external id, with its day and digest; and the plan it is from."""

    events: dict[str, tuple[dict[str, Any], Pushed]]
    plan_id: int | None
    version: int | None


class CalendarSync:
    """The Notifier's sender for `connector.sync` rows (composition/root.py wires it)."""

    def __init__(
        self,
        client: IntervalsIcuClient,
        cipher: ChannelCipher,
        *,
        horizon_days: int,
        plan_now: Callable[[], datetime],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._cipher = cipher
        self._horizon = timedelta(days=horizon_days)
        self._plan_now = plan_now  # "today" for the plan (the demo's story clock in development)
        self._clock = clock

    def send(self, session: Session, row: NotificationOutbox) -> Sent:
        connector = str((row.payload or {}).get("connector") or Connector.INTERVALS_ICU)
        connection = connector_repository.lock_connection(session, row.athlete_id, connector)
        if connection is None:
            return Sent(True)  # removed and forgotten since: nothing of ours is left to sync
        if connection.status == ConnectorStatus.NEEDS_ATTENTION:
            return Sent(False, "the connection needs attention", permanent=True)
        try:
            key = self._cipher.decrypt(connection.secret)
        except RuntimeError:  # no configured key opens it (a token key removed too early)
            return self._refused(session, connection, "the stored API key cannot be decrypted")
        today = self._today(_timezone(session, row.athlete_id))
        desired = self._desired(session, connection, today)
        failure = self._push(session, connection, key, desired, today)
        if failure is not None:
            return self._failed(session, connection, failure)
        self._done(session, connection, desired)
        return Sent(True)

    # --- what the calendar should hold --------------------------------------------------------------------

    def _desired(self, session: Session, connection: ConnectorConnection, today: date) -> Desired:
        # Imported here, not at the top: the API imports this module to write sync rows (`request_sync`) and
        # never syncs, so it never loads the client (composition/root.py builds a CalendarSync on first use).
        from notify.intervals_icu import content_hash, event_for

        if connection.status == ConnectorStatus.REMOVING:
            return Desired({}, None, None)
        found = plan_repository.active_plan_and_version(session, connection.athlete_id)
        if found is None:
            return Desired({}, None, None)
        row, version = found
        plan = planner.plan_from_dict(version.plan)
        easy = planner.training_paces(plan.vdot).easy
        events: dict[str, tuple[dict[str, Any], Pushed]] = {}
        for w in plan.workouts():
            if w.is_run and today <= w.date < today + self._horizon:
                event = event_for(w, plan_id=row.id, easy_pace=easy)
                events[event["external_id"]] = (
                    event,
                    Pushed(event["external_id"], w.date, content_hash(event)),
                )
        return Desired(events, row.id, row.version)

    def _today(self, timezone: str | None) -> date:
        try:
            zone = ZoneInfo(timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return self._plan_now().astimezone(zone).date()

    # --- pushing the difference ---------------------------------------------------------------------------

    def _push(
        self, session: Session, connection: ConnectorConnection, key: str, desired: Desired, today: date
    ) -> Answer | None:
        """Sends what changed and deletes what left the plan; the first refused call's answer, else None."""
        athlete, connector = connection.athlete_id, connection.connector
        pushed = connector_repository.pushed(session, athlete, connector)
        # Past workouts stay there as history; we stop tracking them.
        history = [
            p.external_id
            for p in pushed.values()
            if p.workout_date < today and p.external_id not in desired.events
        ]
        connector_repository.forget_pushed(session, athlete, connector, history)
        changed = [(e, p) for e, p in desired.events.values() if pushed.get(p.external_id) != p]
        doomed = sorted(e for e, p in pushed.items() if e not in desired.events and p.workout_date >= today)
        remote = connection.remote_athlete_id
        if changed:
            answer = self._client.upsert(remote, key, [event for event, _ in changed])
            if not answer.ok:
                return answer
            connector_repository.record_pushed(
                session, athlete, connector, [p for _, p in changed], now=self._clock()
            )
        if doomed:
            answer = self._client.delete(remote, key, doomed)
            if not answer.ok:
                return answer
            connector_repository.forget_pushed(session, athlete, connector, doomed)
        log.info(
            "connector.synced",
            extra={
                "athlete_id": athlete,
                "connector": connector,
                "upserted": len(changed),
                "deleted": len(doomed),
                "unchanged": len(desired.events) - len(changed),
            },
        )
        return None

    def _done(self, session: Session, connection: ConnectorConnection, desired: Desired) -> None:
        if connection.status == ConnectorStatus.REMOVING:
            connector_repository.delete_connection(session, connection.athlete_id, connection.connector)
            log.info("connector.removed", extra={"athlete_id": connection.athlete_id})
            return
        connection.synced_plan_id = desired.plan_id
        connection.synced_version = desired.version
        connection.synced_at = self._clock()
        connection.status_reason = None

    def _failed(self, session: Session, connection: ConnectorConnection, answer: Answer) -> Sent:
        error = answer.error or "intervals.icu: failed"
        if answer.needs_attention:
            return self._refused(session, connection, error)
        log.warning(
            "connector.sync_failed",
            extra={"athlete_id": connection.athlete_id, "outcome": str(answer.outcome), "error": error},
        )
        return Sent(False, error, retry_after_s=answer.retry_after_s)

    def _refused(self, session: Session, connection: ConnectorConnection, why: str) -> Sent:
        """The key or athlete id does not work: nothing more is sent until the athlete sets them again. A
        removal still forgets the key (our events there cannot be deleted without a working one)."""
        log.warning("connector.needs_attention", extra={"athlete_id": connection.athlete_id, "error": why})
        if connection.status == ConnectorStatus.REMOVING:
            connector_repository.delete_connection(session, connection.athlete_id, connection.connector)
        else:
            connection.status = ConnectorStatus.NEEDS_ATTENTION
            connection.status_reason = why
            connection.updated_at = self._clock()
        return Sent(False, why, permanent=True)


def _timezone(session: Session, athlete_id: int) -> str | None:
    """The timezone "today" is judged in: the active plan's, else the athlete's."""
    plan = plan_repository.active_plan(session, athlete_id)
    if plan is not None:
        return plan.timezone
    athlete = plan_repository.get_athlete(session, athlete_id)
    return athlete.timezone if athlete else None


# --- writing sync rows ----------------------------------------------------------------------------------------


def request_sync(
    session: Session,
    athlete_id: int,
    *,
    cause: SyncCause,
    key: str,
    now: datetime,
    connector: str = Connector.INTERVALS_ICU,
) -> bool:
    """One `connector.sync` outbox row (announced to the workers after the caller's commit); False when a row
    with this key was written before. `key` makes the idempotency key unique to its cause."""
    return plan_repository.enqueue_notification(
        session,
        athlete_id=athlete_id,
        event_type=CONNECTOR_SYNC,
        payload={"athlete_id": athlete_id, "connector": str(connector), "cause": str(cause)},
        idempotency_key=f"{CONNECTOR_SYNC}:{connector}:{athlete_id}:{cause}:{key}",
        now=now,
    )


def request_due_syncs(session: Session, *, now: datetime, resync_every_s: int, limit: int = 500) -> int:
    """The tick: a row for every active connection whose plan changed or whose resync is due (one per plan
    version and resync period, none while one is pending). Returns how many rows were written."""
    due = connector_repository.due_for_sync(
        session,
        Connector.INTERVALS_ICU,
        event_type=CONNECTOR_SYNC,
        resync_before=now - timedelta(seconds=resync_every_s),
        limit=limit,
    )
    period = int(now.timestamp() // resync_every_s)
    written = 0
    for sync in due:
        key = f"{sync.plan_id}:v{sync.version}:{period}"
        written += request_sync(session, sync.athlete_id, cause=SyncCause.PLAN_CHANGED, key=key, now=now)
    return written
