"""The scorecard: a seeded cohort of synthetic athletes run through generation and adaptation under deviation
patterns, and how often each coaching rule is broken. Pure: ``run_cohort`` returns values, ``render_markdown``
the report (docs/scorecard.md); the command ``runsmart plan scorecard`` times it and writes the file.

The athlete simulation is ``planner.synthetic.simulate`` (one implementation for the scorecard and the tests).
Rules are documented in docs/scorecard.md; hard rules must have zero violations.
"""

from __future__ import annotations

import random
import re
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from planner.activity import Activity
from planner.adapt import adapt, maintenance_floor_km, with_estimated_distances
from planner.fitness import evidence_in
from planner.generate import (
    MARATHON_M,
    MIN_EASY_M,
    generate_plan,
    long_goal_m,
    spike_tolerance_m,
    training_km,
)
from planner.history import OVERRUN_MARGIN
from planner.intensity import Zones
from planner.load import SPIKE_LIMIT, SPIKE_WINDOW_DAYS, planned_speed_s, run_spikes
from planner.paces import Paces, fvdot, race_time, training_paces
from planner.plan import Athlete, Change, Goal, GoalKind, Phase, Plan, Workout, WorkoutDiff, WorkoutType
from planner.reasons import ChangeCode, NoticeCode
from planner.sessions import LONG_MAX_S, LONG_SHARE, MARATHON_LONG_SHARE
from planner.synthetic import (
    Behaviour,
    Extra,
    Simulation,
    activity_from_strava,
    as_planned,
    simulate,
    strava_run,
)

START = date(2026, 1, 5)  # a Monday
RACES = {"5K": 5000.0, "10K": 10_000.0, "half": 21_097.5, "marathon": 42_195.0}
KINDS = ("5K", "10K", "half", "marathon", "recovery", "maintenance")
PATTERNS = (
    "as_planned",
    "missed_week",
    "partial_weeks",
    "sick_two_weeks",
    "easy_too_fast",
    "mp_drift",
    "extra_sessions",
    "spike_long_run",
    "four_weeks_off",
    "fast_tuneup",
)
FAST_WEEK_SHARE = 0.20  # a week whose easy runs were this share of its time clearly fast must be answered
UNDER_DONE = 0.80  # a week below 80 % of its planned km is under-done (the green band starts at 80 %)
BREAK_MIN_DAYS = 6  # docs/science.md#return-after-break: a run-free stretch of 6 days or more is a break
BREAK_RETURN_MAX = 0.75  # the week after a week without runs: at most the second stage of a return
NEXT_OVER_ACTUAL_MAX = 1.20  # after an under-done week, next week ≤ 120 % of what was run
QUALITY_SHARE_MAX = 0.20  # planned time at marathon pace or faster ≤ 20 % of the week's planned time
QUALITY_WORK_MAX = 0.15  # docs/science.md#quality-budget: quality work ≤ 15 % of the week's planned volume
QUALITY_WINDOW_DAYS = 56  # quality only in the last 8 weeks before the race
# the fast_tuneup pattern: a 5K race run 5 VDOT points above the plan by moving time; its clock (elapsed time,
# what a race is judged on) also holds the simulator's standing time, so it shows about 3 points more
TUNEUP_M, TUNEUP_VDOT_GAIN = 5000.0, 5.0
VDOT_RISE_MAX, VDOT_RISE_DAYS = 2.0, 28  # docs/science.md#raising-vdot
SLACK_KM = 1.0  # rounding of rendered workouts (100 m per run)
CODE_LIKE = re.compile(r"§|science|\.md\b|\.py\b|\b[a-z]+_[a-z_]+\b")


@dataclass(frozen=True, slots=True)
class Profile:
    number: int
    kind: str
    pattern: str
    athlete: Athlete
    goal: Goal

    def describe(self) -> str:
        a = self.athlete
        return (
            f"#{self.number} {self.kind}, {a.weekly_km:.0f} km/wk × {a.runs_per_week} runs, VDOT {a.vdot:.0f}, "
            f"{_weeks(self.goal)} wk, {self.pattern}"
        )


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    hard: bool
    owner: str  # "generation" or "adaptation"
    text: str


RULES = (
    Rule("planned_spike", True, "both", "a planned run > 110 % of the longest run of the previous 30 days"),
    Rule("quality_share", True, "generation", "a week's quality > 20 % of its time or > 15 % of its volume"),
    Rule("quality_early", True, "generation", "a quality session more than 8 weeks before the race"),
    Rule("quality_week_empty", True, "generation", "a threshold or intervals week without a quality session"),
    Rule(
        "volume_justified",
        True,
        "generation",
        "a race plan builds above both its long run's need and one 10 % step above the stated volume",
    ),
    Rule(
        "unsafe_offer",
        True,
        "generation",
        "an unsafe plan holds quality, a taper or the race, or does not say what it offers instead",
    ),
    Rule(
        "next_over_actual", True, "adaptation", "after an under-done week, next week > 120 % of what was run"
    ),
    Rule(
        "above_pre_miss", True, "adaptation", "after an under-done week, next week above any week run before"
    ),
    Rule(
        "break_return", True, "adaptation", "after a week without runs, next week > 75 % of the load before"
    ),
    Rule("spike_unanswered", True, "adaptation", "a run done > 110 % of the 30-day longest with no response"),
    Rule("speed_unanswered", True, "adaptation", "easy runs clearly at marathon pace or faster, no response"),
    Rule(
        "reason_matches_plan",
        True,
        "adaptation",
        "a volume rebuild names a next week other than the one the athlete is shown",
    ),
    Rule(
        "break_vdot",
        True,
        "adaptation",
        "a return after a break lowers the VDOT from other than the working VDOT before the break",
    ),
    Rule(
        "vdot_bounded",
        True,
        "adaptation",
        "the working VDOT above the best evidence run (race or hard stretch), or up > 2 points in 28 days",
    ),
    Rule(
        "change_id_stable",
        True,
        "adaptation",
        "a change made by one weekly adaptation is gone from the next, or one break is answered by two changes",
    ),
    Rule(
        "history_kept",
        True,
        "adaptation",
        "a change alters a past day's workout, or today's once a run of today is synced",
    ),
    Rule(
        "week_held",
        True,
        "adaptation",
        "a volume decision made by a run mid-week: the days left hold more than it names or the runs allow, "
        "less what the days behind count for, or the decision changes as the week is run",
    ),
    Rule("athlete_text", True, "both", "text the athlete reads names a file, section or internal code"),
    Rule("race_moved", True, "adaptation", "the race is not on the goal date"),
    Rule("unsafe_typical", False, "generation", "a typical goal flagged unsafe"),
    Rule("error", True, "both", "an exception in generation or adaptation"),
)


