"""Times as the plan and the demo print them (planner/clock.py)."""

from __future__ import annotations

import pytest

from planner.clock import clock, minutes_seconds


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(245.4, "4:05"), (299.6, "5:00"), (59.5, "1:00"), (2550, "42:30"), (3599.4, "59:59")],
)
def test_paces_and_short_spans_read_in_minutes_and_seconds(seconds: float, shown: str) -> None:
    assert minutes_seconds(seconds) == shown
    assert clock(seconds) == shown


@pytest.mark.parametrize(("seconds", "shown"), [(3599.6, "1:00:00"), (5720, "1:35:20"), (3665, "1:01:05")])
def test_from_an_hour_on_a_time_reads_in_hours(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown
