"""`/strava/connect` and `/strava/callback`: the athlete-facing OAuth flow.

Every outcome is a plain HTML page for the athlete (webhooks/templates/oauth_*.html) with the way forward; a
client that asks for JSON (`Accept: application/json`, as the test harness does) gets the same outcome as JSON.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from string import Template
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import Counter

from composition.root import Container
from runsmart.settings import Settings
from store import athlete_repository
from store.db import UnitOfWork
from sync import connect
from sync.backfill import schedule_backfill
from sync.connect import ConnectError, ConnectOutcome, Grant
from sync.errors import StravaError

log = logging.getLogger(__name__)

OAUTH_CALLBACKS = Counter(
    "runsmart_oauth_callbacks_total", "OAuth callbacks answered, by outcome", ["outcome"]
)


@dataclass(frozen=True)
class Page:
    title: str
    status: int
    summary: str  # one plain sentence: the JSON answer's detail


PAGES = {
    ConnectOutcome.CONNECTED: Page("You're connected", 200, "connected"),
    ConnectOutcome.DENIED: Page(
        "Nothing was connected", 400, "Strava access was not granted; nothing was connected"
    ),
    ConnectOutcome.SCOPE_MISSING: Page(
        "One permission is missing",
        400,
        "RunSmart needs to see private activities too (activity:read_all); please connect again with it ticked",
    ),
    ConnectOutcome.CODE_INVALID: Page(
        "This approval has already been used or has run out",
        400,
        "Strava's approval was already used or has expired; please connect again",
    ),
    ConnectOutcome.STATE_INVALID: Page(
        "Please start again",
        400,
        "the connect request could not be matched to this browser; please start again",
    ),
    ConnectOutcome.STRAVA_UNAVAILABLE: Page(
        "Strava isn't answering right now", 503, "Strava is unavailable right now; please try again shortly"
    ),
    ConnectOutcome.SERVICE_REFUSED: Page(
        "Connecting isn't possible right now", 503, "Strava is not accepting connections to this service now"
    ),
    ConnectOutcome.CAPACITY_REACHED: Page(
        "This coaching service is full for now",
        403,
        "this service has reached the number of athletes Strava lets it connect; the coach has been told",
    ),
}


@cache
def _template(name: str) -> Template:
    return Template((resources.files("webhooks") / "templates" / name).read_text(encoding="utf-8"))


def render_page(
    outcome: ConnectOutcome, *, retry_url: str, history_weeks: int = 0, returning_url: str = ""
) -> str:
    history = (
        f"<p>Your runs from the last {history_weeks} weeks are being brought in; this can take a few minutes.</p>"
        if history_weeks
        else ""
    )
    returning = (
        _template("oauth_returning.html").substitute(returning_url=html.escape(returning_url))
        if returning_url
        else ""
    )
    content = _template(f"oauth_{outcome.value}.html").substitute(
        retry_url=html.escape(retry_url), history=history, returning=returning
    )
    return _template("oauth_page.html").substitute(
        title=html.escape(PAGES[outcome].title, quote=False), content=content
    )


# The pages carry no script and load nothing; the callback URL holds a one-time code, so no Referer either.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@dataclass(frozen=True)
class Connected:
    athlete_id: int
    redriven: tuple[int, ...]
    backfill: bool
    connected_athletes: int
    capacity: int


class ConnectFlow:
    """The callback's steps, each small; the routes above only sequence them. One per app (`app.state`)."""

    def __init__(
        self,
        container: Callable[[], Container],
        enqueue: Callable[[int], bool],
        start_backfill: Callable[[int], bool],
    ) -> None:
        self._container = container
        self._enqueue = enqueue
        self._start_backfill = start_backfill
        self._ledger: connect.NonceLedger | None = None
        self._capacity: connect.CapacityTracker | None = None

    def settings(self) -> Settings:
        return self._container().settings

    def base_url(self) -> str:
        return self._container().settings.public_base_url.rstrip("/")

    def connect_url(self) -> str:
        return self.base_url() + "/strava/connect"

    def at_capacity(self) -> bool:
        capacity = self.capacity().capacity
        with self._container().sessions() as session:
            connected = athlete_repository.count_connected(session)
        if connected < capacity:
            return False
        log.warning(
            "strava.capacity.refused",
            extra={"by": "runsmart", "connected_athletes": connected, "athlete_capacity": capacity},
        )
        return True

    def start_page(self, outcome: ConnectOutcome, returning_url: str = "") -> Response:
        body = render_page(outcome, retry_url=self.connect_url(), returning_url=returning_url)
        return self.page_response(HTMLResponse(body, status_code=PAGES[outcome].status))

    def secure_cookie(self) -> bool:
        settings = self._container().settings
        return settings.env == "production" or settings.public_base_url.startswith("https://")

    def capacity(self) -> connect.CapacityTracker:
        if self._capacity is None:
            settings = self._container().settings
            self._capacity = connect.CapacityTracker(
                settings.strava_athlete_capacity, settings.strava_athlete_capacity_header
            )
        return self._capacity

    def connected_athletes(self) -> float:
        try:
            with self._container().sessions() as session:
                return float(athlete_repository.count_connected(session))
        except Exception:  # a scrape must not fail because the database is away; NaN says "unknown"
            return float("nan")

    def _nonce_ledger(self) -> connect.NonceLedger:
        if self._ledger is None:
            settings = self._container().settings
            if settings.celery_broker_url.startswith("filesystem"):
                self._ledger = connect.LocalNonceLedger()  # the embedded demo has no Redis
            else:
                import redis

                client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
                self._ledger = connect.RedisNonceLedger(client)
        return self._ledger

    def verify_state(self, state: str, cookie: str | None) -> None:
        nonce = connect.check_state(
            self._container().settings.effective_token_key(), state=state, cookie=cookie
        )
        try:
            connect.claim_state(self._nonce_ledger(), nonce)
        except ConnectError:
            raise
        except Exception as problem:  # Redis away: the signed cookie still binds the state to this browser
            log.warning("oauth.nonce_ledger_unavailable", extra={"error": type(problem).__name__})

    async def exchange(self, code: str) -> Grant:
        try:
            grant = await run_in_threadpool(connect.exchange, self._container().gateway, code)
        except StravaError as problem:
            outcome = connect.exchange_failure(problem)
            if outcome is ConnectOutcome.CAPACITY_REACHED:
                figures = await run_in_threadpool(self._capacity_figures)
                log.warning("strava.capacity.refused", extra={"by": "strava", **figures})
            elif outcome is ConnectOutcome.SERVICE_REFUSED:
                log.error("oauth.application_refused", extra={"error": str(problem)})
            raise ConnectError(outcome, f"the code exchange failed: {problem}") from None
        self.capacity().observe(grant.headers)
        if "id" not in grant.athlete:
            raise ConnectError(ConnectOutcome.STRAVA_UNAVAILABLE, "Strava's token response names no athlete")
        return grant

    def _capacity_figures(self) -> dict[str, float]:
        return {"connected_athletes": self.connected_athletes(), "athlete_capacity": self.capacity().capacity}

    def save(self, grant: Grant, redirect_scope: str | None) -> Connected:
        c = self._container()
        scopes = connect.granted_scope(grant.scope, redirect_scope)
        if connect.missing_scopes(scopes):
            raise ConnectError(
                ConnectOutcome.SCOPE_MISSING, "the token response's scope lacks activity:read_all"
            )
        capacity = self.capacity().capacity
        with UnitOfWork(c.sessions) as uow:
            check = connect.check_capacity(uow.session, int(grant.athlete["id"]), capacity)
            if check.admitted:
                return self._store(uow, grant, scopes, capacity)
        # Refused after the transaction (and its capacity lock) has ended: releasing the grant is a call to
        # Strava, and no other callback should wait on it.
        self._refuse_over_capacity(grant, check)

    def _store(self, uow: UnitOfWork, grant: Grant, scopes: str, capacity: int) -> Connected:
        c = self._container()
        athlete_id, redrive = connect.save_connection(
            uow.session, tokens=grant.tokens, athlete=grant.athlete, scopes=scopes, cipher=c.cipher
        )
        weeks = c.settings.backfill_weeks
        backfill = weeks > 0 and schedule_backfill(
            uow.session, athlete_id, weeks=weeks, now=datetime.now(UTC)
        )
        connected = athlete_repository.count_connected(uow.session)
        uow.commit()
        return Connected(athlete_id, tuple(redrive), backfill, connected, capacity)

    def _refuse_over_capacity(self, grant: Grant, check: connect.CapacityCheck) -> NoReturn:
        log.warning(
            "strava.capacity.refused",
            extra={
                "by": "runsmart",
                "connected_athletes": check.connected,
                "athlete_capacity": check.capacity,
            },
        )
        # Strava has just granted access and counts this athlete as connected to us; we keep nothing, so give
        # the grant back rather than leave them connected there and not here.
        connect.release_grant(self._container().gateway, grant.tokens, reason="capacity_reached")
        raise ConnectError(ConnectOutcome.CAPACITY_REACHED, "the application's athlete capacity is reached")

    def answer_connected(self, request: Request, done: Connected) -> Response:
        for event_id in done.redriven:
            self._enqueue(event_id)
        if done.backfill:
            self._start_backfill(done.athlete_id)
        connect.warn_if_nearly_full(done.connected_athletes, done.capacity)
        weeks = self._container().settings.backfill_weeks if done.backfill else 0
        if _wants_json(request):
            body = {
                "athlete_id": done.athlete_id,
                "status": ConnectOutcome.CONNECTED.value,
                "redriven_events": len(done.redriven),
                "backfill_weeks": weeks,
            }
            return self._finish(JSONResponse(body), ConnectOutcome.CONNECTED)
        page = render_page(ConnectOutcome.CONNECTED, retry_url=self.connect_url(), history_weeks=weeks)
        return self._finish(HTMLResponse(page), ConnectOutcome.CONNECTED)

    def answer(self, request: Request, outcome: ConnectOutcome) -> Response:
        page = PAGES[outcome]
        response: Response
        if _wants_json(request):
            response = JSONResponse(
                {"status": outcome.value, "detail": page.summary}, status_code=page.status
            )
        else:
            body = render_page(outcome, retry_url=self.connect_url())
            response = HTMLResponse(body, status_code=page.status)
        return self._finish(response, outcome)

    def _finish(self, response: Response, outcome: ConnectOutcome) -> Response:
        OAUTH_CALLBACKS.labels(outcome.value).inc()
        return self.page_response(response)

    def page_response(self, response: Response) -> Response:
        response.headers.update(PAGE_HEADERS)
        # Single use: whatever happened, this browser's state is spent.
        response.delete_cookie(
            connect.STATE_COOKIE, path="/strava", httponly=True, samesite="lax", secure=self.secure_cookie()
        )
        return response


