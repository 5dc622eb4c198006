"""Rule checks shared by the table-driven and the property-based tests. Each cites its docs/science.md section.

Every function returns a list of violations (empty when the rule holds), so a failing test says what broke.
"""

from __future__ import annotations

from datetime import timedelta

from planner import GoalKind, Phase, Plan, Week, WorkoutType
from planner.generate import MIN_EASY_M
from planner.plan import QUALITY_TYPES, RACE_PHASE_ORDER

EPS_M = 1.0  # rounding slack in metres


def race_week_count(plan: Plan) -> int:
    return len(plan.weeks)


def phase_order(plan: Plan) -> list[str]:
    """Race plans: base → threshold → intervals → taper, never backwards (docs/science.md#phases)."""
    if plan.goal.kind is not GoalKind.RACE:
        return []
    ranks = [RACE_PHASE_ORDER.index(w.phase) for w in plan.weeks]
    return [f"phase goes back at week {i}" for i in range(1, len(ranks)) if ranks[i] < ranks[i - 1]]


def no_quality_in_base(plan: Plan) -> list[str]:
    """Base phase: easy volume, strides allowed, no T/I/R (docs/science.md#phases)."""
    out = []
    for week in plan.weeks:
        if week.phase is Phase.BASE:
            for w in week.workouts:
                if w.type in QUALITY_TYPES or any(r.label in ("T", "I", "R", "M") for r in w.reps):
                    out.append(f"{w.date} {w.type.value} in base phase")
    return out


def speed_only_late(plan: Plan) -> list[str]:
    """Quality sessions only in the last 8 weeks before the race (docs/science.md#phases)."""
    if plan.goal.kind is not GoalKind.RACE:
        return []
    first_allowed = plan.goal.date - timedelta(weeks=8)
    return [
        f"{w.date} {w.type.value} before the last 8 weeks"
        for w in plan.workouts()
        if w.is_quality and w.date <= first_allowed
    ]


def tempo_before_intervals(plan: Plan) -> list[str]:
    """Tempo/threshold first, then intervals (docs/science.md#phases, Pfitzinger/Daniels order)."""
    if plan.goal.kind is not GoalKind.RACE:
        return []
    out = []
    t = [w.date for w in plan.workouts() if w.type is WorkoutType.THRESHOLD]
    i = [w.date for w in plan.workouts() if w.type is WorkoutType.INTERVALS]
    if t and i and min(i) < min(t):
        out.append(f"intervals on {min(i)} before the first tempo on {min(t)}")
    for week in plan.weeks:
        if week.phase is Phase.THRESHOLD and any(w.type is WorkoutType.INTERVALS for w in week.workouts):
            out.append(f"intervals in threshold week {week.start}")
    return out


def session_caps(plan: Plan) -> list[str]:
    """Per session T ≤ 10 %, I ≤ 8 % and ≤ 10 km, R ≤ 5 % and ≤ 8 km of the week's volume; I bouts 3–5 min,
    R ≤ 2 min; I recovery ≤ bout time; M work ≤ min(110 min, 29 km) (docs/science.md#quality-caps,
    #interval-bouts)."""
    out = []
    shares = {"T": (0.10, 1e9), "I": (0.08, 10_000.0), "R": (0.05, 8_000.0)}
    for week in plan.weeks:
        vol = sum(w.distance_m for w in week.workouts if w.is_run)
        for w in week.workouts:
            for label, (cap, ceiling) in shares.items():
                work = w.work_m(label)
                if work > min(cap * vol, ceiling) + EPS_M:
                    out.append(f"{w.date}: {label} work {work:.0f} m > {cap:.0%} of {vol:.0f} m")
            for r in w.reps:
                bout = r.distance_m / 1000 * r.pace[1]
                mid_bout = r.distance_m / 1000 * (r.pace[0] + r.pace[1]) / 2
                if r.label == "I" and (bout > 300 + 1 or mid_bout < 180 - 1 or r.recovery_s > bout + 1):
                    out.append(f"{w.date}: I bout {mid_bout:.0f} s / recovery {r.recovery_s:.0f} s")
                if r.label == "R" and bout > 120 + 1:
                    out.append(f"{w.date}: R bout {bout:.0f} s")
                if r.label == "M" and (
                    r.distance_m > 29_000 or r.count * r.distance_m / 1000 * r.pace[0] > 110 * 60 + 1
                ):
                    out.append(f"{w.date}: M block too long")
    return out


