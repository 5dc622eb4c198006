"""Shared fixtures. Integration tests use the real PostgreSQL and Redis on localhost (see README)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# Tests never read a developer's .env or talk to strava.com.
os.environ.setdefault("RUNSMART_ENV", "test")
os.environ.setdefault("SILENCE_TOKEN_WARNINGS", "true")

PG_HOST = os.environ.get("RUNSMART_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432")
REDIS_URL = os.environ.get("RUNSMART_TEST_REDIS", "redis://127.0.0.1:6379")


def admin_engine():  # type: ignore[no-untyped-def]
    """An AUTOCOMMIT engine on the server's `test` database: for CREATE/DROP DATABASE and killing sessions."""
    from sqlalchemy import create_engine

    return create_engine(f"{PG_HOST}/test", isolation_level="AUTOCOMMIT")


def create_database(name: str, *, migrated: bool = True) -> str:
    """Create database `name` (dropping any left over), at the latest migration unless `migrated` is false."""
    from sqlalchemy import text

    from store.migrate import upgrade

    engine = admin_engine()
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
    if migrated:
        upgrade(url)
    return url


def drop_database(name: str) -> None:
    from sqlalchemy import text

    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def database_name(purpose: str, run_tag: str) -> str:
    """`runsmart_<purpose>_<run tag>`: the run tag keeps concurrent runs from dropping each other's databases."""
    return f"runsmart_{purpose}_{run_tag}"[:63]  # PostgreSQL's identifier limit


@contextmanager
def temporary_database(name: str, *, migrated: bool = True) -> Iterator[str]:
    """A fresh database `name` for the block (at the latest migration unless `migrated` is false); its URL.
    Dropped afterwards, once this process's pooled connections to it are closed. Every suite's database
    fixture is this one."""
    url = create_database(name, migrated=migrated)
    try:
        yield url
    finally:
        from store.db import engine_for

        engine_for(url).dispose()
        drop_database(name)


@pytest.fixture(scope="session")
def run_tag(request: pytest.FixtureRequest, worker_id: str) -> str:
    """Unique per test run and xdist worker: concurrent runs on one machine never drop each other's databases."""
    uid = getattr(request.config, "workerinput", {}).get("testrunuid") or _RUN_UID
    return f"{uid[:8]}_{worker_id}"


_RUN_UID = uuid.uuid4().hex


@pytest.fixture(scope="session")
def pg_url(run_tag: str) -> Iterator[str]:
    with temporary_database(database_name("test", run_tag)) as url:
        yield url


@pytest.fixture
def clean_db(pg_url: str) -> Iterator[str]:
    yield pg_url
    from sqlalchemy import text

    from store.db import engine_for
    from store.schema import metadata

    tables = ", ".join(table.name for table in metadata.sorted_tables)
    with engine_for(pg_url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    # pytest-xdist provides its own `worker_id`; this one serves plain runs.
    return getattr(request.config, "workerinput", {}).get("workerid", "main")
