"""Production refuses .env.example's placeholder public URL: every athlete's OAuth redirect is built from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from runsmart.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def production(**values: str) -> Settings:
    secrets = {
        "env": "production",
        "database_url": "postgresql+psycopg://runsmart:pw@db/runsmart",
        "strava_client_id": "40213",
        "strava_client_secret": "9f1c2e7a4b6d8f0a1c3e5b7d9f2a4c6e",
        "strava_verify_token": "Qm7xT2vL9pR4sW8zY3nB",
        "token_key": Fernet.generate_key().decode(),
        "api_keys": "kP3vX9mQ2rT7wZ5yB8nD4fH6",
    }
    return Settings(_env_file=None, **{**secrets, **values})  # type: ignore[arg-type]


def test_the_example_public_url_is_refused_in_production_naming_the_variable() -> None:
    shipped = next(
        line.split("=", 1)[1]
        for line in EXAMPLE.read_text().splitlines()
        if line.startswith("RUNSMART_PUBLIC_BASE_URL=")
    )
    with pytest.raises(ValidationError, match="RUNSMART_PUBLIC_BASE_URL is a placeholder"):
        production(public_base_url=shipped)


def test_a_real_public_url_is_accepted() -> None:
    assert production(public_base_url="https://sync.runsmart.coach").public_base_url.startswith("https://")
