"""Seeded synthetic athletes and seasons of realistic runs.

Shapes follow Strava's swagger examples (stravalib ships them in
``stravalib/tests/resources/strava_swagger.json``): DetailedActivity with ``laps`` and ``splits_metric``,
SummaryActivity for lists.  Values are invented but plausible: a runner training 4-6 times a week (easy runs,
a long run, tempo, intervals with work/recovery laps), some treadmill and Zwift (``VirtualRun``) sessions, a
trail run now and then, and a ride or two.  Everything is deterministic for a given seed and season end date.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from simulator.athlete import SimAthlete, gear_json, iso_z, make_athlete
from simulator.state import JsonObject, StravaActivity, World

__all__ = ["KINDS", "build_activity", "detailed_activity", "make_athlete", "seed_world", "summary_activity"]


class ActivityKind(StrEnum):
    """The kinds of session a simulated athlete does (``kind`` of ``/_sim/athletes/{id}/activities``)."""

    EASY = "easy"
    RECOVERY = "recovery"
    LONG = "long"
    TEMPO = "tempo"
    INTERVALS = "intervals"
    RACE = "race"
    TREADMILL = "treadmill"
    VIRTUAL = "virtual"
    TRAIL = "trail"
    RIDE = "ride"
    MANUAL = "manual"


KINDS = tuple(kind.value for kind in ActivityKind)

# detail-only keys removed from the SummaryActivity representation
DETAIL_ONLY = (
    "description",
    "calories",
    "segment_efforts",
    "splits_metric",
    "splits_standard",
    "laps",
    "best_efforts",
    "gear",
    "photos",
    "highlighted_kudosers",
    "hide_from_home",
    "embed_token",
    "segment_leaderboard_opt_out",
    "leaderboard_opt_out",
    "partner_brand_tag",
    "perceived_exertion",
)

GMT_LABEL = {
    "Europe/Amsterdam": "(GMT+01:00) Europe/Amsterdam",
    "America/Los_Angeles": "(GMT-08:00) America/Los_Angeles",
    "Europe/London": "(GMT+00:00) Europe/London",
}


def encode_polyline(points: list[tuple[float, float]]) -> str:
    """Google's encoded polyline algorithm (what Strava's ``map.summary_polyline`` holds)."""
    out: list[str] = []
    prev_lat = prev_lng = 0
    for lat, lng in points:
        ilat, ilng = round(lat * 1e5), round(lng * 1e5)
        for delta in (ilat - prev_lat, ilng - prev_lng):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lng = ilat, ilng
    return "".join(out)


def summary_activity(activity: StravaActivity) -> JsonObject:
    out = {k: v for k, v in activity.items() if k not in DETAIL_ONLY and not k.startswith("_")}
    out["resource_state"] = 2
    out["map"] = {k: v for k, v in activity["map"].items() if k != "polyline"} | {"resource_state": 2}
    return out


def detailed_activity(activity: StravaActivity) -> JsonObject:
    return {k: v for k, v in activity.items() if not k.startswith("_")}


@dataclass
class Segment:
    """A stretch of a run at one effort: used to derive laps, splits, speeds and heart rate."""

    distance: float  # m
    pace: float  # s/km
    hr: float
    lap: bool  # device lap boundary at the end of this segment (manual lap)


def _segments(kind: str, athlete: SimAthlete, rng: random.Random) -> tuple[list[Segment], str, int | None]:
    easy = athlete.easy_pace * rng.uniform(0.97, 1.04)
    hrmax = athlete.max_hr
    if kind in (ActivityKind.EASY, ActivityKind.TREADMILL, ActivityKind.VIRTUAL, ActivityKind.MANUAL):
        d = rng.choice([6000, 7000, 8000, 8000, 10000]) + rng.uniform(-150, 250)
        return (
            [Segment(d, easy, hrmax * 0.72, False)],
            "Morning Run",
            0 if kind == ActivityKind.EASY else None,
        )
    if kind == "recovery":
        d = rng.choice([4000, 5000, 6000]) + rng.uniform(-100, 200)
        return [Segment(d, easy * 1.08, hrmax * 0.66, False)], "Recovery jog", 0
    if kind == "trail":
        d = rng.choice([9000, 11000, 14000]) + rng.uniform(-300, 300)
        return [Segment(d, easy * 1.15, hrmax * 0.75, False)], "Trail run", 0
    if kind == "long":
        d = rng.choice([16000, 18000, 21000, 24000, 26000]) + rng.uniform(-200, 400)
        return [Segment(d, easy * 1.02, hrmax * 0.76, False)], "Long run", 2
    if kind == "tempo":
        wu, tempo, cd = 2000.0, float(rng.choice([4000, 5000, 6000, 8000])), 1500.0
        segs = [
            Segment(wu, easy, hrmax * 0.70, True),
            Segment(tempo, easy * 0.80, hrmax * 0.88, True),
            Segment(cd, easy * 1.03, hrmax * 0.74, True),
        ]
        return segs, f"Tempo {int(tempo / 1000)} km", 3
    if kind == "intervals":
        reps, rep = rng.choice([(6, 800.0), (5, 1000.0), (8, 400.0), (4, 1200.0)])
        segs = [Segment(2000.0, easy, hrmax * 0.70, True)]
        for i in range(reps):
            segs.append(Segment(rep, easy * 0.70, hrmax * (0.90 + 0.01 * min(i, 4)), True))
            segs.append(Segment(rep / 2, easy * 1.25, hrmax * 0.78, True))
        segs.append(Segment(1500.0, easy * 1.03, hrmax * 0.74, True))
        return segs, f"Intervals {reps}x{int(rep)} m", 3
    if kind == "race":
        d = rng.choice([5000.0, 10000.0, 21097.5])
        label = {5000.0: "5K", 10000.0: "10K", 21097.5: "Half marathon"}[d]
        return [Segment(d, easy * 0.76, hrmax * 0.92, False)], f"{label} race", 1
    if kind == "ride":
        d = rng.choice([30000, 45000, 60000]) + rng.uniform(-500, 500)
        return [Segment(d, 120.0, hrmax * 0.68, False)], "Afternoon Ride", 10
    raise ValueError(f"unknown activity kind {kind!r}; expected one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class KindTraits:
    """What the kind of an activity fixes before any random draw."""

    sport_type: str
    type: str
    trainer: bool  # indoors: no GPS, no pauses, no climbing
    is_run: bool
    hilly: float  # metres climbed per km, on average
    device: str

    @property
    def auto_lap(self) -> float:
        """Metres between the device's automatic laps (Garmin's default: 1 km running, 5 km riding)."""
        return 1000.0 if self.is_run else 5000.0


def kind_traits(kind: ActivityKind) -> KindTraits:
    ride = kind == ActivityKind.RIDE
    return KindTraits(
        sport_type={
            ActivityKind.RIDE: "Ride",
            ActivityKind.VIRTUAL: "VirtualRun",
            ActivityKind.TRAIL: "TrailRun",
        }.get(kind, "Run"),
        type={ActivityKind.RIDE: "Ride", ActivityKind.VIRTUAL: "VirtualRun"}.get(kind, "Run"),
        trainer=kind in (ActivityKind.TREADMILL, ActivityKind.VIRTUAL),
        is_run=not ride,
        hilly={ActivityKind.TRAIL: 18.0, ActivityKind.LONG: 6.0, ActivityKind.RIDE: 8.0}.get(
            ActivityKind(kind), 3.0
        ),
        device="Zwift"
        if kind == ActivityKind.VIRTUAL
        else "Garmin Edge 1030"
        if ride
        else "Garmin Forerunner 965",
    )


@dataclass
class Effort:
    """One activity walked segment by segment: what its laps, splits and totals are derived from."""

    segments: list[Segment]
    seg_times: list[float]  # moving seconds per segment
    pauses: int  # seconds stood still, all counted in the last lap and split
    elevation_gain: float
    easy_pace: float  # the athlete's, s/km: the reference of the pace zones

    @property
    def total_distance(self) -> float:
        return sum(s.distance for s in self.segments)

    @property
    def moving_time(self) -> int:
        return int(round(sum(self.seg_times)))

    def segment_at(self, d: float) -> int:
        acc = 0.0
        for i, s in enumerate(self.segments):
            acc += s.distance
            if d < acc:
                return i
        return len(self.segments) - 1

    def stretch(self, a: float, b: float) -> tuple[float, float, float]:
        """time (s), mean HR and max HR for the distance stretch [a, b]."""
        t = hr_acc = 0.0
        hr_max = 0.0
        pos = a
        while pos < b - 1e-6:
            i = self.segment_at(pos)
            seg_end = sum(s.distance for s in self.segments[: i + 1])
            upto = min(b, seg_end)
            dt = (upto - pos) * self.seg_times[i] / self.segments[i].distance
            t += dt
            hr_acc += self.segments[i].hr * dt
            hr_max = max(hr_max, self.segments[i].hr)
            pos = upto
        mean_hr = hr_acc / t if t else 0.0
        return t, mean_hr, hr_max

    def pace_zone(self, speed: float) -> int:
        pace = 1000.0 / speed if speed else 9999
        ref = self.easy_pace
        return 1 if pace > ref * 1.05 else 2 if pace > ref * 0.9 else 3 if pace > ref * 0.8 else 4

    def average_heartrate(self) -> float:
        return sum(s.hr * t for s, t in zip(self.segments, self.seg_times, strict=True)) / sum(self.seg_times)

    def lap_bounds(self, auto_lap: float) -> list[tuple[float, float]]:
        """Manual laps at the segment boundaries if the runner pressed lap, else the device's auto-laps."""
        bounds: list[tuple[float, float]] = []
        pos = 0.0
        if any(s.lap for s in self.segments):
            for s in self.segments:
                bounds.append((pos, pos + s.distance))
                pos += s.distance
            return bounds
        total = self.total_distance
        while pos < total - 1e-6:
            bounds.append((pos, min(pos + auto_lap, total)))
            pos += auto_lap
        return bounds


