"""Classified Strava failures. Workers decide retry/park/stop from the class alone."""

from __future__ import annotations


class StravaError(Exception):
    """Base class; `str()` is safe to log (never carries a token)."""


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
    """404: deleted, or not yet readable right after a create (strava.md §6 #1)."""


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
