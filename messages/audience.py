"""Who reads a message, and how numbers are said to them: distances and paces in their units, dates and times
in their timezone, rounded for a person (CLDR's English number, unit and date formats, from messages/cldr.py:
a copy of Babel's CLDR data that tests keep equal to Babel's own formatting).

Every number an athlete reads goes through an ``Audience``: templates never format a number themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from messages import cldr

METRES_PER_KM = 1000.0
METRES_PER_MILE = 1609.344
# Track repeats are measured in metres the world over ("6 × 400 m"), in either unit system; longer stretches
# (a 3 km tempo block, a warm-up) are said in the athlete's unit.
REP_METRES_UP_TO = 2000.0
TRACK_MARKS_M = (
    50.0  # a track's lengths: 200 m, 250 m, 400 m ... a repeat of another length is not said in metres
)
DISTANCE_DECIMALS = 1  # CLDR pattern "#,##0.#"
# A week said relative to the reader's own (weeks from theirs to it); any other is named by its date.
WEEK_WORDS = {-1: "last week", 0: "this week", 1: "next week"}
SMALL_SHARE = 0.095  # below this a percentage keeps one decimal  # one decimal at most, none when it is zero: "10 km", "10.5 km"
WHOLE_COUNT_DECIMALS = 3  # CLDR's default decimal pattern "#,##0.###", for the counts of a duration


class Units(StrEnum):
    METRIC = "metric"  # km, minutes per km
    IMPERIAL = "imperial"  # miles, minutes per mile

    @classmethod
    def parse(cls, value: str | None) -> Units:
        """The stored preference, metric when unset or unknown (an old row, a hand-edited value)."""
        try:
            return cls(value or cls.METRIC)
        except ValueError:
            return cls.METRIC


def _count(count: int, unit_id: str) -> str:
    """A whole count with its short unit: "45 sec", "1 hr"."""
    return cldr.unit(cldr.decimal(count, WHOLE_COUNT_DECIMALS), unit_id)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def as_date(value: date | datetime | str, zone: ZoneInfo) -> date:
    """A calendar day from a date, an ISO string or an instant (an instant is read in ``zone``)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(zone).date() if value.tzinfo else value.date()
    return value