def _walk(segments: list[Segment], traits: KindTraits, easy_pace: float, rng: random.Random) -> Effort:
    seg_times = [s.distance * s.pace / 1000.0 * rng.uniform(0.985, 1.015) for s in segments]
    total_distance = sum(s.distance for s in segments)
    pauses = 0 if traits.trainer else rng.randrange(0, 90)
    climb = 0.0 if traits.trainer else round(total_distance / 1000 * traits.hilly * rng.uniform(0.6, 1.4), 1)
    return Effort(segments, seg_times, pauses, climb, easy_pace)


def _at_distance(segments: list[Segment], overrides: JsonObject | None) -> list[Segment]:
    """The segments stretched to a requested ``distance``, so laps and splits add up to it."""
    wanted = (overrides or {}).get("distance")
    total = sum(s.distance for s in segments)
    if not isinstance(wanted, int | float) or wanted <= 0 or total <= 0:
        return segments
    k = wanted / total
    return [Segment(s.distance * k, s.pace, s.hr, s.lap) for s in segments]


def _as_recorded(effort: Effort, overrides: JsonObject | None) -> Effort:
    """The effort at a requested ``moving_time``: every segment's pace scaled alike, so the laps, splits and
    average speed describe the run that was asked for (an easy run done too fast has fast laps too)."""
    wanted = (overrides or {}).get("moving_time")
    total = sum(effort.seg_times)
    if not isinstance(wanted, int | float) or wanted <= 0 or total <= 0:
        return effort
    k = wanted / total
    effort.seg_times = [t * k for t in effort.seg_times]
    return effort


