"""Who reads a message, and how numbers are said to them: distances and paces in their units, dates and times
in their timezone, rounded for a person (Babel does the number, unit and date formatting; CLDR's English).

Every number an athlete reads goes through an ``Audience``: templates never format a number themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_interval, format_time
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

LOCALE = "en"  # CLDR English for numbers and units ("1 hr 30 min", where en_GB says "mins")
DATE_LOCALE = "en_GB"  # the day before the month ("Tue 24 Nov", "7–13 Dec"), a 24-hour clock
METRES_PER_KM = 1000.0
METRES_PER_MILE = 1609.344
# Track repeats are measured in metres the world over ("6 × 400 m"), in either unit system; longer stretches
# (a 3 km tempo block, a warm-up) are said in the athlete's unit.
REP_METRES_UP_TO = 2000.0
TRACK_MARKS_M = (
    50.0  # a track's lengths: 200 m, 250 m, 400 m ... a repeat of another length is not said in metres
)
DISTANCE_FORMAT = "#,##0.#"
# A week said relative to the reader's own (weeks from theirs to it); any other is named by its date.
WEEK_WORDS = {-1: "last week", 0: "this week", 1: "next week"}
SMALL_SHARE = 0.095  # below this a percentage keeps one decimal  # one decimal at most, none when it is zero: "10 km", "10.5 km"


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
        return format_unit(value, unit, length="short", format=DISTANCE_FORMAT, locale=LOCALE)

    def rep_distance(self, metres: float) -> str:
        """A repeat's length: metres on the track ("400 m"), the athlete's unit beyond, and for a length no
        track marks ("1609 m", a mile repeat) the athlete's unit too: "1.6 km", "1 mi"."""
        miles = metres / METRES_PER_MILE
        if self.units is Units.IMPERIAL and miles >= 1 and abs(miles - round(miles)) < 0.01:
            return self.distance(metres)  # a mile repeat reads "1 mi", not "1609 m"
        marked = abs(metres / TRACK_MARKS_M - round(metres / TRACK_MARKS_M)) * TRACK_MARKS_M < 1
        if metres <= REP_METRES_UP_TO and marked:
            return format_unit(round(metres), "length-meter", length="short", format="0", locale=LOCALE)
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
            return format_unit(round(seconds), "duration-second", length="short", locale=LOCALE)
        total = round(seconds / 60)
        hours, minutes = divmod(total, 60)
        parts = [format_unit(hours, "duration-hour", length="short", locale=LOCALE)] if hours else []
        if minutes or not hours:
            parts.append(format_unit(minutes, "duration-minute", length="short", locale=LOCALE))
        return " ".join(parts)

    def clock(self, seconds: float) -> str:
        """A race time: "42:10", "1:35:20"."""
        hours, rest = divmod(round(seconds), 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def number(self, value: float) -> str:
        """A plain number with one decimal at most: "45.2", "2", "1,200"."""
        return format_decimal(value, format=DISTANCE_FORMAT, locale=LOCALE)

    def percent(self, share: float) -> str:
        """A fraction 0–1 as a percentage: "78%"; a small one keeps a decimal ("0.2%", not "0%")."""
        small = 0 < abs(share) < SMALL_SHARE
        return format_percent(share, format="#,##0.#%" if small else "#,##0%", locale=LOCALE)

    # --- dates and times (the athlete's calendar) ------------------------------------------------------

    def day(self, value: date | datetime | str) -> str:
        """ "Tue 24 Nov"."""
        return format_date(as_date(value, self.zone), "EEE d MMM", locale=DATE_LOCALE)

    def day_month(self, value: date | datetime | str) -> str:
        """ "24 Nov"."""
        return format_date(as_date(value, self.zone), "d MMM", locale=DATE_LOCALE)

    def long_day(self, value: date | datetime | str) -> str:
        """ "Tuesday 24 November 2026"."""
        return format_date(as_date(value, self.zone), "EEEE d MMMM y", locale=DATE_LOCALE)

    def day_span(self, first: date | datetime | str, last: date | datetime | str) -> str:
        """ "7 – 13 Dec", "30 Nov – 6 Dec" (as CLDR writes a span, thin spaces around the dash)."""
        start, end = as_date(first, self.zone), as_date(last, self.zone)
        return format_interval(start, end, "dMMM", locale=DATE_LOCALE)

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
        return format_time(time(local.hour, local.minute), "HH:mm", locale=DATE_LOCALE)

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone) if value.tzinfo else value