@dataclass
class Tally:
    checked: Counter[str] = field(default_factory=Counter)
    violated: Counter[str] = field(default_factory=Counter)
    by_pattern: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    athletes: int = 0
    refused: int = 0  # plans flagged unsafe: never installed, so not simulated
    kinds: Counter[str] = field(default_factory=Counter)
    patterns: Counter[str] = field(default_factory=Counter)
    next_ratios: list[float] = field(default_factory=list)  # next week planned ÷ last week actual, under-done

    def check(self, rule: str, ok: bool, profile: Profile, detail: str = "") -> None:
        self.checked[rule] += 1
        if not ok:
            self.violated[rule] += 1
            self.by_pattern[(rule, profile.pattern)] += 1
            shown = self.examples.setdefault(rule, [])
            if len(shown) < 3:
                shown.append(f"{profile.describe()}: {detail}"[:300])

    def merge(self, other: Tally) -> None:
        for mine, theirs in (
            (self.checked, other.checked),
            (self.violated, other.violated),
            (self.kinds, other.kinds),
            (self.patterns, other.patterns),
        ):
            mine.update(theirs)
        self.by_pattern.update(other.by_pattern)
        for k, v in other.examples.items():
            self.examples.setdefault(k, []).extend(v[: 3 - len(self.examples[k])])
        self.athletes += other.athletes
        self.refused += other.refused
        self.next_ratios.extend(other.next_ratios)


# --- the cohort ---------------------------------------------------------------------------------------------


def _weeks(goal: Goal) -> int:
    return (goal.date - START).days // 7 + 1


