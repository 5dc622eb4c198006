"""Run intensity against the zones (§1.4, §5), EWMA ACWR (§3) and the weekly guards (§4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planner import Zones, acwr, run_intensity, training_paces, week_load
from planner.activity import Lap
from planner.intensity import INTERVAL, THRESHOLD, segment_zone
from planner.load import ewma_lambda, spike_ratio

from .helpers import run

P = training_paces(50.0)  # E 4:55–5:34, M 4:31, T 4:15, I 3:55 per km
Z = Zones.from_paces(P, max_hr=190)
MON = date(2026, 3, 2)


def test_zone_edges_sit_between_the_daniels_paces() -> None:
    assert P.threshold < Z.threshold_pace < P.marathon  # §1.4: M 75–84 %, T 83–88 % VO2max
    assert P.interval < Z.interval_pace < P.threshold


def test_easy_run_is_all_easy() -> None:
    ri = run_intensity(run(1, MON, 10, pace=320), Z)
    assert ri.easy_s == pytest.approx(3200)
    assert ri.hard_s == 0


def test_interval_session_scored_per_lap() -> None:
    laps = [(2000, 320)] + [(1000, 235), (400, 360)] * 4 + [(1000, 235), (2000, 320)]
    ri = run_intensity(run(1, MON, 0, laps=laps), Z)
    assert ri.interval_s == pytest.approx(5 * 235)
    assert ri.threshold_s == 0
    assert ri.easy_s == pytest.approx(4 * 320 + 4 * 144)


def test_tempo_is_threshold() -> None:
    laps = [(2000, 320), (5000, 256), (2000, 320)]
    ri = run_intensity(run(1, MON, 0, laps=laps), Z)
    assert ri.threshold_s == pytest.approx(5 * 256)
    assert ri.interval_s == 0


def test_splits_are_used_when_there_are_no_laps() -> None:
    from dataclasses import replace

    splits = (Lap(1000, 320, 320), Lap(1000, 250, 250), Lap(1000, 320, 320))
    a = replace(run(1, MON, 3, pace=320), splits_metric=splits, moving_time_s=890)
    ri = run_intensity(a, Z)
    assert ri.threshold_s == pytest.approx(250)
    assert ri.easy_s == pytest.approx(640)
    # segment times are scaled to the run's moving time when they do not add up (auto-pause, rounding)
    assert run_intensity(replace(a, moving_time_s=1780), Z).threshold_s == pytest.approx(500)


@pytest.mark.parametrize(
    ("hr", "seconds", "expected"),
    [
        (150, 600, 0),  # 79 % HRmax: easy
        (168, 600, THRESHOLD),  # 88 %: threshold (§1.4 T 88–92 % HRmax)
        (187, 600, INTERVAL),  # 98 %: interval (§1.4 I 98–100 %)
        (187, 120, 0),  # a 2-min segment: HR lags 2–3 min, so pace alone decides (§5)
    ],
)
def test_heart_rate_raises_the_zone_on_long_segments(hr: float, seconds: int, expected: int) -> None:
    # an easy pace (e.g. uphill trail) with a high heart rate
    lap = Lap(seconds / 330 * 1000, seconds, seconds, hr)
    assert segment_zone(lap, Z) == expected


def test_heart_rate_ignored_without_max_hr() -> None:
    lap = Lap(1818, 600, 600, 187)
    assert segment_zone(lap, Zones.from_paces(P)) == 0


def test_ewma_lambdas() -> None:
    assert ewma_lambda(7) == pytest.approx(0.25)  # science.md §3
    assert ewma_lambda(28) == pytest.approx(0.0690, abs=1e-4)


def test_acwr_steady_load_is_one() -> None:
    runs = [run(i, MON + timedelta(days=i), 10, pace=330) for i in range(60)]
    assert acwr(runs, MON, MON + timedelta(days=59), seed_daily_min=55.0) == pytest.approx(1.0)


def test_acwr_matches_a_hand_computed_ewma() -> None:
    # zero load for 10 days after a seed of 60 min/day, then one 120-min day
    runs = [run(1, MON + timedelta(days=10), 24, pace=300)]
    a = c = 60.0
    for d in range(11):
        x = 120.0 if d == 10 else 0.0
        a = x * 0.25 + 0.75 * a
        c = x * (2 / 29) + (1 - 2 / 29) * c
    assert acwr(runs, MON, MON + timedelta(days=10), 60.0) == pytest.approx(a / c)


def test_acwr_spike_crosses_the_danger_zone() -> None:
    base = [run(i, MON + timedelta(days=i), 8, pace=330) for i in range(0, 28, 2)]
    spike = [run(100 + i, MON + timedelta(days=28 + i), 16, pace=330) for i in range(7)]
    ratio = acwr(base + spike, MON, MON + timedelta(days=34), seed_daily_min=22.0)
    assert ratio is not None
    assert ratio >= 1.5  # science.md §3: ≥ 1.5 "danger zone"


def test_spike_ratio_against_30_day_longest() -> None:
    history = [run(1, MON, 10), run(2, MON + timedelta(days=20), 12), run(3, MON + timedelta(days=40), 14)]
    assert spike_ratio(history[2], history) == pytest.approx(14 / 12)  # the 10 km is > 30 days before
    assert spike_ratio(history[0], history) is None


def test_week_load_counts_quality_and_hard_share() -> None:
    tempo = run(2, MON + timedelta(days=1), 0, laps=[(2000, 320), (6000, 256), (2000, 320)])
    runs = [run(1, MON, 8, pace=320), tempo, run(3, MON + timedelta(days=8), 8)]
    wl = week_load(MON, [], runs, Z)
    assert wl.completed_km == pytest.approx(18)
    assert wl.quality_done == 1
    assert wl.hard_share == pytest.approx(6 * 256 / (8 * 320 + 4 * 320 + 6 * 256))
    assert wl.longest_m == 10000
