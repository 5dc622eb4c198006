"""When is it where: the scheduled jobs' view of each athlete's local time. Pure functions of (now, zone)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUNDAY = 6


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(now: datetime, tz: str | None) -> datetime:
    return now.astimezone(zone(tz))


def review_week(now: datetime, tz: str | None, hour: int) -> date | None:
    """The Monday of the week to review, when it is Sunday `hour`:00 or later in `tz` (until Monday that
    hour, so a tick missed while beat was down is caught up); None otherwise."""
    local = local_now(now, tz)
    if local.weekday() == SUNDAY and local.hour >= hour:
        return local.date() - timedelta(days=6)
    if local.weekday() == 0 and local.hour < hour:
        return local.date() - timedelta(days=7)
    return None


def ended_days(now: datetime, tz: str | None, lookback_days: int) -> tuple[date, date]:
    """[first, last] local dates whose day has ended in `tz` and that the missed sweep looks at."""
    today = local_now(now, tz).date()
    return today - timedelta(days=lookback_days), today - timedelta(days=1)


def is_hour(now: datetime, tz: str | None, hour: int) -> bool:
    return local_now(now, tz).hour == hour


def start_of(day: date, tz: str | None) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz))
