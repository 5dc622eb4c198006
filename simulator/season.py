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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simulator.state import World

KINDS = (
    "easy",
    "recovery",
    "long",
    "tempo",
    "intervals",
    "race",
    "treadmill",
    "virtual",
    "trail",
    "ride",
    "manual",
)

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

FIRST_NAMES = ["Marianne", "Joris", "Eliud", "Sifan", "Kenenisa", "Paula", "Femke", "Abdi", "Yuki", "Lotte"]
LAST_NAMES = [
    "Teutenberg",
    "de Vries",
    "Bakker",
    "Jansen",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Dekker",
]
HOMES = [
    ("Amsterdam", "Noord-Holland", "Netherlands", "Europe/Amsterdam", (52.3600, 4.8852)),
    ("Utrecht", "Utrecht", "Netherlands", "Europe/Amsterdam", (52.0907, 5.1214)),
    ("San Francisco", "CA", "United States", "America/Los_Angeles", (37.7694, -122.4862)),
    ("London", "England", "United Kingdom", "Europe/London", (51.5073, -0.1657)),
]
GMT_LABEL = {
    "Europe/Amsterdam": "(GMT+01:00) Europe/Amsterdam",
    "America/Los_Angeles": "(GMT-08:00) America/Los_Angeles",
    "Europe/London": "(GMT+00:00) Europe/London",
}


