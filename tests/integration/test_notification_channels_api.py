"""PUT/GET /api/v1/athletes/{id}/notifications: allow-listed schemes, public targets only, encrypted at rest."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from composition.root import Container
from notify import channels
from tests.integration.conftest import API_KEY, ATHLETE_ID, api_client, connect_athlete

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {API_KEY}", "content-type": "application/json"}
URL = f"/api/v1/athletes/{ATHLETE_ID}/notifications"
PUBLIC = "ntfys://user:s3cr3t-pass@93.184.216.34/runsmart"  # a literal public address: no DNS needed


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    connect_athlete(container)
    with api_client(container) as c:
        yield c


def stored(container: Container) -> list[str]:
    with container.engine.connect() as conn:
        value = conn.execute(
            text("SELECT notification_urls FROM athletes WHERE id = :id"), {"id": ATHLETE_ID}
        ).scalar_one()
    return list(value)


def put(client: TestClient, *urls: Any) -> Any:
    return client.put(URL, content=json.dumps({"urls": list(urls)}), headers=AUTH)


@pytest.mark.parametrize(
    "target",
    [
        "json://127.0.0.1:18999/collect",
        "json://localhost:18999/collect",
        "jsons://[::1]/x",
        "json://[::ffff:127.0.0.1]/x",
        "json://2130706433/x",  # 127.0.0.1 as one integer
        "gotify://169.254.169.254/token",  # the cloud metadata service
        "ntfys://10.1.2.3/topic",
        "form://192.168.1.10/x",
        "json://224.0.0.1/x",
        "xml://93.184.216.34/x",  # a scheme outside the allow-list
        "notaservice://nowhere",
    ],
)
def test_internal_targets_and_other_schemes_are_refused_and_nothing_is_stored(
    client: TestClient, container: Container, target: str
) -> None:
    response = put(client, PUBLIC, target)
    assert response.status_code == 422, response.text
    assert "[1]" in response.json()["detail"]
    assert "s3cr3t" not in response.text
    assert stored(container) == []


def test_a_host_name_is_resolved_and_refused_when_it_points_inside(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dns(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        address = {"inside.example": "10.0.0.7", "outside.example": "93.184.216.34"}[host]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(channels.socket, "getaddrinfo", dns)
    assert put(client, "json://inside.example/hook").status_code == 422
    assert put(client, "json://outside.example/hook").status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        '{"urls": ["json://93.184.216.34/\\ud800"]}',  # a lone surrogate
        '{"urls": ["json://93.184.216.34/a\\u0000b"]}',
        '{"urls": ["json://93.184.216.34/\\r\\nX-Injected: 1"]}',
    ],
)
def test_invalid_text_is_a_4xx_not_a_500(client: TestClient, container: Container, raw: str) -> None:
    response = client.put(URL, content=raw.encode(), headers=AUTH)
    assert 400 <= response.status_code < 500, response.text
    assert stored(container) == []


def test_urls_are_stored_encrypted_and_only_named_by_digest(client: TestClient, container: Container) -> None:
    response = put(client, PUBLIC, "tgram://123456789:abcdefghijklmnopqrstuvwxyz12345/4242", PUBLIC)
    assert response.status_code == 200, response.text
    assert [name.split(":")[0] for name in response.json()["channels"]] == ["ntfys", "tgram"]
    at_rest = stored(container)
    assert len(at_rest) == 2
    assert not any("s3cr3t" in value or "://" in value for value in at_rest)
    assert container.cipher.decrypt(at_rest[0]) == PUBLIC
    listed = client.get(URL, headers=AUTH)
    assert listed.json() == response.json()
    assert "s3cr3t" not in listed.text


def test_the_setting_lets_a_local_receiver_through(client: TestClient, container: Container) -> None:
    container.settings.notify_allow_private_targets = True
    assert put(client, "json://127.0.0.1:18999/collect").status_code == 200
    assert [container.cipher.decrypt(v) for v in stored(container)] == ["json://127.0.0.1:18999/collect"]
