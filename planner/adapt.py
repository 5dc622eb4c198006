"""Adaptation: ``adapt(plan, activities, as_of, suppressed=frozenset()) -> AdaptResult``.

Design (documented in docs/planner.md#adaptation):
* The plan is always re-derived from its baseline, ``generate_plan(plan.athlete, plan.goal, plan.start)``,
  by folding the rules over every completed week (a plan week whose Sunday is before ``as_of``), oldest first.
  Each completed week may change the weeks after it; a change is keyed ``code@week-start`` by the week of its
  cause (a break: the week it began), so one cause keeps one id as more runs arrive (``_Fold._record``).
* ``as_of`` is today: runs dated up to and including it are done and count; its planned workouts are still
  ahead (missed only once the day is over) until a run of today counts. ``run_spike`` and ``intensity_reduced``,
  whose evidence only grows through a week, also judge the current week on its runs so far; the weekly rules
  wait for its end.
* The plan's past is history [#past-is-history] (planner/history.py): done workouts, those dated before
  ``as_of`` and today's once a run of today counts (or the ids the caller names), are copied from the input
  plan, so a decision changes only what is still ahead, and a change lists only what it made of a done workout.
  The rules judge a week against those same workouts (what the athlete was shown and ran), not against today's
  re-derivation of it, so an undo or a late run cannot make a planned session look unplanned. A week re-planned
  while under way keeps the volume it is given: its days left carry it less what its days behind count for, from
  the first day a decision could change it, which the plan remembers (``Plan.replanned_from``, ``UnderWay``).
* Idempotent: the derivation depends only on (baseline, the input plan's done workouts and the days its weeks
  were re-planned from, activities, as_of, suppressed), so adapting the result again with the same inputs
  returns the same plan and no new changes.
* Undo: pass the change id in ``suppressed`` (or call ``undo``); the fold skips that change and everything is
  re-derived without it. Suppressed ids are kept on the plan so later adaptations respect them.

Before any week: ``history_capped`` [#spike-rule]: when stored runs cover the 30 days before the plan, the stated
long run no longer counts for the 110 % rule, and runs of the first 5 weeks above 110 % of the longest stored run
are shortened.
Rules, in the order they are applied for a completed week W (docs/science.md anchors in brackets):
1. ``return_after_break``: a run-free stretch of ≥ 6 days in W [#return-after-break], keyed by the week it began
   (a break still going on a week later revises the same change): the return period
   equals the break; 6–28 days: first half at 50 %, second half at 75 % of the most run in a week of the 4
   weeks before (or of the previous return's level, set within the last 4 weeks: short gaps do not compound);
   longer: thirds at 33/50/75 %; never more than 15 % above the week before; the return replaces earlier cuts
   of the weeks after it; quality turns to easy running meanwhile; the working VDOT before the break (as raised)
   × FVDOT-1 for every later workout [#time-off]; then the volume climbs back by at most 15 % a week
   [#ramp-after-under-done-weeks].
2. ``volume_rebuild`` [#ramp-after-under-done-weeks]: next week follows what was actually run: at most
   ``done × m(c)`` km, where c is W's compliance and m rises continuously from 1.15 (c ≤ 80 %) to 2.35
   (c = 100 %), so it binds after under-done weeks and not after full ones; the weeks after climb back by at
   most 15 % a week, holding once at the pre-miss level. Never above the plan; missed runs are not made up. Not
   in a week whose runs after a break followed the plan (the return stands). The reason names the weeks as
   rendered after the 110 % rule.
3. ``run_spike`` [#spike-rule], the primary safety rule, also for the current week (today's runs included): a
   run done > 110 % of the longest run of the previous 30 days → the planned runs of the 2 days after it become
   short recovery runs, and the next long run stays within 110 % of the 30-day longest before the spike.
4. ``intensity_reduced`` [#speed-budget], also for the current week: time at marathon pace or faster, on every
   run, above the week's budget → a response graded by the overshoot (pace ceiling on easy runs; next quality
   session shortened, or made easy with a recovery day; or all quality of the next week made easy and the week
   after shortened); two runs harder than planned (easy runs too fast, structured sessions overdone by their rep
   score) → at least the first of these.
5. ``spike_capped`` [#spike-rule]: a planned run in the next 5 weeks above 110 % of the longest run in
   the 30 days before it, counting the runs actually done up to W and the plan after W.
6. ``revise_goal`` [#return-after-break]: ≥ 10 days lost in the last 8 weeks before the race; then
   ``race_out_of_reach`` [#spike-rule]: the race more than 2× the longest run done or planned in its last 30 days
   (said once).
7. ``fitness_up`` [#raising-vdot]: a race, or a sustained hard stretch of a workout, in the last 6 weeks that
   shows more fitness than the working VDOT raises it for every later workout (planner/fitness.py): to at most
   the evidence − 0.5, by at most 2 points in 28 days; never during a return after a break.
ACWR is not a rule: it is shown as information only [#acwr].
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from operator import itemgetter

from planner import sessions as s
from planner.activity import Activity
from planner.clock import clock, minutes_seconds
from planner.fitness import (
    EVIDENCE_DAYS,
    RATE_CAP,
    RATE_WINDOW_DAYS,
    Evidence,
    EvidenceKind,
    allowed_raise,
    best_evidence,
    evidence_in,
    first_day_after_break,
    forget_evidence,
    raised_vdot,
)
from planner.generate import (
    LARGE_SPIKE,
    SPIKE_LIMIT,
    Blueprint,
    baseline,
    build_week,
    finish_week,
    spike_limit,
    spike_tolerance_m,
    with_paces,
)
from planner.history import Done, UnderWay, first_open_day
from planner.intensity import RunIntensity, Zones, run_intensity
from planner.load import (
    HARD_SESSION_S,
    SPEED_ALLOWANCE_MIN_S,
    SPIKE_WINDOW_DAYS,
    Spike,
    pre_plan_seed,
    run_spikes,
    speed_budget_s,
)
from planner.matching import match
from planner.paces import Paces, fvdot
from planner.plan import Change, FactValue, GoalKind, Plan, Week, Workout, WorkoutDiff, WorkoutType
from planner.reasons import ChangeCode, checked, metres, share
from planner.rep_scoring import RepScore, RepVerdict, ScoreOutcome, score_runs

BREAK_MIN_DAYS = 6  # docs/science.md#return-after-break: ≤ 5 days off → 100 % load and VDOT
LONG_BREAK_DAYS = 28  # docs/science.md#return-after-break: 6–28 days → 50 % then 75 %
LOST_DAYS_REVISE = 10  # docs/science.md#return-after-break (Pfitzinger): 10+ days lost in the last 8 weeks
REVISE_WINDOW_DAYS = 56  # docs/science.md#return-after-break: "the 8 weeks before the marathon"
# docs/science.md#ramp-after-under-done-weeks: next week ≤ done × m(compliance), m continuous in compliance
RAMP = 0.15  # at most 15 % a week above what was run, back towards the plan
FULL_FROM = 0.80  # from this compliance (the green band) the ceiling loosens: a near-complete week earns the plan back
FULL_SLOPE = 6.0  # m(0.9) = 1.75, m(1.0) = 2.35: never binds on a plan's own progression after a full week
# docs/science.md#maintenance-floor: under-done weeks never shrink the plan below two easy 30-minute runs
FLOOR_RUNS, FLOOR_RUN_S = 2, 30 * 60
# docs/science.md#runs-without-distance: a recorded pace slower than brisk walking means the distance is missing
WALK_PACE_S_PER_KM = 15 * 60
SPIKE_RECOVERY_DAYS = 2  # docs/science.md#spike-rule: the days after a spike are short and easy
SPIKE_LONG_LOOKAHEAD_DAYS = 14  # the "next long run" is the first within two weeks of the spike
# docs/science.md#speed-budget: the graded response to time at marathon pace or faster above the budget
SPEED_OVER_MIN_S = 5 * 60  # a smaller overshoot is noise (a fast finish, a hill)
SPEED_LEVELS = (0.05, 0.15)  # overshoot as a share of the week's running time: ≤ 5 % level 1, ≤ 15 % level 2
EASY_TOO_FAST_SHARE = 0.25  # an easy run with ≥ 25 % of its time at marathon pace or faster ...
EASY_TOO_FAST_MIN_S = 5 * 60  # ... and at least 5 minutes of it (strides do not count)
EASY_TYPES = (WorkoutType.EASY, WorkoutType.RECOVERY, WorkoutType.LONG)
# docs/science.md#speed-budget: this many runs harder than planned in a week (easy runs too fast, structured
# sessions overdone by their rep score) earn the level-1 response even when its minutes stay within the budget
OVERDONE_RUNS_MIN = 2


# a change's reason and facts, said once its weeks are re-rendered (``_Fold._apply``)
Say = Callable[[], tuple[str, Mapping[str, FactValue]]]


@dataclass(frozen=True, slots=True)
class _Rebuild:
    """What a volume rebuild decided, for its reason (``_Fold._volume_said``)."""

    planned_km: float
    done_km: float
    before_km: float  # next week's training km before the change
    floored: bool  # next week is the maintenance floor
    pre_miss: float  # the most run in a week of the 4 before
    ramp: list[float]  # the targets of the weeks after next that climb back


@dataclass(frozen=True, slots=True)
class _Return:
    """What a return after a break decided, for its reason (``_Fold._return_said``)."""

    days_off: int
    first_off: date
    ref: float  # the weekly load before the break, km
    ref_vdot: float
    new_vdot: float
    first_stage: float  # the first stage's share of ``ref``
    staged_weeks: int  # the weeks set by the stages ...
    reduced_weeks: int  # ... and with the climb back after them, every week below the plan


@dataclass(frozen=True, slots=True)
class _Overdone:
    """What ran faster than the plan asked in a week (``_Fold._overdone``), for the speed guard's reason."""

    details: tuple[str, ...]  # plain descriptions, for the reason
    fast_easy: int  # easy, long or recovery runs with too much of their time fast (``_too_fast``)
    sessions: int  # structured sessions overdone by their rep score (``overdone_session``)
    hard_done: int
    hard_planned: int

    @property
    def count(self) -> int:
        """The runs harder than planned: what ``OVERDONE_RUNS_MIN`` counts."""
        return self.fast_easy + self.sessions


