"""The API's contract beyond each endpoint's behaviour (docs/api.md, "Rules every endpoint follows"): every
operation has an explicit, stable operation id, and every error answer is an RFC 9457 problem (401, 404, 409,
422 from validation and from the planner, 500 from the last-resort handler, the Strava intake's own errors)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Mount

from composition.root import Container
from tests.integration.conftest import API_KEY, AUTH, connect_athlete
from tests.integration.test_plans_api import BASE, goal_body
from webhooks import api_deps
from webhooks.app import create_app

pytestmark = pytest.mark.integration

# The contract with generated clients: renaming one of these breaks them, so it is a deliberate, visible change.
OPERATION_IDS = {
    ("get", "/webhooks/strava"): "handshake",
    ("post", "/webhooks/strava"): "receive",
    ("get", "/strava/connect"): "strava_connect",
    ("get", "/strava/callback"): "strava_callback",
    ("post", "/api/v1/athletes"): "create_athlete",
    ("put", "/api/v1/athletes/{athlete_id}/plan"): "create_plan_from_goal",
    ("get", "/api/v1/athletes/{athlete_id}/plan"): "get_plan",
    ("put", "/api/v1/athletes/{athlete_id}/plan/upload"): "upload_plan",
    ("get", "/api/v1/athletes/{athlete_id}/plan/changes"): "list_plan_changes",
    ("post", "/api/v1/athletes/{athlete_id}/plan/changes/{change_id}/undo"): "undo_plan_change",
    ("post", "/api/v1/athletes/{athlete_id}/plan/workouts/{workout_id}/move"): "move_workout",
    ("post", "/api/v1/athletes/{athlete_id}/plan/workouts/{workout_id}/pair"): "pair_run",
    ("delete", "/api/v1/athletes/{athlete_id}/plan/workouts/{workout_id}/pair/{activity_id}"): "unpair_run",
    ("put", "/api/v1/athletes/{athlete_id}/pause"): "pause_plan",
    ("delete", "/api/v1/athletes/{athlete_id}/pause"): "resume_plan",
    ("put", "/api/v1/athletes/{athlete_id}/notifications"): "set_notification_channels",
    ("get", "/api/v1/athletes/{athlete_id}/notifications"): "get_notification_channels",
    ("put", "/api/v1/athletes/{athlete_id}/preferences"): "set_athlete_preferences",
    ("get", "/api/v1/athletes/{athlete_id}/preferences"): "get_athlete_preferences",
    ("post", "/api/v1/athletes/{athlete_id}/ical"): "issue_ical_feed",
    ("post", "/api/v1/athletes/{athlete_id}/plan-page-link"): "issue_plan_page_link",
    ("delete", "/api/v1/athletes/{athlete_id}/plan-page-link"): "revoke_plan_page_link",
    ("get", "/api/v1/athletes/{athlete_id}/workouts/{workout_id}.fit"): "get_workout_file",
    ("post", "/api/v1/athletes/{athlete_id}/activities"): "import_activity_file",
    ("delete", "/api/v1/athletes/{athlete_id}/activities/files/{sha256}"): "withdraw_activity_file",
    ("put", "/api/v1/athletes/{athlete_id}/connectors/intervals-icu"): "set_intervals_icu_connection",
    ("get", "/api/v1/athletes/{athlete_id}/connectors/intervals-icu"): "get_intervals_icu_connection",
    ("delete", "/api/v1/athletes/{athlete_id}/connectors/intervals-icu"): "remove_intervals_icu_connection",
    ("get", "/livez"): "livez",
    ("get", "/readyz"): "readyz",
    ("get", "/healthz"): "healthz",
    ("get", "/metrics"): "metrics",
}
# Routes whose module the API's operation ids are not declared in (named by their function, see webhooks/app.py).
NAMED_BY_FUNCTION = {("get", "/webhooks/strava"), ("post", "/webhooks/strava")}


@pytest.fixture
def served(container: Container) -> Iterator[tuple[TestClient, FastAPI]]:
    container.settings.api_keys = SecretStr(API_KEY)
    outer = create_app(lambda: container, enqueue=lambda _: True, broker_check=lambda: True, api_docs=True)
    with TestClient(outer, raise_server_exceptions=False) as client:
        yield client, _inner(outer)


def _inner(outer: Starlette) -> FastAPI:
    mounted = next(r.app for r in outer.routes if isinstance(r, Mount))
    assert isinstance(mounted, FastAPI)
    return mounted


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "\n" not in body["detail"]
    return dict(body)


# --- operation ids ----------------------------------------------------------------------------------------


def test_every_operation_has_its_pinned_operation_id(served: tuple[TestClient, FastAPI]) -> None:
    client, _ = served
    spec = client.get("/openapi.json").json()
    found = {
        (method, path): op["operationId"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert found == OPERATION_IDS
    assert len(set(found.values())) == len(found)  # unique, as OpenAPI requires


def test_every_route_declares_its_operation_id(served: tuple[TestClient, FastAPI]) -> None:
    _, app = served
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert routes
    for route in routes:
        for method in route.methods or ():
            if (method.lower(), route.path) not in NAMED_BY_FUNCTION:
                assert route.operation_id, (method, route.path)  # explicit, not generated from the path


# --- the envelope ---------------------------------------------------------------------------------------


def test_401_is_a_problem_with_the_challenge(
    served: tuple[TestClient, FastAPI], container: Container
) -> None:
    client, _ = served
    response = client.get(f"{BASE}/plan", headers={"Authorization": "Bearer wrong-key-0123456789"})
    body = assert_problem(response, 401, "unauthorized")
    assert body["detail"] == "missing or wrong API key"
    assert response.headers["www-authenticate"] == "Bearer"


def test_404s_are_problems(served: tuple[TestClient, FastAPI], container: Container) -> None:
    client, _ = served
    assert_problem(client.get("/api/v1/athletes/999/plan", headers=AUTH), 404, "not_found")  # the planner's
    assert_problem(client.get("/api/v1/athletes/999/notifications", headers=AUTH), 404, "not_found")
    assert_problem(client.post("/api/v1/athletes/999/plan-page-link", headers=AUTH), 404, "not_found")
    assert_problem(client.get("/no/such/path"), 404, "not_found")  # the router's own


def test_409_is_a_problem(served: tuple[TestClient, FastAPI], container: Container) -> None:
    client, _ = served
    connect_athlete(container)
    assert client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH).status_code == 200
    body = assert_problem(client.delete(f"{BASE}/pause", headers=AUTH), 409, "conflict")
    assert "pause" in body["detail"]


def test_422_from_validation_lists_the_fields_without_their_input(
    served: tuple[TestClient, FastAPI], container: Container
) -> None:
    client, _ = served
    connect_athlete(container)
    bad = goal_body()
    bad["athlete"]["weekly_km"] = "secret-looking-value"
    del bad["goal"]
    body = assert_problem(client.put(f"{BASE}/plan", json=bad, headers=AUTH), 422, "validation_failed")
    locs = [tuple(e["loc"]) for e in body["errors"]]
    assert ("body", "athlete", "weekly_km") in locs
    assert ("body", "goal") in locs
    assert all(set(e) == {"loc", "msg"} and e["msg"] for e in body["errors"])
    assert "secret-looking-value" not in str(body)
    assert body["detail"].startswith("invalid request: body.")


def test_422_from_the_planner_is_a_problem_with_its_reason(
    served: tuple[TestClient, FastAPI], container: Container
) -> None:
    client, _ = served
    connect_athlete(container)
    response = client.put(f"{BASE}/plan", json=goal_body(distance_m=42195, weeks=3), headers=AUTH)
    body = assert_problem(response, 422, "invalid_request")
    assert "errors" not in body
    assert "longest run" in body["detail"] or "spike" in body["detail"].lower()


def test_an_unexpected_failure_is_a_500_problem_that_tells_nothing(
    served: tuple[TestClient, FastAPI], container: Container
) -> None:
    client, app = served
    connect_athlete(container)

    def broken_clock() -> Any:
        raise RuntimeError("database password is hunter2")

    app.dependency_overrides[api_deps.now] = broken_clock
    body = assert_problem(client.get(f"{BASE}/plan", headers=AUTH), 500, "internal_error")
    assert "hunter2" not in str(body)


def test_the_strava_intake_answers_problems_too(
    served: tuple[TestClient, FastAPI], container: Container
) -> None:
    client, _ = served
    body = assert_problem(client.post("/webhooks/strava", content=b"{"), 400, "bad_request")
    assert body["detail"] == "event body is not valid JSON"


def test_the_spec_declares_every_error_as_problem_json(served: tuple[TestClient, FastAPI]) -> None:
    client, _ = served
    spec = client.get("/openapi.json").json()
    errors = [
        (path, status, answer)
        for path, item in spec["paths"].items()
        for op in item.values()
        for status, answer in op["responses"].items()
        if status[0] in "45"
    ]
    assert len(errors) > 40
    for path, status, answer in errors:
        assert answer["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, (path, status)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])


def test_every_api_key_route_declares_the_errors_it_shares(served: tuple[TestClient, FastAPI]) -> None:
    client, _ = served
    paths = client.get("/openapi.json").json()["paths"]
    operations = [
        (path, op["responses"])
        for path, item in paths.items()
        if path.startswith("/api/v1/")
        for op in item.values()
    ]
    assert operations
    for path, answers in operations:
        assert answers["401"]["description"] == "missing or wrong API key", path
        assert "422" in answers, path
        if "{athlete_id}" in path:
            assert answers["404"]["description"].startswith("unknown athlete"), path
    # An upload's own refusals are declared where a file is sent, not on taking one back.
    activities = "/api/v1/athletes/{athlete_id}/activities"
    assert {"400", "413", "415"} <= set(paths[activities]["post"]["responses"])
    assert not {"400", "413", "415"} & set(paths[activities + "/files/{sha256}"]["delete"]["responses"])


def test_the_plan_and_its_changes_have_typed_responses(served: tuple[TestClient, FastAPI]) -> None:
    client, _ = served
    paths = client.get("/openapi.json").json()["paths"]
    plan_schema = paths["/api/v1/athletes/{athlete_id}/plan"]["get"]["responses"]["200"]["content"]
    assert plan_schema["application/json"]["schema"] == {"$ref": "#/components/schemas/PlanOut"}
    changes = paths["/api/v1/athletes/{athlete_id}/plan/changes"]["get"]["responses"]["200"]["content"]
    assert changes["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/StoredChangeOut"}
