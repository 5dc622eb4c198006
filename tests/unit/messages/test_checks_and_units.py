"""The rules the catalogue's tests apply catch what they name, and the Audience says numbers as the athlete
expects: distances and paces converted exactly, rounded for a person, dates in the athlete's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from messages import Audience, Units
from messages.audience import METRES_PER_MILE
from tests.unit.messages.checks import problems

METRIC, IMPERIAL = Audience(Units.METRIC, "Europe/London"), Audience(Units.IMPERIAL, "America/Los_Angeles")


@pytest.mark.parametrize(
    "bad",
    [
        "You did 1 hard sessions.",
        "You did 3 hard session.",
        "Then 1 more weeks.",
        "See science.md for why.",
        "As § 3 says.",
        "Because of volume_rebuild.",
        "You ran 20 km; then 30 km.",
        "Next week is {{ facts.next_week_m }}.",
        "Your ACWR is 1.5.",
        "Your VDOT is 45.",
        "You ran 10.0 km.",
        "You ran 10.04 km.",
        "You ran  10 km.",
        "You did 2 hard sessions where 0 were planned.",
    ],
)
def test_the_rules_catch_what_they_name(bad: str) -> None:
    assert problems(bad, Units.METRIC)


def test_a_distance_in_the_other_unit_system_is_caught_both_ways() -> None:
    assert problems("You ran 10 km.", Units.IMPERIAL)
    assert problems("A pace of 8:03/mi.", Units.METRIC)
    assert not problems("You ran 6.2 mi at 8:03/mi, then 3 × 400 m.", Units.IMPERIAL)
    assert not problems(
        "Your fitness score (VDOT) is 45, and 1 hard session of 2 planned runs.", Units.METRIC
    )


@pytest.mark.parametrize("metres", [400.0, 1000.0, 5000.0, 10_049.0, 21_097.5, 42_195.0])
def test_distances_are_converted_and_rounded_to_one_decimal(metres: float) -> None:
    km, mi = METRIC.distance(metres), IMPERIAL.distance(metres)
    assert km.endswith(" km")
    assert mi.endswith(" mi")
    assert float(km.removesuffix(" km").replace(",", "")) == pytest.approx(metres / 1000, abs=0.05)
    assert float(mi.removesuffix(" mi").replace(",", "")) == pytest.approx(metres / METRES_PER_MILE, abs=0.05)
    assert not km.removesuffix(" km").endswith(".0")


@pytest.mark.parametrize("seconds_per_km", [180.0, 299.6, 321.0, 363.0, 420.0])
def test_paces_are_minutes_and_seconds_per_km_or_per_mile(seconds_per_km: float) -> None:
    per_km, per_mi = METRIC.pace(seconds_per_km), IMPERIAL.pace(seconds_per_km)
    assert per_km.endswith("/km")
    assert per_mi.endswith("/mi")
    for text, seconds in ((per_km, seconds_per_km), (per_mi, seconds_per_km * METRES_PER_MILE / 1000)):
        minutes, secs = text.split("/")[0].split(":")
        assert len(secs) == 2
        assert int(minutes) * 60 + int(secs) == round(seconds)


def test_a_pace_range_reads_as_one_pace_when_both_ends_read_the_same() -> None:
    assert METRIC.pace_range((300.0, 300.4)) == METRIC.pace(300.0)
    assert METRIC.pace_range((321.0, 363.0)) == f"{METRIC.pace_value(321.0)}–{METRIC.pace_value(363.0)}/km"


def test_a_mile_repeat_reads_in_miles_only_for_imperial_readers_and_track_repeats_in_metres() -> None:
    # A length no track marks reads in the athlete's unit ("1.6 km", not "1609 m"), so no figure looks
    # more precise than the repeat can be run.
    assert METRIC.rep_distance(METRES_PER_MILE) == METRIC.distance(METRES_PER_MILE)
    assert IMPERIAL.rep_distance(METRES_PER_MILE) == IMPERIAL.distance(METRES_PER_MILE)
    assert IMPERIAL.rep_distance(400.0) == METRIC.rep_distance(400.0) == "400 m"
    for metres in range(100, 2001, 50):  # every length a track marks, in metres in either unit system
        assert METRIC.rep_distance(float(metres)) == IMPERIAL.rep_distance(float(metres)) == f"{metres} m"


def test_instants_are_read_in_the_athletes_timezone() -> None:
    late = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)  # Monday evening in Los Angeles, Tuesday in London
    assert METRIC.day(late) == METRIC.day(date(2026, 11, 24))
    assert IMPERIAL.day(late) == IMPERIAL.day(date(2026, 11, 23))
    assert IMPERIAL.time(late) == "19:30"
    assert METRIC.time(late) == "03:30"


def test_durations_round_to_the_minute_and_percentages_keep_small_shares() -> None:
    assert METRIC.duration(45) == "45 sec"
    assert METRIC.duration(2880) == "48 min"
    assert METRIC.duration(5400) == "1 hr 30 min"
    assert METRIC.duration(3600) == "1 hr"
    assert METRIC.percent(0.784) == "78%"
    assert METRIC.percent(0.0024) == "0.2%"


def test_an_unknown_preference_or_timezone_reads_as_metric_in_utc() -> None:
    assert Audience.of("furlongs", "Not/AZone") == Audience(Units.METRIC, "Not/AZone")
    assert Audience.of(None, None).zone.key == "UTC"
    assert Audience.of("imperial", "Not/AZone").zone.key == "UTC"
