"""`GET /ical/{token}.ics`: the athlete's live training calendar (notify/ical.py), rebuilt on each request
from the current plan version, with ETag and Last-Modified so calendar clients poll cheaply."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from messages import Audience
from notify import ical
from store import plan_repository
from store.db import UnitOfWork, as_utc
from store.plan_models import PlanVersion
from webhooks.api_deps import Deps, api_key
from webhooks.errors import ATHLETE_ROUTE_ERRORS, ApiError
from webhooks.schemas import AthleteId


class IcalFeed(BaseModel):
    url: str | None  # None: a feed exists; its URL is shown only when issued (pass rotate=true for a new one)
    created: bool


router = APIRouter()


@router.get("/ical/{token}.ics", include_in_schema=False, operation_id="ical_feed")
def feed(token: str, request: Request, c: Deps) -> Response:
    # A calendar client's feed, not the app's API: its 404 and 410 stay plain text.
    with c.sessions() as session:
        athlete_id = ical.athlete_for_token(session, token)
        if athlete_id is not None and ical.feed_closed(session, athlete_id):
            # A feed issued again after the athlete disconnected Strava: the plan it would show is
            # adapted to runs we no longer hold (docs/operations.md, Retention).
            return PlainTextResponse("gone: the athlete disconnected Strava", status_code=410)
        plan = plan_repository.active_plan(session, athlete_id) if athlete_id is not None else None
        if plan is None:
            # Same answer for an unknown token and for a known athlete without a plan.
            return PlainTextResponse("not found", status_code=404)
        version = plan_repository.current_version(session, plan)
        reader = ical.audience(session, plan.athlete_id, plan.timezone)
    files = f"{c.settings.public_base_url.rstrip('/')}/ical/{token}/workouts"  # webhooks/workout_files.py
    body, updated = render_version(version, files, reader)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "etag": etag,
        "last-modified": format_datetime(updated, usegmt=True),
        "cache-control": "private, max-age=300",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


def render_version(version: PlanVersion, workout_files: str, reader: Audience) -> tuple[bytes, datetime]:
    """One plan version as a calendar, and when that version was made (the feed's Last-Modified)."""
    updated = as_utc(version.created_at).astimezone(UTC)
    body = ical.render(
        version.plan,
        plan_id=version.plan_id,
        version=version.version,
        updated=updated,
        workout_files=workout_files,
        audience=reader,
    )
    return body, updated


@router.post(
    "/api/v1/athletes/{athlete_id}/ical",
    response_model=IcalFeed,
    tags=["plans"],
    operation_id="issue_ical_feed",
    summary="Issue the athlete's calendar feed URL (shown once; rotate=true replaces it)",
    dependencies=[Depends(api_key)],
    responses=ATHLETE_ROUTE_ERRORS,
)
def issue(athlete_id: AthleteId, c: Deps, rotate: bool = False) -> IcalFeed:
    with UnitOfWork(c.sessions) as uow:
        try:
            token = ical.issue_token(uow.session, athlete_id, rotate=rotate)
        except LookupError as error:
            raise ApiError(404, str(error)) from None
        uow.commit()
    url = ical.feed_url(c.settings.public_base_url, token) if token else None
    return IcalFeed(url=url, created=token is not None)
