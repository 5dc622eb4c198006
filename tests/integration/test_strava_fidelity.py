"""Shapes real Strava sends, through event processing (real PostgreSQL, Strava mocked by `responses`)."""

from __future__ import annotations

import pytest
import responses

from composition.root import Container
from store.models import Activity
from tests.integration.conftest import (
    RATE_HEADERS,
    STRAVA,
    connect_athlete,
    detailed_activity,
    event_body,
    store_event,
)

pytestmark = pytest.mark.integration
ACTIVITY_URL = f"{STRAVA}/api/v3/activities/1360128428"
# A run entered by hand: no device, so no laps, splits, heart rate or GPS; nulls where Strava has no value.
MANUAL_RUN = {
    "manual": True,
    "workout_type": None,
    "laps": None,
    "splits_metric": None,
    "has_heartrate": False,
    "average_heartrate": None,
    "max_heartrate": None,
    "external_id": None,
    "upload_id": None,
    "start_latlng": [],
    "map": {"id": "a1", "summary_polyline": "", "resource_state": 2},
    "total_elevation_gain": None,
}


def stored(container: Container) -> Activity:
    with container.sessions() as session:
        row = session.get(Activity, 1360128428)
        assert row is not None
        session.expunge(row)
        return row


def test_a_manual_run_with_nulls_is_synced(container: Container, strava: responses.RequestsMock) -> None:
    connect_athlete(container)
    strava.get(ACTIVITY_URL, json=detailed_activity(**MANUAL_RUN), headers=RATE_HEADERS)
    assert container.events.process(store_event(container, event_body())).outcome == "synced"
    row = stored(container)
    assert row.manual
    assert row.is_run
    assert (row.laps, row.splits_metric, row.elevation_gain_m) == ([], [], 0.0)


@pytest.mark.parametrize(("private", "visibility"), [("true", "only_me"), ("false", "followers_only")])
def test_a_privacy_update_with_its_visibility_key_is_applied(
    container: Container, strava: responses.RequestsMock, private: str, visibility: str
) -> None:
    connect_athlete(container)
    strava.get(
        ACTIVITY_URL,
        json=detailed_activity(private=private == "true", visibility=visibility),
        headers=RATE_HEADERS,
    )
    container.events.process(store_event(container, event_body()))
    update = event_body(
        aspect_type="update", updates={"private": private, "visibility": visibility}, event_time=1_700_000_100
    )
    outcome = container.events.process(store_event(container, update)).outcome
    # Either way, never a failure ("ignored_unchanged": the read found our copy already up to date).
    assert outcome in ("updated_locally", "synced", "ignored_unchanged")
    assert stored(container).private is (private == "true")
