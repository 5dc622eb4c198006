"""The intake against hostile input, a refusing database, a hung broker and guessers, on the real PostgreSQL.

One bad event never costs the events it shares a group commit with; a broker that does not answer never holds
up storing; health answers whatever hangs; invalid events slow down only their sender.

No test here reads a clock: a dependency hangs until the test releases it (or for good), and each answer is
shown to have arrived while it still hung. How fast the intake answers is measured in bench/, not here.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, OperationalError

from composition.root import Container, build
from store.models import StravaEvent
from tests.integration.conftest import SUBSCRIPTION_ID, event_body
from webhooks.app import create_app
from webhooks.intake import GroupCommitter
from webhooks.intake_guard import InvalidEventThrottle, source_key
from webhooks.strava import _store, is_database_unavailable, parse_event

pytestmark = pytest.mark.integration

LONE_SURROGATE = '{"title": "Lunch\\ud800 Run"}'  # as JSON text: the escape a hostile sender writes


def raw_event(updates_json: str = "{}", **fields: Any) -> bytes:
    body = json.dumps({**event_body(), **fields, "updates": "@@"})
    return body.replace('"@@"', updates_json).encode()


def post(client: TestClient, content: bytes) -> Any:
    return client.post("/webhooks/strava", content=content, headers={"content-type": "application/json"})


def rows(container: Container) -> int:
    with container.sessions() as session:
        return session.scalar(select(func.count()).select_from(StravaEvent)) or 0


class Publisher:
    """The broker: answers at once, or blocks until released (a hung Redis). `ids` and `checks_answered` count
    only what it has answered, so while they are empty nothing that returned can have waited for it."""

    def __init__(self, hang: bool = False) -> None:
        self.ids: list[int] = []
        self.checks_answered = 0
        self.released = threading.Event()
        if not hang:
            self.released.set()

    def __call__(self, event_id: int) -> bool:
        self.released.wait(timeout=30)
        self.ids.append(event_id)
        return True

    def check(self) -> bool:
        """Readiness's broker check, as hung as the broker."""
        self.released.wait(timeout=30)
        self.checks_answered += 1
        return self.released.is_set()


@pytest.fixture
def app_client(container: Container) -> Iterator[TestClient]:
    import gc

    app = create_app(lambda: container, enqueue=Publisher(), broker_check=lambda: True)
    with TestClient(app, raise_server_exceptions=False) as client:  # one loop, as under uvicorn
        yield client
    gc.unfreeze()  # the lifespan froze this test process's objects (runsmart/gc_tuning.py)


# --- validation: what PostgreSQL would refuse is a 4xx before it gets there ------------------------------


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (raw_event(LONE_SURROGATE, aspect_type="update"), 422, "surrogates"),
        (raw_event('{"ti\\udc00tle": "x"}', aspect_type="update"), 422, "surrogates"),
        (raw_event('{"title": "a\\u0000b"}', aspect_type="update"), 422, "NUL"),
        (raw_event('{"title": "' + "x" * 5000 + '"}', aspect_type="update"), 422, "updates.title"),
        (raw_event("{}").replace(b'"event_time": 1700000000', b'"event_time": NaN'), 400, "not valid JSON"),
        (raw_event("{}")[:-1] + b', "extra": Infinity}', 400, "not valid JSON"),
        (b'{"a": ' + b"[" * 30_000 + b"]" * 30_000 + b"}", 400, "nested deeper than"),
        (raw_event("{}", object_id=2**63), 422, "object_id"),
        (raw_event("{}", event_time=10**30), 422, "event_time"),
    ],
)
def test_text_numbers_and_shapes_the_database_would_refuse_are_a_clear_4xx(
    app_client: TestClient, container: Container, content: bytes, status: int, message: str
) -> None:
    response = post(app_client, content)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert "\n" not in response.json()["detail"]
    assert rows(container) == 0


def test_a_body_built_to_make_the_depth_check_quadratic_is_refused(app_client: TestClient) -> None:
    # `"\` pairs, each quote opening a string that never closes, ahead of enough brackets to need the scan. A
    # scan that retried from every next quote would be quadratic: hours for the megabyte given to the parser
    # below, so it would end on pytest's timeout, not here; read as one unterminated string, it is one pass.
    with pytest.raises(HTTPException) as refused:
        parse_event(b'"\\' * 500_000 + b"[" * 40)
    assert refused.value.status_code == 400
    assert post(app_client, b'"\\' * 30_000 + b"[" * 40).status_code == 400  # the most the endpoint reads


