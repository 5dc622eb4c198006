"""Building single workouts: easy, long, recovery, quality sessions and the race, sized by the caps.

Caps (docs/science.md#quality-caps), applied to the work part of each session against the week's planned volume:
T ≤ 10 %, I ≤ 8 % (≤ 10 km), R ≤ 5 % (≤ 8 km) per session; I bouts 3–5 min with an equal-time jog; R bouts
≤ 2 min with an equal-distance jog (docs/science.md#interval-bouts); M work the lesser of 110 min or 29 km; long
run ≤ 150 min (docs/science.md#long-run). The caller passes each session's ``work_m`` budget, which is also
bounded by the week's quality budget (docs/science.md#quality-budget).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from planner.paces import Paces
from planner.plan import RepSet, RunWalk, Workout, WorkoutType, workout_id

T_SHARE = 0.10  # docs/science.md#quality-caps
I_SHARE = 0.08  # docs/science.md#quality-caps
R_SHARE = 0.05  # docs/science.md#quality-caps
I_MAX_M = 10_000.0  # docs/science.md#quality-caps: "the lesser of 8 % or 10 km"
R_MAX_M = 8_000.0  # docs/science.md#quality-caps: "the lesser of 5 % or 8 km"
QUALITY_SHARE = 0.15  # docs/science.md#quality-budget: all quality work of a week, race pace included
LONG_SHARE_CAP = 0.30  # docs/science.md#long-run (25–30 %)
LONG_SHARE = 0.28  # planned long-run share, inside the 25–30 % of docs/science.md#long-run
MARATHON_LONG_SHARE = 0.38  # docs/science.md#long-run: marathon plans (Pfitzinger's 32 km in 88 km weeks)
MARATHON_LONG_SHARE_CAP = 0.40  # docs/science.md#long-run
LONG_MAX_S = 150 * 60  # docs/science.md#long-run
I_BOUT_MIN_S = 3 * 60  # docs/science.md#interval-bouts
I_BOUT_MAX_S = 5 * 60  # docs/science.md#interval-bouts "never > 5 min"
R_BOUT_MAX_S = 2 * 60  # docs/science.md#interval-bouts
M_MAX_S = 110 * 60  # docs/science.md#quality-caps
M_MAX_M = 29_000.0  # docs/science.md#quality-caps
TEMPO_MAX_S = 20 * 60  # docs/science.md#quality-caps "20 min steady tempo"
CRUISE_REST_S = 60.0  # docs/science.md#quality-caps "5 × 1 mi with 1 min rest"
MILE_M = 1609.344
# Candidate I-pace rep lengths, longest first; the athlete's are those that take 3–5 min at I pace, so the mile
# only where the I mile is under 5:00 (docs/science.md#interval-bouts).
I_REP_LENGTHS = (MILE_M, 1200.0, 1000.0, 800.0, 600.0)
R_REP_LENGTHS = (400.0, 200.0)  # docs/science.md#interval-bouts: short, fast repeats at R
MIN_RACE_PACE_M = 3000.0  # product choice: a shorter race-pace block is not worth a session
PACE_TOLERANCE_S = 3.0  # ± s/km around a single target pace (T, I, R, M)
STRIDES = 6  # 6 × ~20 s strides on easy runs in the base phase (docs/science.md#phases: foundation)
RECOVERY_SHARE = 0.6  # a recovery run is 60 % of the easy run it replaces (product choice)
RUN_WALK_WALK_S = 60.0  # docs/science.md#return-after-break: run/walk steps with 1-minute walks


def _round_m(metres: float) -> float:
    return float(max(0, round(metres / 100.0) * 100))


def around(pace: float) -> tuple[float, float]:
    return (round(pace - PACE_TOLERANCE_S, 1), round(pace + PACE_TOLERANCE_S, 1))


@dataclass(frozen=True, slots=True)
class SessionContext:
    paces: Paces
    race_distance_m: float | None = None
    race_pace: float | None = None  # predicted race pace (s/km) for race-pace sessions
    long_share_cap: float = LONG_SHARE_CAP  # docs/science.md#long-run (40 % in marathon plans)

    @property
    def e_mid(self) -> float:
        return (self.paces.easy[0] + self.paces.easy[1]) / 2

    @property
    def easy_range(self) -> tuple[float, float]:
        return (round(self.paces.easy[0], 1), round(self.paces.easy[1], 1))

    @property
    def long_max_m(self) -> float:
        # 150 min at the long run's planned (mid-E) pace (docs/science.md#long-run)
        return math.floor(LONG_MAX_S / self.e_mid * 1000 / 100) * 100

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


def run_walk(ctx: SessionContext, day: date, distance_m: float, run_s: float) -> Workout:
    """An easy session as run/walk steps: repeats of ``run_s`` running and a minute's walk
    (docs/science.md#return-after-break). ``distance_m`` is the running part."""
    w = easy(ctx, day, distance_m)
    run_time = w.distance_m / 1000 * ctx.e_mid
    count = max(1, math.ceil(run_time / run_s))
    steps = RunWalk(count, float(run_s), RUN_WALK_WALK_S)
    return replace(
        w,
        duration_s=round(run_time + (count - 1) * RUN_WALK_WALK_S),
        run_walk=steps,
        note=f"run/walk: {count} × ({run_s / 60:g} min easy running + {RUN_WALK_WALK_S / 60:g} min walking)",
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


def threshold(ctx: SessionContext, day: date, week_km: float, steady: bool, work_m: float) -> Workout | None:
    """Steady tempo (≤ 20 min) or cruise intervals (mile or km reps, 1 min rest) with ≤ ``work_m`` at T."""
    t = ctx.paces.threshold
    budget_m = min(work_m, T_SHARE * week_km * 1000)
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
    return threshold(ctx, day, week_km, True, work_m)


def interval_rep_lengths(paces: Paces) -> tuple[float, ...]:
    """I rep lengths whose bout lasts 3–5 min at I pace (docs/science.md#interval-bouts), longest first.

    Judged at both ends of the I range, so that no rep inside the range is shorter than 3 or longer than 5 min.
    """
    fast, slow = paces.interval - PACE_TOLERANCE_S, paces.interval + PACE_TOLERANCE_S
    fits = tuple(
        d for d in I_REP_LENGTHS if d / 1000 * fast >= I_BOUT_MIN_S and d / 1000 * slow <= I_BOUT_MAX_S
    )
    if fits:
        return fits
    # outside the plausible VDOT range no candidate fits both ends: take the one nearest to 4 minutes
    return (min(I_REP_LENGTHS, key=lambda d: abs(d / 1000 * paces.interval - 240.0)),)


def i_work_cap_m(week_km: float) -> float:
    return min(I_SHARE * week_km * 1000, I_MAX_M)


def r_work_cap_m(week_km: float) -> float:
    return min(R_SHARE * week_km * 1000, R_MAX_M)


def intervals(ctx: SessionContext, day: date, week_km: float, rep_m: float, work_m: float) -> Workout | None:
    """count × rep (≤ ``rep_m``, a 3–5 min bout) at I with an equal-time jog; I work ≤ ``work_m`` and the cap."""
    budget_m = min(work_m, i_work_cap_m(week_km))
    lengths = interval_rep_lengths(ctx.paces)
    allowed = [d for d in lengths if d <= rep_m] or [lengths[-1]]
    for rep in allowed:
        count = math.floor(budget_m / rep)
        if count >= 2:
            bout_s = rep / 1000 * ctx.paces.interval
            reps = RepSet(count, rep, around(ctx.paces.interval), round(bout_s), "I")
            label = "1 mile" if rep == MILE_M else f"{rep:g} m"
            return _structured(ctx, day, WorkoutType.INTERVALS, week_km, reps, f"{count} × {label} at I")
    return None


def repetitions(ctx: SessionContext, day: date, week_km: float, work_m: float) -> Workout | None:
    """400 m (or 200 m) at R with an equal-distance jog; R work ≤ ``work_m``, 5 % of the week and 8 km."""
    budget_m = min(work_m, r_work_cap_m(week_km))
    for rep in R_REP_LENGTHS:
        count = math.floor(budget_m / rep)
        if count >= 4 and rep / 1000 * (ctx.paces.repetition + PACE_TOLERANCE_S) <= R_BOUT_MAX_S:
            jog_s = rep / 1000 * ctx.paces.easy[1]
            reps = RepSet(count, rep, around(ctx.paces.repetition), round(jog_s), "R")
            return _structured(ctx, day, WorkoutType.REPETITIONS, week_km, reps, f"{count} × {rep:g} m at R")
    return None


def race_pace(ctx: SessionContext, day: date, week_km: float, work_m: float) -> Workout | None:
    """A continuous block of ≤ ``work_m`` at goal race pace; ≤ min(110 min, 29 km) (docs/science.md#quality-caps)."""
    pace = ctx.race_pace if ctx.race_pace is not None else ctx.paces.marathon
    d = math.floor(min(work_m, M_MAX_M, M_MAX_S / pace * 1000) / 500) * 500
    if d < MIN_RACE_PACE_M:
        return None
    reps = RepSet(1, float(d), around(pace), 0.0, "M")
    return _structured(ctx, day, WorkoutType.RACE_PACE, week_km, reps, f"{d / 1000:g} km at goal race pace")


def scaled(ctx: SessionContext, w: Workout, factor: float) -> Workout:
    """The same session at ``factor`` of its volume: fewer reps, shorter E running; never more."""
    if factor >= 1.0:
        return w
    if w.run_walk is not None:
        return run_walk(ctx, w.date, math.floor(w.distance_m * factor / 100) * 100, w.run_walk.run_s)
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


def _with_warmup(ctx: SessionContext, w: Workout, warmup_m: float) -> Workout:
    """``w`` with a shorter warm-up and cool-down of ``warmup_m`` each; the work is unchanged."""
    cut = w.warmup_m + w.cooldown_m - 2 * warmup_m
    if cut <= 0:
        return w
    return replace(
        w,
        distance_m=_round_m(w.distance_m - cut),
        duration_s=round(w.duration_s - cut / 1000 * ctx.e_mid),
        warmup_m=warmup_m,
        cooldown_m=warmup_m,
    )


def _fit_structured(ctx: SessionContext, w: Workout, max_m: float) -> Workout | None:
    """A quality session shortened to ``max_m``: warm-up and cool-down first (down to 1 km each), then the
    work (a shorter block, or fewer reps, at least 2); None when it cannot fit."""
    r = w.reps[0]
    candidate = w
    for _ in range(100):
        room = max_m - (candidate.distance_m - candidate.warmup_m - candidate.cooldown_m)
        warmup = min(w.warmup_m, math.floor(room / 2 / 100) * 100)
        if warmup >= 1000:
            out = _with_warmup(ctx, candidate, warmup)
            if out.distance_m <= max_m:
                return out
        if r.count == 1 and r.distance_m - 500 >= 1000:
            r = replace(r, distance_m=r.distance_m - 500)
        elif r.count > 2:
            r = replace(r, count=r.count - 1)
        else:
            return None
        candidate = resized(ctx, w, r.count, r.distance_m)
    return None


def capped(ctx: SessionContext, w: Workout, max_m: float) -> Workout:
    """``w`` no longer than ``max_m`` (the 110 % spike rule, docs/science.md#spike-rule)."""
    if w.distance_m <= max_m or w.type is WorkoutType.RACE:
        return w
    limit = float(max(0, math.floor(max_m / 100) * 100))
    fitted = _fit_structured(ctx, w, max_m) if w.reps else None
    if fitted is not None:
        return fitted
    out = scaled(ctx, w, limit / w.distance_m)
    if out.distance_m > max_m:  # warm-up and cool-down alone exceed the limit: run it easy instead
        base = (
            easy(ctx, w.date, limit) if w.type is not WorkoutType.RECOVERY else recovery(ctx, w.date, limit)
        )
        out = replace(base, note=f"easy {limit / 1000:g} km instead of: {w.note} (110 % spike rule)")
    return out
