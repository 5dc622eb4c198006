"""Dependencies the API's module-level routers share: the container, the clock, the API key, the unit of work,
and `key_router`, which puts every route of a router behind the API key.

The app built by `webhooks.app.create_app` keeps its container factory in `app.state`; routers reach it through
`container` below, so they are plain module-level objects instead of closures built per app. Tests replace the
clock with `app.dependency_overrides[now]`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from composition.root import Container, plan_clock
from store.db import UnitOfWork
from webhooks.errors import ATHLETE_ROUTE_ERRORS, ApiError

bearer = HTTPBearer(auto_error=False, description="a key from RUNSMART_API_KEYS")


def container(request: Request) -> Container:
    get_container: Callable[[], Container] = request.app.state.get_container
    return get_container()


Deps = Annotated[Container, Depends(container)]


def now(c: Deps) -> datetime:
    return plan_clock(c.settings)()  # real time, but for the demo's story (composition.root.plan_clock)


Now = Annotated[datetime, Depends(now)]


def api_key(c: Deps, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """401 unless the request carries one of RUNSMART_API_KEYS (docs/api.md, Authentication)."""
    given = (credentials.credentials if credentials else "").encode()
    ok = False
    for key in c.settings.api_key_list():  # every key (no early exit), each compared in constant time
        ok |= hmac.compare_digest(given, key.encode())
    if not (credentials and ok):
        raise ApiError(401, "missing or wrong API key", headers={"WWW-Authenticate": "Bearer"})


def unit_of_work(c: Deps) -> Iterator[UnitOfWork]:
    with UnitOfWork(c.sessions) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


def key_router(
    prefix: str, tag: str, errors: dict[int | str, dict[str, Any]] = ATHLETE_ROUTE_ERRORS
) -> APIRouter:
    """A router of the `/api/v1` API: every route behind the API key, declaring ``errors`` (by default those of a
    route that names an athlete: webhooks/errors.py)."""
    return APIRouter(prefix=prefix, tags=[tag], dependencies=[Depends(api_key)], responses=errors)
