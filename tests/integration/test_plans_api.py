"""The internal plan API through FastAPI on the real PostgreSQL: auth, every write, and 4xx that change nothing."""

from __future__ import annotations

import json as json_module
from datetime import date, timedelta
from typing import Any

import pytest
import responses
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from composition.root import Container
from store.models import Athlete
from store.plan_models import NotificationOutbox, Plan, PlanChange, PlanMatch, PlanOverride, PlanVersion
from tests.integration.conftest import API_KEY, ATHLETE_ID, AUTH, connect_athlete
from tests.integration.test_plans_pipeline import last_monday, push_run, today

pytestmark = pytest.mark.integration

BASE = f"/api/v1/athletes/{ATHLETE_ID}"


def goal_body(start: str | None = None, distance_m: float = 10000, weeks: int = 14) -> dict[str, Any]:
    first = last_monday() if start is None else None
    return {
        "athlete": {"weekly_km": 40, "runs_per_week": 4, "vdot": 45, "long_run_km": 12},
        "goal": {
            "kind": "race",
            "date": ((first or today()) + timedelta(weeks=weeks)).isoformat(),
            "distance_m": distance_m,
        },
        "start": start or last_monday().isoformat(),
        "timezone": "Europe/Amsterdam",
    }


def snapshot(container: Container) -> tuple[int, ...]:
    """Row counts and the plan version and pause: what a refused request must leave untouched."""
    with container.sessions() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Plan, PlanVersion, PlanChange, PlanMatch, PlanOverride, NotificationOutbox)
        )
        version = session.scalar(select(func.max(Plan.version))) or 0
        athlete = session.get(Athlete, ATHLETE_ID)
        paused = athlete.paused_until.toordinal() if athlete and athlete.paused_until else 0
    return (*counts, version, paused)


def plan(client: TestClient) -> dict[str, Any]:
    response = client.get(f"{BASE}/plan", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def future_workout(body: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
    """A future workout (of type ``kind``, if given) with a free day and another workout's day after today in its
    week."""
    for week in body["weeks"]:
        days = [date.fromisoformat(week["start"]) + timedelta(days=i) for i in range(7)]
        taken = {w["date"] for w in week["workouts"]}
        free = [d.isoformat() for d in days if d > today() and d.isoformat() not in taken]
        later = [w for w in week["workouts"] if w["date"] > body["today"]]
        chosen = [w for w in later if kind is None or w["type"] == kind]
        if free and len(later) >= 2 and chosen:
            other = next(w for w in later if w is not chosen[0])
            return {**chosen[0], "free_day": free[0], "taken_day": other["date"]}
    raise AssertionError("no movable workout")


# --- auth ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-key-0123456789"}, {"Authorization": API_KEY}]
)
def test_requests_without_the_right_key_are_refused(
    client: TestClient, container: Container, headers: dict[str, str]
) -> None:
    connect_athlete(container)
    before = snapshot(container)
    assert client.get(f"{BASE}/plan", headers=headers).status_code == 401
    assert client.put(f"{BASE}/plan", json=goal_body(), headers=headers).status_code == 401
    assert snapshot(container) == before


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/athletes/{athlete_id}/plan/changes/{change_id}/undo" in paths


# --- writes -------------------------------------------------------------------------------------------


def test_create_from_a_goal_then_read_the_plan_with_compliance(
    client: TestClient, container: Container
) -> None:
    connect_athlete(container)
    response = client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH)
    assert response.status_code == 200, response.text
    body = plan(client)
    assert body["version"] == response.json()["version"]
    first_week = body["weeks"][0]
    assert first_week["colour"] == "red"  # last week, nothing run
    assert {w["status"] for w in first_week["workouts"]} == {"missed"}
    with container.sessions() as session:
        kinds = session.scalars(select(NotificationOutbox.event_type)).all()
    assert "plan.updated" in kinds


