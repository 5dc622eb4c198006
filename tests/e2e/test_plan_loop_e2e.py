"""The loop across real processes: a plan made through the API, a run pushed by "Strava", synced by the worker,
matched to its workout, and the plan version moves on — with the outbox rows written beside it, the plan.updated
named by the decisions the run revised."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from cli.stack import Stack
from store.db import engine_for, session_factory
from store.plan_models import NotificationOutbox
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KEY = "e2e-api-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}


def test_a_pushed_run_is_synced_matched_and_the_plan_version_increases(
    stack_factory: Callable[..., Stack], e2e_db: str
) -> None:
    stack = stack_factory(workers=1, extra_env={"RUNSMART_API_KEYS": KEY})
    athlete_id = stack.connect_athlete()
    base = f"{stack.api_url}/api/v1/athletes/{athlete_id}"
    today = datetime.now(UTC).date()
    start = today - timedelta(days=today.weekday() + 7)  # last week's Monday: week 1 is complete
    body = {
        "athlete": {"weekly_km": 40, "runs_per_week": 4, "vdot": 45, "long_run_km": 12},
        "goal": {"kind": "race", "date": (start + timedelta(weeks=14)).isoformat(), "distance_m": 10000},
        "start": start.isoformat(),
        "timezone": "UTC",
    }
    assert requests.put(f"{base}/plan", json=body, timeout=30).status_code == 401  # no key, no plan
    created = requests.put(f"{base}/plan", json=body, headers=AUTH, timeout=30)
    assert created.status_code == 200, created.text

    def current() -> dict[str, Any]:
        response = requests.get(f"{base}/plan", headers=AUTH, timeout=30)
        response.raise_for_status()
        return response.json()

    before = current()
    workout = before["weeks"][0]["workouts"][0]
    run = stack.simulator.admin.create_activity(
        athlete_id, kind="easy", start_date_local=f"{workout['date']}T07:00:00"
    )["activity"]["id"]

    def matched() -> dict[str, Any] | None:
        plan = current()
        first = {w["id"]: w for w in plan["weeks"][0]["workouts"]}[workout["id"]]
        return plan if run in first["activity_ids"] else None

    after = wait_for(matched, timeout=60, what="the pushed run to be matched to its workout")
    assert after["version"] > before["version"]
    with session_factory(engine_for(e2e_db))() as session:
        keys = set(session.scalars(select(NotificationOutbox.idempotency_key)))
    assert any(k.startswith("workout.matched:") and k.endswith(f":{workout['id']}:{run}") for k in keys)
    # The new version's plan.updated names the decisions it made or revised, each at its revision.
    revised = sorted(
        f"{d['id']}#r{r['revision']}"
        for d in after["changes"]
        for r in d["revisions"]
        if r["version"] == after["version"]
    )
    assert revised
    assert f"plan.updated:{after['plan_id']}:{','.join(revised)}" in keys