def _cadence(rng: random.Random, is_run: bool) -> float:
    return round(rng.uniform(84, 90) if is_run else rng.uniform(75, 90), 1)


@dataclass
class Draft:
    """Everything decided about one activity before it is written out in Strava's shape."""

    id: int
    kind: ActivityKind
    traits: KindTraits
    athlete: SimAthlete
    effort: Effort
    name: str
    workout_type: int | None
    start_local: datetime
    start_utc: datetime
    offset: timedelta  # local minus UTC
    laps: list[JsonObject] = field(default_factory=list)
    splits: list[JsonObject] = field(default_factory=list)
    latlng: list[float] = field(default_factory=list)
    polyline: str = ""

    @property
    def upload_id(self) -> int:
        return self.id * 7 + 13


def _laps(world: World, draft: Draft, rng: random.Random) -> list[JsonObject]:
    effort, traits = draft.effort, draft.traits
    bounds = effort.lap_bounds(traits.auto_lap)
    laps: list[JsonObject] = []
    t_cursor = 0.0
    idx_cursor = 0
    for n, (a, b) in enumerate(bounds, start=1):
        t, mean_hr, max_hr = effort.stretch(a, b)
        lap_moving = max(1, int(round(t)))
        lap_elapsed = lap_moving + (effort.pauses if n == len(bounds) else 0)
        speed = (b - a) / lap_moving
        lap_start = draft.start_utc + timedelta(seconds=int(t_cursor))
        lap: JsonObject = {
            "id": world.allocate_lap_id(),
            "resource_state": 2,
            "name": f"Lap {n}",
            "activity": {"id": draft.id, "resource_state": 1},
            "athlete": {"id": draft.athlete.id, "resource_state": 1},
            "elapsed_time": lap_elapsed,
            "moving_time": lap_moving,
            "start_date": iso_z(lap_start),
            "start_date_local": iso_z(lap_start + draft.offset),
            "distance": round(b - a, 1),
            "start_index": idx_cursor,
            "end_index": idx_cursor + lap_elapsed,
            "total_elevation_gain": round(effort.elevation_gain * (b - a) / effort.total_distance, 1),
            "average_speed": round(speed, 3),
            "max_speed": round(speed * rng.uniform(1.08, 1.2), 3),
            "average_cadence": _cadence(rng, traits.is_run),
            "device_watts": False,
            "average_heartrate": round(mean_hr + rng.uniform(-2, 2), 1),
            "max_heartrate": float(round(max_hr + rng.uniform(3, 8))),
            "lap_index": n,
            "split": n,
        }
        if traits.is_run:
            lap["pace_zone"] = effort.pace_zone(speed)
        laps.append(lap)
        t_cursor += t
        idx_cursor += lap_elapsed + 1
    return laps