@dataclass(frozen=True)
class Audience:
    """The athlete as a reader: their units and their IANA timezone."""

    units: Units = Units.METRIC
    timezone: str = "UTC"
    # The day the message is read on (in the reader's calendar), for "this week", "next week"; None for a text
    # read at any time (the plan page, a calendar event): weeks are then named by their dates.
    today: date | None = None

    @classmethod
    def of(cls, units: str | None, timezone: str | None) -> Audience:
        return cls(Units.parse(units), timezone or "UTC")

    def at(self, instant: datetime) -> Audience:
        """The same reader, reading at ``instant`` (its day in their timezone)."""
        return replace(self, today=self.local(instant).date())

    def on(self, day: date | None) -> Audience:
        """The same reader, reading on ``day``."""
        return replace(self, today=day)

    @cached_property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    # --- distances and paces --------------------------------------------------------------------------

    @property
    def unit_metres(self) -> float:
        return METRES_PER_MILE if self.units is Units.IMPERIAL else METRES_PER_KM

    @property
    def unit(self) -> str:
        """The distance unit's short name: "km" or "mi"."""
        return "mi" if self.units is Units.IMPERIAL else "km"

    def distance(self, metres: float) -> str:
        """ "10 km", "6.2 mi": one decimal at most."""
        unit = "length-mile" if self.units is Units.IMPERIAL else "length-kilometer"
        value = float(metres) / self.unit_metres
        return cldr.unit(cldr.decimal(value, DISTANCE_DECIMALS), unit)

    def rep_distance(self, metres: float) -> str:
        """A repeat's length: metres on the track ("400 m"), the athlete's unit beyond, and for a length no
        track marks ("1609 m", a mile repeat) the athlete's unit too: "1.6 km", "1 mi"."""
        miles = metres / METRES_PER_MILE
        if self.units is Units.IMPERIAL and miles >= 1 and abs(miles - round(miles)) < 0.01:
            return self.distance(metres)  # a mile repeat reads "1 mi", not "1609 m"
        marked = abs(metres / TRACK_MARKS_M - round(metres / TRACK_MARKS_M)) * TRACK_MARKS_M < 1
        if metres <= REP_METRES_UP_TO and marked:
            return cldr.unit(cldr.decimal(round(metres), 0, grouping=False), "length-meter")  # pattern "0"
        return self.distance(metres)

    def pace_seconds(self, seconds_per_km: float) -> int:
        """A pace as the athlete reads it: whole seconds per km, or per mile."""
        return round(float(seconds_per_km) * self.unit_metres / METRES_PER_KM)

    def pace_value(self, seconds_per_km: float) -> str:
        """ "5:30" per km, or the same pace per mile ("8:51"); the unit is said by ``pace``."""
        minutes, seconds = divmod(self.pace_seconds(seconds_per_km), 60)
        return f"{minutes}:{seconds:02d}"

    def pace(self, seconds_per_km: float) -> str:
        """ "5:30/km" or "8:51/mi"."""
        return f"{self.pace_value(seconds_per_km)}/{self.unit}"

    def pace_range(self, pace: Sequence[float]) -> str:
        """ "5:21–6:03/km"; one pace when the two ends read the same."""
        fast, slow = self.pace_value(pace[0]), self.pace_value(pace[1])
        return f"{fast}/{self.unit}" if fast == slow else f"{fast}–{slow}/{self.unit}"

    # --- durations and counts -------------------------------------------------------------------------

    def duration(self, seconds: float) -> str:
        """ "48 min", "1 hr 30 min", "45 sec": rounded to the minute from a minute on."""
        if seconds < 60:
            return _count(round(seconds), "duration-second")
        total = round(seconds / 60)
        hours, minutes = divmod(total, 60)
        parts = [_count(hours, "duration-hour")] if hours else []
        if minutes or not hours:
            parts.append(_count(minutes, "duration-minute"))
        return " ".join(parts)

    def clock(self, seconds: float) -> str:
        """A race time: "42:10", "1:35:20"."""
        hours, rest = divmod(round(seconds), 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def number(self, value: float) -> str:
        """A plain number with one decimal at most: "45.2", "2", "1,200"."""
        return cldr.decimal(value, DISTANCE_DECIMALS)

    def percent(self, share: float) -> str:
        """A fraction 0–1 as a percentage: "78%"; a small one keeps a decimal ("0.2%", not "0%")."""
        small = 0 < abs(share) < SMALL_SHARE
        return cldr.percent(share, 1 if small else 0)  # CLDR patterns "#,##0.#%" and "#,##0%"

    # --- dates and times (the athlete's calendar) ------------------------------------------------------

    def day(self, value: date | datetime | str) -> str:
        """ "Tue 24 Nov"."""
        return cldr.date_pattern("EEE d MMM", as_date(value, self.zone))

    def day_month(self, value: date | datetime | str) -> str:
        """ "24 Nov"."""
        return cldr.date_pattern("d MMM", as_date(value, self.zone))

    def long_day(self, value: date | datetime | str) -> str:
        """ "Tuesday 24 November 2026"."""
        return cldr.date_pattern("EEEE d MMMM y", as_date(value, self.zone))

    def day_span(self, first: date | datetime | str, last: date | datetime | str) -> str:
        """ "7 – 13 Dec", "30 Nov – 6 Dec" (as CLDR writes a span, thin spaces around the dash)."""
        return cldr.day_span(as_date(first, self.zone), as_date(last, self.zone))

    def week(self, monday: date | datetime | str, later: int = 0) -> str:
        """The week that starts on ``monday`` (``later`` weeks on), as the reader says it on their day. A week a
        decision judged (``later`` 0, told in the past tense) is "this week" or "last week"; a week it changes
        (``later`` 1 or more, told as what is to come) "this week" or "next week". Any other week, or any
        week when the reader's day is not known, is named by its date ("the week of 9 Nov")."""
        start = as_date(monday, self.zone) + timedelta(weeks=later)
        if self.today is not None:
            offset = (start - (self.today - timedelta(days=self.today.weekday()))).days // 7
            if offset in WEEK_WORDS and (offset <= 0 if later == 0 else offset >= 0):
                return WEEK_WORDS[offset]
        return f"the week of {self.day_month(start)}"

    def in_week(self, monday: date | datetime | str, later: int = 0) -> str:
        """The same, as when something happens: "next week", "in the week of 9 Nov"."""
        said = self.week(monday, later)
        return said if said in WEEK_WORDS.values() else f"in {said}"

    def time(self, value: datetime) -> str:
        """An instant's time of day where the athlete is: "07:05"."""
        local = value.astimezone(self.zone) if value.tzinfo else value
        return cldr.clock(local.hour, local.minute)

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone) if value.tzinfo else value
