"""Backfill against Strava mocked by `responses`: the activity list as Strava pages it, and a backfill scheduled
and stepped to its end as the worker would."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import requests
import responses

from composition.root import Container
from store.db import UnitOfWork
from sync.backfill import schedule_backfill
from tests.integration.conftest import ATHLETE_ID, RATE_HEADERS, STRAVA

LIST_URL = f"{STRAVA}/api/v3/athlete/activities"


def summary(activity_id: int, start: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": activity_id,
        "resource_state": 2,
        "athlete": {"id": ATHLETE_ID},
        "name": "Morning Run",
        "sport_type": "Run",
        "type": "Run",
        "distance": 10012.3,
        "moving_time": 2950,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }


def pages(strava: responses.RequestsMock, *batches: list[dict[str, Any]]) -> responses.BaseResponse:
    """Serve `batches` as pages 1..n, then empty pages."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        page = int(re.search(r"[?&]page=(\d+)", request.url or "").group(1))  # type: ignore[union-attr]
        body = batches[page - 1] if page <= len(batches) else []
        return 200, RATE_HEADERS, json.dumps(body)

    return strava.add_callback(responses.GET, LIST_URL, callback=callback)


def start_backfill(container: Container, weeks: int = 4) -> None:
    with UnitOfWork(container.sessions) as uow:
        assert schedule_backfill(uow.session, ATHLETE_ID, weeks=weeks, now=datetime.now(UTC))
        uow.commit()


def run_backfill_to_end(container: Container, limit: int = 20) -> list[int]:
    """Step the backfill until it is done (at most `limit` steps); the event ids it queued."""
    queued: list[int] = []
    for _ in range(limit):
        step = container.backfill.step(ATHLETE_ID)
        queued.extend(step.queued)
        if step.done:
            return queued
    raise AssertionError("backfill did not finish")
