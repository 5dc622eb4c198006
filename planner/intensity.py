"""How hard a completed run was: seconds at easy, marathon, threshold and interval-or-faster effort.

Each segment (device laps when there are at least two, else the per-km splits, else the whole run) is scored by
its pace against the athlete's zones, derived from the VDOT paces (docs/science.md#intensity-zones):
* interval-or-faster: faster than halfway between T and I pace;
* threshold: faster than halfway between M and T pace (T is 83–88 % VO2max, M 75–84 %);
* marathon: faster than halfway between the fast end of E and M pace: "steady" running that feels easy but is
  not, and that the speed budget counts (docs/science.md#speed-budget);
* easy: everything slower.
Heart rate, where present and the athlete's max HR is known, can raise a segment's zone: ≥ 80 % HRmax is
marathon effort (M 80–89 % HRmax), ≥ 88 % threshold (T 88–92 %), ≥ 98 % interval (I 98–100 %). HR lags 2–3
min, so HR is only used on segments of at least 3 minutes; short reps are scored by pace alone.
Where the run's climbing is known, its pace is grade-adjusted first (docs/science.md#grade-adjusted-pace): a
hilly run at an easy-looking pace can be marathon effort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.activity import Activity, Lap
from planner.paces import Paces

HR_MARATHON = 0.80  # docs/science.md#intensity-zones: M 80–89 % HRmax
HR_THRESHOLD = 0.88  # docs/science.md#intensity-zones: T 88–92 % HRmax
HR_INTERVAL = 0.98  # docs/science.md#intensity-zones: I 98–100 % HRmax
HR_MIN_SEGMENT_S = 180  # docs/science.md#intensity-zones: HR lags 2–3 min
EASY, MARATHON, THRESHOLD, INTERVAL = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Zones:
    threshold_pace: float  # s/km: at or faster than this is threshold effort
    interval_pace: float  # s/km: at or faster than this is interval-or-faster effort
    max_hr: float | None = None
    marathon_pace: float = 0.0  # s/km: at or faster than this is marathon effort (0: not scored)

    @classmethod
    def from_paces(cls, paces: Paces, max_hr: float | None = None) -> Zones:
        return cls(
            threshold_pace=(paces.marathon + paces.threshold) / 2,
            interval_pace=(paces.threshold + paces.interval) / 2,
            max_hr=max_hr,
            marathon_pace=(paces.easy[0] + paces.marathon) / 2,
        )


@dataclass(frozen=True, slots=True)
class RunIntensity:
    easy_s: float = 0.0
    threshold_s: float = 0.0
    interval_s: float = 0.0
    marathon_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.easy_s + self.marathon_s + self.threshold_s + self.interval_s

    @property
    def hard_s(self) -> float:
        """Threshold-or-faster seconds."""
        return self.threshold_s + self.interval_s

    @property
    def speed_s(self) -> float:
        """Marathon-pace-or-faster seconds: what the speed budget counts."""
        return self.marathon_s + self.threshold_s + self.interval_s

    def __add__(self, other: RunIntensity) -> RunIntensity:
        return RunIntensity(
            self.easy_s + other.easy_s,
            self.threshold_s + other.threshold_s,
            self.interval_s + other.interval_s,
            self.marathon_s + other.marathon_s,
        )


def _segments(a: Activity) -> Sequence[Lap]:
    if len(a.laps) >= 2:
        return a.laps
    if a.splits_metric:
        return a.splits_metric
    return (Lap(a.distance_m, a.moving_time_s, a.elapsed_time_s, a.average_heartrate),)


def minetti_cost(grade: float) -> float:
    """Energy cost of running (J/kg/m) at ``grade`` (rise/run), Minetti et al. 2002 (docs/science.md#grade-adjusted-pace)."""
    i = max(-0.45, min(0.45, grade))
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


def grade_factor(distance_m: float, climb_m: float) -> float:
    """How much harder than flat a run with ``climb_m`` of climbing was, ≥ 1.

    Only the total climb is known, not where: the run is taken as a loop that climbs it over half the distance
    and descends it over the other half (docs/science.md#grade-adjusted-pace). 1.0 when nothing is known.
    """
    if distance_m <= 0 or climb_m <= 0:
        return 1.0
    grade = 2 * climb_m / distance_m
    return max(1.0, (minetti_cost(grade) + minetti_cost(-grade)) / (2 * minetti_cost(0.0)))


def segment_zone(lap: Lap, zones: Zones, grade: float = 1.0) -> int:
    """The zone of one segment; ``grade`` (≥ 1) makes its pace that much faster on the flat."""
    zone = EASY
    if lap.distance_m > 0 and lap.moving_time_s > 0:
        pace = lap.moving_time_s / (lap.distance_m / 1000) / grade
        if pace <= zones.interval_pace:
            zone = INTERVAL
        elif pace <= zones.threshold_pace:
            zone = THRESHOLD
        elif pace <= zones.marathon_pace:
            zone = MARATHON
    if zones.max_hr and lap.average_heartrate and lap.moving_time_s >= HR_MIN_SEGMENT_S:
        share = lap.average_heartrate / zones.max_hr
        if share >= HR_INTERVAL:
            zone = max(zone, INTERVAL)
        elif share >= HR_THRESHOLD:
            zone = max(zone, THRESHOLD)
        elif share >= HR_MARATHON:
            zone = max(zone, MARATHON)
    return zone


def run_intensity(a: Activity, zones: Zones) -> RunIntensity:
    """Seconds at each effort; segments' moving times are scaled to the run's moving time."""
    buckets = [0.0, 0.0, 0.0, 0.0]
    segs = _segments(a)
    seg_total = sum(seg.moving_time_s for seg in segs)
    grade = grade_factor(a.distance_m, a.elevation_gain_m)
    for seg in segs:
        buckets[segment_zone(seg, zones, grade)] += seg.moving_time_s
    if seg_total > 0 and a.moving_time_s > 0:
        k = a.moving_time_s / seg_total
        buckets = [b * k for b in buckets]
    elif a.moving_time_s > 0:
        buckets = [float(a.moving_time_s), 0.0, 0.0, 0.0]
    return RunIntensity(
        easy_s=buckets[EASY],
        threshold_s=buckets[THRESHOLD],
        interval_s=buckets[INTERVAL],
        marathon_s=buckets[MARATHON],
    )
