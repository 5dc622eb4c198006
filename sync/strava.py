"""The Strava port and its stravalib adapter.

stravalib is used with its traps disarmed (docs/strava.md, "stravalib"):
- its sleeping rate limiter is replaced by a non-blocking observer (a worker must never sleep for a budget);
- its auto-refresh stays off (no refresh_token/token_expires given): tokens are refreshed by sync.tokens under a
  per-athlete lock and persisted before use, because Strava rotates refresh tokens;
- every request gets a timeout (stravalib sets none) and the base URL comes from settings (the simulator in dev).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import requests

from sync.budget import DAY_S, QUARTER_S, Budget, Priority, response_time
from sync.errors import (
    StravaAppCredentialsRejected,
    StravaAppInactive,
    StravaAthleteCapacity,
    StravaAuthError,
    StravaBadResponse,
    StravaError,
    StravaNotFound,
    StravaRateLimited,
    StravaScopeMissing,
    StravaTransient,
)

if TYPE_CHECKING:
    from stravalib import Client

# stravalib is imported where it is used (activity reads, in the workers): with pint's unit registry it costs
# ~30 MB and 0.7 s at import, and the API process never needs it (OAuth is two plain POSTs, see _token).

# We never hand stravalib the client id/secret through the environment (that would arm its auto-refresh),
# so silence the warning it logs about that on every client creation.
os.environ.setdefault("SILENCE_TOKEN_WARNINGS", "true")

STRAVA_ORIGIN = "https://www.strava.com"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: int

    def __repr__(self) -> str:  # tokens never reach a log line through repr()
        return f"TokenSet(expires_at={self.expires_at})"


class StravaGateway(Protocol):
    def exchange_code(self, code: str) -> tuple[TokenSet, dict[str, Any]]: ...
    def refresh(self, refresh_token: str) -> TokenSet: ...
    def get_activity(
        self, access_token: str, activity_id: int, *, priority: Priority = Priority.WEBHOOK
    ) -> dict[str, Any]: ...
    def list_activities(
        self, access_token: str, *, after: int, before: int, page: int, per_page: int, priority: Priority
    ) -> list[dict[str, Any]]: ...


class StravaHttpSession(requests.Session):
    """Points stravalib's hard-coded https://www.strava.com at the configured base URL, with a timeout."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        super().__init__()
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        url = url.decode() if isinstance(url, bytes) else url
        if url.startswith(STRAVA_ORIGIN):
            url = self._base_url + url[len(STRAVA_ORIGIN) :]
        kwargs.setdefault("timeout", self._timeout_s)
        return super().request(method, url, *args, **kwargs)


MIN_WINDOW_WAIT_S = 5


def wall_clock() -> float:
    """Our clock, for waits computed from a response without Strava's `Date` (a seam for tests)."""
    return time.time()


