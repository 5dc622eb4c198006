"""Webhook push delivery (shapes, retries, async, chaos) and the push-subscription API with its handshake."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from simulator.state import World
from tests.unit.simulator.conftest import FakeClock, Receiver

CREDS = {"client_id": "1234", "client_secret": "simulator-secret"}


def subscribe(client: TestClient, receiver: Receiver, sid: int = 4321) -> None:
    client.put("/_sim/subscription", json={"callback_url": receiver.url, "id": sid})


def test_world_changes_push_exact_strava_events(
    client: TestClient, receiver: Receiver, athlete_id: int, clock: FakeClock
) -> None:
    subscribe(client, receiver)
    created = client.post(f"/_sim/athletes/{athlete_id}/activities", json={"kind": "long"}).json()
    aid = created["activity"]["id"]
    client.patch(f"/_sim/activities/{aid}", json={"title": "Messy"})
    client.patch(f"/_sim/activities/{aid}", json={"sport_type": "Ride"})
    client.patch(f"/_sim/activities/{aid}", json={"private": True})
    client.delete(f"/_sim/activities/{aid}")
    client.post(f"/_sim/athletes/{athlete_id}/deauthorize")
    t = int(clock.t)
    base = {"event_time": t, "subscription_id": 4321, "owner_id": athlete_id}
    assert receiver.events == [
        {**base, "aspect_type": "create", "object_id": aid, "object_type": "activity", "updates": {}},
        {
            **base,
            "aspect_type": "update",
            "object_id": aid,
            "object_type": "activity",
            "updates": {"title": "Messy"},
        },
        {
            **base,
            "aspect_type": "update",
            "object_id": aid,
            "object_type": "activity",
            "updates": {"type": "Ride"},
        },
        {
            **base,
            "aspect_type": "update",
            "object_id": aid,
            "object_type": "activity",
            "updates": {"private": "true", "visibility": "only_me"},
        },
        {**base, "aspect_type": "delete", "object_id": aid, "object_type": "activity", "updates": {}},
        {
            **base,
            "aspect_type": "update",
            "object_id": athlete_id,
            "object_type": "athlete",
            "updates": {"authorized": "false"},
        },
    ]
    deliveries = client.get("/_sim/deliveries").json()
    assert [d["status"] for d in deliveries] == ["delivered"] * 6


def test_retries_up_to_three_attempts(client: TestClient, receiver: Receiver, athlete_id: int) -> None:
    subscribe(client, receiver)
    receiver.statuses = [500, 502]  # third attempt gets 200
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    assert len(receiver.events) == 3
    assert receiver.events[0] == receiver.events[2]
    (d,) = client.get("/_sim/deliveries").json()
    assert d["status"] == "delivered"
    assert [a["status"] for a in d["attempts"]] == [500, 502, 200]

    receiver.statuses = [500, 500, 500, 500]
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    assert len(receiver.events) == 6, "no fourth attempt"
    failed = client.get("/_sim/deliveries", params={"status": "failed"}).json()
    assert len(failed) == 1
    assert len(failed[0]["attempts"]) == 3


def test_unreachable_callback_fails_after_three_attempts(client: TestClient, athlete_id: int) -> None:
    client.put("/_sim/subscription", json={"callback_url": "http://127.0.0.1:9/nothing"})
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    (d,) = client.get("/_sim/deliveries").json()
    assert d["status"] == "failed"
    assert len(d["attempts"]) == 3
    assert all(a["error"] for a in d["attempts"])


def test_no_subscription_means_skipped(client: TestClient, athlete_id: int) -> None:
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    (d,) = client.get("/_sim/deliveries").json()
    assert d["status"] == "skipped"
    assert d["event"]["subscription_id"] is None


def test_async_delivery_returns_fast_and_wait(
    client: TestClient, world: World, receiver: Receiver, athlete_id: int
) -> None:
    world.config.delivery_sync = False
    world.config.delivery_retry_delay = 0.2
    subscribe(client, receiver)
    receiver.statuses = [500]
    t0 = time.monotonic()
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    assert time.monotonic() - t0 < 0.2
    assert client.post("/_sim/deliveries/wait", json={"timeout": 5}).json() == {"idle": True, "pending": 0}
    (d,) = client.get("/_sim/deliveries").json()
    assert [a["status"] for a in d["attempts"]] == [500, 200]
    assert d["attempts"][1]["at"] >= d["attempts"][0]["at"]


def test_duplicate_and_shuffle(client: TestClient, world: World, receiver: Receiver, athlete_id: int) -> None:
    subscribe(client, receiver)
    world.config.duplicate_deliveries = True
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    assert len(receiver.events) == 2
    assert receiver.events[0] == receiver.events[1]

    world.config.duplicate_deliveries = False
    world.config.delivery_sync = False
    world.config.shuffle_deliveries = True
    receiver.events.clear()
    client.post("/_sim/replay", json={"athlete_id": athlete_id})
    client.post("/_sim/deliveries/wait", json={"timeout": 10})
    got = [e["object_id"] for e in receiver.events]
    assert sorted(got) == sorted(world.season_ids[athlete_id])
    assert got != sorted(got, key=world.season_ids[athlete_id].index), "order shuffled"


def test_replay_reveals_held_back_season_by_date(
    client: TestClient, world: World, receiver: Receiver, athlete_id: int, auth: dict
) -> None:
    client.post("/_sim/reset", json={"reseed": False})
    world.config.season_visible = False
    client.post("/_sim/reset")
    athlete_id = next(iter(world.athletes))
    subscribe(client, receiver)
    assert world.activities == {}
    assert world.hidden_activities
    tok = client.post(f"/_sim/athletes/{athlete_id}/tokens").json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert client.get("/api/v3/athlete/activities", headers=h).json() == []
    out = client.post("/_sim/replay", json={"after": "2026-06-22", "before": "2026-06-29"}).json()
    assert out["pushed"] == len(out["activity_ids"]) > 0
    assert [e["object_id"] for e in receiver.events] == out["activity_ids"]
    listed = client.get("/api/v3/athlete/activities", headers=h, params={"per_page": 200}).json()
    assert sorted(a["id"] for a in listed) == sorted(out["activity_ids"])
    assert all("2026-06-22" <= a["start_date_local"][:10] < "2026-06-29" for a in listed)


# ------------------------------------------------------------------------------------------- subscriptions
def test_create_subscription_handshake_success(client: TestClient, receiver: Receiver) -> None:
    resp = client.post(
        "/api/v3/push_subscriptions", data={**CREDS, "callback_url": receiver.url, "verify_token": "sekrit"}
    )
    assert resp.status_code == 200
    sid = resp.json()["id"]
    (q,) = receiver.handshake_queries
    assert q["hub.mode"] == "subscribe"
    assert q["hub.verify_token"] == "sekrit"
    assert len(q["hub.challenge"]) >= 16
    listed = client.get("/api/v3/push_subscriptions", params=CREDS).json()
    assert listed[0]["id"] == sid
    assert listed[0]["callback_url"] == receiver.url
    assert set(listed[0]) == {
        "id",
        "resource_state",
        "application_id",
        "callback_url",
        "created_at",
        "updated_at",
    }
    again = client.post(
        "/api/v3/push_subscriptions", data={**CREDS, "callback_url": receiver.url, "verify_token": "x"}
    )
    assert again.status_code == 400
    assert again.json() == {
        "message": "Bad Request",
        "errors": [{"resource": "PushSubscription", "field": "", "code": "already exists"}],
    }
    assert client.request("DELETE", f"/api/v3/push_subscriptions/{sid}", data=CREDS).status_code == 204
    assert client.get("/api/v3/push_subscriptions", params=CREDS).json() == []


def test_create_subscription_handshake_failures(client: TestClient, world: World, receiver: Receiver) -> None:
    not_verifiable = {
        "message": "Bad Request",
        "errors": [{"resource": "PushSubscription", "field": "callback url", "code": "not verifiable"}],
    }
    world.config.verify_timeout = 0.3
    receiver.slow_seconds = 0.6
    for mode in ("wrong", "error", "slow"):
        receiver.handshake = mode
        resp = client.post(
            "/api/v3/push_subscriptions", data={**CREDS, "callback_url": receiver.url, "verify_token": "t"}
        )
        assert resp.status_code == 400, mode
        assert resp.json() == not_verifiable
    assert client.get("/api/v3/push_subscriptions", params=CREDS).json() == []
    bad_creds = client.post(
        "/api/v3/push_subscriptions",
        data={"client_id": "1234", "client_secret": "no", "callback_url": receiver.url},
    )
    assert bad_creds.status_code == 401


def test_subscription_created_via_api_receives_events(
    client: TestClient, receiver: Receiver, athlete_id: int
) -> None:
    sid = client.post(
        "/api/v3/push_subscriptions", data={**CREDS, "callback_url": receiver.url, "verify_token": "v"}
    ).json()["id"]
    client.post(f"/_sim/athletes/{athlete_id}/activities")
    assert receiver.events[-1]["subscription_id"] == sid
