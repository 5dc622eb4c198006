"""Strava's push subscription callback: the handshake and the event intake.

Intake is verify -> persist -> commit -> 200 -> enqueue, nothing else, well inside Strava's 2 s (docs/strava.md, "Webhooks").
Events are unsigned (§1.6): the subscription id is the only check possible here; the worker re-fetches
everything with the owner's token and confirms deauthorizations before acting. An event for another
subscription is answered like any other malformed event (422), and a source that sends many invalid events
is slowed down (webhooks/intake_guard.py).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from composition.root import Container
from runsmart.settings import Settings
from store import repository
from store.db import UnitOfWork
from webhooks.intake import GroupCommitter
from webhooks.intake_guard import InvalidEventThrottle, source_key
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


# A Strava event nests two levels deep ({"updates": {...}}); past this a body is refused before it is parsed.
# Not left to the parser: its limit is the interpreter's recursion limit, which other code may raise.
MAX_JSON_DEPTH = 32
# A string (to its closing quote, or to the end of an unterminated one: never a failed match to retry from the
# next quote, which made `"\"\"\"...` quadratic) or a bracket. Possessive: no backtracking.
_JSON_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.?)*+"?|[\[\]{}]')


def _too_deep(body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:  # the hot path: no scan needed
        return False
    depth = 0
    for token in _JSON_STRING_OR_BRACKET.finditer(body):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_event(body: bytes) -> StravaEventIn:
    if _too_deep(body):
        raise HTTPException(400, f"event body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        # NaN and Infinity are not JSON (RFC 8259 §6), although Python's parser takes them.
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "event body is not valid JSON") from None
    except RecursionError:  # a backstop: _too_deep refuses such a body first
        raise HTTPException(400, f"event body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "event body must be a JSON object")
    try:
        return StravaEventIn.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{_location(err['loc'])}: {err['msg']}" for err in error.errors())
        raise HTTPException(422, f"not a Strava event: {problems[:500]}") from None


def _location(loc: tuple[int | str, ...]) -> str:
    # Keys come from the sender: escaped and shortened, so the error stays one readable line.
    return ".".join(ascii(part)[1:-1][:40] if isinstance(part, str) else str(part) for part in loc) or "body"


def is_database_unavailable(error: Exception) -> bool:
    """The database itself failed (unreachable, connection lost, pool exhausted): Strava should retry."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def is_row_refused(error: Exception) -> bool:
    """The database refused a value: retrying the same event can never succeed."""
    return isinstance(error, DataError | IntegrityError)


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
        lambda rows: _store(container(), rows),
        publish,
        on_publish_failed=ENQUEUE_FAILURES.inc,
        # Splitting a batch helps when one row was refused, never when the database is down.
        splittable=lambda error: not is_database_unavailable(error),
    )
    throttles: dict[tuple[int, float], InvalidEventThrottle] = {}

    def throttle_for(settings: Settings) -> InvalidEventThrottle:
        key = (settings.intake_invalid_burst, settings.intake_invalid_refill_s)
        if key not in throttles:
            throttles[key] = InvalidEventThrottle(burst=key[0], refill_every_s=key[1])
        return throttles[key]

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

    @router.post(
        "/webhooks/strava",
        response_model=Ack,
        responses={
            400: {"description": "not JSON, or not a JSON object"},
            413: {"description": "body larger than the configured limit"},
            422: {"description": "not a Strava event for this application's subscription"},
            429: {"description": "too many invalid events from this address; see Retry-After"},
            503: {"description": "the event store is unavailable; retry"},
        },
    )
    async def receive(request: Request) -> Response:
        started = time.perf_counter()
        settings = container().settings
        throttle = throttle_for(settings)
        source = source_key(request.client.host if request.client else None)
        wait_s = throttle.retry_after(source)
        if wait_s is not None:  # before the body is read: a penalised source learns nothing from its guess
            WEBHOOK_EVENTS.labels(outcome="throttled").inc()
            raise HTTPException(
                429, "too many invalid events from this address", headers={"Retry-After": str(wait_s)}
            )
        try:
            event = await read_event(request, settings)
        except HTTPException as error:
            WEBHOOK_EVENTS.labels(outcome=f"rejected_{error.status_code}").inc()
            if error.status_code != 404:  # 404: our configuration is missing, not the sender's fault
                throttle.charge(source)
            raise
        values: dict[str, Any] = event.model_dump()
        values["received_at"] = datetime.now(UTC)
        try:
            event_id = await committer.submit(values)
        except Exception as error:
            answer = _storage_failure(error)
            if answer is None:
                raise  # a bug, not the event's fault nor the database's: a 500, logged by the server
            raise answer from None
        throttle.vouch(source)  # it knows our subscription id: nothing left for it to guess
        outcome = "accepted" if event_id is not None else "duplicate"
        WEBHOOK_EVENTS.labels(outcome=outcome).inc()
        WEBHOOK_LATENCY.observe(time.perf_counter() - started)
        return Response(_ACKS[outcome], media_type="application/json")

    return StravaWebhook(router, receive, committer.drain)


async def read_event(request: Request, settings: Settings) -> StravaEventIn:
    body = await read_capped_body(request, settings.max_event_bytes)
    event = parse_event(body)
    expected = settings.strava_subscription_id
    if expected is None:
        raise HTTPException(404, "webhook subscription is not configured")
    if event.subscription_id != expected:
        # The same status as any other malformed event: 403 against 200 told a guesser more than it should.
        raise HTTPException(422, "not a Strava event: subscription_id: not this application's subscription")
    return event


def _storage_failure(error: Exception) -> HTTPException | None:
    """The answer for an event that was not stored: Strava retries a non-200 (up to 3 attempts in all)."""
    if is_database_unavailable(error):
        WEBHOOK_EVENTS.labels(outcome="unavailable").inc()
        return HTTPException(503, "event store unavailable, retry later")
    if is_row_refused(error):
        # Validation should have refused it (webhooks/schemas.py): worth a look, but the sender gets a 4xx,
        # and the other events of its batch were stored (webhooks/intake.py).
        WEBHOOK_EVENTS.labels(outcome="refused").inc()
        log.warning(
            "inbox.event_refused_by_database", extra={"error": type(error.__cause__ or error).__name__}
        )
        return HTTPException(422, "not a Strava event: the event store refused one of its values")
    return None


_ACKS = {status: Ack(status=status).model_dump_json().encode() for status in ("accepted", "duplicate")}


def _store(c: Container, rows: list[dict[str, Any]]) -> list[int | None]:
    with UnitOfWork(c.sessions) as uow:
        ids = repository.insert_events_if_new(uow.session, rows)
        uow.commit()
    return ids