def _daily_spent(headers: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    for prefix in ("x-ratelimit", "x-readratelimit"):
        try:
            usage = int(lowered.get(f"{prefix}-usage", "").split(",")[1])
            limit = int(lowered.get(f"{prefix}-limit", "").split(",")[1])
        except (IndexError, ValueError):
            continue
        if usage >= limit:
            return True
    return False


def seconds_until_window_reset(
    headers: Mapping[str, str], method: str = "GET", *, now: float | None = None
) -> float:
    """How long until the exhausted rate window resets: the quarter hour, or 00:00 UTC for the daily limit.

    Counted from Strava's clock (the response's `Date`) when it sent one: a 429 answered at 23:59:59 and read
    at 00:00:00 is a wait of a second, not of a day (docs/strava.md, "Rate limits")."""
    period = DAY_S if _daily_spent(headers) else QUARTER_S
    stamped = response_time(headers)
    if stamped is not None:
        elapsed = max(0.0, (wall_clock() if now is None else now) - stamped)  # already spent in transit
        seconds = period - (stamped % period) - elapsed
    else:
        from stravalib.util import limiter

        seconds = (
            limiter.get_seconds_until_next_day()
            if period == DAY_S
            else limiter.get_seconds_until_next_quarter()
        )
    # A 429 answered on the boundary itself gives 0 (seen in CI at 20:00:00): wait a little anyway, since
    # Strava's clock and ours are not the same clock.
    return float(max(seconds, MIN_WINDOW_WAIT_S))


def _first_error(response: requests.Response | None) -> dict[str, Any]:
    if response is None:
        return {}
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return {}
    return errors[0] if errors and isinstance(errors[0], dict) else {}


def _is_app_inactive(detail: Mapping[str, Any]) -> bool:
    # Strava's 403 for an application whose owner has no active subscription (docs/strava.md, "Application credentials").
    return (detail.get("resource"), detail.get("field"), detail.get("code")) == (
        "Application",
        "Status",
        "Inactive",
    )


def _is_capacity_refusal(body: str) -> bool:
    # Strava documents only the status and the words "Limit of connected athletes exceeded" for an app over its
    # athlete cap (docs/strava.md, "Athlete capacity"): seen as a page, so the body may be HTML, text or JSON.
    return "connected athletes" in body.lower()


def _body_text(response: requests.Response | None) -> str:
    try:
        return str(response.text or "") if response is not None else ""
    except (AttributeError, ValueError, RuntimeError):  # a streamed body already consumed, or not a Response
        return ""


def _is_app_credentials_fault(status: int | None, detail: Mapping[str, Any]) -> bool:
    # A wrong or rotated client secret (or an unknown client id) at the token endpoint: Strava names the
    # Application, not the athlete's token (docs/strava.md, "Application credentials").
    return status in (400, 401) and detail.get("resource") == "Application"


def classify_fault(error: Exception, *, credentials_sent: bool = False) -> StravaError:
    """Map stravalib/requests failures onto our small set of classified errors, carrying Strava's status and
    error body (`StravaError.status`, `.body`) when Strava answered.

    By status and Strava's error body only: stravalib's faults are requests HTTPErrors that carry the response,
    so this never needs stravalib's exception classes (the API process does not import stravalib at all).
    `credentials_sent`: the request carried the application's client id and secret (the token endpoint). Only
    there does an `Application` fault blame the application: on an athlete's read it is that token's problem,
    and pausing every athlete for one bad token would be wrong.
    """
    if isinstance(error, requests.Timeout):
        return StravaTransient("Strava request timed out")
    if isinstance(error, requests.ConnectionError):
        return StravaTransient("cannot connect to Strava")
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    body = _body_text(response)
    fault = _classify_answer(error, response, status, body, credentials_sent=credentials_sent)
    return fault.with_answer(status, body)


def _classify_answer(
    error: Exception,
    response: requests.Response | None,
    status: int | None,
    body: str,
    *,
    credentials_sent: bool,
) -> StravaError:
    detail = _first_error(response)
    if status == 403 and _is_app_inactive(detail):
        return StravaAppInactive("Strava refuses every request: the application is inactive")
    if status == 403 and _is_capacity_refusal(body):
        log.error("sync.strava.athlete_capacity_reached")
        return StravaAthleteCapacity("Strava refused the connection: the app's athlete capacity is reached")
    if credentials_sent and _is_app_credentials_fault(status, detail):
        return StravaAppCredentialsRejected(
            f"Strava refused the application's credentials ({status}, {detail.get('field') or 'Application'})"
        )
    if status == 404:
        return StravaNotFound("Strava answered 404 Not Found")
    if status == 401:
        if detail.get("code") == "missing":
            return StravaScopeMissing(f"the athlete's grant lacks the scope {detail.get('field', '?')}")
        return StravaAuthError("Strava answered 401: the access token is invalid or revoked")
    if status == 429:
        return StravaRateLimited(
            f"Strava rate limit exceeded ({detail.get('field', 'rate limit')})",
            retry_after_s=seconds_until_window_reset(response.headers if response is not None else {}),
        )
    if status == 400 and detail.get("resource") == "RefreshToken":
        return StravaAuthError("the refresh token is invalid (revoked, or superseded by a rotation)")
    if status is not None and status >= 500:
        return StravaTransient(f"Strava answered {status}")
    if status == 403:
        return StravaAuthError("Strava answered 403 Forbidden")
    return StravaError(f"Strava request failed ({status or type(error).__name__})")


@dataclass(frozen=True)
class TokenGrant:
    """A code exchange's result: the tokens, the athlete, the scope the token response states (None when it
    states none) and the response's headers (the capacity may be stated there)."""

    tokens: TokenSet
    athlete: dict[str, Any]
    scope: str | None
    headers: Mapping[str, str]


# A deauthorization is a courtesy to Strava and the athlete, made while the athlete waits for our page.
DEAUTHORIZE_TIMEOUT_S = 3.0


class StravalibGateway:
    def __init__(
        self,
        *,
        client_id: int,
        client_secret: str,
        base_url: str = STRAVA_ORIGIN,
        timeout_s: float = 10.0,
        budget: Budget | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout_s = timeout_s
        self._session = StravaHttpSession(base_url, timeout_s)
        self._budget = budget

    def _observe(self, headers: Mapping[str, str], method: str) -> None:
        if self._budget is not None:
            self._budget.observe(headers, method)

    def _spend(self, priority: Priority) -> None:
        # Counted before the call, app-wide: a denied call raises StravaRateLimited with the wait.
        if self._budget is not None:
            self._budget.acquire(priority)

    def _app_fault(self, error: StravaAppCredentialsRejected) -> StravaAppCredentialsRejected:
        """Tell the operator and pause Strava work app-wide; no athlete's state is touched (the caller only
        sees an error that parks like a rate-limit wait)."""
        from sync.budget import APP_FAULT_COOL_OFF_S

        # The operator's alert reads the shared pause flag (runsmart_strava_app_fault, docs/operations.md).
        log.error(
            "sync.strava.app_credentials_rejected",
            extra={"reason": str(error), "paused_s": APP_FAULT_COOL_OFF_S},
        )
        if self._budget is not None:
            self._budget.pause_for_app_fault(str(error), APP_FAULT_COOL_OFF_S)
        error.retry_after_s = APP_FAULT_COOL_OFF_S
        return error

    def _app_credentials_work(self) -> None:
        if self._budget is not None and self._budget.clear_app_fault():
            log.warning("sync.strava.app_credentials_accepted_again")

    def _client(self, access_token: str | None = None) -> Client:
        from stravalib import Client

        return Client(
            access_token=access_token,
            rate_limit_requests=True,
            rate_limiter=self._observe,  # type: ignore[arg-type]  # any callable(headers, method) works
            requests_session=self._session,
        )

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except requests.RequestException as error:  # stravalib's Fault is a requests HTTPError
            raise classify_fault(error) from None

    def _token(self, form: dict[str, str | int]) -> dict[str, Any]:
        return self._token_answer(form)[0]

    def _token_answer(self, form: dict[str, str | int]) -> tuple[dict[str, Any], dict[str, str]]:
        """One POST to Strava's token endpoint (docs/strava.md, "OAuth"), with our classification: the body and
        the response's headers.

        Plain requests rather than stravalib: it is one form POST, and importing stravalib (with pint's unit
        registry) would cost the API process ~30 MB for the OAuth callback, its only Strava call."""
        credentials = {"client_id": self._client_id, "client_secret": self._client_secret}
        try:
            response = self._session.post(f"{STRAVA_ORIGIN}/oauth/token", data={**credentials, **form})
            self._observe(response.headers, "POST")
            response.raise_for_status()
            body = response.json()
        except requests.RequestException as error:
            fault = classify_fault(error, credentials_sent=True)
            if isinstance(fault, StravaAppCredentialsRejected):
                raise self._app_fault(fault) from None
            raise fault from None
        except ValueError:
            raise StravaBadResponse("Strava's token response is not JSON") from None
        if not isinstance(body, dict):
            raise StravaBadResponse("Strava's token response is not a JSON object")
        self._app_credentials_work()
        return body, dict(response.headers)

    def exchange_grant(self, code: str) -> TokenGrant:
        body, headers = self._token_answer({"code": code, "grant_type": "authorization_code"})
        athlete = body.get("athlete")  # only on the initial exchange (docs/strava.md, "OAuth")
        # Strava's own word on what the athlete granted, when it gives one: unlike the redirect's `scope`, it
        # does not pass through the browser.
        scope = body.get("scope")
        return TokenGrant(
            tokens=_token_set(body),
            athlete=athlete if isinstance(athlete, dict) else {},
            scope=scope if isinstance(scope, str) else None,
            headers=headers,
        )

    def exchange_code(self, code: str) -> tuple[TokenSet, dict[str, Any]]:
        grant = self.exchange_grant(code)
        return grant.tokens, grant.athlete

    def deauthorize(self, access_token: str) -> None:
        """Release an athlete's grant at Strava (POST /oauth/deauthorize, docs/strava.md "OAuth"): every token
        of that grant stops working. Counted like any call; a short timeout, since an athlete is waiting."""
        self._spend(Priority.WEBHOOK)
        try:
            # The token as the documented form field, and as the Bearer header stravalib sends.
            response = self._session.post(
                f"{STRAVA_ORIGIN}/oauth/deauthorize",
                data={"access_token": access_token},
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=min(self._timeout_s, DEAUTHORIZE_TIMEOUT_S),
            )
            self._observe(response.headers, "POST")
            response.raise_for_status()
        except requests.RequestException as error:
            raise classify_fault(error) from None

    def refresh(self, refresh_token: str) -> TokenSet:
        # A refresh is a call Strava counts (docs/strava.md, "Do token refreshes count?"), so it is counted
        # before it is made like any read. At the pushes' priority: every kind of work needs a live token.
        # The code exchange is not gated: an athlete waits in the browser, and its usage is observed anyway.
        self._spend(Priority.WEBHOOK)
        return _token_set(self._token({"refresh_token": refresh_token, "grant_type": "refresh_token"}))

    def get_activity(
        self, access_token: str, activity_id: int, *, priority: Priority = Priority.WEBHOOK
    ) -> dict[str, Any]:
        # The raw JSON, not stravalib's model: we keep it verbatim and parse it with our tolerant schema.
        self._spend(priority)
        client = self._client(access_token)
        raw = self._call(
            lambda: client.protocol.get("/activities/{id}", id=activity_id, include_all_efforts=False)
        )
        if not isinstance(raw, dict) or "id" not in raw:
            raise StravaBadResponse("Strava returned an activity without an id")
        return raw

    def list_activities(
        self, access_token: str, *, after: int, before: int, page: int, per_page: int, priority: Priority
    ) -> list[dict[str, Any]]:
        """One page of SummaryActivity. We page ourselves: stravalib's iterator stops at the first short page,
        but Strava says only an empty page ends the list (docs/strava.md, "Activity data")."""
        self._spend(priority)
        client = self._client(access_token)
        raw = self._call(
            lambda: client.protocol.get(
                "/athlete/activities", after=after, before=before, page=page, per_page=per_page
            )
        )
        if not isinstance(raw, list):
            raise StravaBadResponse("Strava's activity list is not a JSON array")
        return [item for item in raw if isinstance(item, dict)]


def _token_set(access: Mapping[str, Any]) -> TokenSet:
    try:
        return TokenSet(
            access_token=str(access["access_token"]),
            refresh_token=str(access["refresh_token"]),
            expires_at=int(access["expires_at"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StravaBadResponse(
            "Strava's token response lacks access_token/refresh_token/expires_at"
        ) from error
