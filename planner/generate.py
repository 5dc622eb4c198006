"""Plan generation: ``generate_plan(athlete, goal, start) -> Plan``.

Rules (each documented with its source in docs/science.md and summarised in docs/planner.md):
* Inputs are checked for plausibility first (planner/inputs.py, docs/science.md#plausible-inputs).
* Phases (docs/science.md#phases): base (easy volume, strides) → threshold (tempo, cruise intervals) →
  intervals (I reps of 3–5 min, longest first; 400 m at R for 5K/10K) → taper. Quality only in the last
  min(8, n // 2) weeks; when that leaves fewer than 4 quality weeks they form one final-quality phase that
  still starts with a tempo run.
* Volume (docs/science.md#volume-progression): hold a level 3 weeks, then step by 1.6 km per weekly run
  (≤ 16 km, ≤ 10 % of the level); a new level starts with a shorter long run; no week more than 10 % above
  the one before. Race plans grow towards the volume their long run needs (docs/science.md#long-run; the long
  run at most 150 minutes), and a runner who already runs that much grows at most one 10 % step above it.
* Long run (docs/science.md#long-run): 28 % of the week (38 % in marathon plans), ≤ 150 min, always the week's
  longest run, towards a race-specific goal length (32 km for the marathon). Easy runs last ≥ 30 minutes: small
  weeks get fewer, longer runs, unless the spike rule needs more, shorter ones (run/walk weeks exempt).
* Quality (docs/science.md#quality-caps, #quality-budget, #interval-bouts): each session within its Daniels cap,
  all quality work of a week (race pace included) ≤ 15 % of its volume.
* Taper (docs/science.md#taper): the last 2 weeks (3 for the marathon) at 55 / 45 % (75 / 60 / 40 %) of the
  peak, intensity kept (one quality session a week).
* No planned run longer than 110 % of the longest run in the previous 30 days (docs/science.md#spike-rule),
  counting the athlete's current long run (or 25 % of weekly volume) as run the day before the plan starts.
* A break before the plan (``athlete.break_days``) lowers the VDOT by Daniels' time-off factor and starts the
  plan with a return that lasts about as long as the break, run/walk after long breaks
  (docs/science.md#time-off, #return-after-break).
* A goal time is checked against the prediction from current fitness (docs/science.md#goal-times): slower than
  predicted is comfortable; slower than walking the distance is refused as input (planner/inputs.py).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from itertools import combinations
from operator import itemgetter

from planner import sessions as s
from planner.clock import clock
from planner.inputs import WEEKLY_KM_MAX, check_inputs
from planner.paces import fvdot, race_pace, race_time, training_paces, vdot_from_race
from planner.plan import (
    Athlete,
    Goal,
    GoalKind,
    GoalVerdict,
    Notice,
    Phase,
    Plan,
    Week,
    Workout,
    WorkoutType,
)
from planner.reasons import NoticeCode, checked, metres, share

SPIKE_LIMIT = 1.10  # docs/science.md#spike-rule: no run > 110 % of the 30-day longest
# docs/science.md#spike-rule: a run over the limit by less than GPS error (100 m or 1 %) is not worth a change
SPIKE_TOLERANCE_M, SPIKE_TOLERANCE_SHARE = 100.0, 0.01


def spike_tolerance_m(limit_m: float) -> float:
    """How far a planned run may exceed its 110 % limit before adaptation changes it: GPS noise, not a spike."""
    return max(SPIKE_TOLERANCE_M, SPIKE_TOLERANCE_SHARE * limit_m)


SPIKE_WINDOW_DAYS = 30  # docs/science.md#spike-rule
HOLD_WEEKS = 3  # docs/science.md#volume-progression: hold a level ≥ 3 weeks
# docs/science.md#volume-progression: a marathon plan whose long run needs more volume than the athlete runs
# holds each level 2 weeks (still ≤ 10 % a week), the faster build of marathon plans (product choice)
HOLD_WEEKS_MARATHON_BUILD = 2
STEP_KM_PER_RUN = 1.6  # docs/science.md#volume-progression: +1 mile per weekly session
STEP_MAX_KM = 16.0  # docs/science.md#volume-progression: at most 10 miles per step
WEEKLY_GROWTH_MAX = 1.10  # docs/science.md#volume-progression: no week > 10 % above the one before
# docs/science.md#volume-progression: a race plan builds towards the volume its long run needs; above that, at most
# one step (10 %) above the athlete's current volume (product choice)
GROWTH_ABOVE_NEED = 1.10
# docs/science.md#volume-progression: a new level starts with an easier week, whose long run is 80 % of its
# target (the rest is not moved elsewhere), so that no week grows more than 10 % over the one before
CUTBACK_LONG = 0.80
TAPER_2 = (0.55, 0.45)  # docs/science.md#taper (Bosquet): 2 weeks, volume −41–60 %
TAPER_3 = (0.75, 0.60, 0.40)  # docs/science.md#taper (Pfitzinger marathon): −20–25 %, −40 %, −60 %
SPEED_WEEKS_MAX = 8  # docs/science.md#phases: speed work in the last 6–8 weeks
SPLIT_QUALITY_MIN_WEEKS = 4  # docs/science.md#phases: fewer quality weeks form one final-quality phase
LONG_RUN_ESTIMATE_SHARE = 0.25  # docs/science.md#long-run: 25–30 % of the week (low end, conservative)
LARGE_SPIKE = 2.0  # docs/science.md#spike-rule: > 100 % over the 30-day longest is a "large" spike
MARATHON_M = 42_195.0
MIN_PHASE_WEEKS = 3  # docs/science.md#phases: phases of at least 3 weeks each
MIN_EASY_M = 1500.0  # product choice: shorter run/walk sessions are dropped in very small weeks
EASY_MIN_S = 30 * 60  # docs/science.md#quality-caps: an E run lasts at least 30 minutes
QUALITY_SIZING = 0.97  # sessions are sized on 97 % of the target, so rounding never pushes them over a cap
# Long-run goal by race distance (metres → km), interpolated: docs/science.md#long-run (product choice).
LONG_GOAL_KM = ((5000.0, 12.0), (10000.0, 16.0), (21097.5, 21.0), (42195.0, 32.0))
# Returning after a break (docs/science.md#return-after-break)
BREAK_FREE_DAYS = 5  # ≤ 5 days off: resume fully
RETURN_WEEKS_MAX = 12
RETURN_START_SHORT = 0.50  # first week after ≤ 28 days off: 50 % of the previous volume
RETURN_START_LONG = 0.33  # after ≥ 56 days off: 33 %
RUN_WALK_AFTER_DAYS = 28  # longer breaks without cross-training start with run/walk
ZERO_BASE_KM = 15.0  # a return from zero builds towards a modest base of 15 km a week
ZERO_START = 0.40  # ... starting at 40 % of it (6 km: three runs of 2 km as run/walk)
ZERO_RETURN_WEEKS = 6
ASSUMED_RECOVERY_BREAK_DAYS = 14  # a recovery block without a break length assumes two weeks off
# Goal-time verdicts (docs/science.md#goal-times): how much faster than predicted a goal may be
REALISTIC_MARGIN = 0.02
AMBITIOUS_MARGIN = 0.05


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def athlete_vdot(athlete: Athlete) -> float:
    """The athlete's VDOT before any break (a recent race wins over a stated VDOT)."""
    if athlete.recent_race is not None:
        return vdot_from_race(athlete.recent_race.distance_m, athlete.recent_race.time_s)
    if athlete.vdot is not None:
        return athlete.vdot
    raise ValueError("the athlete needs a recent race or a VDOT")


