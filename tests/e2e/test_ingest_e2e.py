"""Webhook -> worker -> stored activity, across real processes: API, Celery worker(s), beat, simulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from sqlalchemy import select

from cli.stack import SUBSCRIPTION_ID, Stack
from store.db import engine_for, session_factory
from store.models import Activity, StravaConnection, StravaEvent
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def activities(url: str) -> dict[int, Activity]:
    with session_factory(engine_for(url))() as session:
        return {a.id: a for a in session.scalars(select(Activity))}


def events(url: str) -> list[StravaEvent]:
    with session_factory(engine_for(url))() as session:
        return list(session.scalars(select(StravaEvent).order_by(StravaEvent.id)))


def all_handled(url: str) -> bool:
    rows = events(url)
    return bool(rows) and all(e.status == "done" for e in rows)


def test_webhook_to_worker_to_database(stack_factory: Callable[..., Stack], e2e_db: str) -> None:
    stack = stack_factory(workers=2)
    athlete_id = stack.connect_athlete()
    admin = stack.simulator.admin

    created = [
        admin.create_activity(athlete_id, kind=kind)["activity"]["id"] for kind in ("easy", "tempo", "long")
    ]
    synced = wait_for(lambda: len(activities(e2e_db)) == 3 and activities(e2e_db), what="three synced runs")
    assert set(synced) == set(created)
    assert all(a.is_run and a.athlete_id == athlete_id and a.laps for a in synced.values())

    # Edits and deletions on "Strava" reach the database.
    admin.update_activity(created[0], title="Renamed on Strava")
    admin.update_activity(created[1], type="Ride", sport_type="Ride")
    admin.delete_activity(created[2])
    wait_for(
        lambda: (
            (rows := activities(e2e_db)).get(created[0]) is not None
            and rows[created[0]].name == "Renamed on Strava"
            and not rows[created[1]].is_run
            and created[2] not in rows
        ),
        what="update, retype and delete to be applied",
    )
    assert wait_for(lambda: all_handled(e2e_db), what="every event handled")


def test_duplicate_and_forged_events_change_nothing(stack_factory: Callable[..., Stack], e2e_db: str) -> None:
    stack = stack_factory(workers=1)
    athlete_id = stack.connect_athlete()
    activity_id = stack.simulator.admin.create_activity(athlete_id, kind="easy")["activity"]["id"]
    wait_for(lambda: activity_id in activities(e2e_db), what="the run to sync")
    body = {
        "aspect_type": "create",
        "event_time": 1_700_000_000,
        "object_id": activity_id,
        "object_type": "activity",
        "owner_id": athlete_id,
        "subscription_id": SUBSCRIPTION_ID,
        "updates": {},
    }
    statuses = [
        requests.post(f"{stack.api_url}/webhooks/strava", json=body, timeout=5).json()["status"]
        for _ in range(3)
    ]
    assert statuses == ["accepted", "duplicate", "duplicate"]
    forged = {**body, "subscription_id": SUBSCRIPTION_ID + 1}
    # An unknown subscription is answered as any malformed event is: the id cannot be guessed from the status.
    assert requests.post(f"{stack.api_url}/webhooks/strava", json=forged, timeout=5).status_code == 422
    # A forged deauthorization: the grant still refreshes, so nothing is purged.
    deauth = {
        **body,
        "object_type": "athlete",
        "object_id": athlete_id,
        "aspect_type": "update",
        "updates": {"authorized": "false"},
    }
    assert requests.post(f"{stack.api_url}/webhooks/strava", json=deauth, timeout=5).status_code == 200
    wait_for(lambda: all_handled(e2e_db), what="every event handled")
    outcomes = [e.outcome for e in events(e2e_db)]
    assert "deauth_rejected_grant_alive" in outcomes
    assert activity_id in activities(e2e_db)


def test_real_deauthorization_purges_the_athlete(stack_factory: Callable[..., Stack], e2e_db: str) -> None:
    stack = stack_factory(workers=1)
    athlete_id = stack.connect_athlete()
    activity_id = stack.simulator.admin.create_activity(athlete_id, kind="easy")["activity"]["id"]
    wait_for(lambda: activity_id in activities(e2e_db), what="the run to sync")
    stack.simulator.admin.deauthorize(athlete_id)  # revokes the grant on "Strava" and pushes the event
    wait_for(lambda: not activities(e2e_db), what="the athlete's runs to be purged")
    with session_factory(engine_for(e2e_db))() as session:
        connection = session.get(StravaConnection, athlete_id)
        assert connection is not None
        assert (connection.status, connection.refresh_token_enc) == ("revoked", None)


def test_a_worker_killed_mid_task_loses_nothing(stack_factory: Callable[..., Stack], e2e_db: str) -> None:
    stack = stack_factory(
        workers=1,
        beat=True,
        extra_env={"RUNSMART_INBOX_REDRIVE_AFTER_S": "3", "RUNSMART_INBOX_SWEEP_EVERY_S": "1"},
    )
    athlete_id = stack.connect_athlete()
    admin = stack.simulator.admin
    # The next activity fetch hangs for 4 s: long enough to kill the worker in the middle of it.
    admin.add_fault(kind="delay", delay=4.0, count=1, path_prefix="/api/v3/activities/")
    activity_id = admin.create_activity(athlete_id, kind="easy")["activity"]["id"]
    wait_for(lambda: admin.stats()["faults_served"] >= 1, what="the worker to be inside the slow fetch")
    stack.kill("worker0")
    assert activity_id not in activities(e2e_db)
    stack.start_worker("worker1")
    wait_for(lambda: activity_id in activities(e2e_db), timeout=45, what="the sweeper to re-drive the event")
    assert wait_for(lambda: all_handled(e2e_db), what="every event handled")
