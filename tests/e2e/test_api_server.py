"""`runsmart api --workers 2` (the production shape in docker-compose.yml): several uvicorn processes behind one
port, each answering Strava's pushes and the OAuth dance, on the standard asyncio loop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from sqlalchemy import func, select

from cli.stack import Stack
from store.db import engine_for, session_factory
from store.models import Activity
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def synced(url: str) -> int:
    with session_factory(engine_for(url))() as session:
        return session.scalar(select(func.count()).select_from(Activity)) or 0


def test_a_multi_process_api_takes_pushes_and_connections(
    stack_factory: Callable[..., Stack], e2e_db: str
) -> None:
    stack = stack_factory(api_workers=2)
    athlete_id = stack.connect_athlete()
    for _ in range(6):  # pushes on new connections: the kernel spreads them over both processes
        stack.simulator.admin.create_activity(athlete_id, kind="easy")
    assert wait_for(lambda: synced(e2e_db) == 6, what="six pushed runs synced")
    assert requests.get(f"{stack.api_url}/healthz", timeout=5).status_code == 200
