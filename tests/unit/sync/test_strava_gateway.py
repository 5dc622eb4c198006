"""The stravalib adapter, with Strava mocked in-process by `responses`."""

from __future__ import annotations

import time

import pytest
import responses

from sync.errors import (
    StravaAppInactive,
    StravaAuthError,
    StravaNotFound,
    StravaRateLimited,
    StravaScopeMissing,
    StravaTransient,
)
from sync.strava import StravalibGateway

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


@responses.activate
def test_the_rate_observer_sees_every_api_response_and_nothing_sleeps() -> None:
    seen: list[str] = []
    gateway = StravalibGateway(
        client_id=1,
        client_secret="s",
        base_url="http://sim.test",
        rate_observer=lambda h, m: seen.append(h["X-ReadRateLimit-Usage"]),
    )
    responses.get(
        "http://sim.test/api/v3/activities/7",
        json={"id": 7},
        headers={**HEADERS, "X-ReadRateLimit-Usage": "100,1000"},
    )
    started = time.monotonic()
    gateway.get_activity("tok", 7)
    assert time.monotonic() - started < 2  # stravalib's default limiter would sleep until midnight here
    assert seen == ["100,1000"]


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


@responses.activate
def test_429_retry_after_points_at_the_next_window(gateway: StravalibGateway) -> None:
    responses.get(
        "http://sim.test/api/v3/activities/7",
        status=429,
        json={"message": "Rate Limit Exceeded"},
        headers={**HEADERS, "X-ReadRateLimit-Usage": "101,200"},
    )
    with pytest.raises(StravaRateLimited) as caught:
        gateway.get_activity("tok", 7)
    assert caught.value.retry_after_s is not None
    assert 0 < caught.value.retry_after_s <= 900
