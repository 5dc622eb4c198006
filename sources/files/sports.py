"""Files name sports their own way (FIT's sport and sub-sport, GPX's free `<type>`, TCX's Sport attribute):
mapped to Strava's sport types, which the planner counts (planner/activity.py, RUN_SPORT_TYPES)."""

from __future__ import annotations

_SPORTS = {
    "running": "Run", "run": "Run", "trail_running": "TrailRun", "trailrun": "TrailRun", "trail run": "TrailRun",
    "virtualrun": "VirtualRun", "cycling": "Ride", "biking": "Ride", "ride": "Ride", "walking": "Walk",
    "walk": "Walk", "hiking": "Hike", "hike": "Hike", "swimming": "Swim", "swim": "Swim",
}  # fmt: skip
_INDOOR_SUB_SPORTS = {"treadmill", "indoor_running", "indoor_cycling", "indoor_walking", "virtual_activity"}


def sport_type(sport: object, sub_sport: object = None) -> tuple[str, bool]:
    """(Strava sport type, indoors). Unknown sports are a "Workout": stored, never counted as running."""
    name = str(sport or "").strip().lower()
    sub = str(sub_sport or "").strip().lower()
    mapped = _SPORTS.get(name, "Workout")
    if mapped == "Run" and sub == "trail":
        mapped = "TrailRun"
    if sub == "virtual_activity":
        mapped = {"Run": "VirtualRun", "Ride": "VirtualRide"}.get(mapped, mapped)
    return mapped, sub in _INDOOR_SUB_SPORTS
