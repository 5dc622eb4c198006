"""Training load and the guards on it: weekly volume, ACWR, intensity share, quality sessions, single-run spikes.

Load unit: minutes of running (moving time) per day. science.md §3 fixes no unit; minutes keep a run's load
independent of terrain and of pace-zone edge cases.

ACWR variant (science.md §3): EWMA, Williams et al. 2017, EWMA_today = load_today·λ + (1 − λ)·EWMA_yesterday,
λ = 2/(N + 1) with N = 7 (acute, λ = 0.25) and N = 28 (chronic, λ ≈ 0.0690); ratio = acute / chronic.
Both averages start from the athlete's stated pre-plan load (weekly_km at mid-E pace, spread over 7 days), so
the ratio is 1.0 for someone who keeps running what they said they ran, instead of blowing up in week one.
Thresholds: 0.8–1.3 "sweet spot", ≥ 1.5 "danger zone" (Gabbett 2016, §3). They are legacy heuristics (§3
critiques), so the planner uses ≥ 1.5 only as one trigger among several, never alone to change volume.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from planner.activity import Activity
from planner.intensity import RunIntensity, Zones, run_intensity
from planner.plan import Workout, WorkoutType

ACUTE_N = 7  # science.md §3
CHRONIC_N = 28  # science.md §3
ACWR_DANGER = 1.5  # science.md §3
SPIKE_WINDOW_DAYS = 30  # science.md §4
HARD_SESSION_S = (
    8 * 60
)  # a run with ≥ 8 min at threshold or faster counts as a quality session (product choice)


def ewma_lambda(n: int) -> float:
    return 2.0 / (n + 1)


def daily_minutes(runs: Iterable[Activity]) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for a in runs:
        if a.is_run:
            out[a.local_date] += a.moving_time_s / 60.0
    return out


def acwr(runs: Iterable[Activity], start: date, day: date, seed_daily_min: float) -> float | None:
    """EWMA acute:chronic ratio on ``day`` (inclusive), iterating daily from ``start``."""
    loads = daily_minutes(runs)
    la, lc = ewma_lambda(ACUTE_N), ewma_lambda(CHRONIC_N)
    acute = chronic = seed_daily_min
    d = start
    while d <= day:
        x = loads.get(d, 0.0)
        acute = x * la + (1 - la) * acute
        chronic = x * lc + (1 - lc) * chronic
        d += timedelta(days=1)
    if chronic <= 0:
        return None
    return acute / chronic


def planned_hard_s(w: Workout, zones: Zones) -> float:
    """Planned seconds at threshold pace or faster: reps (and races) whose pace is in the threshold zone or
    faster by the same edges that score completed runs (planner/intensity.py)."""
    total = 0.0
    for r in w.reps:
        pace = (r.pace[0] + r.pace[1]) / 2
        if pace <= zones.threshold_pace:
            total += r.count * r.distance_m / 1000 * pace
    if w.type is WorkoutType.RACE and w.pace[0] <= zones.threshold_pace:
        total += w.duration_s
    return total


@dataclass(frozen=True, slots=True)
class WeekLoad:
    start: date
    planned_km: float
    completed_km: float
    intensity: RunIntensity
    planned_hard_share: float
    quality_planned: int
    quality_done: int
    longest_m: float
    max_spike: float | None  # max over the week's runs of distance / 30-day longest before it

    @property
    def hard_share(self) -> float:
        return self.intensity.hard_s / self.intensity.total_s if self.intensity.total_s else 0.0


def spike_ratio(run: Activity, history: Sequence[Activity]) -> float | None:
    """This run's distance over the longest run in the 30 days before it (science.md §4)."""
    oldest = run.start_local - timedelta(days=SPIKE_WINDOW_DAYS)
    prior = [a.distance_m for a in history if a.is_run and oldest <= a.start_local < run.start_local]
    if not prior or max(prior) <= 0:
        return None
    return run.distance_m / max(prior)


def week_load(
    start: date,
    workouts: Sequence[Workout],
    runs: Sequence[Activity],
    zones: Zones,
    intensities: dict[int, RunIntensity] | None = None,
    spikes: bool = True,
) -> WeekLoad:
    """The guards for the week starting ``start``; ``runs`` may hold more than the week (history for spikes)."""
    end = start + timedelta(days=6)
    in_week = [a for a in runs if a.is_run and start <= a.local_date <= end]
    total = RunIntensity()
    quality_done = 0
    for a in in_week:
        ri = intensities[a.id] if intensities and a.id in intensities else run_intensity(a, zones)
        total = total + ri
        if ri.hard_s >= HARD_SESSION_S or a.is_race:
            quality_done += 1
    planned = [w for w in workouts if w.is_run]
    planned_s = sum(w.duration_s for w in planned)
    hard = sum(planned_hard_s(w, zones) for w in planned)
    ratios = [r for r in (spike_ratio(a, runs) for a in in_week) if r is not None] if spikes else []
    return WeekLoad(
        start=start,
        planned_km=sum(w.distance_m for w in planned) / 1000,
        completed_km=sum(a.distance_m for a in in_week) / 1000,
        intensity=total,
        planned_hard_share=hard / planned_s if planned_s else 0.0,
        quality_planned=sum(1 for w in planned if w.is_quality or w.type is WorkoutType.RACE),
        quality_done=quality_done,
        longest_m=max((a.distance_m for a in in_week), default=0.0),
        max_spike=max(ratios) if ratios else None,
    )
