"""The one-run rule (docs/sources.md#one-run-one-activity) at its edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sources.matching import (
    DISTANCE_TOLERANCE_SHARE,
    DURATION_TOLERANCE_S,
    START_TOLERANCE_S,
    Relation,
    Span,
    relation,
)

T0 = datetime(2026, 7, 21, 7, 0, tzinfo=UTC)


def run(
    minutes_in: float = 0, minutes: float = 50, km: float = 10.0, *, sport: str = "Run", indoor: bool = False
) -> Span:
    return Span(T0 + timedelta(minutes=minutes_in), round(minutes * 60), km * 1000, sport, indoor)


def test_the_same_run_from_two_devices_with_clock_skew_and_gps_differences_is_one_run() -> None:
    strava = run()
    watch = run(minutes_in=1.5, minutes=49, km=10.3)  # 90 s skew, stopped a minute earlier, 3 % more distance
    assert relation(watch, strava) is Relation.SAME_RUN
    assert relation(strava, watch) is Relation.SAME_RUN


def test_a_double_run_on_one_day_stays_two_runs() -> None:
    morning, evening = run(), run(minutes_in=11 * 60)
    assert relation(morning, evening) is Relation.DISTINCT


def test_back_to_back_activities_never_merge_even_when_alike() -> None:
    # Two short strides recorded apart: starts four minutes apart, equal durations and distances.
    first, second = run(minutes=3, km=0.6), run(minutes_in=4, minutes=3, km=0.6)
    assert relation(first, second) is Relation.DISTINCT


def test_a_treadmill_run_with_a_wrong_distance_is_still_the_same_run() -> None:
    corrected_on_strava = run(km=10.0, indoor=True)
    watch_estimate = run(minutes_in=0.2, minutes=50.1, km=8.1, indoor=True)  # 19 % short: wrist-based pace
    assert relation(watch_estimate, corrected_on_strava) is Relation.SAME_RUN


def test_one_recording_with_a_gps_dropout_is_the_same_run_outdoors_too() -> None:
    assert relation(run(km=10.0), run(minutes_in=0.5, km=6.5)) is Relation.SAME_RUN


def test_outdoors_a_distance_far_off_with_a_looser_time_match_is_not_the_same_run() -> None:
    other = run(minutes_in=3, minutes=53, km=10.0 * (1 + 2 * DISTANCE_TOLERANCE_SHARE))
    assert relation(other, run()) is Relation.DISTINCT


def test_starts_further_apart_than_the_clock_tolerance_are_not_the_same_run() -> None:
    later = run(minutes_in=(START_TOLERANCE_S + 60) / 60)
    assert relation(later, run()) is not Relation.SAME_RUN


def test_durations_further_apart_than_the_tolerance_are_not_the_same_run() -> None:
    longer = run(minutes=50 + (DURATION_TOLERANCE_S + 0.2 * 3000) / 60, km=10.0)
    assert relation(longer, run()) is not Relation.SAME_RUN


def test_a_run_split_in_two_files_gives_two_pieces_of_the_whole() -> None:
    whole = run(minutes=60, km=12)
    first, second = run(minutes=29, km=6), run(minutes_in=31, minutes=29, km=6)
    assert relation(first, whole) is Relation.PART_OF
    assert relation(second, whole) is Relation.PART_OF
    assert relation(whole, second) is Relation.CONTAINS
    assert relation(first, second) is Relation.DISTINCT


def test_a_walk_left_recording_never_swallows_the_run_inside_it() -> None:
    walk = run(minutes_in=-60, minutes=240, km=12, sport="Walk")
    assert relation(run(), walk) is Relation.DISTINCT


def test_a_run_re_typed_as_a_ride_on_strava_is_still_the_same_recording() -> None:
    # The watch called it a run, the athlete corrected it on Strava: one activity, whose type the priority picks.
    assert relation(run(sport="Run"), run(sport="Ride")) is Relation.SAME_RUN


@pytest.mark.parametrize("minutes_in", [-4.0, -1.0, 0.0, 2.0, 4.5])
def test_the_relation_is_symmetric_for_the_same_run(minutes_in: float) -> None:
    a, b = run(), run(minutes_in=minutes_in, minutes=51, km=10.2)
    assert (relation(a, b) is Relation.SAME_RUN) == (relation(b, a) is Relation.SAME_RUN)