def working_vdot(athlete: Athlete) -> float:
    """VDOT after the break (docs/science.md#time-off)."""
    return athlete_vdot(athlete) * fvdot(athlete.break_days, athlete.cross_training)


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
    cutback: bool = False  # a shorter long run this week (docs/science.md#volume-progression)
    quality_week: int = -1  # 0-based position among the plan's quality weeks (-1: not one)
    quality_len: int = 0
    returning: bool = False  # part of the return after a break: easy running only
    run_walk_s: float = 0.0  # > 0: run/walk steps of this many seconds of running
    tempo_first: bool = False  # the plan's first week with quality after any return: a tempo run

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
    long_share: float = s.LONG_SHARE
    long_goal_m: float | None = None
    notes: tuple[Notice, ...] = ()  # what the generator assumed, for the plan's warnings


def is_marathon(goal: Goal) -> bool:
    return goal.kind is GoalKind.RACE and (goal.distance_m or 0) >= MARATHON_M - 1


def long_goal_m(goal: Goal) -> float | None:
    """The long run a race plan works towards (docs/science.md#long-run)."""
    if goal.kind is not GoalKind.RACE or not goal.distance_m:
        return None
    d = goal.distance_m
    pts = LONG_GOAL_KM
    if d <= pts[0][0]:
        return pts[0][1] * 1000
    for (d0, k0), (d1, k1) in zip(pts, pts[1:], strict=False):
        if d <= d1:
            return (k0 + (k1 - k0) * (d - d0) / (d1 - d0)) * 1000
    return pts[-1][1] * 1000


