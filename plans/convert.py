"""Stored activity rows → the planner's immutable `Activity` values."""

from __future__ import annotations

from typing import Any

import planner
from store.models import Activity as ActivityRow


def _lap(raw: dict[str, Any]) -> planner.Lap:
    # Stored laps are sync.normalize's model dumps, named as in Strava's JSON.
    return planner.Lap(
        distance_m=float(raw.get("distance") or 0.0),
        moving_time_s=int(raw.get("moving_time") or 0),
        elapsed_time_s=int(raw.get("elapsed_time") or 0),
        average_heartrate=raw.get("average_heartrate"),
    )


def to_planner(row: ActivityRow) -> planner.Activity:
    return planner.Activity(
        id=row.id,
        athlete_id=row.athlete_id,
        sport_type=row.sport_type,
        start_local=row.start_date_local,
        distance_m=row.distance_m,
        moving_time_s=row.moving_time_s,
        elapsed_time_s=row.elapsed_time_s,
        name=row.name,
        timezone=row.timezone,
        elevation_gain_m=row.elevation_gain_m,
        average_heartrate=row.average_heartrate,
        max_heartrate=row.max_heartrate,
        workout_type=row.workout_type,
        manual=row.manual,
        trainer=row.trainer,
        laps=tuple(_lap(lap) for lap in row.laps or ()),
        splits_metric=tuple(_lap(split) for split in row.splits_metric or ()),
    )
