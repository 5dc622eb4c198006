"""A local stand-in for intervals.icu's calendar API, for tests and the demo (docs/connectors.md#the-stand-in).

It follows the published API as far as the connector uses it, and never talks to intervals.icu:

* HTTP Basic auth with the literal user name ``API_KEY`` and the athlete's API key as the password; a missing
  or wrong key is answered 401, a key used for another athlete's calendar 403 (``0`` names the key's own
  athlete);
* ``POST /api/v1/athlete/{id}/events/bulk?upsert=true``: a JSON array of events; with ``upsert`` an event whose
  ``external_id`` matches one created through the same key is updated, any other is created; the answer is the
  events as stored;
* ``PUT /api/v1/athlete/{id}/events/bulk-delete``: a JSON array of ``{"external_id": …}`` or ``{"id": …}``;
  events that do not exist are ignored; the answer is ``{"eventsDeleted": n}``;
* ``GET /api/v1/athlete/{id}/events?oldest=&newest=&category=``: the calendar, oldest first.

A WORKOUT event's ``description`` is read as intervals.icu's workout text (simulator/icu_workout_doc.py) into
its ``workout_doc``. Events live in memory. ``/_icu/…`` drives it: register an athlete and their key, list what
arrived, queue faults (a status for the next requests, with an optional Retry-After) and read the request log.
simulator/intervals_icu_serve.py serves it from a thread (tests, the demo) or as a process.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from simulator import icu_workout_doc

API_USER = "API_KEY"  # intervals.icu's user name for personal API keys
CATEGORIES = frozenset(
    {"WORKOUT", "NOTE", "RACE_A", "RACE_B", "RACE_C", "TARGET", "HOLIDAY", "SICK", "INJURED"}
)

JsonObject = dict[str, Any]


@dataclass
class Fault:
    """The next `remaining` API requests (whose path ends with `on`, when given) are answered `status`."""

    status: int
    remaining: int
    retry_after: int | None = None
    on: str = ""


@dataclass
class IcuWorld:
    """The stand-in's state: athletes and their keys, each athlete's calendar, queued faults, the request log."""

    keys: dict[str, str] = field(default_factory=dict)  # athlete id -> API key
    events: dict[str, dict[int, JsonObject]] = field(default_factory=dict)  # athlete id -> event id -> event
    faults: list[Fault] = field(default_factory=list)
    requests: list[JsonObject] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def add_athlete(self, athlete_id: str, api_key: str) -> None:
        with self.lock:
            self.keys[athlete_id] = api_key
            self.events.setdefault(athlete_id, {})

    def calendar(self, athlete_id: str) -> list[JsonObject]:
        """The athlete's events, by day then id."""
        with self.lock:
            found = list(self.events.get(athlete_id, {}).values())
        return sorted(found, key=lambda e: (e["start_date_local"], e["id"]))

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            fault = next((f for f in self.faults if path.endswith(f.on)), None)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
            return fault

    def upsert(
        self, athlete_id: str, caller: str, given: list[JsonObject], *, upsert: bool
    ) -> list[JsonObject]:
        stored = []
        with self.lock:
            calendar = self.events.setdefault(athlete_id, {})
            for event in given:
                existing = _by_external_id(calendar, caller, event.get("external_id")) if upsert else None
                stored.append(_store(calendar, existing, event, caller, next(self._ids)))
        return stored

    def delete(self, athlete_id: str, caller: str, doomed: list[JsonObject]) -> int:
        deleted = 0
        with self.lock:
            calendar = self.events.setdefault(athlete_id, {})
            for item in doomed:
                if item.get("external_id"):
                    found = _by_external_id(calendar, caller, str(item["external_id"]))
                    event_id = found["id"] if found else None
                else:
                    event_id = item.get("id")
                if event_id in calendar:
                    del calendar[event_id]
                    deleted += 1
        return deleted


def _by_external_id(calendar: dict[int, JsonObject], caller: str, external_id: object) -> JsonObject | None:
    """External ids are matched only against events created by the same application (here: the same key)."""
    if not external_id:
        return None
    return next(
        (e for e in calendar.values() if e.get("external_id") == external_id and e["_created_by"] == caller),
        None,
    )


def _store(
    calendar: dict[int, JsonObject], existing: JsonObject | None, event: JsonObject, caller: str, new_id: int
) -> JsonObject:
    event_id = existing["id"] if existing else new_id
    stored = {**event, "id": event_id, "_created_by": caller}
    if event.get("category") == "WORKOUT" and event.get("description"):
        stored["workout_doc"] = icu_workout_doc.parse(str(event["description"])).as_dict()
    calendar[event_id] = stored
    return stored