def _phases(goal: Goal, n: int, early_race: bool = False) -> list[Phase]:
    """Phase of each week. ``early_race``: most run days of the race week fall after the race, so the taper
    gets one more calendar week to still span 2 (3) weeks of training before the race."""
    if goal.kind is GoalKind.RECOVERY:
        return [Phase.RECOVERY] * n
    if goal.kind is GoalKind.MAINTENANCE:
        return [Phase.MAINTENANCE] * n
    taper = 3 if is_marathon(goal) else 2
    taper = min(taper, max(1, n // 3)) if n < 6 else taper + (1 if early_race else 0)
    speed = max(taper, min(SPEED_WEEKS_MAX, n // 2))
    quality = speed - taper
    # too few quality weeks to split: one final-quality phase (Daniels' priority, docs/science.md#phases)
    t_weeks = math.ceil(quality / 2) if quality >= SPLIT_QUALITY_MIN_WEEKS else 0
    i_weeks = quality - t_weeks
    base = n - speed
    return (
        [Phase.BASE] * base
        + [Phase.THRESHOLD] * t_weeks
        + [Phase.INTERVALS] * i_weeks
        + [Phase.TAPER] * taper
    )


def _after_return(phases: list[Phase], return_weeks: int) -> list[Phase]:
    """Quality weeks that fall inside the return after a break become base weeks; the quality weeks left are
    split again, so that they still start with tempo (docs/science.md#return-after-break, #phases)."""
    quality = [i for i, p in enumerate(phases) if p in (Phase.THRESHOLD, Phase.INTERVALS)]
    if not quality or return_weeks <= quality[0]:
        return phases
    left = [i for i in quality if i >= return_weeks]
    t_weeks = math.ceil(len(left) / 2) if len(left) >= SPLIT_QUALITY_MIN_WEEKS else 0
    out = list(phases)
    for i in quality:
        out[i] = Phase.BASE
    for k, i in enumerate(left):
        out[i] = Phase.THRESHOLD if k < t_weeks else Phase.INTERVALS
    return out


@dataclass(frozen=True, slots=True)
class Return:
    """The return after a break (docs/science.md#return-after-break): volume fractions of the previous
    volume for its first weeks, and how many of those weeks are run/walk."""

    fractions: tuple[float, ...] = ()
    run_walk_weeks: int = 0
    run_walk_start_s: float = 240.0

    @property
    def weeks(self) -> int:
        return len(self.fractions)


def plan_return(athlete: Athlete, goal: Goal) -> Return:
    """Length grows with the break; stages rise geometrically from 50 % (33 % after 8 weeks off) to 100 %."""
    days = athlete.break_days
    from_zero = athlete.weekly_km == 0
    if goal.kind is GoalKind.RECOVERY and days == 0 and not from_zero:
        days = ASSUMED_RECOVERY_BREAK_DAYS
    if days <= BREAK_FREE_DAYS and not from_zero:
        return Return()
    # cross-training keeps about half the fitness (FVDOT-2 vs FVDOT-1): count half the days
    felt = days / 2 if athlete.cross_training else float(days)
    weeks = min(RETURN_WEEKS_MAX, max(2, math.ceil(felt / 7)))
    span = min(1.0, max(0.0, (felt - 28) / 28))
    first = RETURN_START_SHORT + (RETURN_START_LONG - RETURN_START_SHORT) * span
    if from_zero:
        weeks, first = max(weeks, ZERO_RETURN_WEEKS), ZERO_START
    fractions = tuple(first * (1 / first) ** (k / weeks) for k in range(weeks))
    long_off = days > RUN_WALK_AFTER_DAYS and not athlete.cross_training
    run_walk = max(1, weeks // 2) if from_zero or long_off else 0
    return Return(fractions, run_walk, 120.0 if from_zero else 240.0)


def needed_km(goal: Goal, long_max_m: float) -> float | None:
    """The weekly volume a race plan's long run needs (docs/science.md#long-run): the race's long-run goal, but
    never longer than 150 minutes at easy pace (``long_max_m``), at its share of the week."""
    long_goal = long_goal_m(goal)
    if long_goal is None:
        return None
    share = s.MARATHON_LONG_SHARE if is_marathon(goal) else s.LONG_SHARE
    return min(long_goal, long_max_m) / 1000 / share


def _race_volumes(
    athlete: Athlete, goal: Goal, phases: Sequence[Phase], v0: float, long_max_m: float
) -> list[float]:
    """Build towards the volume the long run needs; a runner who already runs that much (or nearly) grows at most
    one 10 % step above what they run now: more volume than history and the distance justify is injury risk
    without a purpose (docs/science.md#volume-progression)."""
    step = min(STEP_KM_PER_RUN * max(1, athlete.runs_per_week), STEP_MAX_KM)
    needed = needed_km(goal, long_max_m) or v0
    ceiling = min(max(needed, v0 * GROWTH_ABOVE_NEED), max(WEEKLY_KM_MAX, v0))
    level = v0
    hold = _hold_weeks(goal, v0, long_max_m)
    vols: list[float] = []
    for i, phase in enumerate(phases):
        if phase is Phase.TAPER:
            break
        if i > 0 and i % hold == 0:
            level = min(ceiling, max(level, level + min(step, (WEEKLY_GROWTH_MAX - 1) * level)))
        vols.append(level)
    return vols


def _hold_weeks(goal: Goal, v0: float, long_max_m: float) -> int:
    needed = needed_km(goal, long_max_m)
    if is_marathon(goal) and needed and v0 < needed:
        return HOLD_WEEKS_MARATHON_BUILD
    return HOLD_WEEKS


def _taper_volumes(goal: Goal, phases: Sequence[Phase], peak: float) -> list[float]:
    n_taper = sum(1 for p in phases if p is Phase.TAPER)
    fractions: tuple[float, ...] = TAPER_3 if is_marathon(goal) else TAPER_2
    if n_taper > len(fractions):  # early race: the race week repeats the last taper step
        fractions = fractions + (fractions[-1],) * (n_taper - len(fractions))
    fractions = fractions[-n_taper:] if n_taper else ()
    if n_taper == 1:
        fractions = (0.5,)
    return [peak * f for f in fractions]


def _volumes(
    athlete: Athlete, goal: Goal, phases: Sequence[Phase], ret: Return, long_max_m: float
) -> list[float]:
    v0 = ZERO_BASE_KM if athlete.weekly_km == 0 else athlete.weekly_km
    if goal.kind is GoalKind.RACE:
        vols = _race_volumes(athlete, goal, phases, v0, long_max_m)
    else:
        vols = [v0 for p in phases if p is not Phase.TAPER]
    for k, f in enumerate(ret.fractions[: len(vols)]):
        vols[k] *= f
    return vols


def _specs(
    phases: Sequence[Phase], vols: Sequence[float], first: date, ret: Return, cutbacks: bool, hold: int
) -> tuple[WeekSpec, ...]:
    quality = [i for i, p in enumerate(phases) if p in (Phase.THRESHOLD, Phase.INTERVALS)]
    hard = (Phase.THRESHOLD, Phase.INTERVALS, Phase.TAPER)
    first_hard = next((i for i, p in enumerate(phases) if p in hard and i >= ret.weeks), -1)
    specs = []
    for i, (phase, vol) in enumerate(zip(phases, vols, strict=True)):
        build_i = i - ret.weeks
        specs.append(
            WeekSpec(
                index=i,
                start=first + timedelta(weeks=i),
                phase=phase,
                volume_km=vol,
                phase_week=sum(1 for p in phases[:i] if p is phase),
                phase_len=phases.count(phase),
                cutback=cutbacks and build_i > 0 and i % hold == 0 and phase is not Phase.TAPER,
                quality_week=quality.index(i) if i in quality else -1,
                quality_len=len(quality),
                returning=i < ret.weeks,
                run_walk_s=ret.run_walk_start_s + 120.0 * i if i < ret.run_walk_weeks else 0.0,
                tempo_first=i == first_hard,
            )
        )
    return tuple(specs)


def blueprint(athlete: Athlete, goal: Goal, start: date, offer: bool = False) -> Blueprint:
    """The plan's shape. ``offer``: what an unsafe race goal offers instead (docs/science.md#spike-rule): the
    same build of easy running with strides up to the goal date, without quality, taper or the race."""
    check_inputs(athlete, goal, start)
    vdot = working_vdot(athlete)
    paces = training_paces(vdot)
    racing = goal.kind is GoalKind.RACE and not offer
    rt = race_time(vdot, goal.distance_m) if racing and goal.distance_m else None
    rp = race_pace(vdot, goal.distance_m) if goal.distance_m else None
    marathon = is_marathon(goal)
    cap = s.MARATHON_LONG_SHARE_CAP if marathon else s.LONG_SHARE_CAP
    ctx = s.SessionContext(paces=paces, race_distance_m=goal.distance_m, race_pace=rp, long_share_cap=cap)
    first = monday(start)
    n = (monday(goal.date) - first).days // 7 + 1
    days = run_days(athlete)
    race_monday = monday(goal.date)
    before = sum(1 for d in days if race_monday + timedelta(days=d) < goal.date)
    phases = _phases(goal, n, early_race=goal.kind is GoalKind.RACE and before < len(days) / 2)
    if offer:
        phases = [Phase.BASE] * n
    ret = plan_return(athlete, goal)
    phases = _after_return(phases, ret.weeks)
    vols = _volumes(athlete, goal, phases, ret, ctx.long_max_m)
    vols += _taper_volumes(goal, phases, max(vols) if vols else athlete.weekly_km)
    v0 = ZERO_BASE_KM if athlete.weekly_km == 0 else athlete.weekly_km
    hold = _hold_weeks(goal, v0, ctx.long_max_m)
    # a marathon build needs every week of long-run growth the spike rule allows: no cut-back long runs
    cutbacks = goal.kind is GoalKind.RACE and hold == HOLD_WEEKS
    specs = _specs(phases, vols, first, ret, cutbacks=cutbacks, hold=hold)
    seed = athlete.long_run_km if athlete.long_run_km else LONG_RUN_ESTIMATE_SHARE * v0
    if ret.weeks:
        # the last 30 days held less running than before the break: the first week's runs set the scale
        seed = min(seed, max(seed * ret.fractions[0], v0 * ret.fractions[0] / max(1, len(days))))
    q_days = quality_days(days, athlete.long_run_day, _quality_count(athlete, days))
    return Blueprint(
        athlete,
        goal,
        start,
        ctx,
        days,
        specs,
        seed * 1000,
        rt,
        q_days,
        long_share=s.MARATHON_LONG_SHARE if marathon else s.LONG_SHARE,
        long_goal_m=long_goal_m(goal),
        notes=_notes(athlete, goal, ret),
    )


def notice(code: NoticeCode, text: str, facts: dict[str, float | int | str | bool]) -> Notice:
    """A plan notice, its facts checked against those its code declares (planner/reasons.py)."""
    return Notice(code, text, checked(code, facts))


def _notes(athlete: Athlete, goal: Goal, ret: Return) -> tuple[Notice, ...]:
    notes = []
    if goal.kind is GoalKind.RECOVERY and athlete.break_days == 0 and athlete.weekly_km > 0:
        text = (
            f"No break length given: the return assumes {ASSUMED_RECOVERY_BREAK_DAYS} days off; "
            "give the days off for a return that fits."
        )
        notes.append(
            notice(NoticeCode.BREAK_ASSUMED, text, {"assumed_break_days": ASSUMED_RECOVERY_BREAK_DAYS})
        )
    if athlete.break_days > BREAK_FREE_DAYS:
        before, after = athlete_vdot(athlete), working_vdot(athlete)
        text = (
            f"{athlete.break_days} days off{' with cross-training' if athlete.cross_training else ''}: "
            f"paces from VDOT {after:.1f} instead of {before:.1f}, and a {ret.weeks}-week return "
            f"starting at {ret.fractions[0]:.0%} of {athlete.weekly_km:g} km a week."
        )
        facts: dict[str, float | int | str | bool] = {
            "break_days": athlete.break_days,
            "cross_training": athlete.cross_training,
            "vdot_before": round(before, 2),
            "vdot_after": round(after, 2),
            "return_weeks": ret.weeks,
            "return_share": share(ret.fractions[0]),
            "weekly_m": metres(athlete.weekly_km),
        }
        notes.append(notice(NoticeCode.BREAK_BEFORE_PLAN, text, facts))
    elif ret.weeks:
        text = f"Starting from zero: a {ret.weeks}-week return from run/walk to about {ZERO_BASE_KM:g} km a week."
        facts = {"return_weeks": ret.weeks, "base_week_m": metres(ZERO_BASE_KM)}
        notes.append(notice(NoticeCode.RETURN_FROM_ZERO, text, facts))
    return tuple(notes)


def _quality_count(athlete: Athlete, days: Sequence[int]) -> int:
    return 2 if len(days) >= 5 else 1 if len(days) >= 3 else 0


def work_m(w: Workout) -> float:
    """Metres of a session run at quality pace (T, I, R or race pace); warm-ups and jogs are easy running."""
    return sum(r.count * r.distance_m for r in w.reps if r.label in ("T", "I", "R", "M"))


def _i_rep(bp: Blueprint, spec: WeekSpec, i_pos: int, i_len: int) -> float:
    """I rep length for the ``i_pos``-th of ``i_len`` interval weeks: longest bout first, then shorter
    (docs/science.md#interval-bouts)."""
    lengths = s.interval_rep_lengths(bp.ctx.paces)
    idx = round(i_pos * (len(lengths) - 1) / (i_len - 1)) if i_len > 1 else 0
    return lengths[min(idx, len(lengths) - 1)]


def _first_session(bp: Blueprint, spec: WeekSpec, day: date, vol: float, left: float) -> Workout | None:
    """The week's main quality session: tempo first, then I reps from long to short (then R for short races)."""
    ctx, short_race = bp.ctx, (bp.goal.distance_m or 0) <= 10_000
    if spec.phase is Phase.TAPER:
        # intensity kept, volume reduced (docs/science.md#taper): the shortest I bout, sized by the week;
        # a week too small for two of them keeps a short tempo instead
        # (a plan with no quality weeks before its taper starts with tempo: tempo before repeats)
        if spec.tempo_first:
            return s.threshold(ctx, day, vol, True, left)
        shortest = s.interval_rep_lengths(ctx.paces)[-1]
        return s.intervals(ctx, day, vol, shortest, left) or s.threshold(ctx, day, vol, False, left)
    if spec.phase is Phase.MAINTENANCE:
        if spec.index % 2 == 0:
            return s.threshold(ctx, day, vol, False, left)
        lengths = s.interval_rep_lengths(ctx.paces)
        return s.intervals(ctx, day, vol, lengths[len(lengths) // 2], left)
    if spec.phase is Phase.THRESHOLD:
        return s.threshold(ctx, day, vol, spec.phase_week == 0, left)
    if spec.phase is not Phase.INTERVALS:
        return None
    single_phase = spec.quality_len < SPLIT_QUALITY_MIN_WEEKS
    if spec.tempo_first:
        return s.threshold(ctx, day, vol, True, left)  # still tempo first (docs/science.md#phases)
    last = spec.phase_week == spec.phase_len - 1
    if short_race and last and len(bp.q_days) == 1 and spec.phase_len > 1:
        # one quality day a week: the last week brings the short, fast repeats (400 m at R)
        w = s.repetitions(ctx, day, vol, left)
        if w is not None:
            return w
    offset = 1 if single_phase else 0
    # a week too small for two I bouts keeps a short tempo instead, as the taper does: a quality week always
    # holds its quality session (docs/science.md#phases)
    return s.intervals(
        ctx, day, vol, _i_rep(bp, spec, spec.phase_week - offset, spec.phase_len - offset), left
    ) or s.threshold(ctx, day, vol, False, left)


def _second_session(bp: Blueprint, spec: WeekSpec, day: date, vol: float, left: float) -> Workout | None:
    """The second quality day: R repeats for 5K/10K, race pace for longer races, inside the weekly budget."""
    ctx, short_race = bp.ctx, (bp.goal.distance_m or 0) <= 10_000
    if spec.phase not in (Phase.THRESHOLD, Phase.INTERVALS) or bp.goal.kind is not GoalKind.RACE:
        return None
    if short_race:
        if spec.phase is Phase.THRESHOLD:
            return s.threshold(ctx, day, vol, False, left)
        return s.repetitions(ctx, day, vol, left)
    return s.race_pace(ctx, day, vol, left)


def _quality_sessions(
    bp: Blueprint, spec: WeekSpec, dates: dict[int, date], q_days: Sequence[int], vol: float
) -> dict[date, Workout]:
    """The week's quality sessions, all of their work inside the weekly budget (docs/science.md#quality-budget)."""
    vol *= QUALITY_SIZING  # leave room for rounding: the caps are checked against the week as finally planned
    left = s.QUALITY_SHARE * vol * 1000
    out: dict[date, Workout] = {}
    # a race-pace block for races beyond 10K keeps its minimum inside the budget, if tempo keeps 2 km
    long_race = bp.goal.kind is GoalKind.RACE and (bp.goal.distance_m or 0) > 10_000
    reserve = (
        s.MIN_RACE_PACE_M if long_race and len(q_days) >= 2 and left - s.MIN_RACE_PACE_M >= 2000 else 0.0
    )
    if spec.phase not in (Phase.THRESHOLD, Phase.INTERVALS):
        reserve = 0.0
    for slot, d in enumerate(q_days):
        pick = _first_session if slot == 0 else _second_session
        w = pick(bp, spec, dates[d], vol, left - reserve if slot == 0 else left)
        if w is not None:
            out[dates[d]] = w
            left -= work_m(w)
    return out


def _long_target_m(bp: Blueprint, spec: WeekSpec, vol: float) -> float:
    target = min(bp.long_share * vol * 1000, bp.ctx.long_max_m)
    if bp.long_goal_m is not None:
        target = min(target, bp.long_goal_m)
    return target * (CUTBACK_LONG if spec.cutback else 1.0)


def min_easy_m(bp: Blueprint, spec: WeekSpec) -> float:
    """The shortest easy run a week plans: 30 minutes at easy pace (docs/science.md#quality-caps), so a small
    week gets fewer, longer runs; run/walk weeks keep their own short sessions
    (docs/science.md#return-after-break)."""
    if spec.run_walk_s:
        return MIN_EASY_M
    return max(MIN_EASY_M, math.ceil(EASY_MIN_S / bp.ctx.e_mid * 10) * 100)


def build_week(
    bp: Blueprint, spec: WeekSpec, volume_km: float | None = None, spike_m: float | None = None
) -> tuple[Workout, ...]:
    """The week's workouts at ``volume_km`` (default: the spec's), before the spike cap; ``spike_m`` is the
    spike rule's limit at the week's start: runs are made more and shorter rather than cut by it."""
    ctx, goal, athlete = bp.ctx, bp.goal, bp.athlete
    vol = spec.volume_km if volume_km is None else volume_km
    dates = {d: spec.start + timedelta(days=d) for d in bp.days}
    is_race_week = goal.kind is GoalKind.RACE and spec.start <= goal.date <= spec.start + timedelta(days=6)
    long_day = athlete.long_run_day
    q_days = () if spec.returning else bp.q_days
    min_m = min_easy_m(bp, spec)
    out: dict[date, Workout] = {}
    if is_race_week and bp.race_time_s is not None and goal.distance_m:
        # the race week's taper volume covers only the run days before the race (docs/science.md#taper)
        before = sum(1 for d in bp.days if dates[d] < goal.date)
        vol *= before / max(1, len(bp.days))
        out[goal.date] = s.race(ctx, goal.date, goal.distance_m, bp.race_time_s)
        q_days = tuple(d for d in q_days[:1] if dates[d] <= goal.date - timedelta(days=3))
        long_day = -1
    if is_race_week and long_day in dates and dates[long_day] > goal.date:
        long_day = -1  # nothing after the race date (in a build offered instead of the race, no race either)
    q_days = tuple(d for d in q_days if dates[d] not in out)
    out.update(_quality_sessions(bp, spec, dates, q_days, vol))
    budget = vol * 1000 - sum(w.distance_m for w in out.values() if w.type is not WorkoutType.RACE)
    easy_days = [dates[d] for d in bp.days if dates[d] not in out and d != long_day]
    if is_race_week:
        easy_days = [d for d in easy_days if d <= goal.date]  # the race, if any, already holds its day
    long_m = 0.0
    if long_day in dates and dates[long_day] not in out:
        # small weeks drop easy runs before the long run (runs of 30 minutes, unless the spike rule asks for
        # more, shorter ones); the long run stays the week's longest, never below an even share
        # (docs/science.md#long-run)
        runs = _run_count(budget, len(easy_days) + 1, min_m, spike_m)
        if out and easy_days:
            runs = max(
                runs, 2
            )  # beside a quality session the long run needs an easy run to stay in its share
        easy_days = _spread_days(easy_days, dates[long_day], runs - 1)
        even = budget / runs
        long_m = min(max(_long_target_m(bp, spec, vol), even), ctx.long_max_m, max(0.0, budget))
        if long_m >= MIN_EASY_M:
            out[dates[long_day]] = _easy_or_long(bp, spec, dates[long_day], long_m, long=True)
            budget -= out[dates[long_day]].distance_m
    # small weeks: fewer, not silly-short, easy runs (at least 30 minutes each); never more than the budget
    placed_long = long_m >= MIN_EASY_M
    if placed_long:  # the count is chosen with the long run; only never below the shortest session
        keep = len(easy_days)
        while keep > 1 and budget / keep < MIN_EASY_M:
            keep -= 1
        easy_days = _spread_days(easy_days, dates[long_day], keep)
    elif easy_days:
        easy_days = _spread_days(easy_days, None, _run_count(budget, len(easy_days), min_m, spike_m))
    if easy_days and budget >= MIN_EASY_M:
        each = min(budget / len(easy_days), long_m) if placed_long else budget / len(easy_days)
        strides_left = _strides_runs(spec)
        for day in easy_days:
            out[day] = _easy_or_long(bp, spec, day, each, long=False, strides=strides_left > 0)
            strides_left -= 1
    return tuple(out[d] for d in sorted(out) if d >= bp.start)


def _run_count(budget_m: float, available: int, min_m: float, spike_m: float | None) -> int:
    """How many of ``available`` runs share ``budget_m``: as few as keep each at least ``min_m`` (30 minutes,
    docs/science.md#quality-caps), but enough that none is longer than the spike rule allows (``spike_m``,
    docs/science.md#spike-rule: the spike rule comes first)."""
    count = max(1, math.floor(budget_m / min_m + 1e-9))
    if spike_m:
        count = max(count, math.ceil(budget_m / spike_m - 1e-9))
        # but never below the shortest session
        count = min(count, max(1, math.floor(budget_m / MIN_EASY_M + 1e-9)))
    return max(1, min(available, count))


def _spread_days(easy_days: list[date], long_day: date | None, keep: int) -> list[date]:
    """The ``keep`` easy days a small week runs on: the choice that leaves the runs most evenly spread (the largest
    smallest gap between run days, counting on into next week, then the fewest back-to-back days), so that a few
    runs never bunch up on consecutive days with the rest of the week empty (injury prevention first, most of
    all for a runner coming back). Ties keep the earlier choice."""
    if keep >= len(easy_days):
        return easy_days

    def gaps(days: Sequence[date]) -> list[int]:
        wd = sorted({d.weekday() for d in [*days, *([long_day] if long_day else [])]})
        if len(wd) < 2:
            return [7]
        return [b - a for a, b in zip(wd, wd[1:], strict=False)] + [wd[0] + 7 - wd[-1]]

    def spread(days: list[date]) -> tuple[int, int]:
        g = gaps(days)
        return min(g), -g.count(1)

    options = [list(c) for c in combinations(easy_days, keep)]
    return max(options, key=spread)


def _strides_runs(spec: WeekSpec) -> int:
    """Easy runs with strides: two in the base phase (after the first week), one in quality weeks; none in a
    return or the taper (docs/science.md#phases)."""
    if spec.returning or spec.index == 0:
        return 0
    if spec.phase is Phase.BASE:
        return 2
    return 1 if spec.phase in (Phase.THRESHOLD, Phase.INTERVALS, Phase.MAINTENANCE) else 0


def _easy_or_long(
    bp: Blueprint, spec: WeekSpec, day: date, metres: float, long: bool, strides: bool = False
) -> Workout:
    if spec.run_walk_s:
        return s.run_walk(bp.ctx, day, metres, spec.run_walk_s)
    if long:
        return s.long_run(bp.ctx, day, metres)
    return s.easy(bp.ctx, day, metres, strides=s.STRIDES if strides else 0)


def _fix_long_share(ctx: s.SessionContext, workouts: tuple[Workout, ...]) -> tuple[Workout, ...]:
    """Long run ≤ its share of the week's planned volume (docs/science.md#long-run), but never shorter than
    another run of the week: in weeks of few runs the share gives way, so that the long run stays the longest."""
    runs = [w for w in workouts if w.is_run and w.type is not WorkoutType.RACE]
    total = sum(w.distance_m for w in runs)
    longest_other = max((w.distance_m for w in runs if w.type is not WorkoutType.LONG), default=0.0)
    cap = ctx.long_share_cap
    out = []
    for w in workouts:
        if w.type is WorkoutType.LONG and total - w.distance_m <= 0:
            # the week's only run is no long run, just the week's easy run (never cut to nothing by the share)
            w = s.easy(ctx, w.date, w.distance_m)
        elif w.type is WorkoutType.LONG and w.distance_m > max(cap * total, longest_other) + 1e-6:
            others = total - w.distance_m
            limit = max(math.floor(cap / (1 - cap) * others / 100) * 100, longest_other)
            w = s.scaled(ctx, w, limit / w.distance_m)
        out.append(w)
    return tuple(out)


def _fix_long_is_longest(ctx: s.SessionContext, workouts: tuple[Workout, ...]) -> tuple[Workout, ...]:
    """No run of the week longer than its long run (docs/science.md#long-run)."""
    longs = [w.distance_m for w in workouts if w.type is WorkoutType.LONG]
    if not longs:
        return workouts
    longest = max(longs)
    return tuple(
        s.capped(ctx, w, longest)
        if w.is_run and w.type not in (WorkoutType.LONG, WorkoutType.RACE) and w.distance_m > longest
        else w
        for w in workouts
    )


def _session_cap_m(label: str, total_m: float) -> float:
    week_km = total_m / 1000
    caps = {"T": s.T_SHARE * total_m, "I": s.i_work_cap_m(week_km), "R": s.r_work_cap_m(week_km)}
    return caps.get(label, math.inf)


def _over_cap(workouts: Sequence[Workout]) -> tuple[int, float] | None:
    """The first session over its cap, or the last quality session when the week is over its quality budget:
    (index, metres of work it may hold)."""
    total = sum(w.distance_m for w in workouts if w.is_run)
    for i, w in enumerate(workouts):
        for r in w.reps:
            cap = _session_cap_m(r.label, total)
            if r.count * r.distance_m > cap + 1e-6:
                return i, cap
    training = sum(w.distance_m for w in workouts if w.is_run and w.type is not WorkoutType.RACE)
    budget = s.QUALITY_SHARE * training  # the race itself is not training volume
    spent = sum(work_m(w) for w in workouts)
    if spent > budget + 1e-6:
        i = max(i for i, w in enumerate(workouts) if work_m(w) > 0)
        return i, work_m(workouts[i]) - (spent - budget)
    return None


def _fix_session_caps(ctx: s.SessionContext, workouts: tuple[Workout, ...]) -> tuple[Workout, ...]:
    """Per session T ≤ 10 %, I ≤ 8 % (≤ 10 km), R ≤ 5 % (≤ 8 km), and all quality ≤ 15 % of the week actually
    planned (docs/science.md#quality-caps, #quality-budget).

    Sessions are sized from the week's target; when the spike cap or a partial first week leaves the week
    smaller, reps are dropped (and a session with fewer than 2 reps becomes an easy run).
    """
    out = list(workouts)
    for _ in range(40):
        bad = _over_cap(out)
        if bad is None:
            return tuple(out)
        i, cap = bad
        w = out[i]
        r = w.reps[0]
        fit = math.floor(cap / r.distance_m)
        if r.count == 1 and cap >= 1000:
            out[i] = s.resized(ctx, w, 1, math.floor(cap / 100) * 100)
        elif 2 <= fit < r.count:
            out[i] = s.resized(ctx, w, fit, r.distance_m)
        elif r.count > 2:
            out[i] = s.resized(ctx, w, r.count - 1, r.distance_m)
        else:
            out[i] = s.as_easy(ctx, w, f"easy (the week is too small for: {w.note})")
    return tuple(out)


_DAY, _METRES = itemgetter(0), itemgetter(1)  # of a (date, metres) history entry


def spike_limit(history: Iterable[tuple[date, float]], day: date) -> float | None:
    """110 % of the longest run in the 30 days before ``day`` (docs/science.md#spike-rule); None with no history.

    ``history`` is (date, metres) in date order, so the 30 days are found by bisection (this runs for every
    planned run of every rendered week; adaptation renders weeks many times).
    """
    seq = history if isinstance(history, list) else list(history)
    oldest = day - timedelta(days=SPIKE_WINDOW_DAYS)
    window = seq[bisect_left(seq, oldest, key=_DAY) : bisect_left(seq, day, key=_DAY)]
    if not window:
        return None
    # a run of the shortest planned length is never a spike (docs/science.md#maintenance-floor): without this
    # floor, a runner who does a fifth of every run is planned ever shorter runs, down to a few hundred metres
    return max(SPIKE_LIMIT * max(map(_METRES, window)), MIN_EASY_M)


def apply_spike_cap(
    ctx: s.SessionContext, workouts: Sequence[Workout], history: list[tuple[date, float]]
) -> tuple[Workout, ...]:
    """Cap each run at 110 % of the longest run in the 30 days before its week, chronologically; ``history``
    is extended in place.

    Judged from the run's own day and from its week's Monday (the stricter wins), so runs of the same week do
    not raise each other's limit: the longest run grows at most 10 % a week, not 10 % a run
    (docs/science.md#spike-rule)."""
    out = []
    for w in sorted(workouts, key=lambda x: x.date):
        if w.is_run and w.type is not WorkoutType.RACE:
            limits = [x for x in (spike_limit(history, monday(w.date)), spike_limit(history, w.date)) if x]
            limit = min(limits) if limits else None
            if limit is not None:
                w = s.capped(ctx, w, limit)
        if w.is_run:
            history.append((w.date, w.distance_m))
        out.append(w)
    return tuple(out)


def finish_week(
    ctx: s.SessionContext, workouts: tuple[Workout, ...], history: list[tuple[date, float]]
) -> tuple[Workout, ...]:
    """Spike cap, long-run share, long run the longest, session caps, repeated until all hold (each pass only
    shortens runs)."""
    base = list(history)
    for _ in range(60):  # each pass only shortens runs (in 100 m steps), so this converges
        trial = list(base)
        capped = apply_spike_cap(ctx, workouts, trial)
        fixed = _fix_session_caps(ctx, _fix_long_is_longest(ctx, _fix_long_share(ctx, capped)))
        if fixed == capped:
            history[:] = trial
            return fixed
        workouts = fixed
    history[:] = base
    final = apply_spike_cap(ctx, workouts, history)
    return final


def _race_safety(bp: Blueprint, weeks: Sequence[Week]) -> tuple[Notice | None, list[Notice]]:
    """The notice that makes the plan unsafe (or None), and the other race notices."""
    warnings: list[Notice] = []
    goal = bp.goal
    if goal.kind is not GoalKind.RACE or not goal.distance_m:
        return None, warnings
    n = len(weeks)
    if n < 2 * MIN_PHASE_WEEKS:
        text = (
            f"Only {n} weeks to the race: fewer than the {2 * MIN_PHASE_WEEKS} that a base and a final-quality "
            "phase of 3 weeks each need; the plan is compressed."
        )
        warnings.append(
            notice(NoticeCode.SHORT_PLAN, text, {"weeks": n, "weeks_needed": 2 * MIN_PHASE_WEEKS})
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
            "a spike of more than 100 %, the band with the highest injury risk. "
            f"A safe plan needs a longest run of at least {goal.distance_m / LARGE_SPIKE / 1000:.1f} km in the "
            "last month: choose a shorter race or a later date."
        )
        facts: dict[str, float | int | str | bool] = {
            "race_m": goal.distance_m,
            "ratio": round(ratio, 3),
            "longest_m": round(longest),
            "weekly_m": metres(bp.athlete.weekly_km),
            "needed_long_m": round(goal.distance_m / LARGE_SPIKE),
        }
        return notice(NoticeCode.RACE_TOO_LONG, reason, facts), warnings
    return None, warnings


def _unsafe_offer(weeks: Sequence[Week]) -> Notice:
    """What an unsafe race plan offers instead, said plainly: the safe build it holds, not race preparation."""
    peak = max((training_km(w.workouts) for w in weeks), default=0.0)
    runs = [x.distance_m for w in weeks for x in w.workouts if x.is_run and x.type is not WorkoutType.RACE]
    longest = max(runs, default=0.0)
    text = (
        f"What this plan offers instead: easy running with strides, building safely to {peak:.0f} km a week "
        f"and a longest run of {longest / 1000:.1f} km by the race date. It holds no hard sessions, no taper and "
        "no race: it does not prepare you to race this distance on that date."
    )
    return notice(NoticeCode.UNSAFE_OFFER, text, {"peak_week_m": metres(peak), "longest_m": round(longest)})


def training_km(workouts: Iterable[Workout]) -> float:
    """Planned km without the race itself."""
    return sum(w.distance_m for w in workouts if w.is_run and w.type is not WorkoutType.RACE) / 1000


def _growth_limit(bp: Blueprint, specs: Sequence[WeekSpec], i: int, weeks: Sequence[Week]) -> float | None:
    """At most 10 % more than last week's planned training volume (docs/science.md#volume-progression);
    the return after a break and the week right after it are exempt (they climb back to known volume), and so
    is the week after a first week that starts mid-week (it was never a full week)."""
    if i == 0 or specs[i].returning or specs[i - 1].returning or not weeks:
        return None
    if i == 1 and bp.start > specs[0].start:
        return None
    previous = training_km(weeks[-1].workouts)
    rounding = 0.05 * len(bp.days)  # runs are rounded to 100 m: keep room for each rounding up
    return WEEKLY_GROWTH_MAX * previous - rounding if previous > 0 else None


def _tempo_still_due(spec: WeekSpec, weeks: Sequence[Week]) -> bool:
    """A quality or taper week with no tempo run planned before it: its first session is a tempo, because
    sustained tempo comes before shorter, faster repeats (docs/science.md#phases)."""
    if spec.returning or spec.phase not in (Phase.INTERVALS, Phase.TAPER):
        return False
    return not any(w.type is WorkoutType.THRESHOLD for week in weeks for w in week.workouts)


def render_baseline(bp: Blueprint) -> tuple[Blueprint, list[Week]]:
    """Render every week in order with the 110 % rule; the taper is cut from the peak actually planned.

    When the spike cap or the growth limit kept the build weeks below their targets, the following targets are
    lowered to what was reached, and the taper weeks' targets are scaled by the same ratio so that the cut stays
    41–60 % of what the athlete really reached (docs/science.md#taper). The returned blueprint carries those
    final targets, which adaptation starts from.
    """
    history: list[tuple[date, float]] = [(bp.start - timedelta(days=1), bp.seed_long_m)]
    weeks: list[Week] = []
    specs = list(bp.specs)
    for i, spec in enumerate(specs):
        if spec.phase is Phase.TAPER and (i == 0 or specs[i - 1].phase is not Phase.TAPER) and weeks:
            target_peak = max(sp.volume_km for sp in bp.specs[:i])  # the targets the taper was cut from
            planned_peak = max(training_km(w.workouts) for w in weeks)
            ratio = min(1.0, planned_peak / target_peak) if target_peak > 0 else 1.0
            for j in range(i, len(specs)):
                if specs[j].phase is Phase.TAPER:
                    specs[j] = replace(specs[j], volume_km=specs[j].volume_km * ratio)
            spec = specs[i]
        if _tempo_still_due(spec, weeks):
            spec = specs[i] = replace(spec, tempo_first=True)
        limit = _growth_limit(bp, specs, i, weeks)
        if limit is not None and spec.volume_km > limit:
            spec = specs[i] = replace(spec, volume_km=limit)
        week = build_week(bp, spec, spike_m=spike_limit(history, spec.start))
        workouts = finish_week(bp.ctx, week, history)
        weeks.append(Week(spec.index, spec.start, spec.phase, workouts))
    return replace(bp, specs=tuple(specs)), weeks


@lru_cache(maxsize=512)
def race_baseline(athlete: Athlete, goal: Goal, start: date) -> tuple[Blueprint, tuple[Week, ...]]:
    """The weeks that would prepare the goal as asked, and their blueprint (judged for safety)."""
    bp, weeks = render_baseline(blueprint(athlete, goal, start))
    return bp, tuple(weeks)


@lru_cache(maxsize=512)
def baseline(athlete: Athlete, goal: Goal, start: date) -> tuple[Blueprint, tuple[Week, ...]]:
    """The generated weeks and their blueprint: the race preparation, or, when that is unsafe, the safe build
    offered instead. Memoized, because adaptation re-derives from them every time (a pure function of
    immutable values, so the cache can never serve a stale answer)."""
    bp, weeks = race_baseline(athlete, goal, start)
    if _race_safety(bp, weeks)[0] is None:
        return bp, weeks
    offer, offered = render_baseline(blueprint(athlete, goal, start, offer=True))
    return offer, tuple(offered)


def goal_verdict(goal: Goal, vdot: float) -> tuple[GoalVerdict, float | None, Notice | None]:
    """Compare the goal time with the time current fitness predicts (docs/science.md#goal-times)."""
    if goal.kind is not GoalKind.RACE or not goal.distance_m:
        return GoalVerdict.NONE, None, None
    predicted = race_time(vdot, goal.distance_m)
    if goal.time_s is None:
        return GoalVerdict.NONE, predicted, None
    verdict, text = _verdict_text(goal.distance_m, goal.time_s, vdot, predicted)
    facts: dict[str, float | int | str | bool] = {
        "verdict": verdict.value,
        "distance_m": goal.distance_m,
        "goal_s": goal.time_s,
        "predicted_s": round(predicted, 1),
        "vdot": round(vdot, 2),
        "faster_share": share((predicted - goal.time_s) / predicted),
    }
    return verdict, predicted, notice(NoticeCode.GOAL_VERDICT, text, facts)


def _verdict_text(distance_m: float, time_s: float, vdot: float, predicted: float) -> tuple[GoalVerdict, str]:
    """The verdict on a goal time and its sentence (docs/science.md#goal-times)."""
    faster = (predicted - time_s) / predicted
    if faster < 0:
        # slower than current fitness predicts: within reach with room to spare (docs/science.md#goal-times)
        text = (
            f"Goal {clock(time_s)} for {distance_m / 1000:g} km: comfortable. Current fitness "
            f"(VDOT {vdot:.1f}) predicts {clock(predicted)}, faster than the goal. Training paces come from "
            "current fitness."
        )
        return GoalVerdict.COMFORTABLE, text
    if faster <= REALISTIC_MARGIN:
        verdict, word = GoalVerdict.REALISTIC, "realistic"
    elif faster <= AMBITIOUS_MARGIN:
        verdict, word = GoalVerdict.AMBITIOUS, "ambitious"
    else:
        verdict, word = GoalVerdict.OUT_OF_REACH, "out of reach for this plan"
    how = f"{faster:.1%} faster than" if faster > 0 else "the same as"
    text = (
        f"Goal {clock(time_s)} for {distance_m / 1000:g} km: {word}. Current fitness (VDOT {vdot:.1f}) "
        f"predicts {clock(predicted)}; the goal is {how} that. Training paces come from current fitness."
    )
    return verdict, text


def generate_plan(athlete: Athlete, goal: Goal, start: date) -> Plan:
    """Weeks of dated workouts for ``goal`` from ``start``; unsafe goals are flagged with a reason.

    Raises ValueError (one line) for implausible input (planner/inputs.py)."""
    bp, baseline_weeks = baseline(athlete, goal, start)
    weeks = list(baseline_weeks)
    unsafe, more = _race_safety(*race_baseline(athlete, goal, start))
    vdot = bp.ctx.paces.vdot
    verdict, predicted, verdict_notice = goal_verdict(goal, vdot)
    notices: list[Notice] = [verdict_notice] if verdict_notice else []
    notices.extend(bp.notes)
    if not athlete.long_run_km and athlete.weekly_km > 0:
        text = (
            f"No current long run given: assuming {bp.seed_long_m / 1000:.1f} km "
            "(a quarter of the weekly volume) as the longest recent run."
        )
        facts: dict[str, float | int | str | bool] = {
            "long_run_m": round(bp.seed_long_m),
            "share_of_week": LONG_RUN_ESTIMATE_SHARE,
        }
        notices.append(notice(NoticeCode.LONG_RUN_ASSUMED, text, facts))
    notices.extend(more)
    if unsafe is not None:
        notices += [unsafe, _unsafe_offer(weeks)]
    return Plan(
        athlete=athlete,
        goal=goal,
        start=start,
        base_vdot=vdot,
        vdot=vdot,
        weeks=tuple(weeks),
        warnings=tuple(n.text for n in notices),
        unsafe=unsafe is not None,
        unsafe_reason=unsafe.text if unsafe else "",
        predicted_time_s=predicted,
        goal_verdict=verdict,
        notices=tuple(notices),
    )


def with_paces(bp: Blueprint, vdot: float) -> Blueprint:
    """The same blueprint at a different working VDOT (after a break, docs/science.md#time-off)."""
    paces = training_paces(vdot)
    rp = race_pace(vdot, bp.goal.distance_m) if bp.goal.distance_m else None
    return replace(bp, ctx=replace(bp.ctx, paces=paces, race_pace=rp))
