"""Strava DetailedActivity JSON -> planner Activity, with Strava's own swagger example (shipped in stravalib)."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

import pytest

from sync.normalize import MalformedActivity, normalize_activity


def swagger_example(path: str) -> dict[str, Any]:
    spec = json.loads((resources.files("stravalib") / "tests/resources/strava_swagger.json").read_text())
    return spec["paths"][path]["get"]["responses"]["200"]["examples"]["application/json"]


def test_swagger_detailed_activity_is_normalized() -> None:
    activity = normalize_activity(swagger_example("/activities/{id}"))
    assert activity.id == 12345678987654321
    assert activity.athlete_id == 134815
    assert activity.sport_type == "MountainBikeRide"
    assert not activity.is_run
    # start_date_local "2018-02-16T06:52:54Z" is wall-clock time in Los Angeles, not UTC (docs/strava.md, "Activity data")
    assert activity.start_local == datetime(2018, 2, 16, 6, 52, 54)
    assert activity.start_local.tzinfo is None
    assert activity.timezone == "America/Los_Angeles"
    assert activity.laps
    assert activity.splits_metric


@pytest.mark.parametrize("sport", ["Run", "TrailRun", "VirtualRun"])
def test_treadmill_trail_and_virtual_runs_count_as_runs(sport: str) -> None:
    raw = swagger_example("/activities/{id}") | {"sport_type": sport}
    assert normalize_activity(raw).is_run


def test_old_activities_without_sport_type_fall_back_to_type() -> None:
    raw = {k: v for k, v in swagger_example("/activities/{id}").items() if k != "sport_type"} | {
        "type": "Run"
    }
    assert normalize_activity(raw).sport_type == "Run"


def test_heart_rate_glitches_are_dropped_and_fractions_kept() -> None:
    raw = swagger_example("/activities/{id}") | {"average_heartrate": 2147480000, "max_heartrate": 171.5}
    activity = normalize_activity(raw)
    assert activity.average_heartrate is None
    assert activity.max_heartrate == 171.5


def test_manual_activity_without_laps() -> None:
    raw = swagger_example("/activities/{id}") | {"manual": True, "laps": None, "splits_metric": None}
    raw = {k: v for k, v in raw.items() if v is not None}
    activity = normalize_activity(raw)
    assert activity.manual
    assert activity.laps == ()
    assert activity.splits_metric == ()


@pytest.mark.parametrize("missing", ["id", "athlete", "start_date_local"])
def test_missing_essential_fields_raise_a_clear_error(missing: str) -> None:
    raw = {k: v for k, v in swagger_example("/activities/{id}").items() if k != missing}
    with pytest.raises(MalformedActivity, match=missing):
        normalize_activity(raw)


NULLABLE = [
    "distance",
    "moving_time",
    "elapsed_time",
    "total_elevation_gain",
    "manual",
    "trainer",
    "private",
    "laps",
    "splits_metric",
    "name",
    "workout_type",
    "timezone",
    "average_heartrate",
    "max_heartrate",
    "sport_type",
]


@pytest.mark.parametrize("field", NULLABLE)
def test_a_json_null_in_a_nullable_field_is_tolerated(field: str) -> None:
    # Strava sends null for what it has no value for (a manual entry, a treadmill run): never a reason to
    # reject the whole activity.
    raw = swagger_example("/activities/{id}") | {field: None}
    activity = normalize_activity(raw)
    assert activity.id == 12345678987654321
    assert activity.start_local == datetime(2018, 2, 16, 6, 52, 54)


@pytest.mark.parametrize("field", ["distance", "moving_time", "elapsed_time", "average_heartrate"])
def test_a_json_null_inside_a_lap_or_split_is_tolerated(field: str) -> None:
    raw = swagger_example("/activities/{id}")
    raw = raw | {
        "laps": [lap | {field: None} for lap in raw["laps"]],
        "splits_metric": [split | {field: None} for split in raw["splits_metric"]],
    }
    activity = normalize_activity(raw)
    assert len(activity.laps) == len(raw["laps"])
    assert len(activity.splits_metric) == len(raw["splits_metric"])


@pytest.mark.parametrize("field", ["id", "athlete", "start_date", "start_date_local"])
def test_a_null_where_nothing_can_stand_in_is_still_refused(field: str) -> None:
    with pytest.raises(MalformedActivity, match=field):
        normalize_activity(swagger_example("/activities/{id}") | {field: None})


def test_a_manual_entry_as_the_simulator_serves_it_is_normalized() -> None:
    import random

    from simulator.season import build_activity, detailed_activity, seed_world
    from simulator.state import SimConfig, World

    world = World(SimConfig(athletes=1, weeks=0))
    athlete = world.athletes[seed_world(world)[0]]
    raw = detailed_activity(
        build_activity(world, athlete, "manual", datetime(2026, 7, 1, 7, 0), random.Random(1))
    )
    assert raw["manual"] is True
    assert raw["start_latlng"] == []
    assert raw["workout_type"] is None
    activity = normalize_activity(raw)
    assert activity.manual
    assert activity.is_run
    assert activity.laps == ()
    assert activity.splits_metric == ()
    assert activity.average_heartrate is None
