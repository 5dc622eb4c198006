"""Plan generation: ``generate_plan(athlete, goal, start) -> Plan``.

Rules (each cited to ../shared/reference/science.md, and documented in docs/planner.md):
* Phases: base (easy volume, strides) → threshold (tempo, cruise intervals) → intervals (I reps, longest
  first, down to 400 m; R reps for 5K/10K) → taper. Speed work only in the last min(8, n // 2) weeks
  (§7: quality in the last ~6–8 weeks; shorter plans scale it down).
* Volume: hold a level 3 weeks, a down week (80 %) every 4th, then add 1.6 km per weekly run, ≤ 16 km (§4).
* Taper (§7): the last 2 weeks (3 for the marathon) at 55 / 45 % (75 / 60 / 40 % for the marathon) of the
  peak, i.e. a 50 % (41.7 %) mean cut, inside Bosquet's 41–60 %; intensity kept (one quality session a week).
* No planned run longer than 110 % of the longest run in the previous 30 days (§4), counting the athlete's
  current long run (or 25 % of weekly volume, §1.5) as run the day before the plan starts. The race is exempt.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter

from planner import sessions as s
from planner.paces import race_pace, race_time, training_paces, vdot_from_race
from planner.plan import Athlete, Goal, GoalKind, Phase, Plan, Week, Workout, WorkoutType

SPIKE_LIMIT = 1.10  # science.md §4 (Frandsen 2025): no run > 110 % of the 30-day longest
SPIKE_WINDOW_DAYS = 30  # science.md §4
HOLD_WEEKS = 3  # science.md §4: hold a level ≥ 3 weeks
DOWN_WEEK_FACTOR = 0.80  # product choice; §4 gives the cadence (every 3–4 weeks), not the depth
STEP_KM_PER_RUN = 1.6  # science.md §4: +1 mile per weekly session
STEP_MAX_KM = 16.0  # science.md §4: at most 10 miles per step
TAPER_2 = (0.55, 0.45)  # science.md §7 Bosquet: 2 weeks, volume −41–60 %
TAPER_3 = (0.75, 0.60, 0.40)  # science.md §7 Pfitzinger marathon: −20–25 %, −40 %, −60 %
SPEED_WEEKS_MAX = 8  # science.md §7: speed work in the last 6–8 weeks
RECOVERY_FACTORS = (0.50, 0.75)  # science.md §8: return at 50 % then 75 % of previous load
LONG_RUN_ESTIMATE_SHARE = 0.25  # science.md §1.5: long run 25–30 % of the week (low end, conservative)
LARGE_SPIKE = 2.0  # science.md §4: > 100 % over the 30-day longest is a "large" spike (HRR 2.28)
MARATHON_M = 42_195.0
MIN_PHASE_WEEKS = 3
MIN_EASY_M = 1500.0  # product choice: shorter runs are dropped in very small weeks  # science.md §7: with fewer weeks, phases of at least 3 weeks each


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def athlete_vdot(athlete: Athlete) -> float:
    if athlete.recent_race is not None:
        return vdot_from_race(athlete.recent_race.distance_m, athlete.recent_race.time_s)
    if athlete.vdot is not None:
        return athlete.vdot
    raise ValueError("the athlete needs a recent race or a VDOT")


_DEFAULT_OFFSETS = {1: (), 2: (3,), 3: (5, 3), 4: (5, 4, 2), 5: (6, 5, 3, 2), 6: (5, 4, 3, 2, 1)}


def run_days(athlete: Athlete) -> tuple[int, ...]:
    """Weekdays (0 = Monday) the athlete runs; the long-run day is always one of them."""
    if athlete.run_days:
        return tuple(sorted(set(athlete.run_days) | {athlete.long_run_day}))
    n = max(1, min(7, athlete.runs_per_week))
    if n == 7:
        return tuple(range(7))
    return tuple(
        sorted({athlete.long_run_day} | {(athlete.long_run_day - o) % 7 for o in _DEFAULT_OFFSETS[n]})
    )


def quality_days(days: Sequence[int], long_day: int, count: int) -> tuple[int, ...]:
    """Up to ``count`` quality days: ~5 and ~3 days before the long run, never the day before it, never
    adjacent to each other."""
    offsets = {d: (long_day - d) % 7 for d in days if d != long_day}
    chosen: list[int] = []
    for target in (5, 3)[:count]:
        options = [
            d
            for d, o in offsets.items()
            if o >= 2 and d not in chosen and all(abs(o - offsets[c]) >= 2 for c in chosen)
        ]
        if not options:
            break
        chosen.append(min(options, key=lambda d: (abs(offsets[d] - target), -offsets[d])))
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class WeekSpec:
    """What a week should hold: the generator's intent, which adaptation rebuilds from."""

    index: int
    start: date
    phase: Phase
    volume_km: float
    phase_week: int  # 0-based position inside its phase
    phase_len: int

    @property
    def end_date(self) -> date:
        return self.start + timedelta(days=6)


