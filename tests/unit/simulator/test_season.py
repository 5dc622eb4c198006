"""The seeded season: deterministic, varied, internally consistent."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, timedelta

from simulator.season import seed_world, summary_activity
from simulator.state import SimConfig, World


def make(seed: int = 42, weeks: int = 12) -> World:
    w = World(SimConfig(seed=seed, weeks=weeks, season_end=date(2026, 7, 1)), now=lambda: 1782900000.0)
    seed_world(w)
    return w


def test_deterministic_per_seed() -> None:
    assert make(7).activities == make(7).activities
    assert make(7).activities != make(8).activities


def test_a_realistic_mix() -> None:
    w = make()
    acts = list(w.activities.values())
    assert 50 <= len(acts) <= 75  # 4-6 sessions a week for 12 weeks
    kinds = Counter(a["_kind"] for a in acts)
    for kind in ("easy", "long", "tempo", "intervals", "ride", "race"):
        assert kinds[kind] > 0, kind
    assert kinds["treadmill"] + kinds["virtual"] > 0
    assert any(a["sport_type"] == "VirtualRun" and a["trainer"] for a in acts) or kinds["virtual"] == 0
    assert {a["workout_type"] for a in acts if a["sport_type"] == "Run"} >= {1, 2, 3}
    (race,) = [a for a in acts if a["_kind"] == "race"]
    assert race["start_date_local"][:10] == "2026-06-28"  # the last Sunday before the season end
    days = sorted(a["start_date_local"][:10] for a in acts)
    assert days[0] >= "2026-04-08"
    assert days[-1] < "2026-07-01"


def test_activity_internal_consistency() -> None:
    for a in make(3).activities.values():
        start = datetime.strptime(a["start_date"], "%Y-%m-%dT%H:%M:%SZ")
        local = datetime.strptime(a["start_date_local"], "%Y-%m-%dT%H:%M:%SZ")
        assert local - start == timedelta(seconds=a["utc_offset"])
        assert a["elapsed_time"] >= a["moving_time"] > 0
        assert abs(a["average_speed"] - a["distance"] / a["moving_time"]) < 0.01
        assert a["max_heartrate"] >= a["average_heartrate"] > 80
        if a["sport_type"] != "Ride":
            assert len(a["splits_metric"]) == math.ceil((a["distance"] - 1.0) / 1000)
            assert [s["split"] for s in a["splits_metric"]] == list(range(1, len(a["splits_metric"]) + 1))
        if a["_kind"] == "intervals":
            assert len(a["laps"]) >= 9
        if a["trainer"]:
            assert a["start_latlng"] == []  # as Strava sends it for an activity without GPS
            assert a["map"]["summary_polyline"] == ""
        s = summary_activity(a)
        assert s["resource_state"] == 2
        assert "laps" not in s
        assert "polyline" not in s["map"]


def test_summer_time_offset() -> None:
    w = make()
    tz_offsets = {a["utc_offset"] for a in w.activities.values()}
    assert len(tz_offsets) == 1  # April-June in one zone: all DST
