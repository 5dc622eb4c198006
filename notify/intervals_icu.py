"""intervals.icu's calendar API, as the connector uses it (docs/connectors.md#intervalsicu-api), and the event a
planned workout becomes there.

* Auth: HTTP Basic, the literal user name ``API_KEY`` and the athlete's personal API key as the password.
* Create or update: ``POST /api/v1/athlete/{id}/events/bulk?upsert=true`` with a JSON array of events; an event
  whose ``external_id`` matches one we created is updated, any other is created.
* Delete: ``PUT /api/v1/athlete/{id}/events/bulk-delete`` with ``[{"external_id": …}, …]``; events that do
  not exist are ignored, so a repeated delete is harmless.

Every answer is classified (`CallOutcome`); nothing returned or logged ever holds the key, a request header or
the service's answer body. Every request has a timeout and follows no redirect, so the key is only ever sent
to the configured origin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import requests

import planner
from notify.channels import MAX_RETRY_AFTER_S, RETRYABLE_STATUS
from planner.icu_workout_text import workout_text
from planner.workout_steps import title

API_USER = "API_KEY"  # intervals.icu's user name for personal API keys
EXTERNAL_ID_PREFIX = "runsmart"
# Answers that say the key or the athlete id is wrong: retrying cannot help, the athlete must set them again.
NEEDS_ATTENTION_STATUS = frozenset({401, 403, 404})


class CallOutcome(StrEnum):
    OK = "ok"
    NEEDS_ATTENTION = "needs_attention"  # the key or the athlete id was refused (401, 403, 404)
    RETRY = "retry"  # 408, 425, 429, 5xx, a timeout or a connection error: worth another attempt later
    FAILED = "failed"  # any other answer: retried like any failure, then left as a dead letter to look at


@dataclass(frozen=True)
class Answer:
    outcome: CallOutcome
    error: str | None = None  # one line for the outbox row; never the key nor the service's body
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is CallOutcome.OK

    @property
    def needs_attention(self) -> bool:
        return self.outcome is CallOutcome.NEEDS_ATTENTION


class IntervalsIcuClient:
    """The two calls the connector makes. `base_url` is an operator's setting (RUNSMART_INTERVALS_ICU_BASE_URL),
    never an athlete's input, so no request can be pointed into our own network."""

    def __init__(self, base_url: str, *, timeout_s: float, session: requests.Session | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._http = session or requests.Session()

    def __repr__(self) -> str:  # a traceback never shows a session holding credentials
        return "IntervalsIcuClient(<configured>)"

    def upsert(self, athlete: str, key: str, events: Sequence[dict[str, Any]]) -> Answer:
        path = f"/api/v1/athlete/{quote(athlete, safe='')}/events/bulk"
        return self._call("POST", path, key, body=list(events), params={"upsert": "true"})

    def delete(self, athlete: str, key: str, external_ids: Sequence[str]) -> Answer:
        path = f"/api/v1/athlete/{quote(athlete, safe='')}/events/bulk-delete"
        return self._call("PUT", path, key, body=[{"external_id": e} for e in external_ids])

    def _call(
        self, method: str, path: str, key: str, *, body: Any, params: dict[str, str] | None = None
    ) -> Answer:
        try:
            response = self._http.request(
                method,
                self._base + path,
                params=params,
                json=body,
                auth=(API_USER, key),
                headers={"accept": "application/json", "user-agent": "RunSmart/1"},
                timeout=self._timeout_s,
                allow_redirects=False,
            )
        except requests.Timeout:
            return Answer(CallOutcome.RETRY, "intervals.icu: timeout")
        except requests.ConnectionError:
            return Answer(CallOutcome.RETRY, "intervals.icu: connection error")
        except requests.RequestException as error:  # its text may quote the request: only its type is kept
            return Answer(CallOutcome.RETRY, f"intervals.icu: request error ({type(error).__name__})")
        return classify(response.status_code, response.headers.get("retry-after"))


def classify(status: int, retry_after: str | None = None) -> Answer:
    if 200 <= status < 300:
        return Answer(CallOutcome.OK)
    if status in NEEDS_ATTENTION_STATUS:
        what = "does not know the athlete" if status == 404 else "refused the API key or the athlete id"
        return Answer(CallOutcome.NEEDS_ATTENTION, f"intervals.icu {what} (HTTP {status})")
    if status in RETRYABLE_STATUS or status >= 500:
        return Answer(CallOutcome.RETRY, f"intervals.icu: HTTP {status} (retryable)", _seconds(retry_after))
    return Answer(CallOutcome.FAILED, f"intervals.icu: HTTP {status} (refused)")


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds, bounded like the app webhook's (an HTTP date is not honoured: backoff instead)."""
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None


# --- a planned workout as an intervals.icu event -------------------------------------------------------------


def external_id(plan_id: int, workout_id: str) -> str:
    """Our id for the workout there: workout ids are unique only within one plan (store/plan_models.py)."""
    return f"{EXTERNAL_ID_PREFIX}-{plan_id}-{workout_id}"


def event_for(w: planner.Workout, *, plan_id: int, easy_pace: tuple[float, float] | None) -> dict[str, Any]:
    """The calendar event of a run: a WORKOUT of type Run on its day, its steps in the description."""
    return {
        "external_id": external_id(plan_id, w.id),
        "category": "WORKOUT",
        "type": "Run",
        "start_date_local": f"{w.date.isoformat()}T00:00:00",
        "name": title(w),
        "description": workout_text(w, easy_pace),
        "moving_time": round(w.duration_s),
        "distance": round(w.distance_m, 1),
    }


def content_hash(event: dict[str, Any]) -> str:
    """A digest of everything sent: an event is sent again exactly when one of its fields changed."""
    return hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
