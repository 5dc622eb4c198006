"""Strava's push subscription callback: the handshake and the event intake.

Intake is verify -> persist -> commit -> enqueue -> 200, nothing else, well inside Strava's 2 s (strava.md §1.4).
Events are unsigned (§1.6): the subscription id is the only check possible here; the worker re-fetches
everything with the owner's token and confirms deauthorizations before acting.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from runsmart.bootstrap import Container
from store import repository
from store.db import UnitOfWork
from webhooks.intake import GroupCommitter
from webhooks.metrics import ENQUEUE_FAILURES, WEBHOOK_EVENTS, WEBHOOK_LATENCY
from webhooks.schemas import Ack, StravaEventIn

log = logging.getLogger(__name__)


async def read_capped_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"event body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"event body larger than {limit} bytes")
    return bytes(body)


def parse_event(body: bytes) -> StravaEventIn:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "event body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "event body must be a JSON object")
    try:
        return StravaEventIn.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in error.errors()
        )
        raise HTTPException(422, f"not a Strava event: {problems}") from None


@dataclass(frozen=True)
class StravaWebhook:
    router: APIRouter  # the handshake and the intake, as documented in the OpenAPI spec
    # The intake itself, which webhooks/app.py also serves ahead of FastAPI's routing and middleware stack.
    receive: Callable[[Request], Awaitable[Response]]
    # Waits for the intake's last publish; the app's shutdown calls it, so a deploy does not leave stored
    # events to the sweeper's five-minute re-drive.
    drain: Callable[[], Awaitable[bool]]


def make_router(container: Callable[[], Container], publish: Callable[[list[int]], bool]) -> StravaWebhook:
    router = APIRouter()
    committer = GroupCommitter(
        lambda rows: _store(container(), rows), publish, on_publish_failed=ENQUEUE_FAILURES.inc
    )

    @router.get("/webhooks/strava")
    def handshake(request: Request) -> JSONResponse:
        settings = container().settings
        expected = settings.strava_verify_token.get_secret_value()
        if not expected:
            raise HTTPException(404, "webhook subscription is not configured")
        params = request.query_params
        given = params.get("hub.verify_token", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(403, "verify token mismatch")
        challenge = params.get("hub.challenge")
        if params.get("hub.mode") != "subscribe" or not challenge:
            raise HTTPException(400, "expected hub.mode=subscribe and a hub.challenge")
        return JSONResponse({"hub.challenge": challenge})

    @router.post("/webhooks/strava", response_model=Ack)
    async def receive(request: Request) -> Response:
        started = time.perf_counter()
        settings = container().settings
        try:
            body = await read_capped_body(request, settings.max_event_bytes)
            event = parse_event(body)
            expected = settings.strava_subscription_id
            if expected is None:
                raise HTTPException(404, "webhook subscription is not configured")
            if event.subscription_id != expected:
                raise HTTPException(403, "unknown subscription_id")
        except HTTPException as error:
            WEBHOOK_EVENTS.labels(outcome=f"rejected_{error.status_code}").inc()
            raise
        values: dict[str, Any] = event.model_dump()
        values["received_at"] = datetime.now(UTC)
        try:
            event_id = await committer.submit(values)
        except OperationalError:
            WEBHOOK_EVENTS.labels(outcome="unavailable").inc()
            # Strava retries a non-200 (up to 3 attempts in all), so a 503 is not a loss by itself.
            raise HTTPException(503, "event store unavailable, retry later") from None
        outcome = "accepted" if event_id is not None else "duplicate"
        WEBHOOK_EVENTS.labels(outcome=outcome).inc()
        WEBHOOK_LATENCY.observe(time.perf_counter() - started)
        return Response(_ACKS[outcome], media_type="application/json")

    return StravaWebhook(router, receive, committer.drain)


_ACKS = {status: Ack(status=status).model_dump_json().encode() for status in ("accepted", "duplicate")}


def _store(c: Container, rows: list[dict[str, Any]]) -> list[int | None]:
    with UnitOfWork(c.sessions) as uow:
        ids = repository.insert_events_if_new(uow.session, rows)
        uow.commit()
    return ids