class UnknownChange(ValueError):
    """``undo`` was given a change id the plan does not hold."""


@dataclass(frozen=True, slots=True)
class AdaptResult:
    plan: Plan
    changes: tuple[Change, ...]  # changes that are new (or different) relative to the input plan


@dataclass
class _State:
    targets: list[float]
    easy_only: set[int] = field(default_factory=set)
    speed: dict[int, int] = field(default_factory=dict)  # week → speed response level 1..3
    recover: dict[int, frozenset[date]] = field(default_factory=dict)  # week → days made recovery runs
    long_cap: dict[int, float] = field(default_factory=dict)  # week → cap on its long run, metres
    vdot: float = 0.0
    raises: list[tuple[date, float]] = field(default_factory=list)  # fitness_up: (day applied, points)
    declined: set[int] = field(default_factory=set)  # runs whose raise was undone: not used again
    # the last return after a break: (its completed week, the load it came back towards, the working VDOT before
    # it), see ``rule_break``
    return_ref: tuple[int, float, float] | None = None
    race_warned: bool = False  # ``rule_race_reach`` says it once


_DAY = itemgetter(0)  # the date of a (date, metres) history entry: the key to bisect a history on
_METRES = itemgetter(1)


@dataclass(frozen=True, slots=True)
class _PlannedRuns:
    """A week's planned runs as the 110 % rule reads them, kept next to the week (``_Fold._store``): the rule
    looks back over the same weeks many times per fold, and re-filtering their workouts every time was slow."""

    entries: tuple[tuple[date, float], ...]  # (date, metres) of every run, in date order
    longest_m: float  # the longest run the rule applies to (the race is exempt)

    @classmethod
    def of(cls, workouts: Sequence[Workout]) -> _PlannedRuns:
        runs = [w for w in workouts if w.is_run]
        return cls(
            # sorted, though weeks are built in date order: the look-backs bisect these (a few items: cheap)
            entries=tuple(sorted((w.date, w.distance_m) for w in runs)),
            longest_m=max((w.distance_m for w in runs if w.type is not WorkoutType.RACE), default=0.0),
        )


def _days(a: date, b: date) -> int:
    return (b - a).days