def quality_budget(plan: Plan, share: float = 0.15) -> list[str]:
    """All work at T, I, R or race pace of a week ≤ 15 % of its volume (docs/science.md#quality-budget)."""
    out = []
    for week in plan.weeks:
        vol = sum(w.distance_m for w in week.workouts if w.is_run and w.type is not WorkoutType.RACE)
        work = sum(w.work_m(x) for w in week.workouts for x in ("T", "I", "R", "M"))
        if work > share * vol + EPS_M:
            out.append(f"week {week.start}: {work:.0f} m of quality > {share:.0%} of {vol:.0f} m")
    return out


def long_is_longest(plan: Plan) -> list[str]:
    """The long run is the longest run of its week (docs/science.md#long-run)."""
    out = []
    for week in plan.weeks:
        longs = [w.distance_m for w in week.workouts if w.type is WorkoutType.LONG]
        others = [
            w.distance_m
            for w in week.workouts
            if w.is_run and w.type not in (WorkoutType.LONG, WorkoutType.RACE)
        ]
        if longs and others and max(others) > max(longs) + EPS_M:
            out.append(
                f"week {week.start}: a {max(others):.0f} m run is longer than the long run {max(longs):.0f} m"
            )
    return out


def weekly_growth(plan: Plan, limit: float = 1.10) -> list[str]:
    """No week's training volume more than 10 % above the week before (docs/science.md#volume-progression);
    the return after a break climbs back to known volume and is not checked."""
    if plan.goal.kind is GoalKind.RECOVERY or plan.athlete.break_days > 5 or plan.athlete.weekly_km == 0:
        return []

    def training(week: Week) -> float:
        return sum(x.distance_m for x in week.workouts if x.is_run and x.type is not WorkoutType.RACE)

    vols = [training(w) for w in plan.weeks]
    first_full = (
        1 if plan.weeks and plan.start > plan.weeks[0].start else 0
    )  # a mid-week start is no full week
    return [
        f"week {plan.weeks[i].start}: {vols[i]:.0f} m > 110 % of {vols[i - 1]:.0f} m"
        for i in range(first_full + 1, len(vols))
        if vols[i - 1] > 0 and vols[i] > limit * vols[i - 1] + 100
    ]


def mile_reps_at_i_only_when_fast(plan: Plan) -> list[str]:
    """Mile repeats at I pace only when the I mile is under 5:00 (docs/science.md#interval-bouts)."""
    out = []
    for w in plan.workouts():
        for r in w.reps:
            if (
                r.label == "I"
                and r.distance_m > 1500
                and r.distance_m / 1000 * (r.pace[0] + r.pace[1]) / 2 >= 300
            ):
                out.append(f"{w.date}: I mile at {(r.pace[0] + r.pace[1]) / 2:.0f} s/km")
    return out


def long_run_caps(plan: Plan, e_mid: float) -> list[str]:
    """Long run ≤ 30 % of the week (40 % in marathon plans) unless another run of a few-run week is as long, and
    ≤ 150 min at mid-E pace (docs/science.md#long-run)."""
    out = []
    cap = 0.40 if plan.goal.kind is GoalKind.RACE and (plan.goal.distance_m or 0) >= 42_194 else 0.30
    for week in plan.weeks:
        runs = [w for w in week.workouts if w.is_run and w.type is not WorkoutType.RACE]
        vol = sum(w.distance_m for w in runs)
        other = max((w.distance_m for w in runs if w.type is not WorkoutType.LONG), default=0.0)
        for w in week.workouts:
            if w.type is WorkoutType.LONG:
                if w.distance_m > max(cap * vol, other) + EPS_M:
                    out.append(f"{w.date}: long {w.distance_m:.0f} m > {cap:.0%} of {vol:.0f} m")
                if w.distance_m / 1000 * e_mid > 150 * 60 + 1:
                    out.append(f"{w.date}: long run over 150 min")
    return out


