"""Activities created without a start never overlap another of the athlete's: one athlete records one activity
at a time, and RunSmart files overlapping activities of one athlete as the same run (docs/sources.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from fastapi.testclient import TestClient

from simulator.admin import DEFAULT_START_GAP
from simulator.state import World


def _starts(world: World, athlete_id: int) -> list[datetime]:
    return sorted(
        datetime.fromisoformat(str(a["start_date_local"]).removesuffix("Z"))
        for a in world.activities.values()
        if a["athlete"]["id"] == athlete_id
    )


def test_activities_created_at_once_without_a_start_are_apart(
    client: TestClient, world: World, athlete_id: int
) -> None:
    created = []
    for kind in ("easy", "long", "easy", "tempo", "easy"):
        out = client.post(f"/_sim/athletes/{athlete_id}/activities", json={"kind": kind})
        assert out.status_code == 201
        created.append(datetime.fromisoformat(out.json()["activity"]["start_date_local"].removesuffix("Z")))
    for start in created:
        others = _starts(world, athlete_id)
        others.remove(start)  # this activity; another starting at the same time stays
        assert min(abs(start - other) for other in others) >= DEFAULT_START_GAP, start


def test_a_given_start_is_kept_even_next_to_another_activity(
    client: TestClient, world: World, athlete_id: int
) -> None:
    body = {"kind": "easy", "start_date_local": "2026-06-30T07:00:00"}
    client.post(f"/_sim/athletes/{athlete_id}/activities", json=body)
    client.post(
        f"/_sim/athletes/{athlete_id}/activities", json={**body, "start_date_local": "2026-06-30T07:10:00"}
    )
    starts = _starts(world, athlete_id)
    assert datetime(2026, 6, 30, 7, 0) in starts
    assert datetime(2026, 6, 30, 7, 10) in starts
    assert timedelta(minutes=10) in {b - a for a, b in pairwise(starts)}