def _splits_metric(effort: Effort, traits: KindTraits, rng: random.Random) -> list[JsonObject]:
    """Every full km plus the remainder (Strava has no metric splits for a ride)."""
    if not traits.is_run:
        return []
    splits: list[JsonObject] = []
    total_distance = effort.total_distance
    pos, n = 0.0, 1
    while pos < total_distance - 1.0:
        b = min(pos + 1000.0, total_distance)
        t, mean_hr, _ = effort.stretch(pos, b)
        mt = max(1, int(round(t)))
        speed = (b - pos) / mt
        splits.append(
            {
                "distance": round(b - pos + rng.uniform(-2, 3), 1),
                "elapsed_time": mt + (effort.pauses if b >= total_distance else 0),
                "elevation_difference": 0.0
                if traits.trainer
                else round(rng.uniform(-traits.hilly, traits.hilly), 1),
                "moving_time": mt,
                "split": n,
                "average_speed": round(speed, 2),
                "average_grade_adjusted_speed": round(speed * rng.uniform(0.99, 1.03), 2),
                "average_heartrate": round(mean_hr + rng.uniform(-1.5, 1.5), 1),
                "pace_zone": effort.pace_zone(speed),
            }
        )
        pos, n = b, n + 1
    return splits


def _route(draft: Draft, rng: random.Random) -> tuple[list[float], str]:
    """A loop near home (start latlng, encoded polyline); none indoors or for a run entered by hand."""
    if draft.traits.trainer or draft.kind == ActivityKind.MANUAL:
        return [], ""  # Strava sends an empty list, not null, for an activity without GPS
    home = draft.athlete.home
    lat0 = home[0] + rng.uniform(-0.01, 0.01)
    lng0 = home[1] + rng.uniform(-0.01, 0.01)
    radius = draft.effort.total_distance / (2 * math.pi) / 111_000
    pts = [
        (
            lat0 + radius * math.sin(2 * math.pi * k / 12),
            lng0 + radius * (1 - math.cos(2 * math.pi * k / 12)),
        )
        for k in range(13)
    ]
    return [round(lat0, 6), round(lng0, 6)], encode_polyline(pts)


