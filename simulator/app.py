"""The simulator's HTTP surface: Strava-faithful endpoints plus the ``/_sim`` admin API.

Strava paths are served exactly as Strava spells them (``/oauth/authorize``, ``/oauth/token``, ``/api/v3/...``)
so that stravalib works against the simulator once its ``https://www.strava.com`` prefix is rewritten to the
simulator's base URL.  Error bodies follow docs/strava.md ("Application credentials", "Rate limits").
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import formatdate
from urllib.parse import parse_qs, urlencode

import requests
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from simulator import season
from simulator.admin import admin_router
from simulator.delivery import Deliverer, deauthorization_event
from simulator.deps import DelivererDep, WorldDep, get_world
from simulator.state import AuthCode, FaultKind, FaultRule, JsonObject, StravaActivity, Subscription, World


# ------------------------------------------------------------------------------------------------ bodies
def error_body(message: str, resource: str, field: str, code: str) -> JsonObject:
    """Strava's error body: a message and one error naming the resource, field and code."""
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


AUTH_INVALID = error_body("Authorization Error", "Athlete", "access_token", "invalid")
SCOPE_MISSING = error_body("Authorization Error", "AccessToken", "activity:read_permission", "missing")
REFRESH_INVALID = error_body("Bad Request", "RefreshToken", "refresh_token", "invalid")
CODE_INVALID = error_body("Bad Request", "AuthorizationCode", "code", "invalid")
CLIENT_ID_INVALID = error_body("Bad Request", "Application", "client_id", "invalid")
# A wrong or rotated client secret names the Application, with an empty field (docs/simulator.md).
CLIENT_SECRET_INVALID = error_body("Authorization Error", "Application", "", "invalid")
# Strava's authorization page once the application serves as many athletes as its tier allows
# (docs/simulator.md, "Athlete capacity"): a 403 page for the athlete's browser, not an API error body.
ATHLETE_CAPACITY_PAGE = (
    "<html><body><h1>Error 403: Limit of connected athletes exceeded</h1>"
    "<p>This app has exceeded the limit of connected athletes.</p></body></html>"
)
SUB_NOT_VERIFIABLE = error_body("Bad Request", "PushSubscription", "callback url", "not verifiable")
SUB_EXISTS = error_body("Bad Request", "PushSubscription", "", "already exists")


def not_found(resource: str) -> JsonObject:
    return error_body("Resource Not Found", resource, "", "not found")


def rate_limit_body(field: str) -> JsonObject:
    return error_body("Rate Limit Exceeded", "Application", field, "exceeded")


def bad_request(field: str, resource: str = "Application") -> JsonObject:
    return error_body("Bad Request", resource, field, "invalid")


FAULT_MESSAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    429: "Rate Limit Exceeded",
}


class StravaError(Exception):
    def __init__(self, status: int, body: JsonObject) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


_ID = re.compile(r"/\d+(?=/|$)")
TOKEN_PATHS = frozenset({"/oauth/token", "/api/v3/oauth/token"})


