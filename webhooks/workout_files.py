"""Planned workouts as FIT files for the athlete's watch (notify/fit_workouts.py, docs/workouts.md).

* `GET /api/v1/athletes/{athlete_id}/workouts/{workout_id}.fit`: for the RunSmart app (API key); an unknown
  athlete, plan or workout, or a rest day, is a 404 problem.
* `GET /ical/{token}/workouts/{workout_id}.fit` and `GET /p/{token}/workouts/{workout_id}.fit`: the same file
  opened by the secret of the athlete's calendar feed or plan page, whose calendars link every event to it. They
  answer as the feed and the page do (the feed's plain 404, and its 410 once the athlete disconnected Strava; the
  page's own 404 page).

Every file is rendered on request from the current plan version, so it follows every change to the plan; the
ETag lets a client that polls skip an unchanged file.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

import planner
from notify import fit_workouts, ical
from store import plan_repository
from store.db import as_utc
from webhooks import plan_page
from webhooks.api_deps import Deps, api_key
from webhooks.errors import ApiError, responses
from webhooks.schemas import AthleteId

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the workout as a FIT workout file",
        "content": {fit_workouts.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


class NoFile(LookupError):
    """No workout file: why, in one line."""


router = APIRouter()


@router.get(
    "/api/v1/athletes/{athlete_id}/workouts/{workout_id}.fit",
    tags=["plans"],
    operation_id="get_workout_file",
    summary="A planned workout as a FIT workout file for the athlete's watch",
    response_class=Response,
    dependencies=[Depends(api_key)],
    responses={
        **FILE_RESPONSE,
        **responses(
            {401: "missing or wrong API key", 404: "unknown athlete, plan or workout, or a rest day"}
        ),
    },
)
def workout_file(athlete_id: AthleteId, workout_id: str, request: Request, c: Deps) -> Response:
    with c.sessions() as session:
        try:
            body = render(session, athlete_id, workout_id)
        except NoFile as why:
            raise ApiError(404, str(why)) from None
    return file_response(body, workout_id, request)


@router.get(
    "/ical/{token}/workouts/{workout_id}.fit", include_in_schema=False, operation_id="feed_workout_file"
)
def feed_workout_file(token: str, workout_id: str, request: Request, c: Deps) -> Response:
    # Linked from the calendar feed's events: it answers as the feed does, in plain text.
    with c.sessions() as session:
        athlete_id = ical.athlete_for_token(session, token)
        if athlete_id is not None and ical.feed_closed(session, athlete_id):
            return PlainTextResponse("gone: the athlete disconnected Strava", status_code=410)
        body = _render_or_none(session, athlete_id, workout_id)
    if body is None:
        return PlainTextResponse("not found", status_code=404)
    return file_response(body, workout_id, request)


@router.get("/p/{token}/workouts/{workout_id}.fit", include_in_schema=False, operation_id="page_workout_file")
def page_workout_file(token: str, workout_id: str, request: Request, c: Deps) -> Response:
    # Linked from the plan page's calendar: every token that opens no page opens no file, with the page's 404.
    with c.sessions() as session:
        athlete_id = plan_page.athlete_for_token(session, token)
        body = _render_or_none(session, athlete_id, workout_id)
    if body is None:
        return plan_page.not_found()
    return file_response(body, workout_id, request)


def render(session: Session, athlete_id: int, workout_id: str) -> bytes:
    """The FIT file of ``workout_id`` in the athlete's current plan version; raises NoFile."""
    found = plan_repository.active_plan_and_version(session, athlete_id)
    if found is None:
        raise NoFile(f"no active plan for athlete {athlete_id}")
    _, version = found
    plan = planner.plan_from_dict(version.plan)
    workout = next((w for w in plan.workouts() if w.id == workout_id), None)
    if workout is None:
        raise NoFile(f"workout {workout_id} is not in the current plan")
    if not workout.is_run:
        raise NoFile(f"workout {workout_id} is a rest day: there is nothing to run")
    created = as_utc(version.created_at).astimezone(UTC)
    easy = planner.training_paces(plan.vdot).easy
    return fit_workouts.workout_file(workout, easy_pace=easy, created=created)


def file_response(body: bytes, workout_id: str, request: Request) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "etag": etag,
        "cache-control": "private, max-age=300",
        "content-disposition": f'attachment; filename="{fit_workouts.file_name(_safe(workout_id))}"',
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=fit_workouts.MEDIA_TYPE, headers=headers)


def _render_or_none(session: Session, athlete_id: int | None, workout_id: str) -> bytes | None:
    if athlete_id is None:
        return None
    try:
        return render(session, athlete_id, workout_id)
    except NoFile:
        return None


def _safe(workout_id: str) -> str:
    # The id is only echoed once it named a workout of the plan; still, a header never carries a quote
    return "".join(ch for ch in workout_id if ch.isalnum() or ch in "-_")
