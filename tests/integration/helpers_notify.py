"""Pieces the notification-delivery tests share: a notifier whose retry waits are exact, the app's webhook at the
local receiver, and outbox rows written as the planner and the CLI see them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from composition.root import Container
from notify.channels import AppWebhook
from notify.delivery import DeliveryPolicy, Notifier, RowSender
from notify.receiver import Receiver
from store import plan_repository
from store.db import UnitOfWork
from store.models import Athlete
from store.plan_models import NotificationOutbox
from tests.integration.conftest import ATHLETE_ID, WEBHOOK_SECRET, Clock, update_row


def receiver_webhook(receiver: Receiver, *, timeout_s: float = 5) -> AppWebhook:
    """The app's webhook pointed at the local receiver, signed with the secret it checks."""
    return AppWebhook(f"{receiver.url}/webhooks", WEBHOOK_SECRET, timeout_s=timeout_s)


def set_channels(container: Container, *urls: str) -> None:
    """The athlete's own channels, stored encrypted as the API stores them."""
    update_row(
        container, Athlete, ATHLETE_ID, notification_urls=[container.cipher.encrypt(url) for url in urls]
    )


def exact_notifier(
    container: Container,
    clock: Clock,
    *,
    app: AppWebhook | None = None,
    max_attempts: int = 4,
    coalesce_window_s: float = 0.0,
    allow_private_targets: bool = False,
    senders: Mapping[str, RowSender] | None = None,
) -> Notifier:
    """A notifier on the container's database and the hand-moved clock; its jitter is at the top of its range,
    so every retry wait is exactly the exponential cap (30 s doubling, at most 10 minutes)."""
    return Notifier(
        container.sessions,
        app=app,
        policy=DeliveryPolicy(
            max_attempts=max_attempts, base_s=30, max_s=600, coalesce_window_s=coalesce_window_s
        ),
        cipher=container.cipher,
        allow_private_targets=allow_private_targets,
        clock=clock,
        rng=lambda: 1.0,
        senders=senders,
    )


def enqueue(
    session: Session,
    key: str,
    payload: dict[str, Any],
    *,
    event_type: str = "plan.updated",
    athlete_id: int = ATHLETE_ID,
    now: datetime | None = None,
) -> bool:
    """One outbox row through the repository, as the planner writes it; whether it was new."""
    return plan_repository.enqueue_notification(
        session,
        athlete_id=athlete_id,
        event_type=event_type,
        payload=payload,
        idempotency_key=key,
        now=now or datetime.now(UTC),
    )


def outbox_row(container: Container, key: str, status: str, error: str | None = None) -> int:
    """A stored plan.updated row in `status` (dead after all its attempts), as the CLI finds it; its id."""
    with UnitOfWork(container.sessions) as uow:
        row = NotificationOutbox(
            athlete_id=ATHLETE_ID,
            event_type="plan.updated",
            payload={"reasons": ["r"]},
            idempotency_key=key,
            status=status,
            attempts=8 if status == "dead" else 1,
            next_attempt_at=None,
            last_error=error,
            created_at=datetime.now(UTC) - timedelta(hours=2),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return row.id