def _km(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or x >= 10 else f"{x:.1f}"


def _cut_text(before_m: float, limit_m: float) -> str:
    """How a run is cut to ``limit_m``, in numbers the athlete can tell apart: a cut smaller than the 0.1 km
    the plan shows is given in metres rather than as "at most 10.8 km instead of 10.8 km"."""
    before, after = _run_km(before_m / 1000), _run_km(limit_m / 1000)
    if before != after:
        return f"becomes at most {after} km instead of {before} km"
    return f"is trimmed by {max(1.0, before_m - limit_m):.0f} m to {after} km"


def _cut_facts(run: Workout, limit_m: float) -> dict[str, FactValue]:
    """The facts of a planned run a rule shortened: its day, its type, its length before and its limit."""
    return {
        "run_date": run.date.isoformat(),
        "run_type": run.type.value,
        "run_m": round(run.distance_m),
        "limit_m": round(limit_m),
    }


def _share_text(fraction: float) -> str:
    """A return week's share of the load before the break, as the number it is (61 %, never "about half")."""
    return f"{fraction * 100:.0f} %"


def _run_km(x: float) -> str:
    """One run's distance as the plan shows it (to 0.1 km): a cap of 10.8 km on an 11.2 km run must not read
    "at most 11 km instead of 11 km"."""
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


class _Fold:
    def __init__(
        self,
        plan: Plan,
        runs: Sequence[Activity],
        as_of: date,
        suppressed: frozenset[str],
        done: Done,
    ) -> None:
        self.bp: Blueprint
        self.bp, base_weeks = baseline(plan.athlete, plan.goal, plan.start)
        recorded = {a.id: a.distance_m for a in runs}
        runs = with_estimated_distances(runs, self.bp.ctx.paces)
        self.estimated = {a.id for a in runs if a.distance_m != recorded[a.id]}  # counted by their time
        self.runs = runs
        self.as_of = as_of
        self.suppressed = suppressed
        self.state = _State(targets=[sp.volume_km for sp in self.bp.specs], vdot=self.bp.ctx.paces.vdot)
        self.weeks: list[tuple[Workout, ...]] = [w.workouts for w in base_weeks]
        self._planned = [_PlannedRuns.of(ws) for ws in self.weeks]  # always updated with self.weeks (_store)
        self.changes: list[Change] = []
        self.zones = Zones.from_paces(self.bp.ctx.paces, plan.athlete.max_hr)
        self._intensity: dict[int, RunIntensity] = {}
        self.run_days = sorted({a.local_date for a in runs})
        self.by_id = {a.id: a for a in runs}
        self.done = done  # the input's done workouts, kept as given (docs/science.md#past-is-history)
        self.plan_key = (plan.athlete, plan.goal, plan.start)  # what the baseline is a pure function of
        self.revise_sent = False
        # the stated long run counts only where stored runs do not cover the 30 days before the plan
        stated = (self.bp.start - timedelta(days=1), self.bp.seed_long_m)
        self.seed = pre_plan_seed([a.local_date for a in runs], self.bp.start, stated)
        self.spikes: dict[int, list[Spike]] = {}
        for sp in run_spikes(runs, self.seed):
            self.spikes.setdefault((sp.activity.local_date - self.bp.specs[0].start).days // 7, []).append(sp)
        first = self.bp.specs[0].start
        self.by_week: dict[int, list[Activity]] = {}
        for a in runs:
            self.by_week.setdefault((a.local_date - first).days // 7, []).append(a)
        self._bps: dict[float, Blueprint] = {self.bp.ctx.paces.vdot: self.bp}
        self._week_vdot = self.bp.ctx.paces.vdot  # set by ``run`` for the week its rules judge
        self._actual = sorted((a.local_date, a.distance_m) for a in runs)
        self._evidence = evidence_in(runs, plan.athlete.max_hr)  # fitness_up's candidates, read once per fold
        self.replanned = dict(plan.replanned_from)  # week start → its first open day, from earlier decisions
        self.under_way = self._weeks_under_way()
        # what each week was last rendered from; a week is re-rendered only when this or its history changes
        self._keys: list[tuple[object, ...]] = [self._key(k) for k in range(len(self.weeks))]

    def _weeks_under_way(self) -> dict[int, UnderWay]:
        """The weeks a decision re-plans with some of their days behind the athlete: those an earlier decision
        re-planned while under way (from the day it could first change), and this week from today's first open
        day (docs/science.md#past-is-history)."""
        out: dict[int, UnderWay] = {}
        for k, spec in enumerate(self.bp.specs):
            open_from = self.replanned.get(spec.start)
            if open_from is None and spec.start < self.done.open_from <= spec.end_date:
                open_from = self.done.open_from
            if open_from is not None and open_from > spec.start:
                out[k] = UnderWay.of(self.done, spec.start, open_from, self.week_runs(k))
        return out

    def intensity(self, a: Activity) -> RunIntensity:
        """The run's intensity, scored once per fold and only for the weeks a rule reads."""
        found = self._intensity.get(a.id)
        if found is None:
            found = self._intensity[a.id] = scored_intensity(a, self.zones)
        return found

    def week_runs(self, w: int) -> list[Activity]:
        return self.by_week.get(w, [])

    def shown_week(self, w: int) -> tuple[Workout, ...]:
        """What the athlete was shown for week ``w``: the input plan's done workouts (all of them once the week is
        over; today's too once a run of today counts), the derivation for the rest."""
        return self.done.week(self.bp.specs[w].start, self.weeks[w])

    def _key(self, k: int) -> tuple[object, ...]:
        st = self.state
        return (
            st.targets[k],
            k in st.easy_only,
            st.speed.get(k, 0),
            st.recover.get(k),
            st.long_cap.get(k),
            st.vdot,
            self.under_way.get(k),
        )

    def _blueprint(self) -> Blueprint:
        return self._blueprint_at(self.state.vdot)

    def _blueprint_at(self, vdot: float) -> Blueprint:
        if vdot not in self._bps:
            self._bps[vdot] = with_paces(self.bp, vdot)
        return self._bps[vdot]

    # --- rendering -------------------------------------------------------------------------------------
    def _history(self, upto: int, completed: int) -> list[tuple[date, float]]:
        """(date, metres) of the runs before week ``upto`` for the 110 % rule (docs/science.md#spike-rule): what was
        actually run up to the end of week ``completed``, and what is planned after it."""
        lo = self.bp.specs[upto].start - timedelta(days=31)
        cutoff = self.bp.specs[completed + 1].start if completed + 1 < len(self.bp.specs) else lo
        actual = self._actual
        hist = actual[bisect_left(actual, (lo, -1.0)) : bisect_left(actual, (cutoff, -1.0))]
        seed = self.seed
        if seed is not None and seed[0] >= lo:
            insort(hist, seed)
        for k in range(max(completed + 1, upto - 5), upto):
            entries = self._planned[k].entries  # in date order: the days before ``lo`` are a prefix
            hist.extend(entries[bisect_left(entries, lo, key=_DAY) :])
        return hist  # in date order: actual runs, then planned weeks in order

    def _violation(self, k: int, completed: int) -> tuple[Workout, float] | None:
        """The first run of week ``k`` longer than 110 % of the 30-day longest before it, with that limit."""
        hist = self._history(k, completed)
        # fast path: runs inside every day's 30-day window (end − 30 .. start) already allow the longest run;
        # the history is in date order, so that stretch of it is found by bisection, not by a scan
        start = self.bp.specs[k].start
        first_common = start + timedelta(days=6 - 30)
        common = hist[bisect_left(hist, first_common, key=_DAY) : bisect_left(hist, start, key=_DAY)]
        always = max(map(_METRES, common), default=0.0)
        if self._planned[k].longest_m <= SPIKE_LIMIT * always:
            return None
        for x in self.weeks[k]:
            if not x.is_run:
                continue
            limit = spike_limit(hist, x.date)
            if (
                x.type is not WorkoutType.RACE
                and limit is not None
                and x.distance_m > limit + spike_tolerance_m(limit)
            ):
                return x, limit
            hist.append((x.date, x.distance_m))
        return None

    def _held_to_target(self, k: int) -> UnderWay | None:
        """Week ``k``'s ``UnderWay`` when a volume decision (a return, a rebuild, a climb back) set it a target of
        its own while it was under way: the week holds that target. A week at the plan's own volume was given its
        days behind at that volume: it is on track, and the rules that answer a run (a spike's recovery days, the
        speed guard) change only the days they name."""
        under_way = self.under_way.get(k)
        if under_way is None or abs(self.state.targets[k] - self.bp.specs[k].volume_km) < 1e-9:
            return None
        return under_way

    def _render(self, k: int, completed: int) -> tuple[Workout, ...]:
        under_way = self._held_to_target(k)
        if under_way is not None:
            # from now on the week keeps the volume it is re-planned to, however often it is adapted again
            self.replanned.setdefault(self.bp.specs[k].start, under_way.open_from)
        hist = self._history(k, completed)
        # every adaptation re-derives the same weeks from the same inputs: render each distinct week once
        cache_key = (self.plan_key, k, self._key(k), tuple(hist))
        found = _RENDERED.get(cache_key)
        if found is None:
            found = self._render_uncached(k, hist)
            if len(_RENDERED) >= _RENDERED_MAX:
                _RENDERED.clear()
            _RENDERED[cache_key] = found
        return found

    def _render_uncached(self, k: int, hist: list[tuple[date, float]]) -> tuple[Workout, ...]:
        under_way = self._held_to_target(k)
        if under_way is None:
            return self._build(k, self.state.targets[k], hist)
        return under_way.fit(self.state.targets[k], lambda km: self._build(k, km, list(hist)))

    def _build(self, k: int, volume_km: float, hist: list[tuple[date, float]]) -> tuple[Workout, ...]:
        st = self.state
        bp = self._blueprint()
        ctx = bp.ctx
        ws = list(build_week(bp, bp.specs[k], volume_km, spike_limit(hist, bp.specs[k].start)))
        if k in st.easy_only:
            note = "easy: no hard sessions while you build back up after the break"
            ws = [s.as_easy(ctx, w, note) if w.is_quality else w for w in ws]
        ws = _speed_response(ctx, ws, st.speed.get(k, 0))
        ws = _spike_response(ctx, ws, st.recover.get(k, frozenset()), st.long_cap.get(k))
        return finish_week(ctx, tuple(ws), hist)

    def _apply(
        self,
        code: ChangeCode,
        week_idx: int,
        say: Say,
        first: int,
        force: frozenset[int] = frozenset(),
        cause_week: int | None = None,
    ) -> None:
        """Re-render weeks ``first``.. after a state change made by rule ``code`` for completed ``week_idx``
        (and the weeks in ``force``), and record the change. ``say`` gives its reason and facts once the weeks
        are re-rendered, so that they state what the athlete is actually asked to do after every rule.
        ``cause_week``: the week the cause began, when it is not ``week_idx`` (a break that started a week
        earlier): the change is keyed by it, so one cause stays one change (``_record``)."""
        diffs: list[WorkoutDiff] = []
        changed: set[int] = set()
        for k in range(first, len(self.weeks)):
            key = self._key(k)
            # the 110 % rule looks back 30 days: a change up to 5 weeks earlier can move this week
            if key == self._keys[k]:
                if k not in force and not any(j in changed for j in range(k - 5, k)):
                    continue
                # only the history before this week changed: keep the week if it still obeys the 110 % rule
                # against it (a capped week is not grown back: the plan stays on the safe side)
                if k not in force and self._violation(k, week_idx) is None:
                    continue
            self._keys[k] = key
            new = self._render(k, week_idx)
            old = self.weeks[k]
            if new != old:
                changed.add(k)
                old_by_id = {w.id: w for w in old}
                for w in new:
                    before = old_by_id.get(w.id)
                    if before is not None and before != w:
                        diffs.append(WorkoutDiff(before, w))
                self._store(k, new)
        if diffs or code in (ChangeCode.REVISE_GOAL, ChangeCode.RACE_OUT_OF_REACH):
            reason, facts = say()
            cause = self.bp.specs[max(week_idx if cause_week is None else cause_week, 0)].start
            self._record(
                Change(
                    id=f"{code}@{cause.isoformat()}",
                    code=code,
                    week_start=cause,
                    reason=reason,
                    workouts=tuple(diffs),
                    facts=checked(code, facts),
                )
            )

    def _record(self, change: Change) -> None:
        """Keep ``change``; a rule that answers the same cause again (a break still going on at the end of the
        next week) revises that cause's change instead of adding another: its reason and facts are the latest,
        its workouts go from before the first answer to after the last (docs/planner.md#adaptation)."""
        for i, old in enumerate(self.changes):
            if old.id == change.id:
                self.changes[i] = replace(change, workouts=_merged(old.workouts, change.workouts))
                return
        self.changes.append(change)

    def _store(self, k: int, workouts: tuple[Workout, ...]) -> None:
        self.weeks[k] = workouts
        self._planned[k] = _PlannedRuns.of(workouts)

    def _suppressed(self, code: str, week_idx: int) -> bool:
        return f"{code}@{self.bp.specs[week_idx].start.isoformat()}" in self.suppressed

    # --- rules -------------------------------------------------------------------------------------------
    def _break(self, w: int) -> tuple[int, date, date] | None:
        """The latest run-free stretch of ≥ 6 days overlapping week ``w``: (days, first day off, return)."""
        spec = self.bp.specs[w]
        end = spec.start + timedelta(days=6)
        lo = self.bp.start
        # run days are sorted: bisect instead of scanning from the plan start every week. A stretch ended by a
        # run on or before the week's Monday cannot overlap the week: start from the last such run.
        days = self.run_days
        first = bisect_left(days, lo)
        i = max(first, bisect_right(days, spec.start))  # the first run day after the Monday
        prev = days[i - 1] if i > first else lo - timedelta(days=1)
        found = None
        for d in [*days[i : bisect_right(days, end)], end + timedelta(days=1)]:
            gap = _days(prev, d) - 1
            gap_first, gap_last = prev + timedelta(days=1), d - timedelta(days=1)
            if gap >= BREAK_MIN_DAYS and gap_last >= spec.start:
                found = (gap, gap_first, d)
            prev = d
        return found

    def _ramp_from(self, k: int, level: float, pre_miss: float) -> list[float]:
        """Weeks ``k``.. climb from ``level`` by at most 15 % a week until they rejoin the plan, holding once at
        ``pre_miss`` (the level before the miss) instead of passing it in one step. Returns the new targets."""
        st = self.state
        out = []
        for j in range(k, len(self.weeks)):
            nxt = level * (1 + RAMP)
            if level < pre_miss - 0.05 < nxt:
                nxt = pre_miss
            if nxt >= st.targets[j] - 0.05:
                break
            st.targets[j] = level = nxt
            out.append(nxt)
        return out

    def _back_as_planned(self, w: int, shown: Sequence[Workout]) -> bool:
        """Whether the runs of week ``w`` after its break (none yet when the break lasts to the week's end) did
        at least 80 % of what was planned for those days: then the week's small total is the break, not an
        under-done week, and the return after the break stands (docs/science.md#ramp-after-under-done-weeks)."""
        br = self._break(w)
        if br is None:
            return False
        back = br[2]
        planned = sum(x.distance_m for x in shown if x.is_run and x.date >= back)
        done = sum(a.distance_m for a in self.week_runs(w) if a.local_date >= back)
        return done >= FULL_FROM * planned

    def rule_break(self, w: int) -> bool:
        br = self._break(w)
        if br is None or w + 1 >= len(self.weeks):
            return False
        days_off, first_off, back = br
        # one break, one change: keyed by the week it began, however many weeks it runs into
        ref_week = max(0, min(w, (first_off - self.bp.specs[0].start).days // 7))
        if self._suppressed(ChangeCode.RETURN_AFTER_BREAK, ref_week):
            return True
        st = self.state
        # the load before the break: the most actually run in a week just before it (or in its first days)
        ref_done = sum(a.distance_m for a in self.week_runs(ref_week) if a.local_date < first_off) / 1000
        ref = max(self.pre_miss_level(ref_week), ref_done)
        # repeated short gaps must not compound (docs/science.md#return-after-break): a return within 4 weeks of
        # another comes back towards that one's load, not its reduced weeks, and its VDOT: the time-off factor
        # applies to the working VDOT before the first of them, as raised before it (docs/science.md#time-off)
        last = st.return_ref
        ref_vdot = st.vdot
        if last is not None and w - last[0] <= 4:
            ref, ref_vdot = max(ref, last[1]), last[2]
        st.return_ref = (w, ref, ref_vdot)
        back = max(back, self.bp.specs[w + 1].start)
        stages = (0.5, 0.75) if days_off <= LONG_BREAK_DAYS else (0.33, 0.5, 0.75)

        def daily(d: date) -> float:
            t = _days(back, d)
            return 1.0 if t >= days_off else stages[min(len(stages) - 1, t * len(stages) // days_off)]

        new_vdot = ref_vdot * fvdot(days_off)
        changed = new_vdot < st.vdot - 1e-9
        st.vdot = min(st.vdot, new_vdot)
        # the return is set from the load before the break (``ref``), so it replaces the targets any earlier rule
        # set for the weeks after: a week cut short by the start of the break was the break, not an under-done
        # week to climb back from (docs/science.md#return-after-break)
        before = st.targets[w + 1 :]
        st.targets[w + 1 :] = [sp.volume_km for sp in self.bp.specs[w + 1 :]]
        parts: list[float] = []
        for k in range(w + 1, len(self.weeks)):
            start = self.bp.specs[k].start
            f = sum(daily(start + timedelta(days=i)) for i in range(7)) / 7
            if f >= 1.0:
                break
            # the staged return, but never more than 15 % above the week before it
            target = min(st.targets[k], f * ref, parts[-1] * (1 + RAMP) if parts else f * ref)
            changed = changed or k not in st.easy_only
            st.targets[k] = target
            st.easy_only.add(k)
            parts.append(target)
        ramp = self._ramp_from(w + 1 + len(parts), parts[-1], ref) if parts else []
        changed = changed or any(abs(a - b) > 0.05 for a, b in zip(before, st.targets[w + 1 :], strict=True))
        if not changed and not ramp:
            return True
        said = _Return(
            days_off, first_off, ref, ref_vdot, new_vdot, stages[0], len(parts), len(parts) + len(ramp)
        )
        self._apply(
            ChangeCode.RETURN_AFTER_BREAK,
            w,
            lambda: self._return_said(w + 1, said),
            w + 1,
            cause_week=ref_week,
        )
        return True

    def _return_said(self, first: int, r: _Return) -> tuple[str, dict[str, FactValue]]:
        """The reason of a return after a break, with its weeks as re-rendered: what the athlete is asked to run
        (a week under way counts its days behind, see ``week_volume_km``)."""
        reduced = [self.week_volume_km(k) for k in range(first, first + r.reduced_weeks)]
        weeks = ", ".join(f"{_km(x)} km" for x in reduced)
        days_off, first_off, ref, ref_vdot, new_vdot = r.days_off, r.first_off, r.ref, r.ref_vdot, r.new_vdot
        first_share = reduced[0] / ref if r.staged_weeks and ref > 0 else r.first_stage
        last_off = first_off + timedelta(days=days_off - 1)
        reason = (
            f"No runs for {days_off} days ({first_off:%d %b}–{last_off:%d %b}). "
            f"You come back at {_share_text(first_share)} of the "
            f"{_km(ref)} km you were running, easy running only, and build up by at most 15 % a week"
            + (f": {weeks}" if weeks else "")
            + f". Paces are set from a fitness score of {new_vdot:.1f} instead of {ref_vdot:.1f} "
            "while you are back. Missed runs are not made up; the race date stays."
        )
        facts: dict[str, FactValue] = {
            "days_off": days_off,
            "first_day_off_date": first_off.isoformat(),
            "last_day_off_date": last_off.isoformat(),
            "before_week_m": metres(ref),
            "return_share": share(first_share),
            "first_week_m": metres(reduced[0]) if reduced else 0.0,
            "reduced_weeks": len(reduced),
            "last_reduced_week_m": metres(reduced[-1]) if reduced else 0.0,
            "ramp_max_share": RAMP,
            "vdot_before": round(ref_vdot, 2),
            "vdot_after": round(new_vdot, 2),
        }
        return reason, facts

    def rule_volume(self, w: int, planned_km: float, done_km: float) -> None:
        """Next week follows what was actually run, continuously in compliance (no cliffs)."""
        if w + 1 >= len(self.weeks) or planned_km <= 0 or self._suppressed(ChangeCode.VOLUME_REBUILD, w):
            return
        ratio = done_km / planned_km
        st = self.state
        nxt = w + 1
        base_next = st.targets[nxt]
        floored = self.floor_km() > done_km * volume_multiplier(ratio)
        ceiling = min(base_next, max(done_km * volume_multiplier(ratio), self.floor_km()))
        if ceiling >= base_next - 0.05:
            return
        before_km = self.weeks_km(nxt)
        if floored and _km(ceiling) == _km(before_km):
            return  # the floor is the week already planned: no change that reads "11 km instead of 11 km"
        st.targets[nxt] = ceiling
        pre_miss = self.pre_miss_level(w)
        ramp = self._ramp_from(nxt + 1, ceiling, pre_miss)
        rebuild = _Rebuild(planned_km, done_km, before_km, floored, pre_miss, ramp)
        self._apply(ChangeCode.VOLUME_REBUILD, w, lambda: self._volume_said(nxt, rebuild), nxt)

    def _volume_said(self, nxt: int, r: _Rebuild) -> tuple[str, dict[str, FactValue]]:
        """The reason of a volume rebuild, with the weeks as re-rendered: the 110 % rule may plan them shorter
        than their targets, and the athlete is told what they are actually asked to run."""
        ratio = r.done_km / r.planned_km
        next_km = self.week_volume_km(nxt)
        later = [self.week_volume_km(k) for k in range(nxt + 1, nxt + 1 + len(r.ramp))]
        trimmed = self._spike_trimmed(nxt, nxt - 1)  # the 110 % rule planned it below its target
        holds = any(
            abs(t - r.pre_miss) < 0.05 and abs(x - t) <= 0.5 for t, x in zip(r.ramp, later, strict=True)
        )
        target = self.state.targets[nxt]
        ceiling = f"{_km(target)} km" if trimmed else ""  # the ceiling is said when the week is smaller still
        if r.floored:
            why = "the smallest week the plan goes down to (two easy 30-minute runs' worth"
            why += f", {ceiling}), so you keep the habit" if ceiling else "), so you keep the habit"
            why += " and the fitness you have"
        else:
            why = f"at most {volume_multiplier(ratio) - 1:.0%} more than you ran" + (
                f" ({ceiling})" if ceiling else ""
            )
            why += ", so the load follows what your body has actually done"
        if trimmed:
            why += "; it is smaller still because no run may be more than 10 % longer than your longest run of the "
            why += "last 30 days"
        reason = (
            f"You ran {_km(r.done_km)} of {_km(r.planned_km)} planned km last week ({ratio:.0%}). Next week is "
            f"{_km(next_km)} km instead of {_km(r.before_km)} km: {why}"
            + (
                f"; then {', '.join(_km(x) + ' km' for x in later)}: at most 15 % more a week"
                if later
                else ""
            )
            # the hold is only promised where the climb actually stops at it (not after a run-free month, when
            # "the most you ran" would read 0 km, nor when next week is already above it)
            + (
                f", with a full week at {_km(r.pre_miss)} km, the most you ran in a week before, before going "
                "above it"
                if holds
                else ""
            )
            + ". Missed runs are not made up; the race date stays."
        )
        facts: dict[str, FactValue] = {
            "planned_m": metres(r.planned_km),
            "done_m": metres(r.done_km),
            "share_done": share(ratio),
            "next_week_m": metres(next_km),
            "instead_of_m": metres(r.before_km),
            "floored": r.floored,
            "floor_m": metres(self.floor_km()),
            "over_done_share": share(volume_multiplier(ratio) - 1),
            "spike_trimmed": trimmed,
            "ramp_weeks": len(later),
            "ramp_last_m": metres(later[-1]) if later else 0.0,
            "ramp_max_share": RAMP,
            "holds_at_pre_miss": holds,
            "pre_miss_m": metres(r.pre_miss),
        }
        return reason, facts

    def pre_miss_level(self, w: int) -> float:
        """The most the athlete actually ran in one of the 4 weeks before week ``w`` (their stated weekly
        volume before the plan's first week)."""
        done = [sum(a.distance_m for a in self.week_runs(k)) / 1000 for k in range(max(0, w - 4), w)]
        return max(done) if done else self.bp.athlete.weekly_km

    def floor_km(self) -> float:
        return maintenance_floor_km(self.bp.ctx.paces)

    def weeks_km(self, k: int) -> float:
        """Week ``k``'s planned training km (the race itself is not training volume)."""
        return sum(x.distance_m for x in self.weeks[k] if x.is_run and x.type is not WorkoutType.RACE) / 1000

    def week_volume_km(self, k: int) -> float:
        """Week ``k``'s training km as a decision names it: for a week held to its target while under way, what
        its days behind count for (``UnderWay.behind_m``: missed km as planned, a clear overrun as run) and its
        days left as planned, which ``UnderWay.fit`` keeps within the target."""
        under_way = self._held_to_target(k)
        if under_way is None:
            return self.weeks_km(k)
        left = [x for x in self.weeks[k] if x.date >= under_way.open_from]
        return (
            under_way.behind_m
            + sum(x.distance_m for x in left if x.is_run and x.type is not WorkoutType.RACE)
        ) / 1000

    def _spike_trimmed(self, k: int, completed: int) -> bool:
        """Whether the 110 % rule planned week ``k`` (as a whole) below its target: a week held to its target
        while under way is judged on the whole week ``UnderWay.fit`` started from, not on its days left."""
        target = self.state.targets[k]
        if self._held_to_target(k) is None:
            return self.weeks_km(k) < target - 0.5
        whole = self._build(k, target, self._history(k, completed))
        return (
            sum(x.distance_m for x in whole if x.is_run and x.type is not WorkoutType.RACE) / 1000
            < target - 0.5
        )

    def rule_run_spike(self, w: int) -> None:
        """Runs done in week ``w`` (up to ``as_of``) longer than 110 % of the 30-day longest before them."""
        found = self.spikes.get(w, [])
        if not found or self._suppressed(ChangeCode.RUN_SPIKE, w):
            return
        st = self.state
        first = len(self.weeks)
        for sp in found:
            day = sp.activity.local_date
            for i in range(1, SPIKE_RECOVERY_DAYS + 1):
                k = self._week_index(day + timedelta(days=i))
                if k is not None:
                    st.recover[k] = st.recover.get(k, frozenset()) | {day + timedelta(days=i)}
                    first = min(first, k)
            nxt_long = self._next_long(day)
            if nxt_long is not None:
                k, _ = nxt_long
                cap = SPIKE_LIMIT * sp.longest_before_m
                st.long_cap[k] = min(st.long_cap.get(k, cap), cap)
                first = min(first, k)
        if first >= len(self.weeks):
            return
        worst = max(found, key=lambda x: x.ratio)
        a = worst.activity
        size = f"{_run_km(a.distance_m / 1000)} km"
        if a.id in self.estimated:
            size = f"about {size} by its {a.moving_time_s / 60:.0f} minutes at your easy pace"
        reason = (
            f"Your run on {a.local_date:%a %d %b} was {size}, {worst.ratio - 1:.0%} longer "
            f"than your longest run of the 30 days before it ({_run_km(worst.longest_before_m / 1000)} km). A single "
            "run more than 10 % longer than your recent longest is the clearest warning sign for overuse injury, "
            f"so the {SPIKE_RECOVERY_DAYS} days after it are short, easy recovery runs and your next long run "
            f"stays within {_run_km(SPIKE_LIMIT * worst.longest_before_m / 1000)} km."
        )
        facts: dict[str, FactValue] = {
            "run_date": a.local_date.isoformat(),
            "run_m": round(a.distance_m),
            "estimated": a.id in self.estimated,
            "moving_s": round(a.moving_time_s),
            "longest_before_m": round(worst.longest_before_m),
            "over_share": share(worst.ratio - 1),
            "recovery_days": SPIKE_RECOVERY_DAYS,
            "long_cap_m": round(SPIKE_LIMIT * worst.longest_before_m),
        }
        self._apply(ChangeCode.RUN_SPIKE, w, lambda: (reason, facts), first)

    def _week_index(self, day: date) -> int | None:
        k = (day - self.bp.specs[0].start).days // 7
        return k if 0 <= k < len(self.weeks) else None

    def _next_long(self, after: date) -> tuple[int, Workout] | None:
        lo = after + timedelta(days=1)
        hi = after + timedelta(days=SPIKE_LONG_LOOKAHEAD_DAYS)
        for k in range(max(0, (lo - self.bp.specs[0].start).days // 7), len(self.weeks)):
            for x in self.weeks[k]:
                if x.type is WorkoutType.LONG and lo <= x.date <= hi:
                    return k, x
            if self.bp.specs[k].end_date >= hi:
                break
        return None

    def rule_speed(self, w: int, shown: Sequence[Workout], *, week_over: bool = True) -> None:
        """Time at marathon pace or faster above the week's budget, or runs harder than planned (easy runs run too
        fast, structured sessions overdone by their rep score): a response graded by the overshoot
        (docs/science.md#speed-budget). Both only grow through a week, so the current week (``week_over``
        False) is answered on its runs so far, as soon as they show it."""
        if w + 1 >= len(self.weeks) or self._suppressed(ChangeCode.INTENSITY_REDUCED, w):
            return
        runs = self.week_runs(w)
        done = RunIntensity()
        for a in runs:
            done = done + self.intensity(a)
        under_any_budget = done.speed_s < SPEED_ALLOWANCE_MIN_S + SPEED_OVER_MIN_S
        if under_any_budget and not self._may_be_overdone(runs, shown):
            return  # the common case, decided without the budget's sum
        budget = speed_budget_s(self.bp.specs[w].phase, shown, self.zones)
        over = done.speed_s - budget
        by_minutes = over >= SPEED_OVER_MIN_S
        if not by_minutes and not self._may_be_overdone(runs, shown):
            return
        ev = self._overdone(w, shown)
        if not by_minutes and ev.count < OVERDONE_RUNS_MIN:
            return
        week_s = max(done.total_s, sum(x.duration_s for x in shown if x.is_run), 1.0)
        share_over = max(0.0, over) / week_s
        level = 1 if share_over <= SPEED_LEVELS[0] else (2 if share_over <= SPEED_LEVELS[1] else 3)
        st = self.state
        st.speed[w + 1] = max(level, st.speed.get(w + 1, 0))
        if level >= 3 and w + 2 < len(self.weeks):
            st.speed[w + 2] = max(1, st.speed.get(w + 2, 0))
        reason = (
            self._speed_head(done, budget, ev, by_minutes=by_minutes, week_over=week_over)
            + f". {self._speed_response_text(w, level)} Easy days make the hard days work, and too much speed is "
            "a common route to injury."
        )
        facts: dict[str, FactValue] = {
            "speed_s": round(done.speed_s),
            "budget_s": round(budget),
            "over_share": share(share_over),
            "level": level,
            "fast_easy_runs": ev.fast_easy,
            "overdone_sessions": ev.sessions,
            "hard_sessions_done": ev.hard_done,
            "hard_sessions_planned": ev.hard_planned,
            "week_in_progress": not week_over,
            **self._quality_ahead(w),
        }
        self._apply(ChangeCode.INTENSITY_REDUCED, w, lambda: (reason, facts), w + 1)

    @staticmethod
    def _speed_head(
        done: RunIntensity, budget: float, ev: _Overdone, *, by_minutes: bool, week_over: bool
    ) -> str:
        """What the speed guard saw, said for a week that is over ("Last week had …") or still going on."""
        details = [*ev.details[:3], f"and {len(ev.details) - 3} more"] if len(ev.details) > 3 else ev.details
        said = f" ({'; '.join(details)})" if details else ""
        fast, allowed = f"{done.speed_s / 60:.0f} min", f"{budget / 60:.0f} min"
        if by_minutes and week_over:
            return (
                f"Last week had {fast} at marathon pace or faster against {allowed} planned and allowed{said}"
            )
        if by_minutes:
            return (
                f"This week already has {fast} at marathon pace or faster, more than the {allowed} planned and "
                f"allowed for the whole week{said}"
            )
        if week_over:
            return (
                f"Last week, {ev.count} runs were harder than planned{said}, though its {fast} at marathon pace or "
                f"faster stayed within the {allowed} planned and allowed"
            )
        return f"This week, {ev.count} runs have already been harder than planned{said}"

    def _quality_ahead(self, w: int) -> dict[str, FactValue]:
        """Whether the next week, and the one after, hold quality sessions the speed response touches."""
        return {
            "quality_next": any(x.is_quality for x in self.weeks[w + 1]),
            "quality_after": w + 2 < len(self.weeks) and any(x.is_quality for x in self.weeks[w + 2]),
        }

    def _speed_response_text(self, w: int, level: int) -> str:
        """What the response does, in words, mentioning quality sessions only where there are some."""
        ahead = self._quality_ahead(w)
        quality_next, quality_after = ahead["quality_next"], ahead["quality_after"]
        if level == 1:
            return "Next week your easy runs carry a pace ceiling" + (
                " and your first quality session is shorter." if quality_next else "."
            )
        text = "Next week starts with a recovery run"
        if quality_next and level == 2:
            text += ", its first quality session becomes an easy run"
        elif quality_next:
            text += ", all its quality sessions become easy runs"
        text += " and your easy runs carry a pace ceiling"
        if level >= 3 and quality_after:
            text += "; the week after, the first quality session is shorter"
        return text + "."

    def _may_be_overdone(self, runs: Sequence[Activity], shown: Sequence[Workout]) -> bool:
        """Whether enough runs could have been harder than planned to count (a cheap bound, so that weeks run as
        planned are not matched and rep-scored on every adaptation): easy-looking runs too fast, plus the
        structured sessions the week planned."""
        fast = sum(1 for a in runs if _too_fast(self.intensity(a)))
        structured = sum(1 for x in shown if x.is_quality and x.reps)
        return fast + structured >= OVERDONE_RUNS_MIN

    def _overdone(self, w: int, shown: Sequence[Workout]) -> _Overdone:
        """``_overdone_in``, memoized by the identity of the week's workouts and runs (as ``scored_intensity``):
        every adaptation judges the same past weeks again, from the very same objects."""
        runs = self.week_runs(w)
        easy = self._blueprint_at(self._week_vdot).ctx.paces.easy  # the E range the week was planned with
        objects = (*shown, *runs)
        key = (tuple(map(id, objects)), easy, self.zones)
        hit = _OVERDONE.get(key)
        if hit is not None and all(x is y for x, y in zip(hit[0], objects, strict=True)):
            return hit[1]
        if len(_OVERDONE) >= _OVERDONE_MAX:
            _OVERDONE.clear()
        found = self._overdone_in(runs, shown, easy)
        _OVERDONE[key] = (objects, found)
        return found

    def _overdone_in(
        self, runs: Sequence[Activity], shown: Sequence[Workout], easy: tuple[float, float]
    ) -> _Overdone:
        """What ran faster than the plan asked among a week's ``runs``, named plainly: easy runs run fast,
        structured sessions whose reps or recoveries were too fast (by their rep score against ``easy``, the
        athlete's E range, docs/workouts.md#rep-scoring), and extra hard sessions."""
        fast = {a.id for a in runs if _too_fast(self.intensity(a))}
        out: list[str] = []
        fast_easy = sessions = 0
        by_id = {x.id: x for x in shown}
        matched: set[int] = set()
        for m in match(shown, runs).matches:
            wk = by_id[m.workout_id]
            matched.update(m.activity_ids)
            if wk.type in EASY_TYPES:
                for aid in m.activity_ids:
                    if aid in fast:
                        fast_easy += 1
                        ri = self.intensity(self.by_id[aid])
                        out.append(
                            f"the {_kind(wk)} run on {self.by_id[aid].local_date:%a %d %b} had "
                            f"{ri.speed_s / 60:.0f} of {ri.total_s / 60:.0f} min at marathon pace or faster"
                        )
            elif wk.is_quality and wk.reps:
                score = score_runs(wk, [self.by_id[aid] for aid in m.activity_ids], easy)
                sessions += int(overdone_session(score))
                if score is not None and _fast_parts(score):
                    out.append(f"the {_kind(wk)} session on {wk.date:%a %d %b}: {_clause(score.summary)}")
        extra_hard = [a for a in runs if a.id not in matched and self.intensity(a).speed_s >= HARD_SESSION_S]
        planned_hard = sum(1 for x in shown if x.is_quality or x.type is WorkoutType.RACE)
        done_hard = planned_hard + len(extra_hard)
        if extra_hard:
            out.append(
                f"{done_hard} hard session{'s' if done_hard > 1 else ''} against {planned_hard} planned"
            )
        return _Overdone(tuple(out), fast_easy, sessions, done_hard, planned_hard)

    def rule_spike(self, w: int) -> None:
        """Weeks whose 30-day window now holds week ``w``'s actual runs: cap any planned run above 110 %."""
        if w + 1 >= len(self.weeks) or self._suppressed(ChangeCode.SPIKE_CAPPED, w):
            return
        found = [(k, v) for k in range(w + 1, min(w + 6, len(self.weeks))) if (v := self._violation(k, w))]
        if not found:
            return
        k, (run, limit) = found[0]
        reason = (
            f"The longest run in the 30 days before {run.date:%a %d %b} is {_run_km(limit / SPIKE_LIMIT / 1000)} km: "
            f"the {_kind(run)} run that day {_cut_text(run.distance_m, limit)}, so no run is more than 10 % "
            "longer than your recent longest."
        )
        facts = {**_cut_facts(run, limit), "longest_recent_m": round(limit / SPIKE_LIMIT)}
        self._apply(
            ChangeCode.SPIKE_CAPPED, w, lambda: (reason, facts), k, force=frozenset(k2 for k2, _ in found)
        )

    def rule_history_at_start(self) -> None:
        """Before any week is completed (week index -1: nothing of the plan run yet): when stored runs cover the
        30 days before the plan, its first weeks are checked against the longest of them rather than against the
        stated long run, which they replace (docs/science.md#spike-rule)."""
        if self.seed is not None or self._suppressed(ChangeCode.HISTORY_CAPPED, 0):
            return
        found = [(k, v) for k in range(min(5, len(self.weeks))) if (v := self._violation(k, -1))]
        if not found:
            return
        k, (run, limit) = found[0]
        lo = self.bp.start - timedelta(days=SPIKE_WINDOW_DAYS)
        done = max(m for d, m in self._actual if lo <= d < self.bp.start)
        reason = (
            f"The longest of your runs in the 30 days before the plan is {_run_km(done / 1000)} km, shorter than "
            f"the {_run_km(self.bp.seed_long_m / 1000)} km long run the plan started from: the {_kind(run)} run "
            f"on {run.date:%a %d %b} {_cut_text(run.distance_m, limit)}, so that no run is more than 10 % longer "
            "than your recent longest."
        )
        facts = {
            **_cut_facts(run, limit),
            "longest_recent_m": round(done),
            "stated_long_m": round(self.bp.seed_long_m),
        }
        self._apply(
            ChangeCode.HISTORY_CAPPED, -1, lambda: (reason, facts), k, force=frozenset(k2 for k2, _ in found)
        )

    def rule_race_reach(self, w: int) -> None:
        """The race has become more than twice the longest run the athlete can reach in the 30 days before it
        (what was run up to week ``w`` and what is planned after it): said plainly, once, with the numbers
        (docs/science.md#spike-rule, the "large spike" band). The race date stays; the athlete decides."""
        goal = self.bp.goal
        st = self.state
        if goal.kind is not GoalKind.RACE or not goal.distance_m or st.race_warned:
            return
        if w + 1 >= len(self.weeks):
            return
        lo, end = goal.date - timedelta(days=SPIKE_WINDOW_DAYS), self.bp.specs[w].end_date
        done = [m for d, m in self._actual if lo <= d < goal.date and d <= end]
        planned = [
            x.distance_m
            for k in range(w + 1, len(self.weeks))
            for x in self.weeks[k]
            if x.is_run and x.type is not WorkoutType.RACE and lo <= x.date < goal.date
        ]
        longest = max([*done, *planned], default=0.0)
        if longest <= 0 or goal.distance_m / longest <= LARGE_SPIKE:
            return
        st.race_warned = True
        if self._suppressed(ChangeCode.RACE_OUT_OF_REACH, w):
            return
        reason = (
            f"The race ({goal.distance_m / 1000:g} km, {goal.date:%d %b}) is now {goal.distance_m / longest:.1f}× "
            f"the longest run you can safely reach in the 30 days before it ({_run_km(longest / 1000)} km): a jump "
            "of more than 100 %, the band with the highest injury risk. Choose a shorter race or a later one, or "
            "run it as an easy outing, not a race; the plan keeps building safely."
        )
        facts: dict[str, FactValue] = {
            "race_m": goal.distance_m,
            "race_date": goal.date.isoformat(),
            "longest_m": round(longest),
            "ratio": round(goal.distance_m / longest, 3),
        }
        self._apply(ChangeCode.RACE_OUT_OF_REACH, w, lambda: (reason, facts), len(self.weeks))

    def rule_revise(self, w: int) -> None:
        goal = self.bp.goal
        if goal.kind is not GoalKind.RACE or self.revise_sent:
            return
        spec = self.bp.specs[w]
        window_start = max(self.bp.start, goal.date - timedelta(days=REVISE_WINDOW_DAYS))
        if spec.end_date < window_start:
            return
        lost = lost_days(self.weeks, self.run_days, window_start, min(spec.end_date, goal.date))
        if lost < LOST_DAYS_REVISE:
            return
        self.revise_sent = True
        if self._suppressed(ChangeCode.REVISE_GOAL, w):
            return
        reason = (
            f"{lost} training days lost in the last 8 weeks before the race ({goal.date:%d %b}): be open to "
            "revising your goal and check your fitness with a timed session. The race date stays."
        )
        facts: dict[str, FactValue] = {
            "lost_days": lost,
            "window_days": REVISE_WINDOW_DAYS,
            "race_date": goal.date.isoformat(),
        }
        self._apply(ChangeCode.REVISE_GOAL, w, lambda: (reason, facts), len(self.weeks))

    # --- fitness_up: kept apart from the rules above; it only moves the working VDOT (docs/science.md#raising-vdot)
    def _returning(self, w: int) -> bool:
        """A return after a break (before the plan or during it) covers week ``w`` or the next one."""
        span = range(w, min(w + 2, len(self.weeks)))
        return any(self.bp.specs[k].returning or k in self.state.easy_only for k in span)

    def rule_fitness(self, w: int) -> None:
        """A race or sustained hard stretch in the last 6 weeks that shows more fitness raises the VDOT of every
        later workout, the way the time-off factor lowers it (through ``state.vdot``)."""
        if not self._evidence or w + 1 >= len(self.weeks) or self._returning(w):
            return
        st = self.state
        spec = self.bp.specs[w]
        lo = spec.end_date - timedelta(days=EVIDENCE_DAYS - 1)
        back = first_day_after_break(self.run_days, spec.end_date, BREAK_MIN_DAYS)
        if back is not None:
            lo = max(lo, back)
        ev = best_evidence(self._evidence, st.vdot, lo, spec.end_date, st.declined)
        day = self.bp.specs[w + 1].start
        new = raised_vdot(st.vdot, ev, allowed_raise(st.raises, day))
        if ev is None or new is None:
            return
        if self._suppressed(ChangeCode.FITNESS_UP, w):
            st.declined.add(ev.activity_id)  # an undone raise is not made again from the same run
            return
        old = st.vdot
        st.vdot = new
        st.raises.append((day, new - old))
        said = self._fitness_reason(ev, old, new)
        self._apply(ChangeCode.FITNESS_UP, w, lambda: said, w + 1)

    def _fitness_reason(self, ev: Evidence, old: float, new: float) -> tuple[str, dict[str, FactValue]]:
        day, pace = ev.day, ev.time_s / (ev.distance_m / 1000)
        if ev.kind is EvidenceKind.RACE:
            what = f"Your {_run_km(ev.distance_m / 1000)} km race on {day:%a %d %b} in {clock(ev.time_s)}"
        else:
            what = f"Your run on {day:%a %d %b}, {ev.time_s / 60:.0f} minutes hard at {minutes_seconds(pace)}/km,"
        t_old, t_new = with_paces(self.bp, old).ctx.paces.threshold, self._blueprint().ctx.paces.threshold
        reason = (
            f"{what} shows more fitness than your paces assumed: training paces are now set for a fitness score "
            f"(VDOT) of {new:.1f} instead of {old:.1f} (threshold {minutes_seconds(t_new)}/km instead of {minutes_seconds(t_old)}/km). "
            "The score stays a little below what the run shows and rises by at most 2 points in 4 weeks, because "
            "fitness grows gradually."
        )
        facts: dict[str, FactValue] = {
            "evidence": ev.kind.value,
            "evidence_date": day.isoformat(),
            "evidence_m": round(ev.distance_m),
            "evidence_s": round(ev.time_s),
            "evidence_pace_s_per_km": round(pace, 1),
            "vdot_before": round(old, 2),
            "vdot_after": round(new, 2),
            "threshold_before_s_per_km": round(t_old, 1),
            "threshold_after_s_per_km": round(t_new, 1),
            "max_rise_points": RATE_CAP,
            "rise_window_days": RATE_WINDOW_DAYS,
        }
        return reason, facts

    def run(self) -> None:
        self.rule_history_at_start()
        for w, spec in enumerate(self.bp.specs):
            self._week_vdot = self.state.vdot  # the working VDOT week ``w`` was planned with
            if spec.end_date >= self.as_of:
                if spec.start <= self.as_of:
                    # the current week, on its runs so far (today's included): the rules whose evidence only
                    # grows through a week answer it at once; the weekly rules wait for its end
                    self.rule_run_spike(w)
                    self.rule_speed(w, self.shown_week(w), week_over=False)
                break
            shown = self.shown_week(w)
            planned_km = sum(x.distance_m for x in shown if x.is_run) / 1000
            done_km = sum(a.distance_m for a in self.week_runs(w)) / 1000
            broke = self.rule_break(w)
            # a week without runs is a break, and so is one whose runs after a break followed the plan: the
            # break rule set the way back (docs/science.md#return-after-break)
            if done_km > 0 and not (broke and self._back_as_planned(w, shown)):
                self.rule_volume(w, planned_km, done_km)
            self.rule_run_spike(w)
            self.rule_speed(w, shown)
            self.rule_spike(w)
            self.rule_revise(w)
            self.rule_race_reach(w)
            self.rule_fitness(w)


# Rendered weeks by (athlete, goal, start, week, state key, 110 % history): a pure function of immutable values,
# so an entry can never be stale; bounded by clearing (one athlete's adaptations need a few hundred, and a
# week of workouts is a few kB).
_RENDERED: dict[tuple[object, ...], tuple[Workout, ...]] = {}
_RENDERED_MAX = 4096
_SCORED: dict[tuple[int, Zones], tuple[Activity, RunIntensity]] = {}
_SCORED_MAX = 8192
_OVERDONE: dict[tuple[object, ...], tuple[tuple[object, ...], _Overdone]] = {}
_OVERDONE_MAX = 4096


def forget_memos() -> int:
    """Empty adaptation's memo tables (rendered weeks, scored runs, overdone weeks, fitness evidence); returns how
    many entries they held. They pay off across the adaptations of one job (a replay, the scorecard, a task that
    adapts again); a long-running worker calls this after every task, because its next task loads its runs afresh
    and would never meet the old run objects again, while the tables keep them, laps and splits included."""
    held = len(_RENDERED) + len(_SCORED) + len(_OVERDONE)
    for table in (_RENDERED, _SCORED, _OVERDONE):
        table.clear()
    return held + forget_evidence()


def scored_intensity(a: Activity, zones: Zones) -> RunIntensity:
    """``run_intensity`` memoized by object identity: adaptation re-reads the same run objects every time it
    re-derives a plan. The entry keeps the run itself and is used only for that very object, so a changed run
    (a new object) is always scored afresh; hashing whole runs with their laps cost more than scoring them."""
    key = (id(a), zones)
    hit = _SCORED.get(key)
    if hit is not None and hit[0] is a:
        return hit[1]
    if len(_SCORED) >= _SCORED_MAX:
        _SCORED.clear()
    found = run_intensity(a, zones)
    _SCORED[key] = (a, found)
    return found


def with_estimated_distances(runs: Sequence[Activity], paces: Paces) -> Sequence[Activity]:
    """Runs without a usable distance (a treadmill run recorded as 0 km: slower than walking over its moving
    time) count at their moving time run at the mid easy pace (docs/science.md#runs-without-distance), so the
    volume and the 110 % rules see them instead of reading them as 0 km."""
    easy_mid = (paces.easy[0] + paces.easy[1]) / 2
    if all(a.distance_m >= a.moving_time_s / WALK_PACE_S_PER_KM * 1000 for a in runs):
        return runs
    return [
        a
        if a.distance_m >= a.moving_time_s / WALK_PACE_S_PER_KM * 1000
        else replace(a, distance_m=a.moving_time_s / easy_mid * 1000)
        for a in runs
    ]


def maintenance_floor_km(paces: Paces) -> float:
    """The maintenance floor (docs/science.md#maintenance-floor): two easy 30-minute runs at the mid easy pace of
    the plan's baseline paces, so following what was run never shrinks the plan to nothing."""
    return FLOOR_RUNS * FLOOR_RUN_S / ((paces.easy[0] + paces.easy[1]) / 2)


def volume_multiplier(compliance: float) -> float:
    """Next week's ceiling over last week's actual km: 1.15 up to 80 % compliance, then rising continuously
    (1.45 at 85 %, 1.75 at 90 %, 2.35 at 100 %) so full weeks leave the plan's own progression alone."""
    return 1 + RAMP + max(0.0, min(compliance, 1.0) - FULL_FROM) * FULL_SLOPE


QUALITY_SHORTENED = 0.67  # a shortened quality session keeps two thirds of its reps (product choice)


def _speed_response(ctx: s.SessionContext, ws: list[Workout], level: int) -> list[Workout]:
    """The week's workouts under speed response ``level`` (0: unchanged). Dates never move, so tempo still
    comes before intervals."""
    if not level:
        return ws
    ceiling = minutes_seconds(ctx.paces.easy[0])
    out = list(ws)
    quality = [i for i, w in enumerate(out) if w.is_quality]
    for n, i in enumerate(quality):
        if level >= 3 or (level == 2 and n == 0):
            out[i] = s.as_easy(
                ctx, out[i], "easy instead of a hard session: last week had more speed than planned"
            )
        elif n == 0:
            shorter = s.scaled(ctx, out[i], QUALITY_SHORTENED)
            out[i] = replace(
                shorter, note=f"{shorter.note} (shortened: last week had more speed than planned)"
            )
    if level >= 2:
        for i, w in enumerate(out):
            if w.type is WorkoutType.EASY:
                out[i] = s.recovery(
                    ctx, w.date, w.distance_m * s.RECOVERY_SHARE, "recovery run: take it very easy"
                )
                break
    for i, w in enumerate(out):
        if w.type in EASY_TYPES:
            out[i] = replace(w, note=f"{w.note}; keep it slower than {ceiling}/km")
    return out


def _spike_response(
    ctx: s.SessionContext, ws: list[Workout], recover: frozenset[date], long_cap: float | None
) -> list[Workout]:
    out = []
    for w in ws:
        if w.is_run and w.type is not WorkoutType.RACE and w.date in recover:
            w = s.recovery(
                ctx, w.date, w.distance_m * s.RECOVERY_SHARE, "recovery run: easy and short after a long one"
            )
        elif long_cap is not None and w.type is WorkoutType.LONG and w.distance_m > long_cap:
            w = replace(s.capped(ctx, w, long_cap), note="long run, held back after a sudden long run")
        out.append(w)
    return out


def _merged(first: Sequence[WorkoutDiff], then: Sequence[WorkoutDiff]) -> tuple[WorkoutDiff, ...]:
    """Two answers to one cause as one set of diffs: each workout from its state before the first to its state
    after the last, in date order; a workout the second answer put back as it was is no change."""
    by_id = {d.before.id: d for d in first}
    for d in then:
        earlier = by_id.get(d.after.id)
        by_id[d.after.id] = WorkoutDiff(earlier.before if earlier else d.before, d.after)
    merged = sorted(by_id.values(), key=lambda d: (d.after.date, d.after.id))
    return tuple(d for d in merged if d.before != d.after)


def _kind(w: Workout) -> str:
    """The workout's type as the athlete reads it ("race pace", not a code)."""
    return w.type.value.replace("_", " ")


def overdone_session(score: RepScore | None) -> bool:
    """A structured session run harder than asked (docs/science.md#speed-budget): more than half of the reps found
    in its laps too fast for their band, or more than half of its recoveries run faster than easy pace. A session
    whose reps could not be scored is judged by its minutes at speed alone, as before rep scoring."""
    if score is None or score.outcome is not ScoreOutcome.SCORED or not score.reps:
        return False
    fast = sum(1 for r in score.reps if r.verdict is RepVerdict.TOO_FAST)
    recoveries = len(score.recoveries)
    return 2 * fast > len(score.reps) or (recoveries > 0 and 2 * score.recoveries_too_fast > recoveries)


def _fast_parts(score: RepScore) -> bool:
    """Whether a scored session had any rep too fast or any recovery run too fast: worth naming."""
    return any(r.verdict is RepVerdict.TOO_FAST for r in score.reps) or score.recoveries_too_fast > 0


def _clause(sentence: str) -> str:
    """A rep score's sentence as a clause inside a reason: no capital, no full stop, commas for semicolons."""
    text = sentence.rstrip(".").replace("; ", ", ")
    if text.endswith(")") and " (target " in text:  # a block's "(target …)": no brackets inside the reason's
        text = text[:-1].replace(" (target ", ", target ")
    return text[:1].lower() + text[1:]


def _too_fast(ri: RunIntensity) -> bool:
    """Too much of the run at marathon pace or faster for an easy run (≥ 5 min and ≥ 25 % of its time)."""
    return ri.speed_s >= EASY_TOO_FAST_MIN_S and ri.speed_s >= EASY_TOO_FAST_SHARE * ri.total_s


def lost_days(weeks: Sequence[Sequence[Workout]], run_days: Sequence[date], lo: date, hi: date) -> int:
    """Days inside run-free stretches (within lo..hi) that swallowed at least two planned runs
    (docs/science.md#return-after-break)."""
    planned = sorted(w.date for ws in weeks for w in ws if lo <= w.date <= hi and w.is_run)
    ran = [d for d in run_days if lo <= d <= hi]
    total = 0
    prev = lo - timedelta(days=1)
    for d in [*ran, hi + timedelta(days=1)]:
        first, last = prev + timedelta(days=1), d - timedelta(days=1)
        if last >= first:
            missed = bisect_right(planned, last) - bisect_left(planned, first)  # planned is sorted
            if missed >= 2:
                total += _days(first, last) + 1
        prev = d
    return total


def _runs(activities: Iterable[Activity], as_of: date) -> list[Activity]:
    """The runs done by ``as_of``: a run dated ``as_of`` itself is done (docs/planner.md#adaptation, "today")."""
    unique = {a.id: a for a in activities if a.is_run and a.local_date <= as_of}
    return sorted(unique.values(), key=lambda a: (a.start_local, a.id))


def adapt(
    plan: Plan,
    activities: Iterable[Activity],
    as_of: date,
    suppressed: frozenset[str] = frozenset(),
    *,
    done: frozenset[str] | None = None,
) -> AdaptResult:
    """Re-derive ``plan`` from its baseline and the runs up to ``as_of``; see the module docstring. ``done``: the
    ids of the input's workouts that are behind the athlete, for a caller that shows workouts on other days than
    planned (by default those dated before ``as_of``, and ``as_of``'s once a run dated ``as_of`` counts); they
    stay as the input holds them (docs/science.md#past-is-history)."""
    all_suppressed = frozenset(plan.suppressed | suppressed)
    runs = _runs(activities, as_of)
    kept = Done.of(plan, first_open_day(runs, as_of), done)
    fold = _Fold(plan, runs, as_of, all_suppressed, kept)
    fold.run()
    weeks = tuple(
        Week(spec.index, spec.start, spec.phase, kept.week(spec.start, derived))
        for spec, derived in zip(fold.bp.specs, fold.weeks, strict=True)
    )
    out = replace(
        plan,
        weeks=weeks,
        vdot=fold.state.vdot,
        suppressed=all_suppressed,
        as_of=as_of,
        replanned_from=tuple(sorted(fold.replanned.items())),
    )
    out = replace(out, changes=kept.as_made(fold.changes, (w for ws in fold.weeks for w in ws)))
    previous = {c.id: c for c in plan.changes}
    new_changes = tuple(c for c in out.changes if previous.get(c.id) != c)
    return AdaptResult(plan=out, changes=new_changes)


def undo(
    plan: Plan,
    change_id: str,
    activities: Iterable[Activity],
    as_of: date,
    *,
    done: frozenset[str] | None = None,
) -> AdaptResult:
    """Revert one change of ``plan``: the plan is re-derived without it (done workouts stay as they were, see
    ``adapt``). An id the plan does not hold raises ``UnknownChange`` and changes nothing."""
    if change_id not in {c.id for c in plan.changes}:
        raise UnknownChange(f"change {change_id!r} is not in this plan")
    return adapt(plan, activities, as_of, suppressed=frozenset({change_id}), done=done)
