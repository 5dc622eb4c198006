"""Evidence of higher fitness in the runs done, and how far it may raise the working VDOT.

docs/science.md#raising-vdot: a race recalculates VDOT (Daniels–Gilbert); a sustained hard stretch of a
workout shows at least the VDOT whose threshold pace it held, counted one point lower than a race. The working
VDOT rises only on such evidence, to at most the evidence minus a margin and by at most 2 points in any 28 days.
Pure functions over ``Activity`` values; nothing here knows about plans.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from planner.activity import Activity, Lap
from planner.paces import T_FRACTION, vdot_from_race, vo2_cost

RACE_MIN_M = (
    1500.0  # shorter races say more about speed than about aerobic fitness (docs/science.md#raising-vdot)
)
EFFORT_MIN_S = 20 * 60  # a hard stretch must last this long to be read as threshold running
WORKOUT_DISCOUNT = 1.0  # a workout counts one VDOT point lower than a race at the same level (product choice)
MARGIN = 0.5  # the working VDOT stays this far below the evidence (product choice)
RATE_CAP = 2.0  # at most this many VDOT points ...
RATE_WINDOW_DAYS = 28  # ... in any 4 weeks (docs/science.md#raising-vdot)
MIN_STEP = 0.5  # smaller raises would only churn the paces
EVIDENCE_DAYS = 42  # evidence older than 6 weeks no longer describes current fitness (product choice)
PLAUSIBLE_JUMP = (
    0.15  # evidence more than 15 % above the working VDOT is a GPS glitch, a short course or downhill
)
HARD_HR_SHARE = 0.86  # a stretch at ≥ 86 % of max heart rate is a hard effort (T 88–92 %, less the HR lag)
STRUCTURE_SLOWER = (
    0.08  # laps around the stretch ≥ 8 % slower: a warm-up/cool-down, so a planned hard stretch
)
STRUCTURE_MIN_S = 5 * 60  # ... and at least 5 minutes of them
LAP_SPREAD = 0.10  # no lap of the stretch more than 10 % faster than the stretch: else a glitch or a downhill
PAUSED_SHARE = 0.90  # a segment moving for < 90 % of its clock time had its distance or its clock disturbed
AGREE_SHARE = 0.05  # laps must add up to the run's distance and moving time within 5 %


class EvidenceKind(enum.Enum):
    RACE = "race"
    EFFORT = "effort"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One run that shows a fitness level: ``vdot`` is what it shows, ``credit`` what a raise may use."""

    activity_id: int
    day: date
    kind: EvidenceKind
    vdot: float
    credit: float
    distance_m: float
    time_s: float


def vdot_from_threshold_pace(pace_s_per_km: float) -> float:
    """The VDOT whose threshold pace is ``pace_s_per_km``: the exact inverse of ``training_paces(v).threshold``
    (T pace runs at T_FRACTION of VDOT's oxygen cost, docs/science.md#training-paces)."""
    if pace_s_per_km <= 0:
        raise ValueError("a pace must be positive")
    return vo2_cost(60_000.0 / pace_s_per_km) / T_FRACTION


def _believable(ev: Evidence | None, current: float) -> Evidence | None:
    """Evidence far above the working VDOT is a GPS glitch, a short course or a downhill, not fitness."""
    return ev if ev is not None and ev.vdot <= current * (1 + PLAUSIBLE_JUMP) else None


def race_evidence(a: Activity, current: float) -> Evidence | None:
    """A race of ≥ 1.5 km by Daniels–Gilbert on its clock time (elapsed: a race clock never pauses)."""
    return _believable(_race(a), current)


def _race(a: Activity) -> Evidence | None:
    if not (a.is_run and a.is_race) or a.distance_m < RACE_MIN_M or a.elapsed_time_s <= 0:
        return None
    time_s = max(a.elapsed_time_s, a.moving_time_s)
    vdot = vdot_from_race(a.distance_m, time_s)
    return Evidence(a.id, a.local_date, EvidenceKind.RACE, vdot, vdot, a.distance_m, time_s)


def _plausible(seg: Lap) -> bool:
    return (
        seg.distance_m > 0
        and seg.moving_time_s > 0
        and seg.moving_time_s >= PAUSED_SHARE * seg.elapsed_time_s
    )


