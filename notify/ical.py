"""The athlete's training calendar: every workout of the current plan version as an all-day event.

The feed URL carries a random token (`secrets.token_urlsafe(32)`); only its SHA-256 is stored
(`athletes.ical_token`), so the database never holds a usable URL and a lookup by digest leaks nothing
through timing. The URL is shown once when issued; issuing again (`rotate`) invalidates the old one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

import planner
from messages import Audience, Message, catalogue, reasons, workouts
from notify import fit_workouts
from store import athlete_repository, plan_repository, repository
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


def audience(session: Session, athlete_id: int, timezone: str | None) -> Audience:
    """The feed's reader: the athlete's units preference and their plan's timezone."""
    athlete = plan_repository.get_athlete(session, athlete_id)
    return Audience.of(athlete.units if athlete else None, timezone)


def describe(w: planner.Workout, audience: Audience | None = None) -> str:
    """The event's description: the workout in the athlete's words and units (messages/)."""
    return event_text(w, audience or Audience(), ()).body


def event_text(
    w: planner.Workout, audience: Audience, changes: Sequence[planner.Change], link: str = ""
) -> Message:
    """Title (headline) and description (body) of one workout's event, with why it changed."""
    said = list({m.body: m for m in (reasons.change_message(audience, c) for c in changes)}.values())
    return catalogue.render(
        "calendar_event", audience, workout=w, text=workouts.describe(audience, w), reasons=said, link=link
    )


def render(
    plan_json: dict[str, Any],
    *,
    plan_id: int,
    version: int,
    updated: datetime,
    workout_files: str | None = None,
    audience: Audience | None = None,
) -> bytes:
    """``workout_files``: the URL the workouts' FIT files are served under (notify/fit_workouts.py); each
    event then links its file. ``audience``: the athlete's units (metric when not given)."""
    # Imported here, not at the top: the API process holds icalendar only once a feed is asked for (its memory
    # goal, README "Performance").
    from icalendar import Calendar, Event

    reader = audience or Audience()
    plan = planner.plan_from_dict(plan_json)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "RunSmart training plan")
    changes_by_day: dict[date, list[planner.Change]] = {}
    for change in plan.changes:
        for diff in change.workouts:
            changes_by_day.setdefault(diff.after.date, []).append(change)
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
        link = f"{workout_files.rstrip('/')}/{fit_workouts.file_name(w.id)}" if workout_files else ""
        if link:
            event.add("url", link)
        text = event_text(w, reader, changes_by_day.get(w.date, []), link)
        event.add("summary", text.headline)
        event.add("description", text.body)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
