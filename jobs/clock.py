"""When is it where: the scheduled jobs' view of each athlete's local time. Pure functions of (now, zone)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONDAY, TUESDAY = 0, 1
WEEK = timedelta(days=7)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(now: datetime, tz: str | None) -> datetime:
    return now.astimezone(zone(tz))


def week_closing(now: datetime, tz: str | None) -> date | None:
    """The Monday of the week that ended at the last midnight in `tz`, during the first hour of Monday there
    (when the plan judges that week: the weekly review's first step); None otherwise."""
    local = local_now(now, tz)
    if local.weekday() == MONDAY and local.hour == 0:
        return local.date() - WEEK
    return None


def review_week(now: datetime, tz: str | None, hour: int) -> date | None:
    """The Monday of the week to review, from Monday `hour`:00 in `tz` (the week ended at midnight and the plan
    has judged it since) until Tuesday that hour, so a tick missed while beat was down is caught up; None
    otherwise."""
    local = local_now(now, tz)
    if local.weekday() == MONDAY and local.hour >= hour:
        return local.date() - WEEK
    if local.weekday() == TUESDAY and local.hour < hour:
        return local.date() - WEEK - timedelta(days=1)
    return None


def ended_days(now: datetime, tz: str | None, lookback_days: int) -> tuple[date, date]:
    """[first, last] local dates whose day has ended in `tz` and that the missed sweep looks at."""
    today = local_now(now, tz).date()
    return today - timedelta(days=lookback_days), today - timedelta(days=1)


def is_hour(now: datetime, tz: str | None, hour: int) -> bool:
    return local_now(now, tz).hour == hour


def start_of(day: date, tz: str | None) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz))
