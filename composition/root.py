"""The composition root: the one place that wires settings to adapters and services.

Every process (API, worker, CLI) takes its container from `workers.runtime.container()`, which adds the one
thing this layer cannot know: how new outbox rows reach the workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from notify.channels import AppWebhook, Sent
from notify.connector_sync import CONNECTOR_SYNC, CalendarSync
from notify.delivery import DeliveryPolicy, Notifier
from plans.pipeline import PlanPipeline
from runsmart.settings import Settings
from sources.ledger import Ledger
from sources.merge import parse_priority
from sources.strava import StravaSource
from store.db import engine_for, session_factory
from store.plan_models import NotificationOutbox
from sync.backfill import BackfillService
from sync.budget import Budget, LocalBudget, RedisBudget
from sync.crypto import TokenCipher
from sync.events import EventProcessor, RetryPolicy
from sync.reconcile import Reconciler
from sync.strava import StravaGateway, StravalibGateway
from sync.tokens import TokenService


def make_budget(settings: Settings) -> Budget:
    """App-wide budget in Redis; the embedded demo (no Redis) keeps it in its single worker process."""
    if settings.celery_broker_url.startswith("filesystem"):
        return LocalBudget(reserve=settings.budget_reserve)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    return RedisBudget(client, reserve=settings.budget_reserve)


def plan_clock(settings: Settings) -> Callable[[], datetime]:
    """The time plans are judged at: now; in development, shifted by the seconds in RUNSMART_DEMO_CLOCK_FILE,
    read at every call, so `make demo` moves its story from one week to the next between the events it pushes."""
    if not settings.demo_clock_file or not settings.is_development:
        return lambda: datetime.now(UTC)
    offset_file = Path(settings.demo_clock_file)

    def story_now() -> datetime:
        try:
            offset = float(offset_file.read_text())
        except (OSError, ValueError):  # not written yet, or being rewritten: real time
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)

    return story_now


@dataclass
class Container:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cipher: TokenCipher
    budget: Budget
    gateway: StravaGateway
    tokens: TokenService
    events: EventProcessor
    plans: PlanPipeline
    backfill: BackfillService
    reconciler: Reconciler
    notifier: Notifier


def make_notifier(settings: Settings, sessions: sessionmaker[Session]) -> Notifier:
    secret = settings.app_webhook_secret.get_secret_value()
    app = (
        AppWebhook(settings.app_webhook_url, secret, timeout_s=settings.webhook_timeout_s)
        if settings.app_webhook_url and secret
        else None
    )
    policy = DeliveryPolicy(
        max_attempts=settings.webhook_max_attempts,
        base_s=settings.webhook_retry_base_s,
        max_s=settings.webhook_retry_max_s,
        coalesce_window_s=settings.notify_coalesce_window_s,
    )
    # Channel URLs are encrypted with the token key(s), like OAuth tokens (docs/security.md).
    cipher = TokenCipher(settings.effective_token_key())
    allow_private = settings.notify_allow_private_targets
    return Notifier(
        sessions,
        app=app,
        policy=policy,
        cipher=cipher,
        allow_private_targets=allow_private,
        senders={CONNECTOR_SYNC: CalendarSender(settings, cipher)},
    )


class CalendarSender:
    """The athletes' intervals.icu calendars: `connector.sync` rows go there (docs/connectors.md).

    The client and its CalendarSync are built at the first row, so a process that never syncs a calendar (the
    API) neither builds them nor imports the client's module; a worker builds them once.
    """

    def __init__(self, settings: Settings, cipher: TokenCipher) -> None:
        self._settings = settings
        self._cipher = cipher
        self._lock = threading.Lock()  # a threads pool could deliver two first rows at once
        self._calendar: CalendarSync | None = None

    def __call__(self, session: Session, row: NotificationOutbox) -> Sent:
        return self.calendar().send(session, row)

    def calendar(self) -> CalendarSync:
        with self._lock:
            if self._calendar is None:
                self._calendar = make_calendar_sync(self._settings, self._cipher)
            return self._calendar


def make_calendar_sync(settings: Settings, cipher: TokenCipher) -> CalendarSync:
    from notify.intervals_icu import IntervalsIcuClient  # only where a calendar is synced (CalendarSender)

    icu = IntervalsIcuClient(settings.intervals_icu_base_url, timeout_s=settings.connector_timeout_s)
    return CalendarSync(
        icu, cipher, horizon_days=settings.connector_horizon_days, plan_now=plan_clock(settings)
    )


def build(
    settings: Settings, gateway: StravaGateway | None = None, budget: Budget | None = None
) -> Container:
    engine = engine_for(settings.database_url)
    sessions = session_factory(engine)
    cipher = TokenCipher(settings.effective_token_key())
    budget = budget or make_budget(settings)
    gateway = gateway or StravalibGateway(
        client_id=settings.strava_client_id,
        client_secret=settings.strava_client_secret.get_secret_value(),
        base_url=settings.strava_base_url,
        timeout_s=settings.strava_http_timeout_s,
        budget=budget,
    )
    tokens = TokenService(sessions, gateway, cipher, margin_s=settings.token_refresh_margin_s)
    policy = RetryPolicy(
        base_s=settings.retry_base_s,
        max_s=settings.retry_max_s,
        max_retries=settings.max_retries,
        not_found_retries=settings.not_found_retries,
        unverified_allowance=settings.unverified_call_allowance,
        unverified_window_s=settings.unverified_call_window_s,
    )
    # The plan pipeline is the event processor's effect: EventProcessor._run_plan_pipeline (sync/events.py) calls
    # it inside each event's transaction, so a plan change commits with its cause.
    plan_pipeline = PlanPipeline(now=plan_clock(settings))
    # Ahead of it, Strava's copy of the changed run joins the other sources' copies (docs/sources.md).
    strava_source = StravaSource(Ledger(parse_priority(settings.source_priority)))
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        budget=budget,
        gateway=gateway,
        tokens=tokens,
        events=EventProcessor(sessions, gateway, tokens, policy, effects=[strava_source, plan_pipeline]),
        plans=plan_pipeline,
        backfill=BackfillService(sessions, gateway, tokens),
        reconciler=Reconciler(sessions, gateway, tokens),
        notifier=make_notifier(settings, sessions),
    )
