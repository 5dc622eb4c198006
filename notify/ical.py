"""The athlete's training calendar: every workout of the current plan version as an all-day event.

The feed URL carries a random token (`secrets.token_urlsafe(32)`); only its SHA-256 is stored
(`athletes.ical_token`), so the database never holds a usable URL and a lookup by digest leaks nothing
through timing. The URL is shown once when issued; issuing again (`rotate`) invalidates the old one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy.orm import Session

import planner
from store import athlete_repository, repository
from store.models import ConnectionStatus

PRODID = "-//RunSmart//Training plan//EN"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, athlete_id: int, *, rotate: bool = False) -> str | None:
    """A new feed token for the athlete (None when one exists and `rotate` is false: it cannot be shown
    again, only replaced). The caller commits."""
    athlete = repository.lock_athlete(session, athlete_id)
    if athlete is None:
        raise LookupError(f"athlete {athlete_id} not found")
    if athlete.ical_token and not rotate:
        return None
    token = secrets.token_urlsafe(32)
    athlete.ical_token = token_digest(token)
    session.flush()
    return token


def athlete_for_token(session: Session, token: str) -> int | None:
    if not token or len(token) > 128:
        return None
    return athlete_repository.athlete_for_ical_digest(session, token_digest(token))


def feed_closed(session: Session, athlete_id: int) -> bool:
    """The athlete deauthorized the app: the deauthorization forgot the feed's token, and a token issued
    after it is answered 410 as well."""
    return repository.connection_status(session, athlete_id) == ConnectionStatus.REVOKED


def feed_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/ical/{token}.ics"


def _pace(seconds_per_km: float) -> str:
    s = round(seconds_per_km)
    return f"{s // 60}:{s % 60:02d}/km"


def _range(pace: tuple[float, float]) -> str:
    fast, slow = pace
    return _pace(fast) if abs(slow - fast) < 1 else f"{_pace(fast)}–{_pace(slow)}"


def describe(w: planner.Workout) -> str:
    lines = [
        f"{w.type.value.replace('_', ' ').capitalize()} run: {w.distance_m / 1000:.1f} km, "
        f"about {round(w.duration_s / 60)} min",
        f"Pace: {_range(w.pace)}",
    ]
    if w.warmup_m:
        lines.append(f"Warm-up: {w.warmup_m / 1000:.1f} km easy")
    for rep in w.reps:
        rest = f", {round(rep.recovery_s)} s jog between" if rep.recovery_s else ""
        lines.append(f"{rep.count} × {rep.distance_m:g} m at {_range(rep.pace)} ({rep.label}){rest}")
    if w.strides:
        lines.append(f"{w.strides} strides")
    if w.cooldown_m:
        lines.append(f"Cool-down: {w.cooldown_m / 1000:.1f} km easy")
    if w.note:
        lines.append(w.note)
    return "\n".join(lines)


def render(plan_json: dict[str, Any], *, plan_id: int, version: int, updated: datetime) -> bytes:
    plan = planner.plan_from_dict(plan_json)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "RunSmart training plan")
    changes_by_week: dict[date, list[str]] = {}
    for change in plan.changes:
        for diff in change.workouts:
            changes_by_week.setdefault(diff.after.date, []).append(change.reason)
    for w in plan.workouts():
        if not w.is_run:
            continue
        event = Event()
        # Stable per workout across versions, so calendar clients update the event in place.
        event.add("uid", f"{w.id}.plan{plan_id}@runsmart")
        event.add("sequence", version)
        event.add("dtstamp", updated)
        event.add("last-modified", updated)
        event.add("dtstart", w.date)
        event.add("dtend", w.date + timedelta(days=1))
        event.add("summary", f"{w.type.value.replace('_', ' ').capitalize()} {w.distance_m / 1000:.1f} km")
        reasons = changes_by_week.get(w.date, [])
        text = describe(w) + ("\n\nChanged: " + " ".join(dict.fromkeys(reasons)) if reasons else "")
        event.add("description", text)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
