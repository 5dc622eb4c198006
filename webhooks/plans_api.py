"""The internal API for the RunSmart app: plans, changes, hand edits and pauses, under /api/v1 (docs/api.md).

API-key authentication (`Authorization: Bearer <key>`, RUNSMART_API_KEYS, compared in constant time).
Each request is one transaction: the command writes through the session, the handler commits on success, and
any PlanError rolls everything back (notifications included, they are outbox rows in the same transaction).
Errors are problem details (webhooks/errors.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

import planner
from notify.channels import ChannelCipher, ChannelRefused, check_channel_url
from plans import commands, views
from plans.service import Loaded, Outcome
from store import plan_repository
from store.db import UnitOfWork
from store.models import Athlete
from webhooks import change_pages
from webhooks.api_deps import Deps, Now, Uow, key_router
from webhooks.errors import ApiError, athlete_route_errors
from webhooks.plan_schemas import (
    MoveIn,
    NotificationsIn,
    NotificationsOut,
    PairIn,
    PauseIn,
    PauseOut,
    PlanChanged,
    PlanFromGoal,
    PlanOut,
    PlanUpload,
    StoredChangeOut,
)
from webhooks.schemas import ActivityId, AthleteId

router = key_router(
    "/api/v1/athletes/{athlete_id}",
    "plans",
    athlete_route_errors(
        {
            404: "unknown athlete, plan, workout, change or activity",
            409: "conflicts with the plan's state; nothing changed",
        }
    ),
)


def _workout(workout: planner.Workout | None) -> dict[str, Any] | None:
    return planner.workout_to_dict(workout) if workout is not None else None


def _changed(outcome: Outcome) -> PlanChanged:
    return PlanChanged.model_validate(
        {
            "version": outcome.version,
            "stored_new_version": outcome.stored,
            "changes": [planner.change_to_dict(c) for c in outcome.changes],
            "decisions": [
                {
                    "id": d.change_id,
                    "code": d.code,
                    "week_start": d.week_start,
                    "revision": d.revision,
                    "status": d.status.value,
                }
                for d in outcome.decisions
            ],
            "workouts": [
                {"before": _workout(w.before), "after": _workout(w.after)} for w in outcome.workouts
            ],
            "newly_matched": [{"workout_id": w, "activity_id": a} for w, a in outcome.newly_matched],
        }
    )


def _write(uow: UnitOfWork, command: Callable[[Session], Outcome]) -> PlanChanged:
    outcome = command(uow.session)
    uow.commit()
    return _changed(outcome)


def _read(uow: UnitOfWork, athlete_id: int, now: datetime) -> Loaded:
    return commands.loaded_or_404(uow.session, athlete_id, now)


# --- plans ----------------------------------------------------------------------------------------------


@router.put(
    "/plan",
    response_model=PlanChanged,
    operation_id="create_plan_from_goal",
    summary="Create or replace the plan from a goal",
)
def plan_from_goal(athlete_id: AthleteId, body: PlanFromGoal, uow: Uow, now: Now) -> PlanChanged:
    athlete, goal = body.athlete.to_planner(), body.goal.to_planner()
    return _write(
        uow,
        lambda s: commands.create_from_goal(
            s, athlete_id, athlete=athlete, goal=goal, start=body.start, timezone=body.timezone, now=now
        ),
    )


@router.put(
    "/plan/upload",
    response_model=PlanChanged,
    operation_id="upload_plan",
    summary="Create or replace the plan from plan JSON",
)
def plan_upload(athlete_id: AthleteId, body: PlanUpload, uow: Uow, now: Now) -> PlanChanged:
    return _write(
        uow, lambda s: commands.upload(s, athlete_id, plan_json=body.plan, timezone=body.timezone, now=now)
    )


@router.get(
    "/plan",
    response_model=PlanOut,
    operation_id="get_plan",
    summary="The current plan with matches and compliance",
)
def get_plan(athlete_id: AthleteId, uow: Uow, now: Now) -> dict[str, Any]:
    return views.plan_detail(uow.session, _read(uow, athlete_id, now))


@router.get(
    "/plan/changes",
    response_model=list[StoredChangeOut],
    operation_id="list_plan_changes",
    summary="Every decision with its reason and revisions, newest first, a page at a time (next page: Link)",
    response_description='a page of decisions; `Link: <…>; rel="next"` names the next page while there is one',
)
def list_changes(
    athlete_id: AthleteId,
    request: Request,
    response: Response,
    uow: Uow,
    now: Now,
    limit: int = Query(change_pages.DEFAULT_LIMIT, ge=1, le=change_pages.MAX_LIMIT),
    cursor: str | None = Query(
        None, max_length=change_pages.MAX_CURSOR_CHARS, description="`next` of the previous page, as given"
    ),
) -> list[dict[str, Any]]:
    loaded = _read(uow, athlete_id, now)
    page = change_pages.page(
        views.change_list(uow.session, loaded), loaded.row.id, limit=limit, cursor=cursor
    )
    if page.next_cursor is not None:
        response.headers["Link"] = change_pages.next_link(request.url, page.next_cursor, limit)
    return page.items


@router.post(
    "/plan/changes/{change_id}/undo",
    response_model=PlanChanged,
    operation_id="undo_plan_change",
    summary="Undo a decision",
)
def undo_change(athlete_id: AthleteId, change_id: str, uow: Uow, now: Now) -> PlanChanged:
    return _write(uow, lambda s: commands.undo(s, athlete_id, change_id, now=now))


# --- hand edits -----------------------------------------------------------------------------------------


@router.post(
    "/plan/workouts/{workout_id}/move",
    response_model=PlanChanged,
    operation_id="move_workout",
    summary="Move a workout",
)
def move_workout(athlete_id: AthleteId, workout_id: str, body: MoveIn, uow: Uow, now: Now) -> PlanChanged:
    return _write(uow, lambda s: commands.move(s, athlete_id, workout_id, body.date, now=now))


@router.post(
    "/plan/workouts/{workout_id}/pair",
    response_model=PlanChanged,
    operation_id="pair_run",
    summary="Pair a run by hand",
)
def pair_run(athlete_id: AthleteId, workout_id: str, body: PairIn, uow: Uow, now: Now) -> PlanChanged:
    return _write(uow, lambda s: commands.pair(s, athlete_id, workout_id, body.activity_id, now=now))


@router.delete(
    "/plan/workouts/{workout_id}/pair/{activity_id}",
    response_model=PlanChanged,
    operation_id="unpair_run",
    summary="Unpair a run",
)
def unpair_run(
    athlete_id: AthleteId, workout_id: str, activity_id: ActivityId, uow: Uow, now: Now
) -> PlanChanged:
    return _write(uow, lambda s: commands.unpair(s, athlete_id, workout_id, activity_id, now=now))


# --- pause ----------------------------------------------------------------------------------------------


@router.put(
    "/pause",
    response_model=PauseOut,
    operation_id="pause_plan",
    summary="Pause (sick, vacation): days off are not missed",
)
def pause(athlete_id: AthleteId, body: PauseIn, uow: Uow, now: Now) -> PauseOut:
    loaded = commands.pause(uow.session, athlete_id, until=body.until, reason=body.reason, now=now)
    out = PauseOut(paused_from=loaded.row.paused_from, paused_until=body.until, reason=body.reason)
    uow.commit()
    return out


@router.delete(
    "/pause",
    response_model=PlanChanged,
    operation_id="resume_plan",
    summary="Resume: the plan adapts to the days off",
)
def resume(athlete_id: AthleteId, uow: Uow, now: Now) -> PlanChanged:
    return _write(uow, lambda s: commands.resume(s, athlete_id, now=now))


# --- notification channels ------------------------------------------------------------------------------


@router.put(
    "/notifications",
    response_model=NotificationsOut,
    operation_id="set_notification_channels",
    summary="Set the athlete's direct notification channels (apprise URLs: ntfy, e-mail, Telegram, ...)",
)
def set_notifications(athlete_id: AthleteId, body: NotificationsIn, uow: Uow, c: Deps) -> NotificationsOut:
    athlete = _athlete_or_404(uow, athlete_id)
    refused: dict[int, str] = {}
    for position, url in enumerate(body.urls):
        try:
            check_channel_url(url, allow_private=c.settings.notify_allow_private_targets)
        except ChannelRefused as why:
            refused[position] = str(why)
    if refused:
        # The URLs may carry credentials: name their positions and the reason, never echo them.
        reasons = "; ".join(f"[{position}] {why}" for position, why in refused.items())
        raise ApiError(
            422, f"notification URLs refused at positions {list(refused)}: {reasons}", code="channel_refused"
        )
    urls = list(dict.fromkeys(body.urls))
    # Stored encrypted with the token key(s), like OAuth tokens: the URLs often embed passwords.
    athlete.notification_urls = [c.cipher.encrypt(url) for url in urls]
    uow.commit()
    return NotificationsOut(channels=[_channel_name(url) for url in urls])


@router.get(
    "/notifications",
    response_model=NotificationsOut,
    operation_id="get_notification_channels",
    summary="The athlete's notification channels",
)
def get_notifications(athlete_id: AthleteId, uow: Uow, c: Deps) -> NotificationsOut:
    athlete = _athlete_or_404(uow, athlete_id)
    return NotificationsOut(
        channels=[_stored_channel_name(c.cipher, stored) for stored in athlete.notification_urls or []]
    )


def _athlete_or_404(uow: UnitOfWork, athlete_id: int) -> Athlete:
    athlete = plan_repository.get_athlete(uow.session, athlete_id)
    if athlete is None:
        raise ApiError(404, "unknown athlete")
    return athlete


def _channel_name(url: str) -> str:
    """Shown instead of the URL, which can hold a password or a token: the scheme and a digest."""
    return f"{url.split('://', 1)[0]}:{hashlib.sha256(url.encode()).hexdigest()[:10]}"


def _stored_channel_name(cipher: ChannelCipher, stored: str) -> str:
    try:
        return _channel_name(cipher.decrypt(stored))
    except RuntimeError:  # no configured key opens it: shown as such, and the worker gives it up
        return f"undecryptable:{hashlib.sha256(stored.encode()).hexdigest()[:10]}"