def test_an_unsafe_goal_is_refused_with_the_planners_reason(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    before = snapshot(container)
    response = client.put(f"{BASE}/plan", json=goal_body(distance_m=42195, weeks=3), headers=AUTH)
    assert response.status_code == 422
    assert "longest run" in response.json()["detail"] or "spike" in response.json()["detail"].lower()
    assert snapshot(container) == before


def test_undo_a_change_and_it_stays_undone(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH)
    changes = client.get(f"{BASE}/plan/changes", headers=AUTH).json()
    active = [c for c in changes if c["active"]]
    assert active, "a week with nothing run must have changed the plan"
    target = active[0]["id"]

    response = client.post(f"{BASE}/plan/changes/{target}/undo", headers=AUTH)

    assert response.status_code == 200, response.text
    after = plan(client)
    assert target not in {c["id"] for c in after["plan"]["changes"]}
    assert target in after["plan"]["suppressed"]
    assert {"id": target, "revision": active[0]["revision"] + 1, "status": "undone"}.items() <= next(
        d for d in response.json()["decisions"] if d["id"] == target
    ).items()
    listed = {c["id"]: c for c in client.get(f"{BASE}/plan/changes", headers=AUTH).json()}
    assert listed[target]["undone"] is True
    assert listed[target]["status"] == "undone"
    assert [r["status"] for r in listed[target]["revisions"]][-1] == "undone"  # the history is kept
    before = snapshot(container)
    assert client.post(f"{BASE}/plan/changes/{target}/undo", headers=AUTH).status_code == 409
    assert snapshot(container) == before


def test_move_a_workout_and_it_survives_re_adaptation(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH)
    # the long run: re-adaptation may plan a smaller week as fewer, longer runs, but a week keeps its long run
    w = future_workout(plan(client), kind="long")

    response = client.post(f"{BASE}/plan/workouts/{w['id']}/move", json={"date": w["free_day"]}, headers=AUTH)

    assert response.status_code == 200, response.text
    moved = {x["id"]: x for week in plan(client)["weeks"] for x in week["workouts"]}[w["id"]]
    assert (moved["date"], moved["moved_from"]) == (w["free_day"], w["date"])
    # A synced run re-adapts the plan; the move is applied on top again.
    container.events.process(push_run(container, strava, last_monday() + timedelta(days=1), 700))
    again = {x["id"]: x for week in plan(client)["weeks"] for x in week["workouts"]}[w["id"]]
    assert again["date"] == w["free_day"]


def test_pair_and_unpair_by_hand_survive_re_adaptation(
    client: TestClient, container: Container, strava: responses.RequestsMock
) -> None:
    connect_athlete(container)
    client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH)
    workouts = plan(client)["weeks"][0]["workouts"]
    first, second = workouts[0], workouts[1]
    # A run on the first workout's day is matched to it automatically ...
    container.events.process(push_run(container, strava, date.fromisoformat(first["date"]), 800))
    assert plan(client)["weeks"][0]["workouts"][0]["activity_ids"] == [800]

    # ... the athlete says it was the second workout.
    response = client.post(
        f"{BASE}/plan/workouts/{second['id']}/pair", json={"activity_id": 800}, headers=AUTH
    )

    assert response.status_code == 200, response.text
    week = {w["id"]: w for w in plan(client)["weeks"][0]["workouts"]}
    assert (week[second["id"]]["activity_ids"], week[second["id"]]["manual"]) == ([800], True)
    assert week[first["id"]]["activity_ids"] == []
    # Another synced run re-adapts and re-matches: the manual pairing stays.
    container.events.process(push_run(container, strava, date.fromisoformat(workouts[2]["date"]), 801))
    week = {w["id"]: w for w in plan(client)["weeks"][0]["workouts"]}
    assert week[second["id"]]["activity_ids"] == [800]

    assert client.delete(f"{BASE}/plan/workouts/{second['id']}/pair/800", headers=AUTH).status_code == 200
    week = {w["id"]: w for w in plan(client)["weeks"][0]["workouts"]}
    assert week[first["id"]]["activity_ids"] == [800]  # back to the automatic match
    # Unpairing the automatic match is remembered too.
    assert client.delete(f"{BASE}/plan/workouts/{first['id']}/pair/800", headers=AUTH).status_code == 200
    container.events.process(push_run(container, strava, date.fromisoformat(workouts[3]["date"]), 802))
    week = {w["id"]: w for w in plan(client)["weeks"][0]["workouts"]}
    assert week[first["id"]]["activity_ids"] == []