def public(event: JsonObject) -> JsonObject:
    return {k: v for k, v in event.items() if not k.startswith("_")}


# --- HTTP -------------------------------------------------------------------------------------------------


class IcuError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _world(request: Request) -> IcuWorld:
    world: IcuWorld = request.app.state.world
    return world


def _caller(request: Request, athlete_id: str) -> tuple[str, str]:
    """(the calendar's athlete, the key that called) or IcuError: 401 without a valid key, 403 for a calendar
    the key does not own. A queued fault answers first, as a failing service would."""
    world = _world(request)
    world.requests.append({"method": request.method, "path": request.url.path})
    fault = world.take_fault(request.url.path)
    if fault is not None:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        raise IcuError(fault.status, "fault injected by the stand-in", headers)
    user, _, key = _basic_credentials(request.headers.get("authorization", ""))
    owner = next((a for a, k in world.keys.items() if k == key), None) if user == API_USER and key else None
    if owner is None:
        raise IcuError(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="intervals.icu"'})
    if athlete_id not in ("0", owner):
        raise IcuError(403, "Access denied")
    return owner, key


def _basic_credentials(header: str) -> tuple[str, str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", "", ""
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", "", ""


def _check_event(event: Any) -> JsonObject:
    if not isinstance(event, dict):
        raise IcuError(400, "each event must be a JSON object")
    if event.get("category") not in CATEGORIES:
        raise IcuError(400, f"unknown category {event.get('category')!r}")
    try:
        datetime.fromisoformat(str(event.get("start_date_local")))
    except ValueError:
        raise IcuError(400, "start_date_local must be an ISO-8601 local date-time") from None
    return event


router = APIRouter(prefix="/api/v1/athlete/{athlete_id}")


@router.post("/events/bulk")
def create_multiple_events(
    athlete_id: str, request: Request, body: list[Any] = Body(...), upsert: bool = False
) -> list[JsonObject]:
    owner, key = _caller(request, athlete_id)
    events = [_check_event(e) for e in body]
    return [public(e) for e in _world(request).upsert(owner, key, events, upsert=upsert)]


@router.put("/events/bulk-delete")
def delete_events_bulk(athlete_id: str, request: Request, body: list[Any] = Body(...)) -> JsonObject:
    owner, key = _caller(request, athlete_id)
    if not all(isinstance(item, dict) for item in body):
        raise IcuError(400, "each item must be a JSON object")
    return {"eventsDeleted": _world(request).delete(owner, key, body)}


@router.get("/events")
def list_events(
    athlete_id: str,
    request: Request,
    oldest: date | None = None,
    newest: date | None = None,
    category: str = "",
) -> list[JsonObject]:
    owner, _ = _caller(request, athlete_id)
    wanted = {c.strip() for c in category.split(",") if c.strip()}
    found = []
    for event in _world(request).calendar(owner):
        day = datetime.fromisoformat(event["start_date_local"]).date()
        if (
            (oldest and day < oldest)
            or (newest and day > newest)
            or (wanted and event["category"] not in wanted)
        ):
            continue
        found.append(public(event))
    return found


class AthleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    athlete_id: str
    api_key: str


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int
    times: int = 1
    retry_after: int | None = None
    on: str = ""


admin = APIRouter(prefix="/_icu")


@admin.get("/health")
def health() -> JsonObject:
    return {"ok": True}


@admin.post("/athletes")
def add_athlete(body: AthleteIn, request: Request) -> JsonObject:
    _world(request).add_athlete(body.athlete_id, body.api_key)
    return {"athlete_id": body.athlete_id}


@admin.get("/events")
def all_events(athlete_id: str, request: Request) -> list[JsonObject]:
    return [public(e) for e in _world(request).calendar(athlete_id)]


@admin.post("/faults")
def add_fault(body: FaultIn, request: Request) -> JsonObject:
    world = _world(request)
    with world.lock:
        world.faults.append(Fault(body.status, body.times, body.retry_after, body.on))
    return {"queued": len(world.faults)}


@admin.get("/requests")
def request_log(request: Request) -> list[JsonObject]:
    return list(_world(request).requests)


def create_app(world: IcuWorld | None = None) -> FastAPI:
    app = FastAPI(title="intervals.icu stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.world = world or IcuWorld()
    app.include_router(router)
    app.include_router(admin)
    app.add_exception_handler(IcuError, icu_error)
    return app


async def icu_error(_: Request, error: Exception) -> Response:
    """intervals.icu's error body: the status and one line."""
    assert isinstance(error, IcuError)  # registered for IcuError only
    body = {"status": error.status, "error": error.message}
    return JSONResponse(body, status_code=error.status, headers=error.headers)