def _pace(distance_m: float, time_s: float) -> float:
    return time_s / (distance_m / 1000.0)


def _hr_share(laps: Sequence[Lap], max_hr: float | None) -> float | None:
    """The stretch's time-weighted heart rate as a share of max, when every lap of it has one."""
    if not max_hr or any(x.average_heartrate is None for x in laps):
        return None
    total = sum(x.moving_time_s for x in laps)
    return sum((x.average_heartrate or 0.0) * x.moving_time_s for x in laps) / total / max_hr


def _stretches(laps: Sequence[Lap]) -> Iterable[tuple[int, int]]:
    """Every shortest run of consecutive laps lasting ≥ 20 min, as (first, end) indices."""
    end, time_s = 0, 0
    for first in range(len(laps)):
        while end < len(laps) and time_s < EFFORT_MIN_S:
            time_s += laps[end].moving_time_s
            end += 1
        if time_s < EFFORT_MIN_S:
            return
        yield first, end
        time_s -= laps[first].moving_time_s


def _hard(stretch: Sequence[Lap], rest: Sequence[Lap], pace: float, max_hr: float | None) -> bool:
    """Heart rate decides when known; otherwise slower laps around the stretch must show a structured workout."""
    share = _hr_share(stretch, max_hr)
    if share is not None:
        return share >= HARD_HR_SHARE
    rest_s = sum(x.moving_time_s for x in rest)
    rest_m = sum(x.distance_m for x in rest)
    return rest_s >= STRUCTURE_MIN_S and rest_m > 0 and _pace(rest_m, rest_s) >= pace * (1 + STRUCTURE_SLOWER)


def _laps_agree(a: Activity) -> bool:
    dist = sum(x.distance_m for x in a.laps)
    moving = sum(x.moving_time_s for x in a.laps)
    return abs(dist - a.distance_m) <= AGREE_SHARE * a.distance_m and abs(moving - a.moving_time_s) <= max(
        AGREE_SHARE * a.moving_time_s, 60
    )


def _best_lap_stretch(a: Activity, max_hr: float | None) -> tuple[float, float] | None:
    """(metres, seconds) of the fastest hard, plausible stretch of laps lasting ≥ 20 minutes, widened by the
    laps next to it run at the same effort (so a 25-minute tempo reads as 25 minutes, not 20)."""
    laps = a.laps
    if not _laps_agree(a):
        return None
    best: tuple[int, int] | None = None
    best_pace = 0.0
    for first, end in _stretches(laps):
        stretch = laps[first:end]
        pace = _pace(sum(x.distance_m for x in stretch), sum(x.moving_time_s for x in stretch))
        if not all(
            _plausible(x) and _pace(x.distance_m, x.moving_time_s) >= pace * (1 - LAP_SPREAD) for x in stretch
        ):
            continue
        if not _hard(stretch, [*laps[:first], *laps[end:]], pace, max_hr):
            continue
        if best is None or pace < best_pace:
            best, best_pace = (first, end), pace
    if best is None:
        return None
    first, end = _widen(laps, *best, best_pace)
    return sum(x.distance_m for x in laps[first:end]), float(sum(x.moving_time_s for x in laps[first:end]))


def _widen(laps: Sequence[Lap], first: int, end: int, pace: float) -> tuple[int, int]:
    """Take in the neighbouring laps run at the stretch's pace (within 2 %, the slower side only)."""

    def same(x: Lap) -> bool:
        return (
            _plausible(x) and pace * (1 - LAP_SPREAD) <= _pace(x.distance_m, x.moving_time_s) <= pace * 1.02
        )

    while first > 0 and same(laps[first - 1]):
        first -= 1
    while end < len(laps) and same(laps[end]):
        end += 1
    return first, end


def effort_evidence(a: Activity, current: float, max_hr: float | None) -> Evidence | None:
    """A sustained hard stretch outside a race: its pace read as threshold pace (a lower bound on fitness, since
    T pace can be held for about an hour and the stretch lasted 20 minutes or more)."""
    return _believable(_effort(a, max_hr), current)


