"""TCX (Garmin Training Center, many apps' export): parsed with tcxreader. Laps, heart rate, the sport and the
device ("Author") are kept; trackpoints without a position (a treadmill) are kept too."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from sources.base import ActivityCopyValues, LapCopy
from sources.errors import FileRefused, Refusal
from sources.files.checks import finite
from sources.files.sports import sport_type


def parse_tcx(data: bytes) -> ActivityCopyValues:
    from tcxreader.tcxreader import TCXReader  # here: the API process loads it only once a file arrives

    try:
        # tcxreader reads a path; ElementTree, behind it, reads a file object just as well.
        exercise = TCXReader().read(io.BytesIO(data), only_gps=False)  # type: ignore[arg-type]
        if exercise.start_time is None or exercise.end_time is None:
            raise FileRefused(Refusal.NO_ACTIVITY, "the TCX file has no timed track")
        start, end = _utc(exercise.start_time), _utc(exercise.end_time)
        laps = tuple(_lap(lap) for lap in exercise.laps or ())
        moving = sum(lap.moving_time_s for lap in laps) or round((end - start).total_seconds())
        author = exercise.author.name if exercise.author is not None else None
        # No position anywhere: recorded indoors (a treadmill), the distance is the device's estimate.
        located = any(tp.latitude is not None for tp in exercise.trackpoints or ())
        values = dict(
            kind=exercise.activity_type,
            distance=finite(exercise.distance or 0.0, "distance"),
            climb=finite(exercise.ascent or 0.0, "elevation gain"),
            hr_avg=exercise.hr_avg,
            hr_max=exercise.hr_max,
        )
    except FileRefused:
        raise
    except Exception:  # tcxreader on a hostile or broken file: whatever breaks, the file is at fault
        raise FileRefused(Refusal.CORRUPT, "the TCX file cannot be read") from None
    sport, indoor = sport_type(values["kind"])
    indoor = indoor or not located
    return ActivityCopyValues(
        sport_type=sport,
        start=start,
        start_local=start.replace(tzinfo=None),
        timezone=None,
        elapsed_time_s=round((end - start).total_seconds()),
        moving_time_s=moving,
        distance_m=values["distance"],
        elevation_gain_m=values["climb"],
        average_heartrate=values["hr_avg"],
        max_heartrate=values["hr_max"],
        laps=laps,
        device=str(author)[:120] if author else None,
        trainer=indoor,
    )


def _lap(lap: Any) -> LapCopy:
    elapsed = round(finite(lap.duration or 0.0, "lap time"))
    return LapCopy(
        start=_utc(lap.start_time) if isinstance(lap.start_time, datetime) else None,
        elapsed_time_s=elapsed,
        moving_time_s=elapsed,
        distance_m=finite(lap.distance or 0.0, "lap distance"),
        average_heartrate=lap.hr_avg,
        max_heartrate=lap.hr_max,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
