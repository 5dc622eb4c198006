"""The stravalib adapter, with Strava mocked in-process by `responses`."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import formatdate

import pytest
import requests
import responses

from sync.budget import Priority
from sync.errors import (
    BODY_KEPT_CHARS,
    StravaAppInactive,
    StravaAthleteCapacity,
    StravaAuthError,
    StravaError,
    StravaNotFound,
    StravaRateLimited,
    StravaScopeMissing,
    StravaTransient,
)
from sync.strava import StravalibGateway, classify_fault

HEADERS = {"X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": "5,50"}


@pytest.fixture
def gateway() -> StravalibGateway:
    return StravalibGateway(client_id=1234, client_secret="s3cret", base_url="http://sim.test", timeout_s=3)


@responses.activate
def test_requests_go_to_the_configured_base_url_with_a_timeout_and_a_bearer_token(
    gateway: StravalibGateway,
) -> None:
    call = responses.get("http://sim.test/api/v3/activities/7", json={"id": 7}, headers=HEADERS)
    assert gateway.get_activity("tok", 7) == {"id": 7}
    request = call.calls[0].request
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.req_kwargs["timeout"] == 3
    assert "access_token" not in (request.url or "")


class RecordingBudget:
    def __init__(self) -> None:
        self.acquired: list[Priority] = []
        self.observed: list[str] = []

    def acquire(self, priority: Priority, *, read: bool = True) -> None:
        self.acquired.append(priority)

    def observe(self, headers: Mapping[str, str], method: str) -> None:
        self.observed.append(headers["X-ReadRateLimit-Usage"])

    def usage(self) -> dict[str, dict[str, int]]:
        return {}

    def pause_for_app_fault(self, reason: str, seconds: float = 300.0) -> None:
        raise AssertionError("no application fault expected")

    def app_fault(self) -> tuple[str, float] | None:
        return None

    def clear_app_fault(self) -> bool:
        return False


@responses.activate
def test_the_budget_is_charged_before_and_fed_after_every_api_call_and_nothing_sleeps() -> None:
    budget = RecordingBudget()
    gateway = StravalibGateway(client_id=1, client_secret="s", base_url="http://sim.test", budget=budget)
    responses.get(
        "http://sim.test/api/v3/activities/7",
        json={"id": 7},
        headers={**HEADERS, "X-ReadRateLimit-Usage": "100,1000"},
    )
    started = time.monotonic()
    gateway.get_activity("tok", 7, priority=Priority.RECONCILE)
    assert time.monotonic() - started < 2  # stravalib's default limiter would sleep until midnight here
    assert budget.acquired == [Priority.RECONCILE]
    assert budget.observed == ["100,1000"]


@responses.activate
def test_activity_pages_are_requested_with_epoch_filters(gateway: StravalibGateway) -> None:
    call = responses.get(
        "http://sim.test/api/v3/athlete/activities", json=[{"id": 1}, {"id": 2}], headers=HEADERS
    )
    page = gateway.list_activities(
        "tok", after=100, before=200, page=3, per_page=50, priority=Priority.BACKFILL
    )
    assert [a["id"] for a in page] == [1, 2]
    query = call.calls[0].request.url or ""
    assert "after=100" in query
    assert "before=200" in query
    assert "page=3" in query
    assert "per_page=50" in query


@responses.activate
def test_refresh_posts_the_form_and_returns_the_rotated_pair(gateway: StravalibGateway) -> None:
    call = responses.post(
        "http://sim.test/oauth/token",
        json={"access_token": "a2", "refresh_token": "r2", "expires_at": 1999999999, "expires_in": 21600},
    )
    tokens = gateway.refresh("r1")
    assert (tokens.access_token, tokens.refresh_token, tokens.expires_at) == ("a2", "r2", 1999999999)
    assert "refresh_token=r1" in str(call.calls[0].request.body)
    assert "a2" not in repr(tokens)
    assert "r2" not in repr(tokens)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, {"message": "Resource Not Found", "errors": []}, StravaNotFound),
        (
            401,
            {
                "message": "Authorization Error",
                "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
            },
            StravaAuthError,
        ),
        (
            401,
            {
                "message": "Authorization Error",
                "errors": [
                    {"resource": "AccessToken", "field": "activity:read_permission", "code": "missing"}
                ],
            },
            StravaScopeMissing,
        ),
        (
            429,
            {
                "message": "Rate Limit Exceeded",
                "errors": [{"resource": "Application", "field": "read rate limit", "code": "exceeded"}],
            },
            StravaRateLimited,
        ),
        (503, {"message": "Service Unavailable"}, StravaTransient),
        (
            403,
            {
                "message": "Forbidden",
                "errors": [{"resource": "Application", "field": "Status", "code": "Inactive"}],
            },
            StravaAppInactive,
        ),
    ],
)
@responses.activate
def test_failures_are_classified(
    gateway: StravalibGateway, status: int, body: dict[str, object], expected: type[Exception]
) -> None:
    responses.get("http://sim.test/api/v3/activities/7", status=status, json=body, headers=HEADERS)
    with pytest.raises(expected):
        gateway.get_activity("tok", 7)


@responses.activate
def test_a_dead_refresh_token_is_an_auth_error(gateway: StravalibGateway) -> None:
    responses.post(
        "http://sim.test/oauth/token",
        status=400,
        json={
            "message": "Bad Request",
            "errors": [{"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}],
        },
    )
    with pytest.raises(StravaAuthError, match="refresh token"):
        gateway.refresh("r-old")


MIDNIGHT = 1_790_035_200  # a UTC midnight


@pytest.mark.parametrize(
    ("until_quarter_s", "wait_s"),
    [(600, 600), (0, 5)],  # on the boundary itself: not 0, an immediate retry could meet the old window's 429
)
@responses.activate
def test_429_retry_after_points_at_the_next_window(
    gateway: StravalibGateway, monkeypatch: pytest.MonkeyPatch, until_quarter_s: int, wait_s: int
) -> None:
    from stravalib.util import limiter

    monkeypatch.setattr(limiter, "get_seconds_until_next_quarter", lambda now=None: until_quarter_s)
    responses.get(
        "http://sim.test/api/v3/activities/7",
        status=429,
        json={"message": "Rate Limit Exceeded"},
        headers={**HEADERS, "X-ReadRateLimit-Usage": "101,200"},
    )
    with pytest.raises(StravaRateLimited) as caught:
        gateway.get_activity("tok", 7)
    assert caught.value.retry_after_s == wait_s


@responses.activate
def test_a_daily_429_dated_before_midnight_and_read_after_it_waits_seconds_not_a_day(
    gateway: StravalibGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strava refused the call at 23:59:59 (its Date); we read the answer at 00:00:00.4: the day is over.
    monkeypatch.setattr("sync.strava.wall_clock", lambda: MIDNIGHT + 0.4)
    responses.get(
        "http://sim.test/api/v3/activities/7",
        status=429,
        json={"message": "Rate Limit Exceeded"},
        headers={
            **HEADERS,
            "X-ReadRateLimit-Usage": "40,1000",
            "Date": formatdate(MIDNIGHT - 1, usegmt=True),
        },
    )
    with pytest.raises(StravaRateLimited) as caught:
        gateway.get_activity("tok", 7)
    assert caught.value.retry_after_s is not None
    assert caught.value.retry_after_s < 60


# --- the code exchange, the release of a grant, and what a classified error carries --------------------------

TOKEN_BODY = {
    "token_type": "Bearer",
    "access_token": "a1",
    "refresh_token": "r1",
    "expires_at": 1999999999,
    "expires_in": 21600,
    "athlete": {"id": 42, "firstname": "Ada"},
}


@pytest.mark.parametrize(
    ("stated", "scope"),
    [("read,activity:read_all", "read,activity:read_all"), (None, None), (["read"], None)],
)
@responses.activate
def test_the_exchange_passes_on_the_scope_the_token_response_states_and_its_headers(
    gateway: StravalibGateway, stated: object, scope: str | None
) -> None:
    body = TOKEN_BODY if stated is None else {**TOKEN_BODY, "scope": stated}
    responses.post("http://sim.test/oauth/token", json=body, headers={"X-Athlete-Capacity": "25"})
    grant = gateway.exchange_grant("code-1")
    assert grant.scope == scope
    assert (grant.tokens.access_token, grant.athlete["id"]) == ("a1", 42)
    assert {k.lower(): v for k, v in grant.headers.items()}["x-athlete-capacity"] == "25"
    assert gateway.exchange_code("code-1") == (grant.tokens, grant.athlete)  # the older port, same answer


@responses.activate
def test_a_grant_is_released_with_its_own_token_counted_and_with_a_short_timeout() -> None:
    budget = RecordingBudget()
    gateway = StravalibGateway(
        client_id=1, client_secret="s", base_url="http://sim.test", timeout_s=30, budget=budget
    )
    call = responses.post("http://sim.test/oauth/deauthorize", json={"access_token": "a1"}, headers=HEADERS)
    gateway.deauthorize("a1")
    request = call.calls[0].request
    assert request.headers["Authorization"] == "Bearer a1"
    assert "access_token=a1" in str(request.body)
    assert request.req_kwargs["timeout"] <= 5  # not the 30 s a worker's read may take
    assert budget.acquired == [Priority.WEBHOOK]
    assert budget.observed == ["5,50"]


@responses.activate
def test_a_failed_release_is_classified(gateway: StravalibGateway) -> None:
    responses.post("http://sim.test/oauth/deauthorize", status=503, body="<html>maintenance</html>")
    with pytest.raises(StravaTransient) as failed:
        gateway.deauthorize("a1")
    assert failed.value.status == 503


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><h1>Error 403: Limit of connected athletes exceeded</h1></body></html>",
        "Limit of connected athletes exceeded",
        '{"message": "Limit of connected athletes exceeded", "errors": []}',
    ],
)
@responses.activate
def test_a_capacity_refusal_is_recognised_in_any_body_shape(gateway: StravalibGateway, body: str) -> None:
    responses.post("http://sim.test/oauth/token", status=403, body=body)
    with pytest.raises(StravaAthleteCapacity) as refused:
        gateway.exchange_grant("code-1")
    assert (refused.value.status, refused.value.body) == (403, body)


@responses.activate
def test_a_classified_error_carries_strava_s_status_and_body_but_its_text_does_not(
    gateway: StravalibGateway,
) -> None:
    body = {
        "message": "Bad Request",
        "errors": [{"resource": "AuthorizationCode", "field": "code", "code": "invalid"}],
    }
    responses.post("http://sim.test/oauth/token", status=400, json=body)
    with pytest.raises(StravaError) as refused:
        gateway.exchange_grant("code-1")
    assert refused.value.status == 400
    assert json.loads(refused.value.body) == body
    assert "AuthorizationCode" not in str(refused.value)
    assert refused.value.__suppress_context__  # raised `from None`: callers need not dig for the answer


@responses.activate
def test_a_long_error_body_is_kept_only_in_part(gateway: StravalibGateway) -> None:
    responses.get("http://sim.test/api/v3/activities/7", status=502, body="x" * 100_000)
    with pytest.raises(StravaTransient) as failed:
        gateway.get_activity("tok", 7)
    assert failed.value.status == 502
    assert len(failed.value.body) == BODY_KEPT_CHARS


def test_an_error_without_an_answer_has_no_status() -> None:
    fault = classify_fault(requests.ConnectTimeout("timed out"))
    assert isinstance(fault, StravaTransient)
    assert (fault.status, fault.body) == (None, "")
