"""The contract our gateway has with stravalib: what `sync/strava.py` uses, including one internal.

The gateway calls `client.protocol.get(...)`, which is not stravalib's public API, so a release may change it
without notice. These checks fail on a release that changes what we rely on: the constructor arguments that
disarm its sleeping limiter and auto-refresh, `protocol.get`'s URL templating and query parameters, the Bearer
header, the rate-limiter callback, and faults that are `requests.HTTPError`s carrying the response.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping

import pytest
import requests
import responses

ACTIVITY = "https://www.strava.com/api/v3/activities/7"


def client(observed: list[tuple[dict[str, str], str]] | None = None, token: str = "tok") -> object:
    from stravalib import Client

    def observe(headers: Mapping[str, str], method: str) -> None:
        if observed is not None:
            observed.append((dict(headers), method))

    return Client(
        access_token=token,
        rate_limit_requests=True,
        rate_limiter=observe,  # type: ignore[arg-type]
        requests_session=requests.Session(),
    )


def test_the_constructor_takes_what_we_pass_and_nothing_arms_auto_refresh() -> None:
    from stravalib import Client

    params = inspect.signature(Client.__init__).parameters
    assert {"access_token", "rate_limit_requests", "rate_limiter", "requests_session"} <= set(params)
    # Auto-refresh needs both of these; we never give them, so they must stay optional.
    for name in ("token_expires", "refresh_token"):
        assert params[name].default is None


def test_protocol_get_keeps_its_signature() -> None:
    protocol = client().protocol  # type: ignore[attr-defined]
    params = list(inspect.signature(protocol.get).parameters.values())
    assert params[0].name == "url"
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


@responses.activate
def test_protocol_get_fills_the_template_sends_the_rest_as_query_and_returns_json() -> None:
    call = responses.get(ACTIVITY, json={"id": 7}, headers={"X-ReadRateLimit-Usage": "1,1"})
    observed: list[tuple[dict[str, str], str]] = []
    raw = client(observed).protocol.get("/activities/{id}", id=7, include_all_efforts=False)  # type: ignore[attr-defined]
    assert raw == {"id": 7}
    request = call.calls[0].request
    assert request.url is not None
    assert request.url.startswith(ACTIVITY + "?")
    assert "include_all_efforts=False" in request.url
    assert "id=7" not in request.url  # a template variable is not repeated as a query parameter
    assert "access_token" not in request.url  # the token travels in the header only
    assert request.headers["Authorization"] == "Bearer tok"
    assert observed
    assert observed[0][1] == "GET"
    assert observed[0][0]["X-ReadRateLimit-Usage"] == "1,1"


@responses.activate
def test_a_list_comes_back_as_a_list() -> None:
    responses.get("https://www.strava.com/api/v3/athlete/activities", json=[{"id": 1}])
    listed = client().protocol.get(  # type: ignore[attr-defined]
        "/athlete/activities", after=1, before=2, page=1, per_page=200
    )
    assert listed == [{"id": 1}]


@pytest.mark.parametrize("status", [401, 404, 429, 503])
@responses.activate
def test_faults_are_http_errors_carrying_the_response_and_nothing_sleeps(status: int) -> None:
    body = {"message": "x", "errors": [{"resource": "Application", "field": "", "code": "invalid"}]}
    responses.get(ACTIVITY, status=status, json=body, headers={"X-ReadRateLimit-Usage": "100,1000"})
    started = time.monotonic()
    with pytest.raises(requests.HTTPError) as caught:
        client().protocol.get("/activities/{id}", id=7)  # type: ignore[attr-defined]
    assert time.monotonic() - started < 2
    assert caught.value.response is not None
    assert caught.value.response.status_code == status
    assert caught.value.response.json()["errors"][0]["resource"] == "Application"
    assert len(responses.calls) == 1  # no hidden retry, no refresh attempt
