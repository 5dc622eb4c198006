"""The internal API for the RunSmart app: plans, changes, hand edits and pauses, under /api/v1.

API-key authentication (`Authorization: Bearer <key>`, RUNSMART_API_KEYS, compared in constant time).
Each request is one transaction: the command writes through the session, the handler commits on success, and
any PlanError rolls everything back (notifications included, they are outbox rows in the same transaction).
"""

# No `from __future__ import annotations`: FastAPI resolves the closures' Annotated dependencies at runtime.

import hashlib
import hmac
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

import planner
from plans import commands, views
from plans.errors import PlanError
from plans.service import Loaded, Outcome
from runsmart.bootstrap import Container
from store.db import UnitOfWork
from store.models import Athlete
from webhooks.plan_schemas import (
    ErrorOut,
    MoveIn,
    NotificationsIn,
    NotificationsOut,
    PairIn,
    PauseIn,
    PauseOut,
    PlanChanged,
    PlanFromGoal,
    PlanUpload,
)
from webhooks.schemas import StravaId

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong API key"},
    404: {"model": ErrorOut, "description": "unknown athlete, plan, workout, change or activity"},
    409: {"model": ErrorOut, "description": "conflicts with the plan's state; nothing changed"},
    422: {"model": ErrorOut, "description": "invalid request; nothing changed"},
}


def plan_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PlanError)
    return JSONResponse({"detail": error.detail}, status_code=error.status)


def _changed(outcome: Outcome) -> PlanChanged:
    return PlanChanged(
        version=outcome.version,
        stored_new_version=outcome.stored,
        changes=[planner.change_to_dict(c) for c in outcome.changes],
        newly_matched=[{"workout_id": w, "activity_id": a} for w, a in outcome.newly_matched],
    )


