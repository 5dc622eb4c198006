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
    # start_date_local "2018-02-16T06:52:54Z" is wall-clock time in Los Angeles, not UTC (strava.md §4.2)
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
