"""Shared fixtures. Integration tests use the real PostgreSQL and Redis on localhost (see README)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

# Tests never read a developer's .env or talk to strava.com.
os.environ.setdefault("RUNSMART_ENV", "test")
os.environ.setdefault("SILENCE_TOKEN_WARNINGS", "true")

PG_HOST = os.environ.get("RUNSMART_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432")
REDIS_URL = os.environ.get("RUNSMART_TEST_REDIS", "redis://127.0.0.1:6379")


def _admin_engine():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(f"{PG_HOST}/test", isolation_level="AUTOCOMMIT")


def create_database(name: str) -> str:
    from sqlalchemy import text

    from store.migrate import upgrade

    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - turned into a clear instruction
        pytest.exit(
            f"PostgreSQL is not reachable at {PG_HOST} ({type(error).__name__}). Start it, e.g. "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set RUNSMART_TEST_PG.",
            returncode=3,
        )
    finally:
        engine.dispose()
    url = f"{PG_HOST}/{name}"
    upgrade(url)
    return url


def drop_database(name: str) -> None:
    from sqlalchemy import text

    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def run_tag(request: pytest.FixtureRequest, worker_id: str) -> str:
    """Unique per test run and xdist worker: concurrent runs on one machine never drop each other's databases."""
    uid = getattr(request.config, "workerinput", {}).get("testrunuid") or _RUN_UID
    return f"{uid[:8]}_{worker_id}"


_RUN_UID = uuid.uuid4().hex


@pytest.fixture(scope="session")
def pg_url(run_tag: str) -> Iterator[str]:
    name = f"runsmart_test_{run_tag}"
    url = create_database(name)
    yield url
    from store.db import engine_for

    engine_for(url).dispose()
    drop_database(name)


@pytest.fixture
def clean_db(pg_url: str) -> Iterator[str]:
    yield pg_url
    from sqlalchemy import text

    from store.db import engine_for
    from store.models import Base

    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine_for(pg_url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    # pytest-xdist provides its own `worker_id`; this one serves plain runs.
    return getattr(request.config, "workerinput", {}).get("workerid", "main")
