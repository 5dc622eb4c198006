"""How hard a completed run was: minutes at easy, threshold and interval-or-faster effort.

Each segment (device laps when there are at least two, else the per-km splits, else the whole run) is scored by
its pace against the athlete's zones, derived from the VDOT paces (science.md §1.4):
* interval-or-faster: faster than halfway between T and I pace;
* threshold: faster than halfway between M and T pace (T is 83–88 % VO2max, M 75–84 %, §1.4);
* easy: everything slower (E and M running).
Heart rate, where present and the athlete's max HR is known, can raise a segment's zone: ≥ 88 % HRmax is
threshold (§1.4: T 88–92 % HRmax), ≥ 98 % is interval (§1.4: I 98–100 %). HR lags 2–3 min (§5), so HR is only
used on segments of at least 3 minutes; short reps are scored by pace alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.activity import Activity, Lap
from planner.paces import Paces

HR_THRESHOLD = 0.88  # science.md §1.4
HR_INTERVAL = 0.98  # science.md §1.4
HR_MIN_SEGMENT_S = 180  # science.md §5: HR lags 2–3 min
EASY, THRESHOLD, INTERVAL = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Zones:
    threshold_pace: float  # s/km: at or faster than this is threshold effort
    interval_pace: float  # s/km: at or faster than this is interval-or-faster effort
    max_hr: float | None = None

    @classmethod
    def from_paces(cls, paces: Paces, max_hr: float | None = None) -> Zones:
        return cls(
            threshold_pace=(paces.marathon + paces.threshold) / 2,
            interval_pace=(paces.threshold + paces.interval) / 2,
            max_hr=max_hr,
        )


@dataclass(frozen=True, slots=True)
class RunIntensity:
    easy_s: float = 0.0
    threshold_s: float = 0.0
    interval_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.easy_s + self.threshold_s + self.interval_s

    @property
    def hard_s(self) -> float:
        """Threshold-or-faster seconds."""
        return self.threshold_s + self.interval_s

    def __add__(self, other: RunIntensity) -> RunIntensity:
        return RunIntensity(
            self.easy_s + other.easy_s,
            self.threshold_s + other.threshold_s,
            self.interval_s + other.interval_s,
        )


def _segments(a: Activity) -> Sequence[Lap]:
    if len(a.laps) >= 2:
        return a.laps
    if a.splits_metric:
        return a.splits_metric
    return (Lap(a.distance_m, a.moving_time_s, a.elapsed_time_s, a.average_heartrate),)


def segment_zone(lap: Lap, zones: Zones) -> int:
    zone = EASY
    if lap.distance_m > 0 and lap.moving_time_s > 0:
        pace = lap.moving_time_s / (lap.distance_m / 1000)
        if pace <= zones.interval_pace:
            zone = INTERVAL
        elif pace <= zones.threshold_pace:
            zone = THRESHOLD
    if zones.max_hr and lap.average_heartrate and lap.moving_time_s >= HR_MIN_SEGMENT_S:
        share = lap.average_heartrate / zones.max_hr
        if share >= HR_INTERVAL:
            zone = max(zone, INTERVAL)
        elif share >= HR_THRESHOLD:
            zone = max(zone, THRESHOLD)
    return zone


def run_intensity(a: Activity, zones: Zones) -> RunIntensity:
    """Seconds at each effort; segments' moving times are scaled to the run's moving time."""
    buckets = [0.0, 0.0, 0.0]
    segs = _segments(a)
    seg_total = sum(seg.moving_time_s for seg in segs)
    for seg in segs:
        buckets[segment_zone(seg, zones)] += seg.moving_time_s
    if seg_total > 0 and a.moving_time_s > 0:
        k = a.moving_time_s / seg_total
        buckets = [b * k for b in buckets]
    elif a.moving_time_s > 0:
        buckets = [float(a.moving_time_s), 0.0, 0.0]
    return RunIntensity(buckets[0], buckets[1], buckets[2])