def iso_z(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


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


def make_athlete(world: World, rng: random.Random, athlete_id: int | None = None, **overrides: Any) -> dict:
    """A DetailedAthlete-shaped dict (swagger ``/athlete`` example), plus private ``_home``/``_tz`` keys."""
    aid = athlete_id if athlete_id is not None else world.allocate_athlete_id()
    city, state, country, tz, home = HOMES[rng.randrange(len(HOMES))]
    created = datetime(2017, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(2000))
    athlete: dict[str, Any] = {
        "id": aid,
        "username": None,
        "resource_state": 3,
        "firstname": rng.choice(FIRST_NAMES),
        "lastname": rng.choice(LAST_NAMES),
        "bio": "",
        "city": city,
        "state": state,
        "country": country,
        "sex": rng.choice(["F", "M"]),
        "premium": True,
        "summit": True,
        "created_at": iso_z(created),
        "updated_at": iso_z(created + timedelta(days=300)),
        "badge_type_id": 1,
        "weight": round(rng.uniform(52, 80), 1),
        "profile_medium": "avatar/athlete/medium.png",
        "profile": "avatar/athlete/large.png",
        "friend": None,
        "follower": None,
        "follower_count": rng.randrange(5, 200),
        "friend_count": rng.randrange(5, 200),
        "mutual_friend_count": 0,
        "athlete_type": 1,
        "date_preference": "%m/%d/%Y",
        "measurement_preference": "meters",
        "clubs": [],
        "ftp": None,
        "bikes": [
            {"id": f"b{aid}1", "primary": True, "name": "Commuter", "resource_state": 2, "distance": 0}
        ],
        "shoes": [
            {"id": f"g{aid}1", "primary": True, "name": "Daily trainer", "resource_state": 2, "distance": 0}
        ],
        "_tz": tz,
        "_home": list(home),
        "_max_hr": rng.randrange(182, 198),
        "_easy_pace": rng.uniform(320, 380),  # seconds per km
    }
    athlete.update(overrides)
    return athlete


def public_athlete(athlete: dict[str, Any], summary: bool = False) -> dict[str, Any]:
    out = {k: v for k, v in athlete.items() if not k.startswith("_")}
    if summary:
        for key in (
            "clubs",
            "bikes",
            "shoes",
            "ftp",
            "weight",
            "follower_count",
            "friend_count",
            "mutual_friend_count",
            "athlete_type",
            "date_preference",
            "measurement_preference",
        ):
            out.pop(key, None)
        out["resource_state"] = 2
    return out


def summary_activity(activity: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in activity.items() if k not in DETAIL_ONLY and not k.startswith("_")}
    out["resource_state"] = 2
    out["map"] = {k: v for k, v in activity["map"].items() if k != "polyline"} | {"resource_state": 2}
    return out


def detailed_activity(activity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if not k.startswith("_")}


@dataclass
class Segment:
    """A stretch of a run at one effort: used to derive laps, splits, speeds and heart rate."""

    distance: float  # m
    pace: float  # s/km
    hr: float
    lap: bool  # device lap boundary at the end of this segment (manual lap)


def _segments(
    kind: str, athlete: dict[str, Any], rng: random.Random
) -> tuple[list[Segment], str, int | None]:
    easy = athlete["_easy_pace"] * rng.uniform(0.97, 1.04)
    hrmax = athlete["_max_hr"]
    if kind in ("easy", "treadmill", "virtual", "manual"):
        d = rng.choice([6000, 7000, 8000, 8000, 10000]) + rng.uniform(-150, 250)
        return [Segment(d, easy, hrmax * 0.72, False)], "Morning Run", 0 if kind == "easy" else None
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


def build_activity(
    world: World,
    athlete: dict[str, Any],
    kind: str,
    start_local: datetime,
    rng: random.Random,
    activity_id: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A DetailedActivity dict (resource_state 3) with laps, splits_metric and heart rate."""
    aid = activity_id if activity_id is not None else world.allocate_activity_id()
    segments, default_name, workout_type = _segments(kind, athlete, rng)
    tz = ZoneInfo(athlete["_tz"])
    local_aware = start_local.replace(tzinfo=tz)
    offset = local_aware.utcoffset() or timedelta(0)
    start_utc = (local_aware - offset).replace(tzinfo=UTC)
    sport_type = {"ride": "Ride", "virtual": "VirtualRun", "trail": "TrailRun"}.get(kind, "Run")
    act_type = {"ride": "Ride", "virtual": "VirtualRun"}.get(kind, "Run")
    trainer = kind in ("treadmill", "virtual")
    is_run = kind != "ride"
    hilly = {"trail": 18.0, "long": 6.0, "ride": 8.0}.get(kind, 3.0)

    # walk the segments: per-segment moving times, then device laps and per-km splits
    seg_times = [s.distance * s.pace / 1000.0 * rng.uniform(0.985, 1.015) for s in segments]
    total_distance = sum(s.distance for s in segments)
    moving_time = int(round(sum(seg_times)))
    pauses = 0 if trainer else rng.randrange(0, 90)
    elapsed_time = moving_time + pauses
    elevation_gain = 0.0 if trainer else round(total_distance / 1000 * hilly * rng.uniform(0.6, 1.4), 1)

    def segment_at(d: float) -> int:
        acc = 0.0
        for i, s in enumerate(segments):
            acc += s.distance
            if d < acc:
                return i
        return len(segments) - 1

    # --- laps: manual laps at segment boundaries, else auto-lap every 1 km (Garmin default)
    lap_bounds: list[tuple[float, float]] = []
    if any(s.lap for s in segments):
        pos = 0.0
        for s in segments:
            lap_bounds.append((pos, pos + s.distance))
            pos += s.distance
    else:
        step = 5000.0 if kind == "ride" else 1000.0
        pos = 0.0
        while pos < total_distance - 1e-6:
            lap_bounds.append((pos, min(pos + step, total_distance)))
            pos += step

    def stretch(a: float, b: float) -> tuple[float, float, float]:
        """time (s), mean HR and max HR for the distance stretch [a, b]."""
        t = hr_acc = 0.0
        hr_max = 0.0
        pos = a
        while pos < b - 1e-6:
            i = segment_at(pos)
            seg_end = sum(s.distance for s in segments[: i + 1])
            upto = min(b, seg_end)
            dt = (upto - pos) * seg_times[i] / segments[i].distance
            t += dt
            hr_acc += segments[i].hr * dt
            hr_max = max(hr_max, segments[i].hr)
            pos = upto
        mean_hr = hr_acc / t if t else 0.0
        return t, mean_hr, hr_max

    def pace_zone(speed: float) -> int:
        pace = 1000.0 / speed if speed else 9999
        ref = athlete["_easy_pace"]
        return 1 if pace > ref * 1.05 else 2 if pace > ref * 0.9 else 3 if pace > ref * 0.8 else 4

    laps: list[dict[str, Any]] = []
    t_cursor = 0.0
    idx_cursor = 0
    for n, (a, b) in enumerate(lap_bounds, start=1):
        t, mean_hr, max_hr = stretch(a, b)
        lap_moving = max(1, int(round(t)))
        lap_elapsed = lap_moving + (pauses if n == len(lap_bounds) else 0)
        speed = (b - a) / lap_moving
        lap_start = start_utc + timedelta(seconds=int(t_cursor))
        lap: dict[str, Any] = {
            "id": world.allocate_lap_id(),
            "resource_state": 2,
            "name": f"Lap {n}",
            "activity": {"id": aid, "resource_state": 1},
            "athlete": {"id": athlete["id"], "resource_state": 1},
            "elapsed_time": lap_elapsed,
            "moving_time": lap_moving,
            "start_date": iso_z(lap_start),
            "start_date_local": iso_z(lap_start + offset),
            "distance": round(b - a, 1),
            "start_index": idx_cursor,
            "end_index": idx_cursor + lap_elapsed,
            "total_elevation_gain": round(elevation_gain * (b - a) / total_distance, 1),
            "average_speed": round(speed, 3),
            "max_speed": round(speed * rng.uniform(1.08, 1.2), 3),
            "average_cadence": round(rng.uniform(84, 90) if is_run else rng.uniform(75, 90), 1),
            "device_watts": False,
            "average_heartrate": round(mean_hr + rng.uniform(-2, 2), 1),
            "max_heartrate": float(round(max_hr + rng.uniform(3, 8))),
            "lap_index": n,
            "split": n,
        }
        if is_run:
            lap["pace_zone"] = pace_zone(speed)
        laps.append(lap)
        t_cursor += t
        idx_cursor += lap_elapsed + 1

    # --- splits_metric: every full km plus the remainder
    splits: list[dict[str, Any]] = []
    if is_run:
        pos, n = 0.0, 1
        while pos < total_distance - 1.0:
            b = min(pos + 1000.0, total_distance)
            t, mean_hr, _ = stretch(pos, b)
            mt = max(1, int(round(t)))
            speed = (b - pos) / mt
            splits.append(
                {
                    "distance": round(b - pos + rng.uniform(-2, 3), 1),
                    "elapsed_time": mt + (pauses if b >= total_distance else 0),
                    "elevation_difference": 0.0 if trainer else round(rng.uniform(-hilly, hilly), 1),
                    "moving_time": mt,
                    "split": n,
                    "average_speed": round(speed, 2),
                    "average_grade_adjusted_speed": round(speed * rng.uniform(0.99, 1.03), 2),
                    "average_heartrate": round(mean_hr + rng.uniform(-1.5, 1.5), 1),
                    "pace_zone": pace_zone(speed),
                }
            )
            pos, n = b, n + 1

    avg_speed = total_distance / moving_time
    avg_hr = sum(s.hr * t for s, t in zip(segments, seg_times, strict=True)) / sum(seg_times)
    max_hr = max(s.hr for s in segments) + rng.uniform(4, 9)
    home = athlete["_home"]
    if trainer or kind == "manual":
        latlng: list[float] = []  # Strava sends an empty list, not null, for an activity without GPS
        polyline = ""
    else:
        lat0 = home[0] + rng.uniform(-0.01, 0.01)
        lng0 = home[1] + rng.uniform(-0.01, 0.01)
        radius = total_distance / (2 * math.pi) / 111_000
        pts = [
            (
                lat0 + radius * math.sin(2 * math.pi * k / 12),
                lng0 + radius * (1 - math.cos(2 * math.pi * k / 12)),
            )
            for k in range(13)
        ]
        latlng = [round(lat0, 6), round(lng0, 6)]
        polyline = encode_polyline(pts)
    device = (
        "Zwift" if kind == "virtual" else "Garmin Edge 1030" if kind == "ride" else "Garmin Forerunner 965"
    )
    upload_id = aid * 7 + 13
    activity: dict[str, Any] = {
        "id": aid,
        "resource_state": 3,
        "external_id": f"garmin_push_{upload_id}" if kind != "virtual" else f"zwift-activity-{upload_id}.fit",
        "upload_id": upload_id,
        "athlete": {"id": athlete["id"], "resource_state": 1},
        "name": default_name if kind != "treadmill" else "Treadmill run",
        "distance": round(total_distance, 1),
        "moving_time": moving_time,
        "elapsed_time": elapsed_time,
        "total_elevation_gain": elevation_gain,
        "type": act_type,
        "sport_type": sport_type,
        "workout_type": workout_type,
        "start_date": iso_z(start_utc),
        "start_date_local": iso_z(start_local),
        "timezone": GMT_LABEL.get(athlete["_tz"], f"(GMT+00:00) {athlete['_tz']}"),
        "utc_offset": float(offset.total_seconds()),
        "location_city": None,
        "location_state": None,
        "location_country": athlete.get("country"),
        "start_latlng": latlng,
        "end_latlng": latlng,
        "achievement_count": rng.randrange(0, 4),
        "kudos_count": rng.randrange(0, 25),
        "comment_count": rng.randrange(0, 3),
        "athlete_count": 1,
        "photo_count": 0,
        "map": {"id": f"a{aid}", "polyline": polyline, "resource_state": 3, "summary_polyline": polyline},
        "trainer": trainer,
        "commute": False,
        "manual": False,
        "private": False,
        "visibility": "everyone",
        "flagged": False,
        "gear_id": f"b{athlete['id']}1" if kind == "ride" else f"g{athlete['id']}1",
        "from_accepted_tag": False,
        "upload_id_str": str(upload_id),
        "average_speed": round(avg_speed, 3),
        "max_speed": round(max(lap["max_speed"] for lap in laps), 3),
        "average_cadence": round(rng.uniform(84, 90) if is_run else rng.uniform(75, 90), 1),
        "has_heartrate": True,
        "heartrate_opt_out": False,
        "display_hide_heartrate_option": True,
        "average_heartrate": round(avg_hr, 1),
        "max_heartrate": float(round(max_hr)),
        "elev_high": None if trainer else round(rng.uniform(5, 40) + elevation_gain / 3, 1),
        "elev_low": None if trainer else round(rng.uniform(-3, 5), 1),
        "pr_count": 0,
        "total_photo_count": 0,
        "has_kudoed": False,
        "suffer_score": float(round(moving_time / 60 * (avg_hr / athlete["_max_hr"]) ** 4 * 2)),
        "description": "",
        "calories": round(total_distance / 1000 * (62 if is_run else 25), 1),
        "perceived_exertion": None,
        "segment_efforts": [],
        "splits_metric": splits,
        "laps": laps,
        "gear": {
            "id": f"b{athlete['id']}1" if kind == "ride" else f"g{athlete['id']}1",
            "primary": True,
            "name": "Commuter" if kind == "ride" else "Daily trainer",
            "resource_state": 2,
            "distance": 0,
        },
        "photos": {"primary": None, "count": 0},
        "highlighted_kudosers": [],
        "hide_from_home": False,
        "device_name": device,
        "embed_token": f"{aid:x}{upload_id:x}"[:40],
        "segment_leaderboard_opt_out": False,
        "leaderboard_opt_out": False,
        "_kind": kind,
    }
    activity.pop("upload_id_str")
    if kind == "manual":
        _entered_by_hand(activity)
    if overrides:
        apply_overrides(activity, overrides)
    return activity


def _entered_by_hand(activity: dict[str, Any]) -> None:
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


def apply_overrides(activity: dict[str, Any], overrides: dict[str, Any]) -> None:
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
WEEK_TEMPLATES: list[list[tuple[int, str]]] = [
    # (weekday 0=Mon, kind)
    [(1, "intervals"), (2, "easy"), (3, "tempo"), (5, "easy"), (6, "long")],
    [(0, "recovery"), (1, "intervals"), (3, "tempo"), (4, "easy"), (6, "long")],
    [(1, "treadmill"), (2, "easy"), (3, "intervals"), (5, "trail"), (6, "long")],
    [(0, "easy"), (2, "virtual"), (3, "tempo"), (5, "easy"), (6, "long")],
]


def generate_season(
    world: World, athlete: dict[str, Any], weeks: int, end: date, rng: random.Random
) -> list[dict[str, Any]]:
    """``weeks`` weeks of training ending the day before ``end`` (exclusive), oldest first."""
    out: list[dict[str, Any]] = []
    first_monday = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks)
    last_sunday = end - timedelta(days=(end.weekday() + 1) % 7 or 7)
    for w in range(weeks + 1):
        template = WEEK_TEMPLATES[rng.randrange(len(WEEK_TEMPLATES))]
        plan = list(template)
        if w % 4 == 3:  # recovery week: drop the hardest session, add a ride
            plan = [(d, "easy" if k == "intervals" else k) for d, k in plan]
            plan.append((4, "ride"))
        for weekday, kind in sorted(plan):
            day = first_monday + timedelta(weeks=w, days=weekday)
            if day >= end or day < end - timedelta(weeks=weeks):
                continue
            if kind == "long" and weeks >= 4 and day == last_sunday:
                kind = "race"  # the season's goal race on its last Sunday
            if kind in ("long", "race", "trail"):
                hh, mm = rng.choice([(8, 0), (8, 30), (9, 0), (9, 30)])
            elif kind in ("treadmill", "virtual", "ride"):
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
            world.athletes[athlete["id"]] = athlete
            season = generate_season(world, athlete, cfg.weeks, end, rng)
            target = world.activities if cfg.season_visible else world.hidden_activities
            for act in season:
                target[act["id"]] = act
            world.season_ids[athlete["id"]] = [a["id"] for a in season]
            ids.append(athlete["id"])
    return ids
