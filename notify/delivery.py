"""Delivering one outbox row: the service behind the `notify.deliver` task.

One row fans out to the app webhook (when configured) and to each of the athlete's apprise URLs. Per-channel
outcomes are kept in the row's payload under `_delivery` (never sent), so a channel that answered 2xx is
never sent the same row again, however often the row is retried. The row is locked `FOR UPDATE SKIP LOCKED`
for the whole attempt: a second worker handed the same id does nothing. The requests run while the lock is
held; each has a timeout, so the lock is bounded too.

Coalescing (notify/coalesce.py, docs/notifications.md "Coalescing"): a `plan.updated` row waits until the
athlete's newest such row is a window old, then every one of them still open is merged into one message,
carried by the newest row (`merged_into` names the carrier on each). The merge is written in the transaction
of the first attempt, so a crash before the send undoes it; after that the carrier is retried and
dead-lettered like any row, and the rows it carries take its final status in the same transaction.

A `week.reviewed` row is written as figures only, set-based for every athlete at once (jobs/review.py); its
`message` is rendered at its first attempt, in the athlete's units (messages/digest.py), and kept in the row,
so every retry sends the same body.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from sqlalchemy.orm import Session, sessionmaker

from messages import Audience, digest
from notify import coalesce
from notify.channels import (
    AppWebhook,
    ChannelCipher,
    ChannelRefused,
    Notify,
    Sent,
    apprise_send,
    channel_key,
    check_channel_url,
    render_text,
)
from notify.signing import message_body
from store import outbox_repository, plan_repository
from store.db import UnitOfWork, as_utc
from store.plan_models import NotificationOutbox, OutboxStatus

log = logging.getLogger(__name__)

DELIVERY_KEY = "_delivery"
# A retry handed over by a Celery countdown may arrive a moment before `next_attempt_at`.
EARLY_TOLERANCE = timedelta(seconds=2)
# While another worker merges or checks the athlete's rows, look again this soon.
BUSY_RECHECK_S = 5.0
WEEK_REVIEWED = "week.reviewed"  # plans.notify.WEEK_REVIEWED; notify/ does not import plans/
MESSAGE = "message"


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    base_s: float = 30.0
    max_s: float = 3600.0
    coalesce_window_s: float = 0.0  # 0: every row is its own message

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential with jitter, bounded: between half and all of min(max, base * 2^attempt).

        The exponential bound is Celery's formula, the same one the event retries use (sync/events.py); only
        the jitter differs: a delivery keeps at least half the wait, so a flapping receiver is not hammered."""
        cap = float(get_exponential_backoff_interval(self.base_s, max(attempt, 0), self.max_s))
        return cap / 2 + rng() * cap / 2


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD = "dead"
    ALREADY_DELIVERED = "already_delivered"
    ALREADY_DEAD = "already_dead"
    BUSY = "busy"  # another worker holds the row (or, with a re-check, is merging the athlete's rows)
    NOT_DUE = "not_due"
    MISSING = "missing"
    COALESCING = "coalescing"  # held until the athlete's coalescing window has passed
    CARRIED = "carried"  # merged into another row's message: that row delivers it


@dataclass(frozen=True)
class Delivered:
    outcome: str
    retry_in_s: float | None = None
    # Run again in this many seconds, as a countdown whatever its length: the end of a coalescing window (only
    # the task of the athlete's newest row holds one) or a short re-check while another worker merges.
    recheck_in_s: float | None = None


# Delivers a row of its own event type somewhere else than the app and the athlete's channels (a calendar
# connector, notify/connector_sync.py); reports like a channel.
RowSender = Callable[[Session, NotificationOutbox], Sent]


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if not k.startswith("_")}


