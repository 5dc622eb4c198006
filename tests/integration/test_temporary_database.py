"""The one implementation behind every suite's database fixture (tests/conftest.py `temporary_database`): a
fresh database for the block, gone afterwards even when the block fails, so no suite leaves one behind."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import admin_engine, database_name, temporary_database

pytestmark = pytest.mark.integration


def database_exists(name: str) -> bool:
    engine = admin_engine()
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}))
    finally:
        engine.dispose()


def fail_inside(name: str, seen: list[str]) -> None:
    with temporary_database(name, migrated=False) as url:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                seen.append(conn.scalar(text("SELECT current_database()")))
        finally:
            engine.dispose()
        raise RuntimeError("the test failed")


def test_the_database_is_there_in_the_block_and_dropped_even_when_the_block_fails() -> None:
    name = database_name("tmpcheck", uuid.uuid4().hex[:8])
    seen: list[str] = []
    with pytest.raises(RuntimeError, match="the test failed"):
        fail_inside(name, seen)
    assert seen == [name]
    assert not database_exists(name)


def test_a_migrated_database_has_the_schema(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            tables = set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
    finally:
        engine.dispose()
    assert {"athletes", "strava_events", "notification_outbox", "alembic_version"} <= tables
