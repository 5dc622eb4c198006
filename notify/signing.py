"""Standard Webhooks (standardwebhooks.com) signatures for the app webhook, with the reference package."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from store.db import as_utc


def message_body(*, event_type: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body: the same bytes on every retry (the signature covers the id, the time and these)."""
    envelope = {"type": event_type, "timestamp": _iso(created_at), "data": data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True, default=str)


def signed_headers(secret: str, *, msg_id: str, body: str, now: datetime) -> dict[str, str]:
    """`webhook-id` (our idempotency key), `webhook-timestamp` (this attempt) and `webhook-signature`."""
    now = now.astimezone(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=now, data=body),
    }


def _iso(moment: datetime) -> str:
    return as_utc(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")
