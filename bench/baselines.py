"""Baselines for the intake benchmark, served by uvicorn exactly like the real API.

- `bare`: an ASGI callable that reads the body and answers 200 — the ceiling of this machine and server.
- `naive`: the straightforward FastAPI handler — parse, one PostgreSQL INSERT and COMMIT, one Redis push — per
  request, with a connection pool; what one would write first.
"""

from __future__ import annotations

import json
import os
from typing import Any

import redis
from fastapi import FastAPI
from sqlalchemy import text

from store.db import make_engine


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"status":"accepted"}'})


def naive() -> FastAPI:
    engine = make_engine(os.environ["RUNSMART_DATABASE_URL"])
    queue = redis.Redis.from_url(os.environ["RUNSMART_REDIS_URL"])
    app = FastAPI()

    @app.post("/webhooks/strava")
    def receive(event: dict[str, Any]) -> dict[str, str]:
        with engine.begin() as conn:
            event_id = conn.execute(
                text(
                    "INSERT INTO strava_events (source, subscription_id, object_type, object_id, aspect_type, "
                    "owner_id, event_time, updates, updates_digest, received_at, status, attempts) VALUES "
                    "('webhook', :subscription_id, :object_type, :object_id, :aspect_type, :owner_id, :event_time, "
                    "CAST(:updates AS jsonb), '', now(), 'pending', 0) ON CONFLICT DO NOTHING RETURNING id"
                ),
                {**event, "updates": json.dumps(event.get("updates", {}))},
            ).scalar()
        if event_id is not None:
            queue.lpush("naive-events", event_id)
        return {"status": "accepted"}

    return app
