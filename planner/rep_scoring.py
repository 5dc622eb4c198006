"""Rep-level execution: a structured session's reps read from the run's laps, each scored against its pace band.

Pure. The rule (docs/workouts.md#rep-scoring):

* The reps are the session's work steps (planner/workout_steps.py), in order, with the recovery between two reps.
* Laps: the device laps of the matched runs, in the order they were run. One lap or none: the reps were not
  lapped. Automatic laps (every lap but the last within 1.5 % of 1 km or of 1 mile) do not follow the reps:
  the reps cannot be scored, and the sentence says so.
* Alignment: rep 1 is read from some lap, each recovery from the next lap, the next rep from the lap after it.
  A lap is a rep's when its distance is within 15 % (at least 40 m) of the rep's. Laps before rep 1 are the
  warm-up and laps after the last rep the cool-down, however many. The reading that finds the most reps in a
  row wins, then the one whose reps are nearest their targets (so a 400 m jog is never taken for a 400 m rep),
  then the earliest.
* A rep is inside its band when its pace (moving time over lap distance), rounded to whole seconds per km, is
  not outside it; otherwise it is that many s/km too fast or too slow.
* A recovery is run too fast when its pace is faster than the fast end of the athlete's easy pace; without the
  easy pace, when it is within 20 s/km of the reps' slow end (that is no recovery at all). Standing still is a
  recovery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from planner.activity import Activity, Lap
from planner.clock import minutes_seconds
from planner.plan import Workout
from planner.sessions import MILE_M
from planner.workout_steps import StepKind, distance_name, expanded, workout_steps

AUTO_LAP_M = (1000.0, MILE_M)  # the automatic lap distances watches offer by default
AUTO_LAP_TOLERANCE = 0.015  # product choice: GPS rounding of an automatic lap
REP_DISTANCE_TOLERANCE = 0.15  # product choice: GPS error and a late lap press on a rep
REP_DISTANCE_MIN_M = 40.0  # product choice: the same for short reps (200 m on a track)
RECOVERY_GAP_S = (
    20.0  # product choice: without the easy pace, a recovery this close to the reps' pace is none
)


class RepVerdict(StrEnum):
    INSIDE = "inside"
    TOO_FAST = "too_fast"
    TOO_SLOW = "too_slow"


class RecoveryVerdict(StrEnum):
    EASY = "easy"
    TOO_FAST = "too_fast"


class ScoreOutcome(StrEnum):
    SCORED = "scored"
    NOT_LAPPED = "not_lapped"  # one lap or none
    AUTO_LAPS = "auto_laps"  # automatic 1 km (or mile) laps
    NO_MATCH = "no_match"  # laps, but none where a rep should be


@dataclass(frozen=True, slots=True)
class PlannedRep:
    distance_m: float
    pace: tuple[float, float]  # target band (fast, slow), s/km
    recovery_after_s: float  # planned recovery before the next rep (0 after the last)


@dataclass(frozen=True, slots=True)
class RepResult:
    number: int  # 1-based, in the order planned
    planned: PlannedRep
    distance_m: float
    time_s: float
    pace: float  # s/km
    off_s: int  # whole s/km outside the band: negative too fast, positive too slow, 0 inside
    verdict: RepVerdict


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    after_rep: int
    planned_s: float
    time_s: float
    pace: float | None  # None: no distance covered (standing)
    verdict: RecoveryVerdict


@dataclass(frozen=True, slots=True)
class RepScore:
    outcome: ScoreOutcome
    planned: int  # reps in the plan
    reps: tuple[RepResult, ...] = ()  # the reps found in the laps (a prefix of the plan's)
    recoveries: tuple[RecoveryResult, ...] = ()
    summary: str = ""  # one plain sentence for the athlete

    @property
    def inside(self) -> int:
        return sum(1 for r in self.reps if r.verdict is RepVerdict.INSIDE)

    @property
    def time_inside_s(self) -> float:
        return sum(r.time_s for r in self.reps if r.verdict is RepVerdict.INSIDE)

    @property
    def recoveries_too_fast(self) -> int:
        return sum(1 for r in self.recoveries if r.verdict is RecoveryVerdict.TOO_FAST)


def planned_reps(w: Workout) -> tuple[PlannedRep, ...]:
    """The work steps of ``w`` in order, each with the recovery time planned after it."""
    reps: list[PlannedRep] = []
    for step in expanded(workout_steps(w)):
        if step.kind is StepKind.WORK and step.distance_m and step.pace:
            reps.append(PlannedRep(step.distance_m, step.pace, 0.0))
        elif step.kind is StepKind.RECOVERY and reps and step.time_s:
            last = reps[-1]
            reps[-1] = PlannedRep(last.distance_m, last.pace, last.recovery_after_s + step.time_s)
    if reps:
        last = reps[-1]
        reps[-1] = PlannedRep(last.distance_m, last.pace, 0.0)
    return tuple(reps)


def score_runs(
    w: Workout, runs: Sequence[Activity], easy_pace: tuple[float, float] | None = None
) -> RepScore | None:
    """``score_laps`` over the laps of ``runs`` (the runs matched to ``w``) in the order they were run; None when
    ``w`` has no reps to score."""
    laps = [lap for a in sorted(runs, key=lambda a: (a.start_local, a.id)) for lap in a.laps]
    return score_laps(w, laps, easy_pace)


def score_laps(
    w: Workout, laps: Sequence[Lap], easy_pace: tuple[float, float] | None = None
) -> RepScore | None:
    """Each rep of ``w`` read from ``laps`` and scored (module docstring); None when ``w`` has no reps."""
    plan = planned_reps(w)
    if not plan:
        return None
    if len(laps) < 2:
        return _unscored(ScoreOutcome.NOT_LAPPED, plan)
    if _automatic(laps):
        return _unscored(ScoreOutcome.AUTO_LAPS, plan)
    positions = _align(plan, laps)
    if not positions:
        return _unscored(ScoreOutcome.NO_MATCH, plan)
    reps = tuple(_rep(k + 1, plan[k], laps[i]) for k, i in enumerate(positions))
    ceiling = _recovery_ceiling(plan, easy_pace)
    recoveries = tuple(
        _recovery(k + 1, plan[k].recovery_after_s, laps[i + 1], ceiling)
        for k, i in enumerate(positions[:-1])
        if plan[k].recovery_after_s > 0
    )
    score = RepScore(ScoreOutcome.SCORED, len(plan), reps, recoveries)
    return RepScore(score.outcome, score.planned, reps, recoveries, summary=describe(score))


# --- reading the laps -----------------------------------------------------------------------------------


def _automatic(laps: Sequence[Lap]) -> bool:
    return any(
        all(abs(lap.distance_m - auto) <= AUTO_LAP_TOLERANCE * auto for lap in laps[:-1])
        for auto in AUTO_LAP_M
    )


def _fits(rep: PlannedRep, lap: Lap) -> bool:
    slack = max(REP_DISTANCE_TOLERANCE * rep.distance_m, REP_DISTANCE_MIN_M)
    return lap.distance_m > 0 and abs(lap.distance_m - rep.distance_m) <= slack


def _reading(plan: Sequence[PlannedRep], laps: Sequence[Lap], first: int) -> list[int]:
    """Lap positions of the reps read from lap ``first`` on, as far as they fit."""
    positions: list[int] = []
    i = first
    for rep in plan:
        if i >= len(laps) or not _fits(rep, laps[i]):
            break
        positions.append(i)
        i += 2 if rep.recovery_after_s > 0 else 1
    return positions


def _align(plan: Sequence[PlannedRep], laps: Sequence[Lap]) -> list[int]:
    best: list[int] = []
    best_key: tuple[int, float] = (0, 0.0)
    for first in range(len(laps)):
        positions = _reading(plan, laps, first)
        if not positions:
            continue
        miss = sum(abs(_off(_pace(laps[i]), plan[k].pace)) for k, i in enumerate(positions))
        key = (len(positions), -miss)
        if key > best_key:  # strictly better: ties keep the earliest reading
            best, best_key = positions, key
    return best


# --- scoring --------------------------------------------------------------------------------------------


def _pace(lap: Lap) -> float:
    time_s = lap.moving_time_s if lap.moving_time_s > 0 else lap.elapsed_time_s
    return time_s / (lap.distance_m / 1000) if lap.distance_m > 0 else float("inf")


def _off(pace: float, band: tuple[float, float]) -> float:
    """Seconds per km outside ``band``: negative when faster than its fast end, positive when slower."""
    fast, slow = band
    if pace < fast:
        return pace - fast
    if pace > slow:
        return pace - slow
    return 0.0


def _rep(number: int, planned: PlannedRep, lap: Lap) -> RepResult:
    pace = _pace(lap)
    off = round(_off(pace, planned.pace))
    verdict = RepVerdict.INSIDE if off == 0 else (RepVerdict.TOO_FAST if off < 0 else RepVerdict.TOO_SLOW)
    time_s = float(lap.moving_time_s if lap.moving_time_s > 0 else lap.elapsed_time_s)
    return RepResult(number, planned, lap.distance_m, time_s, pace, off, verdict)


def _recovery_ceiling(plan: Sequence[PlannedRep], easy_pace: tuple[float, float] | None) -> float:
    """The fastest pace (s/km) a recovery may be run at."""
    if easy_pace is not None:
        return min(easy_pace)
    return max(rep.pace[1] for rep in plan) + RECOVERY_GAP_S


def _recovery(after: int, planned_s: float, lap: Lap, ceiling: float) -> RecoveryResult:
    time_s = float(lap.elapsed_time_s or lap.moving_time_s)
    if lap.distance_m <= 0 or lap.moving_time_s <= 0:
        return RecoveryResult(after, planned_s, time_s, None, RecoveryVerdict.EASY)
    pace = _pace(lap)
    verdict = RecoveryVerdict.TOO_FAST if round(ceiling - pace) > 0 else RecoveryVerdict.EASY
    return RecoveryResult(after, planned_s, time_s, pace, verdict)


def _unscored(outcome: ScoreOutcome, plan: Sequence[PlannedRep]) -> RepScore:
    return RepScore(outcome, len(plan), summary=describe(RepScore(outcome, len(plan))))


# --- the sentence ---------------------------------------------------------------------------------------

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
UNSCORED = {
    ScoreOutcome.NOT_LAPPED: "the run has no laps for them",
    ScoreOutcome.AUTO_LAPS: "the laps are the watch's automatic splits, not the reps",
    ScoreOutcome.NO_MATCH: "no laps match the planned reps",
}
HOW_TO_LAP = "Lap each rep by hand, or run the workout from your watch."


def describe(score: RepScore) -> str:
    """The score in one plain sentence ("6 of 8 reps inside 3:52–3:58/km; the last two 9 s/km too fast")."""
    if score.outcome is not ScoreOutcome.SCORED:
        return f"The reps cannot be scored: {UNSCORED[score.outcome]}. {HOW_TO_LAP}"
    reps = score.reps
    target = _target(reps)
    if score.planned == 1 and len(reps) == 1:
        head = f"The {distance_name(reps[0].planned.distance_m)} block ran"
        if reps[0].off_s == 0:
            return f"{head} inside {target}."
        return f"{head} {_amount([reps[0]])} (target {target})."
    found = len(reps)
    if found < score.planned:
        head = f"{found} of {score.planned} reps found in the laps, {score.inside} inside {target}"
    elif score.inside == found:
        head = f"All {found} reps inside {target}"
    else:
        head = f"{score.inside} of {found} reps inside {target}"
    parts = [head, *(_misses(reps, verdict) for verdict in (RepVerdict.TOO_FAST, RepVerdict.TOO_SLOW))]
    return "; ".join(p for p in parts if p) + _recoveries_text(score) + "."


def _target(reps: Sequence[RepResult]) -> str:
    bands = {r.planned.pace for r in reps}
    if len(bands) > 1:
        return "their target paces"
    fast, slow = bands.pop()
    return f"{minutes_seconds(fast)}–{minutes_seconds(slow)}/km"


def _amount(reps: Sequence[RepResult]) -> str:
    offs = sorted(abs(r.off_s) for r in reps)
    size = f"{offs[0]}" if offs[0] == offs[-1] else f"{offs[0]}–{offs[-1]}"
    return f"{size} s/km {'too fast' if reps[0].off_s < 0 else 'too slow'}"


def _misses(reps: Sequence[RepResult], verdict: RepVerdict) -> str:
    missed = [r for r in reps if r.verdict is verdict]
    if not missed:
        return ""
    return f"{_which([r.number for r in missed], len(reps))} {_amount(missed)}"


def _which(numbers: Sequence[int], found: int) -> str:
    """Plain words for rep ``numbers`` among ``found``: "the last two", "the first rep", "reps 3 and 5"."""
    k = len(numbers)
    count = NUMBER_WORDS[k] if k < len(NUMBER_WORDS) else str(k)
    if k == found:
        return f"all {count}" if k > 1 else "the rep"
    if list(numbers) == list(range(found - k + 1, found + 1)):
        return "the last rep" if k == 1 else f"the last {count}"
    if list(numbers) == list(range(1, k + 1)):
        return "the first rep" if k == 1 else f"the first {count}"
    if k == 1:
        return f"rep {numbers[0]}"
    return "reps " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def _recoveries_text(score: RepScore) -> str:
    if not score.recoveries:
        return ""
    fast = score.recoveries_too_fast
    total = len(score.recoveries)
    if fast == 0:
        return "; every recovery easy" if total > 1 else "; the recovery easy"
    return f"; {fast} of {total} recoveries run too fast"
