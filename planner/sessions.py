"""Building single workouts: easy, long, recovery, quality sessions and the race, sized by the caps.

Caps (science.md §1.5), applied to the work part of each session against the week's planned volume:
T ≤ 10 %, I ≤ 8 %, R ≤ 5 % per session; I bouts ≤ 5 min with equal-time jog recovery; R bouts ≤ 2 min with
an equal-distance jog; M work the lesser of 110 min or 29 km; long run ≤ 30 % of the week and ≤ 150 min.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from planner.paces import Paces
from planner.plan import RepSet, Workout, WorkoutType, workout_id

T_SHARE = 0.10  # science.md §1.5
I_SHARE = 0.08  # science.md §1.5
R_SHARE = 0.05  # science.md §1.5
LONG_SHARE_CAP = 0.30  # science.md §1.5 (25–30 %)
LONG_SHARE = 0.28  # planned long-run share, inside §1.5's 25–30 %
LONG_MAX_S = 150 * 60  # science.md §1.5
I_BOUT_MAX_S = 5 * 60  # science.md §1.5 "never > 5 min"
R_BOUT_MAX_S = 2 * 60  # science.md §1.5
M_MAX_S = 110 * 60  # science.md §1.5
M_MAX_M = 29_000.0  # science.md §1.5
TEMPO_MAX_S = 20 * 60  # science.md §1.5 "20 min steady tempo"
CRUISE_REST_S = 60.0  # science.md §1.5 "5 × 1 mi with 1 min rest"
MILE_M = 1609.344
# I-pace rep lengths, longest first; mile reps are I work only when the I mile is under 5:00 (science.md §1.5).
I_REP_LENGTHS = (MILE_M, 1200.0, 1000.0, 800.0, 400.0)
PACE_TOLERANCE_S = 3.0  # ± s/km around a single target pace (T, I, R, M)
STRIDES = 6  # 6 × ~20 s strides on easy runs in the base phase ("strides allowed", §7 phase I)
RECOVERY_SHARE = 0.6  # a recovery run is 60 % of the easy run it replaces (product choice)


def _round_m(metres: float) -> float:
    return float(max(0, round(metres / 100.0) * 100))


def around(pace: float) -> tuple[float, float]:
    return (round(pace - PACE_TOLERANCE_S, 1), round(pace + PACE_TOLERANCE_S, 1))


@dataclass(frozen=True, slots=True)
class SessionContext:
    paces: Paces
    race_distance_m: float | None = None
    race_pace: float | None = None  # goal race pace (s/km) for race-pace sessions

    @property
    def e_mid(self) -> float:
        return (self.paces.easy[0] + self.paces.easy[1]) / 2

    @property
    def easy_range(self) -> tuple[float, float]:
        return (round(self.paces.easy[0], 1), round(self.paces.easy[1], 1))

    @property
    def long_max_m(self) -> float:
        # 150 min even at the slow end of the E range (science.md §1.5)
        return math.floor(LONG_MAX_S / self.paces.easy[1] * 1000 / 100) * 100

    def warmup_m(self, week_km: float) -> float:
        # ~15 min of E running, less in very small weeks (product choice)
        return _round_m(min(2000.0, max(1000.0, 60.0 * week_km)))


def easy(ctx: SessionContext, day: date, distance_m: float, strides: int = 0) -> Workout:
    d = _round_m(distance_m)
    return Workout(
        id=workout_id(day),
        date=day,
        type=WorkoutType.EASY,
        distance_m=d,
        duration_s=round(d / 1000 * ctx.e_mid),
        pace=ctx.easy_range,
        strides=strides,
        note=f"easy, {strides} strides" if strides else "easy",
    )


def recovery(ctx: SessionContext, day: date, distance_m: float, note: str = "recovery") -> Workout:
    d = _round_m(distance_m)
    slow = ctx.paces.easy[1]
    return Workout(
        id=workout_id(day),
        date=day,
        type=WorkoutType.RECOVERY,
        distance_m=d,
        duration_s=round(d / 1000 * slow),
        pace=(round(slow, 1), round(slow * 1.05, 1)),
        note=note,
    )


def long_run(ctx: SessionContext, day: date, distance_m: float) -> Workout:
    d = _round_m(min(distance_m, ctx.long_max_m))
    return Workout(
        id=workout_id(day),
        date=day,
        type=WorkoutType.LONG,
        distance_m=d,
        duration_s=round(d / 1000 * ctx.e_mid),
        pace=ctx.easy_range,
        note="long run at E pace",
    )


def race(ctx: SessionContext, day: date, distance_m: float, time_s: float) -> Workout:
    pace = time_s / (distance_m / 1000)
    return Workout(
        id=workout_id(day),
        date=day,
        type=WorkoutType.RACE,
        distance_m=distance_m,
        duration_s=round(time_s),
        pace=(round(pace, 1), round(pace, 1)),
        note="race day",
    )


def _structured(
    ctx: SessionContext, day: date, kind: WorkoutType, week_km: float, reps: RepSet, note: str
) -> Workout:
    wu = ctx.warmup_m(week_km)
    recovery_m = (reps.count - 1) * reps.recovery_s / ctx.paces.easy[1] * 1000
    work_pace = (reps.pace[0] + reps.pace[1]) / 2
    total = wu * 2 + reps.count * reps.distance_m + recovery_m
    duration = (
        wu * 2 / 1000 * ctx.e_mid
        + reps.count * reps.distance_m / 1000 * work_pace
        + (reps.count - 1) * reps.recovery_s
    )
    return Workout(
        id=workout_id(day),
        date=day,
        type=kind,
        distance_m=_round_m(total),
        duration_s=round(duration),
        pace=reps.pace,
        warmup_m=wu,
        reps=(reps,),
        cooldown_m=wu,
        note=note,
    )


def threshold(ctx: SessionContext, day: date, week_km: float, steady: bool) -> Workout | None:
    """Steady tempo (≤ 20 min) or cruise intervals (mile or km reps, 1 min rest), T work ≤ 10 % of the week."""
    t = ctx.paces.threshold
    budget_m = T_SHARE * week_km * 1000
    if steady:
        d = math.floor(min(budget_m, TEMPO_MAX_S / t * 1000) / 100) * 100
        if d < 1000:
            return None
        reps = RepSet(1, float(d), around(t), 0.0, "T")
        return _structured(
            ctx, day, WorkoutType.THRESHOLD, week_km, reps, f"tempo: {d / 1000:g} km steady at T"
        )
    for rep in (MILE_M, 1000.0):
        count = math.floor(budget_m / rep)
        if count >= 2:
            reps = RepSet(count, rep, around(t), CRUISE_REST_S, "T")
            label = "1 mile" if rep == MILE_M else "1 km"
            return _structured(
                ctx, day, WorkoutType.THRESHOLD, week_km, reps, f"cruise intervals: {count} × {label} at T"
            )
    return threshold(ctx, day, week_km, steady=True)


def interval_rep_lengths(paces: Paces) -> tuple[float, ...]:
    """I rep lengths whose bout stays ≤ 5 min at I pace (science.md §1.5), longest first."""
    # judged at the slow end of the I range so that no rep inside the range runs over 5 minutes
    return tuple(d for d in I_REP_LENGTHS if d / 1000 * (paces.interval + PACE_TOLERANCE_S) <= I_BOUT_MAX_S)


def intervals(ctx: SessionContext, day: date, week_km: float, rep_m: float) -> Workout | None:
    """count × rep_m at I with an equal-time jog; I work ≤ 8 % of the week (science.md §1.5)."""
    budget_m = I_SHARE * week_km * 1000
    allowed = [d for d in interval_rep_lengths(ctx.paces) if d <= rep_m]
    for rep in allowed:
        count = math.floor(budget_m / rep)
        if count >= 2:
            bout_s = rep / 1000 * ctx.paces.interval
            reps = RepSet(count, rep, around(ctx.paces.interval), round(bout_s), "I")
            label = "1 mile" if rep == MILE_M else f"{rep:g} m"
            return _structured(ctx, day, WorkoutType.INTERVALS, week_km, reps, f"{count} × {label} at I")
    return None


def repetitions(ctx: SessionContext, day: date, week_km: float) -> Workout | None:
    """200 m or 400 m at R with an equal-distance jog; R work ≤ 5 % of the week (science.md §1.5)."""
    budget_m = R_SHARE * week_km * 1000
    for rep in (400.0, 200.0):
        count = math.floor(budget_m / rep)
        if count >= 4 and rep / 1000 * (ctx.paces.repetition + PACE_TOLERANCE_S) <= R_BOUT_MAX_S:
            jog_s = rep / 1000 * ctx.paces.easy[1]
            reps = RepSet(count, rep, around(ctx.paces.repetition), round(jog_s), "R")
            return _structured(ctx, day, WorkoutType.REPETITIONS, week_km, reps, f"{count} × {rep:g} m at R")
    return None


def race_pace(ctx: SessionContext, day: date, week_km: float, share: float = 0.20) -> Workout | None:
    """A continuous block at goal race pace; for the marathon ≤ min(110 min, 29 km) (science.md §1.5)."""
    pace = ctx.race_pace if ctx.race_pace is not None else ctx.paces.marathon
    d = share * week_km * 1000
    d = math.floor(min(d, M_MAX_M, M_MAX_S / pace * 1000) / 500) * 500
    if d < 3000:
        return None
    reps = RepSet(1, float(d), around(pace), 0.0, "M")
    return _structured(ctx, day, WorkoutType.RACE_PACE, week_km, reps, f"{d / 1000:g} km at goal race pace")


def scaled(ctx: SessionContext, w: Workout, factor: float) -> Workout:
    """The same session at ``factor`` of its volume: fewer reps, shorter E running; never more."""
    if factor >= 1.0:
        return w
    if not w.reps:
        d = _round_m(w.distance_m * factor)
        pace = ctx.e_mid if w.type in (WorkoutType.EASY, WorkoutType.LONG) else (w.pace[0] + w.pace[1]) / 2
        return replace(w, distance_m=d, duration_s=round(d / 1000 * pace))
    reps = w.reps[0]
    return resized(ctx, w, max(1, math.floor(reps.count * factor)), reps.distance_m)


def resized(ctx: SessionContext, w: Workout, count: int, distance_m: float) -> Workout:
    """The structured session ``w`` with ``count`` × ``distance_m`` work; warm-up, paces and recoveries kept."""
    reps = replace(w.reps[0], count=count, distance_m=distance_m)
    week_km_equiv = w.warmup_m / 60.0  # warmup_m() gives this warm-up back
    head, sep, tail = w.note.partition(" × ")
    if sep and head.isdigit():
        note = f"{count} × {tail}"
    elif w.note.endswith(" km steady at T") or w.note.endswith(" km at goal race pace"):
        note = f"{distance_m / 1000:g} km " + w.note.split(" km ", 1)[1]
    else:
        note = w.note
    new = _structured(ctx, w.date, w.type, week_km_equiv, reps, note)
    return replace(new, warmup_m=w.warmup_m, cooldown_m=w.cooldown_m)


def as_easy(ctx: SessionContext, w: Workout, note: str) -> Workout:
    """A quality session turned into an easy run of the same or lower volume (E pace, no reps)."""
    return replace(easy(ctx, w.date, w.distance_m), note=note)


def capped(ctx: SessionContext, w: Workout, max_m: float) -> Workout:
    """``w`` no longer than ``max_m`` (the 110 % spike rule, science.md §4)."""
    if w.distance_m <= max_m or w.type is WorkoutType.RACE:
        return w
    limit = float(max(0, math.floor(max_m / 100) * 100))
    out = scaled(ctx, w, limit / w.distance_m)
    if out.distance_m > max_m:  # warm-up and cool-down alone exceed the limit: run it easy instead
        base = (
            easy(ctx, w.date, limit) if w.type is not WorkoutType.RECOVERY else recovery(ctx, w.date, limit)
        )
        out = replace(base, note=f"easy {limit / 1000:g} km instead of: {w.note} (110 % spike rule)")
    return out
