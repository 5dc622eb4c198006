"""Where a notification goes: the app's webhook endpoint and the athlete's own apprise URLs.

Both take the text of a notification and report a classified result. Neither ever puts the URL, the secret
or an exception message (which may quote the URL and its credentials) into the error they return.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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


class ChannelCipher(Protocol):
    """Fernet with RUNSMART_TOKEN_KEY (sync/crypto.py's TokenCipher): channel URLs are stored encrypted, as
    OAuth tokens are. `decrypt` raises a RuntimeError when none of the configured keys opens the text."""

    def encrypt(self, plain: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


# --- which channel URLs are accepted (docs/security.md, "Notification channels") -------------------------

MAX_URL_LENGTH = 2048
# Services whose URL names an account, not a host: apprise always posts to the vendor's public API.
FIXED_SERVICE_SCHEMES = frozenset({"tgram", "discord", "slack", "pover", "pbul"})
# Services the athlete may host anywhere: the host in the URL is where the worker connects, so it must be a
# public address (server-side request forgery otherwise: the worker posting into our own network).
SELF_HOSTED_SCHEMES = frozenset(
    {
        "ntfy",
        "ntfys",
        "json",
        "jsons",
        "form",
        "forms",
        "gotify",
        "gotifys",
        "matrix",
        "matrixs",
        "mailto",
        "mailtos",
    }
)
ALLOWED_SCHEMES = FIXED_SERVICE_SCHEMES | SELF_HOSTED_SCHEMES


class ChannelRefused(ValueError):
    """A channel URL we will not use. The text never quotes the URL (it may hold credentials).

    `transient`: the name did not resolve, which at delivery time may be a passing DNS failure.
    """

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.transient = transient


def text_problem(url: str) -> str | None:
    """Text that is not a usable URL at all: too long, not encodable (a lone surrogate), control characters."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode text"
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in url) or url != url.strip():
        return "contains control characters or surrounding spaces"
    return None


def _network_target(url: str) -> tuple[str, int] | None:
    """(host, port) the worker connects to for this URL, or None when apprise's destination is fixed."""
    import apprise  # imported here: only the channel endpoint and the notify worker need it

    scheme = url.split("://", 1)[0].lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ChannelRefused("scheme not allowed")
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise ChannelRefused("not an apprise URL apprise can use")
    if scheme in FIXED_SERVICE_SCHEMES or getattr(plugin, "mode", None) == "cloud":  # ntfy://topic: ntfy.sh
        return None
    host = str(getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None) or "").strip("[]")
    if not host:
        raise ChannelRefused("no host")
    return host, int(getattr(plugin, "port", None) or 0)


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local


def check_channel_url(url: str, *, allow_private: bool) -> None:
    """Raises ChannelRefused unless the URL is an allowed apprise scheme whose target is a public address.

    Host names are resolved and every address they resolve to is checked: the worker calls this again right
    before each delivery, so a name re-pointed at an internal address after it was accepted (DNS rebinding)
    is refused then. `allow_private` (RUNSMART_NOTIFY_ALLOW_PRIVATE_TARGETS) is for a local receiver only.
    """
    problem = text_problem(url)
    if problem:
        raise ChannelRefused(problem)
    target = _network_target(url)
    if target is None or allow_private:
        return
    host, port = target
    try:
        infos = socket.getaddrinfo(host, port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise ChannelRefused("host name does not resolve", transient=True) from None
    if not infos or any(_refused_address(str(info[4][0])) for info in infos):
        raise ChannelRefused("target is a loopback, private, link-local, multicast or reserved address")


def apprise_send(url: str, title: str, body: str) -> Sent:
    """One apprise URL. apprise's plugins set their own socket connect/read timeouts (4 s by default)."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return Sent(False, "invalid apprise URL", permanent=True)
    # Never follow a redirect, whatever the URL says (`?redirect=yes`): only the target that was checked is
    # contacted, not an internal address a public server points the worker to.
    plugin.redirects = False
    target = apprise.Apprise()
    target.add(plugin)
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
    message = payload.get("message")
    if isinstance(message, dict):
        # The catalogue's message (messages/): it says everything, in the athlete's units.
        title = str(message.get("headline") or title)
        body = [str(message.get("body") or ""), "\n".join(str(d) for d in message.get("details") or ())]
        return title, "\n\n".join(part for part in body if part) or title
    if message:
        lines.append(str(message))
    for reason in payload.get("reasons") or ():
        text = reason.get("reason") if isinstance(reason, dict) else reason
        if text and str(text) not in lines:
            lines.append(str(text))
    return title, "\n".join(lines) or title
