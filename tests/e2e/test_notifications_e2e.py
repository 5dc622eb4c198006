"""Across real processes (API, worker, beat, simulator) and a local receiver: a plan is created through the
internal API, a run is synced and matched, the plan changes, and signed notifications arrive and verify."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from standardwebhooks import Webhook

from cli.stack import Stack
from notify.receiver import Receiver
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SECRET = "whsec_" + base64.b64encode(b"e2e-secret-0123456789abcdefghij").decode()
KEY = "e2e-api-key-0123456789"


def types(receiver: Receiver) -> list[str]:
    return [m.json()["type"] for m in receiver.webhooks()]


def test_a_synced_run_changes_the_plan_and_a_signed_notification_arrives(
    stack_factory: Callable[..., Stack],
) -> None:
    with Receiver(secret=SECRET) as receiver:
        stack = stack_factory(
            beat=True,
            extra_env={
                "RUNSMART_APP_WEBHOOK_URL": f"{receiver.url}/webhooks",
                "RUNSMART_APP_WEBHOOK_SECRET": SECRET,
                "RUNSMART_API_KEYS": KEY,
                "RUNSMART_OUTBOX_REDRIVE_EVERY_S": "2",
                "RUNSMART_OUTBOX_REDRIVE_AFTER_S": "2",
            },
        )
        athlete_id = stack.connect_athlete()
        today = datetime.now(UTC).date()
        start = today - timedelta(days=today.weekday() + 7)  # last week's Monday: there are past workouts
        auth = {"Authorization": f"Bearer {KEY}"}
        created = requests.put(
            f"{stack.api_url}/api/v1/athletes/{athlete_id}/plan",
            json={
                "athlete": {"weekly_km": 40, "runs_per_week": 4, "vdot": 45, "long_run_km": 12},
                "goal": {
                    "kind": "race",
                    "date": (start + timedelta(weeks=14)).isoformat(),
                    "distance_m": 10000,
                },
                "start": start.isoformat(),
                "timezone": "UTC",
            },
            headers=auth,
            timeout=30,
        )
        assert created.status_code == 200, created.text
        # The API process announced the new plan after its commit; a worker delivered it, signed.
        wait_for(lambda: "plan.updated" in types(receiver), timeout=60, what="plan.updated for the new plan")

        plan = requests.get(f"{stack.api_url}/api/v1/athletes/{athlete_id}/plan", headers=auth, timeout=30)
        plan.raise_for_status()
        workouts = [w for week in plan.json()["weeks"] for w in week["workouts"] if w["type"] != "rest"]
        target = next(w for w in workouts if date.fromisoformat(w["date"]) < today)
        stack.simulator.admin.create_activity(
            athlete_id,
            kind="easy",
            start_date_local=f"{target['date']}T07:00:00Z",
            fields={"distance": target["distance_m"], "moving_time": int(target["duration_s"])},
        )

        def matched_target() -> bool:
            return any(
                m.json()["type"] == "workout.matched" and m.json()["data"]["workout_id"] == target["id"]
                for m in receiver.webhooks()
            )

        # (The athlete's history imported on connect may match other workouts too.)
        wait_for(matched_target, timeout=90, what="workout.matched for the new run")
        messages = receiver.webhooks()
        assert all(m.verified for m in messages), [m.error for m in messages]
        matched = next(
            m
            for m in messages
            if m.json()["type"] == "workout.matched" and m.json()["data"]["workout_id"] == target["id"]
        )
        body = Webhook(SECRET).verify(matched.body, matched.headers)  # the app's own check
        assert matched.headers["webhook-id"].startswith("workout.matched:")
        assert body["data"]["reasons"]

        # Last week is complete and mostly unrun: syncing adapts the plan, and that is announced with reasons.
        def adapted() -> bool:
            return any(
                m.json()["type"] == "plan.updated" and m.json()["data"]["cause"] == "synced"
                for m in receiver.webhooks()
            )

        wait_for(adapted, timeout=60, what="plan.updated caused by a synced run")
        # Every notification was delivered once: webhook ids are unique among what arrived.
        ids = [m.headers["webhook-id"] for m in messages]
        assert len(ids) == len(set(ids))
