"""The HTTP API process: Strava webhooks, OAuth connect, the internal plan API, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route

from composition.root import Container
from runsmart.gc_tuning import freeze_startup_objects
from webhooks import (
    activities_api,
    athletes_api,
    connectors_api,
    errors,
    ical,
    oauth,
    plan_page,
    plans_api,
    preferences_api,
    strava,
    workout_files,
)
from webhooks.health import Probe, readiness
from webhooks.metrics import caller_allowed as metrics_caller_allowed
from webhooks.metrics import render as render_metrics
from workers.runtime import container

log = logging.getLogger(__name__)


def _broker_reachable() -> bool:
    from workers.celery_app import app as celery_app

    try:
        with celery_app.connection_for_write() as conn:
            # One attempt; the broker's socket timeouts (workers/celery_app.py) end a hung one.
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # any failure to reach the broker is "unhealthy", whatever its type
        return False
    return True


def create_app(
    get_container: Callable[[], Container] = container,
    enqueue: Callable[[int], bool] | None = None,
    start_backfill: Callable[[int], bool] | None = None,
    broker_check: Callable[[], bool] = _broker_reachable,
    api_docs: bool | None = None,
) -> Starlette:
    """`api_docs`: serve /docs, /redoc and /openapi.json; None follows the settings (`api_docs_enabled`)."""
    publish: Callable[[list[int]], bool]
    if enqueue is None:
        from workers.enqueue import enqueue_event, publish_events

        enqueue, publish = enqueue_event, publish_events
    else:
        one = enqueue

        def publish(ids: list[int]) -> bool:
            return all([one(event_id) for event_id in ids])

    if start_backfill is None:
        from workers.enqueue import send

        def start_backfill(athlete_id: int) -> bool:
            return send("backfill.page", athlete_id, queue="strava_bulk")

    webhook = strava.make_router(get_container, publish)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        freeze_startup_objects()
        yield
        if not await webhook.drain():
            log.warning("inbox.publish_unfinished_at_shutdown")

    # The interactive docs and the spec are a map of the API: served only where the setting allows (not in
    # production by default).
    docs = get_container().settings.serves_api_docs if api_docs is None else api_docs
    app = FastAPI(
        title="RunSmart Sync",
        version="0.1.0",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        # Operation ids are the API's contract with generated clients: the routes name theirs (`operation_id=`),
        # and any route that does not is named by its function, never by FastAPI's path-derived default.
        generate_unique_id_function=_operation_id,
    )
    app.state.get_container = get_container  # what the routers' dependencies read (webhooks/api_deps.py)
    app.state.connect_flow = oauth.ConnectFlow(get_container, enqueue, start_backfill)
    errors.install(app)  # every error answered as a problem (docs/api.md, Errors)
    app.include_router(webhook.router)
    app.include_router(oauth.router)
    # The internal API for the RunSmart app (docs/api.md); OpenAPI docs at /docs where enabled.
    app.include_router(plans_api.router)
    app.include_router(activities_api.router)  # watch files, merged with Strava's runs (docs/sources.md)
    app.include_router(athletes_api.router)  # athletes without Strava (docs/sources.md#file-only-athletes)
    app.include_router(preferences_api.router)  # the athlete's units (messages/)
    # The athlete's training calendar feed (docs/notifications.md).
    app.include_router(ical.router)
    # The athlete's read-only plan page at a secret link, and its link's API (docs/api.md).
    app.include_router(plan_page.router)
    # Planned workouts as FIT files for the watch, linked from the calendar (docs/workouts.md).
    app.include_router(workout_files.router)
    # The athlete's intervals.icu calendar, kept in step with their upcoming workouts (docs/connectors.md).
    app.include_router(connectors_api.router)

    _add_health_routes(app, get_container, broker_check)

    # Strava's event POSTs, the one hot path, go straight to their handler: FastAPI's routing and middleware
    # stack cost ~0.12 ms per request, a fifth of the intake's CPU (bench/intake.py). The same handler is
    # documented and reachable in `app`; everything else is served by `app`. Its errors are problems as well:
    # the handler runs only for a refused event, so the accepted path pays nothing for it.
    return Starlette(
        routes=[
            Route("/webhooks/strava", webhook.receive, methods=["POST"]),
            Mount("", app=app),
        ],
        exception_handlers={HTTPException: errors.http_error},
        lifespan=lifespan,
    )


def _add_health_routes(
    app: FastAPI, get_container: Callable[[], Container], broker_check: Callable[[], bool]
) -> None:
    database_probe = Probe("database", lambda: _database_reachable(get_container()))
    broker_probe = Probe("broker", broker_check)

    @app.get("/livez", operation_id="livez")
    async def livez() -> JSONResponse:
        """Liveness: the process answers. Touches nothing, so a dependency's outage never restarts the API."""
        return JSONResponse({"status": "alive"})

    @app.get("/readyz", operation_id="readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 200 while events can be stored ("ready", or "degraded" when the broker does not answer:
        events are stored and wait for it); 503 when the database cannot be reached. Within one second."""
        return await readiness(database_probe, broker_probe)

    @app.get("/healthz", operation_id="healthz")
    async def healthz() -> JSONResponse:
        """Readiness, under the name existing callers poll (docs/api.md "Health")."""
        return await readiness(database_probe, broker_probe)

    @app.get("/metrics", operation_id="metrics")
    def metrics(request: Request) -> Response:
        # Every API process's counters, then the database and Redis gauges read now (webhooks/metrics.py).
        # In production only a caller with an API key may read them: the budget and connection counts would
        # tell anyone who uses the service (docs/security.md, "Operators' numbers").
        if not metrics_caller_allowed(get_container().settings, request.headers.get("authorization", "")):
            return Response(
                "metrics need an API key", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return Response(render_metrics(get_container), media_type=CONTENT_TYPE_LATEST)


def _operation_id(route: APIRoute) -> str:
    return route.name


def _database_reachable(c: Container) -> bool:
    try:
        with c.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "unhealthy", whatever its type
        return False
    return True
