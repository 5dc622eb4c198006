"""The internal plan API and the iCal feed, on the real app and PostgreSQL: every /api/v1 operation refuses a
missing or wrong key with 401 and changes nothing; iCal tokens carry at least 256 random bits, are stored only as
digests, and an unknown (or rotated-out) token is 404."""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from composition.root import Container, build
from runsmart.settings import Settings
from store.db import UnitOfWork
from sync.budget import LocalBudget
from sync.connect import save_connection
from sync.strava import TokenSet
from tests.security.conftest import SecurityDb, table_rows_as_text
from webhooks.app import create_app

pytestmark = [pytest.mark.security, pytest.mark.integration]

API_KEY = "sec-test-key-" + secrets.token_hex(16)
ATHLETES = (134815, 134816, 134817)
PARAMS = {"athlete_id": str(ATHLETES[0]), "change_id": "volume_rebuild@2026-11-30", "workout_id": "w20261208",
          "activity_id": "1360128428", "sha256": "ab" * 32}  # fmt: skip


@pytest.fixture(scope="module")
def container(sec_db: SecurityDb) -> Container:
    settings = Settings(
        env="test",
        database_url=sec_db.url,
        strava_client_id=1234,
        strava_client_secret="sec-client-secret",  # type: ignore[arg-type]
        strava_verify_token="sec-verify-token",  # type: ignore[arg-type]
        strava_subscription_id=120475,
        strava_base_url="http://127.0.0.1:9",
        public_base_url="http://testserver",
        api_keys=API_KEY,  # type: ignore[arg-type]
    )
    c = build(settings, budget=LocalBudget())
    for athlete_id in ATHLETES:
        with UnitOfWork(c.sessions) as uow:
            save_connection(
                uow.session,
                tokens=TokenSet(f"access-{athlete_id}", f"refresh-{athlete_id}", int(time.time()) + 3600),
                athlete={"id": athlete_id, "firstname": "Ada", "lastname": "Runner"},
                scopes="read,activity:read_all",
                cipher=c.cipher,
            )
            uow.commit()
    return c


@pytest.fixture(scope="module")
def client(container: Container) -> Iterator[TestClient]:
    app = create_app(
        lambda: container, enqueue=lambda i: True, start_backfill=lambda a: True, broker_check=lambda: True
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def api_operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path))
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1")
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-" + API_KEY},
        {"Authorization": "Bearer " + API_KEY[:-1]},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic " + base64.b64encode(f"x:{API_KEY}".encode()).decode()},
        {"Authorization": API_KEY},
        {"X-API-Key": API_KEY},
    ],
    ids=["missing", "wrong", "truncated", "empty", "basic", "no-scheme", "other-header"],
)
def test_every_internal_api_operation_refuses_a_missing_or_wrong_key(
    client: TestClient, container: Container, headers: dict[str, str]
) -> None:
    operations = api_operations(client)
    assert len(operations) >= 10  # not vacuous: the plan API is there
    before = table_rows_as_text(container.settings.database_url)
    answers = {
        (method, path): client.request(method, path, headers=headers, json={}).status_code
        for method, path in operations
    }
    assert {op: status for op, status in answers.items() if status != 401} == {}
    assert table_rows_as_text(container.settings.database_url) == before


def test_the_right_key_gets_past_authentication(client: TestClient) -> None:
    # The same requests with the key are judged on their merits (404, 409, 422...), never 401 nor 5xx.
    auth = {"Authorization": f"Bearer {API_KEY}"}
    answers = {
        op: client.request(op[0], op[1], headers=auth, json={}).status_code for op in api_operations(client)
    }
    assert {op: s for op, s in answers.items() if s == 401 or s >= 500} == {}


def _issue(client: TestClient, athlete_id: int, rotate: bool = False) -> str:
    response = client.post(
        f"/api/v1/athletes/{athlete_id}/ical",
        params={"rotate": str(rotate).lower()},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    match = re.fullmatch(r"http://testserver/ical/([A-Za-z0-9_\-]+)\.ics", url)
    assert match, url
    return match.group(1)


def test_ical_tokens_are_long_random_and_stored_only_as_digests(
    client: TestClient, container: Container
) -> None:
    tokens = [
        _issue(client, ATHLETES[1]),
        *(_issue(client, a, rotate=True) for a in ATHLETES for _ in range(2)),
    ]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 256, f"iCal token of {len(raw) * 8} bits"
    stored = "\n".join(
        row for rows in table_rows_as_text(container.settings.database_url).values() for row in rows
    )
    assert not [t for t in tokens if t in stored]


def test_unknown_and_rotated_out_ical_tokens_are_404(client: TestClient) -> None:
    old = _issue(client, ATHLETES[2], rotate=True)
    new = _issue(client, ATHLETES[2], rotate=True)
    assert client.get(f"/ical/{new}.ics").status_code in (200, 404)  # 404 when the athlete has no plan yet
    for token in (old, secrets.token_urlsafe(32), new[:-1], new.upper(), "", "x" * 200, "../" + new):
        assert client.get(f"/ical/{token}.ics").status_code == 404, token