def endpoint_key(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/{id}', path)}"


async def form_params(request: Request) -> dict[str, str]:
    """Form body (urlencoded) merged over query params; python-multipart is not needed."""
    params = {k: v for k, v in request.query_params.items()}
    raw = await request.body()
    if raw and "application/json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw)
            params.update({k: str(v) for k, v in data.items()})
        except ValueError:
            pass
    elif raw:
        for key, values in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items():
            params[key] = values[-1]
    return params


def parse_scope(text: str | None) -> frozenset[str]:
    return frozenset(s.strip() for s in (text or "").replace(" ", ",").split(",") if s.strip())


def scope_text(scope: frozenset[str]) -> str:
    order = [
        "read",
        "read_all",
        "profile:read_all",
        "profile:write",
        "activity:read",
        "activity:read_all",
        "activity:write",
    ]
    known = [s for s in order if s in scope]
    return ",".join(known + sorted(scope - set(order)))


# ------------------------------------------------------------------------------------------------ the app
def create_app(world: World | None = None, deliverer: Deliverer | None = None) -> FastAPI:
    """Build the simulator app around ``world`` (a fresh, empty one if not given)."""
    world = world or World()
    app = FastAPI(title="Strava API simulator", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json")
    app.state.world = world
    app.state.deliverer = deliverer or Deliverer(world)
    app.add_exception_handler(StravaError, strava_error_response)
    app.add_exception_handler(RequestValidationError, validation_error_response)
    app.middleware("http")(strava_edge)
    app.include_router(oauth_router)
    app.include_router(api_router)
    app.include_router(admin_router)
    return app


async def strava_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StravaError)
    if exc.status == 404 and get_world(request).config.empty_not_found_bodies:
        return Response(status_code=404)  # Strava sometimes answers a 404 with no body at all
    return JSONResponse(exc.body, status_code=exc.status)


async def validation_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [".".join(str(p) for p in e.get("loc", [])[1:]) for e in exc.errors()]
    return JSONResponse(
        {
            "message": "Bad Request",
            "errors": [{"resource": "Application", "field": f, "code": "invalid"} for f in fields],
        },
        status_code=400,
    )


def _fault_response(rule: FaultRule, headers: dict[str, str]) -> JSONResponse:
    body = (
        rate_limit_body("read rate limit")
        if rule.status == 429
        else {"message": FAULT_MESSAGES.get(rule.status, "Error"), "errors": []}
    )
    return JSONResponse(body, status_code=rule.status, headers=headers)


async def strava_edge(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """What Strava does before and after any handler: rate limits, chaos faults, headers, statistics."""
    world = get_world(request)
    path = request.url.path
    method = request.method
    if path.startswith("/_sim"):
        return await call_next(request)
    key = endpoint_key(method, path)
    # Token requests count like any other (docs/simulator.md, "Rate limits"): only the browser's
    # authorize page and the deauthorization are left out.
    counted = path in TOKEN_PATHS or (path.startswith("/api/v3/") and not path.startswith("/api/v3/oauth/"))
    headers: dict[str, str] = {"Date": formatdate(world.now(), usegmt=True)}
    if counted:
        exceeded, headers = world.count_request()
        if exceeded:
            world.record(key, 429, None)
            return JSONResponse(rate_limit_body(exceeded), status_code=429, headers=headers)
    rule = world.match_fault(method, path)
    if rule is not None:
        if rule.kind is not FaultKind.DELAY:
            world.record(key, rule.status, None)
            return _fault_response(rule, headers)
        await asyncio.sleep(rule.delay)
    response = await call_next(request)
    response.headers.update(headers)
    world.record(key, response.status_code, getattr(request.state, "athlete_id", None))
    return response


# ------------------------------------------------------------------------------------------------ helpers
def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("access_token", "")


def authenticate(
    request: Request, world: World, need_activity_scope: bool = False
) -> tuple[int, frozenset[str]]:
    tok = world.check_access(bearer_token(request))
    if tok is None:
        raise StravaError(401, AUTH_INVALID)
    request.state.athlete_id = tok.athlete_id
    if need_activity_scope and not ({"activity:read", "activity:read_all"} & tok.scope):
        raise StravaError(401, SCOPE_MISSING)
    return tok.athlete_id, tok.scope


def _hidden_by_scope(activity: StravaActivity, scope: frozenset[str]) -> bool:
    return bool(activity.get("private")) and "activity:read_all" not in scope


def visible_activity(
    world: World, activity_id: int, athlete_id: int, scope: frozenset[str]
) -> StravaActivity:
    with world.lock:
        act = world.activities.get(activity_id)
        if act is None or act["athlete"]["id"] != athlete_id or _hidden_by_scope(act, scope):
            raise StravaError(404, not_found("Activity"))
        if world.take_not_found(activity_id):
            raise StravaError(404, not_found("Activity"))
        return act


def check_client(world: World, params: dict[str, str]) -> None:
    try:
        client_id = int(params.get("client_id", ""))
    except ValueError:
        raise StravaError(400, CLIENT_ID_INVALID) from None
    if client_id != world.config.client_id:
        raise StravaError(400, CLIENT_ID_INVALID)
    if not secrets.compare_digest(params.get("client_secret", ""), world.config.client_secret):
        raise StravaError(401, CLIENT_SECRET_INVALID)


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(float(raw))
    except ValueError:
        raise StravaError(400, bad_request(name)) from None


def _redirect(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


def _authorizing_athlete(world: World, athlete_param: str | None) -> int:
    """The athlete who logs in on the authorize page: the one asked for, else the first one."""
    if athlete_param:
        athlete_id = int(athlete_param)
        if athlete_id not in world.athletes:
            raise StravaError(404, not_found("Athlete"))
        return athlete_id
    if world.athletes:
        return next(iter(world.athletes))
    raise StravaError(404, not_found("Athlete"))


def _over_capacity(world: World, athlete_id: int) -> bool:
    """True if connecting ``athlete_id`` would exceed the application's athlete capacity."""
    capacity = world.config.athlete_capacity
    connected = world.connected_athletes()
    return capacity is not None and athlete_id not in connected and len(connected) >= capacity


# ------------------------------------------------------------------------------------------------ OAuth
oauth_router = APIRouter()


@oauth_router.get("/oauth/authorize")
@oauth_router.get("/oauth/mobile/authorize")
def authorize(request: Request, world: WorldDep) -> Response:
    q = request.query_params
    try:
        client_id = int(q.get("client_id", ""))
    except ValueError:
        client_id = -1
    if client_id != world.config.client_id:
        raise StravaError(400, CLIENT_ID_INVALID)
    redirect_uri = q.get("redirect_uri")
    if not redirect_uri:
        raise StravaError(400, bad_request("redirect_uri"))
    if q.get("response_type") != "code":
        raise StravaError(400, bad_request("response_type", "Authorize"))
    requested = parse_scope(q.get("scope") or "read")
    out: dict[str, str] = {}
    if q.get("state") is not None:
        out["state"] = q["state"]
    if q.get("deny") in ("1", "true"):
        return _redirect(redirect_uri, out | {"error": "access_denied"})
    with world.lock:
        athlete_id = _authorizing_athlete(world, q.get("athlete_id"))
        if _over_capacity(world, athlete_id):
            # Strava refuses on its own authorization page: the athlete never comes back to the app.
            return HTMLResponse(ATHLETE_CAPACITY_PAGE, status_code=403)
        granted = parse_scope(q["grant_scope"]) if q.get("grant_scope") is not None else requested
        code = AuthCode(secrets.token_hex(20), athlete_id, granted, world.now() + world.config.code_ttl)
        world.codes[code.code] = code
    return _redirect(redirect_uri, out | {"code": code.code, "scope": scope_text(granted)})


def _refresh_grant(request: Request, world: World, params: dict[str, str]) -> JSONResponse:
    result = world.refresh(params.get("refresh_token", ""))
    if result is None:
        raise StravaError(400, REFRESH_INVALID)
    access, grant = result
    request.state.athlete_id = access.athlete_id
    return JSONResponse(
        {
            "token_type": "Bearer",
            "access_token": access.token,
            "expires_at": access.expires_at,
            "expires_in": access.expires_at - int(world.now()),
            "refresh_token": grant.token,
        }
    )


def _code_exchange(request: Request, world: World, params: dict[str, str]) -> JSONResponse:
    with world.lock:
        code = world.codes.get(params.get("code", ""))
        if (
            code is None
            or code.used
            or code.expires_at < world.now()
            or code.athlete_id not in world.athletes
        ):
            raise StravaError(400, CODE_INVALID)
        code.used = True
        access, grant = world.issue_tokens(code.athlete_id, code.scope)
        world.exchanges[code.athlete_id] += 1
        athlete = world.athletes[code.athlete_id].strava_json(summary=True)
    request.state.athlete_id = code.athlete_id
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_at": access.expires_at,
            "expires_in": access.expires_at - int(world.now()),
            "refresh_token": grant.token,
            "access_token": access.token,
            "athlete": athlete,
        }
    )


@oauth_router.post("/oauth/token")
@oauth_router.post("/api/v3/oauth/token")
async def token(request: Request, world: WorldDep) -> JSONResponse:
    params = await form_params(request)
    check_client(world, params)
    grant_type = params.get("grant_type", "authorization_code")
    if grant_type == "refresh_token":
        return _refresh_grant(request, world, params)
    if grant_type != "authorization_code":
        raise StravaError(400, bad_request("grant_type"))
    return _code_exchange(request, world, params)


@oauth_router.post("/oauth/deauthorize")
@oauth_router.post("/api/v3/oauth/deauthorize")
def deauthorize(request: Request, world: WorldDep, deliverer: DelivererDep) -> JSONResponse:
    athlete_id, _ = authenticate(request, world)
    access = request.headers.get("authorization", "")[7:].strip() or request.query_params.get("access_token")
    world.revoke_athlete(athlete_id)
    deliverer.push(deauthorization_event(world, athlete_id))
    return JSONResponse({"access_token": access})


def _basic_auth_client(request: Request, params: dict[str, str]) -> None:
    """Take client_id/secret from HTTP Basic auth where the form does not give them."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return
    try:
        cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return
    params.setdefault("client_id", cid)
    params.setdefault("client_secret", secret)


@oauth_router.post("/oauth/revoke")
async def revoke(request: Request, world: WorldDep, deliverer: DelivererDep) -> Response:
    params = await form_params(request)
    _basic_auth_client(request, params)
    check_client(world, params)
    tok = params.get("token", "")
    with world.lock:
        grant = world.refresh_tokens.get(tok)
        access = world.access_tokens.get(tok)
        athlete_id = grant.athlete_id if grant else access.athlete_id if access else None
        live = (grant is not None and grant.valid) or (access is not None and not access.revoked)
        if athlete_id is not None and live:
            world.revoke_athlete(athlete_id)
    if athlete_id is not None and live:
        deliverer.push(deauthorization_event(world, athlete_id))
    return Response(status_code=200)


# ------------------------------------------------------------------------------------------------ API
api_router = APIRouter(prefix="/api/v3")


@api_router.get("/athlete")
def get_athlete(request: Request, world: WorldDep) -> JSONResponse:
    athlete_id, _ = authenticate(request, world)
    with world.lock:
        return JSONResponse(world.athletes[athlete_id].strava_json())


@api_router.get("/activities/{activity_id}")
def get_activity(activity_id: int, request: Request, world: WorldDep) -> JSONResponse:
    athlete_id, scope = authenticate(request, world, need_activity_scope=True)
    act = visible_activity(world, activity_id, athlete_id, scope)
    return JSONResponse(season.detailed_activity(act))


@api_router.get("/activities/{activity_id}/laps")
def get_laps(activity_id: int, request: Request, world: WorldDep) -> JSONResponse:
    athlete_id, scope = authenticate(request, world, need_activity_scope=True)
    act = visible_activity(world, activity_id, athlete_id, scope)
    page = int_param(request, "page", 1) or 1
    per_page = min(int_param(request, "per_page", 200) or 200, 200)
    laps = act.get("laps", [])
    return JSONResponse(laps[(page - 1) * per_page : page * per_page])


def _start_epoch(activity: StravaActivity) -> float:
    return datetime.strptime(activity["start_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _listed(
    world: World, athlete_id: int, scope: frozenset[str], before: int | None, after: int | None
) -> list[tuple[float, StravaActivity]]:
    """(start, activity) of the athlete's activities the list shows, in Strava's order."""
    items = []
    for act in world.activities.values():
        if act["athlete"]["id"] != athlete_id or _hidden_by_scope(act, scope):
            continue
        ts = _start_epoch(act)
        if before is not None and ts >= before:
            continue
        if after is not None and ts <= after:
            continue
        items.append((ts, act))
    # Strava lists newest first, but oldest first when only `after` is given
    ascending = after is not None and before is None
    items.sort(key=lambda pair: (pair[0], pair[1]["id"]), reverse=not ascending)
    return items


@api_router.get("/athlete/activities")
def list_activities(request: Request, world: WorldDep) -> JSONResponse:
    athlete_id, scope = authenticate(request, world, need_activity_scope=True)
    before = int_param(request, "before")
    after = int_param(request, "after")
    page = int_param(request, "page", 1) or 1
    per_page = int_param(request, "per_page", 30) or 30
    if page < 1 or per_page < 1:
        raise StravaError(400, bad_request("page" if page < 1 else "per_page"))
    per_page = min(per_page, 200)
    if after is not None and after > world.now() + 86400 * 365:
        raise StravaError(400, bad_request("after"))
    with world.lock:
        items = _listed(world, athlete_id, scope, before, after)
        start, size = page_bounds(page, per_page, len(items), world.config.short_pages)
        return JSONResponse([season.summary_activity(a) for _, a in items[start : start + size]])


# ------------------------------------------------------------------------------------------------ subscriptions
@api_router.post("/push_subscriptions")
async def create_subscription(request: Request, world: WorldDep) -> JSONResponse:
    params = await form_params(request)
    check_client(world, params)
    callback_url = params.get("callback_url", "")
    verify_token = params.get("verify_token", "")
    if not callback_url or len(callback_url) > 255:
        raise StravaError(400, bad_request("callback_url", "PushSubscription"))
    with world.lock:
        if world.subscription is not None:
            raise StravaError(400, SUB_EXISTS)
    challenge = secrets.token_hex(16)
    ok = await asyncio.to_thread(
        verify_callback, callback_url, verify_token, challenge, world.config.verify_timeout
    )
    if not ok:
        raise StravaError(400, SUB_NOT_VERIFIABLE)
    with world.lock:
        if world.subscription is not None:
            raise StravaError(400, SUB_EXISTS)
        world.subscription = Subscription(
            world.next_subscription_id, callback_url, verify_token, world.now(), world.config.client_id
        )
        world.next_subscription_id += 1
        return JSONResponse({"id": world.subscription.id})


@api_router.get("/push_subscriptions")
def list_subscriptions(request: Request, world: WorldDep) -> JSONResponse:
    check_client(world, dict(request.query_params))
    with world.lock:
        sub = world.subscription
        page = int_param(request, "page", 1) or 1
        return JSONResponse([subscription_json(sub)] if sub and page == 1 else [])


@api_router.delete("/push_subscriptions/{subscription_id}")
async def delete_subscription(subscription_id: int, request: Request, world: WorldDep) -> Response:
    check_client(world, await form_params(request))
    with world.lock:
        if world.subscription is None or world.subscription.id != subscription_id:
            raise StravaError(404, not_found("PushSubscription"))
        world.subscription = None
    return Response(status_code=204)


def subscription_json(sub: Subscription) -> JsonObject:
    stamp = datetime.fromtimestamp(sub.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": sub.id,
        "resource_state": 2,
        "application_id": sub.application_id,
        "callback_url": sub.callback_url,
        "created_at": stamp,
        "updated_at": stamp,
    }


def verify_callback(callback_url: str, verify_token: str, challenge: str, timeout: float) -> bool:
    """Strava's validation GET: 200 within ``timeout`` echoing ``{"hub.challenge": challenge}`` as JSON."""
    try:
        resp = requests.get(
            callback_url,
            params={"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge},
            timeout=timeout,
        )
        return resp.status_code == 200 and resp.json().get("hub.challenge") == challenge
    except (requests.RequestException, ValueError, AttributeError):
        return False


def page_bounds(page: int, per_page: int, total: int, short_pages: bool) -> tuple[int, int]:
    """(offset, size) of ``page``.  With ``short_pages`` every non-final page holds fewer than ``per_page``
    items (1-3 fewer, deterministic), so only an empty page marks the end."""
    if not short_pages or per_page < 2:
        return (page - 1) * per_page, per_page
    offset = 0
    for k in range(1, page):
        offset += max(1, per_page - 1 - ((k - 1) % 3))
    size = max(1, per_page - 1 - ((page - 1) % 3))
    return offset, size