def _utc_start(start_local: datetime, tz_name: str) -> tuple[datetime, timedelta]:
    """(start in UTC, UTC offset) of a local wall-clock start."""
    local_aware = start_local.replace(tzinfo=ZoneInfo(tz_name))
    offset = local_aware.utcoffset() or timedelta(0)
    return (local_aware - offset).replace(tzinfo=UTC), offset


def _identity_json(d: Draft, rng: random.Random) -> JsonObject:
    """DetailedActivity keys from ``id`` to ``comment_count``: what, where and when."""
    effort, athlete = d.effort, d.athlete
    return {
        "id": d.id,
        "resource_state": 3,
        "external_id": f"garmin_push_{d.upload_id}"
        if d.kind != ActivityKind.VIRTUAL
        else f"zwift-activity-{d.upload_id}.fit",
        "upload_id": d.upload_id,
        "athlete": {"id": athlete.id, "resource_state": 1},
        "name": d.name if d.kind != ActivityKind.TREADMILL else "Treadmill run",
        "distance": round(effort.total_distance, 1),
        "moving_time": effort.moving_time,
        "elapsed_time": effort.moving_time + effort.pauses,
        "total_elevation_gain": effort.elevation_gain,
        "type": d.traits.type,
        "sport_type": d.traits.sport_type,
        "workout_type": d.workout_type,
        "start_date": iso_z(d.start_utc),
        "start_date_local": iso_z(d.start_local),
        "timezone": GMT_LABEL.get(athlete.timezone, f"(GMT+00:00) {athlete.timezone}"),
        "utc_offset": float(d.offset.total_seconds()),
        "location_city": None,
        "location_state": None,
        "location_country": athlete.country,
        "start_latlng": d.latlng,
        "end_latlng": d.latlng,
        "achievement_count": rng.randrange(0, 4),
        "kudos_count": rng.randrange(0, 25),
        "comment_count": rng.randrange(0, 3),
    }


def _effort_json(d: Draft, max_hr: float, rng: random.Random) -> JsonObject:
    """DetailedActivity keys from ``athlete_count`` to ``suffer_score``: flags, speeds, heart rate."""
    effort, traits, athlete = d.effort, d.traits, d.athlete
    avg_hr = effort.average_heartrate()
    gear_id = athlete.bike_id if d.kind == ActivityKind.RIDE else athlete.shoe_id
    return {
        "athlete_count": 1,
        "photo_count": 0,
        "map": {
            "id": f"a{d.id}",
            "polyline": d.polyline,
            "resource_state": 3,
            "summary_polyline": d.polyline,
        },
        "trainer": traits.trainer,
        "commute": False,
        "manual": False,
        "private": False,
        "visibility": "everyone",
        "flagged": False,
        "gear_id": gear_id,
        "from_accepted_tag": False,
        "average_speed": round(effort.total_distance / effort.moving_time, 3),
        "max_speed": round(max(lap["max_speed"] for lap in d.laps), 3),
        "average_cadence": _cadence(rng, traits.is_run),
        "has_heartrate": True,
        "heartrate_opt_out": False,
        "display_hide_heartrate_option": True,
        "average_heartrate": round(avg_hr, 1),
        "max_heartrate": float(round(max_hr)),
        "elev_high": None if traits.trainer else round(rng.uniform(5, 40) + effort.elevation_gain / 3, 1),
        "elev_low": None if traits.trainer else round(rng.uniform(-3, 5), 1),
        "pr_count": 0,
        "total_photo_count": 0,
        "has_kudoed": False,
        "suffer_score": float(round(effort.moving_time / 60 * (avg_hr / athlete.max_hr) ** 4 * 2)),
    }


