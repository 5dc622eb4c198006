"""Paging through an athlete's activity list with their own token: shared by backfill and reconciliation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync.budget import Priority
from sync.strava import StravaGateway
from sync.tokens import TokenService


class ActivityPager:
    def __init__(
        self,
        factory: sessionmaker[Session],
        gateway: StravaGateway,
        tokens: TokenService,
        *,
        per_page: int = 200,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._factory = factory
        self._gateway = gateway
        self._tokens = tokens
        self._per_page = per_page
        self._now = now

    def _page(
        self, athlete_id: int, *, after: int, before: int, page: int, priority: Priority
    ) -> list[dict[str, Any]]:
        """One page (max 200 per Strava). Only an empty page ends a list (docs/strava.md, "Activity data")."""
        return self._tokens.call(
            athlete_id,
            lambda token: self._gateway.list_activities(
                token, after=after, before=before, page=page, per_page=self._per_page, priority=priority
            ),
        )