def profile(number: int, seed: int) -> Profile:
    """Athlete ``number`` of the cohort: kinds and patterns rotate so every pair is covered; the rest is
    drawn from ``seed`` (15–120 km/wk, VDOT 30–70, 6–24 weeks)."""
    rng = random.Random(seed * 1_000_003 + number)
    kind = KINDS[number % len(KINDS)]
    pattern = PATTERNS[(number // len(KINDS)) % len(PATTERNS)]
    weekly = round(rng.uniform(15, 120), 1)
    runs = 3 if weekly < 25 else 4 if weekly < 45 else 5 if weekly < 75 else 6
    runs = max(3, min(7, runs + rng.choice((-1, 0, 0, 1))))
    weeks = rng.randint(6, 24)
    athlete = Athlete(
        weekly_km=weekly,
        runs_per_week=runs,
        vdot=round(rng.uniform(30, 70), 1),
        long_run_km=round(weekly * rng.uniform(0.25, 0.32), 1) if rng.random() < 0.8 else None,
        max_hr=float(rng.randint(165, 200)) if rng.random() < 0.5 else None,
    )
    end = START + timedelta(weeks=weeks - 1, days=6)
    goal = Goal(GoalKind.RACE, end, RACES[kind]) if kind in RACES else Goal(GoalKind(kind), end)
    return Profile(number, kind, pattern, athlete, goal)


def typical(p: Profile) -> bool:
    """A goal a coach would take on: enough weeks and volume for the distance (docs/scorecard.md)."""
    a, weeks = p.athlete, _weeks(p.goal)
    need = {"5K": (15, 6), "10K": (20, 6), "half": (30, 10), "marathon": (50, 16)}
    if p.kind not in need:
        return True
    km, wk = need[p.kind]
    return a.weekly_km >= km and weeks >= wk and (a.long_run_km or a.weekly_km * 0.25) >= 0.25 * a.weekly_km


# --- deviation patterns ---------------------------------------------------------------------------------------


def behaviour_for(p: Profile, base: Plan) -> tuple[Behaviour, Extra | None]:
    """The athlete's deviation from ``base`` (the generated plan). In partial weeks, odd-numbered athletes can do
    a share of the original runs (never more than asked), even-numbered ones a share of whatever is asked."""
    n_weeks = len(base.weeks)
    base_m = {w.id: w.distance_m for w in base.workouts()}
    rng = random.Random(p.number * 7919 + 17)
    last = max(1, n_weeks - 2)
    pick = rng.randint(1, last) if last > 1 else 1

    def off(days: int) -> Behaviour:
        first = START + timedelta(weeks=max(1, min(pick, n_weeks - 1 - days // 7)), days=rng.randint(0, 6))

        def b(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
            return [] if first <= w.date < first + timedelta(days=days) else [{}]

        return b

    if p.pattern == "missed_week":
        return (lambda w, week, plan: [] if week == pick else [{}]), None
    if p.pattern == "partial_weeks":
        share = {k: rng.uniform(0.3, 0.79) for k in range(pick, pick + 3)}

        def partial(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
            if week not in share or w.type is WorkoutType.RACE:
                return [{}]
            if w.type is WorkoutType.LONG or w.distance_m <= 0:
                return []
            if p.number % 2:  # can do a share of the original runs (never more than asked)
                return [
                    {"distance_factor": min(1.0, share[week] * base_m.get(w.id, w.distance_m) / w.distance_m)}
                ]
            return [{"distance_factor": share[week]}]  # does a share of whatever is asked

        return partial, None
    if p.pattern == "sick_two_weeks":
        return off(14), None
    if p.pattern == "four_weeks_off":
        return off(28), None
    if p.pattern in ("easy_too_fast", "mp_drift"):
        weeks = {pick, min(pick + 1, n_weeks - 1)} if p.pattern == "easy_too_fast" else set(range(n_weeks))

        def fast(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
            if week not in weeks or w.type not in (WorkoutType.EASY, WorkoutType.LONG, WorkoutType.RECOVERY):
                return [{}]
            e_fast, m, t = _paces(plan)
            if p.pattern == "easy_too_fast":
                return [{"work_pace": rng.uniform(t, m)}]
            drift = week / max(1, n_weeks - 1)  # from the fast end of E to marathon pace over the plan
            return [{"work_pace": e_fast + (m - e_fast) * drift}]

        return fast, None
    if p.pattern == "extra_sessions":
        return as_planned, _extra_sessions({pick, min(pick + 1, n_weeks - 1)})
    if p.pattern == "fast_tuneup":
        return as_planned, _fast_tuneup(max(1, min(pick, n_weeks - 3)))  # weeks left to answer it
    if p.pattern == "spike_long_run":
        factor = rng.uniform(1.4, 1.8)

        def spike(w: Workout, week: int, plan: Plan) -> list[dict[str, Any]]:
            if week == pick and w.type is WorkoutType.LONG:
                return [{"distance_factor": factor}]
            return [{}]

        return spike, None
    return as_planned, None


def _paces(plan: Plan) -> tuple[float, float, float]:
    """The fast end of E pace, M pace and T pace of the plan's working fitness."""
    pc = training_paces(plan.vdot)
    return pc.easy[0], pc.marathon, pc.threshold


def _extra_sessions(weeks: set[int]) -> Extra:
    """An extra 8 km at threshold pace on the first free day of each of ``weeks``."""

    def extra(week: int, plan: Plan) -> list[tuple[Workout, dict[str, Any]]]:
        if week not in weeks:
            return []
        wk = plan.weeks[week]
        free = [d for d in range(7) if not any(w.date.weekday() == d and w.is_run for w in wk.workouts)]
        if not free:
            return []
        day = wk.start + timedelta(days=free[0])
        _, _, t = _paces(plan)
        template = Workout(f"x{week}", day, WorkoutType.EASY, 8000.0, 8 * t, (t, t))
        return [(template, {"work_pace": t})]

    return extra


def _fast_tuneup(pick: int) -> Extra:
    """An extra 5K race in week ``pick``, on a free day, run about 3 VDOT points above the plan's: the
    evidence the fitness_up rule answers (docs/science.md#raising-vdot)."""

    def extra(week: int, plan: Plan) -> list[tuple[Workout, dict[str, Any]]]:
        if week != pick:
            return []
        wk = plan.weeks[week]
        # a free day, else the day of an easy run (a second outing that day)
        free = [d for d in range(7) if not any(w.date.weekday() == d and w.is_run for w in wk.workouts)]
        free += [w.date.weekday() for w in wk.workouts if w.type is WorkoutType.EASY]
        if not free:
            return []
        pace = race_time(plan.vdot + TUNEUP_VDOT_GAIN, TUNEUP_M) / (TUNEUP_M / 1000)
        day = wk.start + timedelta(days=free[0])
        template = Workout(
            f"tuneup{week}", day, WorkoutType.RACE, TUNEUP_M, TUNEUP_M / 1000 * pace, (pace, pace)
        )
        return [(template, {"work_pace": pace})]

    return extra


# --- rule checks ----------------------------------------------------------------------------------------------


def _counted(sim: Simulation) -> Sequence[Activity]:
    """The runs as the planner counts them: a run without a usable distance by its time at easy pace
    (docs/science.md#runs-without-distance)."""
    return with_estimated_distances(sim.activities, training_paces(sim.plan.base_vdot))


def _history(sim: Simulation, as_of: date, seed: tuple[date, float]) -> list[tuple[date, float]]:
    return [seed, *sorted((a.local_date, a.distance_m) for a in _counted(sim) if a.local_date < as_of)]


def check_planned_spikes(
    p: Profile, plan: Plan, hist: list[tuple[date, float]], as_of: date, t: Tally
) -> None:
    """Every future planned run ≤ 110 % of the longest of the 30 days before it (done runs, then the plan)."""
    pending = deque(hist)  # in date order: runs not yet in the window
    window: deque[tuple[date, float]] = deque()  # the 30 days before the current run, longest first
    worst = ""
    for w in sorted((w for w in plan.workouts() if w.is_run and w.date >= as_of), key=lambda x: x.date):
        while pending and pending[0][0] < w.date:
            entry = pending.popleft()
            while window and window[-1][1] <= entry[1]:
                window.pop()
            window.append(entry)
        while window and window[0][0] < w.date - timedelta(days=SPIKE_WINDOW_DAYS):
            window.popleft()
        longest = window[0][1] if window else 0.0
        # the shortest planned run is never a spike, and an excess under GPS error is not one either
        # (docs/science.md#maintenance-floor, docs/science.md#spike-rule)
        cap = max(SPIKE_LIMIT * longest, MIN_EASY_M)
        if (
            w.type is not WorkoutType.RACE
            and longest
            and w.distance_m > cap + spike_tolerance_m(cap)
            and not worst
        ):
            worst = f"{w.date} {w.type.value} {w.distance_m / 1000:.1f} km > 110 % of {longest / 1000:.1f} km"
        pending.append((w.date, w.distance_m))
    t.check("planned_spike", not worst, p, f"as of {as_of}: {worst}")


def check_generated(p: Profile, plan: Plan, t: Tally) -> None:
    zones = Zones.from_paces(training_paces(plan.vdot))
    for week in plan.weeks:
        runs = [w for w in week.workouts if w.is_run and w.type is not WorkoutType.RACE]
        week_s, week_m = sum(w.duration_s for w in runs), sum(w.distance_m for w in runs)
        if week_s > 0 and week_m > 0:
            by_time = sum(planned_speed_s(w, zones) for w in runs) / week_s
            by_work = sum(w.work_m(x) for w in runs for x in ("T", "I", "R", "M")) / week_m
            t.check(
                "quality_share",
                by_time <= QUALITY_SHARE_MAX + 1e-9 and by_work <= QUALITY_WORK_MAX + 1e-9,
                p,
                f"week {week.start}: {by_time:.0%} of the time, {by_work:.0%} of the distance",
            )
    if plan.goal.kind is GoalKind.RACE:
        early = [
            w
            for w in plan.workouts()
            if w.is_quality and w.date <= plan.goal.date - timedelta(days=QUALITY_WINDOW_DAYS)
        ]
        t.check("quality_early", not early, p, ", ".join(f"{w.date} {w.type.value}" for w in early[:3]))
    if typical(p):
        t.check("unsafe_typical", not plan.unsafe, p, plan.unsafe_reason)
    check_coherent(p, plan, t)


def check_coherent(p: Profile, plan: Plan, t: Tally) -> None:
    """Every week is what its phase says; a race plan builds no more than history and distance justify; an unsafe
    plan is the plain build it offers instead (docs/science.md#phases, #volume-progression, #spike-rule)."""
    if plan.goal.kind is not GoalKind.RACE:
        return
    if plan.unsafe:
        bad = [w for w in plan.workouts() if w.is_quality or w.type is WorkoutType.RACE]
        phases = {w.phase for w in plan.weeks}
        offered = [n for n in plan.notices if n.code == NoticeCode.UNSAFE_OFFER]
        detail = f"{len(bad)} quality or race workouts, phases {sorted(phases)}, {len(offered)} offers"
        t.check("unsafe_offer", not bad and phases == {Phase.BASE} and len(offered) == 1, p, detail)
        return
    for week in plan.weeks:
        if week.phase in (Phase.THRESHOLD, Phase.INTERVALS):
            t.check(
                "quality_week_empty",
                any(w.is_quality for w in week.workouts),
                p,
                f"week {week.start} ({week.phase.value}): {[w.type.value for w in week.workouts]}",
            )
    need = needed_km(plan.goal, training_paces(plan.vdot), plan.goal.distance_m or 0.0)
    peak = max(training_km(w.workouts) for w in plan.weeks)
    allowed = max(need, 1.10 * p.athlete.weekly_km) + SLACK_KM
    t.check("volume_justified", peak <= allowed, p, f"peak {peak:.1f} km against {allowed:.1f} km justified")


def needed_km(goal: Goal, paces: Paces, distance_m: float) -> float:
    """The week the race's long run needs (docs/science.md#long-run): its goal length, at most 150 minutes at mid
    easy pace, at 28 % of the week (38 % for the marathon)."""
    long_m = min(long_goal_m(goal) or 0.0, LONG_MAX_S / ((paces.easy[0] + paces.easy[1]) / 2) * 1000)
    return long_m / 1000 / (MARATHON_LONG_SHARE if distance_m >= MARATHON_M - 1 else LONG_SHARE)


def _break_in(sim: Simulation, start: date) -> date | None:
    """The first day of a run-free stretch of 6 days or more that reaches into the week from ``start``, as known
    when the plan was adapted after it (a break: the return after it is judged by the break rule,
    docs/science.md#return-after-break); None without one."""
    end = start + timedelta(days=6)
    days = sorted({a.local_date for a in sim.activities if a.is_run and a.local_date <= end})
    edges = [d for d in days if d < start][-1:] + [d for d in days if start <= d] + [end + timedelta(days=1)]
    if edges[0] >= start:
        edges = [START - timedelta(days=1), *edges]
    found = None
    for a, b in zip(edges, edges[1:], strict=False):
        if (b - a).days - 1 >= BREAK_MIN_DAYS and b > start:
            found = a + timedelta(days=1)
    return found


def _load_before(p: Profile, sim: Simulation, first_off: date) -> float:
    """The most run in a week of the 4 weeks before the break began, or in its first week before it (the stated
    weekly volume before the plan)."""
    monday = first_off - timedelta(days=first_off.weekday())
    weeks = [w.done_km for w in sim.weeks if monday - timedelta(weeks=4) <= w.start < monday]
    head = sum(a.distance_m for a in sim.activities if a.is_run and monday <= a.local_date < first_off) / 1000
    return max([*weeks, head] + ([p.athlete.weekly_km] if monday <= START else []))


def check_volume(p: Profile, sim: Simulation, t: Tally) -> None:
    """After each under-done week with running, next week's plan follows what was run; after a week that holds a
    break, next week is a return (at most the second stage of one)."""
    weeks = sim.weeks
    floor_km = maintenance_floor_km(training_paces(weeks[0].plan.vdot)) if weeks else 0.0
    for i in range(len(weeks) - 1):
        w, nxt = weeks[i], weeks[i + 1]
        if w.planned_km <= 0 or w.done_km >= UNDER_DONE * w.planned_km:
            continue
        nxt_km = training_km(nxt.plan.weeks[nxt.index].workouts)
        first_off = _break_in(sim, w.start)
        if w.done_km <= 0 or first_off is not None:
            before = _load_before(p, sim, first_off or w.start)
            t.check(
                "break_return",
                nxt_km <= BREAK_RETURN_MAX * before + SLACK_KM,
                p,
                f"week {w.start}: a break, {w.done_km:.1f} km run, next week {nxt_km:.1f} km against "
                f"{before:.1f} km before",
            )
            continue
        # the plan never drops below the maintenance floor (docs/science.md#maintenance-floor)
        limit = max(NEXT_OVER_ACTUAL_MAX * w.done_km, floor_km) + SLACK_KM
        t.next_ratios.append(nxt_km / w.done_km)
        t.check(
            "next_over_actual",
            nxt_km <= limit,
            p,
            f"week {w.start}: ran {w.done_km:.1f} of {w.planned_km:.1f} km, next week {nxt_km:.1f} km",
        )
        ever = max([x.done_km for x in weeks[:i]] + [p.athlete.weekly_km])
        t.check(
            "above_pre_miss",
            nxt_km <= ever + SLACK_KM,
            p,
            f"week {w.start}: next week {nxt_km:.1f} km above the most ever run, {ever:.1f} km",
        )


def check_reasons(p: Profile, sim: Simulation, t: Tally) -> None:
    """The numbers of a reason are the plan's: a volume rebuild names the next week the athlete is shown (unless a
    later rule of the same week changed it again, with its own reason); a return after a break lowers the working
    VDOT the athlete had before it, as raised (docs/science.md#time-off)."""
    for week in sim.weeks[1:]:
        last = week.start - timedelta(days=7)
        made = [c for c in week.plan.changes if c.week_start == last]
        if [c.code for c in made] == [ChangeCode.VOLUME_REBUILD]:
            shown = training_km(week.plan.weeks[week.index].workouts)
            said = float(made[0].facts["next_week_m"]) / 1000
            t.check(
                "reason_matches_plan",
                abs(said - shown) <= 0.05,
                p,
                f"{last}: said {said} km, shown {shown:.1f}",
            )
    shown_vdot = {w.start: w.plan.vdot for w in sim.weeks}
    for c in sim.plan.changes:
        if c.code != ChangeCode.RETURN_AFTER_BREAK:
            continue
        first_off = date.fromisoformat(str(c.facts["first_day_off_date"]))
        monday = first_off - timedelta(days=first_off.weekday())
        before, after = float(c.facts["vdot_before"]), float(c.facts["vdot_after"])
        expected = before * fvdot(int(c.facts["days_off"]))
        ok = before >= shown_vdot.get(monday, before) - 0.01 and abs(after - expected) <= 0.01
        t.check("break_vdot", ok, p, f"{c.id}: {before} → {after}, shown {shown_vdot.get(monday)} before")


def check_vdot(p: Profile, base: Plan, sim: Simulation, t: Tally) -> None:
    """The working VDOT never above the best evidence run before it (or the generated plan's VDOT), and never up
    more than 2 points in 28 days (docs/science.md#raising-vdot)."""
    evidence = evidence_in(sim.activities, p.athlete.max_hr)
    shown = [(w.start, w.plan.vdot) for w in sim.weeks] + [(sim.plan.as_of or base.start, sim.plan.vdot)]
    for i, (day, vdot) in enumerate(shown):
        best = max([base.vdot] + [ev.vdot for ev in evidence if ev.day < day])
        earlier = [v for d, v in shown[:i] if (day - d).days <= VDOT_RISE_DAYS]
        rise = vdot - min(earlier, default=vdot)
        t.check(
            "vdot_bounded",
            vdot <= best + 1e-6 and rise <= VDOT_RISE_MAX + 1e-6,
            p,
            f"{day}: VDOT {vdot:.2f}, best evidence {best:.2f}, up {rise:.2f} in {VDOT_RISE_DAYS} days",
        )


def check_responses(p: Profile, sim: Simulation, t: Tally) -> None:
    plan = sim.plan
    seed = (plan.start - timedelta(days=1), (p.athlete.long_run_km or 0.25 * p.athlete.weekly_km) * 1000)
    as_of = plan.as_of or plan.start
    codes = {(c.code, c.week_start) for c in plan.changes}
    for sp in run_spikes(_counted(sim), seed):
        day = sp.activity.local_date
        wk = day - timedelta(days=day.weekday())
        if day + timedelta(days=1) >= as_of or wk + timedelta(days=7) >= plan.goal.date:
            continue  # nothing left to protect
        t.check(
            "spike_unanswered", ("run_spike", wk) in codes, p, f"{day}: {sp.ratio:.2f}× the 30-day longest"
        )
    if p.pattern in ("easy_too_fast", "mp_drift"):
        weeks = sorted({c.week_start for c in plan.changes if c.code == "intensity_reduced"})
        fast_weeks = sorted(
            {w.start for w in sim.weeks if w.index < len(plan.weeks) - 1 and _fast(p, sim, w.start)}
        )
        for start in fast_weeks:
            t.check("speed_unanswered", start in weeks, p, f"week {start}: easy runs fast, no response")
    texts = [c.reason for c in plan.changes] + [w.note for w in plan.workouts()] + list(plan.warnings)
    bad = [x for x in texts if CODE_LIKE.search(x)]
    t.check("athlete_text", not bad, p, bad[0] if bad else "")
    if plan.goal.kind is GoalKind.RACE:
        races = [w.date for w in plan.workouts() if w.type is WorkoutType.RACE]
        t.check("race_moved", races == [plan.goal.date], p, f"races on {races}")


def check_ids(p: Profile, sim: Simulation, t: Tally) -> None:
    """A decision keeps its id as runs arrive (docs/planner.md#adaptation; plans/ keys decisions by it): every
    change of one weekly adaptation is in the next (nothing is undone here), and one break is one change."""
    plans = [w.plan for w in sim.weeks] + [sim.plan]
    for plan, then in zip(plans, plans[1:], strict=False):
        gone = sorted({c.id for c in plan.changes} - {c.id for c in then.changes})
        t.check("change_id_stable", not gone, p, f"as of {plan.as_of}: {gone} gone a week later")
    breaks = Counter(
        str(c.facts["first_day_off_date"])
        for c in sim.plan.changes
        if c.code == ChangeCode.RETURN_AFTER_BREAK
    )
    split = sorted(day for day, n in breaks.items() if n > 1)
    t.check("change_id_stable", not split, p, f"breaks from {split} answered by more than one change")


def _same_day_probes(sim: Simulation) -> list[tuple[Plan, date]]:
    """(the plan as last adapted, a day the athlete ran) for each run that can make a decision the day it is
    synced: the first run of each week whose Monday brought a decision (the weekly rules, and a break ended by that
    run), the plan being the one of the week before; and each spike run, the plan being its week's."""
    run_days = sorted({a.local_date for a in sim.activities if a.is_run})
    probes = []
    for prev, cur in zip(sim.weeks, sim.weeks[1:], strict=False):
        if cur.plan.changes == prev.plan.changes:
            continue
        first = next((d for d in run_days if cur.start <= d <= cur.start + timedelta(days=6)), None)
        if first is not None:
            probes.append((prev.plan, first))
    by_start = {w.start: w.plan for w in sim.weeks}
    for c in sim.plan.changes:
        if c.code == ChangeCode.RUN_SPIKE:
            day = date.fromisoformat(str(c.facts["run_date"]))
            plan = by_start.get(day - timedelta(days=day.weekday()))
            if plan is not None:
                probes.append((plan, day))
    return probes


def check_history(p: Profile, sim: Simulation, t: Tally) -> None:
    """A decision made by a run synced the day it was run leaves that day and the days before it as the athlete
    was given them (docs/science.md#past-is-history): the plan adapted again that day, with that day's runs, holds
    the same workouts up to it, and no change lists a workout of those days that it did not list before."""
    for before, day in _same_day_probes(sim):
        after = adapt(before, [a for a in sim.activities if a.local_date <= day], day).plan
        kept = {w.id: w for w in before.workouts() if w.date <= day}
        now = {w.id: w for w in after.workouts() if w.date <= day}
        rewritten = sorted(i for i in kept.keys() | now.keys() if kept.get(i) != now.get(i))
        listed = {c.id: set(_done_diffs(c, day)) for c in before.changes}
        claimed = {
            d.after.id for c in after.changes for d in _done_diffs(c, day) if d not in listed.get(c.id, ())
        }
        wrong = [*rewritten, *sorted(claimed)]
        t.check("history_kept", not wrong, p, f"synced {day}: {wrong[:3]} rewritten")


# the fact that names the volume of the week a decision is made in, by the decision's code
WEEK_VOLUME_FACT = {ChangeCode.RETURN_AFTER_BREAK: "first_week_m", ChangeCode.VOLUME_REBUILD: "next_week_m"}


def check_week_held(p: Profile, sim: Simulation, t: Tally) -> None:
    """A volume decision made by the first run of a week, synced the day it was run (docs/science.md#past-is-
    history), holds that week to the volume it names and the runs allow: its days left, as planned, hold no more
    than that volume less what its days behind count for (the km run on them, or planned if more). Then the rest
    of the week is run as given, and the plan adapted the next Monday still holds the same decision."""
    for before, day in _same_day_probes(sim):
        week = before.week_of(day)
        if week is None or day >= week.end:
            continue
        runs = [a for a in sim.activities if a.local_date <= day]
        made = adapt(before, runs, day).plan
        shown = made.week_of(day)
        assert shown is not None
        for c in made.changes:
            fact = WEEK_VOLUME_FACT.get(ChangeCode(c.code))
            if fact is None or not _decided_for(c, week.start) or c == _same_id(before, c):
                continue
            said = float(c.facts[fact]) / 1000
            ran = sum(a.distance_m for a in runs if a.is_run and a.local_date >= week.start) / 1000
            planned = training_km(w for w in shown.workouts if w.date <= day)
            behind = max(ran, planned)
            left = training_km(w for w in shown.workouts if w.date > day)
            bound = _week_bound(p, sim, c, week.start)
            # the days left make room for the days behind, as run or as planned if more (a run up to 10 % over
            # its plan counts as planned: GPS); a later rule of the day may shorten them further, never lengthen
            margin = OVERRUN_MARGIN * planned
            ok = left <= max(0.0, said - behind) + margin + SLACK_KM / 10
            ok = ok and left <= max(0.0, bound - behind) + margin + SLACK_KM
            t.check(
                "week_held",
                ok,
                p,
                f"{c.id} on {day}: names {said:.1f} km (runs allow {bound:.1f}), {behind:.1f} km behind, "
                f"{left:.1f} km left",
            )
            after = adapt(made, [*runs, *_run_as_given(made, day, week.end)], week.end + timedelta(days=1))
            later = _same_id(after.plan, c)
            if later is not None and later.facts.get("days_off") != c.facts.get("days_off"):
                continue  # the break was longer than that run showed (its week ended without one): a new decision
            t.check("week_held", later == c, p, f"{c.id} on {day}: changed by {week.end + timedelta(days=1)}")


def _decided_for(c: Change, week_start: date) -> bool:
    """Whether ``c`` sets the volume of the week from ``week_start``: a rebuild after the week before it, or a
    return from a break seen to the end of the week before it (the return begins the week after the last week
    the break is seen in: docs/planner.md#adaptation)."""
    if c.code == ChangeCode.VOLUME_REBUILD:
        return c.week_start == week_start - timedelta(days=7)
    last_off = date.fromisoformat(str(c.facts["last_day_off_date"]))
    return week_start - timedelta(days=7) <= last_off < week_start


def _week_bound(p: Profile, sim: Simulation, c: Change, week_start: date) -> float:
    """The most the week a decision is made in may hold, from the runs alone (``check_volume``'s bounds): after
    a break, the second stage of a return; after an under-done week, 120 % of what was run (or the maintenance
    floor); after a week nearly done, the plan's own progression (no bound here)."""
    if c.code == ChangeCode.RETURN_AFTER_BREAK:
        return BREAK_RETURN_MAX * _load_before(p, sim, date.fromisoformat(str(c.facts["first_day_off_date"])))
    last = next((w for w in sim.weeks if w.start == week_start - timedelta(days=7)), None)
    if last is None or last.done_km >= UNDER_DONE * last.planned_km:
        return float("inf")
    floor_km = maintenance_floor_km(training_paces(sim.weeks[0].plan.vdot))
    return max(NEXT_OVER_ACTUAL_MAX * last.done_km, floor_km)


def _same_id(plan: Plan, c: Change) -> Change | None:
    return next((x for x in plan.changes if x.id == c.id), None)


def _run_as_given(plan: Plan, after: date, last: date) -> list[Activity]:
    """The plan's runs of the days after ``after`` up to ``last``, run as given."""
    easy = sum(training_paces(plan.vdot).easy) / 2
    todo = [w for w in plan.workouts() if w.is_run and after < w.date <= last]
    return [activity_from_strava(strava_run(900_000 + i, 1, w, easy)) for i, w in enumerate(todo)]


def _done_diffs(change: Change, day: date) -> list[WorkoutDiff]:
    return [d for d in change.workouts if d.after.date <= day]


def _fast(p: Profile, sim: Simulation, start: date) -> bool:
    """Whether the week's easy and long runs were clearly run fast: at least 20 % of the week's running time at
    an average pace 2 s/km or more faster than the marathon-effort edge (halfway between easy and marathon pace)."""
    end = start + timedelta(days=6)
    week = [a for a in sim.activities if start <= a.local_date <= end and a.is_run and a.distance_m > 0]
    plan = next(w.plan for w in sim.weeks if w.start == start)
    pc = training_paces(plan.vdot)
    edge = (pc.easy[0] + pc.marathon) / 2 - 2.0
    fast_s = sum(
        a.moving_time_s
        for a in week
        if a.name.startswith(("Easy", "Long")) and a.moving_time_s / (a.distance_m / 1000) <= edge
    )
    return fast_s >= FAST_WEEK_SHARE * sum(a.moving_time_s for a in week) > 0


def run_athlete(p: Profile, t: Tally) -> None:
    t.athletes += 1
    t.kinds[p.kind] += 1
    t.patterns[p.pattern] += 1
    try:
        plan = generate_plan(p.athlete, p.goal, START)
        check_generated(p, plan, t)
        if plan.unsafe:
            t.refused += 1
            t.check("error", True, p)
            return
        behaviour, extra = behaviour_for(p, plan)
        sim = simulate(plan, plan.weeks[-1].end + timedelta(days=1), behaviour, extra)
        seed = (START - timedelta(days=1), (p.athlete.long_run_km or 0.25 * p.athlete.weekly_km) * 1000)
        for week in sim.weeks:
            check_planned_spikes(p, week.plan, _history(sim, week.start, seed), week.start, t)
        check_volume(p, sim, t)
        check_vdot(p, plan, sim, t)
        check_reasons(p, sim, t)
        check_responses(p, sim, t)
        check_ids(p, sim, t)
        check_history(p, sim, t)
        check_week_held(p, sim, t)
    except Exception as error:  # noqa: BLE001 - the scorecard counts every failure as a broken rule
        t.check("error", False, p, f"{type(error).__name__}: {error}")
        return
    t.check("error", True, p)


def run_cohort(numbers: Iterable[int], seed: int) -> Tally:
    t = Tally()
    for n in numbers:
        run_athlete(profile(n, seed), t)
    return t


# --- the report -----------------------------------------------------------------------------------------------


def hard_violations(t: Tally) -> dict[str, int]:
    return {r.name: t.violated[r.name] for r in RULES if r.hard and t.violated[r.name]}


def table_rows(t: Tally) -> list[tuple[str, str, str, int, int, str]]:
    rows = []
    for r in RULES:
        n, v = t.checked[r.name], t.violated[r.name]
        rows.append((r.name, "hard" if r.hard else "soft", r.owner, n, v, f"{v / n:.2%}" if n else "–"))
    return rows


def render_markdown(
    t: Tally, *, seed: int, seconds: float | None = None, processes: int = 1, cpu_seconds: float | None = None
) -> str:
    lines = [
        "# Scorecard",
        "",
        "Written by `runsmart plan scorecard` (`make scorecard`); do not edit by hand. How it works and what each "
        "rule means: the end of this file.",
        "",
        f"Cohort: {t.athletes:,} synthetic athletes (seed {seed}); {t.refused} goals flagged unsafe at generation "
        "(not simulated: the API refuses to install them)"
        + (
            f"; {seconds:.1f} s on {processes} process{'es' if processes > 1 else ''}"
            if seconds is not None
            else ""
        )
        + (f" ({cpu_seconds:.1f} s of CPU)" if cpu_seconds is not None else "")
        + ".",
        "",
        "| rule | kind | owner | checked | violated | rate |",
        "|---|---|---|---:|---:|---:|",
    ]
    lines += [f"| `{a}` | {b} | {c} | {n:,} | {v:,} | {rate} |" for a, b, c, n, v, rate in table_rows(t)]
    if t.next_ratios:
        ratios = sorted(t.next_ratios)
        lines += [
            "",
            f"After the {len(ratios):,} under-done weeks with running, next week's planned km ÷ the km actually run: "
            f"median {ratios[len(ratios) // 2]:.2f}, 95th percentile {ratios[int(0.95 * (len(ratios) - 1))]:.2f}, "
            f"max {ratios[-1]:.2f}.",
        ]
    broken = [r for r in RULES if t.violated[r.name]]
    if broken:
        lines += ["", "Violations by deviation pattern:", "", "| rule | " + " | ".join(PATTERNS) + " |"]
        lines += ["|---|" + "---:|" * len(PATTERNS)]
        for r in broken:
            lines.append(
                f"| `{r.name}` | " + " | ".join(str(t.by_pattern[(r.name, pt)]) for pt in PATTERNS) + " |"
            )
        lines += ["", "Examples:", ""]
        for r in broken:
            lines += [f"* `{r.name}`: {x}" for x in t.examples.get(r.name, [])]
    lines += [
        "",
        f"Athletes per goal: {_counts(t.kinds, KINDS)}; per pattern: {_counts(t.patterns, PATTERNS)}.",
    ]
    return "\n".join(lines) + "\n" + ABOUT  # the report says how it works "at the end of this file"


ABOUT = """
## How it works

Each athlete is drawn from the seed: a goal (5K, 10K, half, marathon, a recovery block or a maintenance block,
in rotation), 15–120 km a week on 3–7 runs, VDOT 30–70, a plan of 6–24 weeks, a stated long run (or none, 20 %)
and a max heart rate (or none, 50 %). Goals and deviation patterns rotate so every pair is covered. The plan is
generated; a plan flagged unsafe is counted and not simulated (the API refuses to install it). Otherwise the
athlete follows it week by week with one deviation pattern, and the plan is adapted every Monday
(`planner.synthetic.simulate`, the one athlete simulation):

| pattern | what the athlete does |
|---|---|
| `as_planned` | every run as planned |
| `missed_week` | no runs for one whole week |
| `partial_weeks` | three weeks in a row at 30–79 % of each run (half the athletes: of the run as first generated, never more than asked), long runs skipped |
| `sick_two_weeks` | 14 days without running, starting on a random day |
| `easy_too_fast` | two weeks of easy and long runs between threshold and marathon pace |
| `mp_drift` | easy and long runs drift from the fast end of easy pace to marathon pace over the plan |
| `extra_sessions` | two weeks with an extra 8 km run at threshold pace on a free day |
| `spike_long_run` | one long run 40–80 % longer than planned |
| `four_weeks_off` | 28 days without running |
| `fast_tuneup` | an extra 5K race in one week (not the last three), on a free day or an easy run's day, about 3 VDOT points above the plan's |

Rules (hard: must never happen, the tests assert zero on a seeded cohort of their own; soft: a heuristic
limit worth watching, here whether a goal is "typical", so flagging it errs on the safe side):

| rule | broken when |
|---|---|
| `planned_spike` | after any weekly adaptation, a future planned run (not the race) is longer than 110 % of the longest run of the 30 days before it, counting the runs done, then the plan, and the athlete's stated long run before the start |
| `quality_share` | a generated week plans more than 20 % of its running time at marathon pace or faster, or quality work (T, I, R and race-pace reps) above 15 % of its volume; the race itself excluded |
| `quality_early` | a race plan has a quality session more than 8 weeks before the race |
| `quality_week_empty` | a threshold or intervals week of a race plan holds no quality session (a week too small for its intervals keeps a short tempo) |
| `volume_justified` | a race plan's biggest week (the race excluded) is above both the week its long run needs (the race's long-run goal, at most 150 minutes at mid easy pace, at 28 % of the week, 38 % for the marathon) and 110 % of the stated weekly volume |
| `unsafe_offer` | a plan flagged unsafe holds a quality session, a phase other than base or the race, or does not say once what it offers instead |
| `next_over_actual` | after a week run below 80 % of its plan (with some running, and no break in it), the next week's training km (the race excluded) are above 120 % of what was run (or the maintenance floor) |
| `above_pre_miss` | after such a week, the next week is above the most ever run in one week (or the stated weekly volume) |
| `break_return` | after a week without runs, or an under-done week that holds part of a run-free stretch of 6 days or more (as known when the plan was adapted after it), the next week is above 75 % of the most run in a week of the 4 weeks before the break began (or in its first week before it) |
| `spike_unanswered` | a run done more than 110 % of the 30-day longest, with days left to protect, gets no `run_spike` change |
| `speed_unanswered` | in the `easy_too_fast` and `mp_drift` patterns, a week (not the last) whose easy and long runs make up at least 20 % of its running time at an average pace clearly (2 s/km) faster than the marathon-effort edge gets no `intensity_reduced` change |
| `reason_matches_plan` | a volume rebuild's next week (its `next_week_m` fact, the number its reason states) differs by more than 50 m from the next week's training km the athlete is shown, where no later rule of the same week changed that week again |
| `break_vdot` | a return after a break lowers the VDOT from less than the working VDOT shown in the week the break began, or not by Daniels' time-off factor for its days off |
| `vdot_bounded` | the working VDOT of any week's plan is above the best evidence (a race or a sustained hard stretch, before that week) or the generated plan's VDOT, or more than 2 points above its value in a plan of the 28 days before |
| `change_id_stable` | a change (`code@week-start`, the id a decision is stored under) made by one weekly adaptation is missing from the next one (no change is undone in the simulation), or the final plan answers one break (its first day off) with more than one change |
| `history_kept` | the plan as last adapted, adapted again on a day the athlete ran with that day's runs (the first run of each week whose Monday brought a decision, from the plan of the week before; each spike run, from its week's plan), holds other workouts for that day or a day before it, or one of its changes lists a change to such a workout that it did not list before |
| `week_held` | a volume decision (a return after a break, a volume rebuild) made by the first run of a week, synced the day it was run, from the plan of the week before: its days left, as planned, hold more than the volume the decision names (to 0.1 km) or the runs allow (after a break, the second stage of a return; after an under-done week, 120 % of what was run, or the maintenance floor; to 1 km), less what its days behind count for (the km run on them, or planned if more; a run up to 10 % over its plan counts as planned); or, with the rest of the week run as given, the plan adapted the next Monday holds a different decision (unless the break turned out longer) |
| `athlete_text` | a change reason, workout note or plan warning names a file, a section sign or a code-like word |
| `race_moved` | the race is not exactly once, on the goal date |
| `unsafe_typical` | a typical goal is flagged unsafe: 5K from 15 km/wk, 10K from 20, half from 30 km/wk and 10 weeks, marathon from 50 km/wk and 16 weeks (6 weeks for 5K/10K), with a long run of at least 25 % of the week |
| `error` | generation or adaptation raises |

Rates are violations over checks; a check is one opportunity (one week, one plan, one run).
"""


def _counts(c: Counter[str], order: Sequence[str]) -> str:
    return ", ".join(f"{k} {c[k]}" for k in order)


def chunks(n: int, parts: int) -> list[range]:
    size = -(-n // max(1, parts))
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


__all__ = [
    "PATTERNS",
    "RULES",
    "Profile",
    "Tally",
    "chunks",
    "hard_violations",
    "profile",
    "render_markdown",
    "run_athlete",
    "run_cohort",
    "table_rows",
]