def test_forty_events_sent_with_four_lone_surrogates_are_all_stored(
    app_client: TestClient, container: Container
) -> None:
    # Sent concurrently, so that the hostile ones share group-commit batches with real ones.
    real = [json.dumps(event_body(object_id=1000 + n)).encode() for n in range(40)]
    hostile = [raw_event(LONE_SURROGATE, object_id=5000 + n, aspect_type="update") for n in range(4)]
    bodies = real[:10] + hostile[:2] + real[10:30] + hostile[2:] + real[30:]
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda body: post(app_client, body).status_code, bodies))
    assert [code for body, code in zip(bodies, codes, strict=True) if body in real] == [200] * 40
    assert [code for body, code in zip(bodies, codes, strict=True) if body in hostile] == [422] * 4
    assert rows(container) == 40


# --- the group commit's fallback, behind validation ------------------------------------------------------


def valid_row(object_id: int, title: str = "ok") -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        **event_body(object_id=object_id, aspect_type="update", updates={"title": title}),
        "received_at": datetime.now(UTC),
    }


def test_a_batch_the_database_refuses_stores_every_other_row_and_fails_only_the_bad_one(
    container: Container,
) -> None:
    # Rows that bypass validation (as a value validation does not know of would): PostgreSQL refuses them.
    published: list[list[int]] = []
    committer = GroupCommitter(
        lambda batch: _store(container, batch),
        lambda ids: published.append(ids) is None,
        splittable=lambda error: not is_database_unavailable(error),
    )
    bad = {7, 19, 20, 33}
    batch = [valid_row(n, "bad\ud800" if n in bad else "ok") for n in range(40)]

    async def submit_all() -> list[Any]:
        results = await asyncio.gather(*(committer.submit(row) for row in batch), return_exceptions=True)
        assert await committer.drain()
        return results

    results = asyncio.run(submit_all())
    for n, result in enumerate(results):
        if n in bad:
            assert isinstance(result, DataError), (n, result)
        else:
            assert isinstance(result, int), (n, result)
    assert rows(container) == 36
    assert sorted(i for ids in published for i in ids) == sorted(r for r in results if isinstance(r, int))


def test_an_unavailable_database_fails_the_batch_at_once_without_splitting() -> None:
    calls: list[int] = []

    def down(batch: list[dict[str, Any]]) -> list[int | None]:
        calls.append(len(batch))
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    committer = GroupCommitter(
        down, lambda ids: True, splittable=lambda error: not is_database_unavailable(error)
    )

    async def submit_all() -> list[Any]:
        return await asyncio.gather(*(committer.submit({"n": n}) for n in range(32)), return_exceptions=True)

    results = asyncio.run(submit_all())
    assert all(isinstance(r, OperationalError) for r in results)
    assert sum(calls) == 32  # each event tried once: no bisection against a database that is down


# --- a hung broker --------------------------------------------------------------------------------------


def test_a_hung_broker_never_holds_up_storing_or_answering(container: Container) -> None:
    # The broker and its health check block until the test releases them (or 30 s pass, and then they count
    # an answer): every answer below arrives while neither has answered anything, so none waited for them.
    import gc

    broker = Publisher(hang=True)
    app = create_app(lambda: container, enqueue=broker, broker_check=broker.check)
    try:
        with TestClient(app) as client:
            for n in range(5):  # the first publish hangs; every later event must still be stored and answered
                assert client.post("/webhooks/strava", json=event_body(object_id=100 + n)).status_code == 200
                assert rows(container) == n + 1
                assert broker.ids == []
            health = client.get("/readyz")
            assert (health.status_code, health.json()["status"]) == (200, "degraded")
            assert (broker.ids, broker.checks_answered) == ([], 0)
            broker.released.set()  # the broker answers again: what waited is published, nothing is lost
            deadline = time.monotonic() + 10
            while len(broker.ids) < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sorted(broker.ids) == sorted(row.id for row in all_rows(container))
    finally:
        broker.released.set()
        gc.unfreeze()


def test_ids_waiting_for_a_hung_broker_are_bounded_and_the_rest_left_to_the_sweeper() -> None:
    released = threading.Event()
    published: list[int] = []
    dropped: list[int] = []

    def hung_publish(ids: list[int]) -> bool:
        released.wait(timeout=30)
        published.extend(ids)
        return True

    ids = iter(range(1, 1000))
    committer = GroupCommitter(
        lambda rows: [next(ids) for _ in rows],
        hung_publish,
        max_unpublished=10,
        on_publish_failed=dropped.append,
    )

    async def run() -> None:
        for _ in range(30):  # one at a time: the first publish hangs, the rest wait behind it
            await committer.submit({})
        released.set()
        assert await committer.drain()

    try:
        asyncio.run(run())
    finally:
        released.set()
    assert sorted(published) == list(range(1, 12))  # the hung one, then at most ten held in memory
    assert sum(dropped) == 19  # counted as publish failures: the sweeper re-drives those rows


def all_rows(container: Container) -> list[StravaEvent]:
    with container.sessions() as session:
        return list(session.scalars(select(StravaEvent)))


