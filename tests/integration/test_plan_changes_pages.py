"""`GET …/plan/changes` a page at a time (docs/api.md, "Pagination"): walking every page gives the whole list of
decisions, in order, with no duplicates and no gaps, also when a decision is made or revised between two pages;
the default page still holds the whole list; bad and stale cursors are problems."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from composition.root import Container
from store import plan_repository
from store.db import UnitOfWork
from store.plan_models import DecisionStatus
from store.plan_repository import DecisionRevision
from tests.integration.conftest import ATHLETE_ID, AUTH, connect_athlete
from tests.integration.test_plans_api import BASE, goal_body

pytestmark = pytest.mark.integration

CHANGES = f"{BASE}/plan/changes"
NEXT = re.compile(r'^<(?P<target>[^>]+)>; rel="next"$')


def store_changes(container: Container, version: int, count: int, revise: str | None = None) -> None:
    """`count` decisions first made by the plan at `version`, as the plan service records a version's decisions;
    `revise`: the id of a stored decision that this version revises too."""
    week = date(2026, 11, 23)
    made = [
        DecisionRevision(
            change_id=f"rule{version}x{n}@{week + timedelta(weeks=n)}",
            code=f"rule{version}x{n}",
            week_start=week + timedelta(weeks=n),
            revision=1,
            status=DecisionStatus.ACTIVE,
            reason=f"reason {version}.{n}",
            change={"id": f"rule{version}x{n}@{week + timedelta(weeks=n)}", "code": f"rule{version}x{n}",
                    "week_start": (week + timedelta(weeks=n)).isoformat(), "reason": f"reason {version}.{n}",
                    "workouts": []},
        )
        for n in range(count)
    ]  # fmt: skip
    with UnitOfWork(container.sessions) as uow:
        found = plan_repository.active_plan(uow.session, ATHLETE_ID)
        assert found is not None
        if revise is not None:
            stored = plan_repository.decision(uow.session, found.id, revise)
            assert stored is not None
            reason = f"revised at {version}"
            made.append(
                DecisionRevision(revise, stored.code, stored.week_start, stored.revision + 1,
                                 DecisionStatus.ACTIVE, reason, {**stored.change, "reason": reason})
            )  # fmt: skip
        plan_repository.record_revisions(uow.session, found.id, version, made, now=datetime.now(UTC))
        uow.commit()


@pytest.fixture
def many_changes(client: TestClient, container: Container) -> list[str]:
    """A plan with the first version's changes and 4 later versions of 1 to 4 changes each: the full list."""
    connect_athlete(container)
    assert client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH).status_code == 200
    for version, count in ((10, 3), (11, 1), (12, 4), (13, 2)):
        store_changes(container, version, count)
    everything = client.get(CHANGES, headers=AUTH)
    assert everything.status_code == 200
    assert "link" not in everything.headers  # the default page holds them all: no next page
    ids = [c["id"] for c in everything.json()]
    assert len(ids) >= 11
    return ids


def next_target(link: str) -> str:
    found = NEXT.match(link)
    assert found, link
    return found["target"]


def walk(client: TestClient, limit: int, between_pages: Any = None) -> tuple[list[str], int]:
    """Every page from the first, following `Link: rel=next`; `between_pages` runs after the first page."""
    ids: list[str] = []
    url, pages = f"{CHANGES}?limit={limit}", 0
    while url:
        response = client.get(url, headers=AUTH)
        assert response.status_code == 200, response.text
        page = [c["id"] for c in response.json()]
        assert 0 < len(page) <= limit
        ids += page
        pages += 1
        link = response.headers.get("link")
        url = next_target(link) if link else ""
        if pages == 1 and between_pages is not None:
            between_pages()
    return ids, pages


@pytest.mark.parametrize("limit", [1, 3, 4, 5])
def test_walking_every_page_gives_the_whole_list_once(
    client: TestClient, many_changes: list[str], limit: int
) -> None:
    ids, pages = walk(client, limit)
    assert ids == many_changes  # same order, nothing missing, nothing twice
    assert pages == -(-len(many_changes) // limit)


def test_a_change_stored_between_pages_shifts_nothing(
    client: TestClient, container: Container, many_changes: list[str]
) -> None:
    ids, _ = walk(client, 3, between_pages=lambda: store_changes(container, 14, 2))
    assert ids == many_changes  # the walk started before the new version: it sees the list as it was
    fresh = [c["id"] for c in client.get(CHANGES, headers=AUTH).json()]
    assert fresh[2:] == many_changes  # the new version's two changes come first, newest first
    assert {"rule14x0@2026-11-23", "rule14x1@2026-11-30"} == set(fresh[:2])


def test_a_decision_revised_between_pages_keeps_its_place(
    client: TestClient, container: Container, many_changes: list[str]
) -> None:
    later = many_changes[-1]  # on the walk's last page
    ids, _ = walk(client, 3, between_pages=lambda: store_changes(container, 14, 0, revise=later))
    assert ids == many_changes
    fresh = {c["id"]: c for c in client.get(CHANGES, headers=AUTH).json()}
    assert list(fresh) == many_changes  # revised in place: no new item, no move
    assert fresh[later]["reason"] == "revised at 14"
    assert [r["revision"] for r in fresh[later]["revisions"]] == list(range(1, fresh[later]["revision"] + 1))


def test_a_cursor_from_before_decisions_is_a_422_problem(client: TestClient, many_changes: list[str]) -> None:
    first = client.get(f"{CHANGES}?limit=1", headers=AUTH).json()[0]
    plan_id = client.get(f"{BASE}/plan", headers=AUTH).json()["plan_id"]
    raw = json.dumps([1, plan_id, first["version"], first["id"]], separators=(",", ":")).encode()
    old = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(CHANGES, params={"cursor": old}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["code"] == "cursor_invalid"


def test_the_next_link_keeps_the_limit_and_its_cursor_is_opaque(
    client: TestClient, many_changes: list[str]
) -> None:
    response = client.get(f"{CHANGES}?limit=2", headers=AUTH)
    target = next_target(response.headers["link"])
    assert target.startswith(f"{CHANGES}?")
    assert "limit=2" in target
    assert re.search(r"[?&]cursor=[A-Za-z0-9_-]+(&|$)", target)  # URL-safe as it is


@pytest.mark.parametrize("cursor", ["not-a-cursor", "W10", "WzEsMSwxXQ", "x" * 201])
def test_a_cursor_we_did_not_issue_is_a_422_problem(
    client: TestClient, many_changes: list[str], cursor: str
) -> None:
    response = client.get(CHANGES, params={"cursor": cursor}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] in {"cursor_invalid", "validation_failed"}


@pytest.mark.parametrize("limit", [0, -1, 1001, "many"])
def test_a_limit_out_of_range_is_a_422(client: TestClient, many_changes: list[str], limit: Any) -> None:
    response = client.get(CHANGES, params={"limit": limit}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_a_cursor_of_a_replaced_plan_is_a_409_problem(
    client: TestClient, container: Container, many_changes: list[str]
) -> None:
    target = next_target(client.get(f"{CHANGES}?limit=2", headers=AUTH).headers["link"])
    assert client.put(f"{BASE}/plan", json=goal_body(), headers=AUTH).status_code == 200  # a new plan
    response = client.get(target, headers=AUTH)
    assert response.status_code == 409
    assert response.json()["code"] == "cursor_stale"
