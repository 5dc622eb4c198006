"""The migrations build exactly the schema the models declare, on PostgreSQL and on the demo's SQLite: what
`alembic check` would say, run on every test run so a model change without its migration (or the reverse)
fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.db import engine_for
from store.migrate import upgrade
from store.schema import metadata

pytestmark = pytest.mark.integration


def differences(url: str) -> list[object]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_postgresql_at_head_matches_the_models(pg_url: str) -> None:
    assert differences(pg_url) == []


def test_sqlite_at_head_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'head.db'}"
    upgrade(url)
    assert differences(url) == []
