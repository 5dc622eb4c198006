"""Training load and the guards on it: weekly volume, ACWR, intensity share, quality sessions, single-run spikes.

Load unit: minutes of running (moving time) per day. The sources fix no unit; minutes keep a run's load
independent of terrain and of pace-zone edge cases.

The primary safety rule is the single-run spike (docs/science.md#spike-rule): a run longer than 110 % of
the longest run of the previous 30 days (Frandsen et al. 2025). ``run_spikes`` finds them among runs done.

ACWR is secondary information only (docs/science.md#acwr): it changes nothing in the plan. Variant:
EWMA, Williams et al. 2017, EWMA_today = load_today·λ + (1 − λ)·EWMA_yesterday, λ = 2/(N + 1) with N = 7
(acute, λ = 0.25) and N = 28 (chronic, λ ≈ 0.0690); ratio = acute / chronic. Both averages start from real
history (``acwr_seed``): the runs of the 4 weeks before the plan when they are known, else the athlete's stated
weekly volume, so an empty history never shows a ratio far from 1.

The speed budget (docs/science.md#speed-budget): seconds at marathon pace or faster, counted on every run,
against what the week planned plus a phase allowance (``speed_budget_s``).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from planner.activity import Activity
from planner.intensity import RunIntensity, Zones, run_intensity
from planner.plan import Phase, Workout, WorkoutType

ACUTE_N = 7  # docs/science.md#acwr
CHRONIC_N = 28  # docs/science.md#acwr
ACWR_DANGER = 1.5  # docs/science.md#acwr (shown, never acted on)
SEED_HISTORY_DAYS = (
    21  # real history seeds the ratio when it reaches this far before the plan (product choice)
)
SPIKE_WINDOW_DAYS = 30  # docs/science.md#spike-rule
SPIKE_LIMIT = 1.10  # docs/science.md#spike-rule: reference band is ≤ 10 % over the 30-day longest
# docs/science.md#speed-budget: on top of the planned marathon-or-faster time, a share of the week's planned
# time (strides, a fast finish, hills); never less than SPEED_ALLOWANCE_MIN_S
SPEED_ALLOWANCE: dict[Phase, float] = {
    Phase.BASE: 0.05,
    Phase.THRESHOLD: 0.05,
    Phase.INTERVALS: 0.05,
    Phase.TAPER: 0.05,
    Phase.RECOVERY: 0.03,
    Phase.MAINTENANCE: 0.05,
}
SPEED_ALLOWANCE_MIN_S = 10 * 60
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


def acwr_seed(
    runs: Iterable[Activity], start: date, stated_weekly_km: float, easy_pace_s_per_km: float
) -> float:
    """Daily minutes both EWMAs start from: the runs of the 28 days before ``start`` when the stored history
    reaches at least 21 days back (a backfill), else the athlete's stated weekly volume at easy pace."""
    before = [a for a in runs if a.is_run and start - timedelta(days=CHRONIC_N) <= a.local_date < start]
    if before and min(a.local_date for a in before) <= start - timedelta(days=SEED_HISTORY_DAYS):
        return sum(a.moving_time_s for a in before) / 60.0 / CHRONIC_N
    return stated_weekly_km * easy_pace_s_per_km / 60.0 / 7


@dataclass(frozen=True, slots=True)
class Spike:
    activity: Activity
    longest_before_m: float  # the longest run of the 30 days before it
    ratio: float


HISTORY_COVERS_DAYS = 14  # stored runs reaching back this far cover "a good part" of the 30-day window


def pre_plan_seed(
    run_days: Sequence[date], plan_start: date, stated: tuple[date, float]
) -> tuple[date, float] | None:
    """The stated long run as a run of the day before the plan, or None when stored runs cover the 30 days
    before the plan (their first run at least 14 days before it, some run inside the window): then the spike
    rule's 30-day longest comes from what was actually run, and the stated figure only fills in where there is
    no history (docs/science.md#spike-rule)."""
    if not run_days:
        return stated
    in_window = any(plan_start - timedelta(days=SPIKE_WINDOW_DAYS) <= d < plan_start for d in run_days)
    reaches_back = min(run_days) <= plan_start - timedelta(days=HISTORY_COVERS_DAYS)
    return None if in_window and reaches_back else stated


def run_spikes(runs: Sequence[Activity], seed: tuple[date, float] | None = None) -> list[Spike]:
    """Runs longer than 110 % of the longest run of the 30 days before them (docs/science.md#spike-rule).

    ``runs`` in any order; ``seed`` is a (day, metres) run known from before the data (the athlete's stated
    long run), so the first runs of a plan are judged against it instead of against nothing.
    """
    ordered = sorted((a for a in runs if a.is_run), key=lambda a: (a.start_local, a.id))
    seeded: list[tuple[datetime, float, Activity | None]] = [
        (a.start_local, a.distance_m, a) for a in ordered
    ]
    if seed is not None:  # in time order with the runs: the window below needs chronological pushes
        seeded.append((datetime.combine(seed[0], time(0)), seed[1], None))
        seeded.sort(key=lambda e: (e[0], e[2].id if e[2] is not None else -1))
    window: deque[tuple[datetime, float]] = deque()  # the last 30 days, longest first (a monotonic queue)
    out = []
    for when, metres, a in seeded:
        oldest = when - timedelta(days=SPIKE_WINDOW_DAYS)
        while window and window[0][0] < oldest:
            window.popleft()
        longest = window[0][1] if window else 0.0
        if a is not None and longest > 0 and metres > SPIKE_LIMIT * longest + 1.0:
            out.append(Spike(a, longest, metres / longest))
        while window and window[-1][1] <= metres:
            window.pop()
        window.append((when, metres))
    return out


def planned_speed_s(w: Workout, zones: Zones) -> float:
    """Planned seconds at marathon pace or faster: reps (race pace included) and races."""
    edge = zones.marathon_pace or zones.threshold_pace
    total = 0.0
    for r in w.reps:
        pace = (r.pace[0] + r.pace[1]) / 2
        if pace <= edge:
            total += r.count * r.distance_m / 1000 * pace
    if w.type is WorkoutType.RACE:
        total += w.duration_s
    return total


def speed_budget_s(phase: Phase, workouts: Sequence[Workout], zones: Zones) -> float:
    """The week's budget of seconds at marathon pace or faster (docs/science.md#speed-budget)."""
    runs = [w for w in workouts if w.is_run]
    planned = sum(planned_speed_s(w, zones) for w in runs)
    week_s = sum(w.duration_s for w in runs)
    return planned + max(SPEED_ALLOWANCE_MIN_S, SPEED_ALLOWANCE.get(phase, 0.05) * week_s)


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
    """This run's distance over the longest run in the 30 days before it (docs/science.md#spike-rule)."""
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
