"""The intervals.icu stand-in (simulator/intervals_icu.py) follows the documented calendar API: Basic auth with
the API_KEY user, upsert by external id per caller, bulk delete that ignores what is not there, the calendar
listing, queued faults; and its reading of workout text (simulator/icu_workout_doc.py)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient

from simulator import icu_workout_doc
from simulator.intervals_icu import IcuWorld, create_app
from simulator.intervals_icu_serve import StandIn

KEY = "k3y-of-athlete-one"
AUTH = ("API_KEY", KEY)
BULK = "/api/v1/athlete/i1/events/bulk"
DELETE = "/api/v1/athlete/i1/events/bulk-delete"


def workout(external_id: str, day: str = "2026-03-04", **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "category": "WORKOUT",
        "start_date_local": f"{day}T00:00:00",
        **fields,
    }


@pytest.fixture
def world() -> IcuWorld:
    w = IcuWorld()
    w.add_athlete("i1", KEY)
    w.add_athlete("i2", "k3y-of-athlete-two")
    return w


@pytest.fixture
def client(world: IcuWorld) -> TestClient:
    return TestClient(create_app(world))


def test_auth_is_basic_with_the_api_key_user(client: TestClient) -> None:
    assert client.post(BULK, json=[], auth=AUTH).status_code == 200
    assert client.post(BULK, json=[], auth=("athlete", KEY)).status_code == 401
    assert client.post(BULK, json=[], auth=("API_KEY", "wrong")).status_code == 401
    assert client.post(BULK, json=[]).status_code == 401
    assert client.post("/api/v1/athlete/i2/events/bulk", json=[], auth=AUTH).status_code == 403
    assert (
        client.post("/api/v1/athlete/0/events/bulk", json=[], auth=AUTH).status_code == 200
    )  # "0": the key's own


def test_upsert_updates_by_external_id_and_without_it_creates(client: TestClient, world: IcuWorld) -> None:
    [first] = client.post(BULK, params={"upsert": "true"}, json=[workout("a", name="one")], auth=AUTH).json()
    [again] = client.post(BULK, params={"upsert": "true"}, json=[workout("a", name="two")], auth=AUTH).json()
    assert again["id"] == first["id"]
    assert [e["name"] for e in world.calendar("i1")] == ["two"]
    client.post(BULK, json=[workout("a", name="three")], auth=AUTH)  # without upsert: a new event
    assert len(world.calendar("i1")) == 2


def test_external_ids_match_only_events_of_the_same_caller(client: TestClient, world: IcuWorld) -> None:
    world.upsert("i1", "another-application", [workout("a")], upsert=False)
    client.post(BULK, params={"upsert": "true"}, json=[workout("a")], auth=AUTH)
    assert len(world.calendar("i1")) == 2
    assert client.put(DELETE, json=[{"external_id": "a"}], auth=AUTH).json() == {"eventsDeleted": 1}
    assert len(world.calendar("i1")) == 1


def test_bulk_delete_ignores_what_is_not_there(client: TestClient, world: IcuWorld) -> None:
    client.post(BULK, params={"upsert": "true"}, json=[workout("a"), workout("b")], auth=AUTH)
    answer = client.put(DELETE, json=[{"external_id": "a"}, {"external_id": "zzz"}], auth=AUTH)
    assert answer.json() == {"eventsDeleted": 1}
    assert client.put(DELETE, json=[{"external_id": "a"}], auth=AUTH).json() == {"eventsDeleted": 0}
    assert [e["external_id"] for e in world.calendar("i1")] == ["b"]


def test_events_must_name_a_category_and_a_local_date(client: TestClient) -> None:
    assert client.post(BULK, json=[{"category": "WORKOUT"}], auth=AUTH).status_code == 400
    assert client.post(BULK, json=[workout("a", category="PARTY")], auth=AUTH).status_code == 400


def test_the_calendar_lists_by_day_and_category(client: TestClient) -> None:
    client.post(BULK, json=[workout("b", "2026-03-06"), workout("a", "2026-03-04")], auth=AUTH)
    client.post(BULK, json=[{"category": "NOTE", "start_date_local": "2026-03-05T00:00:00"}], auth=AUTH)
    listed = client.get(
        "/api/v1/athlete/i1/events", params={"oldest": "2026-03-05", "category": "WORKOUT"}, auth=AUTH
    )
    assert [e["external_id"] for e in listed.json()] == ["b"]


def test_faults_answer_before_anything_else_with_their_retry_after(client: TestClient) -> None:
    client.post("/_icu/faults", json={"status": 503, "on": "/bulk-delete"})
    client.post("/_icu/faults", json={"status": 429, "times": 2, "retry_after": 30})
    assert client.put(DELETE, json=[], auth=AUTH).status_code == 503
    first = client.post(BULK, json=[], auth=AUTH)
    assert (first.status_code, first.headers["retry-after"]) == (429, "30")
    assert client.post(BULK, json=[], auth=AUTH).status_code == 429
    assert client.post(BULK, json=[], auth=AUTH).status_code == 200
    assert len(client.get("/_icu/requests").json()) == 4


def test_a_workouts_text_is_read_into_steps(client: TestClient) -> None:
    text = (
        "easy\n\nWarmup\n- Warmup 2km 5:00/km-5:30/km Pace\n\n"
        "Main Set 3x\n- Rep 400mtr 3:40/km Pace\n- Recovery 1m30s\n\n- Cooldown 1km"
    )
    [event] = client.post(BULK, json=[workout("a", description=text)], auth=AUTH).json()
    doc = event["workout_doc"]
    assert doc["unparsed"] == []
    assert doc["distance"] == pytest.approx(2000 + 3 * 400 + 1000)
    assert doc["duration"] == pytest.approx(3 * 90)
    assert doc["steps"][1]["reps"] == 3
    assert doc["steps"][1]["steps"][0]["pace"] == {"start": 220.0, "end": 220.0}


@pytest.mark.parametrize("line", ["- Run 5:00/km Pace", "- Run 2km fast", "- Run 2km 5:00 Pace"])
def test_a_step_line_it_cannot_read_is_reported(line: str) -> None:
    assert icu_workout_doc.parse(line).unparsed == [line]


def test_m_is_minutes_as_in_the_syntax() -> None:
    [step] = icu_workout_doc.parse("- 400m 3:40/km Pace").steps
    assert step["duration"] == 400 * 60


def test_it_serves_from_a_thread() -> None:
    with StandIn() as icu:
        icu.add_athlete("i9", KEY)
        response = requests.post(
            f"{icu.base_url}/api/v1/athlete/i9/events/bulk", json=[workout("x")], auth=AUTH, timeout=5
        )
        assert response.status_code == 200
        assert [e["external_id"] for e in icu.events("i9")] == ["x"]
