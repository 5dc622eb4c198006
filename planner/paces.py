"""VDOT, training paces, equivalent race times and the time-off adjustment.

Every constant here is documented, with its source, in docs/science.md; the section is cited next to it.
Paces are in seconds per kilometre; speeds in metres per minute (the unit of the Daniels–Gilbert formulas).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

# --- Daniels–Gilbert formulas (docs/science.md#vdot; v in m/min, t in min) ------------------------------


def vo2_cost(v_m_per_min: float) -> float:
    """Oxygen cost of running at speed v (mL·kg⁻¹·min⁻¹). docs/science.md#vdot."""
    return -4.60 + 0.182258 * v_m_per_min + 0.000104 * v_m_per_min**2


def vo2max_fraction(t_min: float) -> float:
    """Fraction of VO2max that can be held for t minutes. docs/science.md#vdot."""
    return 0.8 + 0.1894393 * math.exp(-0.012778 * t_min) + 0.2989558 * math.exp(-0.1932605 * t_min)


def velocity_at_vo2(vo2: float) -> float:
    """Speed (m/min) whose oxygen cost is ``vo2``: the inverse of the quadratic. docs/science.md#vdot."""
    a, b = 0.000104, 0.182258
    return (-b + math.sqrt(b * b + 4 * a * (4.60 + vo2))) / (2 * a)


def vvdot(vdot: float) -> float:
    """Velocity at VO2max (m/min). docs/science.md#vdot."""
    return 29.54 + 5.000663 * vdot - 0.007546 * vdot**2


def vdot_from_race(distance_m: float, time_s: float) -> float:
    """VDOT = VO2(d/t) / F(t). docs/science.md#vdot (5K 24:34 → 39.11; 10K 40:00 → 51.94)."""
    if distance_m <= 0 or time_s <= 0:
        raise ValueError("a race needs a positive distance and time")
    t_min = time_s / 60.0
    return vo2_cost(distance_m / t_min) / vo2max_fraction(t_min)


def race_time(vdot: float, distance_m: float) -> float:
    """Equivalent race time in seconds for ``vdot`` over ``distance_m``.

    No closed form (docs/science.md#vdot): VO2(d/t)/F(t) falls strictly as t grows, so bisection on t converges.
    """
    if vdot <= 0 or distance_m <= 0:
        raise ValueError("vdot and distance must be positive")
    lo, hi = 1.0, 7 * 24 * 3600.0  # seconds; a week is beyond any race
    for _ in range(80):
        mid = (lo + hi) / 2
        if vdot_from_race(distance_m, mid) > vdot:
            lo = mid  # too fast: the effort needs more than vdot
        else:
            hi = mid
        if hi - lo < 0.01:
            break
    return (lo + hi) / 2


def _pace_at_fraction(vdot: float, fraction: float) -> float:
    """Pace (s/km) at a fraction of VO2max."""
    return 60_000.0 / velocity_at_vo2(vdot * fraction)


# --- Training paces (docs/science.md#training-paces) -----------------------------------------------------
# Method: the best-fit %VO2max values that reproduce DRF Table 5.2 (docs/science.md#training-paces):
# E 73.46 % (fast end) to 63.04 % (slow end), T 87.99 %, I 97.43 %; M = the predicted marathon race pace;
# R = I − 20 s/km up to VDOT 45 and I − 15 s/km from VDOT 55 (Daniels' 6-second rule and its 7–8-second
# widening for slower runners), blended linearly in between so that R pace is continuous in VDOT.
E_FAST_FRACTION = 0.7346
E_SLOW_FRACTION = 0.6304
T_FRACTION = 0.8799
I_FRACTION = 0.9743
MARATHON_M = 42_195.0


