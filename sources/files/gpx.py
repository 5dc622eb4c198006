"""GPX (Strava's and Garmin Connect's export, most apps): parsed with gpxpy. A GPX track has no laps; heart
rate comes from Garmin's TrackPointExtension when present. Times in GPX are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sources.base import ActivityCopyValues
from sources.errors import FileRefused, Refusal
from sources.files.checks import finite
from sources.files.sports import sport_type

# gpxpy scans the text for namespace declarations with a regular expression and registers each with the XML
# library, process-wide: more than a few dozen in one file is not an activity but an attack on that scan.
MAX_NAMESPACE_DECLARATIONS = 64
# Below this speed a stretch counts as stopped (gpxpy's own default for moving time).
STOPPED_SPEED_MPS = 0.3


def parse_gpx(data: bytes) -> ActivityCopyValues:
    if data.count(b"xmlns") > MAX_NAMESPACE_DECLARATIONS:
        raise FileRefused(Refusal.HOSTILE, "the GPX file declares too many XML namespaces")
    import gpxpy  # here: the API process loads it only once a file arrives

    try:
        gpx = gpxpy.parse(data.decode("utf-8"))
        points = [p for track in gpx.tracks for segment in track.segments for p in segment.points]
        timed = [p for p in points if p.time is not None]
        if len(timed) < 2:
            raise FileRefused(
                Refusal.NO_ACTIVITY, "the GPX file has no timed track (a route is not an activity)"
            )
        moving = gpx.get_moving_data(stopped_speed_threshold=STOPPED_SPEED_MPS)
        distance = gpx.length_2d()
        climb = gpx.get_uphill_downhill().uphill
        track = gpx.tracks[0]
        kind = track.type
        name = track.name or gpx.name or ""
        heart = [hr for hr in (_heart_rate(p) for p in timed) if hr is not None]
        times = [p.time for p in timed if p.time is not None]
    except FileRefused:
        raise
    except Exception:  # gpxpy on a hostile or broken file: whatever breaks, the file is at fault
        raise FileRefused(Refusal.CORRUPT, "the GPX file cannot be read") from None
    start, end = _utc(times[0]), _utc(times[-1])
    sport, indoor = sport_type(kind)
    return ActivityCopyValues(
        sport_type=sport,
        start=start,
        start_local=start.replace(tzinfo=None),
        timezone=None,
        elapsed_time_s=round((end - start).total_seconds()),
        moving_time_s=round(finite(moving.moving_time if moving else 0.0, "moving time")),
        distance_m=finite(distance or 0.0, "distance"),
        elevation_gain_m=finite(climb or 0.0, "elevation gain"),
        average_heartrate=sum(heart) / len(heart) if heart else None,
        max_heartrate=max(heart) if heart else None,
        device=(gpx.creator or "")[:120] or None,
        name=str(name)[:200],
        trainer=indoor,
    )


def _utc(value: datetime) -> datetime:
    # A time without a zone is UTC in GPX (its schema says so).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _heart_rate(point: Any) -> float | None:
    """`<gpxtpx:hr>` inside the point's extensions (Garmin's TrackPointExtension), if any."""
    for extension in point.extensions or ():
        for element in extension.iter():
            if str(element.tag).rsplit("}", 1)[-1] == "hr" and element.text:
                try:
                    return float(element.text)
                except ValueError:
                    return None
    return None