def spike_rule(plan: Plan, seed_m: float) -> list[str]:
    """No planned run > 110 % of the longest run in the previous 30 days; the race is exempt
    (docs/science.md#spike-rule)."""
    history = [(plan.start - timedelta(days=1), seed_m)]
    out = []
    for w in sorted((w for w in plan.workouts() if w.is_run), key=lambda x: x.date):
        prior = [m for d, m in history if w.date - timedelta(days=30) <= d < w.date]
        if (
            w.type is not WorkoutType.RACE
            and prior
            and w.distance_m > max(1.10 * max(prior), MIN_EASY_M) + EPS_M
        ):
            out.append(f"{w.date}: {w.distance_m:.0f} m > 110 % of {max(prior):.0f} m")
        history.append((w.date, w.distance_m))
    return out


def taper(plan: Plan) -> list[str]:
    """Last 2 weeks (3 for the marathon) are the taper: mean volume cut 41–60 % of the peak, one quality
    session kept in every taper week before race week (docs/science.md#taper).

    The race week holds only the run days before the race, so its training volume is compared pro rata:
    divided by the share of the athlete's run days that fall before the race (a Monday race: none).
    """
    if plan.goal.kind is not GoalKind.RACE or len(plan.weeks) < 6:
        return []
    if plan.unsafe:  # the safe build offered instead of the race: no taper (docs/science.md#spike-rule)
        return [
            f"the offered build has a {w.phase.value} week {w.start}"
            for w in plan.weeks
            if w.phase is not Phase.BASE
        ]
    from planner.generate import run_days

    days = run_days(plan.athlete)
    race_week = plan.weeks[-1]
    share = sum(1 for d in days if race_week.start + timedelta(days=d) < plan.goal.date) / len(days)
    # the taper gets one more calendar week when most of the race week's run days fall after the race
    n_taper = (3 if (plan.goal.distance_m or 0) >= 42_195 else 2) + (1 if share < 0.5 else 0)
    tail = plan.weeks[-n_taper:]
    out = [f"week {w.start} is {w.phase.value}, not taper" for w in tail if w.phase is not Phase.TAPER]
    out += [f"taper week {w.start} before the end" for w in plan.weeks[:-n_taper] if w.phase is Phase.TAPER]

    def training(week: Week) -> float:
        return sum(x.distance_m for x in week.workouts if x.is_run and x.type is not WorkoutType.RACE)

    peak = max(training(w) for w in plan.weeks[:-n_taper])
    fractions = [training(w) / peak for w in tail[:-1]]
    if share > 0:
        fractions.append(training(race_week) / share / peak)
    cut = 1 - sum(fractions) / len(fractions)
    if not (0.41 - 0.005 <= cut <= 0.60 + 0.005):
        out.append(f"taper cut {cut:.1%} outside 41–60 %")
    for w in tail[:-1]:
        # smaller weeks cannot hold a session within the caps (docs/science.md#quality-caps)
        if training(w) >= 15_000 and not any(x.is_quality for x in w.workouts):
            out.append(f"taper week {w.start} dropped all intensity")
    return out


def race_on_goal_date(plan: Plan) -> list[str]:
    if plan.goal.kind is not GoalKind.RACE:
        return []
    races = [w for w in plan.workouts() if w.type is WorkoutType.RACE]
    if plan.unsafe and races:  # the safe build offered instead of an unsafe race holds no race
        return [f"the offered build holds a race on {races[0].date}"]
    if not plan.unsafe and (len(races) != 1 or races[0].date != plan.goal.date):
        return [f"race workouts {[(r.date, r.distance_m) for r in races]}"]
    after = [w for w in plan.workouts() if w.date > plan.goal.date]
    return [f"workout after the race on {w.date}" for w in after]


def ids_unique_and_dated(plan: Plan) -> list[str]:
    ids = [w.id for w in plan.workouts()]
    out = [] if len(ids) == len(set(ids)) else ["duplicate workout ids"]
    out += [
        f"{w.id} outside its week"
        for week in plan.weeks
        for w in week.workouts
        if not week.start <= w.date <= week.end
    ]
    out += [f"{w.id} before the plan start" for w in plan.workouts() if w.date < plan.start]
    return out
