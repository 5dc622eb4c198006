"""Delivering one outbox row: the service behind the `notify.deliver` task.

One row fans out to the app webhook (when configured) and to each of the athlete's apprise URLs. Per-channel
outcomes are kept in the row's payload under `_delivery` (never sent), so a channel that answered 2xx is
never sent the same row again, however often the row is retried. The row is locked `FOR UPDATE SKIP LOCKED`
for the whole attempt: a second worker handed the same id does nothing. The requests run while the lock is
held; each has a timeout, so the lock is bounded too.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from sqlalchemy.orm import Session, sessionmaker

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


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    base_s: float = 30.0
    max_s: float = 3600.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential with jitter, bounded: between half and all of min(max, base * 2^attempt).

        The exponential bound is Celery's formula, the same one the event retries use (sync/events.py); only
        the jitter differs: a delivery keeps at least half the wait, so a flapping receiver is not hammered."""
        cap = float(get_exponential_backoff_interval(self.base_s, max(attempt, 0), self.max_s))
        return cap / 2 + rng() * cap / 2


@dataclass(frozen=True)
class Delivered:
    outcome: str  # delivered | retrying | dead | already_delivered | already_dead | busy | not_due | missing
    retry_in_s: float | None = None


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
    ) -> None:
        self._sessions = sessions
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
                return Delivered("busy" if exists else "missing")
            if row.status != OutboxStatus.PENDING:
                return Delivered(f"already_{row.status}")
            now = self._clock()
            if row.next_attempt_at is not None and as_utc(row.next_attempt_at) > now + EARLY_TOLERANCE:
                return Delivered("not_due")
            result = self._attempt(uow.session, row, now)
            uow.commit()
        log.info(
            "notify.delivery",
            extra={"outbox_id": outbox_id, "outcome": result.outcome, "event_type": row.event_type},
        )
        return result

    def _channels(self, session: Session, row: NotificationOutbox) -> list[tuple[str, Callable[[], Sent]]]:
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
            return Delivered("delivered")
        row.attempts = (row.attempts or 0) + 1
        row.last_error = "; ".join(errors)[:2000]
        if row.attempts >= self.policy.max_attempts:
            row.status = OutboxStatus.DEAD
            row.next_attempt_at = None
            log.warning("notify.dead_letter", extra={"outbox_id": row.id, "attempts": row.attempts})
            return Delivered("dead")
        wait = min(max(self.policy.backoff(row.attempts - 1, self._rng), retry_hint), self.policy.max_s)
        row.next_attempt_at = now + timedelta(seconds=wait)
        return Delivered("retrying", retry_in_s=wait)

    def due(self, *, stale_after_s: float, limit: int = 500) -> list[int]:
        """Rows the sweeper re-enqueues (see `store.outbox_repository.due_ids`)."""
        stale_before = self._clock() - timedelta(seconds=stale_after_s)
        with UnitOfWork(self._sessions) as uow:
            return list(outbox_repository.due_ids(uow.session, stale_before=stale_before, limit=limit))

    def fresh(self, limit: int = 500) -> list[int]:
        with UnitOfWork(self._sessions) as uow:
            return list(outbox_repository.fresh_ids(uow.session, limit=limit))