@dataclass(frozen=True, slots=True)
class Paces:
    """Training paces in s/km; E is a (fast, slow) range. docs/science.md#training-paces."""

    vdot: float
    easy: tuple[float, float]
    marathon: float
    threshold: float
    interval: float
    repetition: float

    def as_dict(self) -> dict[str, object]:
        return {
            "E": [round(self.easy[0], 1), round(self.easy[1], 1)],
            "M": round(self.marathon, 1),
            "T": round(self.threshold, 1),
            "I": round(self.interval, 1),
            "R": round(self.repetition, 1),
        }


R_OFFSET_SLOW = 20.0  # s/km below I pace up to VDOT 45 (7–8 s per 400 m)
R_OFFSET_FAST = 15.0  # s/km below I pace from VDOT 55 (6 s per 400 m)
R_BLEND = (45.0, 55.0)  # product choice: the blend's span, centred on the printed rule's VDOT-50 step


def r_offset(vdot: float) -> float:
    """How much faster R is than I (s/km), continuous in VDOT (docs/science.md#training-paces)."""
    lo, hi = R_BLEND
    share = min(1.0, max(0.0, (vdot - lo) / (hi - lo)))
    return R_OFFSET_SLOW + (R_OFFSET_FAST - R_OFFSET_SLOW) * share


def training_paces(vdot: float) -> Paces:
    """E range, M, T, I, R paces for ``vdot`` (s/km), by the method documented above (docs/science.md#training-paces)."""
    interval = _pace_at_fraction(vdot, I_FRACTION)
    return Paces(
        vdot=vdot,
        easy=(_pace_at_fraction(vdot, E_FAST_FRACTION), _pace_at_fraction(vdot, E_SLOW_FRACTION)),
        marathon=race_time(vdot, MARATHON_M) / (MARATHON_M / 1000.0),
        threshold=_pace_at_fraction(vdot, T_FRACTION),
        interval=interval,
        repetition=interval - r_offset(vdot),
    )


def race_pace(vdot: float, distance_m: float) -> float:
    """Predicted race pace (s/km) over ``distance_m``."""
    return race_time(vdot, distance_m) / (distance_m / 1000.0)


# --- Time off (docs/science.md#time-off, Daniels' FVDOT table) -------------------------------------------
_FVDOT_DAYS = (5, 6, 7, 10, 14, 21, 28, 35, 42, 49, 56, 63, 70, 72)
_FVDOT_1 = (1.000, 0.997, 0.994, 0.985, 0.973, 0.952, 0.931, 0.910, 0.889, 0.868, 0.847, 0.826, 0.805, 0.800)
# FVDOT-2 at 42 days is printed as 0.994, almost certainly a typo for 0.944 (docs/science.md#time-off).
_FVDOT_2 = (1.000, 0.998, 0.997, 0.992, 0.986, 0.976, 0.965, 0.955, 0.944, 0.934, 0.923, 0.913, 0.902, 0.900)


def fvdot(days_off: int, cross_training: bool = False) -> float:
    """The FVDOT factor for ``days_off`` (docs/science.md#time-off).

    ≤ 5 days → 1.0; ≥ 72 days → the last column; between the printed columns we interpolate linearly
    (the table is monotone, so this never gives back more than the neighbouring printed values).
    """
    table = _FVDOT_2 if cross_training else _FVDOT_1
    if days_off <= _FVDOT_DAYS[0]:
        return 1.0
    if days_off >= _FVDOT_DAYS[-1]:
        return table[-1]
    i = bisect_right(_FVDOT_DAYS, days_off) - 1
    d0, d1 = _FVDOT_DAYS[i], _FVDOT_DAYS[i + 1]
    f0, f1 = table[i], table[i + 1]
    return f0 + (f1 - f0) * (days_off - d0) / (d1 - d0)


def vdot_after_break(vdot: float, days_off: int, cross_training: bool = False) -> float:
    """Pre-break VDOT × FVDOT (docs/science.md#time-off: VDOT 50, 14 days → 48.6; 28 days → 46.6)."""
    return vdot * fvdot(days_off, cross_training)
