"""A simulated athlete: typed inside the simulator, served in Strava's DetailedAthlete/SummaryAthlete shapes.

The JSON follows the swagger ``/athlete`` example key for key (stravalib ships it in
``stravalib/tests/resources/strava_swagger.json``).  What Strava never shows (home, time zone, heart-rate
ceiling, easy pace) stays on the object and only drives the synthetic runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from simulator.shapes import JsonObject

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
# DetailedAthlete keys a SummaryAthlete (the token exchange's ``athlete``) leaves out.
DETAIL_ONLY_ATHLETE_KEYS = (
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
)


def iso_z(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SimAthlete:
    """One athlete of the simulated world."""

    id: int
    firstname: str
    lastname: str
    city: str
    state: str
    country: str
    sex: str
    created_at: datetime
    weight: float
    follower_count: int
    friend_count: int
    # never served: they shape the athlete's runs
    timezone: str  # IANA name
    home: tuple[float, float]  # lat, lng
    max_hr: int
    easy_pace: float  # seconds per km

    @property
    def bike_id(self) -> str:
        return f"b{self.id}1"

    @property
    def shoe_id(self) -> str:
        return f"g{self.id}1"

    def strava_json(self, summary: bool = False) -> JsonObject:
        """The athlete as Strava serves it: DetailedAthlete, or SummaryAthlete with ``summary``."""
        out = self._detailed_json()
        if summary:
            for key in DETAIL_ONLY_ATHLETE_KEYS:
                out.pop(key, None)
            out["resource_state"] = 2
        return out

    def _detailed_json(self) -> JsonObject:
        return {
            "id": self.id,
            "username": None,
            "resource_state": 3,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "bio": "",
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "sex": self.sex,
            "premium": True,
            "summit": True,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.created_at + timedelta(days=300)),
            "badge_type_id": 1,
            "weight": self.weight,
            "profile_medium": "avatar/athlete/medium.png",
            "profile": "avatar/athlete/large.png",
            "friend": None,
            "follower": None,
            "follower_count": self.follower_count,
            "friend_count": self.friend_count,
            "mutual_friend_count": 0,
            "athlete_type": 1,
            "date_preference": "%m/%d/%Y",
            "measurement_preference": "meters",
            "clubs": [],
            "ftp": None,
            "bikes": [gear_json(self.bike_id, "Commuter")],
            "shoes": [gear_json(self.shoe_id, "Daily trainer")],
        }


class AthleteIds(Protocol):
    """Where new athletes get their ids: the simulator's world."""

    def allocate_athlete_id(self) -> int: ...


def gear_json(gear_id: str, name: str) -> JsonObject:
    """A SummaryGear as Strava nests it in an athlete or an activity."""
    return {"id": gear_id, "primary": True, "name": name, "resource_state": 2, "distance": 0}


def make_athlete(
    world: AthleteIds,
    rng: random.Random,
    athlete_id: int | None = None,
    *,
    firstname: str | None = None,
    lastname: str | None = None,
    timezone: str | None = None,
) -> SimAthlete:
    """A seeded athlete; the names and time zone given override the drawn ones (the draws still happen, so
    the rest of the athlete and its season stay the same for a seed)."""
    aid = athlete_id if athlete_id is not None else world.allocate_athlete_id()
    city, state, country, tz, home = HOMES[rng.randrange(len(HOMES))]
    created = datetime(2017, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(2000))
    drawn_first, drawn_last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    sex = rng.choice(["F", "M"])
    weight = round(rng.uniform(52, 80), 1)
    follower_count, friend_count = rng.randrange(5, 200), rng.randrange(5, 200)
    return SimAthlete(
        id=aid,
        firstname=firstname or drawn_first,
        lastname=lastname or drawn_last,
        city=city,
        state=state,
        country=country,
        sex=sex,
        created_at=created,
        weight=weight,
        follower_count=follower_count,
        friend_count=friend_count,
        timezone=timezone or tz,
        home=home,
        max_hr=rng.randrange(182, 198),
        easy_pace=rng.uniform(320, 380),
    )
