"""Revision 0010 on a database that already holds Strava runs: each gets its Strava copy; going back removes
the runs only a file held (the code before it would reconcile them away as deleted Strava runs)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store.db import engine_for
from store.migrate import downgrade, upgrade
from tests.conftest import database_name, temporary_database

pytestmark = pytest.mark.integration

RUN = {
    "athlete_id": 7, "name": "Tempo", "sport_type": "Run", "is_run": True, "start_date": "2026-07-21T06:00:00+00:00",
    "start_date_local": "2026-07-21T08:00:00", "local_date": "2026-07-21", "timezone": "Europe/Amsterdam",
    "distance_m": 10000.0, "moving_time_s": 3000, "elapsed_time_s": 3050, "elevation_gain_m": 12.0,
    "average_heartrate": 150.0, "max_heartrate": 170.0, "workout_type": 3, "manual": False, "trainer": False,
    "private": True, "laps": "[]", "splits_metric": "[]", "raw": "{}", "fetched_at": "2026-07-21T09:00:00+00:00",
}  # fmt: skip


def _insert_run(conn: object, activity_id: int) -> None:
    columns = ", ".join(["id", *RUN])
    values = ", ".join([":id", *(f":{name}" for name in RUN)])
    conn.execute(text(f"INSERT INTO activities ({columns}) VALUES ({values})"), {"id": activity_id, **RUN})  # type: ignore[attr-defined]


def test_stored_strava_runs_get_their_copies_and_file_first_runs_go_on_downgrade(run_tag: str) -> None:
    with temporary_database(database_name("sources_migration", run_tag), migrated=False) as url:
        upgrade(url, "0009")
        engine = engine_for(url)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO athletes (id, firstname, lastname, created_at) VALUES (7, '', '', now())")
            )
            _insert_run(conn, 1360128428)
        upgrade(url, "0010")
        with engine.begin() as conn:
            copy = conn.execute(
                text(
                    "SELECT source, external_id, activity_id, role, name, distance_m, private, received_at "
                    "FROM activity_copies"
                )
            ).one()
            assert tuple(copy[:7]) == ("strava", "1360128428", 1360128428, "whole", "Tempo", 10000.0, True)
            _insert_run(conn, -5)
        downgrade(url, "0009")
        with engine.begin() as conn:
            assert [row[0] for row in conn.execute(text("SELECT id FROM activities"))] == [1360128428]
