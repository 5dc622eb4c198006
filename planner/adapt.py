"""Adaptation: ``adapt(plan, activities, as_of, suppressed=frozenset()) -> AdaptResult``.

Design (documented in docs/planner.md):
* The plan is always re-derived from its baseline, ``generate_plan(plan.athlete, plan.goal, plan.start)``,
  by folding the rules over every completed week (a plan week whose Sunday is before ``as_of``), oldest first.
  Each completed week may change the weeks after it; a change is keyed ``code@week-start``.
* Workouts dated before ``as_of`` are copied from the input plan: the past is never rewritten.
* Idempotent: the derivation depends only on (baseline, activities, as_of, suppressed), so adapting the result
  again with the same inputs returns the same plan and no new changes.
* Undo: pass the change id in ``suppressed`` (or call ``undo``); the fold skips that change and everything is
  re-derived without it. Suppressed ids are kept on the plan so later adaptations respect them.

Rules, in the order they are applied for a completed week W (science.md sections in brackets):
1. ``return_after_break``: a run-free stretch of ≥ 6 days in W (§8): the return period equals the break;
   6–28 days: its first half at 50 %, second half at 75 % of the pre-break volume; longer: thirds at 33/50/75 %;
   quality turns to easy running until back at 100 %; VDOT × FVDOT-1 for every later workout (§8).
2. ``volume_rebuild``: W's completed volume < 80 % of plan (§6.4 not green): never cram. 50–79 % → next week
   holds at W's planned volume; < 50 % → next week steps back to max(actual + step, 50 % of plan); later weeks
   ramp by one step (1.6 km per weekly run, §4) a week until they rejoin the plan. Never above the plan.
3. ``intensity_reduced``: easy runs run at threshold or faster, more hard sessions than planned, a
   threshold-or-faster share of time above the plan's + 5 points, or EWMA ACWR ≥ 1.5 (§3, §5): the next week's
   first run becomes a recovery run, its first quality session an easy run (all of them with ≥ 2 triggers);
   no session is moved, so tempo still comes before intervals.
4. ``spike_capped``: a planned run in the next 5 weeks above 110 % of the longest run in the 30 days before it,
   counting the runs actually done up to W and the plan after W (§4).
5. ``revise_goal``: ≥ 10 days lost in the last 8 weeks before the race (§8, Pfitzinger): recommend revising.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from operator import itemgetter

from planner import sessions as s
from planner.activity import Activity
from planner.generate import (
    SPIKE_LIMIT,
    STEP_KM_PER_RUN,
    STEP_MAX_KM,
    Blueprint,
    baseline,
    build_week,
    finish_week,
    monday,
    spike_limit,
    with_paces,
)
from planner.intensity import RunIntensity, Zones, run_intensity
from planner.load import ACUTE_N, ACWR_DANGER, CHRONIC_N, daily_minutes, ewma_lambda, week_load
from planner.matching import GREEN, YELLOW, match
from planner.paces import fvdot
from planner.plan import Change, GoalKind, Plan, Week, Workout, WorkoutDiff, WorkoutType

BREAK_MIN_DAYS = 6  # science.md §8: ≤ 5 days off → 100 % load and VDOT
LONG_BREAK_DAYS = 28  # science.md §8: 6–28 days → 50 % then 75 %
LOST_DAYS_REVISE = 10  # science.md §8 (Pfitzinger): 10+ days lost in the last 8 weeks
REVISE_WINDOW_DAYS = 56  # science.md §8: "the 8 weeks before the marathon"
EASY_TOO_HARD_SHARE = 0.25  # an easy run with ≥ 25 % of its time at T or faster ... (product choice)
EASY_TOO_HARD_MIN_S = 5 * 60  # ... and at least 5 minutes of it (strides do not count)
HARD_SHARE_TOLERANCE = 0.05  # threshold-or-faster share may exceed the plan's by 5 points (product choice)
HARD_SHARE_MIN_S = 60 * 60  # ... only judged on weeks with at least an hour of running


@dataclass(frozen=True, slots=True)
class AdaptResult:
    plan: Plan
    changes: tuple[Change, ...]  # changes that are new (or different) relative to the input plan


@dataclass
class _State:
    targets: list[float]
    easy_only: set[int] = field(default_factory=set)
    speed: dict[int, int] = field(default_factory=dict)
    vdot: float = 0.0


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


class _Fold:
    def __init__(self, plan: Plan, runs: Sequence[Activity], as_of: date, suppressed: frozenset[str]) -> None:
        self.bp: Blueprint
        self.bp, base_weeks = baseline(plan.athlete, plan.goal, plan.start)
        self.runs = runs
        self.as_of = as_of
        self.suppressed = suppressed
        self.state = _State(targets=[sp.volume_km for sp in self.bp.specs], vdot=self.bp.ctx.paces.vdot)
        self.weeks: list[tuple[Workout, ...]] = [w.workouts for w in base_weeks]
        self._planned = [_PlannedRuns.of(ws) for ws in self.weeks]  # always updated with self.weeks (_store)
        self.changes: list[Change] = []
        self.zones = Zones.from_paces(self.bp.ctx.paces, plan.athlete.max_hr)
        self.intensity: dict[int, RunIntensity] = {a.id: run_intensity(a, self.zones) for a in runs}
        self.run_days = sorted({a.local_date for a in runs})
        self.by_id = {a.id: a for a in runs}
        self.step = min(STEP_KM_PER_RUN * max(1, plan.athlete.runs_per_week), STEP_MAX_KM)
        e_mid = sum(self.bp.ctx.paces.easy) / 2
        self.seed_daily_min = plan.athlete.weekly_km * e_mid / 60 / 7
        self.revise_sent = False
        self._acwr: dict[date, float] = {}
        first = self.bp.specs[0].start
        self.by_week: dict[int, list[Activity]] = {}
        for a in runs:
            self.by_week.setdefault((a.local_date - first).days // 7, []).append(a)
        self._bps: dict[float, Blueprint] = {self.bp.ctx.paces.vdot: self.bp}
        self._actual = sorted((a.local_date, a.distance_m) for a in runs)
        # what each week was last rendered from; a week is re-rendered only when this or its history changes
        self._keys: list[tuple[object, ...]] = [self._key(k) for k in range(len(self.weeks))]

    def acwr_on(self, day: date) -> float | None:
        """EWMA ACWR on ``day`` (science.md §3), computed once for every day of the fold."""
        if not self._acwr:
            loads = daily_minutes(self.runs)
            la, lc = ewma_lambda(ACUTE_N), ewma_lambda(CHRONIC_N)
            acute = chronic = self.seed_daily_min
            d = self.bp.start
            while d < self.as_of:
                x = loads.get(d, 0.0)
                acute = x * la + (1 - la) * acute
                chronic = x * lc + (1 - lc) * chronic
                self._acwr[d] = acute / chronic if chronic > 0 else 0.0
                d += timedelta(days=1)
        ratio = self._acwr.get(day)
        return ratio if ratio else None

    def week_runs(self, w: int) -> list[Activity]:
        return self.by_week.get(w, [])

    def _key(self, k: int) -> tuple[object, ...]:
        st = self.state
        return (st.targets[k], k in st.easy_only, st.speed.get(k, 0), st.vdot)

    def _blueprint(self) -> Blueprint:
        vdot = self.state.vdot
        if vdot not in self._bps:
            self._bps[vdot] = with_paces(self.bp, vdot)
        return self._bps[vdot]

    # --- rendering -------------------------------------------------------------------------------------
    def _history(self, upto: int, completed: int) -> list[tuple[date, float]]:
        """(date, metres) of the runs before week ``upto`` for the 110 % rule (science.md §4): what was
        actually run up to the end of week ``completed``, and what is planned after it."""
        lo = self.bp.specs[upto].start - timedelta(days=31)
        cutoff = self.bp.specs[completed + 1].start if completed + 1 < len(self.bp.specs) else lo
        actual = self._actual
        hist = actual[bisect_left(actual, (lo, -1.0)) : bisect_left(actual, (cutoff, -1.0))]
        seed = (self.bp.start - timedelta(days=1), self.bp.seed_long_m)
        if seed[0] >= lo:
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
            if x.type is not WorkoutType.RACE and limit is not None and x.distance_m > limit + 0.5:
                return x, limit
            hist.append((x.date, x.distance_m))
        return None

    def _render(self, k: int, completed: int) -> tuple[Workout, ...]:
        st = self.state
        bp = self._blueprint()
        ctx = bp.ctx
        ws = list(build_week(bp, bp.specs[k], st.targets[k]))
        note_easy = "easy: quality paused while returning from a break (science.md §8)"
        if k in st.easy_only:
            ws = [s.as_easy(ctx, w, note_easy) if w.is_quality else w for w in ws]
        level = st.speed.get(k, 0)
        if level:
            quality_idx = [i for i, w in enumerate(ws) if w.is_quality]
            for n, i in enumerate(quality_idx):
                if n == 0 or level >= 2:
                    ws[i] = s.as_easy(ctx, ws[i], "easy instead of quality: recent intensity above plan")
            for i, w in enumerate(ws):
                if w.type in (WorkoutType.EASY,) and w.date >= bp.specs[k].start:
                    ws[i] = s.recovery(ctx, w.date, w.distance_m * s.RECOVERY_SHARE, "recovery day added")
                    break
        return finish_week(ctx, tuple(ws), self._history(k, completed))

    def _apply(
        self, code: str, week_idx: int, reason: str, first: int, force: frozenset[int] = frozenset()
    ) -> None:
        """Re-render weeks ``first``.. after a state change made by rule ``code`` for completed ``week_idx``
        (and the weeks in ``force``)."""
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
        if diffs or code == "revise_goal":
            self.changes.append(
                Change(
                    id=f"{code}@{self.bp.specs[week_idx].start.isoformat()}",
                    code=code,
                    week_start=self.bp.specs[week_idx].start,
                    reason=reason,
                    workouts=tuple(diffs),
                )
            )

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

    def rule_break(self, w: int) -> bool:
        br = self._break(w)
        if br is None or w + 1 >= len(self.weeks):
            return False
        days_off, first_off, back = br
        if self._suppressed("return_after_break", w):
            return True
        st = self.state
        ref_week = max(0, min(w, (first_off - self.bp.specs[0].start).days // 7))
        ref = max(st.targets[ref_week], sum(x.distance_m for x in self.weeks[ref_week]) / 1000)
        back = max(back, self.bp.specs[w + 1].start)
        period = days_off
        stages = (0.5, 0.75) if days_off <= LONG_BREAK_DAYS else (0.33, 0.5, 0.75)

        def daily(d: date) -> float:
            t = _days(back, d)
            if t >= period:
                return 1.0
            return stages[min(len(stages) - 1, t * len(stages) // period)]

        new_vdot = self.bp.ctx.paces.vdot * fvdot(days_off)
        changed = new_vdot < st.vdot - 1e-9
        st.vdot = min(st.vdot, new_vdot)
        parts = []
        for k in range(w + 1, len(self.weeks)):
            start = self.bp.specs[k].start
            f = sum(daily(start + timedelta(days=i)) for i in range(7)) / 7
            if f >= 1.0:
                break
            target = min(st.targets[k], f * ref)
            if target < st.targets[k] - 0.05 or k not in st.easy_only:
                changed = True
            st.targets[k] = target
            st.easy_only.add(k)
            parts.append(f"{_km(target)} km")
        if not changed:
            return True
        reason = (
            f"No runs for {days_off} days ({first_off:%d %b}–{first_off + timedelta(days=days_off - 1):%d %b}). "
            f"Coming back over {days_off} days at 50 % then 75 % of your {_km(ref)} km weeks"
            + (" (33/50/75 % after more than 4 weeks off)" if days_off > LONG_BREAK_DAYS else "")
            + (f": {', '.join(parts)}, easy running only" if parts else "")
            + f"; paces from VDOT {new_vdot:.1f} instead of {self.bp.ctx.paces.vdot:.1f} (science.md §8)."
        )
        self._apply("return_after_break", w, reason, w + 1)
        return True

    def rule_volume(self, w: int, planned_km: float, done_km: float) -> None:
        if w + 1 >= len(self.weeks) or planned_km <= 0:
            return
        ratio = done_km / planned_km
        if ratio >= GREEN[0] or self._suppressed("volume_rebuild", w):
            return
        st = self.state
        nxt = w + 1
        base_next = st.targets[nxt]
        new = planned_km if ratio >= YELLOW[0] else max(done_km + self.step, 0.5 * planned_km)
        new = min(new, base_next)
        if new >= base_next - 0.05:
            return
        st.targets[nxt] = new
        level = new
        for k in range(nxt + 1, len(self.weeks)):
            level += self.step
            if level >= st.targets[k]:
                break
            st.targets[k] = level
        verb = "holds at" if ratio >= YELLOW[0] else "steps back to"
        rising = "rising to" if base_next > planned_km else "staying at"
        reason = (
            f"You ran {_km(done_km)} of {_km(planned_km)} planned km last week; next week {verb} "
            f"{_km(self.weeks_km(nxt, new))} km instead of {rising} {_km(self.weeks_km(nxt, None))} km, "
            f"then builds by at most {_km(self.step)} km a week back to the plan. Missed runs are not made up "
            "(science.md §4, §8)."
        )
        self._apply("volume_rebuild", w, reason, nxt)

    def weeks_km(self, k: int, target: float | None) -> float:
        if target is None:
            return sum(x.distance_m for x in self.weeks[k] if x.is_run) / 1000
        return target

    def rule_speed(self, w: int, week_workouts: Sequence[Workout]) -> None:
        if w + 1 >= len(self.weeks) or self._suppressed("intensity_reduced", w):
            return
        spec = self.bp.specs[w]
        wl = week_load(spec.start, week_workouts, self.week_runs(w), self.zones, self.intensity, spikes=False)
        triggers = self._easy_runs_too_hard(w, week_workouts)
        if wl.quality_done > wl.quality_planned:
            triggers.append(f"{wl.quality_done} hard sessions against {wl.quality_planned} planned")
        if (
            wl.intensity.total_s >= HARD_SHARE_MIN_S
            and wl.hard_share > wl.planned_hard_share + HARD_SHARE_TOLERANCE
        ):
            triggers.append(
                f"{wl.hard_share:.0%} of your running time was at threshold pace or faster "
                f"against {wl.planned_hard_share:.0%} planned"
            )
        ratio = self.acwr_on(spec.end_date)
        if ratio is not None and ratio >= ACWR_DANGER:
            triggers.append(
                f"acute:chronic load ratio {ratio:.2f} (EWMA 7/28 days, ≥ 1.5 is the danger zone)"
            )
        if not triggers:
            return
        level = 2 if len(triggers) >= 2 or (ratio is not None and ratio >= ACWR_DANGER) else 1
        self.state.speed[w + 1] = max(level, self.state.speed.get(w + 1, 0))
        what = (
            "all quality sessions become easy runs"
            if level >= 2
            else "the first quality session becomes easy"
        )
        reason = (
            "More intensity than planned last week: "
            + "; ".join(triggers)
            + f". Next week starts with a recovery run and {what} (science.md §1.5, §3, §5)."
        )
        self._apply("intensity_reduced", w, reason, w + 1)

    def _easy_runs_too_hard(self, w: int, week_workouts: Sequence[Workout]) -> list[str]:
        """A trigger for each run of week ``w`` matched to an easy, recovery or long run but run hard."""
        too_hard = {a.id for a in self.week_runs(w) if _too_hard(self.intensity[a.id])}
        if not too_hard:  # the matching only decides which hard runs count: none, nothing to match
            return []
        workout_by_id = {x.id: x for x in week_workouts}
        triggers = []
        for m in match(week_workouts, self.week_runs(w)).matches:
            wk = workout_by_id[m.workout_id]
            if wk.type not in (WorkoutType.EASY, WorkoutType.RECOVERY, WorkoutType.LONG):
                continue
            for aid in m.activity_ids:
                if aid in too_hard:
                    ri = self.intensity[aid]
                    triggers.append(
                        f"the {wk.type.value} run on {self.by_id[aid].local_date:%a %d %b} had "
                        f"{ri.hard_s / 60:.0f} of {ri.total_s / 60:.0f} min at threshold pace or faster"
                    )
        return triggers

    def rule_spike(self, w: int) -> None:
        """Weeks whose 30-day window now holds week ``w``'s actual runs: cap any run above 110 % (§4)."""
        if w + 1 >= len(self.weeks) or self._suppressed("spike_capped", w):
            return
        found = [(k, v) for k in range(w + 1, min(w + 6, len(self.weeks))) if (v := self._violation(k, w))]
        if not found:
            return
        k, (run, limit) = found[0]
        reason = (
            f"The longest run in the 30 days before {run.date:%a %d %b} is {_km(limit / 1.1 / 1000)} km: "
            f"the {run.type.value} run that day becomes at most {_km(limit / 1000)} km instead of "
            f"{_km(run.distance_m / 1000)} km, 110 % of it (science.md §4)."
        )
        self._apply("spike_capped", w, reason, k, force=frozenset(k2 for k2, _ in found))

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
        if self._suppressed("revise_goal", w):
            return
        reason = (
            f"{lost} training days lost in the last 8 weeks before the race ({goal.date:%d %b}): be open to "
            "revising your goal and check your fitness with a timed session (science.md §8). The race date stays."
        )
        self._apply("revise_goal", w, reason, len(self.weeks))

    def run(self) -> None:
        for w, spec in enumerate(self.bp.specs):
            if spec.end_date >= self.as_of:
                break
            week_workouts = self.weeks[w]
            planned_km = sum(x.distance_m for x in week_workouts if x.is_run) / 1000
            done_km = sum(a.distance_m for a in self.week_runs(w)) / 1000
            if not self.rule_break(w):
                self.rule_volume(w, planned_km, done_km)
            self.rule_speed(w, week_workouts)
            self.rule_spike(w)
            self.rule_revise(w)