# --- routes ---------------------------------------------------------------------------------------------


def connect_flow(request: Request) -> ConnectFlow:
    """The app's flow (built by webhooks.app.create_app): it keeps the nonce ledger and capacity between calls."""
    flow: ConnectFlow = request.app.state.connect_flow
    return flow


Flow = Annotated[ConnectFlow, Depends(connect_flow)]
router = APIRouter()


@router.get("/strava/connect", response_class=HTMLResponse, operation_id="strava_connect")
def start(flow: Flow, returning: bool = False) -> Response:
    settings = flow.settings()
    if settings.strava_client_id <= 0:
        log.error("oauth.not_configured", extra={"missing": "RUNSMART_STRAVA_CLIENT_ID"})
        return flow.start_page(ConnectOutcome.SERVICE_REFUSED)
    # At capacity Strava refuses new athletes on its own page, in words meant for developers; ours says it
    # plainly. An athlete who already holds a place is let through (`returning`): Strava admits them.
    if not returning and flow.at_capacity():
        return flow.start_page(
            ConnectOutcome.CAPACITY_REACHED, returning_url=flow.connect_url() + "?returning=1"
        )
    nonce, cookie = connect.new_state(settings.effective_token_key())
    url = connect.authorize_url(
        client_id=settings.strava_client_id,
        redirect_uri=flow.base_url() + "/strava/callback",
        state=nonce,
        base_url=settings.strava_base_url,
    )
    response = RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        connect.STATE_COOKIE,
        cookie,
        max_age=connect.STATE_MAX_AGE_S,
        path="/strava",
        httponly=True,
        samesite="lax",
        secure=flow.secure_cookie(),
    )
    return response


@router.get("/strava/callback", response_class=HTMLResponse, operation_id="strava_callback")
async def callback(
    request: Request,
    flow: Flow,
    state: str = "",
    code: str | None = None,
    scope: str | None = None,
    error: str | None = None,
) -> Response:
    cookie = request.cookies.get(connect.STATE_COOKIE)
    try:
        await run_in_threadpool(flow.verify_state, state, cookie)
        if error:
            raise ConnectError(ConnectOutcome.DENIED, f"Strava answered error={error[:40]}")
        if not code:
            raise ConnectError(ConnectOutcome.CODE_INVALID, "the callback carries no authorization code")
        if scope is not None and connect.missing_scopes(scope):
            raise ConnectError(ConnectOutcome.SCOPE_MISSING, "the redirect's scope lacks activity:read_all")
        grant = await flow.exchange(code)
        connected = await run_in_threadpool(flow.save, grant, scope)
    except ConnectError as refused:
        log.info("oauth.callback.refused", extra={"outcome": refused.outcome.value, "reason": str(refused)})
        return flow.answer(request, refused.outcome)
    return flow.answer_connected(request, connected)
