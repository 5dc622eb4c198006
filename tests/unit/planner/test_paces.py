"""Paces and VDOT against the values checked in science.md §1.1, §1.4 and §8."""

from __future__ import annotations

import pytest

from planner import fvdot, race_time, training_paces, vdot_after_break, vdot_from_race
from planner.paces import vo2max_fraction, vvdot


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(10, 1.010), (20, 0.953), (40, 0.9138), (60, 0.888), (120, 0.841), (180, 0.819), (240, 0.809)],
)
def test_fraction_of_vo2max_matches_science_1_1(minutes: float, expected: float) -> None:
    # science.md §1.1 "Values checked here with the formulas"
    assert vo2max_fraction(minutes) == pytest.approx(expected, abs=0.0015)


@pytest.mark.parametrize(
    ("distance_m", "time_s", "expected"),
    [
        (5000, 24 * 60 + 34, 39.11),  # science.md §1.1, tlgs/vdot notebook 1
        (10000, 40 * 60, 51.94),  # science.md §1.1, OpenWorkoutTracker worked example
    ],
)
def test_vdot_from_race(distance_m: float, time_s: float, expected: float) -> None:
    assert vdot_from_race(distance_m, time_s) == pytest.approx(expected, abs=0.005)


# science.md §1.1: the DRF VDOT-50 race times give back VDOT 49.95–49.97
VDOT50_RACES = [
    (5000, 19 * 60 + 57),
    (10000, 41 * 60 + 21),
    (21097.5, 3600 + 31 * 60 + 35),
    (42195, 3 * 3600 + 10 * 60 + 49),
]


@pytest.mark.parametrize(("distance_m", "time_s"), VDOT50_RACES)
def test_drf_vdot50_times_give_back_vdot_50(distance_m: float, time_s: float) -> None:
    assert 49.94 <= vdot_from_race(distance_m, time_s) <= 49.975


@pytest.mark.parametrize(("distance_m", "time_s"), VDOT50_RACES)
def test_equivalent_race_time_for_vdot_50_is_within_a_few_seconds_of_drf(
    distance_m: float, time_s: float
) -> None:
    # science.md §1.1: race time solved by bisection; the table times give 49.95–49.97, so VDOT 50 is a bit faster
    t = race_time(50.0, distance_m)
    assert time_s - 15 <= t <= time_s
    assert vdot_from_race(distance_m, t) == pytest.approx(50.0, abs=1e-3)


def test_race_time_is_the_inverse_of_vdot() -> None:
    for vdot in (30.0, 42.5, 60.0, 80.0):
        for d in (1500.0, 5000.0, 42195.0):
            assert vdot_from_race(d, race_time(vdot, d)) == pytest.approx(vdot, abs=1e-3)


def test_vvdot_at_50() -> None:
    assert vvdot(50) == pytest.approx(260.7, abs=0.05)  # science.md §1.1


def test_training_paces_at_vdot_50() -> None:
    p = training_paces(50.0)
    # science.md §1.1/§1.4: T pace is 4:15/km in the DRF table (fit within ±5 s/km)
    assert p.threshold == pytest.approx(255, abs=5)
    # §1.4: GoldenCheetah's I at VDOT 50 is 3:55/km; the best-fit 97.43 % gives the same within ±5 s/km
    assert p.interval == pytest.approx(235, abs=5)
    # §1.4: M = the predicted marathon race pace (3:10:49 for VDOT 50 → 4:31/km)
    assert p.marathon == pytest.approx((3 * 3600 + 10 * 60 + 49) / 42.195, abs=1.0)
    # §1.4: R = I − 15 s/km at VDOT ≥ 50
    assert p.repetition == pytest.approx(p.interval - 15)
    # E is a range, slower than M, and ordered fast..slow
    assert p.marathon < p.easy[0] < p.easy[1]
    assert p.repetition < p.interval < p.threshold < p.marathon


def test_r_pace_uses_20_seconds_below_vdot_50() -> None:
    p = training_paces(49.0)
    assert p.repetition == pytest.approx(p.interval - 20)  # science.md §1.4


@pytest.mark.parametrize(
    ("days", "plain", "cross"),
    [
        (0, 1.0, 1.0),
        (5, 1.0, 1.0),
        (6, 0.997, 0.998),
        (7, 0.994, 0.997),
        (14, 0.973, 0.986),
        (28, 0.931, 0.965),
        (42, 0.889, 0.944),  # FVDOT-2 typo 0.994 corrected to 0.944, science.md §8
        (70, 0.805, 0.902),
        (72, 0.800, 0.900),
        (400, 0.800, 0.900),
    ],
)
def test_fvdot_table(days: int, plain: float, cross: float) -> None:
    assert fvdot(days) == pytest.approx(plain)
    assert fvdot(days, cross_training=True) == pytest.approx(cross)


def test_fvdot_interpolates_between_columns_and_never_rises() -> None:
    values = [fvdot(d) for d in range(0, 80)]
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))
    assert fvdot(8) == pytest.approx(0.994 + (0.985 - 0.994) / 3)


@pytest.mark.parametrize(
    ("days", "plain", "cross"), [(14, 48.6, 49.3), (28, 46.6, 48.2), (56, 42.4, 46.2), (72, 40.0, 45.0)]
)
def test_worked_vdot_after_break_values(days: int, plain: float, cross: float) -> None:
    # science.md §8 "Worked values at VDOT 50"
    assert vdot_after_break(50, days) == pytest.approx(plain, abs=0.05)
    assert vdot_after_break(50, days, cross_training=True) == pytest.approx(cross, abs=0.05)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="positive"):
        vdot_from_race(0, 100)
    with pytest.raises(ValueError, match="positive"):
        race_time(0, 5000)