def _detail_json(d: Draft) -> JsonObject:
    """The DetailedActivity keys a SummaryActivity leaves out, and the simulator's own ``_kind``."""
    athlete = d.athlete
    ride = d.kind == ActivityKind.RIDE
    return {
        "description": "",
        "calories": round(d.effort.total_distance / 1000 * (62 if d.traits.is_run else 25), 1),
        "perceived_exertion": None,
        "segment_efforts": [],
        "splits_metric": d.splits,
        "laps": d.laps,
        "gear": gear_json(
            athlete.bike_id if ride else athlete.shoe_id, "Commuter" if ride else "Daily trainer"
        ),
        "photos": {"primary": None, "count": 0},
        "highlighted_kudosers": [],
        "hide_from_home": False,
        "device_name": d.traits.device,
        "embed_token": f"{d.id:x}{d.upload_id:x}"[:40],
        "segment_leaderboard_opt_out": False,
        "leaderboard_opt_out": False,
        "_kind": str(d.kind),
    }


def build_activity(
    world: World,
    athlete: SimAthlete,
    kind: str,
    start_local: datetime,
    rng: random.Random,
    activity_id: int | None = None,
    overrides: JsonObject | None = None,
) -> StravaActivity:
    """A DetailedActivity dict (resource_state 3) with laps, splits_metric and heart rate.

    The random draws happen in one fixed order (effort, laps, splits, peak heart rate, route, then the
    activity's own counts), so a seed always gives the same activity. A ``distance`` or ``moving_time`` among
    the overrides is what the device recorded: the laps, splits and speeds are derived from it.
    """
    aid = activity_id if activity_id is not None else world.allocate_activity_id()
    segments, default_name, workout_type = _segments(kind, athlete, rng)  # refuses an unknown kind
    known = ActivityKind(kind)
    traits = kind_traits(known)
    start_utc, offset = _utc_start(start_local, athlete.timezone)
    effort = _as_recorded(_walk(_at_distance(segments, overrides), traits, athlete.easy_pace, rng), overrides)
    draft = Draft(
        aid, known, traits, athlete, effort, default_name, workout_type, start_local, start_utc, offset
    )
    draft.laps = _laps(world, draft, rng)
    draft.splits = _splits_metric(effort, traits, rng)
    max_hr = max(s.hr for s in segments) + rng.uniform(4, 9)
    draft.latlng, draft.polyline = _route(draft, rng)
    activity = _identity_json(draft, rng)
    activity |= _effort_json(draft, max_hr, rng)
    activity |= _detail_json(draft)
    if known is ActivityKind.MANUAL:
        _entered_by_hand(activity)
    if overrides:
        apply_overrides(activity, overrides)
    return activity


def _entered_by_hand(activity: StravaActivity) -> None:
    """A manual entry as Strava serves it (docs/simulator.md): no device, so no laps, splits, heart rate,
    cadence, GPS or upload; nulls where Strava has no value."""
    activity.update(
        {
            "name": "Run (entered by hand)",
            "manual": True,
            "trainer": False,
            "external_id": None,
            "upload_id": None,
            "device_name": None,
            "workout_type": None,
            "laps": [],
            "splits_metric": [],
            "has_heartrate": False,
            "total_elevation_gain": 0,
            "start_latlng": [],
            "end_latlng": [],
            "map": {
                "id": activity["map"]["id"],
                "polyline": None,
                "resource_state": 3,
                "summary_polyline": "",
            },
        }
    )
    for key in (
        "average_heartrate",
        "max_heartrate",
        "average_cadence",
        "elev_high",
        "elev_low",
        "suffer_score",
    ):
        activity.pop(key, None)


def apply_overrides(activity: StravaActivity, overrides: JsonObject) -> None:
    """Set given top-level fields; keep ``type``/``sport_type`` and ``private``/``visibility`` consistent."""
    for key, value in overrides.items():
        if key in ("id", "athlete", "resource_state"):
            continue
        activity[key] = value
    if "sport_type" in overrides and "type" not in overrides:
        st = overrides["sport_type"]
        activity["type"] = "Run" if st == "TrailRun" else st
    if "type" in overrides and "sport_type" not in overrides:
        activity["sport_type"] = overrides["type"]
    if "private" in overrides and "visibility" not in overrides:
        activity["visibility"] = "only_me" if overrides["private"] else "everyone"
    if "visibility" in overrides and "private" not in overrides:
        activity["private"] = overrides["visibility"] == "only_me"


