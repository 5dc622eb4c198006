"""Classified Strava failures. Workers decide retry/park/stop from the class alone."""

from __future__ import annotations

from typing import Self

# Enough of an error body to tell Strava's answers apart; a page of HTML needs no more.
BODY_KEPT_CHARS = 2000


class StravaError(Exception):
    """Base class; `str()` is safe to log (never carries a token).

    `status` and `body` are Strava's HTTP status and error body when the failure is an answer from Strava (None
    and "" for a timeout or a refused connection), set where sync/strava.py classifies: the OAuth callback tells
    a dead code from a refused application by them. Error bodies carry no token; neither is part of `str()`."""

    status: int | None = None
    body: str = ""

    def with_answer(self, status: int | None, body: str) -> Self:
        self.status = status
        self.body = body[:BODY_KEPT_CHARS]
        return self


class StravaTransient(StravaError):
    """5xx, timeouts, connection errors: retry with backoff."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StravaRateLimited(StravaTransient):
    """429 or budget exhausted: retry when the window resets (never sleep in a worker)."""


class StravaAppCredentialsRejected(StravaRateLimited):
    """Strava refused the application's own credentials (a wrong or rotated client secret): no athlete's grant
    is shown to be dead by it. Strava work pauses app-wide until the credentials work again, so it is handled
    like a rate-limit wait (park and retry after `retry_after_s`), never as an athlete's failure."""


class StravaNotFound(StravaError):
    """404: deleted, or not yet readable right after a create (docs/strava.md, "Pitfalls the code handles")."""


class StravaAuthError(StravaError):
    """The athlete's grant cannot be used: revoked, superseded refresh token, or a scope is missing."""


class StravaScopeMissing(StravaAuthError):
    pass


class StravaAppInactive(StravaError):
    """403 Application/Status/Inactive: the whole app is refused until its owner reactivates it."""


class StravaAthleteCapacity(StravaError):
    """403 "Limit of connected athletes exceeded": the application already serves as many athletes as its
    Strava tier allows (docs/strava.md, "Athlete capacity"). The athlete can do nothing about it; the operator
    must free a place or move the application to a higher tier."""

    def __str__(self) -> str:
        return "Strava lets this app connect no more athletes for now; please try again later"


class StravaBadResponse(StravaError):
    """Strava answered 2xx with something we cannot parse."""
