"""`/strava/connect` and `/strava/callback`: the athlete-facing OAuth flow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from runsmart.bootstrap import Container
from store.db import UnitOfWork
from sync import connect
from sync.backfill import schedule_backfill
from sync.errors import StravaAuthError, StravaError, StravaTransient


def make_router(
    container: Callable[[], Container],
    enqueue: Callable[[int], bool],
    start_backfill: Callable[[int], bool],
) -> APIRouter:
    router = APIRouter()

    def redirect_uri() -> str:
        return container().settings.public_base_url.rstrip("/") + "/strava/callback"

    @router.get("/strava/connect")
    def start() -> RedirectResponse:
        settings = container().settings
        if settings.strava_client_id <= 0:
            raise HTTPException(503, "Strava is not configured (RUNSMART_STRAVA_CLIENT_ID)")
        state = connect.make_state(settings.effective_token_key(), {"v": 1})
        url = connect.authorize_url(
            client_id=settings.strava_client_id,
            redirect_uri=redirect_uri(),
            state=state,
            base_url=settings.strava_base_url,
        )
        return RedirectResponse(url, status_code=302)

    @router.get("/strava/callback")
    async def callback(
        state: str = "", code: str | None = None, scope: str | None = None, error: str | None = None
    ) -> dict[str, object]:
        c = container()
        try:
            connect.read_state(c.settings.effective_token_key(), state)
        except connect.ConnectError as problem:
            raise HTTPException(400, str(problem)) from None
        if error:
            raise HTTPException(400, f"Strava authorization was not granted ({error}); nothing was connected")
        if not code:
            raise HTTPException(400, "the callback carries no authorization code")
        missing = connect.missing_scopes(scope)
        if missing:
            raise HTTPException(
                400,
                "RunSmart needs the permission "
                + ", ".join(missing)
                + " to see all your runs, including private ones. Please connect again and leave "
                "'View data about your private activities' ticked.",
            )
        try:
            tokens, athlete = await run_in_threadpool(c.gateway.exchange_code, code)
        except StravaTransient:
            raise HTTPException(503, "Strava is unavailable right now; please try again") from None
        except StravaAuthError:
            raise HTTPException(400, "the authorization code was refused; please connect again") from None
        except StravaError as problem:
            raise HTTPException(502, f"Strava answered unexpectedly: {problem}") from None
        if "id" not in athlete:
            raise HTTPException(502, "Strava's token response did not name the athlete")

        def save() -> tuple[int, list[int], bool]:
            with UnitOfWork(c.sessions) as uow:
                athlete_id, redrive = connect.save_connection(
                    uow.session, tokens=tokens, athlete=athlete, scopes=scope or "", cipher=c.cipher
                )
                weeks = c.settings.backfill_weeks
                backfill = weeks > 0 and schedule_backfill(
                    uow.session, athlete_id, weeks=weeks, now=datetime.now(UTC)
                )
                uow.commit()
            return athlete_id, list(redrive), backfill

        athlete_id, redrive, backfill = await run_in_threadpool(save)
        for event_id in redrive:
            enqueue(event_id)
        if backfill:
            start_backfill(athlete_id)
        return {
            "athlete_id": athlete_id,
            "status": "connected",
            "redriven_events": len(redrive),
            "backfill_weeks": c.settings.backfill_weeks if backfill else 0,
        }

    return router
