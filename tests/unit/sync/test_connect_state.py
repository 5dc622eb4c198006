"""The OAuth state, the granted scope and the athlete capacity in sync/connect.py, without a database."""

from __future__ import annotations

import pytest

from sync import connect
from sync.connect import CapacityTracker, ConnectError, ConnectOutcome, LocalNonceLedger
from sync.errors import (
    StravaAppCredentialsRejected,
    StravaAppInactive,
    StravaAthleteCapacity,
    StravaError,
    StravaTransient,
)
from sync.strava import TokenSet

SECRET = "a-secret-for-the-state-tests"


def test_a_state_is_accepted_only_with_the_cookie_issued_with_it() -> None:
    nonce, cookie = connect.new_state(SECRET)
    other_nonce, other_cookie = connect.new_state(SECRET)
    assert nonce != other_nonce
    assert connect.check_state(SECRET, state=nonce, cookie=cookie) == nonce
    for state, jar in [(nonce, other_cookie), (other_nonce, cookie), (nonce, None), ("", cookie)]:
        with pytest.raises(ConnectError) as refused:
            connect.check_state(SECRET, state=state, cookie=jar)
        assert refused.value.outcome is ConnectOutcome.STATE_INVALID


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    nonce, cookie = connect.new_state("another-installation's-key")
    with pytest.raises(ConnectError):
        connect.check_state(SECRET, state=nonce, cookie=cookie)


def test_a_nonce_can_be_claimed_once() -> None:
    ledger = LocalNonceLedger()
    connect.claim_state(ledger, "n1")
    with pytest.raises(ConnectError):
        connect.claim_state(ledger, "n1")
    connect.claim_state(ledger, "n2")


def test_the_token_responses_scope_wins_over_the_redirects() -> None:
    assert connect.granted_scope("read", "read,activity:read_all") == "read"
    assert connect.granted_scope(None, "read,activity:read_all") == "read,activity:read_all"
    assert connect.granted_scope(None, None) == ""


def test_capacity_is_the_setting_until_a_configured_header_states_one() -> None:
    ignoring = CapacityTracker(10)
    ignoring.observe({"X-Athlete-Capacity": "99"})
    assert ignoring.capacity == 10
    reading = CapacityTracker(10, "X-Athlete-Capacity")
    reading.observe({"X-RateLimit-Limit": "200,2000"})
    assert reading.capacity == 10
    reading.observe({"x-athlete-capacity": "25"})
    assert reading.capacity == 25
    reading.observe({"X-Athlete-Capacity": "not a number"})
    assert reading.capacity == 25


@pytest.mark.parametrize(("connected", "warned"), [(7, False), (8, False), (9, True), (10, True)])
def test_the_operator_is_warned_within_one_of_the_capacity(
    caplog: pytest.LogCaptureFixture, connected: int, warned: bool
) -> None:
    with caplog.at_level("WARNING", logger="sync.connect"):
        connect.warn_if_nearly_full(connected, 10)
    assert any(r.getMessage() == "strava.capacity.nearly_full" for r in caplog.records) is warned


# --- what the athlete is told when the exchange fails -------------------------------------------------------

CODE_INVALID_BODY = (
    '{"message": "Bad Request", "errors": [{"resource": "AuthorizationCode", "field": "code"}]}'
)
APPLICATION_BODY = '{"message": "Authorization Error", "errors": [{"resource": "Application", "field": ""}]}'


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        # Read from the attributes the gateway sets: no HTTP error hangs on __context__ here.
        (StravaError("refused").with_answer(400, CODE_INVALID_BODY), ConnectOutcome.CODE_INVALID),
        (StravaError("refused").with_answer(401, APPLICATION_BODY), ConnectOutcome.SERVICE_REFUSED),
        (StravaAthleteCapacity("full"), ConnectOutcome.CAPACITY_REACHED),
        (StravaAppInactive("inactive"), ConnectOutcome.SERVICE_REFUSED),
        (StravaAppCredentialsRejected("secret"), ConnectOutcome.SERVICE_REFUSED),
        (StravaTransient("502").with_answer(400, "not json"), ConnectOutcome.STRAVA_UNAVAILABLE),
        (StravaTransient("timed out"), ConnectOutcome.STRAVA_UNAVAILABLE),
        (StravaError("odd").with_answer(418, ""), ConnectOutcome.STRAVA_UNAVAILABLE),
    ],
)
def test_a_failed_exchange_is_told_from_the_error_s_class_status_and_body(
    error: StravaError, outcome: ConnectOutcome
) -> None:
    assert error.__context__ is None
    assert connect.exchange_failure(error) is outcome


class Releasing:
    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.released: list[str] = []

    def deauthorize(self, access_token: str) -> None:
        self.released.append(access_token)
        if self.failure is not None:
            raise self.failure


TOKENS = TokenSet("access-secret", "refresh-secret", 1999999999)


def test_a_grant_is_released_with_its_own_access_token() -> None:
    gateway = Releasing()
    assert connect.release_grant(gateway, TOKENS, reason="capacity_reached")
    assert gateway.released == ["access-secret"]


@pytest.mark.parametrize(
    "failure", [StravaTransient("Strava answered 503"), RuntimeError("access-secret leaked?")]
)
def test_a_failed_release_is_logged_without_the_token_and_raises_nothing(
    caplog: pytest.LogCaptureFixture, failure: Exception
) -> None:
    with caplog.at_level("WARNING", logger="sync.connect"):
        assert not connect.release_grant(Releasing(failure), TOKENS, reason="capacity_reached")
    [logged] = [r for r in caplog.records if r.getMessage() == "oauth.grant_release_failed"]
    assert "secret" not in str(logged.__dict__)


def test_a_gateway_that_cannot_release_is_left_alone() -> None:
    assert not connect.release_grant(object(), TOKENS, reason="capacity_reached")
