"""Webhook intake against the real PostgreSQL: durable, idempotent, fail-closed, never a 500."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from composition.root import Container, build
from store import repository
from store.db import UnitOfWork
from store.models import StravaEvent
from tests.integration.conftest import SUBSCRIPTION_ID, event_body
from webhooks.app import create_app

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self, ok: bool = True, delay_s: float = 0.0) -> None:
        self.ids: list[int] = []
        self.ok = ok
        self.delay_s = delay_s

    def __call__(self, event_id: int) -> bool:
        time.sleep(self.delay_s)
        self.ids.append(event_id)
        return self.ok

    def settled(self, timeout_s: float = 5.0) -> list[int]:
        """The ids published so far, once publishing has gone quiet: the intake answers at commit and
        publishes right after (webhooks/intake.py), so a publish may still be under way when a POST returns."""
        deadline = time.monotonic() + timeout_s
        seen = -1
        while time.monotonic() < deadline and (not self.ids or len(self.ids) != seen):
            seen = len(self.ids)
            time.sleep(0.05)
        return self.ids


@pytest.fixture
def enqueued() -> Recorder:
    return Recorder()


@pytest.fixture
def client(container: Container, enqueued: Recorder) -> TestClient:
    # Not entered as a context manager: each request gets an event loop of its own, which ends with it. A
    # test that needs the publish that follows an answer uses `serving` instead (one loop, as in uvicorn).
    return TestClient(create_app(lambda: container, enqueue=enqueued, broker_check=lambda: True))


@pytest.fixture
def serving(client: TestClient) -> Iterator[TestClient]:
    import gc

    with client:  # the app's lifespan and one event loop for every request, as under uvicorn
        yield client
    gc.unfreeze()  # the lifespan froze this test process's objects (runsmart/gc_tuning.py)


def stored(container: Container) -> list[StravaEvent]:
    with container.sessions() as session:
        return list(session.scalars(select(StravaEvent).order_by(StravaEvent.id)))


# --- handshake --------------------------------------------------------------------------------------


def test_handshake_echoes_the_challenge_as_json(client: TestClient) -> None:
    response = client.get(
        "/webhooks/strava",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-token-for-tests",
            "hub.challenge": "15f7d1a9",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"hub.challenge": "15f7d1a9"}


@pytest.mark.parametrize("token", ["wrong", "", None])
def test_handshake_refuses_a_wrong_or_missing_token(client: TestClient, token: str | None) -> None:
    params = {"hub.mode": "subscribe", "hub.challenge": "abc"}
    if token is not None:
        params["hub.verify_token"] = token
    assert client.get("/webhooks/strava", params=params).status_code == 403


def test_handshake_is_404_when_no_verify_token_is_configured(container: Container) -> None:
    bare = build(container.settings.model_copy(update={"strava_verify_token": SecretStr("")}))
    client = TestClient(create_app(lambda: bare, enqueue=Recorder(), broker_check=lambda: True))
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "abc"}
    assert client.get("/webhooks/strava", params=params).status_code == 404


# --- intake -----------------------------------------------------------------------------------------


def test_event_is_stored_then_enqueued_once(
    serving: TestClient, container: Container, enqueued: Recorder
) -> None:
    response = serving.post("/webhooks/strava", json=event_body())
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    rows = stored(container)
    assert len(rows) == 1
    assert (rows[0].object_id, rows[0].aspect_type, rows[0].status) == (1360128428, "create", "pending")
    assert enqueued.settled() == [rows[0].id]


def test_a_redelivered_event_is_acknowledged_but_not_stored_or_enqueued_again(
    serving: TestClient, container: Container, enqueued: Recorder
) -> None:
    for _ in range(3):  # Strava pushes up to three times (docs/strava.md, "Webhooks")
        assert serving.post("/webhooks/strava", json=event_body()).status_code == 200
    assert serving.post("/webhooks/strava", json=event_body()).json() == {"status": "duplicate"}
    assert len(stored(container)) == 1
    assert len(enqueued.settled()) == 1


def test_two_updates_in_the_same_second_are_both_kept(client: TestClient, container: Container) -> None:
    # Title and type save separately and can share event_time (docs/strava.md, "Pitfalls the code handles").
    client.post("/webhooks/strava", json=event_body(aspect_type="update", updates={"title": "Messy"}))
    client.post("/webhooks/strava", json=event_body(aspect_type="update", updates={"type": "Ride"}))
    assert sorted(r.updates_digest != "" and next(iter(r.updates)) for r in stored(container)) == [
        "title",
        "type",
    ]


def test_deauthorization_with_a_bare_boolean_is_normalized_to_the_documented_string(
    client: TestClient, container: Container
) -> None:
    body = event_body(
        object_id=134815, object_type="athlete", aspect_type="update", updates={"authorized": False}
    )
    assert client.post("/webhooks/strava", json=body).status_code == 200
    assert stored(container)[0].updates == {"authorized": "false"}


def test_unknown_subscription_is_refused_like_a_malformed_event_and_stores_nothing(
    client: TestClient, container: Container
) -> None:
    # Not a 403: a status of its own told a guesser it had found a well-formed event (docs/api.md).
    response = client.post("/webhooks/strava", json=event_body(subscription_id=SUBSCRIPTION_ID + 1))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("not a Strava event: subscription_id")
    assert stored(container) == []


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({**event_body(), "aspect_type": "upsert"}).encode(), 422, "aspect_type"),
        (json.dumps({**event_body(), "object_type": "segment"}).encode(), 422, "object_type"),
        (json.dumps({k: v for k, v in event_body().items() if k != "owner_id"}).encode(), 422, "owner_id"),
        (json.dumps({**event_body(), "object_id": "abc"}).encode(), 422, "object_id"),
        (json.dumps({**event_body(), "updates": {"title": ["x"]}}).encode(), 422, "updates.title"),
        (json.dumps({**event_body(), "updates": "title"}).encode(), 422, "updates"),
        (json.dumps({**event_body(), "event_time": -5}).encode(), 422, "event_time"),
    ],
)
def test_malformed_events_get_a_clear_4xx_and_store_nothing(
    client: TestClient, container: Container, body: bytes, status: int, message: str
) -> None:
    response = client.post("/webhooks/strava", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert stored(container) == []


def test_oversized_body_is_413(client: TestClient, container: Container) -> None:
    body = {**event_body(), "padding": "x" * (64 * 1024)}
    response = client.post("/webhooks/strava", json=body)
    assert response.status_code == 413
    assert stored(container) == []


def test_broker_down_still_acknowledges_and_the_sweeper_finds_the_row(container: Container) -> None:
    down = Recorder(ok=False)
    client = TestClient(create_app(lambda: container, enqueue=down, broker_check=lambda: False))
    assert client.post("/webhooks/strava", json=event_body()).status_code == 200
    (row,) = stored(container)
    later = datetime.now(UTC) + timedelta(seconds=container.settings.inbox_redrive_after_s + 1)
    with UnitOfWork(container.sessions) as uow:
        due = repository.events_to_redrive(
            uow.session, now=later, stale_before=later - timedelta(seconds=60), limit=10
        )
        not_yet = repository.events_to_redrive(
            uow.session,
            now=datetime.now(UTC),
            stale_before=datetime.now(UTC) - timedelta(seconds=60),
            limit=10,
        )
    assert list(due) == [row.id]
    assert list(not_yet) == []
    # Still ready to take events, so not a 503: degraded (docs/api.md "Health").
    health = client.get("/healthz")
    assert (health.status_code, health.json()["status"], health.json()["broker"]) == (200, "degraded", False)


def test_database_down_is_503_so_strava_retries(container: Container) -> None:
    broken = build(
        container.settings.model_copy(update={"database_url": "postgresql+psycopg://root@127.0.0.1:1/none"})
    )
    client = TestClient(create_app(lambda: broken, enqueue=Recorder(), broker_check=lambda: True))
    response = client.post("/webhooks/strava", json=event_body())
    assert response.status_code == 503
    assert "retry" in response.json()["detail"]


def test_healthz_and_metrics(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ready", "ok": True, "database": True, "broker": True}
    client.post("/webhooks/strava", json=event_body())
    metrics = client.get("/metrics").text
    assert 'runsmart_webhook_events_total{outcome="accepted"}' in metrics
    assert "runsmart_webhook_ack_seconds_bucket" in metrics


def test_concurrent_duplicate_deliveries_store_one_row(
    serving: TestClient, container: Container, enqueued: Recorder
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda _: serving.post("/webhooks/strava", json=event_body()).status_code, range(16))
        )
    assert codes == [200] * 16
    with container.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StravaEvent)) == 1
    assert len(enqueued.settled()) == 1  # published after the answers (webhooks/intake.py)


def test_shutdown_waits_for_the_publish_that_follows_the_last_answer(container: Container) -> None:
    import gc

    slow = Recorder(delay_s=0.5)  # a broker slower than the shutdown
    client = TestClient(create_app(lambda: container, enqueue=slow, broker_check=lambda: True))
    with client:
        assert client.post("/webhooks/strava", json=event_body()).status_code == 200
    gc.unfreeze()
    # Not left to the sweeper's re-drive minutes later: the lifespan's shutdown waited for it.
    assert slow.ids == [stored(container)[0].id]


def test_startup_moves_the_startup_objects_out_of_the_collectors_full_scans(client: TestClient) -> None:
    # The intake's p99 depends on it (runsmart/gc_tuning.py, README "Performance").
    import gc

    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        with client:  # runs the app's lifespan, as uvicorn does at start
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