# --------------------------------------------------------------------------------------------------- season
WEEK_TEMPLATES: list[list[tuple[int, ActivityKind]]] = [
    # (weekday 0=Mon, kind)
    [
        (1, ActivityKind.INTERVALS),
        (2, ActivityKind.EASY),
        (3, ActivityKind.TEMPO),
        (5, ActivityKind.EASY),
        (6, ActivityKind.LONG),
    ],
    [
        (0, ActivityKind.RECOVERY),
        (1, ActivityKind.INTERVALS),
        (3, ActivityKind.TEMPO),
        (4, ActivityKind.EASY),
        (6, ActivityKind.LONG),
    ],
    [
        (1, ActivityKind.TREADMILL),
        (2, ActivityKind.EASY),
        (3, ActivityKind.INTERVALS),
        (5, ActivityKind.TRAIL),
        (6, ActivityKind.LONG),
    ],
    [
        (0, ActivityKind.EASY),
        (2, ActivityKind.VIRTUAL),
        (3, ActivityKind.TEMPO),
        (5, ActivityKind.EASY),
        (6, ActivityKind.LONG),
    ],
]


def generate_season(
    world: World, athlete: SimAthlete, weeks: int, end: date, rng: random.Random
) -> list[StravaActivity]:
    """``weeks`` weeks of training ending the day before ``end`` (exclusive), oldest first."""
    out: list[StravaActivity] = []
    first_monday = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks)
    last_sunday = end - timedelta(days=(end.weekday() + 1) % 7 or 7)
    for w in range(weeks + 1):
        template = WEEK_TEMPLATES[rng.randrange(len(WEEK_TEMPLATES))]
        plan = list(template)
        if w % 4 == 3:  # recovery week: drop the hardest session, add a ride
            plan = [(d, ActivityKind.EASY if k == ActivityKind.INTERVALS else k) for d, k in plan]
            plan.append((4, ActivityKind.RIDE))
        for weekday, kind in sorted(plan):
            day = first_monday + timedelta(weeks=w, days=weekday)
            if day >= end or day < end - timedelta(weeks=weeks):
                continue
            if kind == ActivityKind.LONG and weeks >= 4 and day == last_sunday:
                kind = ActivityKind.RACE  # the season's goal race on its last Sunday
            if kind in (ActivityKind.LONG, ActivityKind.RACE, ActivityKind.TRAIL):
                hh, mm = rng.choice([(8, 0), (8, 30), (9, 0), (9, 30)])
            elif kind in (ActivityKind.TREADMILL, ActivityKind.VIRTUAL, ActivityKind.RIDE):
                hh, mm = rng.choice([(12, 15), (17, 45), (19, 0)])
            else:
                hh, mm = rng.choice([(6, 30), (7, 0), (18, 0), (18, 30)])
            start_local = datetime.combine(day, time(hh, mm, rng.randrange(60)))
            out.append(build_activity(world, athlete, kind, start_local, rng))
    return out


def seed_world(world: World) -> list[int]:
    """Populate ``world`` from its config (seed, athletes, weeks, season_end).  Returns the athlete ids."""
    cfg = world.config
    end = cfg.season_end or datetime.fromtimestamp(world.now(), UTC).date()
    ids: list[int] = []
    with world.lock:
        for i in range(cfg.athletes):
            rng = random.Random(f"{cfg.seed}:{i}")
            athlete = make_athlete(world, rng)
            world.athletes[athlete.id] = athlete
            season = generate_season(world, athlete, cfg.weeks, end, rng)
            target = world.activities if cfg.season_visible else world.hidden_activities
            for act in season:
                target[act["id"]] = act
            world.season_ids[athlete.id] = [a["id"] for a in season]
            ids.append(athlete.id)
    return ids
