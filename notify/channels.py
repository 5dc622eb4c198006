"""Where a notification goes: the app's webhook endpoint and the athlete's own apprise URLs.

Both take the text of a notification and report a classified result. Neither ever puts the URL, the secret
or an exception message (which may quote the URL and its credentials) into the error they return.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from notify.signing import signed_headers

log = logging.getLogger(__name__)
# apprise logs target URLs at debug level; they may carry credentials.
logging.getLogger("apprise").setLevel(logging.WARNING)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class Sent:
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help (an invalid apprise URL); the channel is given up
    retry_after_s: float | None = None


class AppWebhook:
    """POSTs the signed body to the RunSmart app. Every request has a timeout and follows no redirect."""

    def __init__(
        self, url: str, secret: str, *, timeout_s: float, session: requests.Session | None = None
    ) -> None:
        self.url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._http = session or requests.Session()

    def __repr__(self) -> str:  # never show the secret (or a URL with credentials) in a traceback
        return "AppWebhook(<configured>)"

    def send(self, *, msg_id: str, body: str, now: datetime) -> Sent:
        headers = {
            **signed_headers(self._secret, msg_id=msg_id, body=body, now=now),
            "user-agent": "RunSmart/1",
        }
        try:
            response = self._http.post(
                self.url, data=body.encode(), headers=headers, timeout=self._timeout_s, allow_redirects=False
            )
        except requests.Timeout:
            return Sent(False, "timeout")
        except requests.ConnectionError:
            return Sent(False, "connection error")
        except requests.RequestException as error:
            return Sent(False, f"request error ({type(error).__name__})")
        if 200 <= response.status_code < 300:
            return Sent(True)
        retry_after = _retry_after(response.headers.get("retry-after"))
        kind = "retryable" if response.status_code in RETRYABLE_STATUS else "refused"
        return Sent(False, f"HTTP {response.status_code} ({kind})", retry_after_s=retry_after)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return None


def channel_key(url: str) -> str:
    """A stable name for an apprise URL that reveals nothing of it (URLs often embed tokens)."""
    return "apprise:" + hashlib.sha256(url.encode()).hexdigest()[:12]


Notify = Callable[[str, str, str], Sent]


def apprise_send(url: str, title: str, body: str) -> Sent:
    """One apprise URL. apprise's plugins set their own socket connect/read timeouts (4 s by default)."""
    import apprise

    target = apprise.Apprise()
    if not target.add(url):
        return Sent(False, "invalid apprise URL", permanent=True)
    try:
        ok = target.notify(title=title, body=body)
    except Exception as error:  # a plugin's own bug must not kill the delivery of the other channels
        return Sent(False, f"apprise error ({type(error).__name__})")
    return Sent(True) if ok else Sent(False, "apprise: not delivered")


DEFAULT_TITLES = {
    "plan.updated": "Your training plan was updated",
    "workout.matched": "Run matched to your plan",
    "workout.missed": "Missed workout",
    "connection.revoked": "Strava disconnected",
    "connection.needs_reauth": "Reconnect Strava",
    "week.reviewed": "Your week in review",
}


def render_text(event_type: str, payload: dict[str, Any]) -> tuple[str, str]:
    """Title and plain text for a person, from the same reasons the app receives."""
    title = str(payload.get("title") or DEFAULT_TITLES.get(event_type, event_type))
    lines: list[str] = []
    if payload.get("message"):
        lines.append(str(payload["message"]))
    for reason in payload.get("reasons") or ():
        text = reason.get("reason") if isinstance(reason, dict) else reason
        if text and str(text) not in lines:
            lines.append(str(text))
    return title, "\n".join(lines) or title
