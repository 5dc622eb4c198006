"""`GET /ical/{token}.ics`: the athlete's live training calendar (notify/ical.py), rebuilt on each request
from the current plan version, with ETag and Last-Modified so calendar clients poll cheaply."""

from __future__ import annotations

import hashlib
from datetime import UTC
from email.utils import format_datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from notify import ical
from store import plan_repository
from store.db import UnitOfWork, as_utc
from webhooks.api_deps import Deps, api_key
from webhooks.errors import ApiError, responses
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
    updated = version.created_at
    updated = as_utc(updated).astimezone(UTC)
    files = f"{c.settings.public_base_url.rstrip('/')}/ical/{token}/workouts"  # webhooks/workout_files.py
    body = ical.render(
        version.plan,
        plan_id=plan.id,
        version=version.version,
        updated=updated,
        workout_files=files,
        audience=reader,
    )
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "etag": etag,
        "last-modified": format_datetime(updated, usegmt=True),
        "cache-control": "private, max-age=300",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.post(
    "/api/v1/athletes/{athlete_id}/ical",
    response_model=IcalFeed,
    tags=["plans"],
    operation_id="issue_ical_feed",
    summary="Issue the athlete's calendar feed URL (shown once; rotate=true replaces it)",
    dependencies=[Depends(api_key)],
    responses=responses({401: "missing or wrong API key", 404: "unknown athlete"}),
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