def _effort(a: Activity, max_hr: float | None) -> Evidence | None:
    if not a.is_run or a.is_race or a.manual:
        return None
    found: tuple[float, float] | None
    if len(a.laps) >= 2:
        found = _best_lap_stretch(a, max_hr)
    else:
        whole = Lap(a.distance_m, a.moving_time_s, a.elapsed_time_s, a.average_heartrate)
        share = _hr_share([whole], max_hr)
        hard = share is not None and share >= HARD_HR_SHARE and a.moving_time_s >= EFFORT_MIN_S
        found = (a.distance_m, float(a.moving_time_s)) if hard and _plausible(whole) else None
    if found is None:
        return None
    vdot = vdot_from_threshold_pace(_pace(*found))
    credit = vdot - WORKOUT_DISCOUNT
    return Evidence(a.id, a.local_date, EvidenceKind.EFFORT, vdot, credit, found[0], found[1])


def evidence_in(runs: Iterable[Activity], max_hr: float | None) -> list[Evidence]:
    """Every run that shows a fitness level, oldest first (read once per adaptation)."""
    found = (evidence_of(a, max_hr) for a in runs)
    return sorted((ev for ev in found if ev is not None), key=lambda ev: (ev.day, ev.activity_id))


def best_evidence(
    evidence: Iterable[Evidence], current: float, lo: date, hi: date, ignore: Collection[int] = frozenset()
) -> Evidence | None:
    """The believable evidence dated ``lo``..``hi`` with the highest credit, ``ignore`` (run ids) left out."""
    fits = (
        ev
        for ev in evidence
        if lo <= ev.day <= hi and ev.activity_id not in ignore and _believable(ev, current) is not None
    )
    return max(fits, key=lambda ev: ev.credit, default=None)


# Evidence by run object: adaptation re-reads the same runs for every week of every re-derivation. Keyed by
# identity and kept with the run itself, so a changed run (a new object) is always read afresh (the same
# scheme as planner.adapt.scored_intensity); bounded by clearing.
_EVIDENCE: dict[tuple[int, float | None], tuple[Activity, Evidence | None]] = {}
_EVIDENCE_MAX = 8192


def forget_evidence() -> int:
    """Empty the evidence memo; returns how many runs it held."""
    held = len(_EVIDENCE)
    _EVIDENCE.clear()
    return held


def evidence_of(a: Activity, max_hr: float | None) -> Evidence | None:
    """What run ``a`` shows, before the plausibility check against the working VDOT (memoized)."""
    key = (id(a), max_hr)
    hit = _EVIDENCE.get(key)
    if hit is not None and hit[0] is a:
        return hit[1]
    if len(_EVIDENCE) >= _EVIDENCE_MAX:
        _EVIDENCE.clear()
    found = _race(a) or _effort(a, max_hr)
    _EVIDENCE[key] = (a, found)
    return found


def allowed_raise(raises: Iterable[tuple[date, float]], day: date) -> float:
    """What is left of the 2-point cap for a raise on ``day``, counting the raises of the 28 days up to it."""
    lo = day - timedelta(days=RATE_WINDOW_DAYS)
    return max(0.0, RATE_CAP - sum(amount for d, amount in raises if lo < d <= day))


def raised_vdot(current: float, evidence: Evidence | None, allowed: float) -> float | None:
    """The new working VDOT, or None when the evidence does not justify a raise of at least MIN_STEP."""
    if evidence is None:
        return None
    target = min(evidence.credit - MARGIN, current + allowed)
    return target if target >= current + MIN_STEP - 1e-9 else None


def first_day_after_break(run_days: Sequence[date], until: date, min_gap_days: int) -> date | None:
    """The first run day after the latest run-free stretch of ≥ ``min_gap_days`` ending by ``until`` (run days
    sorted): evidence from before a break says nothing about fitness after it."""
    i = bisect_right(run_days, until) - 1
    oldest = until - timedelta(days=EVIDENCE_DAYS)  # a break that ended before the evidence window is moot
    while i > 0 and run_days[i] >= oldest:
        if (run_days[i] - run_days[i - 1]).days - 1 >= min_gap_days:
            return run_days[i]
        i -= 1
    return None
