"""Every field the plan API answers is declared in its OpenAPI schema (webhooks/plan_schemas.py), on the real
PostgreSQL with Strava mocked: `GET …/plan` with a matched interval session (its `rep_score`, each rep and
recovery) and a decision with its revisions, `GET …/plan/changes`, and a write's answer (`POST …/undo`).

The read models let a field the planner adds later pass through (extra="allow"), so a field the code returns
but the schema does not list would go unnoticed by FastAPI: generated clients would not see it. Checked by
walking each answer alongside the schema, whatever the fields are called.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient

from composition.root import Container
from tests.integration.conftest import AUTH, connect_athlete
from tests.integration.test_rep_score_surfaces import BASE, session_laps, sync_session, upload

pytestmark = pytest.mark.integration


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undeclared(value: Any, schema: dict[str, Any], spec: dict[str, Any], path: str = "") -> list[str]:
    """The paths of the fields in ``value`` that ``schema`` (a node of ``spec``) does not list. An object schema
    without `properties` (a free-form dict, such as the whole plan as the planner writes it) lists nothing."""
    schema = resolve(schema, spec)
    if "anyOf" in schema:
        if value is None:
            return []
        options = [undeclared(value, s, spec, path) for s in schema["anyOf"] if s.get("type") != "null"]
        return min(options, key=len)
    if isinstance(value, dict) and "properties" in schema:
        declared = schema["properties"]
        missing = [f"{path}.{key}" for key in value if key not in declared]
        for key, item in value.items():
            if key in declared:
                missing += undeclared(item, declared[key], spec, f"{path}.{key}")
        return missing
    if isinstance(value, list) and "items" in schema:
        return [
            m for i, item in enumerate(value) for m in undeclared(item, schema["items"], spec, f"{path}[{i}]")
        ]
    return []


def answer_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


def test_the_plan_api_declares_every_field_it_answers(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    upload(container)
    sync_session(container, strava, session_laps())
    spec = client.get("/openapi.json").json()
    api = "/api/v1/athletes/{athlete_id}"

    plan = client.get(f"{BASE}/plan", headers=AUTH).json()
    workouts = [w for week in plan["weeks"] for w in week["workouts"]]
    scored = [w["rep_score"] for w in workouts if w.get("rep_score")]
    # Not vacuous: a rep score with its reps and recoveries, and a decision with its history, are there.
    assert scored
    assert scored[0]["reps"]
    assert scored[0]["recoveries"]
    assert plan["changes"]
    assert plan["changes"][0]["revisions"]
    assert undeclared(plan, answer_schema(spec, f"{api}/plan", "get"), spec) == []

    changes = client.get(f"{BASE}/plan/changes", headers=AUTH).json()
    assert undeclared(changes, answer_schema(spec, f"{api}/plan/changes", "get"), spec) == []

    undone = client.post(f"{BASE}/plan/changes/{changes[0]['id']}/undo", headers=AUTH)
    assert undone.status_code == 200, undone.text
    assert undone.json()["decisions"]
    schema = answer_schema(spec, f"{api}/plan/changes/{{change_id}}/undo", "post")
    assert undeclared(undone.json(), schema, spec) == []


def test_the_walk_finds_a_field_the_schema_does_not_list() -> None:
    spec = {
        "components": {
            "schemas": {
                "Outer": {
                    "properties": {
                        "inner": {"anyOf": [{"$ref": "#/components/schemas/In"}, {"type": "null"}]}
                    }
                },
                "In": {"properties": {"items": {"type": "array", "items": {"properties": {"a": {}}}}}},
            }
        }
    }
    outer = {"$ref": "#/components/schemas/Outer"}
    assert undeclared({"inner": {"items": [{"a": 1, "b": 2}]}, "extra": 1}, outer, spec) == [
        ".extra",
        ".inner.items[0].b",
    ]
    assert undeclared({"inner": None}, outer, spec) == []
