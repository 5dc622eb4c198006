"""Forged Strava events across athletes: a push names an owner and an activity, both public numbers, and carries
no signature. Whatever it names, it may not remove, hide or rewrite another athlete's run, and a tombstone it
leaves never hides a run that Strava shows its owner. Real PostgreSQL; Strava mocked at the HTTP level, each
athlete's token seeing only what Strava would show it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses
from responses import matchers
from sqlalchemy import select

from composition.root import Container, build
from runsmart.settings import Settings
from store.db import UnitOfWork
from store.models import Activity, ActivityTombstone, StravaEvent
from sync.budget import RedisBudget
from tests.integration import conftest as integration
from tests.integration.conftest import (
    ATHLETE_ID,
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
)

# The integration suite's fixtures (PostgreSQL database, Redis budget, container, `responses` Strava).
settings = integration.settings
redis_budgets = integration.redis_budgets
budget = integration.budget
container = integration.container
strava = integration.strava

pytestmark = [pytest.mark.security, pytest.mark.integration]

VICTIM = 4_242_001  # the athlete whose run the forger targets
RUN = 9_000_001  # the victim's run
RUN_URL = f"{STRAVA}/api/v3/activities/{RUN}"
ATTACKER_TOKEN = "access-1"  # ATHLETE_ID's token: the forger names this (connected) athlete as the owner
VICTIM_TOKEN = "access-victim"


def as_token(token: str) -> list[matchers.Matcher]:  # type: ignore[name-defined]
    return [matchers.header_matcher({"Authorization": f"Bearer {token}"})]


def victims_run(container: Container, strava: responses.RequestsMock) -> responses.BaseResponse:
    """Both athletes connected; the victim's run synced through a real push. Returns the victim's read."""
    connect_athlete(container)
    connect_athlete(container, VICTIM, access=VICTIM_TOKEN, refresh="refresh-victim")
    read = strava.get(
        RUN_URL,
        json=detailed_activity(RUN, VICTIM, name="Victim's long run"),
        headers=RATE_HEADERS,
        match=as_token(VICTIM_TOKEN),
    )
    real = store_event(container, event_body(RUN, owner_id=VICTIM, event_time=1_700_000_000))
    assert container.events.process(real).outcome == "synced"
    return read


def hidden_from_the_forger(strava: responses.RequestsMock) -> responses.BaseResponse:
    # A private run: Strava answers 404 to any token but its owner's.
    return strava.get(
        RUN_URL, status=404, json={"message": "Resource Not Found"}, headers=RATE_HEADERS,
        match=as_token(ATTACKER_TOKEN),
    )  # fmt: skip


def stored(container: Container) -> Activity | None:
    with container.sessions() as session:
        return session.get(Activity, RUN)


def tombstones(container: Container) -> list[int]:
    with container.sessions() as session:
        return list(session.scalars(select(ActivityTombstone.id)))


def test_a_delete_naming_another_athletes_run_removes_nothing(
    container: Container, strava: responses.RequestsMock
) -> None:
    victims_run(container, strava)
    forger_read = hidden_from_the_forger(strava)
    forged = store_event(container, event_body(RUN, "delete", owner_id=ATHLETE_ID, event_time=1_700_000_100))

    assert container.events.process(forged).outcome == "ignored_owner_mismatch"

    run = stored(container)
    assert run is not None
    assert (run.athlete_id, run.name) == (VICTIM, "Victim's long run")
    assert tombstones(container) == []
    # Decided from our own data: the forger's token is never used to "confirm" anything about the run.
    assert forger_read.call_count == 0


@pytest.mark.parametrize(
    "updates",
    [{"title": "pwned"}, {"private": "true"}, {"title": "pwned", "private": "true"}, {"type": "Ride"}],
)
def test_an_update_naming_another_athletes_run_changes_nothing(
    container: Container, strava: responses.RequestsMock, updates: dict[str, str]
) -> None:
    victim_read = victims_run(container, strava)
    forger_read = hidden_from_the_forger(strava)
    forged = store_event(
        container,
        event_body(RUN, "update", owner_id=ATHLETE_ID, updates=updates, event_time=1_700_000_100),
    )

    assert container.events.process(forged).outcome == "ignored_owner_mismatch"

    run = stored(container)
    assert run is not None
    assert (run.athlete_id, run.name, run.private) == (VICTIM, "Victim's long run", False)
    assert run.raw is not None
    assert run.raw["name"] == "Victim's long run"
    assert (forger_read.call_count, victim_read.call_count) == (0, 1)  # only the victim's own create read it


def test_a_forged_delete_before_the_run_arrives_never_hides_it(
    container: Container, strava: responses.RequestsMock
) -> None:
    # The forger pushes the delete first, naming itself as the owner of the victim's (private) run, so its own
    # token gets 404: that is no proof the victim deleted anything.
    connect_athlete(container)
    connect_athlete(container, VICTIM, access=VICTIM_TOKEN, refresh="refresh-victim")
    hidden_from_the_forger(strava)
    strava.get(
        RUN_URL, json=detailed_activity(RUN, VICTIM), headers=RATE_HEADERS, match=as_token(VICTIM_TOKEN)
    )
    forged = store_event(container, event_body(RUN, "delete", owner_id=ATHLETE_ID, event_time=1_700_000_000))
    container.events.process(forged)

    real = store_event(container, event_body(RUN, owner_id=VICTIM, event_time=1_700_000_100))
    assert container.events.process(real).outcome == "synced"
    run = stored(container)
    assert run is not None
    assert run.athlete_id == VICTIM
    assert tombstones(container) == []


def test_a_forged_delete_of_the_owners_own_unsynced_run_leaves_no_tombstone(
    container: Container, strava: responses.RequestsMock
) -> None:
    # Owner and run match, but Strava still shows the run: the delete is not confirmed, nothing is remembered.
    connect_athlete(container)
    strava.get(RUN_URL, json=detailed_activity(RUN, ATHLETE_ID), headers=RATE_HEADERS)
    forged = store_event(container, event_body(RUN, "delete", event_time=1_700_000_000))
    assert container.events.process(forged).outcome == "ignored_delete_not_confirmed"
    assert tombstones(container) == []
    create = store_event(container, event_body(RUN, event_time=1_700_000_100))
    assert container.events.process(create).outcome == "synced"


def test_a_tombstone_left_by_an_earlier_forgery_is_lifted_when_strava_shows_the_run(
    container: Container, strava: responses.RequestsMock
) -> None:
    # State an earlier release could leave behind: a tombstone for a run that exists.
    connect_athlete(container)
    with UnitOfWork(container.sessions) as uow:
        uow.session.add(ActivityTombstone(id=RUN, athlete_id=ATHLETE_ID, deleted_at=datetime.now(UTC)))
        uow.commit()
    strava.get(RUN_URL, json=detailed_activity(RUN, ATHLETE_ID), headers=RATE_HEADERS)
    create = store_event(container, event_body(RUN, event_time=1_700_000_100))
    assert container.events.process(create).outcome == "synced"
    assert stored(container) is not None
    assert tombstones(container) == []


def test_a_delete_for_another_athlete_with_a_dead_grant_removes_nothing(
    container: Container, strava: responses.RequestsMock
) -> None:
    # Deletes for a dead grant are obeyed without asking Strava, but only for the stored owner's own run.
    from store.models import StravaConnection

    victims_run(container, strava)
    with UnitOfWork(container.sessions) as uow:
        connection = uow.session.get(StravaConnection, ATHLETE_ID)
        assert connection is not None
        connection.status = "needs_reauth"
        uow.commit()
    forged = store_event(container, event_body(RUN, "delete", owner_id=ATHLETE_ID, event_time=1_700_000_100))
    assert container.events.process(forged).outcome == "ignored_owner_mismatch"
    assert stored(container) is not None
    with container.sessions() as session:
        row = session.get(StravaEvent, forged)
        assert row is not None
        assert row.status == "done"


# --- what pushes about a run we hold may spend ---------------------------------------------------------------

SMALL_ALLOWANCE = 3


@pytest.fixture
def frugal(settings: Settings, budget: RedisBudget) -> Container:
    """The container with a small allowance, so that exceeding it takes a handful of events."""
    return build(settings.model_copy(update={"unverified_call_allowance": SMALL_ALLOWANCE}), budget=budget)


@pytest.mark.parametrize(
    ("aspect", "updates"),
    [
        ("create", None),
        ("update", {"type": "Ride"}),
        ("update", {"title": "x", "type": "Run"}),
        ("delete", None),
    ],
)
def test_pushes_about_a_stored_run_that_strava_disproves_spend_at_most_the_allowance(
    frugal: Container, strava: responses.RequestsMock, aspect: str, updates: dict[str, str] | None
) -> None:
    # The forger names the run's real owner, so nothing in our data tells the push apart from Strava's: each is
    # read with the owner's token, Strava shows the run unchanged, and those reads draw on the allowance.
    read = victims_run(frugal, strava)
    for n in range(SMALL_ALLOWANCE + 5):
        body = event_body(RUN, aspect, owner_id=VICTIM, updates=updates, event_time=1_700_000_100 + n)
        frugal.events.process(store_event(frugal, body))

    assert read.call_count - 1 <= SMALL_ALLOWANCE  # the first read was the real create's
    run = stored(frugal)
    assert run is not None
    assert (run.name, run.sport_type) == ("Victim's long run", "Run")