def make_router(
    get_container: Callable[[], Container], now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> APIRouter:
    bearer = HTTPBearer(auto_error=False, description="a key from RUNSMART_API_KEYS")

    def authorized(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        keys = get_container().settings.api_key_list()
        given = (credentials.credentials if credentials else "").encode()
        # Compare against every key (no early exit), each in constant time.
        ok = False
        for key in keys:
            ok |= hmac.compare_digest(given, key.encode())
        if not (credentials and ok):
            raise HTTPException(401, "missing or wrong API key", headers={"WWW-Authenticate": "Bearer"})

    def unit_of_work() -> Iterator[UnitOfWork]:
        with UnitOfWork(get_container().sessions) as uow:
            yield uow

    Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
    router = APIRouter(
        prefix="/api/v1/athletes/{athlete_id}",
        tags=["plans"],
        dependencies=[Depends(authorized)],
        responses=ERRORS,
    )

    def write(uow: UnitOfWork, command: Callable[[Session], Outcome]) -> PlanChanged:
        outcome = command(uow.session)
        uow.commit()
        return _changed(outcome)

    def read(uow: UnitOfWork, athlete_id: StravaId) -> Loaded:
        return commands.loaded_or_404(uow.session, athlete_id, now())

    @router.put("/plan", response_model=PlanChanged, summary="Create or replace the plan from a goal")
    def plan_from_goal(athlete_id: StravaId, body: PlanFromGoal, uow: Uow) -> PlanChanged:
        return write(
            uow,
            lambda s: commands.create_from_goal(
                s,
                athlete_id,
                athlete=body.athlete.to_planner(),
                goal=body.goal.to_planner(),
                start=body.start,
                timezone=body.timezone,
                now=now(),
            ),
        )

    @router.put(
        "/plan/upload", response_model=PlanChanged, summary="Create or replace the plan from plan JSON"
    )
    def plan_upload(athlete_id: StravaId, body: PlanUpload, uow: Uow) -> PlanChanged:
        return write(
            uow,
            lambda s: commands.upload(s, athlete_id, plan_json=body.plan, timezone=body.timezone, now=now()),
        )

    @router.get("/plan", summary="The current plan with matches and compliance")
    def get_plan(athlete_id: StravaId, uow: Uow) -> dict[str, Any]:
        return views.plan_detail(uow.session, read(uow, athlete_id))

    @router.get("/plan/changes", summary="Every change with its reason")
    def list_changes(athlete_id: StravaId, uow: Uow) -> list[dict[str, Any]]:
        return views.change_list(uow.session, read(uow, athlete_id))

    @router.post("/plan/changes/{change_id}/undo", response_model=PlanChanged, summary="Undo a change")
    def undo_change(athlete_id: StravaId, change_id: str, uow: Uow) -> PlanChanged:
        return write(uow, lambda s: commands.undo(s, athlete_id, change_id, now=now()))

    @router.post("/plan/workouts/{workout_id}/move", response_model=PlanChanged, summary="Move a workout")
    def move_workout(athlete_id: StravaId, workout_id: str, body: MoveIn, uow: Uow) -> PlanChanged:
        return write(uow, lambda s: commands.move(s, athlete_id, workout_id, body.date, now=now()))

    @router.post("/plan/workouts/{workout_id}/pair", response_model=PlanChanged, summary="Pair a run by hand")
    def pair_run(athlete_id: StravaId, workout_id: str, body: PairIn, uow: Uow) -> PlanChanged:
        return write(uow, lambda s: commands.pair(s, athlete_id, workout_id, body.activity_id, now=now()))

    @router.delete(
        "/plan/workouts/{workout_id}/pair/{activity_id}", response_model=PlanChanged, summary="Unpair a run"
    )
    def unpair_run(athlete_id: StravaId, workout_id: str, activity_id: StravaId, uow: Uow) -> PlanChanged:
        return write(uow, lambda s: commands.unpair(s, athlete_id, workout_id, activity_id, now=now()))

    @router.put("/pause", response_model=PauseOut, summary="Pause (sick, vacation): days off are not missed")
    def pause(athlete_id: StravaId, body: PauseIn, uow: Uow) -> PauseOut:
        loaded = commands.pause(uow.session, athlete_id, until=body.until, reason=body.reason, now=now())
        out = PauseOut(paused_from=loaded.row.paused_from, paused_until=body.until, reason=body.reason)
        uow.commit()
        return out

    @router.delete("/pause", response_model=PlanChanged, summary="Resume: the plan adapts to the days off")
    def resume(athlete_id: StravaId, uow: Uow) -> PlanChanged:
        return write(uow, lambda s: commands.resume(s, athlete_id, now=now()))

    @router.put(
        "/notifications",
        response_model=NotificationsOut,
        summary="Set the athlete's direct notification channels (apprise URLs: ntfy, e-mail, Telegram, ...)",
    )
    def set_notifications(athlete_id: StravaId, body: NotificationsIn, uow: Uow) -> NotificationsOut:
        athlete = uow.session.get(Athlete, athlete_id)
        if athlete is None:
            raise HTTPException(404, "unknown athlete")
        refused = [n for n, url in enumerate(body.urls) if not _apprise_understands(url)]
        if refused:
            # The URLs may carry credentials: name their positions, never echo them.
            raise HTTPException(422, f"not an apprise URL apprise can use, at positions {refused}")
        athlete.notification_urls = list(dict.fromkeys(body.urls))
        uow.commit()
        return NotificationsOut(channels=[_channel_name(url) for url in athlete.notification_urls])

    @router.get(
        "/notifications", response_model=NotificationsOut, summary="The athlete's notification channels"
    )
    def get_notifications(athlete_id: StravaId, uow: Uow) -> NotificationsOut:
        athlete = uow.session.get(Athlete, athlete_id)
        if athlete is None:
            raise HTTPException(404, "unknown athlete")
        return NotificationsOut(channels=[_channel_name(url) for url in athlete.notification_urls or []])

    return router


def _apprise_understands(url: str) -> bool:
    import apprise  # imported here: only this endpoint and the notify worker need it

    return bool(apprise.Apprise().add(url))


def _channel_name(url: str) -> str:
    """Shown instead of the URL, which can hold a password or a token: the scheme and a digest."""
    return f"{url.split('://', 1)[0]}:{hashlib.sha256(url.encode()).hexdigest()[:10]}"
