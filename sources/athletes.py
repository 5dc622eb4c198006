"""Athletes who never connect Strava: made on request, their runs arriving as files only
(docs/sources.md#file-only-athletes).

Such an athlete's id is negative (store/athlete_repository.py), so it can never be a Strava athlete id;
nothing that needs Strava (reconciliation, backfill, token refresh, retention, the athlete capacity) ever
selects them, because each of those starts from a Strava connection and they have none. The API (webhooks/athletes_api.py)
and `runsmart athletes add` check their input here, alike.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy.orm import Session

from messages import Units
from store import athlete_repository
from store.models import Athlete

NAME_MAX = 100  # athletes.firstname and lastname are VARCHAR(100)
TIMEZONE_MAX = 64  # athletes.timezone is VARCHAR(64)


class InvalidAthlete(ValueError):
    """The input cannot make an athlete; the message says why in one plain line."""


@dataclass(frozen=True)
class NewAthlete:
    first_name: str
    last_name: str
    timezone: str
    units: Units


def is_file_only(athlete_id: int) -> bool:
    """Made without Strava: a negative id (Strava's athlete ids are positive)."""
    return athlete_id < 0


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str) -> str:
    """An IANA zone name as the zone database spells it ("Europe/Amsterdam"); anything else is refused, not
    silently read as UTC: every week, message and calendar of the athlete's is reckoned in it."""
    if name not in _zone_names():
        # The name is not repeated: an answer never echoes its input (docs/api.md, Errors).
        raise InvalidAthlete("unknown timezone (use an IANA name such as Europe/Amsterdam)")
    return name


def valid_name(text: str, *, required: bool) -> str:
    """A name as athlete-facing messages may print it: trimmed, no control characters (NUL, line breaks), no
    lone UTF-16 surrogates (PostgreSQL refuses both), at most NAME_MAX characters."""
    name = text.strip()
    if required and not name:
        raise InvalidAthlete("a first name is required")
    if len(name) > NAME_MAX:
        raise InvalidAthlete(f"a name is at most {NAME_MAX} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in name):
        raise InvalidAthlete("a name must not contain control characters")
    return name


def checked(first_name: str, last_name: str, timezone: str, units: str) -> NewAthlete:
    try:
        unit = Units(units)
    except ValueError:
        raise InvalidAthlete(f"units must be one of {', '.join(u.value for u in Units)}") from None
    return NewAthlete(
        first_name=valid_name(first_name, required=True),
        last_name=valid_name(last_name, required=False),
        timezone=valid_timezone(timezone),
        units=unit,
    )


def add_athlete(session: Session, new: NewAthlete, *, now: datetime) -> Athlete:
    """Make the athlete under a fresh negative id; the caller commits."""
    return athlete_repository.add_file_only_athlete(
        session,
        firstname=new.first_name,
        lastname=new.last_name,
        timezone=new.timezone,
        units=new.units.value,
        now=now,
    )