# --- health -----------------------------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers until the test ends: a hung PostgreSQL (the
    engine sets no connect timeout, so a connection to it waits until the port closes)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def test_readiness_is_503_without_waiting_for_a_hung_database(
    container: Container, silent_server: int
) -> None:
    # The database check hangs until the test ends (had readiness waited for it, the test would hang until
    # pytest's timeout); after every answer its one run is still under way, so none waited for it.
    hung = build(
        container.settings.model_copy(
            update={"database_url": f"postgresql+psycopg://root@127.0.0.1:{silent_server}/none"}
        )
    )
    earlier = set(threading.enumerate())
    client = TestClient(create_app(lambda: hung, enqueue=Publisher(), broker_check=lambda: True))
    for path in ("/readyz", "/healthz"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json() == {"status": "not_ready", "ok": False, "database": False, "broker": True}
        assert database_checks_running(since=earlier) == 1
    assert client.get("/livez").json() == {"status": "alive"}  # liveness touches no dependency
    assert database_checks_running(since=earlier) == 1


def database_checks_running(since: set[threading.Thread]) -> int:
    return sum(t.name == "probe-database" and t.is_alive() for t in set(threading.enumerate()) - since)


def test_readiness_reports_a_hung_broker_as_degraded_without_waiting_for_it(container: Container) -> None:
    # The broker check blocks until the test releases it: every answer below arrives while it is still hung
    # (had readiness waited for it, the test would hang until pytest's timeout), with no clock involved.
    released = threading.Event()
    client = TestClient(
        create_app(lambda: container, enqueue=Publisher(), broker_check=lambda: released.wait())
    )
    try:
        for _ in range(3):  # repeated polls share the one hung check instead of piling up threads
            response = client.get("/readyz")
            assert response.json() == {"status": "degraded", "ok": True, "database": True, "broker": False}
            assert not released.is_set()
        assert sum(t.name == "probe-broker" for t in threading.enumerate()) == 1
    finally:
        released.set()


# --- API docs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "served"),
    [
        ({"env": "production"}, False),
        ({"env": "production", "api_docs_enabled": True}, True),
        ({"env": "test"}, True),
        ({"env": "development", "api_docs_enabled": False}, False),
    ],
)
def test_api_docs_are_a_setting_off_in_production(
    container: Container, update: dict[str, Any], served: bool
) -> None:
    from cryptography.fernet import Fernet

    key = SecretStr(Fernet.generate_key().decode())  # production refuses to run without its own key
    configured = build(container.settings.model_copy(update={**update, "token_key": key}))
    client = TestClient(create_app(lambda: configured, enqueue=Publisher(), broker_check=lambda: True))
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == (200 if served else 404), path


# --- guessing the subscription id ---------------------------------------------------------------------------


def test_a_source_sending_invalid_events_is_slowed_down_and_learns_nothing_meanwhile(
    container: Container,
) -> None:
    burst = container.settings.intake_invalid_burst
    client = TestClient(create_app(lambda: container, enqueue=Publisher(), broker_check=lambda: True))
    for guess in range(burst):  # wrong guesses, each answered as any malformed event
        response = client.post(
            "/webhooks/strava", json=event_body(subscription_id=SUBSCRIPTION_ID + 1 + guess)
        )
        assert response.status_code == 422
    # Penalised: even the right id is answered 429 now, so the guess cannot be told from the wrong ones.
    right = client.post("/webhooks/strava", json=event_body())
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1
    assert rows(container) == 0


def test_a_source_that_sends_valid_events_is_never_slowed_for_them(container: Container) -> None:
    client = TestClient(create_app(lambda: container, enqueue=Publisher(), broker_check=lambda: True))
    assert client.post("/webhooks/strava", json=event_body(object_id=1)).status_code == 200
    for _ in range(container.settings.intake_invalid_burst * 3):  # a bug on the sender's side, say
        assert post(client, b"{not json").status_code in (400, 429)
    for n in range(2, 12):
        assert client.post("/webhooks/strava", json=event_body(object_id=n)).status_code == 200
    assert rows(container) == 11


def test_the_throttle_remembers_a_bounded_number_of_sources_and_refills() -> None:
    now = [0.0]
    throttle = InvalidEventThrottle(burst=2, refill_every_s=10, max_addresses=100, clock=lambda: now[0])
    for n in range(10_000):
        throttle.charge(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle) == 100
    throttle.charge("192.0.2.1")
    throttle.charge("192.0.2.1")
    assert throttle.retry_after("192.0.2.1") == 10
    now[0] += 10
    assert throttle.retry_after("192.0.2.1") is None


def test_an_ipv6_site_is_throttled_as_its_whole_48() -> None:
    # A site usually holds a whole /48: its 65,536 /64s would otherwise be as many fresh buckets.
    assert source_key("2001:db8:1:2::1") == source_key("2001:db8:1:ffff:ffff::9") == "2001:db8:1::/48"
    assert source_key("2001:db8:2::1") != source_key("2001:db8:1::1")
    assert source_key("::ffff:192.0.2.7") == source_key("192.0.2.7") == "192.0.2.7"
