"""The athlete's read-only plan page at a secret link: `GET /p/{token}` (HTML) and `GET /p/{token}/calendar.ics`.

The link follows the calendar feed's model (notify/ical.py): a random `secrets.token_urlsafe(32)`, of which only
the SHA-256 is stored (`plan_page_links`), shown once when issued, replaced by rotating, deleted by revoking,
through the internal API (`POST`/`DELETE /api/v1/athletes/{id}/plan-page-link`, API key). The page is built from
the plan API's own read model (webhooks/plan_page_view.py), rendered by Jinja2 with autoescaping, carries no
script and loads nothing. An unknown, revoked or malformed token, and the link of an athlete who disconnected
Strava, all get the same plain 404. The token is never logged here; the access log's redaction covers `/p/…`
(runsmart/logs.py).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from messages import Audience
from notify import ical
from plans import service, views
from store import plan_page_repository, plan_repository, repository
from store.db import UnitOfWork
from webhooks import plan_page_view
from webhooks.api_deps import Deps, Now, api_key
from webhooks.errors import ATHLETE_ROUTE_ERRORS, ApiError
from webhooks.ical import render_version
from webhooks.schemas import AthleteId

if TYPE_CHECKING:
    from jinja2 import Environment

MAX_TOKEN_LENGTH = 128  # token_urlsafe(32) is 43 characters; anything far longer is not ours


class PlanPageLinkOut(BaseModel):
    url: str | None  # None: a link exists; it is shown only when issued (pass rotate=true for a new one)
    created: bool


class PlanPageLinkRevoked(BaseModel):
    revoked: bool  # false: there was no link to revoke


# --- the link -------------------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, athlete_id: int, now: datetime, *, rotate: bool = False) -> str | None:
    """A new page token for the athlete (None when one exists and `rotate` is false: it cannot be shown
    again, only replaced). Raises LookupError for an unknown athlete. The caller commits."""
    if repository.lock_athlete(session, athlete_id) is None:
        raise LookupError(f"athlete {athlete_id} not found")
    if plan_page_repository.link_exists(session, athlete_id) and not rotate:
        return None
    token = secrets.token_urlsafe(32)
    plan_page_repository.save_link(session, athlete_id, token_digest(token), now)
    return token


def revoke_link(session: Session, athlete_id: int) -> bool:
    """Whether a link was revoked. Raises LookupError for an unknown athlete. The caller commits."""
    if repository.lock_athlete(session, athlete_id) is None:
        raise LookupError(f"athlete {athlete_id} not found")
    return plan_page_repository.delete_link(session, athlete_id)


def athlete_for_token(session: Session, token: str) -> int | None:
    """The athlete whose page this token opens; None for an unknown, revoked or malformed token and for an
    athlete who disconnected Strava (the plan it would show is adapted to runs we no longer hold)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    athlete_id = plan_page_repository.athlete_for_digest(session, token_digest(token))
    if athlete_id is None or ical.feed_closed(session, athlete_id):
        return None
    return athlete_id


def page_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/p/{token}"


# --- rendering ------------------------------------------------------------------------------------------


@cache
def stylesheet() -> str:
    return (resources.files("webhooks") / "templates" / "plan_page.css").read_text(encoding="utf-8")


@cache
def environment() -> Environment:
    # Imported on first use: the API process loads Jinja2 only once a plan page is asked for.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("webhooks", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def content_security_policy() -> str:
    # No script, nothing loaded; the one inline <style> is allowed by its hash, not by 'unsafe-inline'.
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def page_headers() -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": content_security_policy(),
    }


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(css=stylesheet(), **context)


def html_page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, **context), status_code=status, headers=page_headers())


def not_found() -> HTMLResponse:
    return html_page("plan_page_not_found.html", status=404)


# --- routes ---------------------------------------------------------------------------------------------


router = APIRouter()
LINK_PATH = "/api/v1/athletes/{athlete_id}/plan-page-link"


@router.get("/p/{token}", include_in_schema=False, operation_id="plan_page")
def plan_page(token: str, c: Deps, now: Now) -> HTMLResponse:
    # The athlete's page, not the app's API: its 404 stays an HTML page.
    with c.sessions() as session:
        athlete_id = athlete_for_token(session, token)
        if athlete_id is None:
            return not_found()
        loaded = service.load(session, athlete_id, now=now)
        if loaded is None:
            return html_page("plan_page_no_plan.html")
        reader = Audience.of(loaded.athlete.units, loaded.row.timezone)
        page = plan_page_view.page(views.plan_detail(session, loaded), loaded.activities, reader)
    # Relative to the page's own address (/p/{token}), like the calendar link: webhooks/workout_files.py.
    files_path = f"{token}/workouts"
    return html_page(
        "plan_page.html", page=page, calendar_path=f"{token}/calendar.ics", files_path=files_path
    )


@router.get("/p/{token}/calendar.ics", include_in_schema=False, operation_id="plan_page_calendar")
def calendar(token: str, c: Deps) -> Response:
    # The page's own calendar link: the same feed as /ical/{token}.ics, opened by the page's secret.
    with c.sessions() as session:
        athlete_id = athlete_for_token(session, token)
        found = plan_repository.active_plan_and_version(session, athlete_id) if athlete_id else None
        if found is None:
            return not_found()
        row, version = found
        reader = ical.audience(session, row.athlete_id, row.timezone)
    files = f"{c.settings.public_base_url.rstrip('/')}/p/{token}/workouts"  # webhooks/workout_files.py
    body, _ = render_version(version, files, reader)
    headers = {"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@router.post(
    LINK_PATH,
    response_model=PlanPageLinkOut,
    tags=["plans"],
    responses=ATHLETE_ROUTE_ERRORS,
    operation_id="issue_plan_page_link",
    summary="Issue the athlete's plan page link (shown once; rotate=true replaces it)",
    dependencies=[Depends(api_key)],
)
def issue(athlete_id: AthleteId, c: Deps, now: Now, rotate: bool = False) -> PlanPageLinkOut:
    with UnitOfWork(c.sessions) as uow:
        try:
            token = issue_link(uow.session, athlete_id, now, rotate=rotate)
        except LookupError as error:
            raise ApiError(404, str(error)) from None
        uow.commit()
    url = page_url(c.settings.public_base_url, token) if token else None
    return PlanPageLinkOut(url=url, created=token is not None)


@router.delete(
    LINK_PATH,
    response_model=PlanPageLinkRevoked,
    tags=["plans"],
    responses=ATHLETE_ROUTE_ERRORS,
    operation_id="revoke_plan_page_link",
    summary="Revoke the athlete's plan page link (the page answers 404 from now on)",
    dependencies=[Depends(api_key)],
)
def revoke(athlete_id: AthleteId, c: Deps) -> PlanPageLinkRevoked:
    with UnitOfWork(c.sessions) as uow:
        try:
            revoked = revoke_link(uow.session, athlete_id)
        except LookupError as error:
            raise ApiError(404, str(error)) from None
        uow.commit()
    return PlanPageLinkRevoked(revoked=revoked)
