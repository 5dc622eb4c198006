"""Fuzzing fixtures: the real app (FastAPI TestClient) on a real, migrated PostgreSQL database of its own.

Example counts come from hypothesis profiles: `fuzz-ci` by default (well under a minute for the suite),
`RUNSMART_FUZZ_EXAMPLES=N` for a longer run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import func, select

from composition.root import Container, build
from runsmart.settings import Settings
from store.models import StravaEvent
from sync.budget import LocalBudget
from tests.conftest import database_name, temporary_database
from webhooks.app import create_app

SUBSCRIPTION_ID = 120475
VERIFY_TOKEN = "fuzz-verify-token"
API_KEY = "fuzz-api-key-0123456789abcdef"
EXAMPLES = int(os.environ.get("RUNSMART_FUZZ_EXAMPLES", "0")) or None

settings.register_profile(
    "fuzz",
    max_examples=EXAMPLES or 250,
    deadline=None,
    derandomize=EXAMPLES is None,  # CI: reproducible; a long run explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
FUZZ = settings.get_profile("fuzz")


class Recorder:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, event_id: int) -> bool:
        self.ids.append(event_id)
        return True


@pytest.fixture(scope="module")
def fuzz_db(run_tag: str, request: pytest.FixtureRequest) -> Iterator[str]:
    module = request.module.__name__.rsplit(".", 1)[-1]
    with temporary_database(database_name(f"fuzz_{module}", run_tag)) as url:
        yield url


@pytest.fixture(scope="module")
def fuzz_container(fuzz_db: str) -> Container:
    settings = Settings(
        env="test",
        database_url=fuzz_db,
        strava_client_id=1234,
        strava_client_secret="fuzz-client-secret",  # type: ignore[arg-type]
        strava_verify_token=VERIFY_TOKEN,  # type: ignore[arg-type]
        strava_subscription_id=SUBSCRIPTION_ID,
        # Nothing may reach a network during fuzzing: a closed local port.
        strava_base_url="http://127.0.0.1:9",
        public_base_url="http://testserver",
        api_keys=API_KEY,  # type: ignore[arg-type]
        # The fuzzers send thousands of invalid bodies from one address; the throttle that would slow that
        # address down has tests of its own (tests/integration/test_intake_hostile.py).
        intake_invalid_burst=10_000,
    )
    return build(settings, budget=LocalBudget())


@pytest.fixture(scope="module")
def enqueued() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def client(fuzz_container: Container, enqueued: Recorder) -> Iterator[TestClient]:
    app = create_app(
        lambda: fuzz_container,
        enqueue=enqueued,
        start_backfill=lambda athlete_id: True,
        broker_check=lambda: True,
    )
    # raise_server_exceptions=False: an unhandled error must show up as the 500 a client would see.
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def event_rows(container: Container) -> int:
    with container.sessions() as session:
        return session.scalar(select(func.count()).select_from(StravaEvent)) or 0
