"""Synthetic completed runs for a planned workout, in Strava's DetailedActivity JSON shape.

Used to write the example scenarios (examples/scenarios/), by the benchmark and by tests. A structured
session gets device laps (warm-up, each rep, each recovery jog, cool-down); a steady run gets per-km splits.
Field names and meanings follow ../shared/reference/strava.md §4.2 (start_date_local carries a fake "Z").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from planner.activity import Activity, Lap
from planner.plan import Workout, WorkoutType

TIMEZONE = "(GMT+01:00) Europe/Amsterdam"
UTC_OFFSET = timedelta(hours=1)


def _lap(distance_m: float, pace_s_per_km: float, hr: float | None) -> dict[str, Any]:
    t = round(distance_m / 1000 * pace_s_per_km)
    lap: dict[str, Any] = {"distance": round(distance_m, 1), "moving_time": t, "elapsed_time": t}
    if hr is not None:
        lap["average_heartrate"] = hr
    return lap


def laps_for(
    w: Workout, easy_pace: float, work_pace: float | None = None, easy_hr: float | None = None
) -> list[dict[str, Any]]:
    """Device laps for doing ``w`` (work at ``work_pace``, default the middle of the planned range)."""
    if not w.reps:
        pace = work_pace if work_pace is not None else (w.pace[0] + w.pace[1]) / 2
        return [_lap(w.distance_m, pace, easy_hr)]
    laps = [_lap(w.warmup_m, easy_pace, easy_hr)]
    for r in w.reps:
        pace = work_pace if work_pace is not None else (r.pace[0] + r.pace[1]) / 2
        for i in range(r.count):
            laps.append(_lap(r.distance_m, pace, None))
            if i < r.count - 1 and r.recovery_s > 0:
                jog = r.recovery_s / (easy_pace * 1.1) * 1000
                laps.append(_lap(jog, easy_pace * 1.1, None))
    laps.append(_lap(w.cooldown_m, easy_pace, easy_hr))
    return laps


def splits_for(distance_m: float, pace: float, hr: float | None) -> list[dict[str, Any]]:
    out = []
    left = distance_m
    while left > 0.5:
        d = min(1000.0, left)
        out.append(_lap(d, pace, hr))
        left -= d
    return out


def strava_run(
    activity_id: int,
    athlete_id: int,
    w: Workout,
    easy_pace: float,
    *,
    start: time = time(7, 30),
    day_offset: int = 0,
    work_pace: float | None = None,
    distance_factor: float = 1.0,
    sport_type: str = "Run",
    easy_hr: float | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A DetailedActivity dict for running ``w`` (optionally scaled, moved or retyped)."""
    src = w
    if distance_factor != 1.0:
        src = replace(w, distance_m=w.distance_m * distance_factor, reps=(), warmup_m=0, cooldown_m=0)
        work_pace = work_pace if work_pace is not None else easy_pace
    laps = laps_for(src, easy_pace, work_pace, easy_hr)
    distance = sum(lap["distance"] for lap in laps)
    moving = sum(lap["moving_time"] for lap in laps)
    local = datetime.combine(w.date + timedelta(days=day_offset), start)
    steady = len(laps) == 1
    pace = moving / (distance / 1000) if distance else easy_pace
    kind = (
        "Ride"
        if sport_type == "Ride"
        else ("Run" if sport_type in ("Run", "TrailRun", "VirtualRun") else sport_type)
    )
    return {
        "id": activity_id,
        "resource_state": 3,
        "athlete": {"id": athlete_id, "resource_state": 1},
        "name": name or f"{w.type.value.replace('_', ' ').title()} run",
        "sport_type": sport_type,
        "type": kind,
        "start_date": (local - UTC_OFFSET).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start_date_local": local.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": TIMEZONE,
        "distance": round(distance, 1),
        "moving_time": moving,
        "elapsed_time": moving + 40,
        "total_elevation_gain": 12.0,
        "average_heartrate": easy_hr,
        "workout_type": 1 if w.type is WorkoutType.RACE else (3 if w.reps else None),
        "manual": False,
        "trainer": sport_type == "VirtualRun",
        "laps": laps if not steady else [dict(laps[0])],
        "splits_metric": splits_for(distance, pace, easy_hr) if steady else [],
    }


def activity_from_strava(raw: dict[str, Any]) -> Activity:
    """A fast, minimal reading of the dicts made here (the real mapping is sync.normalize)."""

    def lap(d: dict[str, Any]) -> Lap:
        return Lap(d["distance"], d["moving_time"], d["elapsed_time"], d.get("average_heartrate"))

    return Activity(
        id=raw["id"],
        athlete_id=raw["athlete"]["id"],
        sport_type=raw["sport_type"],
        start_local=datetime.strptime(raw["start_date_local"], "%Y-%m-%dT%H:%M:%SZ"),
        distance_m=raw["distance"],
        moving_time_s=raw["moving_time"],
        elapsed_time_s=raw["elapsed_time"],
        name=raw["name"],
        timezone="Europe/Amsterdam",
        average_heartrate=raw.get("average_heartrate"),
        workout_type=raw.get("workout_type"),
        manual=raw.get("manual", False),
        trainer=raw.get("trainer", False),
        laps=tuple(lap(x) for x in raw.get("laps", ())),
        splits_metric=tuple(lap(x) for x in raw.get("splits_metric", ())),
    )