def test_pause_and_resume(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    client.put(f"{BASE}/plan", json=goal_body(start=today().isoformat()), headers=AUTH)
    until = (today() + timedelta(days=7)).isoformat()
    response = client.put(f"{BASE}/pause", json={"until": until, "reason": "sick"}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["paused_until"] == until
    assert plan(client)["paused_until"] == until
    assert client.delete(f"{BASE}/pause", headers=AUTH).status_code == 200
    assert plan(client)["paused_until"] is None


def test_goal_time_break_and_a_return_from_zero(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    body = goal_body(distance_m=42195, weeks=20)
    body["athlete"]["vdot"] = 40
    body["goal"]["time_s"] = 7200  # a 2:00 marathon for a VDOT-40 runner: said, with the predicted time
    response = client.put(f"{BASE}/plan", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    warnings = plan(client)["warnings"]
    assert any(
        w.startswith("Goal 2:00:00 for 42.195 km: out of reach") and "predicts 3:" in w for w in warnings
    )

    back = goal_body(weeks=6)
    back["athlete"].update(weekly_km=0, long_run_km=None, break_days=120)
    back["goal"] = {"kind": "recovery", "date": back["goal"]["date"]}
    response = client.put(f"{BASE}/plan", json=back, headers=AUTH)
    assert response.status_code == 200, response.text
    detail = plan(client)
    assert detail["vdot"] < 45  # time-off VDOT (docs/science.md#time-off)


BAD_GOALS: list[tuple[str, Any]] = [
    ("athlete.weekly_km", 400),
    ("athlete.weekly_km", 2),
    ("athlete.runs_per_week", 0),
    ("athlete.vdot", 0),
    ("athlete.vdot", 150),
    ("athlete.run_days", [9, -3, 100000]),
    ("athlete.recent_race", {"distance_m": 1, "time_s": 600}),
    ("athlete.recent_race", {"distance_m": 5000, "time_s": 600}),
    ("athlete.break_days", -1),
    ("goal.date", "9999-12-31"),
    ("goal.date", "2126-01-01"),
    ("goal.distance_m", 1),
    ("goal.time_s", 30),
    ("start", "0001-01-01"),
    ("timezone", "Europe/" + "x" * 10_000),
]


@pytest.mark.parametrize(("field", "value"), BAD_GOALS, ids=[f"{f}={str(v)[:20]}" for f, v in BAD_GOALS])
def test_implausible_goals_are_422_with_a_message_and_change_nothing(
    client: TestClient, container: Container, field: str, value: Any
) -> None:
    connect_athlete(container)
    body = goal_body()
    *parents, key = field.split(".")
    node = body
    for p in parents:
        node = node[p]
    node[key] = value
    before = snapshot(container)
    response = client.put(f"{BASE}/plan", json=body, headers=AUTH)
    assert response.status_code == 422, (field, value, response.text)
    assert response.json()["detail"]
    assert snapshot(container) == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_422(client: TestClient, container: Container, literal: str) -> None:
    connect_athlete(container)
    text = json_module.dumps(goal_body()).replace('"weekly_km": 40', f'"weekly_km": {literal}')
    before = snapshot(container)
    response = client.put(f"{BASE}/plan", content=text, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert snapshot(container) == before


def test_an_uploaded_plan_longer_than_52_weeks_is_refused(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    week = {"index": 0, "start": "2026-03-02", "phase": "base", "workouts": []}
    response = client.put(f"{BASE}/plan/upload", json={"plan": {"weeks": [week] * 53}}, headers=AUTH)
    assert response.status_code == 422
    assert "52 weeks" in response.text


# --- every refusal changes nothing --------------------------------------------------------------------


def test_every_4xx_changes_nothing(client: TestClient, container: Container) -> None:
    connect_athlete(container)
    client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH)
    body = plan(client)
    past = body["weeks"][0]["workouts"][0]
    movable = future_workout(body)
    yesterday = (today() - timedelta(days=1)).isoformat()
    cases: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("get", "/api/v1/athletes/999/plan", None, 404),
        ("put", "/api/v1/athletes/999/plan", goal_body(), 404),
        ("post", f"{BASE}/plan/changes/nope@2020-01-06/undo", None, 404),
        ("post", f"{BASE}/plan/workouts/w19990101/move", {"date": movable["free_day"]}, 404),
        ("post", f"{BASE}/plan/workouts/{past['id']}/move", {"date": movable["free_day"]}, 409),
        ("post", f"{BASE}/plan/workouts/{movable['id']}/move", {"date": yesterday}, 422),
        ("post", f"{BASE}/plan/workouts/{movable['id']}/move", {"date": "2026-02-30"}, 422),
        ("post", f"{BASE}/plan/workouts/{movable['id']}/move", {"date": "2099-01-01"}, 422),
        ("post", f"{BASE}/plan/workouts/{movable['id']}/move", {"date": movable["taken_day"]}, 409),
        ("post", f"{BASE}/plan/workouts/{movable['id']}/pair", {"activity_id": 424242}, 404),
        ("delete", f"{BASE}/plan/workouts/{movable['id']}/pair/424242", None, 404),
        ("put", f"{BASE}/pause", {"until": yesterday, "reason": "sick"}, 422),
        ("put", f"{BASE}/pause", {"until": movable["free_day"], "reason": "bored"}, 422),
        ("delete", f"{BASE}/pause", None, 409),
        ("put", f"{BASE}/plan", {**goal_body(), "timezone": "Mars/Olympus"}, 422),
        ("put", f"{BASE}/plan/upload", {"plan": {"weeks": "nope"}}, 422),
    ]
    for method, path, json, status in cases:
        before = snapshot(container)
        response = client.request(method, path, json=json, headers=AUTH)
        assert response.status_code == status, (method, path, json, response.text)
        assert snapshot(container) == before, (method, path)


def test_notification_channels_are_set_validated_and_never_echoed(
    client: TestClient, container: Container
) -> None:
    from store.models import Athlete

    connect_athlete(container)
    url = f"/api/v1/athletes/{ATHLETE_ID}/notifications"
    # Literal public addresses: loopback and private targets are refused (test_notification_channels_api.py).
    secret_url = "ntfys://user:s3cr3t-pass@93.184.216.34/runsmart"
    response = client.put(url, json={"urls": [secret_url, "json://93.184.216.34:9/hook"]}, headers=AUTH)
    assert response.status_code == 200
    channels = response.json()["channels"]
    assert [c.split(":")[0] for c in channels] == ["ntfys", "json"]
    assert "s3cr3t" not in response.text
    assert "s3cr3t" not in client.get(url, headers=AUTH).text
    with container.sessions() as session:
        athlete = session.get(Athlete, ATHLETE_ID)
        assert athlete is not None
        # Stored encrypted with the token key (docs/security.md).
        assert [container.cipher.decrypt(v) for v in athlete.notification_urls] == [
            secret_url,
            "json://93.184.216.34:9/hook",
        ]
    stored = athlete.notification_urls
    # A URL apprise cannot use is refused by position, and nothing changes.
    refused = client.put(
        url, json={"urls": ["json://93.184.216.34:9/hook", "not a url with s3cr3t"]}, headers=AUTH
    )
    assert refused.status_code == 422
    assert "[1]" in refused.json()["detail"]
    assert "s3cr3t" not in refused.text
    with container.sessions() as session:
        athlete = session.get(Athlete, ATHLETE_ID)
        assert athlete is not None
        assert athlete.notification_urls == stored
    assert (
        client.put("/api/v1/athletes/999/notifications", json={"urls": []}, headers=AUTH).status_code == 404
    )
    assert client.put(url, json={"urls": []}).status_code == 401


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_extreme_dates_in_moves_and_pauses_are_4xx(
    client: TestClient, container: Container, day: str
) -> None:
    connect_athlete(container)
    client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH)
    movable = future_workout(plan(client))
    for method, path, body in (
        ("post", f"{BASE}/plan/workouts/{movable['id']}/move", {"date": day}),
        ("put", f"{BASE}/pause", {"until": day, "reason": "sick"}),
    ):
        before = snapshot(container)
        response = client.request(method, path, json=body, headers=AUTH)
        assert 400 <= response.status_code < 500, (path, day, response.text)
        assert snapshot(container) == before