@dataclass(frozen=True, slots=True)
class Blueprint:
    athlete: Athlete
    goal: Goal
    start: date
    ctx: s.SessionContext
    days: tuple[int, ...]
    specs: tuple[WeekSpec, ...]
    seed_long_m: float
    race_time_s: float | None
    q_days: tuple[int, ...] = ()


def _phases(goal: Goal, n: int, early_race: bool = False) -> list[Phase]:
    """Phase of each week. ``early_race``: most run days of the race week fall after the race, so the taper
    gets one more calendar week to still span 2 (3) weeks of training before the race."""
    if goal.kind is GoalKind.RECOVERY:
        return [Phase.RECOVERY] * n
    if goal.kind is GoalKind.MAINTENANCE:
        return [Phase.MAINTENANCE] * n
    taper = 3 if (goal.distance_m or 0) >= MARATHON_M - 1 else 2
    taper = min(taper, max(1, n // 3)) if n < 6 else taper + (1 if early_race else 0)
    speed = max(taper, min(SPEED_WEEKS_MAX, n // 2))
    quality = speed - taper
    t_weeks = math.ceil(quality / 2)
    i_weeks = quality - t_weeks
    base = n - speed
    return (
        [Phase.BASE] * base
        + [Phase.THRESHOLD] * t_weeks
        + [Phase.INTERVALS] * i_weeks
        + [Phase.TAPER] * taper
    )


def _volumes(athlete: Athlete, goal: Goal, phases: Sequence[Phase]) -> list[float]:
    v0 = athlete.weekly_km
    step = min(STEP_KM_PER_RUN * max(1, athlete.runs_per_week), STEP_MAX_KM)
    if goal.kind is GoalKind.RECOVERY:
        return [v0 * (RECOVERY_FACTORS[i] if i < len(RECOVERY_FACTORS) else 1.0) for i in range(len(phases))]
    vols: list[float] = []
    level = v0
    peak = v0
    build = [p for p in phases if p is not Phase.TAPER]
    for i in range(len(build)):
        pos = i % (HOLD_WEEKS + 1)
        if pos == HOLD_WEEKS:
            vols.append(level * DOWN_WEEK_FACTOR)
            if goal.kind is GoalKind.RACE:
                level += step
        else:
            vols.append(level)
            peak = level
    n_taper = sum(1 for p in phases if p is Phase.TAPER)
    marathon = (goal.distance_m or 0) >= MARATHON_M - 1
    fractions: tuple[float, ...] = TAPER_3 if marathon else TAPER_2
    if n_taper > len(fractions):  # early race: the race week repeats the last taper step
        fractions = fractions + (fractions[-1],) * (n_taper - len(fractions))
    fractions = fractions[-n_taper:] if n_taper else ()
    if n_taper == 1:
        fractions = (0.5,)
    vols.extend(peak * f for f in fractions)
    return vols


def blueprint(athlete: Athlete, goal: Goal, start: date) -> Blueprint:
    if athlete.weekly_km <= 0:
        raise ValueError("weekly_km must be positive")
    if athlete.runs_per_week < 1:
        raise ValueError("runs_per_week must be at least 1")
    if goal.date < start:
        raise ValueError("the goal date is before the plan start")
    if goal.kind is GoalKind.RACE and not goal.distance_m:
        raise ValueError("a race goal needs distance_m")
    vdot = athlete_vdot(athlete)
    paces = training_paces(vdot)
    rt = race_time(vdot, goal.distance_m) if goal.kind is GoalKind.RACE and goal.distance_m else None
    rp = race_pace(vdot, goal.distance_m) if goal.distance_m else None
    ctx = s.SessionContext(paces=paces, race_distance_m=goal.distance_m, race_pace=rp)
    first = monday(start)
    n = (monday(goal.date) - first).days // 7 + 1
    days = run_days(athlete)
    race_monday = monday(goal.date)
    before = sum(1 for d in days if race_monday + timedelta(days=d) < goal.date)
    phases = _phases(goal, n, early_race=goal.kind is GoalKind.RACE and before < len(days) / 2)
    vols = _volumes(athlete, goal, phases)
    specs = []
    for i, (phase, vol) in enumerate(zip(phases, vols, strict=True)):
        phase_week = sum(1 for p in phases[:i] if p is phase)
        specs.append(WeekSpec(i, first + timedelta(weeks=i), phase, vol, phase_week, phases.count(phase)))
    seed = athlete.long_run_km if athlete.long_run_km else LONG_RUN_ESTIMATE_SHARE * athlete.weekly_km
    q_days = quality_days(days, athlete.long_run_day, _quality_count(athlete, days))
    return Blueprint(athlete, goal, start, ctx, days, tuple(specs), seed * 1000, rt, q_days)


def _quality_count(athlete: Athlete, days: Sequence[int]) -> int:
    return 2 if len(days) >= 5 else 1 if len(days) >= 3 else 0


def _quality_sessions(bp: Blueprint, spec: WeekSpec, day: date, slot: int, vol: float) -> Workout | None:
    ctx, goal = bp.ctx, bp.goal
    short_race = (goal.distance_m or 0) <= 10_000
    lengths = s.interval_rep_lengths(ctx.paces)
    i_lengths = [d for d in lengths if d != s.MILE_M] if lengths and lengths[0] != s.MILE_M else list(lengths)
    if spec.phase is Phase.THRESHOLD:
        if slot == 0:
            return s.threshold(ctx, day, vol, steady=spec.phase_week == 0)
        if short_race or goal.kind is not GoalKind.RACE:
            return s.threshold(ctx, day, vol * 0.6, steady=False)
        return s.race_pace(ctx, day, vol, share=0.15)
    if spec.phase is Phase.INTERVALS:
        if slot == 0:
            # longest reps first, down to 400 m by the last interval week (science.md §7 progression)
            k = spec.phase_week
            span = max(1, spec.phase_len - 1)
            idx = round(k * (len(i_lengths) - 1) / span) if spec.phase_len > 1 else 0
            return s.intervals(ctx, day, vol, i_lengths[min(idx, len(i_lengths) - 1)])
        if short_race:
            return s.repetitions(ctx, day, vol)
        return s.race_pace(ctx, day, vol, share=0.15)
    if spec.phase is Phase.TAPER:
        # intensity kept, volume reduced (science.md §7): short I reps sized by the taper week's volume
        return s.intervals(ctx, day, vol, 800.0) if slot == 0 else None
    if spec.phase is Phase.MAINTENANCE and slot == 0:
        if spec.index % 2 == 0:
            return s.threshold(ctx, day, vol, steady=False)
        return s.intervals(ctx, day, vol, 800.0)
    return None


def build_week(bp: Blueprint, spec: WeekSpec, volume_km: float | None = None) -> tuple[Workout, ...]:
    """The week's workouts at ``volume_km`` (default: the spec's), before the spike cap."""
    ctx, goal, athlete = bp.ctx, bp.goal, bp.athlete
    vol = spec.volume_km if volume_km is None else volume_km
    dates = {d: spec.start + timedelta(days=d) for d in bp.days}
    is_race_week = goal.kind is GoalKind.RACE and spec.start <= goal.date <= spec.start + timedelta(days=6)
    long_day = athlete.long_run_day
    q_days = bp.q_days
    out: dict[date, Workout] = {}
    budget = vol * 1000
    if is_race_week and bp.race_time_s is not None and goal.distance_m:
        # the race week's taper volume covers only the run days before the race (science.md §7)
        before = sum(1 for d in bp.days if dates[d] < goal.date)
        vol *= before / max(1, len(bp.days))
        budget = vol * 1000
        out[goal.date] = s.race(ctx, goal.date, goal.distance_m, bp.race_time_s)
        q_days = tuple(d for d in q_days[:1] if dates[d] <= goal.date - timedelta(days=3))
        long_day = -1
    for slot, d in enumerate(q_days):
        day = dates[d]
        if day in out:
            continue
        w = _quality_sessions(bp, spec, day, slot, vol)
        if w is not None:
            out[day] = w
            budget -= w.distance_m
    if long_day in dates and dates[long_day] not in out:
        long_m = min(s.LONG_SHARE * vol * 1000, ctx.long_max_m)
        out[dates[long_day]] = s.long_run(ctx, dates[long_day], long_m)
        budget -= out[dates[long_day]].distance_m
    easy_days = [dates[d] for d in bp.days if dates[d] not in out]
    if is_race_week:
        easy_days = [d for d in easy_days if d < goal.date]
    # very small weeks: fewer, not silly-short, easy runs (at least 1.5 km each); never more than the budget
    while len(easy_days) > 1 and budget / len(easy_days) < MIN_EASY_M:
        easy_days.pop(len(easy_days) // 2)
    if easy_days and budget >= MIN_EASY_M:
        each = budget / len(easy_days)
        strides_left = 2 if spec.phase is Phase.BASE and spec.index >= 1 else 0
        for day in easy_days:
            strides = s.STRIDES if strides_left > 0 else 0
            strides_left -= 1
            out[day] = s.easy(ctx, day, each, strides=strides)
    return tuple(out[d] for d in sorted(out) if d >= bp.start)


def _fix_long_share(ctx: s.SessionContext, workouts: tuple[Workout, ...]) -> tuple[Workout, ...]:
    """Long run ≤ 30 % of the week's planned volume (science.md §1.5)."""
    total = sum(w.distance_m for w in workouts if w.is_run)
    out = []
    for w in workouts:
        if w.type is WorkoutType.LONG and w.distance_m > s.LONG_SHARE_CAP * total:
            others = total - w.distance_m
            limit = math.floor(s.LONG_SHARE_CAP / (1 - s.LONG_SHARE_CAP) * others / 100) * 100
            w = s.scaled(ctx, w, limit / w.distance_m)
        out.append(w)
    return tuple(out)


_SHARE_CAPS = {"T": s.T_SHARE, "I": s.I_SHARE, "R": s.R_SHARE}


def _fix_session_caps(ctx: s.SessionContext, workouts: tuple[Workout, ...]) -> tuple[Workout, ...]:
    """Per session T ≤ 10 %, I ≤ 8 %, R ≤ 5 % of the week actually planned (science.md §1.5).

    Sessions are sized from the week's target; when the spike cap or a partial first week leaves the week
    smaller, reps are dropped (and a session with fewer than 2 reps becomes an easy run).
    """
    out = list(workouts)
    for _ in range(20):
        total = sum(w.distance_m for w in out if w.is_run)
        bad = next(
            (
                (i, r)
                for i, w in enumerate(out)
                for r in w.reps
                if r.label in _SHARE_CAPS and r.count * r.distance_m > _SHARE_CAPS[r.label] * total + 1e-6
            ),
            None,
        )
        if bad is None:
            return tuple(out)
        i, r = bad
        w = out[i]
        fit = math.floor(_SHARE_CAPS[r.label] * total / r.distance_m)
        if r.count == 1 and _SHARE_CAPS[r.label] * total >= 1000:
            out[i] = s.resized(ctx, w, 1, math.floor(_SHARE_CAPS[r.label] * total / 100) * 100)
        elif 2 <= fit < r.count:
            out[i] = s.resized(ctx, w, fit, r.distance_m)
        elif r.count > 2:
            out[i] = s.resized(ctx, w, r.count - 1, r.distance_m)
        else:
            out[i] = s.as_easy(ctx, w, f"easy (the week is too small for: {w.note})")
    return tuple(out)


_DAY, _METRES = itemgetter(0), itemgetter(1)  # of a (date, metres) history entry


def spike_limit(history: Iterable[tuple[date, float]], day: date) -> float | None:
    """110 % of the longest run in the 30 days before ``day`` (science.md §4); None with no history.

    ``history`` is (date, metres) in date order, so the 30 days are found by bisection (this runs for every
    planned run of every rendered week; adaptation renders weeks many times).
    """
    seq = history if isinstance(history, list) else list(history)
    oldest = day - timedelta(days=SPIKE_WINDOW_DAYS)
    window = seq[bisect_left(seq, oldest, key=_DAY) : bisect_left(seq, day, key=_DAY)]
    if not window:
        return None
    return SPIKE_LIMIT * max(map(_METRES, window))


def apply_spike_cap(
    ctx: s.SessionContext, workouts: Sequence[Workout], history: list[tuple[date, float]]
) -> tuple[Workout, ...]:
    """Cap each run at 110 % of the 30-day longest, chronologically; ``history`` is extended in place."""
    out = []
    for w in sorted(workouts, key=lambda x: x.date):
        if w.is_run and w.type is not WorkoutType.RACE:
            limit = spike_limit(history, w.date)
            if limit is not None:
                w = s.capped(ctx, w, limit)
        if w.is_run:
            history.append((w.date, w.distance_m))
        out.append(w)
    return tuple(out)


def finish_week(
    ctx: s.SessionContext, workouts: tuple[Workout, ...], history: list[tuple[date, float]]
) -> tuple[Workout, ...]:
    """Spike cap then long-run share, repeated until both hold (each pass only shortens runs)."""
    base = list(history)
    for _ in range(60):  # each pass only shortens runs (in 100 m steps), so this converges
        trial = list(base)
        capped = apply_spike_cap(ctx, workouts, trial)
        fixed = _fix_session_caps(ctx, _fix_long_share(ctx, capped))
        if fixed == capped:
            history[:] = trial
            return fixed
        workouts = fixed
    history[:] = base
    final = apply_spike_cap(ctx, workouts, history)
    return final


def _race_safety(bp: Blueprint, weeks: Sequence[Week]) -> tuple[bool, str, list[str]]:
    warnings: list[str] = []
    goal = bp.goal
    if goal.kind is not GoalKind.RACE or not goal.distance_m:
        return False, "", warnings
    n = len(weeks)
    if n < 2 * MIN_PHASE_WEEKS:
        warnings.append(
            f"Only {n} weeks to the race: fewer than the {2 * MIN_PHASE_WEEKS} that a base and a final-quality "
            "phase of 3 weeks each need (science.md §7); the plan is compressed."
        )
    runs = [w for wk in weeks for w in wk.workouts if w.is_run and w.type is not WorkoutType.RACE]
    window = [
        w.distance_m for w in runs if goal.date - timedelta(days=SPIKE_WINDOW_DAYS) <= w.date < goal.date
    ]
    if n * 7 < SPIKE_WINDOW_DAYS or not window:
        window.append(bp.seed_long_m)
    longest = max(window)
    ratio = goal.distance_m / longest
    if ratio > LARGE_SPIKE:
        reason = (
            f"The race ({goal.distance_m / 1000:g} km) is {ratio:.1f}× the longest run this plan can safely reach "
            f"in the 30 days before it ({longest / 1000:.1f} km) from {bp.athlete.weekly_km:g} km a week: "
            "a spike of more than 100 %, the band with the highest injury risk (HRR 2.28, science.md §4). "
            "Choose a shorter race or a later date."
        )
        return True, reason, warnings
    return False, "", warnings


def training_km(workouts: Iterable[Workout]) -> float:
    """Planned km without the race itself."""
    return sum(w.distance_m for w in workouts if w.is_run and w.type is not WorkoutType.RACE) / 1000


def render_baseline(bp: Blueprint) -> tuple[Blueprint, list[Week]]:
    """Render every week in order with the 110 % rule; the taper is cut from the peak actually planned.

    When the spike cap kept the build weeks below their targets, the taper weeks' targets are scaled by the
    same ratio so that the cut stays 41–60 % of what the athlete really reached (science.md §7). The returned
    blueprint carries those final targets, which adaptation starts from.
    """
    history: list[tuple[date, float]] = [(bp.start - timedelta(days=1), bp.seed_long_m)]
    weeks: list[Week] = []
    specs = list(bp.specs)
    for i, spec in enumerate(specs):
        if spec.phase is Phase.TAPER and (i == 0 or specs[i - 1].phase is not Phase.TAPER) and weeks:
            target_peak = max(sp.volume_km for sp in specs[:i])
            planned_peak = max(training_km(w.workouts) for w in weeks)
            ratio = min(1.0, planned_peak / target_peak) if target_peak > 0 else 1.0
            for j in range(i, len(specs)):
                if specs[j].phase is Phase.TAPER:
                    specs[j] = replace(specs[j], volume_km=specs[j].volume_km * ratio)
            spec = specs[i]
        workouts = finish_week(bp.ctx, build_week(bp, spec), history)
        weeks.append(Week(spec.index, spec.start, spec.phase, workouts))
    return replace(bp, specs=tuple(specs)), weeks


@lru_cache(maxsize=512)
def baseline(athlete: Athlete, goal: Goal, start: date) -> tuple[Blueprint, tuple[Week, ...]]:
    """The generated weeks and their blueprint; memoized, because adaptation re-derives from them every time
    (a pure function of immutable values, so the cache can never serve a stale answer)."""
    bp, weeks = render_baseline(blueprint(athlete, goal, start))
    return bp, tuple(weeks)


def generate_plan(athlete: Athlete, goal: Goal, start: date) -> Plan:
    """Weeks of dated workouts for ``goal`` from ``start``; unsafe goals are flagged with a reason."""
    bp, baseline_weeks = baseline(athlete, goal, start)
    weeks = list(baseline_weeks)
    warnings: list[str] = []
    if not athlete.long_run_km:
        warnings.append(
            f"No current long run given: assuming {bp.seed_long_m / 1000:.1f} km "
            "(25 % of weekly volume, science.md §1.5) for the 110 % rule (§4)."
        )
    unsafe, reason, more = _race_safety(bp, weeks)
    warnings.extend(more)
    if unsafe:
        warnings.append(reason)
    return Plan(
        athlete=athlete,
        goal=goal,
        start=start,
        base_vdot=bp.ctx.paces.vdot,
        vdot=bp.ctx.paces.vdot,
        weeks=tuple(weeks),
        warnings=tuple(warnings),
        unsafe=unsafe,
        unsafe_reason=reason,
    )


def with_paces(bp: Blueprint, vdot: float) -> Blueprint:
    """The same blueprint at a different working VDOT (after a break, science.md §8)."""
    paces = training_paces(vdot)
    rp = race_pace(vdot, bp.goal.distance_m) if bp.goal.distance_m else None
    return replace(bp, ctx=replace(bp.ctx, paces=paces, race_pace=rp))
