"""schemathesis against the app's own OpenAPI spec, on the real PostgreSQL: no operation answers a 5xx.

Covers every operation the spec lists (the Strava handshake and intake, OAuth connect and callback, health,
metrics). The callback needs a state signed with our key, so generated calls never reach Strava; the Strava
base URL is a closed local port anyway.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error

from composition.root import Container
from tests.fuzz.conftest import API_KEY, EXAMPLES
from webhooks.app import create_app

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]


_current: dict[str, Container] = {}
# The app resolves its container per request, so it can be built (and its spec loaded) at import time and
# pointed at the fuzz database by the fixture below.
app = create_app(
    lambda: _current["container"],
    enqueue=lambda event_id: True,
    start_backfill=lambda athlete_id: True,
    broker_check=lambda: True,
    api_docs=True,  # the spec is what this test reads (the container, hence the settings, comes later)
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True, scope="module")
def _use_fuzz_database(fuzz_container: Container) -> None:
    _current["container"] = fuzz_container


# The OAuth pages answer their outcomes as pages for the athlete (or as their own JSON), not as API problems.
ATHLETE_PAGES = {"/strava/connect", "/strava/callback"}


@schema.parametrize()
@settings(max_examples=EXAMPLES or 60, deadline=None, derandomize=EXAMPLES is None)
def test_no_server_errors(case: schemathesis.Case) -> None:
    # A valid key, so the internal API's operations are exercised past authentication.
    response = case.call(headers={"Authorization": f"Bearer {API_KEY}"})
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400 and case.operation.path not in ATHLETE_PAGES:
        # Every error is a problem (docs/api.md, Errors), whatever the generated input.
        content_type = response.headers["content-type"]  # a list of values in schemathesis' response
        assert content_type in ("application/problem+json", ["application/problem+json"]), response.text
        body = response.json()
        assert body["status"] == response.status_code
        assert isinstance(body["detail"], str)
        assert body["type"] == f"/problems/{body['code']}"


def test_the_spec_lists_the_public_operations() -> None:
    # Guard against a vacuous run: the operations above must actually be there.
    paths = set(schema.raw_schema["paths"])
    assert {"/webhooks/strava", "/strava/connect", "/strava/callback", "/healthz"} <= paths
