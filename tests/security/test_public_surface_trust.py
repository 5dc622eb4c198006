"""What the public listener shows an anonymous caller in production: the real app on PostgreSQL, with production
settings (real-looking secrets). The webhook callback, /strava/* and the secret links must be reachable by
anyone; operators' numbers must not be, since they reveal who is connected and how Strava's budget is spent."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from composition.root import build
from runsmart.settings import Settings
from sync.budget import LocalBudget
from tests.security.conftest import SecurityDb
from webhooks.app import create_app

pytestmark = [pytest.mark.security, pytest.mark.integration]
API_KEY = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def production_client(sec_db: SecurityDb) -> TestClient:
    settings = Settings(
        env="production",
        database_url=sec_db.url,
        strava_client_id=1234,
        strava_client_secret=secrets.token_urlsafe(24),  # type: ignore[arg-type]
        strava_verify_token=secrets.token_urlsafe(24),  # type: ignore[arg-type]
        strava_subscription_id=120475,
        token_key=Fernet.generate_key().decode(),  # type: ignore[arg-type]
        api_keys=API_KEY,  # type: ignore[arg-type]
    )
    container = build(settings, budget=LocalBudget())
    return TestClient(create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True))


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_the_api_map_is_not_served_in_production(production_client: TestClient, path: str) -> None:
    assert production_client.get(path).status_code == 404


def test_an_anonymous_caller_gets_no_operator_metrics(production_client: TestClient) -> None:
    # The Strava budget it shows moves by the calls a forged create costs only when the named athlete is
    # connected, so open metrics would tell anyone who uses RunSmart.
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"Basic {API_KEY}"}):
        response = production_client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert "runsmart_" not in response.text


def test_the_operator_scrapes_metrics_with_an_api_key(production_client: TestClient) -> None:
    response = production_client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200
    assert "runsmart_strava_budget_used" in response.text