def _too_hard(ri: RunIntensity) -> bool:
    """Too much of the run at threshold pace or faster for an easy run (≥ 5 min and ≥ 25 % of its time)."""
    return ri.hard_s >= EASY_TOO_HARD_MIN_S and ri.hard_s >= EASY_TOO_HARD_SHARE * ri.total_s


def lost_days(weeks: Sequence[Sequence[Workout]], run_days: Sequence[date], lo: date, hi: date) -> int:
    """Days inside run-free stretches (within lo..hi) that swallowed at least two planned runs (science.md §8)."""
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
    unique = {a.id: a for a in activities if a.is_run and a.local_date < as_of}
    return sorted(unique.values(), key=lambda a: (a.start_local, a.id))


def adapt(
    plan: Plan, activities: Iterable[Activity], as_of: date, suppressed: frozenset[str] = frozenset()
) -> AdaptResult:
    """Re-derive ``plan`` from its baseline and the runs before ``as_of``; see the module docstring."""
    all_suppressed = frozenset(plan.suppressed | suppressed)
    fold = _Fold(plan, _runs(activities, as_of), as_of, all_suppressed)
    fold.run()
    past = {w.id: w for w in plan.workouts() if w.date < as_of}
    # past workouts by the Monday of their week, in one pass instead of one pass per plan week
    past_by_week: dict[date, list[Workout]] = {}
    for w in past.values():
        past_by_week.setdefault(monday(w.date), []).append(w)
    weeks = []
    for spec, derived in zip(fold.bp.specs, fold.weeks, strict=True):
        kept = [w for w in derived if w.date >= as_of]
        old = past_by_week.get(spec.start, [])
        merged = tuple(sorted([*old, *kept], key=lambda w: w.date))
        weeks.append(Week(spec.index, spec.start, spec.phase, merged))
    previous = {c.id: c for c in plan.changes}
    new_changes = tuple(c for c in fold.changes if previous.get(c.id) != c)
    out = replace(
        plan,
        weeks=tuple(weeks),
        vdot=fold.state.vdot,
        changes=tuple(fold.changes),
        suppressed=all_suppressed,
        as_of=as_of,
    )
    return AdaptResult(plan=out, changes=new_changes)


def undo(plan: Plan, change_id: str, activities: Iterable[Activity], as_of: date) -> AdaptResult:
    """Revert one change: the plan is re-derived without it (workouts before ``as_of`` stay as they were)."""
    return adapt(plan, activities, as_of, suppressed=frozenset({change_id}))
