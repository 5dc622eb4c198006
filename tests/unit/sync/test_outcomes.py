"""Event outcomes and statuses are StrEnums whose values are what the database columns hold."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import Column, String

from store.models import (
    BackfillJob,
    ConnectionStatus,
    EventAttempt,
    EventStatus,
    JobStatus,
    ReconciliationRun,
    StravaConnection,
    StravaEvent,
)
from store.outcomes import EventOutcome


def _length(column: Column[str]) -> int:
    assert isinstance(column.type, String)
    assert column.type.length is not None
    return column.type.length


@pytest.mark.parametrize(
    ("values", "columns"),
    [
        (EventOutcome, [StravaEvent.__table__.c.outcome, EventAttempt.__table__.c.outcome]),
        (EventStatus, [StravaEvent.__table__.c.status]),
        (ConnectionStatus, [StravaConnection.__table__.c.status]),
        (JobStatus, [BackfillJob.__table__.c.status, ReconciliationRun.__table__.c.status]),
    ],
)
def test_every_value_fits_the_column_that_stores_it(
    values: type[StrEnum], columns: list[Column[str]]
) -> None:
    for column in columns:
        too_long = [member.value for member in values if len(member.value) > _length(column)]
        assert not too_long, f"{too_long} do not fit {column}"


def test_a_member_is_its_stored_string() -> None:
    for member in EventOutcome:
        assert member == member.value
        assert (
            str(member) == f"{member}" == member.value
        )  # logs, metrics' labels and rows see the plain value


def test_a_wait_parks_as_its_own_parked_outcome_and_nothing_else_parks() -> None:
    waits = [member for member in EventOutcome if EventOutcome.__members__.get(f"{member.name}_PARKED")]
    assert waits, "no outcome has a parked form"
    for member in waits:
        assert member.parked is EventOutcome[f"{member.name}_PARKED"]
    for member in set(EventOutcome) - set(waits):
        with pytest.raises(ValueError, match="is not a valid EventOutcome"):
            _ = member.parked


def test_no_wait_runs_the_plan_pipeline() -> None:
    """A pending event wrote nothing yet: parked, retrying or waiting outcomes never reach the pipeline."""
    waiting = {member for member in EventOutcome if member.name.endswith(("_PARKED", "RETRYING"))}
    assert waiting
    assert not {member for member in waiting if member.changes_plan_inputs}