class Notifier:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        app: AppWebhook | None,
        policy: DeliveryPolicy,
        cipher: ChannelCipher,
        allow_private_targets: bool = False,
        notify: Notify = apprise_send,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: Callable[[], float] = random.random,
        senders: Mapping[str, RowSender] | None = None,
    ) -> None:
        self._sessions = sessions
        self._senders = dict(senders or {})  # event type -> its own sender
        self._app = app
        self.policy = policy
        self._notify = notify
        self._cipher = cipher
        self._allow_private = allow_private_targets
        self._clock = clock
        self._rng = rng

    def deliver(self, outbox_id: int) -> Delivered:
        with UnitOfWork(self._sessions) as uow:
            row = outbox_repository.lock(uow.session, outbox_id)
            if row is None:
                exists = outbox_repository.exists(uow.session, outbox_id)
                return Delivered(Outcome.BUSY if exists else Outcome.MISSING)
            result = self._deliver_locked(uow.session, row)
            uow.commit()
        log.info(
            "notify.delivery",
            extra={"outbox_id": outbox_id, "outcome": result.outcome, "event_type": row.event_type},
        )
        return result

    def _deliver_locked(self, session: Session, row: NotificationOutbox) -> Delivered:
        if row.status != OutboxStatus.PENDING:
            return Delivered(Outcome(f"already_{row.status}"))
        if row.merged_into is not None and row.merged_into != row.id:
            return Delivered(Outcome.CARRIED)
        now = self._clock()
        if row.next_attempt_at is not None and as_utc(row.next_attempt_at) > now + EARLY_TOLERANCE:
            return Delivered(Outcome.NOT_DUE)
        carrier = row
        if _is_open(row):
            merged = self._merge_group(session, row, now)
            if isinstance(merged, Delivered):
                return merged
            carrier = merged
        self._render_figures(session, carrier)
        result = self._attempt(session, carrier, now)
        if carrier.status != OutboxStatus.PENDING:
            self._settle_carried(session, carrier, now)
        return result

    def _merge_group(
        self, session: Session, row: NotificationOutbox, now: datetime
    ) -> NotificationOutbox | Delivered:
        """The row that carries the athlete's open rows of this type, merged, once the window has passed; or
        why not yet. A cheap unlocked read decides whether the window has passed; only then are the rows
        locked, and all of them must be (none held by another worker, none written since)."""
        window = self.policy.coalesce_window_s
        if window <= 0:
            return self._freeze(session, [row])
        group = outbox_repository.open_group(session, row.athlete_id, row.event_type)
        held = self._hold(row, group, now)
        if held is not None:
            return held
        busy = Delivered(Outcome.BUSY, recheck_in_s=BUSY_RECHECK_S)
        if not outbox_repository.try_lock_merging(session, row.athlete_id):
            return busy
        rows = outbox_repository.lock_open_group(session, row.athlete_id, row.event_type)
        current = outbox_repository.open_group(session, row.athlete_id, row.event_type)
        if {outbox_id for outbox_id, _ in current} - {r.id for r in rows}:
            return busy
        held = self._hold(row, current, now)
        return held if held is not None else self._freeze(session, rows)

    def _hold(
        self, row: NotificationOutbox, group: list[tuple[int, datetime]], now: datetime
    ) -> Delivered | None:
        """Hold the row while the group's window runs (its time is stored for the sweeper); only the newest
        row's task waits for it as a countdown, so an athlete's burst holds one message in a worker."""
        if not group:
            return None
        due = coalesce.due_at([as_utc(created) for _, created in group], self.policy.coalesce_window_s)
        if due <= now + EARLY_TOLERANCE:
            return None
        row.next_attempt_at = due
        newest = group[-1][0] == row.id
        return Delivered(Outcome.COALESCING, recheck_in_s=(due - now).total_seconds() if newest else None)

    def _freeze(self, session: Session, rows: list[NotificationOutbox]) -> NotificationOutbox:
        """Merge the rows (oldest first) into the newest, which carries the one message from now on."""
        carrier = rows[-1]
        parts = [
            coalesce.Part(r.id, r.idempotency_key, public_payload(r.payload or {}), as_utc(r.created_at))
            for r in rows
        ]
        private = {k: v for k, v in (carrier.payload or {}).items() if k.startswith("_")}
        # The merged message is in the athlete's units and timezone, like each row's (messages/combined.py).
        athlete = plan_repository.get_athlete(session, carrier.athlete_id) if len(rows) > 1 else None
        audience = Audience.of(athlete.units, athlete.timezone) if athlete else Audience()
        carrier.payload = {**coalesce.merge_payloads(parts, audience), **private}
        for r in rows:
            r.merged_into = carrier.id
            r.next_attempt_at = None
        return carrier

    def _render_figures(self, session: Session, row: NotificationOutbox) -> None:
        """The weekly digest's message, from the row's figures, once (see the module's docstring)."""
        payload = row.payload or {}
        # A row written before digests (no `next_week`) is sent as it was written.
        if row.event_type != WEEK_REVIEWED or MESSAGE in payload or "next_week" not in payload:
            return
        athlete = plan_repository.get_athlete(session, row.athlete_id)
        audience = Audience.of(athlete.units, athlete.timezone) if athlete else Audience()
        said = digest.from_payload(audience, payload)
        row.payload = {**payload, MESSAGE: said.message.as_dict(), "reasons": list(said.reasons)}

    def _settle_carried(self, session: Session, carrier: NotificationOutbox, now: datetime) -> None:
        carried = [
            int(part["outbox_id"])
            for part in (carrier.payload or {}).get(coalesce.MERGED) or []
            if part.get("outbox_id") != carrier.id
        ]
        delivered = carrier.status == OutboxStatus.DELIVERED
        outbox_repository.settle_carried(
            session,
            carrier.id,
            carried,
            status=carrier.status,
            now=now,
            last_error=None if delivered else f"sent as notification {carrier.id}: {carrier.last_error}",
        )

    def _channels(self, session: Session, row: NotificationOutbox) -> list[tuple[str, Callable[[], Sent]]]:
        own = self._senders.get(row.event_type)
        if own is not None:  # a connector's row: to its sender only, never to the app or apprise
            return [(row.event_type, functools.partial(own, session, row))]
        channels: list[tuple[str, Callable[[], Sent]]] = []
        data = public_payload(row.payload or {})
        if self._app is not None:
            app = self._app
            body = message_body(event_type=row.event_type, created_at=row.created_at, data=data)
            channels.append(
                ("app", lambda: app.send(msg_id=row.idempotency_key, body=body, now=self._clock()))
            )
        athlete = plan_repository.get_athlete(session, row.athlete_id)
        title, text = render_text(row.event_type, data)
        for stored in dict.fromkeys((athlete.notification_urls or []) if athlete else []):
            try:
                url = self._cipher.decrypt(stored)
            except RuntimeError:  # no configured key opens it (a key removed too early): give the channel up
                key = "apprise:" + hashlib.sha256(stored.encode()).hexdigest()[:12]
                channels.append((key, lambda: Sent(False, "cannot be decrypted", permanent=True)))
                continue
            channels.append((channel_key(url), functools.partial(self._send_checked, url, title, text)))
        return channels

    def _send_checked(self, url: str, title: str, text: str) -> Sent:
        """The target is checked again now, not only when it was set: its name may point elsewhere today."""
        try:
            check_channel_url(url, allow_private=self._allow_private)
        except ChannelRefused as refused:
            return Sent(False, f"refused: {refused}", permanent=not refused.transient)
        return self._notify(url, title, text)

    def _attempt(self, session: Session, row: NotificationOutbox, now: datetime) -> Delivered:
        state: dict[str, Any] = dict((row.payload or {}).get(DELIVERY_KEY) or {})
        errors: list[str] = []
        retry_hint = 0.0
        for key, send in self._channels(session, row):
            previous = state.get(key) or {}
            if previous.get("status") in ("delivered", "invalid"):
                continue
            sent = send()
            status = "delivered" if sent.ok else ("invalid" if sent.permanent else "failed")
            state[key] = {
                "status": status,
                "attempts": int(previous.get("attempts", 0)) + 1,
                "at": now.isoformat(),
                **({"error": sent.error} if sent.error else {}),
            }
            if status == "failed":
                errors.append(f"{key}: {sent.error}")
                retry_hint = max(retry_hint, sent.retry_after_s or 0.0)
        row.payload = {**(row.payload or {}), DELIVERY_KEY: state}
        if not errors:
            row.status = OutboxStatus.DELIVERED
            row.delivered_at = now
            row.next_attempt_at = None
            row.last_error = None
            return Delivered(Outcome.DELIVERED)
        row.attempts = (row.attempts or 0) + 1
        row.last_error = "; ".join(errors)[:2000]
        if row.attempts >= self.policy.max_attempts:
            row.status = OutboxStatus.DEAD
            row.next_attempt_at = None
            log.warning("notify.dead_letter", extra={"outbox_id": row.id, "attempts": row.attempts})
            return Delivered(Outcome.DEAD)
        wait = min(max(self.policy.backoff(row.attempts - 1, self._rng), retry_hint), self.policy.max_s)
        row.next_attempt_at = now + timedelta(seconds=wait)
        return Delivered(Outcome.RETRYING, retry_in_s=wait)

    def due(self, *, stale_after_s: float, limit: int = 500) -> list[int]:
        """Rows the sweeper re-enqueues (see `store.outbox_repository.due_ids`)."""
        stale_before = self._clock() - timedelta(seconds=stale_after_s)
        with UnitOfWork(self._sessions) as uow:
            return list(outbox_repository.due_ids(uow.session, stale_before=stale_before, limit=limit))

    def fresh(self, limit: int = 500) -> list[int]:
        with UnitOfWork(self._sessions) as uow:
            return list(outbox_repository.fresh_ids(uow.session, limit=limit))


def _is_open(row: NotificationOutbox) -> bool:
    """A row of a coalesced type that no message carries yet and that was never attempted (a row retried on
    its own before coalescing was on keeps being sent on its own)."""
    return row.event_type in coalesce.COALESCED_EVENT_TYPES and row.merged_into is None and row.attempts == 0
